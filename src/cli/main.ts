/**
 * The `unilat` entry point: registers the commands and is the one place that turns
 * typed errors into exit codes (0 ok, 1 gate failed, 2 bad input, 3 run failed).
 *
 * Start-up time (BENCHMARKS.md section 6): `--version` alone is answered before yargs is
 * loaded, and yargs and the command definitions are imported only after that check.
 */
import { visible } from '../text.js';
import { EXIT, GateFailedError, InputError, RunFailedError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT_HELP } from './common.js';
import { closest } from './suggest.js';

type Commands = typeof import('./commands.js');
/** The command definitions, imported by main() (live bindings: builtOptions changes as yargs builds a command). */
let defs: Commands;

class UsageError extends Error {}

/** The command the user named (for `see unilat CMD --help`), if any. */
function commandOf(argv: string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-') && defs.commandNames.includes(a));
}

/** yargs reads `-duration` as the flags -d -u -r ...: say what was meant instead. */
function singleDashLong(argv: string[]): string | undefined {
  const end = argv.indexOf('--');
  const a = (end < 0 ? argv : argv.slice(0, end)).find((x) => /^-[A-Za-z][A-Za-z-]+$/.test(x));
  return a && `${a}: long options take two dashes: use -${a} instead`;
}

/** Adds "did you mean --x?" to each name of yargs' "Unknown argument(s): a, b". */
function withSuggestions(msg: string, known: string[] = defs.builtOptions): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const names = m[1].split(', ');
  const parts = names.map((n) => {
    const s = closest(n, known);
    return s ? `${n} (did you mean --${s}?)` : n;
  });
  return `Unknown argument${names.length > 1 ? 's' : ''}: ${parts.join(', ')}`;
}

/**
 * yargs gives an unknown `--flag` the next word as its value, so `run --jsn FILE` fails with
 * "not enough arguments"; the unknown flag is the real problem, so name it first.
 */
function unknownFlags(argv: string[], cmd: string | undefined): string | undefined {
  const known = cmd ? defs.builtKeys : ['help', 'version'];
  const end = argv.indexOf('--');
  const flags = (end < 0 ? argv : argv.slice(0, end)).filter((a) => a.startsWith('--') && a.length > 2).map((a) => a.slice(2).split('=')[0]);
  const bad = flags.filter((f) => !known.includes(f) && !(f.startsWith('no-') && known.includes(f.slice(3))));
  return bad.length ? withSuggestions(`Unknown argument${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`, cmd ? defs.builtOptions : known) : undefined;
}

export async function main(argv: string[]): Promise<number> {
  // What yargs' .version() prints for it, without loading yargs (a third of the start-up).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const [{ default: yargs }, commands] = await Promise.all([import('yargs'), import('./commands.js')]);
  defs = commands;
  const cmd = commandOf(argv);
  const first = argv.find((a) => !a.startsWith('-'));
  const near = !cmd && first !== undefined ? closest(first, defs.commandNames) : undefined;
  if (near) return reportError(new UsageError(`Unknown command: ${first} (did you mean ${near}?)`), undefined);
  const dashProblem = singleDashLong(argv);
  if (dashProblem) return reportError(new UsageError(dashProblem), cmd);
  const cli = yargs(argv)
    .scriptName('unilat')
    .usage('$0 <command> [options]\n\nReal-time latency benchmarks for Preempt-RT Linux: bare metal, VMs and unikernel-style guests.')
    .command(defs.commands)
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .epilogue(EXIT_HELP)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own validation errors (YError, e.g. a flag without its value) are usage errors too.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(unknownFlags(argv, cmd) ?? withSuggestions(msg ?? err?.message ?? 'bad usage'));
    });
  try {
    await cli.parseAsync();
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (e) {
    return reportError(e, cmd);
  }
}

function reportError(e: unknown, cmd: string | undefined): number {
  // Messages quote names, keys and values from files and hosts: nothing in them may reach the terminal as a control code.
  const say = (text: string) => process.stderr.write(visible(text));
  if (e instanceof UsageError) {
    say(`unilat: ${e.message}\nsee unilat ${cmd ? `${cmd} ` : ''}--help\n`);
    return EXIT.input;
  }
  if (e instanceof InputError) {
    for (const p of e.problems) say(`error: ${p}\n`);
    return EXIT.input;
  }
  if (e instanceof GateFailedError) {
    say(`${e.message}\n`);
    if (e.runDir) process.stdout.write(`${e.runDir}\n`);
    return EXIT.gate;
  }
  if (e instanceof RunFailedError) {
    say(`run failed: ${e.message}\n`);
    if (e.runDir) process.stdout.write(`${e.runDir}\n`);
    return EXIT.run;
  }
  // Anything else is a bug or an environment failure: one line, no stack unless asked.
  const err = e as Error;
  say(`run failed: ${err?.message ?? String(e)}\n`);
  if (process.env.UNILAT_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return EXIT.run;
}

// A reader that stopped early (`unilat schema | head -1`) is not an error. The command still
// finishes (a run must restore its hosts), its further output just goes nowhere.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });

// yargs' hideBin(process.argv) under Node (unilat is no Electron app): the arguments after the script.
const code = await main(process.argv.slice(2));
process.exitCode = code;
