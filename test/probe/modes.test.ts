/**
 * The real probe's other behaviours: syscall mode, running unprivileged, SCHED_DEADLINE,
 * script mode, the static build, bad arguments.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  assembleCyclic,
  assembleStream,
  assembleSyscall,
  parseStream,
  singleRun,
  splitRuns, scriptSteps,
} from '../../src/probe/protocol.js';
import { buildProbe, cleanupProbes, compileProbe, runProbe } from '../helpers/probe.js';

const isRoot = process.getuid?.() === 0;
after(cleanupProbes);

describe('probe syscall mode', () => {
  test('measures every op with plausible ordering', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['syscall', '--batches', '30', '--warmup', '3']);
    assert.equal(r.code, 0, r.stderr);
    const pieces = assembleStream(r.stdout);
    assert.ok(pieces.kind === 'syscall');
    const { ops, ratios, applied } = pieces;
    assert.deepEqual(Object.keys(ops).sort(), ['clock_gettime', 'func', 'getppid', 'indirect', 'loop', 'read']);
    for (const [name, op] of Object.entries(ops)) {
      assert.equal(op.samples, 30, name);
      assert.equal(op.raw.length, 30);
      assert.ok(op.iterationsPerBatch >= 1);
      assert.ok(op.nsPerOp > 0, name);
      assert.ok(op.ciLow <= op.nsPerOp && op.nsPerOp <= op.ciHigh, name);
    }
    assert.ok(ops.func.nsPerOp < ops.getppid.nsPerOp, 'a function call is cheaper than a system call');
    assert.ok(ops.loop.nsPerOp < ops.getppid.nsPerOp);
    assert.deepEqual(Object.keys(ratios).sort(), ['clock_gettime', 'getppid', 'read']);
    assert.ok(ratios.getppid > 1);
    assert.equal(applied.mode, 'syscall');
    assert.equal(applied.threads, 1);
    assert.equal(applied.affinity.length, 1, 'pinned to one CPU');
  });

  test('--ops and --batch are honoured', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['syscall', '--ops', 'func,getppid', '--batch', '1000', '--batches', '5', '--warmup', '0', '--cpu', '0']);
    assert.equal(r.code, 0, r.stderr);
    const p = assembleStream(r.stdout);
    assert.ok(p.kind === 'syscall');
    assert.deepEqual(Object.keys(p.ops), ['func', 'getppid']);
    assert.equal(p.ops.func.iterationsPerBatch, 1000);
    assert.deepEqual(p.applied.affinity, [0]);
  });

  test('a priority with policy other is accepted but not applied', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['syscall', '--policy', 'other', '--priority', '80', '--batch', '0', '--batches', '5', '--ops', 'func']);
    assert.equal(r.code, 0, r.stderr);
    const run = singleRun(parseStream(r.stdout).messages);
    assert.deepEqual(run.hello.requested, { policy: 'other', priority: 80 });
    assert.equal(run.hello.policy, 'other');
    assert.equal(run.hello.priority, 0);
    assert.equal(run.hello.batch, 0);
  });
});

describe('probe policy honesty', () => {
  test('unprivileged: policy other with a no-rt-policy warning', { skip: !isRoot && 'needs root to drop privileges' }, async () => {
    const bin = await compileProbe();
    const r = await runProbe(
      bin,
      ['cyclic', '--threads', '2', '--duration-ms', '300', '--policy', 'fifo', '--priority', '90', '--dma-latency', '--progress-ms', '0'],
      { prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] },
    );
    assert.equal(r.code, 0, r.stderr);
    const run = singleRun(parseStream(r.stdout).messages);
    assert.equal(run.hello.uid, 65534);
    assert.equal(run.hello.policy, 'other');
    assert.equal(run.hello.priority, 0);
    assert.deepEqual(run.hello.requested, { policy: 'fifo', priority: 90 });
    for (const t of run.hello.threadInfo ?? []) assert.equal(t.policy, 'other');
    const pieces = assembleCyclic(run);
    const codes = pieces.warnings.map((w) => w.code);
    assert.ok(codes.includes('no-rt-policy'), codes.join(','));
    assert.ok(codes.includes('no-dma-latency'), codes.join(','));
    assert.equal(run.hello.dmaLatency, false);
    assert.equal(pieces.applied.policy, 'other');
    assert.ok(pieces.latency.count > 0);
  });

  test('deadline: either granted, or refused with a warning', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['cyclic', '--policy', 'deadline', '--threads', '2', '--duration-ms', '300', '--progress-ms', '0']);
    assert.equal(r.code, 0, r.stderr);
    const pieces = assembleStream(r.stdout);
    assert.ok(pieces.kind === 'cyclic');
    const refused = pieces.warnings.some((w) => w.code === 'no-rt-policy');
    assert.equal(pieces.applied.policy, refused ? 'other' : 'deadline');
    assert.ok(pieces.latency.count > 0);
  });
});

describe('probe script mode', () => {
  test('runs each step on one stream, reports failed steps, writes --out', async () => {
    const bin = await compileProbe();
    const dir = await mkdtemp(path.join(tmpdir(), 'unilat-script-'));
    try {
      const script = path.join(dir, 'steps.txt');
      const out = path.join(dir, 'out.txt');
      await writeFile(
        script,
        [
          '# comment lines and blank lines are skipped',
          '',
          'syscall --ops func,getppid --batches 5 --warmup 1',
          'cyclic --threads 1 --duration-ms 200 --progress-ms 0',
          'cyclic --no-such-option',
          'cyclic --threads 1 --loops 50 --interval 100000',
        ].join('\n'),
      );
      const r = await runProbe(bin, ['script', script, '--out', out]);
      assert.equal(r.code, 2, 'the worst step exit code');
      assert.equal(r.stdout.length, 0, 'protocol went to --out');
      assert.match(r.stderr, /no-such-option/);
      const { messages } = parseStream(await readFile(out));
      const { runs, outside } = splitRuns(messages);
      assert.deepEqual(runs.map((x) => x.hello.mode), ['syscall', 'cyclic', 'cyclic']);
      assert.equal(assembleSyscall(runs[0]).ops.getppid.samples, 5);
      assert.ok(assembleCyclic(runs[1]).latency.count > 0);
      assert.equal(assembleCyclic(runs[2]).latency.count, 50);
      assert.deepEqual(
        outside.map((m) => m.type),
        ['error', 'end'],
      );
      const [err, end] = outside;
      assert.ok(err.type === 'error' && err.step === 3 && err.exit === 2);
      assert.ok(end.type === 'end' && end.steps === 4 && end.failed === 1);
      // Each script step gets its own run or error, so a refused step costs only itself.
      const per = scriptSteps(messages, 4);
      assert.deepEqual(
        per.map((x) => [x.run?.hello.mode ?? null, x.run?.done ? 'done' : null, x.error?.step ?? null]),
        [
          ['syscall', 'done', null],
          ['cyclic', 'done', null],
          [null, null, 3],
          ['cyclic', 'done', null],
        ],
      );
      assert.deepEqual(scriptSteps(messages.slice(0, messages.findIndex((m) => m.type === 'error')), 4).map((x) => x.run !== null), [true, true, false, false], 'steps a cut stream never reached have nothing');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probe as PID 1', () => {
  const hasUnshare = isRoot && spawnSync('unshare', ['--version']).status === 0;
  test('runs the script, then powers off instead of exiting', { skip: !hasUnshare && 'needs root and unshare' }, async () => {
    const bin = await compileProbe();
    const dir = await mkdtemp(path.join(tmpdir(), 'unilat-pid1-'));
    try {
      const script = path.join(dir, 'steps.txt');
      const out = path.join(dir, 'out.txt');
      await writeFile(script, 'syscall --ops func --batches 3 --warmup 0\ncyclic --loops 20 --progress-ms 0\n');
      // A new PID and mount namespace: the probe is PID 1 there, its mounts stay private, and
      // reboot(RB_POWER_OFF) in a PID namespace ends the namespace's init with SIGINT.
      const r = await runProbe(bin, ['script', script, '--pid1', '--out', out], {
        prefix: ['unshare', '--pid', '--fork', '--mount', '--propagation', 'private'],
      });
      // unshare --fork passes the child's death on by killing itself with the same signal.
      assert.ok(r.signal === 'SIGINT' || r.code === 128 + 2, `expected death by SIGINT from reboot(), got ${r.code}/${r.signal}: ${r.stderr}`);
      const { messages } = parseStream(await readFile(out));
      const { runs, outside } = splitRuns(messages);
      assert.equal(runs.length, 2);
      for (const run of runs) assert.equal(run.hello.pid, 1);
      assert.deepEqual(outside, [{ type: 'end', steps: 2, failed: 0 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probe signals', () => {
  test('SIGTERM ends a run early with complete output', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['cyclic', '--duration-ms', '60000', '--progress-ms', '100'], {
      onSpawn: (child) => {
        // Stop once the run is under way (its first progress line).
        let seen = '';
        child.stdout?.on('data', (b: Buffer) => {
          seen += b.toString();
          if (seen.includes('"type":"progress"')) child.kill('SIGTERM');
        });
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const pieces = assembleStream(r.stdout);
    assert.ok(pieces.kind === 'cyclic');
    assert.ok(pieces.warnings.some((w) => w.code === 'interrupted'));
    assert.ok(pieces.latency.count > 0 && pieces.latency.count < 60_000);
  });
});

describe('probe build and arguments', () => {
  test('builds with -static', async () => {
    const bin = await buildProbe(['-static']);
    const r = await runProbe(bin, ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.toString(), /unilat-probe \d+\.\d+\.\d+/);
  });

  const bad: string[][] = [
    [],
    ['nonsense'],
    ['cyclic', '--threads', '0'],
    ['cyclic', '--threads'],
    ['cyclic', '--threads', 'two'],
    ['cyclic', '--interval', '5'],
    ['cyclic', '--policy', 'batchy'],
    ['cyclic', '--policy', 'fifo', '--priority', '0'],
    ['cyclic', '--duration-ms', '100', '--loops', '10'],
    ['cyclic', '--affinity', '1-0'],
    ['cyclic', '--runtime', '100000'],
    ['cyclic', '--bogus'],
    ['cyclic', 'stray'],
    ['cyclic', '--mlockall=yes'],
    ['syscall', '--ops', 'func,fork'],
    ['syscall', '--policy', 'deadline'],
    ['syscall', '--threads', '2'],
    ['syscall', '--raw'],
    ['script'],
  ];
  for (const args of bad) {
    test(`exit 2: ${args.join(' ') || '(no arguments)'}`, async () => {
      const bin = await compileProbe();
      const r = await runProbe(bin, args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout.length, 0, 'no protocol output');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^unilat-probe: /);
    });
  }

  test('--help exits 0', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.toString(), /unilat-probe cyclic/);
  });

});
