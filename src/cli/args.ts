import { InputError } from '../errors.js';
import { parseTimeNs } from '../scenario/units.js';

export function parseDurationArg(v: string | undefined, flag = '--duration'): number | undefined {
  if (v === undefined) return undefined;
  const ns = parseTimeNs(v, 's');
  if (ns === null || ns <= 0) throw new InputError(`${flag}: "${v}" is not a positive duration (like 30s, 5m)`);
  return ns;
}
