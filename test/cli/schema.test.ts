/** `unilat schema`: draft-07 with an id, a title and a description on every field; the shipped copy and the scenarios' modelines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

test('unilat schema is draft-07 with $id, title and a description on every field', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(typeof s.$id, 'string');
  assert.equal(typeof s.title, 'string');
  const missing: string[] = [];
  const walk = (n: unknown, path: string, field: boolean) => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach((x, i) => walk(x, `${path}[${i}]`, false));
    const o = n as Record<string, unknown>;
    if (field && typeof o.description !== 'string') missing.push(path);
    for (const [k, v] of Object.entries(o)) {
      if (k === 'properties') for (const [pk, pv] of Object.entries(v as object)) walk(pv, `${path}.${pk}`, true);
      else walk(v, `${path}/${k}`, false);
    }
  };
  walk(s, '', false);
  assert.ok(JSON.stringify(s).includes('"properties"'), 'the walk saw fields');
  assert.deepEqual(missing, [], 'fields without a description');
});

test('the shipped scenario.schema.json is what unilat schema prints (regenerate: unilat schema > scenario.schema.json)', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(ROOT, 'scenario.schema.json'), 'utf8'), r.stdout);
});

test('every shipped scenario starts with the yaml-language-server modeline naming that file', () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length > 0);
  for (const f of files)
    assert.equal(readFileSync(join(ROOT, 'scenarios', f), 'utf8').split('\n')[0], '# yaml-language-server: $schema=../scenario.schema.json', f);
});
