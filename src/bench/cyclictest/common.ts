/**
 * What the cyclictest importers share: the imported file's shape, options, and "FILE:LINE: what
 * is wrong" errors.
 */
import { InputError } from '../../errors.js';
import type { LatencyFigures, LatencyResult, Warning } from '../../results/types.js';

export type ImportFormat = 'cyclictest-json' | 'cyclictest-histogram' | 'cyclictest-verbose' | 'rtla-timerlat-hist';

export interface ImportMeta {
  tool: 'cyclictest' | 'rtla';
  version: string | null;
  cmdline: string | null;
  startTime: string | null;
  endTime: string | null;
  threads: number;
  /** The measured machine's name, when the file says (JSON sysinfo.nodename). */
  host: string | null;
  /** Histogram range in the tool's unit; null when there was none. */
  histogramRange: number | null;
  unit: 'us' | 'ns';
  /** Cycle numbers of the overflows cyclictest listed, per thread (it lists at most `range` of them). */
  overflowCycles?: Record<number, number[]>;
  /** Verbose: samples read, and cycle-number gaps (oscilloscope mode or lost lines). */
  samples?: number;
  cycleGaps?: number;
}

/** One file as its parser read it: latency figures, no summaries yet. */
export interface ParsedFile {
  file: string;
  format: ImportFormat;
  latency: LatencyFigures;
  warnings: Warning[];
  meta: ImportMeta;
}

/** A parsed file with its summaries (stats/summary.ts): what bench/import.ts gives. */
export interface ImportedFile extends Omit<ParsedFile, 'latency'> {
  latency: LatencyResult;
}

export interface ImportOptions {
  /** The file's values are ns (cyclictest -N). JSON files say so in their cmdline. */
  nsecs?: boolean;
  /** Latencies above this (ns) are spikes: kept (verbose, up to maxSpikes) or counted (from a histogram). Default 100 us. */
  spikeThresholdNs?: number;
  /** Verbose: at most this many spikes are kept; the rest are counted. */
  maxSpikes?: number;
}

/** A file's meta: what the format does not say is null. Keys in one order for every format. */
export function importMeta(
  m: Pick<ImportMeta, 'threads' | 'histogramRange' | 'unit'> & Partial<Pick<ImportMeta, 'version' | 'cmdline' | 'startTime' | 'endTime' | 'host'>>,
  extra: Pick<ImportMeta, 'overflowCycles' | 'samples' | 'cycleGaps'> = {},
): ImportMeta {
  const { version = null, cmdline = null, startTime = null, endTime = null, host = null } = m;
  return { tool: 'cyclictest', version, cmdline, startTime, endTime, threads: m.threads, host, histogramRange: m.histogramRange, unit: m.unit, ...extra };
}

export function fail(file: string, line: number | null, what: string): never {
  throw new InputError(located(file, line, what));
}

/** "FILE:LINE: what", or "FILE: what" when the line is not known. */
export function located(file: string, line: number | null, what: string): string {
  return `${file}${line !== null ? `:${line}` : ''}: ${what}`;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function lineAt(text: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export function lineOf(text: string, needle: string): number | null {
  const i = text.indexOf(needle);
  return i < 0 ? null : lineAt(text, i);
}

/** A tool's JSON file parsed; not JSON is "FILE:LINE: not valid JSON" (the line where the parser says). */
export function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    fail(file, m ? lineAt(text, Number(m[1])) : null, `not valid JSON (${(e as Error).message})`);
  }
}
