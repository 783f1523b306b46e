/** cyclictest's `--json` output. */
import { shortNumber } from '../../results/plausible.js';
import type { Warning } from '../../results/types.js';
import { parseCyclictestCmdline } from './args.js';
import { parsedCyclictest, type CyclictestThread } from './result.js';
import { checkThread, figure, refuse, type Place } from './checks.js';
import { fail, importMeta, lineAt, lineOf, parseJson, str, type ImportOptions, type ParsedFile } from './common.js';

// ---------------------------------------------------------------------------------------------
// --json

/** One thread as the file may hold it: every field is checked before use. */
interface JsonThread {
  histogram?: Record<string, unknown>;
  cycles?: unknown;
  min?: unknown;
  max?: unknown;
  avg?: unknown;
  cpu?: unknown;
}

/** Parses cyclictest's `--json` output. */
export function parseCyclictestJson(text: string, file = '<json>', opts: Pick<ImportOptions, 'spikeThresholdNs'> = {}): ParsedFile {
  const doc = parseJson(text, file);
  if (!doc || typeof doc !== 'object' || typeof doc.thread !== 'object' || doc.thread === null)
    fail(file, 1, 'not a cyclictest --json file (no "thread" object)');
  // cyclictest 2.x writes these keys with a stray colon ("cmdline:").
  const cmdline = str(doc['cmdline:'] ?? doc.cmdline);
  const info = cmdline ? parseCyclictestCmdline(cmdline) : null;
  const nsecs = info?.nsecs ?? false;
  const unitNs = nsecs ? 1 : 1000;
  if (info) {
    const at = (opt: string) => () => ({ line: lineOf(text, '"cmdline'), field: `cmdline ${opt}` });
    figure(file, at('-i'), info.intervalUs, 'latency', 1000);
    figure(file, at('-d'), info.distanceUs, 'latency', 1000);
    if (info.histogramUs !== null) figure(file, at('-h'), info.histogramUs, 'latency', unitNs);
  }
  const entries = jsonThreads<JsonThread>(text, file, doc);
  const threads: CyclictestThread[] = [];
  const warnings: Warning[] = [];
  for (const { key: k, t, place } of entries) {
    const at = (f: string) => () => place.at(f);
    const { cycles, min, max, avg } = jsonThreadFigures(file, t, place, unitNs);
    // cyclictest writes -1 for a thread it did not pin.
    const cpu = t.cpu === undefined || t.cpu === -1 ? null : figure(file, at('cpu'), t.cpu, 'count', 1);
    const hist = t.histogram ?? {};
    if (typeof hist !== 'object' || hist === null || Array.isArray(hist)) fail(file, place.at('histogram').line, `thread.${k}.histogram: not an object`);
    const bins: Array<[number, number]> = [];
    for (const [v, c] of Object.entries(hist)) {
      const bin = () => ({ ...place.at(`histogram.${v}`, 'histogram'), field: `thread.${k}.histogram.${shortNumber(v)}` });
      if (!/^\d+$/.test(v)) refuse(file, bin(), `"${v}" is not a whole number of ${nsecs ? 'ns' : 'us'}`);
      bins.push([figure(file, bin, Number(v), 'latency', unitNs, v), figure(file, bin, c, 'count', 1)]);
    }
    bins.sort((a, b) => a[0] - b[0]);
    // With -h the histogram object is always there (possibly empty when every sample overflowed).
    const range = info?.histogramUs ?? (bins.length ? bins[bins.length - 1][0] + 1 : null);
    const n = Number(k);
    const thread: CyclictestThread = {
      thread: n,
      cpu,
      intervalNs: info ? (info.intervalUs + n * info.distanceUs) * 1000 : NaN,
      bins,
      cycles,
      min,
      max,
      mean: { exact: avg },
      range,
    };
    checkThread(file, thread, unitNs, (f) => (typeof f === 'string' ? place.at(f) : place.at(`histogram.${f.bin}`, 'histogram')));
    if (!info?.histogramUs && bins.length && bins.reduce((s, [, c]) => s + c, 0) < cycles)
      warnings.push({ code: 'histogram-range-guessed', message: `thread ${k}: histogram range not in cmdline; taken as ${range} (highest bin + 1)` });
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${k} recorded no samples` });
      continue;
    }
    threads.push(thread);
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
  return parsedCyclictest(file, 'cyclictest-json', threads, unitNs, warnings, meta, opts.spikeThresholdNs);
}

/** The "thread" object's entries in thread order, each a numbered object with its place in the file; num_threads must count them. */
export function jsonThreads<T>(text: string, file: string, doc: Record<string, unknown>): Array<{ key: string; t: T; place: ThreadPlace }> {
  const entries = Object.entries(doc.thread as Record<string, T>).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (entries.length === 0) fail(file, lineOf(text, '"thread"'), 'no threads in "thread"');
  if (doc.num_threads !== undefined) {
    const at = () => ({ line: lineOf(text, '"num_threads"'), field: 'num_threads' });
    const n = figure(file, at, doc.num_threads, 'count', 1);
    if (n !== entries.length) refuse(file, at(), `${n}, but "thread" holds ${entries.length} threads`);
  }
  const places = threadPlaces(text, entries.map(([k]) => k));
  return entries.map(([key, t]) => {
    const place = places.get(key)!;
    if (!/^\d+$/.test(key)) fail(file, place.line(), `thread key "${key}" is not a number`);
    if (typeof t !== 'object' || t === null || Array.isArray(t)) fail(file, place.line(), `thread.${key}: not an object`);
    return { key, t, place };
  });
}

/** A thread's cycles, min, max and avg, each a plausible figure in the file's unit. */
export function jsonThreadFigures(file: string, t: { cycles?: unknown; min?: unknown; max?: unknown; avg?: unknown }, place: ThreadPlace, unitNs: number): { cycles: number; min: number; max: number; avg: number } {
  const at = (f: string) => () => place.at(f);
  return {
    cycles: figure(file, at('cycles'), t.cycles, 'count', 1),
    min: figure(file, at('min'), t.min, 'latency', unitNs),
    max: figure(file, at('max'), t.max, 'latency', unitNs),
    avg: figure(file, at('avg'), t.avg, 'mean', unitNs),
  };
}

/** Where one thread's fields stand in the file (found only when a message needs it). */
export interface ThreadPlace {
  /** The line of the thread's own key. */
  line(): number | null;
  /** The line of the last key of `path` inside the thread's object (inside `within` first), named by its JSON path. */
  at(path: string, within?: string): Place;
}

/** The places of the threads `keys` of the file's "thread" object. */
export function threadPlaces(text: string, keys: string[]): Map<string, ThreadPlace> {
  const from = Math.max(0, text.indexOf('"thread"'));
  const starts = keys.map((k) => {
    const re = new RegExp(`"${k.replace(/\W/g, '\\$&')}"\\s*:\\s*\\{`, 'g');
    re.lastIndex = from;
    return re.exec(text)?.index ?? -1;
  });
  const out = new Map<string, ThreadPlace>();
  keys.forEach((k, i) => {
    const start = starts[i];
    const end = Math.min(text.length, ...starts.filter((o) => o > start));
    const find = (key: string, after: number) => {
      const p = after < 0 ? -1 : text.indexOf(`"${key}"`, after);
      return p < end ? p : -1;
    };
    const line = () => (start < 0 ? null : lineAt(text, start));
    out.set(k, {
      line,
      at(path, within) {
        const p = find(path.split('.').at(-1)!, within ? find(within, start) : start);
        return { line: p >= 0 ? lineAt(text, p) : line(), field: `thread.${k}.${path}` };
      },
    });
  });
  return out;
}
