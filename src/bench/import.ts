/**
 * Import of cyclictest's own output files and rtla timerlat hist's, each giving one LatencyResult
 * per file; the parsers, one per format, are in cyclictest/ and timerlat/ and give figures,
 * summarized here (stats/summary.ts):
 *  - `--json=FILE` (per-thread histograms, cycles, min/max/avg),
 *  - `-h`/`-H` histogram text (stdout or --histfile), with its footer lines,
 *  - `-v` verbose per-sample lines ("%8d:%8lu:%8ld" = thread:cycle:latency), streamed;
 *  - `rtla timerlat hist` stdout: IRQ and thread (and user) columns per CPU (timerlat/output.ts).
 * Bad input throws InputError with "FILE:LINE: what is wrong".
 */
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AppliedConfig, CompletedLatencyResult } from '../results/types.js';
import { InputError } from '../errors.js';
import { summarizeLatency } from '../stats/summary.js';
import { parseCyclictestCmdline } from './cyclictest/args.js';
import { fail, type ImportFormat, type ImportedFile, type ImportMeta, type ImportOptions, type ParsedFile } from './cyclictest/common.js';
import { parseCyclictestHistogram } from './cyclictest/histogram.js';
import { parseCyclictestJson } from './cyclictest/json.js';
import { importVerbose } from './cyclictest/verbose.js';
import { DEFAULT_SPIKE_THRESHOLD_NS } from './cyclictest/result.js';
import { parseTimerlatFile, timerlatResult } from './timerlat/output.js';

export type { ImportFormat, ImportedFile, ImportMeta, ImportOptions, ParsedFile } from './cyclictest/common.js';
export { parseCyclictestHistogram, parseCyclictestJson, importVerbose };

// ---------------------------------------------------------------------------------------------
// Format detection

/** Looks at the first few KiB of a file. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  let head: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(8192);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.toString('latin1', 0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    fail(file, null, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return detectFormatOf(head, file);
}

export function detectFormatOf(head: string, file = '<input>'): ImportFormat {
  if (/^# RTLA timerlat histogram\s*$/m.test(head) || /^Index(\s+(IRQ|Thr|Usr)-\d+)+\s*$/m.test(head)) return 'rtla-timerlat-hist';
  if (/^\s*\{/.test(head)) return 'cyclictest-json';
  if (/^# Histogram\s*$/m.test(head) || /^\d{6} \d+/m.test(head)) return 'cyclictest-histogram';
  if (/^\s*\d+:\s*\d+:\s*-?\d+\s*$/m.test(head) || /^Thread \d+ Interval: /m.test(head) || /^Max CPUs = /m.test(head))
    return 'cyclictest-verbose';
  if (head.length === 0) fail(file, null, 'empty file');
  fail(file, 1, 'not a cyclictest output (expected --json, -h histogram or -v verbose output) nor rtla timerlat hist output');
}

/** Imports one file of any supported format. */
export async function importFile(file: string, opts: ImportOptions = {}): Promise<ImportedFile> {
  const parsed = await parseFile(file, opts);
  // rtla's IRQ and thread columns: the result's summary is the thread context's (timerlat/output.ts).
  return { ...parsed, latency: parsed.format === 'rtla-timerlat-hist' ? timerlatResult(parsed.latency) : summarizeLatency(parsed.latency) };
}

async function parseFile(file: string, opts: ImportOptions): Promise<ParsedFile> {
  const format = await detectFormat(file);
  if (format === 'cyclictest-verbose') return importVerbose(file, opts);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    fail(file, null, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (format === 'rtla-timerlat-hist') return parseTimerlatFile(text, file, opts.spikeThresholdNs ?? DEFAULT_SPIKE_THRESHOLD_NS);
  return format === 'cyclictest-json' ? parseCyclictestJson(text, file, opts) : parseCyclictestHistogram(text, file, opts);
}

/** What names an import's results: each defaults as documented in `unilat import --help`. */
export interface ImportNames {
  /** Deployment (default "imported"). */
  deployment?: string;
  /** Benchmark (default: each file's base name). */
  benchmark?: string;
  /** Host (default: the JSON's nodename, else "imported"). */
  host?: string;
}

/**
 * Imports files into completed results (one per file, each repetition 1: an import is a
 * measurement, not a warm-up), named by `names` or after the file: deployment "imported",
 * benchmark the file's base name, host the JSON's nodename when known. All files' problems are
 * reported together.
 */
export async function importFiles(files: string[], opts: ImportOptions & ImportNames & { name?: string } = {}): Promise<CompletedLatencyResult[]> {
  const problems: string[] = [];
  const out: CompletedLatencyResult[] = [];
  let order = 0;
  for (const file of files) {
    try {
      const imp = await importFile(file, opts);
      const benchmark = opts.benchmark ?? opts.name ?? basename(file).replace(/\.[^.]*$/, '');
      out.push(toResult(imp, { deployment: opts.deployment, benchmark, host: opts.host, order: order++ }));
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

export function toResult(imp: ImportedFile, key: { deployment?: string; benchmark: string; host?: string; order: number; repetition?: number }): CompletedLatencyResult {
  const now = new Date().toISOString();
  const ts = (s: string | null) => {
    const d = s ? new Date(s) : null;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString() : now;
  };
  return {
    kind: imp.format === 'rtla-timerlat-hist' ? 'timerlat' : 'cyclictest',
    status: 'completed',
    deployment: key.deployment ?? 'imported',
    benchmark: key.benchmark,
    host: key.host ?? imp.meta.host ?? 'imported',
    repetition: key.repetition ?? 1,
    order: key.order,
    startedAt: ts(imp.meta.startTime),
    endedAt: ts(imp.meta.endTime),
    warnings: imp.warnings,
    applied: appliedFromCmdline(imp.meta),
    latency: imp.latency,
    context: { import: { file: imp.file, format: imp.format, ...imp.meta } },
  };
}

/**
 * How the imported cyclictest ran, as its stored command line (JSON "cmdline:") says: policy,
 * priority, interval, distance, affinity, mlockall, cpu_dma_latency; threads as the file holds
 * them. null when the file has no command line (-h and -v output).
 */
export function appliedFromCmdline(meta: ImportMeta): AppliedConfig | null {
  if (!meta.cmdline) return null;
  const c = parseCyclictestCmdline(meta.cmdline);
  return {
    mode: 'cyclictest',
    policy: c.policy,
    priority: c.priority ?? 0,
    threads: meta.threads,
    intervalNs: c.intervalUs * 1000,
    distanceNs: c.distanceUs * 1000,
    affinity: c.affinity ?? [],
    mlockall: c.mlockall,
    dmaLatency: c.dmaLatency,
    // What cyclictest reports in: whole us, or ns with -N (as a run of the cyclictest benchmark records it).
    clockResolutionNs: c.nsecs ? 1 : 1000,
    probeVersion: `cyclictest ${meta.version ?? '?'}`,
  };
}
