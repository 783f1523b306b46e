/** History on a real SQLite file: round trip, trends, last good, concurrent writers, a killed writer. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  integrityCheck,
  lastGood,
  lastGoodCriteria,
  metricNames,
  listRuns,
  loadRun,
  markRunFinished,
  markRunStarted,
  openHistory,
  recordRun,
  trend,
} from '../../src/results/history.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord, testScenario } from '../stats/synth.js';
import { metricRows } from '../../src/stats/metrics.js';
import type { RunRecord } from '../../src/results/types.js';

/** Stores a record with its metric rows, as the run command does. */
function store(db: Parameters<typeof recordRun>[0], rec: RunRecord, opts: Parameters<typeof recordRun>[3] = {}): void {
  recordRun(db, rec, metricRows(rec), opts);
}

const historyModule = fileURLToPath(new URL('../../src/results/history.js', import.meta.url));
const metricsModule = fileURLToPath(new URL('../../src/stats/metrics.js', import.meta.url));
const synthModule = fileURLToPath(new URL('../stats/synth.js', import.meta.url));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'unilat-history-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sampleRun(id: string, startedAt: string, scale: number, host = 'local') {
  const rng = makeRng(id.length + Math.round(scale * 100));
  return runRecord(
    id,
    [
      latencyResult(lognormalSamples(rng, 2000, 5000, 0.3, scale * 3), { repetition: 0, host }),
      latencyResult(lognormalSamples(rng, 2000, 5000, 0.3, scale), { repetition: 1, host }),
      latencyResult(lognormalSamples(rng, 2000, 5000, 0.3, scale), { repetition: 2, host }),
      opsResult({ getppid: lognormalSamples(rng, 20, 80, 0.05, scale) }, { host }),
    ],
    { startedAt, scenario: testScenario('nightly') },
  );
}

/** Runs a script in a child node process; resolves with its exit code and stdout. */
function child(script: string, onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      out += d;
      if (onLine) for (const l of d.split('\n').filter(Boolean)) onLine(l, () => p.kill('SIGKILL'));
    });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('history', () => {
  test('record, list, load, trend, last good', () => {
    const db = openHistory(join(dir, 'basic.db'));
    try {
      store(db, sampleRun('r1', '2024-01-01T00:00:00Z', 1), { gatesPassed: true, dir: '/runs/r1' });
      store(db, sampleRun('r2', '2024-01-02T00:00:00Z', 1.1), { gatesPassed: false, dir: '/runs/r2' });
      store(db, sampleRun('r3', '2024-01-03T00:00:00Z', 1.2, 'rt1'), { dir: '/runs/r3' });
      store(db, { ...sampleRun('r4', '2024-01-04T00:00:00Z', 1), status: 'partial' }, { gatesPassed: true });

      assert.deepEqual(listRuns(db).map((r) => r.id), ['r4', 'r3', 'r2', 'r1']);
      assert.deepEqual(listRuns(db, { host: 'rt1' }).map((r) => r.id), ['r3']);
      assert.deepEqual(listRuns(db, { scenario: 'nightly', limit: 2 }).map((r) => r.id), ['r4', 'r3']);
      assert.deepEqual(listRuns(db, { scenario: 'other' }), []);
      const r2 = listRuns(db).find((r) => r.id === 'r2')!;
      assert.equal(r2.gatesPassed, false);
      assert.equal(r2.incomplete, false);
      assert.deepEqual(r2.hosts, ['local']);

      // Last good: completed with passing (or no) gates on the same hosts; r4 is partial, r2 failed
      // its gates, r3 ran on another host.
      const next = sampleRun('c', '2024-01-05T00:00:00Z', 1);
      assert.deepEqual(lastGood(db, next), { id: 'r1', dir: '/runs/r1' });
      assert.deepEqual(lastGood(db, sampleRun('c', '2024-01-05T00:00:00Z', 1, 'rt1')), { id: 'r3', dir: '/runs/r3' });
      assert.equal(lastGood(db, { ...next, scenario: testScenario('other') }), null);

      const rec = sampleRun('r1', '2024-01-01T00:00:00Z', 1);
      assert.deepEqual(loadRun(db, 'r1'), JSON.parse(JSON.stringify(rec)));
      assert.equal(loadRun(db, 'nope'), null);

      // Trend: pooled over counted repetitions (the 3x warm-up is left out), oldest first.
      const p99 = trend(db, { metric: 'p99', host: 'local' });
      assert.deepEqual(p99.map((p) => p.runId), ['r1', 'r2', 'r4']);
      assert.ok(p99.every((p) => p.value > 5000 && p.value < 15000), JSON.stringify(p99));
      assert.ok(p99[1].value > p99[0].value);
      // The limit counts runs, not points.
      assert.deepEqual([...new Set(trend(db, { metric: 'p99', limit: 2 }).map((p) => p.runId))], ['r3', 'r4']);
      const ops = trend(db, { metric: 'syscall.getppid', scenario: 'nightly' });
      assert.equal(ops.length, 4);
      assert.equal(ops[0].benchmark, 'syscall');

      // Recording a run again replaces it rather than duplicating its metrics.
      store(db, sampleRun('r1', '2024-01-01T00:00:00Z', 1), { gatesPassed: true });
      assert.equal(trend(db, { metric: 'p99', host: 'local' }).length, 3);
      assert.equal(integrityCheck(db), 'ok');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  test('last good is the newest earlier good run of the same scenario and hosts, never the candidate', () => {
    const db = openHistory(join(dir, 'last-good.db'));
    try {
      const runs = ['2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z', '2024-05-03T00:00:00Z'].map((t, i) => sampleRun(`n${i + 1}`, t, 1));
      for (const r of runs) store(db, r, { gatesPassed: true, dir: `/runs/${r.id}` });
      const [oldest, middle, newest] = runs;
      assert.deepEqual(lastGood(db, newest), { id: 'n2', dir: '/runs/n2' });
      assert.deepEqual(lastGood(db, middle), { id: 'n1', dir: '/runs/n1' });
      assert.equal(lastGood(db, oldest), null);
      // The metrics that have figures, for `history --metric` to list.
      const names = metricNames(db, { scenario: 'nightly' });
      assert.ok(['p99', 'p99.9', 'max', 'mean', 'syscall.getppid'].every((m) => names.includes(m)), names.join());
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(metricNames(db, { host: 'nowhere' }), []);
      assert.match(lastGoodCriteria(oldest), /^no completed run of scenario "nightly" on host\(s\) local with passing gates started before n1 \(2024-05-01T00:00:00Z\)$/);
      // A run of the same start time is not earlier; another host set is not the same job.
      store(db, sampleRun('twin', middle.startedAt, 1), { gatesPassed: true });
      store(db, sampleRun('elsewhere', '2024-05-02T12:00:00Z', 1, 'rt9'), { gatesPassed: true });
      assert.deepEqual(lastGood(db, middle), { id: 'n1', dir: '/runs/n1' });
      assert.deepEqual(lastGood(db, sampleRun('twin', middle.startedAt, 1)), { id: 'n1', dir: '/runs/n1' });
    } finally {
      db.close();
    }
  });

  test('started then finished; a run never finished is incomplete', () => {
    const db = openHistory(join(dir, 'lifecycle.db'));
    try {
      const rec = { ...sampleRun('s1', '2024-02-01T00:00:00Z', 1), status: 'running' as const, results: [], endedAt: null };
      markRunStarted(db, rec, { dir: '/runs/s1' });
      assert.equal(listRuns(db)[0].status, 'running');
      assert.equal(listRuns(db)[0].incomplete, true);
      const later = sampleRun('later', '2024-03-01T00:00:00Z', 1);
      assert.equal(lastGood(db, later), null);
      assert.deepEqual(trend(db, { metric: 'p99' }), []);
      {
        const rec = sampleRun('s1', '2024-02-01T00:00:00Z', 1);
        markRunFinished(db, 's1', { record: rec, metrics: metricRows(rec), gatesPassed: true });
      }
      const s1 = listRuns(db)[0];
      assert.equal(s1.status, 'completed');
      assert.equal(s1.dir, '/runs/s1');
      assert.equal(s1.incomplete, false);
      assert.deepEqual(lastGood(db, later), { id: 's1', dir: '/runs/s1' });

      markRunStarted(db, { ...rec, id: 's2' });
      markRunFinished(db, 's2', { status: 'failed' });
      assert.equal(listRuns(db).find((r) => r.id === 's2')!.status, 'failed');
      assert.throws(() => markRunFinished(db, 'ghost', { status: 'failed' }), /no run ghost/);
    } finally {
      db.close();
    }
  });

  test('two writer processes at once: both recorded, integrity ok', async () => {
    const file = join(dir, 'concurrent.db');
    const writer = (tag: string) => `
      import { openHistory, markRunStarted, recordRun } from ${JSON.stringify(historyModule)};
      import { metricRows } from ${JSON.stringify(metricsModule)};
      import { latencyResult, lognormalSamples, makeRng, runRecord, testScenario } from ${JSON.stringify(synthModule)};
      const db = openHistory(${JSON.stringify(file)});
      const rng = makeRng(${tag === 'a' ? 1 : 2});
      for (let i = 0; i < 25; i++) {
        const rec = runRecord('${tag}-' + i, [latencyResult(lognormalSamples(rng, 3000))], { startedAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(), scenario: testScenario('conc') });
        markRunStarted(db, { ...rec, status: 'running', results: [] });
        recordRun(db, rec, metricRows(rec), { gatesPassed: true });
      }
      db.close();
      console.log('done');
    `;
    const [a, b] = await Promise.all([child(writer('a')), child(writer('b'))]);
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    const db = openHistory(file);
    try {
      const runs = listRuns(db, { scenario: 'conc' });
      assert.equal(runs.length, 50);
      assert.ok(runs.every((r) => r.status === 'completed'));
      assert.equal(trend(db, { metric: 'p50', scenario: 'conc' }).length, 50);
      assert.equal(integrityCheck(db), 'ok');
    } finally {
      db.close();
    }
  });

  test('opening while another process holds a write lock on a new rollback-journal file waits instead of failing', async () => {
    // SQLite answers the switch to WAL with SQLITE_BUSY at once, without its busy handler, in this case.
    const file = join(dir, 'locked.db');
    let opened: string | undefined;
    const holder = child(
      `
      import Database from 'better-sqlite3';
      const db = new Database(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE');
      console.log('locked');
      setTimeout(() => { db.exec('COMMIT'); db.close(); console.log('released'); }, 400);
    `,
      (line) => {
        if (line !== 'locked') return;
        const db = openHistory(file);
        opened = db.pragma('journal_mode', { simple: true }) as string;
        db.close();
      },
    );
    const r = await holder;
    assert.equal(r.code, 0);
    assert.equal(opened, 'wal');
  });

  test('a writer killed with SIGKILL mid-run: the file opens, integrity ok, the run shows incomplete', async () => {
    const file = join(dir, 'killed.db');
    const script = `
      import { openHistory, markRunStarted, recordRun } from ${JSON.stringify(historyModule)};
      import { metricRows } from ${JSON.stringify(metricsModule)};
      import { latencyResult, lognormalSamples, makeRng, runRecord, testScenario } from ${JSON.stringify(synthModule)};
      const db = openHistory(${JSON.stringify(file)});
      const rng = makeRng(3);
      const rec = runRecord('killed', [], { status: 'running', endedAt: null, scenario: testScenario('k') });
      markRunStarted(db, rec, { dir: '/runs/killed' });
      console.log('started');
      // Keep writing other runs so the kill is likely to land inside a transaction.
      for (let i = 0; ; i++) {
        const other = runRecord('other-' + i, [latencyResult(lognormalSamples(rng, 2000))], { scenario: testScenario('k') });
        recordRun(db, other, metricRows(other));
        if (i === 3) console.log('busy');
      }
    `;
    const res = await child(script, (line, kill) => {
      if (line === 'busy') kill();
    });
    assert.equal(res.signal, 'SIGKILL');
    const db = openHistory(file);
    try {
      assert.equal(integrityCheck(db), 'ok');
      const killed = listRuns(db, { scenario: 'k' }).find((r) => r.id === 'killed')!;
      assert.equal(killed.status, 'running');
      assert.equal(killed.incomplete, true);
      assert.equal(loadRun(db, 'killed'), null);
      assert.equal(lastGood(db, runRecord('next', [], { startedAt: '2999-01-01T00:00:00Z', scenario: testScenario('k') }))?.id === 'killed', false);
      // Every other run that made it in is whole: its record loads and has its metrics.
      for (const r of listRuns(db, { scenario: 'k' }).filter((x) => x.id !== 'killed')) {
        assert.ok(loadRun(db, r.id));
        assert.equal(trend(db, { metric: 'p50', scenario: 'k' }).filter((p) => p.runId === r.id).length, 1);
      }
      // The database still takes writes.
      store(db, runRecord('after', [], { scenario: testScenario('k') }));
      assert.ok(listRuns(db).some((r) => r.id === 'after'));
    } finally {
      db.close();
    }
  });
});
