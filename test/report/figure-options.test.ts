/** `unilat report --figure-width/--figure-height`: the plot area of every figure, and bad sizes as bad input. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'unilat-figsize-'));
  copyFileSync(path.join(ROOT, 'test/results/fixtures/v1-gates-comparisons.json'), path.join(dir, 'run.json'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function specSizes(): Array<[string, number, number]> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.vl.json'))
    .map((f) => {
      const s = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { width: number; height: number };
      return [f, s.width, s.height];
    });
}

test('report writes figures at 640 x 360 by default and at the size asked for', async () => {
  const def = await runCli(['report', dir]);
  assert.equal(def.code, 0, def.stderr);
  for (const [f, w, h] of specSizes()) {
    assert.equal(w, 640, f);
    if (!f.startsWith('syscall-')) assert.equal(h, 360, f);
  }
  const big = await runCli(['report', dir, '--figure-width', '900', '--figure-height', '500']);
  assert.equal(big.code, 0, big.stderr);
  for (const [f, w, h] of specSizes()) {
    assert.equal(w, 900, f);
    if (!f.startsWith('syscall-')) assert.equal(h, 500, f);
  }
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /<svg role="img"[^>]* width="(9\d\d|1\d\d\d)"/);
});

test('a figure size out of range or not whole is bad input: one line, exit 2', async () => {
  for (const bad of [['--figure-width', '50'], ['--figure-height', '12.5'], ['--figure-width', '99999']]) {
    const r = await runCli(['report', dir, ...bad]);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: ${bad[0]}: must be a whole number of px from 200 to 4000`), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
