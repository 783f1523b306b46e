/** Every CLI command, one module each. Add a command here and nowhere else. */
import type { CommandModule } from 'yargs';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { validateCommand } from './validate.js';

export const commands = [runCommand, validateCommand, planCommand, schemaCommand, reportCommand] as CommandModule<object, never>[];
