/** `history`, `compare` and `run` given a --db that is not a unilat history: exit 2, and the file left as it was. */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-history-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

test('history --db on what is no unilat history: exit 2 naming the file, nothing written to it', async () => {
  const other = join(dir, 'other.db');
  const o = new Database(other);
  o.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  o.close();
  const ours = join(dir, 'ours.db');
  const seed = await runCli(['run', 'scenarios/quickstart.yaml', '--only', 'syscalls', '--duration', '1s', '--out', dir, '--db', ours, '--quiet']);
  assert.equal(seed.code, 0, seed.stderr);
  const truncated = file('truncated.db', readFileSync(ours).subarray(0, 1500));
  const folder = join(dir, 'folder.db');
  mkdirSync(folder);
  const cases: Array<[string, RegExp]> = [
    [file('text.db', 'just some text\n'.repeat(100)), /not a history database \(not an SQLite file\)/],
    [file('binary.db', randomBytes(1 << 20)), /not a history database \(not an SQLite file\)/],
    [truncated, /not a history database/],
    [folder, /is a folder, not a history database/],
    [file('empty.db', ''), /an empty file, not a history database/],
    [other, /an SQLite database, but not a unilat history \(no metrics, runs, schema_version table\): left untouched/],
  ];
  for (const [f, why] of cases) {
    const before = existsSync(f) && !f.endsWith('folder.db') ? readFileSync(f) : null;
    const r = await runCli(['history', '--db', f]);
    assert.equal(r.code, 2, `${f}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(r.stderr, why, f);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    if (before) assert.deepEqual(readFileSync(f), before, `${f} unchanged`);
    assert.equal(existsSync(`${f}-wal`), false, `${f}: not switched to WAL`);
  }
  const check = new Database(other, { readonly: true });
  assert.deepEqual(check.prepare('SELECT x FROM t').all(), [{ x: 1 }]);
  check.close();
  // A real one still reads, and reading it changes nothing.
  const copy = join(dir, 'copy.db');
  copyFileSync(ours, copy);
  const h = await runCli(['history', '--db', copy]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /quickstart/);
  assert.deepEqual(readFileSync(copy), readFileSync(ours));
});

test('run --db on another program\'s database: exit 2 before any run folder is made', async () => {
  const out = join(dir, 'runs');
  mkdirSync(out);
  const other = join(dir, 'other2.db');
  const o = new Database(other);
  o.exec('CREATE TABLE t (x)');
  o.close();
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--only', 'syscalls', '--out', out, '--db', other, '--quiet']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /not a unilat history/);
  assert.deepEqual(readdirSync(out), []);
});
