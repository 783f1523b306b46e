/**
 * Which history database `history` and `compare` read when no --db is given: the one next to
 * the run folders they are given (`run --out reports` writes reports/RUN/ and reports/history.db),
 * else the default.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_HISTORY_DB } from './history.js';

/** history.db for a path: a run folder or run.json (its parent's), or an --out folder holding one. */
export function historyNextTo(path: string): string | null {
  if (!existsSync(path)) return null;
  const abs = resolve(path);
  const isDir = statSync(abs).isDirectory();
  const candidates = isDir
    ? [join(abs, 'history.db'), ...(existsSync(join(abs, 'run.json')) ? [join(dirname(abs), 'history.db')] : [])]
    : basename(abs) === 'run.json'
      ? [join(dirname(dirname(abs)), 'history.db')]
      : [];
  return candidates.find((f) => existsSync(f)) ?? null;
}

/** The --db given, else the first history.db next to one of `paths`, else the default. */
export function historyFile(db: string | undefined, paths: readonly string[]): string {
  if (db !== undefined) return db;
  for (const p of paths) {
    const f = historyNextTo(p);
    if (f) return f;
  }
  return DEFAULT_HISTORY_DB;
}
