/** Every CLI command, one module each. Add a command here and nowhere else. Each module holds only the yargs definition; its handler imports `<name>.impl.js` (and the heavy libraries) when the command runs, so --help, --version, validate start fast. */
import type { Argv, CommandModule } from 'yargs';
import { EXIT_HELP } from './common.js';
import { compareCommand } from './compare.js';
import { exportCommand } from './export.js';
import { factsCommand } from './facts.js';
import { historyCommand } from './history.js';
import { importCommand } from './import.js';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { selftestCommand } from './selftest.js';
import { validateCommand } from './validate.js';

const all = [runCommand, validateCommand, planCommand, schemaCommand, reportCommand, factsCommand, importCommand, exportCommand, compareCommand, historyCommand, selftestCommand] as CommandModule<object, never>[];

/** The command names (first word of each definition), for pointing usage errors at the right --help. */
export const commandNames = all.map((c) => String(c.command).split(' ')[0]);

/** The long options of the command yargs built last (the one being parsed), for "did you mean". */
export let builtOptions: string[] = [];
/** All option keys yargs accepts for that command (camelCase twins included). */
export let builtKeys: string[] = [];

/** Every command's --help ends with the exit codes. */
export const commands = all.map(
  (c): CommandModule<object, never> => ({
    ...c,
    builder: (y: Argv<object>) => {
      const b = c.builder;
      const built = typeof b === 'function' ? (b(y) as Argv<object>) : b ? y.options(b) : y;
      const keys = Object.keys((built as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      builtKeys = keys;
      // yargs also lists camelCase twins of kebab-case options; suggest the spelling the help shows.
      builtOptions = keys.filter((k) => !/[A-Z]/.test(k) || !keys.includes(k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)));
      return built.epilogue(EXIT_HELP) as never;
    },
  }),
);
