/** File-name parts made from user names: safe characters only, and bounded (long names keep a hash of the whole). */
import { createHash } from 'node:crypto';

/** Most file systems allow 255 bytes a name; parts are joined, so each stays well below. */
export const MAX_NAME_PART = 64;

export function fileSafe(name: string, max = MAX_NAME_PART): string {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');
  if (s.length <= max) return s;
  return `${s.slice(0, max - 9)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}
