/**
 * The import rules of docs/architecture.md, checked on the source: folders form layers, and a
 * module imports only from its own folder or a lower layer, so there is no cycle between folders.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

/** Lowest first. '.' is src/ itself (errors, version). */
export const LAYERS = ['.', 'transport', 'scenario', 'hosts', 'results', 'stats', 'probe', 'prepare', 'deploy', 'bench', 'report', 'run', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every folder of src/ imports only from itself or a lower layer', () => {
  const src = path.join(ROOT, 'src');
  const folderOf = (p: string) => {
    const rel = path.relative(src, p).split(path.sep);
    return rel.length > 1 ? rel[0] : '.';
  };
  const bad: string[] = [];
  for (const f of files(src)) {
    const from = folderOf(f);
    assert.ok(LAYERS.includes(from), `${path.relative(ROOT, f)}: folder ${from} has no layer in LAYERS (add it in docs/architecture.md and here)`);
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const to = folderOf(path.resolve(path.dirname(f), m[1]));
      if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) bad.push(`${path.relative(ROOT, f)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.deepEqual(bad, [], 'imports that go up a layer');
});
