/** `unilat compare` itself, imported by its command definition only when the command runs. */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { GateFailedError, InputError } from '../errors.js';
import { renderComparisonMarkdown } from '../report/compare-md.js';
import { openHistory, type History } from '../results/history.js';
import { compare } from '../run/compare.js';
import { historyFile } from './history-db.js';
import type { Args } from './compare.js';

export async function handler(a: Args): Promise<void> {
  const single = a.baseline !== undefined || a.deployments !== undefined;
  if (a.runs.length !== (single ? 1 : 2))
    throw new InputError(single ? 'give one run (the candidate) with --baseline or --deployments' : 'give two runs: BASELINE CANDIDATE (or CANDIDATE --baseline last-good)');
  if (a.threshold !== undefined && !(a.threshold >= 0 && a.threshold < 1)) throw new InputError(`--threshold ${a.threshold}: give a fraction like 0.05`);
  // Checked before any work: writing into a missing folder would fail on a temporary file's name.
  for (const [flag, folder] of [['--out', a.out], ['--junit', a.junit && dirname(a.junit)]] as const)
    if (folder && !(existsSync(folder) && statSync(folder).isDirectory())) throw new InputError(`${flag}: ${folder} is not a folder (create it first)`);
  let deployments: [string, string] | undefined;
  if (a.deployments !== undefined) {
    const [base, cand, ...rest] = a.deployments.split(',').map((s) => s.trim());
    if (!base || !cand || rest.length) throw new InputError(`--deployments ${a.deployments}: give two names, BASE,CAND`);
    deployments = [base, cand];
  }
  const dbFile = historyFile(a.db, a.runs);
  let db: History | undefined;
  try {
    const o = await compare({
      candidate: a.runs[single ? 0 : 1],
      baseline: deployments ? undefined : (a.baseline ?? a.runs[0]),
      deployments,
      db: () => {
        if (!existsSync(dbFile)) throw new InputError(`${dbFile}: no history database (give --db, or run folders instead of ids)`);
        return (db ??= openHistory(dbFile, 'read'));
      },
      dbFile,
      threshold: a.threshold,
      ignoreHost: a.ignoreHost,
      seed: a.seed,
      out: a.out,
      junit: a.junit,
    });
    const c = o.comparison;
    if (!c) {
      // No earlier good run (a nightly job's first night): nothing compared, nothing failed.
      const lines = o.skipped.length ? o.skipped.map((g) => `gate skip: ${g.gate} (${g.detail})`) : [`compare skip: ${o.reason}`];
      process.stdout.write(`${lines.join('\n')}\n${o.written.length ? `wrote ${o.written.join(', ')}\n` : ''}`);
      return;
    }
    process.stdout.write(`${renderComparisonMarkdown(c)}\nwrote ${o.written.join(', ')}\n`);
    if (c.regressions.length)
      throw new GateFailedError(`${c.regressions.length} gated regression(s), Holm-corrected per group pair: ${c.regressions.map((r) => `${r.key} ${r.metric} x${r.ratio.toFixed(3)}`).join('; ')}`, o.candidateDir ?? undefined);
  } finally {
    db?.close();
  }
}
