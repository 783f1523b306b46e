/** cyclictest's `--json` output. */
import type { Warning } from '../../results/types.js';
import { parseCyclictestCmdline } from './args.js';
import { parsedCyclictest, type CyclictestThread } from './result.js';
import { fail, importMeta, lineAt, lineOf, str, type ParsedFile } from './common.js';

// ---------------------------------------------------------------------------------------------
// --json

interface JsonThread {
  histogram?: Record<string, number>;
  cycles?: number;
  min?: number;
  max?: number;
  avg?: number;
  cpu?: number;
}

/** Parses cyclictest's `--json` output. */
export function parseCyclictestJson(text: string, file = '<json>'): ParsedFile {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? lineAt(text, Number(m[1])) : null;
    fail(file, line, `not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || typeof doc.thread !== 'object' || doc.thread === null)
    fail(file, 1, 'not a cyclictest --json file (no "thread" object)');
  // cyclictest 2.x writes these keys with a stray colon ("cmdline:").
  const cmdline = str(doc['cmdline:'] ?? doc.cmdline);
  const info = cmdline ? parseCyclictestCmdline(cmdline) : null;
  const nsecs = info?.nsecs ?? false;
  const unitNs = nsecs ? 1 : 1000;
  const entries = Object.entries(doc.thread as Record<string, JsonThread>).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (entries.length === 0) fail(file, lineOf(text, '"thread"'), 'no threads in "thread"');
  const threads: CyclictestThread[] = [];
  const warnings: Warning[] = [];
  for (const [k, t] of entries) {
    const where = lineOf(text, `"${k}": {`);
    if (!/^\d+$/.test(k)) fail(file, where, `thread key "${k}" is not a number`);
    for (const f of ['cycles', 'min', 'max', 'avg'] as const)
      if (typeof t?.[f] !== 'number' || !Number.isFinite(t[f])) fail(file, where, `thread ${k}: "${f}" is missing or not a number`);
    const bins: Array<[number, number]> = [];
    for (const [v, c] of Object.entries(t.histogram ?? {})) {
      if (!/^\d+$/.test(v) || typeof c !== 'number' || !(c >= 0)) fail(file, where, `thread ${k}: bad histogram entry "${v}": ${JSON.stringify(c)}`);
      bins.push([Number(v), c]);
    }
    bins.sort((a, b) => a[0] - b[0]);
    const inRange = bins.reduce((s, [, c]) => s + c, 0);
    const cycles = t.cycles!;
    if (inRange > cycles) fail(file, where, `thread ${k}: histogram holds ${inRange} samples but cycles is ${cycles}`);
    // With -h the histogram object is always there (possibly empty when every sample overflowed).
    const range = info?.histogramUs ?? (bins.length ? bins[bins.length - 1][0] + 1 : null);
    if (!info?.histogramUs && bins.length && inRange < cycles)
      warnings.push({ code: 'histogram-range-guessed', message: `thread ${k}: histogram range not in cmdline; taken as ${range} (highest bin + 1)` });
    const n = Number(k);
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${k} recorded no samples` });
      continue;
    }
    threads.push({
      thread: n,
      cpu: typeof t.cpu === 'number' && t.cpu >= 0 ? t.cpu : null,
      intervalNs: info ? (info.intervalUs + n * info.distanceUs) * 1000 : NaN,
      bins,
      cycles,
      min: t.min!,
      max: t.max!,
      mean: { exact: t.avg! },
      range,
    });
  }
  if (threads.length === 0) fail(file, lineOf(text, '"thread"'), 'no thread recorded any samples');
  const meta = importMeta({
    version: str(doc['rt_test_version:'] ?? doc.rt_test_version),
    cmdline,
    startTime: str(doc.start_time),
    endTime: str(doc.end_time),
    threads: entries.length,
    host: str((doc.sysinfo as Record<string, unknown> | undefined)?.nodename),
    histogramRange: threads[0]?.range ?? null,
    unit: nsecs ? 'ns' : 'us',
  });
  return parsedCyclictest(file, 'cyclictest-json', threads, unitNs, warnings, meta);
}

