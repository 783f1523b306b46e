/**
 * A long phase is not silent: a run that waits for another run's host lock says so, and in a
 * log (stderr not a terminal) repeats "still waiting for the host lock (N s)" while it waits,
 * as it does while a guest boots. Two real runs on this machine: the first measures for 20 s,
 * the second starts once the first is measuring (so holds the lock) and waits for it (--wait-lock).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { HEARTBEAT_MS } from '../../src/run/progress.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-terminal-wait-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a run waiting for the host lock repeats that it waits, then goes on to 100%', async () => {
  const long = join(dir, 'long.yaml');
  const short = join(dir, 'short.yaml');
  // Twice the heartbeat, so the second run waits well past one.
  writeFileSync(long, `name: long\nhosts: [local]\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks: [{name: w, kind: cyclic, threads: 1, interval: 1ms, duration: ${(2 * HEARTBEAT_MS) / 1000}s}]\n`);
  writeFileSync(short, 'name: short\nhosts: [local]\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks: [{name: s, kind: syscall}]\n');
  // The second run starts when the first holds the host's lock: once it is measuring.
  let measuring!: () => void;
  const holding = new Promise<void>((resolve) => (measuring = resolve));
  const first = runCli(['run', long, '--out', dir, '--wait-lock', '10m'], { onStderr: (soFar) => /\] {3}measuring\n/.test(soFar) && measuring() });
  await Promise.race([holding, first]);
  const second = runCli(['run', short, '--out', dir, '--wait-lock', '10m']);
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /^\[local\] waiting for .* to finish with this host$/m);
  assert.match(b.stderr, /^\[local\] still waiting for the host lock \(\d+ s\)$/m);
  assert.doesNotMatch(b.stderr, /\r|\x1b\[/);
  assert.match(b.stderr, /^\[local\] {3}100%$/m);
  assert.match(b.stderr, /^\[unilat\] reports written$/m);
});
