/**
 * YAML loading that keeps positions: every problem becomes `FILE:LINE:COL: path: message`.
 * The yaml package is imported only here.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError } from '../errors.js';

/** Aliases beyond this are treated as an alias bomb ("billion laughs"). */
const MAX_ALIASES = 100;

export interface LoadedYaml {
  file: string;
  data: unknown;
  /** Position of the value at a path (or of the nearest ancestor that exists). */
  locate(path: readonly PropertyKey[], key?: string): string;
}

/** Scenarios and hosts files are written by hand: a few KiB. Larger is a mistake (or an attack on memory). */
export const MAX_YAML_BYTES = 1 << 20;

export async function loadYamlFile(file: string): Promise<LoadedYaml> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.isFile() && st.size > MAX_YAML_BYTES) throw new InputError(`${file}: ${(st.size / 2 ** 20).toFixed(1)} MiB, more than a scenario or hosts file can be (${MAX_YAML_BYTES / 2 ** 20} MiB)`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(e)})`);
  }
  return parseYaml(file, text);
}

export function parseYaml(file: string, text: string): LoadedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number) => {
    const { line, col } = lc.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const problems = doc.errors.map((e) => `${at(e.pos[0])}: ${cleanYamlMessage(e.message)}`);
  if (problems.length) throw new InputError(problems);
  // Blank, or only comments and document markers.
  if (doc.contents === null) throw new InputError(`${file}:1:1: file is empty (expected a YAML mapping)`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias/i.test(msg)) throw new InputError(`${at(firstAliasOffset(doc))}: too many YAML alias expansions (limit ${MAX_ALIASES}; this looks like an alias bomb)`);
    throw new InputError(`${file}:1:1: ${msg}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new InputError(`${file}:1:1: expected a YAML mapping at the top level, found ${Array.isArray(data) ? 'a list' : typeof data === 'object' ? 'nothing' : `a ${typeof data}`}`);
  return {
    file,
    data,
    locate(path, key) {
      return at(offsetOf(doc, path, key));
    },
  };
}

function cleanYamlMessage(m: string): string {
  return m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function firstAliasOffset(doc: Document): number {
  let found = 0;
  const walk = (n: unknown): boolean => {
    if (isAlias(n)) {
      found = n.range?.[0] ?? 0;
      return true;
    }
    if (isMap(n) || isSeq(n)) return (n.items as unknown[]).some(walk);
    if (isPair(n)) return walk(n.key) || walk(n.value);
    return false;
  };
  walk(doc.contents);
  return found;
}

/** Finds the source offset of the node at path; for an unknown key, the key itself. */
function offsetOf(doc: Document, path: readonly PropertyKey[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const seg of [...path, ...(key !== undefined ? [key] : [])]) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const isLast = seg === key && key !== undefined;
      const target = isLast ? pair.key : (pair.value ?? pair.key);
      offset = (target as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
