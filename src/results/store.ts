/** The run folder: run.json written atomically after every step, so an interrupted run keeps what it measured. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { parseRunRecord } from './schema.js';
import type { RunRecord } from './types.js';

export function newRunId(scenarioName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${scenarioName.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomBytes(2).toString('hex')}`;
}

export async function createRunDir(outDir: string, id: string): Promise<string> {
  const dir = resolve(outDir, id);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes a file by renaming a complete temporary file over it: readers never see half a file. */
export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

export async function saveRunRecord(dir: string, record: RunRecord): Promise<void> {
  await writeAtomic(join(dir, 'run.json'), `${JSON.stringify(record, null, 1)}\n`);
}

export async function loadRunRecord(dirOrFile: string): Promise<RunRecord> {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : join(dirOrFile, 'run.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseRunRecord(data, file);
}
