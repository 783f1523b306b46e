/** The run folder: run.json written atomically after every step, so an interrupted run keeps what it measured. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { fileSafe } from '../names.js';
import { parseRunRecord } from './schema.js';
import type { RunRecord } from './types.js';

export function newRunId(scenarioName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${fileSafe(scenarioName)}-${randomBytes(2).toString('hex')}`;
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

/** Far more than any record of ours: run.json nests a dozen levels, and holds histograms, not samples. */
export const MAX_RECORD_BYTES = 512 * 2 ** 20;
export const MAX_RECORD_DEPTH = 64;

export async function loadRunRecord(dirOrFile: string): Promise<RunRecord> {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : join(dirOrFile, 'run.json');
  let text: string;
  try {
    const st = await stat(file);
    if (st.isFile() && st.size > MAX_RECORD_BYTES) throw new InputError(`${file}: ${Math.round(st.size / 2 ** 20)} MiB, more than a run record can be (${MAX_RECORD_BYTES / 2 ** 20} MiB)`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const depth = jsonDepth(text);
  if (depth > MAX_RECORD_DEPTH) throw new InputError(`${file}: nested ${depth} levels deep, more than a run record can be (${MAX_RECORD_DEPTH})`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // Where, not what: the text itself may be anything (and reach a terminal).
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new InputError(`${file}: not valid JSON${at ? ` (at character ${at})` : ''}`);
  }
  return parseRunRecord(data, file);
}

/** The deepest nesting of arrays and objects in JSON text, counted without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
