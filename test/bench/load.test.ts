import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCyclictest } from '../../src/bench/cyclictest.js';
import { startLoad } from '../../src/bench/load.js';
import { RunFailedError } from '../../src/errors.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { benchmarkSchema, type CyclictestBenchmark } from '../../src/scenario/schema.js';
import { LocalTransport } from '../../src/transport/local.js';
import { HostJournal } from '../../src/prepare/journal.js';
import { recoverLeftoverJournals } from '../../src/prepare/recovery.js';

const t = new LocalTransport();
const journalDir = mkdtempSync(join(tmpdir(), 'unilat-load-journal-'));
after(() => rmSync(journalDir, { recursive: true, force: true }));
const journal = new HostJournal(t, { dir: journalDir });
const opts = { journal };
const journalModule = fileURLToPath(new URL('../../src/prepare/journal.js', import.meta.url));
const loadModule = fileURLToPath(new URL('../../src/bench/load.js', import.meta.url));
const localModule = fileURLToPath(new URL('../../src/transport/local.js', import.meta.url));

/** Pids in a session (the load's pgid is its session id). */
function session(sid: number): number[] {
  try {
    return execFileSync('pgrep', ['-s', String(sid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const bench = (over: Record<string, unknown>): CyclictestBenchmark =>
  benchmarkSchema.parse({ name: 'ct', kind: 'cyclictest', ...over }) as CyclictestBenchmark;

/** A node process that starts a load (`body` has t and journal, and sets h), prints its pgid and waits; resolves once stress-ng runs. */
async function loadChild(dir: string, body: string) {
  const code = `
    const { startLoad } = await import(${JSON.stringify(loadModule)});
    const { LocalTransport } = await import(${JSON.stringify(localModule)});
    const { HostJournal } = await import(${JSON.stringify(journalModule)});
    const t = new LocalTransport();
    const journal = new HostJournal(t, { dir: ${JSON.stringify(dir)} });
    ${body}
    console.log(h.pgid);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pgid = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(session(pgid).length >= 2, 'stress-ng started');
  return { child, pgid };
}

describe('background load', () => {
  it('stress-ng runs during a cyclictest measurement, and its whole tree is gone after stop', { timeout: 60_000 }, async () => {
    const h = await startLoad(t, { tool: 'stress-ng', args: ['--cpu', '1', '--timeout', '60s'], cpus: [1] }, opts);
    try {
      assert.deepEqual(h.commandLine, ['stress-ng', '--cpu', '1', '--timeout', '60s']);
      const run = await runCyclictest(t, bench({ threads: 2, interval: '1000us', histogram: 200 }), 2e9);
      // The load kept running for the whole measurement.
      assert.ok(await h.isRunning());
      const names = execFileSync('pgrep', ['-a', '-s', String(h.pgid)], { encoding: 'utf8' });
      assert.match(names, /stress-ng/);
      const latency = summarizeLatency(run.latency);
      assert.equal(latency.threads.length, 2);
      assert.ok(latency.count > 3000);
      assert.equal(run.applied.policy, 'fifo');
      assert.equal(run.applied.priority, 80);
      assert.equal(run.applied.observed.length, 2);
      assert.equal(run.applied.version, '2.40');
      for (const th of latency.threads) assert.equal(th.histogram.count, th.summary.count);
    } finally {
      const s = await h.stop();
      assert.equal(s.diedEarly, false);
      assert.equal(s.exitCode, null);
    }
    assert.deepEqual(session(h.pgid), []);
  });

  it('a load that ends during the measurement is reported as diedEarly with its exit code', async () => {
    const h = await startLoad(t, { tool: 'command', args: ['sh', '-c', 'sleep 0.2; echo broken >&2; exit 3'] }, opts);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await h.isRunning(), false);
    const s = await h.stop();
    assert.deepEqual([s.diedEarly, s.exitCode, s.stderrTail], [true, 3, 'broken']);
    assert.deepEqual(session(h.pgid), []);
  });

  it('hackbench is looped for the whole measurement', { timeout: 30_000 }, async () => {
    const h = await startLoad(t, { tool: 'hackbench', args: ['-g', '1', '-l', '50'] }, opts);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(await h.isRunning());
    const s = await h.stop();
    assert.equal(s.diedEarly, false);
    assert.deepEqual(session(h.pgid), []);
  });

  it('SIGINT to the node process that started a load leaves no stress-ng behind', { timeout: 30_000 }, async () => {
    const { child, pgid } = await loadChild(journalDir, `
      const ac = new AbortController();
      process.on('SIGINT', () => ac.abort());
      const h = await startLoad(t, { tool: 'stress-ng', args: ['--cpu', '1', '--timeout', '60s'] }, { journal, signal: ac.signal });
      ac.signal.addEventListener('abort', async () => { await h.stop(); process.exit(130); });`);
    child.kill('SIGINT');
    const exit = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(exit, 130);
    assert.deepEqual(session(pgid), []);
  });

  it('a load whose controller was SIGKILLed is ended, folder and all, by the next connection', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(journalDir, 'killed-'));
    const { child, pgid } = await loadChild(dir, `const h = await startLoad(t, { tool: 'stress-ng', args: ['--cpu', '1', '--timeout', '60s'] }, { journal });`);
    const stateDirs = readdirSync(tmpdir())
      .filter((n) => n.startsWith('unilat-load.'))
      .map((n) => join(tmpdir(), n))
      .filter((d) => existsSync(join(d, 'pid')) && readFileSync(join(d, 'pid'), 'utf8').trim() === String(pgid));
    assert.equal(stateDirs.length, 1, 'the load has its state folder');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(session(pgid).length >= 2, 'the load outlives its controller');
    const [rec, ...more] = await recoverLeftoverJournals(new LocalTransport(), { dir });
    assert.deepEqual(more, []);
    assert.equal(rec.outcome, 'restored', rec.errors.join('; '));
    assert.deepEqual(session(pgid), []);
    assert.deepEqual(readdirSync(dir), [], 'the journal is gone');
    assert.equal(existsSync(stateDirs[0]), false, 'its state folder is gone');
  });

  describe('missing tools name their Debian package', () => {
    const bin = mkdtempSync(join(tmpdir(), 'unilat-path-'));
    for (const tool of ['sh', 'mktemp', 'rm', 'setsid', 'cat']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const saved = process.env.PATH;
    after(() => {
      process.env.PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    });
    it('stress-ng, hackbench and cyclictest', async () => {
      process.env.PATH = bin;
      try {
        await assert.rejects(startLoad(t, { tool: 'stress-ng', args: [] }, opts), (e: Error) => e instanceof RunFailedError && /apt-get install stress-ng/.test(e.message));
        await assert.rejects(startLoad(t, { tool: 'hackbench', args: [] }, opts), (e: Error) => /hackbench not found.*package rt-tests/.test(e.message));
        await assert.rejects(runCyclictest(t, bench({}), 1e9), (e: Error) => /cyclictest not found.*apt-get install rt-tests/.test(e.message));
      } finally {
        process.env.PATH = saved;
      }
    });
  });
});
