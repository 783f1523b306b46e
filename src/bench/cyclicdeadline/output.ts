/**
 * cyclicdeadline's output, checked like cyclictest's (bench/cyclictest/checks.ts): its --json
 * file (per thread cycles, min, max, avg in us; no histogram) and the -q summary lines it prints
 * at the end ("T: 0 ( 1717) I:4000 C:    501 Min:     14 Act:   57 Avg:   65 Max:    1891").
 * Each latency is its wake-up time minus the start of its period, both read in whole us
 * (CLOCK_MONOTONIC_RAW truncated), so a printed v stands for a true (v - 1, v + 1) us.
 * Its min skips samples of 0: after a 0 the next sample replaces the min, so an avg below the
 * min means a sample was 0 and the min is taken as 0 (with a warning).
 */
import type { LatencyFigures, Warning } from '../../results/types.js';
import { checkThread, figure, refuse } from '../cyclictest/checks.js';
import { fail, lineOf, parseJson, str } from '../cyclictest/common.js';
import { jsonThreadFigures, jsonThreads } from '../cyclictest/json.js';
import { latencyFromCyclictest, type CyclictestThread } from '../cyclictest/result.js';

export interface CyclicdeadlineJson {
  latency: LatencyFigures;
  warnings: Warning[];
  /** Each thread's min as written (before a 0 sample is allowed for). */
  printedMin: Map<number, number>;
  version: string | null;
  startTime: string | null;
  endTime: string | null;
}

/** One thread of the -q summary, as printed (us; Avg truncated). */
export interface SummaryLine {
  thread: number;
  tid: number;
  intervalUs: number;
  cycles: number;
  min: number;
  act: number;
  avg: number;
  max: number;
}

interface JsonThread {
  cycles?: unknown;
  min?: unknown;
  max?: unknown;
  avg?: unknown;
}

/** Parses cyclicdeadline's --json file; `periodsUs` are the threads' periods (it does not write them). */
export function parseCyclicdeadlineJson(text: string, file: string, periodsUs: number[]): CyclicdeadlineJson {
  const doc = parseJson(text, file);
  if (!doc || typeof doc !== 'object' || typeof doc.thread !== 'object' || doc.thread === null || Array.isArray(doc.thread))
    fail(file, 1, 'not a cyclicdeadline --json file (no "thread" object)');
  const unitNs = doc.resolution_in_ns === 1 ? 1 : 1000;
  const warnings: Warning[] = [];
  const threads: CyclictestThread[] = [];
  const printedMin = new Map<number, number>();
  for (const { key: k, t, place } of jsonThreads<JsonThread>(text, file, doc)) {
    const figures = jsonThreadFigures(file, t, place, unitNs);
    const { cycles, max, avg } = figures;
    let min = figures.min;
    const n = Number(k);
    printedMin.set(n, min);
    if (n >= periodsUs.length) refuse(file, place.at('cycles'), `thread ${k}, but ${periodsUs.length} threads ran`);
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${k} recorded no samples` });
      continue;
    }
    if (avg < min && avg <= max) {
      warnings.push({ code: 'cyclicdeadline-min-zero', message: `thread ${k}: avg ${avg} us is below the min ${min} us: a sample was 0 us (cyclicdeadline's min skips those), min taken as 0` });
      min = 0;
    }
    const thread: CyclictestThread = { thread: n, cpu: null, intervalNs: periodsUs[n] * 1000, bins: [], cycles, min, max, mean: { exact: avg }, range: null };
    checkThread(file, thread, unitNs, (f) => place.at(typeof f === 'string' ? f : 'cycles'));
    threads.push(thread);
  }
  if (threads.length === 0) fail(file, lineOf(text, '"thread"'), 'no thread recorded any samples');
  const built = latencyFromCyclictest(threads, unitNs);
  const own = built.warnings.map((w) =>
    w.code === 'no-histogram' ? { code: 'no-histogram', message: 'cyclicdeadline keeps no histogram: count, min, mean and max are exact, percentiles are not available' } : w,
  );
  return {
    latency: built.latency,
    warnings: [...warnings, ...own],
    printedMin,
    version: str(doc['rt_test_version:'] ?? doc.rt_test_version),
    startTime: str(doc.start_time),
    endTime: str(doc.end_time),
  };
}

const SUMMARY = /^T:\s*(\d+) \(\s*(\d+)\) I:(\d+) C:\s*(\d+) Min:\s*(\S+) Act:\s*(\S+) Avg:\s*(\S+) Max:\s*(\S+)$/;

/** The -q summary lines of cyclicdeadline's stdout, their numbers checked; other lines are skipped. */
export function parseCyclicdeadlineSummary(text: string, file: string): SummaryLine[] {
  const out: SummaryLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = SUMMARY.exec(raw.trim());
    if (!m) return;
    const at = (field: string) => () => ({ line: i + 1, field: `T:${m[1]} ${field}` });
    const [thread, tid, intervalUs, cycles] = [m[1], m[2], m[3], m[4]].map((v, j) => figure(file, at(['T', 'pid', 'I', 'C'][j]), Number(v), 'count', 1, v));
    const [min, act, avg, max] = [m[5], m[6], m[7], m[8]].map((v, j) => figure(file, at(['Min', 'Act', 'Avg', 'Max'][j]), Number(v), 'latency', 1000, v));
    out.push({ thread, tid, intervalUs, cycles, min, act, avg, max });
  });
  return out;
}

/**
 * Where the summary and the JSON disagree (cycles, max, the min as printed, avg truncated), as
 * warnings: both are cyclicdeadline's, written from the same counters at its end.
 */
export function summaryMismatch(summary: SummaryLine[], json: CyclicdeadlineJson): Warning[] {
  const out: string[] = [];
  for (const th of json.latency.threads) {
    const s = summary.find((x) => x.thread === th.thread);
    if (!s) {
      out.push(`thread ${th.thread}: no summary line`);
      continue;
    }
    const h = th.histogram;
    const avg = h.sum / h.count / 1000;
    if (s.cycles !== h.count) out.push(`thread ${th.thread}: cycles ${s.cycles} printed, ${h.count} in the JSON`);
    if (s.max * 1000 !== h.max) out.push(`thread ${th.thread}: max ${s.max} us printed, ${h.max / 1000} us in the JSON`);
    if (s.min !== json.printedMin.get(th.thread)) out.push(`thread ${th.thread}: min ${s.min} us printed, ${json.printedMin.get(th.thread)} us in the JSON`);
    if (Math.abs(s.avg - Math.floor(avg)) > 1) out.push(`thread ${th.thread}: avg ${s.avg} us printed, ${avg.toFixed(2)} us in the JSON`);
  }
  return out.length ? [{ code: 'cyclicdeadline-output-mismatch', message: `its summary lines and its JSON disagree: ${out.join('; ')}` }] : [];
}
