/** `unilat history` itself, imported by its command definition only when the command runs. */
import { listRuns, openHistory, trend } from '../results/history.js';
import { visible } from '../text.js';
import type { Args } from './history.js';
import { DEFAULT_HISTORY_DB } from './history.js';

function fmt(v: number, metric: string): string {
  if (metric === 'count') return String(v);
  return v < 10_000 ? `${+v.toFixed(1)} ns` : `${+(v / 1000).toFixed(2)} us`;
}

function table(head: string[], cells: string[][]): string {
  // Names come from records, which anyone may have written: no control codes to the terminal.
  const rows = cells.map((r) => r.map((c) => visible(c, false)));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

export async function handler(a: Args): Promise<void> {
  const file = a.db ?? DEFAULT_HISTORY_DB;
  const db = openHistory(file, 'read');
  try {
    if (a.metric) {
      const points = trend(db, { metric: a.metric, scenario: a.scenario, host: a.host, limit: a.limit });
      if (!points.length) {
        process.stdout.write(`no ${a.metric} figures recorded${a.scenario ? ` for scenario ${a.scenario}` : ''}\n`);
        return;
      }
      const rows = points.map((p) => [p.startedAt, p.runId, `${p.benchmark}/${p.deployment}@${p.host}`, fmt(p.value, a.metric!), p.status, p.gatesPassed === null ? '-' : p.gatesPassed ? 'pass' : 'FAIL']);
      process.stdout.write(`${table(['started', 'run', 'group', a.metric, 'status', 'gates'], rows)}\n`);
    } else {
      const runs = listRuns(db, { scenario: a.scenario, host: a.host, limit: a.limit });
      const rows = runs.map((r) => [
        r.startedAt,
        r.id,
        r.scenario,
        r.incomplete ? 'INCOMPLETE (running or killed)' : r.status,
        r.gatesPassed === null ? '-' : r.gatesPassed ? 'pass' : 'FAIL',
        r.hosts.join(','),
        r.dir ?? '',
      ]);
      process.stdout.write(runs.length ? `${table(['started', 'run', 'scenario', 'status', 'gates', 'hosts', 'folder'], rows)}\n` : 'no runs recorded\n');
    }
  } finally {
    db.close();
  }
}

