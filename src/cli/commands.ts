/** Every CLI command, one module each. Add a command here and nowhere else. */
import type { CommandModule } from 'yargs';
import { planCommand } from './plan.js';
import { schemaCommand } from './schema.js';
import { validateCommand } from './validate.js';

export const commands = [validateCommand, planCommand, schemaCommand] as CommandModule<object, never>[];
