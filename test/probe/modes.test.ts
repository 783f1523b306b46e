/**
 * The real probe's other behaviours: syscall mode, running unprivileged, SCHED_DEADLINE,
 * script mode, the static build, bad arguments.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
import type { CyclesStat } from '../../src/results/types.js';
import { summarizeLatency, summarizeOps } from '../../src/stats/summary.js';
import { parseCmdline } from '../../src/prepare/facts.js';
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
    const { ops, ratios } = summarizeOps(pieces.ops);
    const { applied } = pieces;
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

/** Each file of the vulnerabilities directory with its text, read here; null when it is missing. */
function sysVulnerabilities(): Record<string, string> | null {
  const dir = '/sys/devices/system/cpu/vulnerabilities';
  if (!existsSync(dir)) return null;
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(path.join(dir, n), 'utf8').trim()]));
}

/** CPUID 0x80000007 EDX bit 8 from a separate little C program (null off x86-64 or without the leaf). */
async function cpuidInvariantTsc(): Promise<boolean | null> {
  if (process.arch !== 'x64') return null;
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-cpuid-'));
  try {
    const src = path.join(dir, 'cpuid.c');
    await writeFile(src, '#include <cpuid.h>\n#include <stdio.h>\nint main(void){unsigned a,b,c,d;if(!__get_cpuid(0x80000007,&a,&b,&c,&d)){puts("none");return 0;}printf("%u\\n",(d>>8)&1u);return 0;}\n');
    const r = spawnSync('sh', ['-c', 'cc -o "$1/cpuid" "$1/cpuid.c" && "$1/cpuid"', 'sh', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim();
    return out === 'none' ? null : out === '1';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('probe machine state in hello', () => {
  test('vulnerabilities and mitigations= as this machine has them', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['syscall', '--ops', 'func', '--batches', '5', '--warmup', '0']);
    assert.equal(r.code, 0, r.stderr);
    const { hello } = singleRun(parseStream(r.stdout).messages);
    const expected = sysVulnerabilities();
    assert.deepEqual(hello.vulnerabilities, expected);
    if (expected) {
      assert.ok(Object.keys(expected).length > 0, 'this kernel lists vulnerabilities');
      assert.equal(hello.vulnerabilitiesReason, null);
    } else assert.match(hello.vulnerabilitiesReason ?? '', /cannot read \/sys\/devices\/system\/cpu\/vulnerabilities/);
    // The facts module's command-line parser is the independent reading of mitigations=.
    assert.equal(hello.mitigations, parseCmdline(readFileSync('/proc/cmdline', 'utf8')).mitigations);
    assert.equal(hello.mitigationsReason, null);
    const applied = assembleStream(r.stdout).applied;
    assert.deepEqual(applied.vulnerabilities, expected, 'the run record keeps them');
    assert.equal(applied.mitigations, hello.mitigations);
  });

  const canUnshare = isRoot && spawnSync('unshare', ['--version']).status === 0;
  test('without /sys and /proc: null with reasons; as PID 1 it mounts sysfs itself', { skip: !canUnshare && 'needs root and unshare' }, async () => {
    const bin = await compileProbe();
    const dir = await mkdtemp(path.join(tmpdir(), 'unilat-nosys-'));
    try {
      const script = path.join(dir, 'steps.txt');
      await writeFile(script, 'syscall --ops func --batches 3 --warmup 0\n');
      // A private mount namespace with /sys (and /proc) lazily unmounted, then exec the probe;
      // with a PID namespace too for the PID 1 case (elsewhere PID 1 would power off).
      const hide = (what: string, pidNs: boolean) => ['unshare', ...(pidNs ? ['--pid', '--fork'] : []), '--mount', '--propagation', 'private', 'sh', '-c', `umount -l ${what} && exec "$0" "$@"`];
      const out1 = path.join(dir, 'plain.txt');
      const plain = await runProbe(bin, ['script', script, '--out', out1], { prefix: hide('/sys /proc', false) });
      assert.equal(plain.code, 0, plain.stderr);
      const h1 = splitRuns(parseStream(await readFile(out1)).messages).runs[0].hello;
      assert.equal(h1.vulnerabilities, null, 'no sysfs: nothing invented');
      assert.match(h1.vulnerabilitiesReason ?? '', /cannot read \/sys\/devices\/system\/cpu\/vulnerabilities: No such file/);
      assert.equal(h1.mitigations, null);
      assert.match(h1.mitigationsReason ?? '', /cannot read \/proc\/cmdline/);

      const out2 = path.join(dir, 'pid1.txt');
      const pid1 = await runProbe(bin, ['script', script, '--pid1', '--out', out2], { prefix: hide('/sys', true) });
      assert.ok(pid1.signal === 'SIGINT' || pid1.code === 128 + 2, `${pid1.code}/${pid1.signal}: ${pid1.stderr}`);
      const h2 = splitRuns(parseStream(await readFile(out2)).messages).runs[0].hello;
      assert.equal(h2.pid, 1);
      assert.deepEqual(h2.vulnerabilities, sysVulnerabilities(), 'PID 1 mounted sysfs and read the same kernel');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('syscall cycles per op exactly where the TSC is invariant', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['syscall', '--ops', 'func,getppid', '--batches', '20', '--warmup', '2', '--cpu', '0']);
    assert.equal(r.code, 0, r.stderr);
    const pieces = assembleStream(r.stdout);
    assert.ok(pieces.kind === 'syscall');
    const tsc = pieces.applied.tsc;
    const { ops } = summarizeOps(pieces.ops);
    assert.ok(tsc, 'hello carries the TSC state');
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(/\s+/) ?? null;
    const cpuid = await cpuidInvariantTsc();
    assert.equal(tsc.cpuid, cpuid);
    assert.equal(tsc.constantTsc, flags ? flags.includes('constant_tsc') : null);
    assert.equal(tsc.nonstopTsc, flags ? flags.includes('nonstop_tsc') : null);
    const invariant = cpuid === true && (flags === null || (flags.includes('constant_tsc') && flags.includes('nonstop_tsc')));
    assert.equal(tsc.invariant, invariant);
    assert.equal(tsc.measured, invariant, 'pinned to CPU 0, so measured exactly when invariant');
    if (invariant) {
      assert.equal(tsc.reason, null);
      const rate: number[] = [];
      for (const name of ['func', 'getppid']) {
        const c: CyclesStat | null | undefined = ops[name].cycles;
        assert.ok(c, `${name} has cycles`);
        assert.equal(c.raw.length, 20);
        assert.ok(c.perOp > 0 && c.ciLow <= c.perOp && c.perOp <= c.ciHigh, name);
        rate.push(c.perOp / ops[name].nsPerOp);
      }
      assert.ok(ops.getppid.cycles!.perOp > ops.func.cycles!.perOp);
      // Ticks per ns is the TSC rate in GHz: plausible and the same for both ops (one clock).
      for (const g of rate) assert.ok(g > 0.1 && g < 10, `TSC rate ${g} GHz`);
      assert.ok(Math.abs(rate[0] / rate[1] - 1) < 0.1, `func and getppid imply TSC rates ${rate.join(' and ')} GHz`);
    } else {
      assert.ok(tsc.reason && tsc.reason.length > 10, 'says why');
      for (const name of ['func', 'getppid']) {
        assert.equal(ops[name].cycles, null, name);
        assert.equal(ops[name].cyclesReason, tsc.reason);
      }
      assert.doesNotMatch(r.stdout.toString(), /"cycles":/, 'no cycle figures on the stream');
    }
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
    assert.ok(summarizeLatency(pieces.latency).count > 0);
  });

  test('deadline: either granted, or refused with a warning', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['cyclic', '--policy', 'deadline', '--threads', '2', '--duration-ms', '300', '--progress-ms', '0']);
    assert.equal(r.code, 0, r.stderr);
    const pieces = assembleStream(r.stdout);
    assert.ok(pieces.kind === 'cyclic');
    const refused = pieces.warnings.some((w) => w.code === 'no-rt-policy');
    assert.equal(pieces.applied.policy, refused ? 'other' : 'deadline');
    assert.ok(summarizeLatency(pieces.latency).count > 0);
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
      assert.equal(summarizeOps(assembleSyscall(runs[0]).ops).ops.getppid.samples, 5);
      assert.ok(summarizeLatency(assembleCyclic(runs[1]).latency).count > 0);
      assert.equal(summarizeLatency(assembleCyclic(runs[2]).latency).count, 50);
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
    const { count } = summarizeLatency(pieces.latency);
    assert.ok(count > 0 && count < 60_000);
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

describe('probe tsc', () => {
  test('measures the TSC rate where it is invariant, and says why not elsewhere', async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, ['tsc']);
    assert.equal(r.code, 0, r.stderr);
    const m = parseStream(r.stdout).messages.find((x) => x.type === 'tsc');
    assert.ok(m && m.type === 'tsc');
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:.*$/m)?.[0] ?? '';
    if (m.invariant) {
      assert.ok(m.khz !== null && m.khz > 100_000 && m.khz < 10_000_000, `${m.khz} kHz`);
      assert.match(flags, /constant_tsc/);
      assert.equal(m.reason, null);
    } else {
      assert.equal(m.khz, null, 'no rate where the TSC is no constant clock');
      assert.ok(m.reason && m.reason.length > 0);
    }
  });
});
