/**
 * The `unilat` entry point: registers the commands and is the one place that turns
 * typed errors into exit codes (0 ok, 1 gate failed, 2 bad input, 3 run failed).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, GateFailedError, InputError, RunFailedError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands.js';
import { EXIT_HELP } from './common.js';

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const cli = yargs(argv)
    .scriptName('unilat')
    .usage('$0 <command> [options]\n\nReal-time latency benchmarks for Preempt-RT Linux: bare metal, VMs and unikernel-style guests.')
    .command(commands)
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .epilogue(EXIT_HELP)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`unilat: ${e.message}\nRun "unilat --help" for usage.\n`);
    return EXIT.input;
  }
  if (e instanceof InputError) {
    for (const p of e.problems) process.stderr.write(`error: ${p}\n`);
    return EXIT.input;
  }
  if (e instanceof GateFailedError) {
    process.stderr.write(`${e.message}\n`);
    if (e.runDir) process.stdout.write(`${e.runDir}\n`);
    return EXIT.gate;
  }
  if (e instanceof RunFailedError) {
    process.stderr.write(`run failed: ${e.message}\n`);
    if (e.runDir) process.stdout.write(`${e.runDir}\n`);
    return EXIT.run;
  }
  // Anything else is a bug or an environment failure: one line, no stack unless asked.
  const err = e as Error;
  process.stderr.write(`run failed: ${err?.message ?? String(e)}\n`);
  if (process.env.UNILAT_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return EXIT.run;
}

const code = await main(hideBin(process.argv));
process.exitCode = code;
