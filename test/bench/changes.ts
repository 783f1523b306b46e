/**
 * How fast `history --changes` stays as the history grows (issue 17: 10,000 runs x 50 series in
 * under 2 s on one core): a synthetic history database of 10,000 runs, 50 series each (5 hosts x
 * 2 deployments x p50, p99, p99.9, max, mean), with a shift planted every 1,000 runs; timed are
 * the change-point analysis of the loaded series alone and the whole of `findChanges` (query,
 * analysis, provenance of the change points). A benchmark, not a test: `npm run bench:changes`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findChanges } from '../../src/cli/history-changes.js';
import { closeHistory, historySeries, noiseThresholds, openHistory } from '../../src/results/history.js';
import { makeRng, normalDraw } from '../../src/stats/dist.js';
import { CHANGE_METRICS, historyChanges } from '../../src/stats/history-changes.js';

const RUNS = Number(process.env.RUNS ?? 10_000);
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];
const DEPLOYMENTS = ['bare', 'vm'];
const METRICS = ['p50', 'p99', 'p99.9', 'max', 'mean'];
const REPEAT = 3;

const dir = mkdtempSync(join(tmpdir(), 'unilat-bench-changes-'));
try {
  const file = join(dir, 'history.db');
  const db = openHistory(file);
  const rng = makeRng(17);
  const t0 = performance.now();
  db.transaction(() => {
    const run = db.prepare(
      `INSERT INTO runs (id, scenario, status, started_at, ended_at, hosts, gates_passed, tool_version, scenario_json, facts_json, provenance)
       VALUES (?, 'nightly', 'completed', ?, ?, ?, NULL, '0.1.0', '{"noiseThreshold":0.05}', '{}', ?)`,
    );
    const metric = db.prepare('INSERT INTO metrics (run_id, deployment, benchmark, host, repetition, metric, value) VALUES (?, ?, ?, ?, NULL, ?, ?)');
    for (let i = 0; i < RUNS; i++) {
      const id = `run-${String(i).padStart(6, '0')}`;
      const at = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString();
      const prov = JSON.stringify({ unilat: '0.1.0', scenarioHash: 'x', labels: { night: String(i) }, ci: null, hosts: {} });
      run.run(id, at, at, JSON.stringify(HOSTS), prov);
      // A 30% shift every 1,000 runs, up and down in turn; 5% noise.
      const level = 10_000 * (Math.floor(i / 1000) % 2 ? 1.3 : 1);
      for (const h of HOSTS) for (const d of DEPLOYMENTS) for (const m of METRICS) metric.run(id, d, 'wakeup', h, m, level * (1 + 0.05 * normalDraw(rng)));
    }
  }).immediate();
  closeHistory(db);
  process.stdout.write(`built ${RUNS} runs x ${HOSTS.length * DEPLOYMENTS.length * METRICS.length} series in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const rdb = openHistory(file, 'read');
  try {
    const series = historySeries(rdb, { metrics: CHANGE_METRICS });
    const thresholds = noiseThresholds(rdb);
    const times = (f: () => unknown) => Array.from({ length: REPEAT }, () => {
      const s = performance.now();
      f();
      return performance.now() - s;
    }).sort((a, b) => a - b);
    const analysis = times(() => historyChanges(series, { thresholds }));
    const whole = times(() => findChanges(rdb, {}));
    const found = findChanges(rdb, {}).rows;
    const fmt = (t: number[]) => `median ${(t[1] / 1000).toFixed(3)} s (min ${(t[0] / 1000).toFixed(3)}, max ${(t[REPEAT - 1] / 1000).toFixed(3)})`;
    process.stdout.write(`${series.length} series, ${series.reduce((a, s) => a + s.values.length, 0)} points; ${found.length} change points (${series.length * (Math.ceil(RUNS / 1000) - 1)} planted)\n`);
    process.stdout.write(`change-point analysis of the loaded series: ${fmt(analysis)}\n`);
    process.stdout.write(`findChanges (query + analysis + provenance): ${fmt(whole)}\n`);
  } finally {
    closeHistory(rdb);
  }
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
}
