/**
 * The probe protocol (docs/protocol.md): a streaming line parser and the assembler that turns
 * one probe run's messages into run-record pieces: histograms, series, spikes and per-batch op
 * figures, no summaries (stats/summary.ts computes those). Everything here is pure apart from
 * the parser's own buffer; nothing talks to a host.
 */
import { StringDecoder } from 'node:string_decoder';
import { BUCKETS, bucketOf, type HistogramData, type SparseBins } from '../results/histogram.js';
import { figureProblem, isLatency, orderProblem, type FigureKind } from '../results/plausible.js';
import type { AppliedConfig, LatencyFigures, OpFigures, SeriesPoint, Spike, ThreadFigures, TscState, Warning } from '../results/types.js';

export const MARKER = '@@UNILAT ';
/** How many non-protocol lines the parser keeps for error messages. */
export const NOISE_LINES = 50;
/** The most points a thread's series keeps: every second of a run up to an hour; a longer run's seconds are merged (appendSeries). */
export const SERIES_MAX_POINTS = 3600;
/** Progress lines the parser keeps of a run: its first and its last this many; the ones between are counted (an `elided` message). */
export const PROGRESS_KEPT = 10;

// ---- message types ----

export interface ThreadInfo {
  thread: number;
  tid: number;
  cpu: number | null;
  policy: string;
  priority: number;
  intervalNs: number;
}

/**
 * What a hello says in the run record's own terms, kept as it is by appliedFromHello: the
 * threads' setup, clock resolution, kernel, and the kernel's vulnerabilities and mitigations=
 * (each with why it is null or incomplete).
 */
type HelloApplied = Pick<
  AppliedConfig,
  'threads' | 'intervalNs' | 'distanceNs' | 'affinity' | 'mlockall' | 'dmaLatency' | 'clockResolutionNs' | 'kernel' | 'vulnerabilities' | 'vulnerabilitiesReason' | 'mitigations' | 'mitigationsReason'
>;

export interface HelloMessage extends HelloApplied {
  type: 'hello';
  mode: 'cyclic' | 'syscall';
  version: string;
  protocol: number;
  pid: number;
  uid: number;
  requested: { policy: string; priority: number };
  /** Policy the threads really got ('mixed' if they differ; see threadInfo). */
  policy: string;
  priority: number;
  loopOverheadNs: number;
  kernelVersion?: string;
  machine?: string;
  preempt?: string | null;
  uptimeS: number | null;
  realtime: number | string | null;
  isolatedCpus?: string | null;
  cpus: number;
  timerSlackNs?: number;
  histogram: { layout: 'loglin7'; buckets?: number };
  // cyclic
  durationMs?: number;
  loops?: number;
  spikeThresholdNs?: number;
  raw?: boolean;
  threadInfo?: ThreadInfo[];
  deadlineParams?: { runtimeNs: number; deadlineNs: number; periodNs: number };
  // syscall
  cpu?: number | null;
  batches?: number;
  warmup?: number;
  batch?: number;
  ops?: string[];
  tsc?: TscState;
}

export interface WarningMessage {
  type: 'warning';
  code: string;
  message: string;
}

export interface ProgressMessage {
  type: 'progress';
  elapsedMs: number;
  totalMs: number;
  samples: number;
}

export interface HistMessage {
  type: 'hist';
  thread: number;
  cpu: number | null;
  intervalNs: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  sumSq: number;
  /** Periods skipped because a wake-up came after the next period had begun. */
  overruns?: number;
  /** Samples at or beyond 2^41 ns (in the last bucket). */
  overflows?: number;
  /** Wake-ups before the start of their period (deadline) or the end of their sleep, recorded as 0. */
  early?: number;
  /** Clock reads of the thread that were smaller than its previous read (a broken clock). */
  clockBackwards?: number;
  bins: SparseBins;
}

/** [second, count, min, max, sum] */
export type SeriesRow = [number, number, number, number, number];

export interface SeriesMessage {
  type: 'series';
  thread: number;
  points: SeriesRow[];
  dropped?: number;
  /**
   * Set by the parser, never by the probe: the seconds each point spans (absent: 1) and the
   * protocol lines this message stands for (absent: 1), once it has merged a thread's series lines.
   */
  seconds?: number;
  lines?: number;
}

export interface SpikesMessage {
  type: 'spikes';
  thread: number;
  threshold: number;
  /** [tNs since start, latencyNs] */
  points: Array<[number, number]>;
  dropped: number;
}

export interface RawMessage {
  type: 'raw';
  thread: number;
  values: number[];
  dropped?: number;
}

export interface OpMessage {
  type: 'op';
  name: string;
  iterations: number;
  samples: number[];
  /** TSC ticks per op, one per batch; only when hello.tsc.measured. */
  cycles?: number[];
}

export interface DoneMessage {
  type: 'done';
  mode: 'cyclic' | 'syscall';
  samples: number;
  lines: number;
  exit: number;
}

/** Script mode: a step that failed before it could start (bad arguments, ...). */
export interface ErrorMessage {
  type: 'error';
  step: number;
  message: string;
  exit: number;
}

/** Script mode with --wait: the probe blocks for its script (a snapshot guest's save point). */
export interface ReadyMessage {
  type: 'ready';
  /** The device it reads the script from. */
  wait: string;
}

/** `unilat-probe tsc`: the TSC rate, where it is invariant. */
export interface TscMessage {
  type: 'tsc';
  invariant: boolean;
  khz: number | null;
  reason: string | null;
}

/** Script mode: the script ran to its end (the guest powers off next). */
export interface EndMessage {
  type: 'end';
  steps: number;
  failed: number;
}

/** Set by the parser, never by the probe: `lines` protocol lines of type `of` it counted but did not keep. */
export interface ElidedMessage {
  type: 'elided';
  of: 'progress';
  lines: number;
}

/** A marker line with a type this parser does not know (a newer probe); kept so line counts match. */
export interface UnknownMessage {
  type: 'unknown';
  originalType: string;
  body: Record<string, unknown>;
}

export type ProbeMessage =
  | HelloMessage
  | WarningMessage
  | ProgressMessage
  | HistMessage
  | SeriesMessage
  | SpikesMessage
  | RawMessage
  | OpMessage
  | DoneMessage
  | ErrorMessage
  | ReadyMessage
  | TscMessage
  | EndMessage
  | ElidedMessage
  | UnknownMessage;

const KNOWN_TYPES = new Set(['hello', 'warning', 'progress', 'hist', 'series', 'spikes', 'raw', 'op', 'done', 'error', 'ready', 'tsc', 'end']);

// ---- errors ----

/** A marker line whose JSON does not parse, or that is not a protocol object. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * A complete, well-formed run whose readings the probe itself shows to be wrong (wake-ups before
 * their period, nothing but zeros, a clock that went backwards): no figure of it is reported.
 */
export class InvalidMeasurementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMeasurementError';
  }
}

/** The stream ended before `done`, or `done.lines` disagrees with what arrived. */
export class TruncatedStreamError extends Error {
  constructor(
    message: string,
    /** Last non-protocol lines seen (e.g. a kernel panic), when known. */
    readonly context: string[] = [],
  ) {
    super(context.length ? `${message}\nlast console lines:\n  ${context.slice(-10).join('\n  ')}` : message);
    this.name = 'TruncatedStreamError';
  }
}

// ---- line parsing ----

/**
 * One line to a message: null when the line carries no marker (console noise). The marker may
 * follow other text on the same line (a kernel message without a newline). Throws
 * ProtocolError for a marker line that is not a JSON object with a string `type`.
 */
export function parseLine(line: string): ProbeMessage | null {
  const at = line.indexOf(MARKER);
  if (at < 0) return null;
  // Trailing \r/\n trimmed by char code: an end-anchored regex scans the whole (long) line.
  let end = line.length;
  while (end > at && (line.charCodeAt(end - 1) === 13 || line.charCodeAt(end - 1) === 10)) end--;
  const text = line.slice(at + MARKER.length, end);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError(`probe line is not valid JSON (${(e as Error).message}): ${line}`, line);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
    throw new ProtocolError(`probe line is not an object with a type: ${line}`, line);
  }
  const type = (body as { type: string }).type;
  if (!KNOWN_TYPES.has(type)) return { type: 'unknown', originalType: type, body: body as Record<string, unknown> };
  // The parser's own fields: a stream cannot claim a line stands for others.
  if (type === 'series') {
    const b = body as Record<string, unknown>;
    delete b.seconds;
    delete b.lines;
  }
  return body as ProbeMessage;
}

/**
 * Streaming parser: feed chunks split anywhere (Buffer or string, UTF-8 safe); lines may end
 * in \n or \r\n. Collects messages and remembers the last NOISE_LINES non-protocol lines.
 * push() never throws (it is fed from a stream's data events, where a throw would end the
 * process): a broken protocol line is kept as `error`, the first one, and end() throws it.
 *
 * What it keeps is bounded in the run's length (a day's run is 86 400 progress lines and, per
 * thread, 86 400 series points): of a run's progress lines the first and last PROGRESS_KEPT, the
 * rest counted in an `elided` message between them; a thread's series lines of a run merged into
 * its first one, at most SERIES_MAX_POINTS points (appendSeries). push() still returns every
 * message as it came. Line counts (checkComplete) count what merged and elided messages stand for.
 */
export class ProtocolParser {
  private readonly kept: ProbeMessage[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private readonly noiseLines: string[] = [];
  private failure: ProtocolError | null = null;
  /** Progress lines of the current run so far. */
  private progressSeen = 0;
  /** The latest progress lines past the first PROGRESS_KEPT, not yet in `kept`, and how many before them were dropped. */
  private progressTail: ProgressMessage[] = [];
  private progressElided = 0;
  /** The current run's series message of each thread, that later lines merge into (null: a line failed its checks, no merging). */
  private readonly seriesOf = new Map<number, SeriesMessage | null>();

  /** The messages kept, in stream order. */
  get messages(): ProbeMessage[] {
    this.flushProgress();
    return this.kept;
  }

  /** Adds a chunk; returns the messages completed by it. */
  push(chunk: Buffer | string): ProbeMessage[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: ProbeMessage[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      try {
        this.line(line, out);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.failure ??= e;
      }
    }
    return out;
  }

  /** The first protocol line that did not parse (its message carries the line), or null. */
  get error(): ProtocolError | null {
    return this.failure;
  }

  /**
   * Ends the stream: throws the first broken protocol line (ProtocolError); else a last line
   * without a newline is still parsed, and if it is a protocol line that does not parse, the
   * stream was cut inside it (TruncatedStreamError).
   */
  end(): ProbeMessage[] {
    if (this.failure) throw this.failure;
    const out: ProbeMessage[] = [];
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    if (!rest.length) return out;
    try {
      this.line(rest, out);
    } catch (e) {
      if (e instanceof ProtocolError) {
        throw new TruncatedStreamError(`probe stream truncated inside a protocol line: ${rest.slice(0, 200)}`, this.noise());
      }
      throw e;
    }
    return out;
  }

  /** The last non-protocol lines (oldest first), for error messages. */
  noise(): string[] {
    return [...this.noiseLines];
  }

  private line(raw: string, out: ProbeMessage[]): void {
    let end = raw.length;
    while (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
    const line = end === raw.length ? raw : raw.slice(0, end);
    const msg = parseLine(line);
    if (msg === null) {
      if (line.trim().length) {
        this.noiseLines.push(line);
        if (this.noiseLines.length > NOISE_LINES) this.noiseLines.shift();
      }
      return;
    }
    out.push(msg);
    this.keep(msg);
  }

  private keep(msg: ProbeMessage): void {
    if (msg.type === 'progress') {
      this.progressSeen++;
      if (this.progressSeen <= PROGRESS_KEPT) this.kept.push(msg);
      else {
        this.progressTail.push(msg);
        if (this.progressTail.length > PROGRESS_KEPT) {
          this.progressTail.shift();
          this.progressElided++;
        }
      }
      return;
    }
    this.flushProgress();
    if (msg.type === 'hello') {
      this.progressSeen = 0;
      this.seriesOf.clear();
    }
    if (msg.type === 'series') {
      const into = this.seriesOf.get(msg.thread);
      let fine = true;
      try {
        checkFigures(msg);
      } catch {
        // Kept as it came, for the assembler to refuse with its message.
        fine = false;
      }
      if (fine && into) {
        const merged = { points: into.points, seconds: into.seconds ?? 1 };
        appendSeries(merged, msg.points);
        into.points = merged.points;
        into.seconds = merged.seconds;
        into.lines = (into.lines ?? 1) + 1;
        if (msg.dropped !== undefined) into.dropped = Math.max(into.dropped ?? 0, msg.dropped);
        return;
      }
      if (fine && into === undefined) {
        const first: SeriesMessage = { ...msg, points: [] };
        const merged = { points: first.points, seconds: 1 };
        appendSeries(merged, msg.points);
        first.points = merged.points;
        if (merged.seconds > 1) first.seconds = merged.seconds;
        this.seriesOf.set(msg.thread, first);
        this.kept.push(first);
        return;
      }
      this.seriesOf.set(msg.thread, null);
    }
    this.kept.push(msg);
  }

  private flushProgress(): void {
    if (this.progressElided) this.kept.push({ type: 'elided', of: 'progress', lines: this.progressElided });
    for (const m of this.progressTail) this.kept.push(m);
    this.progressTail = [];
    this.progressElided = 0;
  }
}

/** How many protocol lines a kept message stands for (the parser merges series lines and counts the progress lines it drops). */
export function linesOf(m: ProbeMessage): number {
  return m.type === 'elided' ? m.lines : m.type === 'series' ? (m.lines ?? 1) : 1;
}

/** A point-wise merge of b into a: counts and sums add up, min and max of the seconds that had samples. */
function mergeRow(a: SeriesRow, b: readonly number[]): void {
  if (b[1] === 0) return;
  if (a[1] === 0) {
    a[2] = b[2];
    a[3] = b[3];
  } else {
    if (b[2] < a[2]) a[2] = b[2];
    if (b[3] > a[3]) a[3] = b[3];
  }
  a[1] += b[1];
  a[4] += b[4];
}

/** Adds a row to points of `seconds`-wide buckets, into the last bucket when it falls in it. */
function addRow(points: SeriesRow[], row: readonly number[], seconds: number): void {
  const t = Math.floor(row[0] / seconds) * seconds;
  const last = points[points.length - 1];
  if (last && last[0] === t) mergeRow(last, row);
  else points.push([t, row[1], row[2], row[3], row[4]]);
}

/**
 * Appends a thread's series rows (seconds ascending, each `rowSeconds` wide) to `series`, whose
 * points each span `series.seconds` seconds starting at their own second: exact (one point per
 * second) up to `max` points; past that, adjacent points are merged pairwise and `seconds`
 * doubles, until at most `max` remain. A merged point keeps the count, min, max and sum of its
 * seconds, so the run's extremes survive at any length.
 */
export function appendSeries(series: { points: SeriesRow[]; seconds: number }, rows: readonly (readonly number[])[], rowSeconds = 1, max = SERIES_MAX_POINTS): void {
  const rebucket = (w: number) => {
    const out: SeriesRow[] = [];
    for (const p of series.points) addRow(out, p, w);
    series.points = out;
    series.seconds = w;
  };
  if (rowSeconds > series.seconds) rebucket(rowSeconds);
  for (const r of rows) addRow(series.points, r, series.seconds);
  while (series.points.length > max) rebucket(series.seconds * 2);
}

/** Parses a whole captured stream at once. */
export function parseStream(text: string | Buffer): { messages: ProbeMessage[]; noise: string[] } {
  const p = new ProtocolParser();
  p.push(text);
  p.end();
  return { messages: p.messages, noise: p.noise() };
}

// ---- runs ----

/** One probe invocation: hello ... done (done absent when truncated). */
export interface ProbeRun {
  hello: HelloMessage;
  /** Every message from hello up to and including done. */
  messages: ProbeMessage[];
  done: DoneMessage | null;
}

/**
 * Splits a stream into runs, each starting at a hello (a script writes several). Messages outside
 * any run (script `error`/`end`, anything before the first hello) are returned as `outside`.
 */
export function splitRuns(messages: readonly ProbeMessage[]): { runs: ProbeRun[]; outside: ProbeMessage[] } {
  const runs: ProbeRun[] = [];
  const outside: ProbeMessage[] = [];
  let cur: ProbeRun | null = null;
  for (const m of messages) {
    if (m.type === 'hello') {
      cur = { hello: m, messages: [m], done: null };
      runs.push(cur);
    } else if (cur && !cur.done) {
      cur.messages.push(m);
      if (m.type === 'done') cur.done = m;
    } else {
      outside.push(m);
    }
  }
  return { runs, outside };
}

/** What a script's stream holds for one of its steps: its run (from its hello on), and the script's `error` for it. */
export interface ScriptStep {
  run: ProbeRun | null;
  error: ErrorMessage | null;
}

/**
 * Splits a script's stream into its `steps` steps (1-based in `error` lines). A step that failed
 * before its hello has only an error; one that failed after it has both; a step the stream never
 * reached has neither.
 */
export function scriptSteps(messages: readonly ProbeMessage[], steps: number): ScriptStep[] {
  const out: ScriptStep[] = Array.from({ length: steps }, () => ({ run: null, error: null }));
  let k = 0; // index of the step the next hello belongs to
  let cur: ProbeRun | null = null;
  for (const m of messages) {
    if (m.type === 'hello') {
      if (out[k]?.run) k++;
      cur = { hello: m, messages: [m], done: null };
      if (out[k]) out[k].run = cur;
    } else if (m.type === 'error') {
      const i = m.step - 1;
      if (out[i]) out[i].error = m;
      k = i + 1;
      cur = null;
    } else if (cur && !cur.done) {
      cur.messages.push(m);
      if (m.type === 'done') cur.done = m;
    }
  }
  return out;
}

/**
 * Throws TruncatedStreamError unless the run ended with `done` and `done.lines` equals the
 * number of protocol lines received before it. `context` (console noise) goes into the error.
 */
export function checkComplete(run: ProbeRun, context: string[] = []): asserts run is ProbeRun & { done: DoneMessage } {
  let lines = 0;
  for (const m of run.messages) lines += linesOf(m);
  if (!run.done) {
    const last = run.messages[run.messages.length - 1];
    throw new TruncatedStreamError(
      `probe stream truncated: no 'done' after ${lines} protocol lines (last: ${last.type})`,
      context,
    );
  }
  const before = lines - 1;
  if (run.done.lines !== before) {
    throw new TruncatedStreamError(
      `probe stream truncated: 'done' says ${run.done.lines} lines were written but ${before} arrived`,
      context,
    );
  }
}

/** The single run of a stream, checked complete. */
export function singleRun(messages: readonly ProbeMessage[], context: string[] = []): ProbeRun & { done: DoneMessage } {
  const { runs } = splitRuns(messages);
  if (runs.length === 0) throw new TruncatedStreamError('probe stream has no hello line', context);
  if (runs.length > 1) throw new ProtocolError(`expected one probe run, got ${runs.length}`, '');
  const run = runs[0];
  checkComplete(run, context);
  return run;
}

// ---- figures ----

/** [field, value, kind] for each figure of a message; a list's items are named field[i]. */
type FigureList = Array<[string, unknown, FigureKind]>;

/**
 * The numbers a message carries, checked like user input (results/plausible.ts): latencies and
 * counts are whole and >= 0, means and sums finite and >= 0, nothing past its bounds; a hist's
 * bins hold its count and lie within its min and max, and a series second's min <= max. A
 * corrupt stream is a ProtocolError "probe hist thread 0: min: -5 is negative", never a figure.
 */
export function checkFigures(m: ProbeMessage): void {
  const what = 'thread' in m ? `${m.type} thread ${m.thread}` : m.type === 'op' ? `op ${m.name}` : m.type;
  const bad = (field: string, problem: string) => new ProtocolError(`probe ${what}: ${field}: ${problem}`, `${MARKER}${JSON.stringify(m)}`.slice(0, 1000));
  const check = (figures: FigureList) => {
    for (const [field, v, kind] of figures) {
      const problem = figureProblem(v, kind);
      if (problem) throw bad(field, problem);
    }
  };
  const list = (field: string, v: unknown, width?: number): unknown[] => {
    if (!Array.isArray(v)) throw bad(field, `${JSON.stringify(v)} is not a list`);
    if (width !== undefined) for (const [i, x] of v.entries()) if (!Array.isArray(x) || x.length !== width) throw bad(`${field}[${i}]`, `${JSON.stringify(x)} is not a list of ${width}`);
    return v;
  };
  const optional = (figures: FigureList): FigureList => figures.filter(([, v]) => v !== undefined);
  switch (m.type) {
    case 'hello':
      check(optional([['threads', m.threads, 'count'], ['cpus', m.cpus, 'count'], ['clockResolutionNs', m.clockResolutionNs, 'latency'], ['loopOverheadNs', m.loopOverheadNs, 'latency'], ['intervalNs', m.intervalNs, 'latency'], ['distanceNs', m.distanceNs, 'latency']]));
      if (m.uptimeS !== null) check(optional([['uptimeS', m.uptimeS, 'total']]));
      return;
    case 'hist': {
      check([['thread', m.thread, 'count'], ['intervalNs', m.intervalNs, 'latency'], ['count', m.count, 'count'], ['min', m.min, 'latency'], ['max', m.max, 'latency'], ['sum', m.sum, 'total'], ['sumSq', m.sumSq, 'total']]);
      check(optional([['overruns', m.overruns, 'count'], ['overflows', m.overflows, 'count'], ['early', m.early, 'count'], ['clockBackwards', m.clockBackwards, 'count']]));
      if (m.cpu !== null) check([['cpu', m.cpu, 'count']]);
      const bins = list('bins', m.bins, 2) as SparseBins;
      let held = 0;
      for (const [i, [bucket, n]] of bins.entries()) {
        check([[`bins[${i}]`, bucket, 'count'], [`bins[${i}]`, n, 'count']]);
        if (bucket >= BUCKETS || (i > 0 && bucket <= bins[i - 1][0])) throw bad(`bins[${i}]`, `bucket ${bucket} is out of order or past the last (${BUCKETS - 1})`);
        held += n;
      }
      if (held !== m.count) throw bad('count', `${m.count}, but the bins hold ${held} samples`);
      for (const k of ['overflows', 'early', 'clockBackwards'] as const) if ((m[k] ?? 0) > m.count) throw bad(k, `${m[k]}, more than the ${m.count} samples`);
      if (m.count === 0) return;
      const order = orderProblem(m.min, m.max);
      if (order) throw bad(order.field, order.what);
      const [lo, hi] = [bins[0][0], bins[bins.length - 1][0]];
      if (lo < bucketOf(m.min) || hi > bucketOf(m.max)) throw bad('bins', `buckets ${lo} to ${hi} reach outside the min and max (${m.min} to ${m.max} ns: buckets ${bucketOf(m.min)} to ${bucketOf(m.max)})`);
      return;
    }
    case 'series':
      check([['thread', m.thread, 'count'], ...optional([['dropped', m.dropped, 'count']])]);
      for (const [i, [t, count, min, max, sum]] of (list('points', m.points, 5) as SeriesMessage['points']).entries()) {
        const f = `points[${i}]`;
        check([[f, t, 'count'], [f, count, 'count'], [f, min, 'latency'], [f, max, 'latency'], [f, sum, 'total']]);
        const order = count > 0 ? orderProblem(min, max) : null;
        if (order) throw bad(`${f} min`, order.what);
      }
      return;
    case 'spikes':
      check([['thread', m.thread, 'count'], ['threshold', m.threshold, 'latency'], ['dropped', m.dropped, 'count']]);
      for (const [i, [t, latency]] of (list('points', m.points, 2) as SpikesMessage['points']).entries()) check([[`points[${i}]`, t, 'count'], [`points[${i}]`, latency, 'latency']]);
      return;
    case 'raw': {
      check([['thread', m.thread, 'count'], ...optional([['dropped', m.dropped, 'count']])]);
      const values = list('values', m.values);
      // Raw chunks are the stream's bulk: the fast test first, the message only for a bad value.
      for (let i = 0; i < values.length; i++) if (!isLatency(values[i])) check([[`values[${i}]`, values[i], 'latency']]);
      return;
    }
    case 'op':
      check([['iterations', m.iterations, 'count']]);
      check((list('samples', m.samples) as unknown[]).map((v, i): [string, unknown, FigureKind] => [`samples[${i}]`, v, 'mean']));
      if (Array.isArray(m.cycles)) check(m.cycles.map((v, i): [string, unknown, FigureKind] => [`cycles[${i}]`, v, 'total']));
      return;
    default:
      return;
  }
}

// ---- assembling ----

const isStringOrNull = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const isBoolOrNull = (v: unknown) => v === null || typeof v === 'boolean';

/** The machine-state fields of a hello have the shapes docs/protocol.md gives (ProtocolError otherwise). */
function checkHelloState(h: HelloMessage): void {
  const bad = (what: string, v: unknown) => new ProtocolError(`probe hello: ${what} (got ${JSON.stringify(v)})`, JSON.stringify(h));
  const v = h.vulnerabilities;
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')))
    throw bad('vulnerabilities must be null or an object of strings', v);
  for (const k of ['vulnerabilitiesReason', 'mitigations', 'mitigationsReason'] as const)
    if (!isStringOrNull(h[k])) throw bad(`${k} must be a string or null`, h[k]);
  const t = h.tsc;
  if (t !== undefined) {
    const ok =
      typeof t === 'object' && t !== null && typeof t.invariant === 'boolean' && typeof t.measured === 'boolean' &&
      isBoolOrNull(t.cpuid) && isBoolOrNull(t.constantTsc) && isBoolOrNull(t.nonstopTsc) && isStringOrNull(t.reason) &&
      (t.measured ? t.invariant : typeof t.reason === 'string');
    if (!ok) throw bad('tsc must be {invariant, cpuid, constantTsc, nonstopTsc, measured, reason}, measured only when invariant, with a reason when not measured', t);
  }
}

/** What a hello says was really applied, as the run record keeps it. */
export function appliedFromHello(h: HelloMessage): AppliedConfig {
  checkHelloState(h);
  checkFigures(h);
  const { type: _type, version, mode, policy, priority, threads, affinity, mlockall, dmaLatency, clockResolutionNs, uptimeS, ...rest } =
    h;
  const applied: AppliedConfig = {
    ...rest,
    mode,
    policy,
    priority,
    threads,
    affinity,
    mlockall,
    dmaLatency,
    clockResolutionNs,
    probeVersion: version,
  };
  if (typeof uptimeS === 'number') applied.uptimeS = uptimeS;
  return applied;
}

/** A probe hist message as the run record's HistogramData. */
export function histogramFromMessage(m: HistMessage): HistogramData {
  return { layout: 'loglin7', bins: m.bins, min: m.min, max: m.max, count: m.count, sum: m.sum, sumSq: m.sumSq };
}

/** Series rows to SeriesPoints; mean = sum/count (0 for a second without samples). */
export function seriesPoints(points: SeriesMessage['points']): SeriesPoint[] {
  return points.map(([t, count, min, max, sum]) => ({ t, count, min, max, mean: count ? sum / count : 0 }));
}

export interface CyclicPieces {
  kind: 'cyclic';
  latency: LatencyFigures;
  applied: AppliedConfig;
  warnings: Warning[];
  /** Raw samples per thread, only with --raw. */
  raw?: Map<number, number[]>;
}

export interface SyscallPieces {
  kind: 'syscall';
  /** Per op, in the order the probe ran them. */
  ops: Record<string, OpFigures>;
  applied: AppliedConfig;
  warnings: Warning[];
}

function warningsOf(run: ProbeRun): Warning[] {
  const out: Warning[] = [];
  for (const m of run.messages) if (m.type === 'warning') out.push({ code: m.code, message: m.message });
  return out;
}

/** The share of a thread's wake-ups that may come early (recorded as 0) before its figures mean nothing. */
export const EARLY_LIMIT = 0.01;

/**
 * What makes a cyclic run's figures no measurement, per thread (empty when they are one): more
 * than EARLY_LIMIT of its wake-ups before their period began (deadline: the probe's period grid
 * is not the kernel's) or before their sleep ended (a broken timer or clock), a clock read below
 * the one before it, samples that are all 0 ns; or no sample at all.
 */
export function measurementProblems(hists: readonly HistMessage[], policyOf: (thread: number) => string): string[] {
  const out: string[] = [];
  for (const m of hists) {
    const t = `thread ${m.thread}`;
    const early = m.early ?? 0;
    if (early > EARLY_LIMIT * m.count) {
      const what =
        policyOf(m.thread) === 'deadline'
          ? "before the start of their SCHED_DEADLINE period: the probe's period grid is not the kernel's"
          : 'before the end of their absolute sleep: the timer or the clock is broken';
      out.push(`${t}: ${early} of ${m.count} wake-ups (${((100 * early) / m.count).toFixed(1)}%, more than ${EARLY_LIMIT * 100}%) came ${what}`);
    }
    if (m.clockBackwards) out.push(`${t}: the clock went backwards ${m.clockBackwards} times between consecutive reads`);
    if (m.count > 0 && m.max === 0) out.push(`${t}: all ${m.count} samples are 0 ns, no latency was measured`);
  }
  if (hists.every((m) => m.count === 0)) out.push('no wake-up was measured');
  return out;
}

/** A cyclic run to its latency figures (threads in thread order, spikes in time order). */
export function assembleCyclic(run: ProbeRun, context: string[] = []): CyclicPieces {
  checkComplete(run, context);
  if (run.hello.mode !== 'cyclic') throw new ProtocolError(`expected a cyclic run, got ${run.hello.mode}`, '');
  const hists = new Map<number, HistMessage>();
  const series = new Map<number, { points: SeriesRow[]; seconds: number }>();
  // Raw chunks are joined once at the end: pushing each chunk's values one by one was the
  // assembler's main cost on --raw streams (measured by test/bench/run.ts).
  const rawChunks = new Map<number, number[][]>();
  const spikes: Spike[] = [];
  const dropped = new Map<number, number>();
  let seriesDropped = 0;
  for (const m of run.messages) {
    checkFigures(m);
    if (m.type === 'hist') hists.set(m.thread, m);
    else if (m.type === 'series') {
      const acc = series.get(m.thread) ?? { points: [], seconds: 1 };
      appendSeries(acc, m.points, m.seconds ?? 1);
      series.set(m.thread, acc);
      seriesDropped = Math.max(seriesDropped, m.dropped ?? 0);
    } else if (m.type === 'spikes') {
      for (const [t, latency] of m.points) spikes.push({ thread: m.thread, t, latency });
      dropped.set(m.thread, Math.max(dropped.get(m.thread) ?? 0, m.dropped));
    } else if (m.type === 'raw') {
      const list = rawChunks.get(m.thread);
      if (list) list.push(m.values);
      else rawChunks.set(m.thread, [m.values]);
    }
  }
  if (hists.size !== run.hello.threads) {
    throw new ProtocolError(`hello announced ${run.hello.threads} threads but ${hists.size} histograms arrived`, '');
  }
  const policies = new Map(run.hello.threadInfo?.map((t) => [t.thread, t.policy]));
  const problems = measurementProblems([...hists.values()].sort((a, b) => a.thread - b.thread), (t) => policies.get(t) ?? run.hello.policy);
  if (problems.length) throw new InvalidMeasurementError(`invalid measurement, no figures reported: ${problems.join('; ')}`);
  const threads: ThreadFigures[] = [...hists.values()]
    .sort((a, b) => a.thread - b.thread)
    .map((m): ThreadFigures => {
      const s = series.get(m.thread);
      return { thread: m.thread, cpu: m.cpu, intervalNs: m.intervalNs, histogram: histogramFromMessage(m), series: seriesPoints(s?.points ?? []), ...(s && s.seconds > 1 ? { seriesSeconds: s.seconds } : {}) };
    });
  spikes.sort((a, b) => a.t - b.t || a.thread - b.thread);
  const sum = (f: (m: HistMessage) => number | undefined) => [...hists.values()].reduce((s, m) => s + (f(m) ?? 0), 0);
  const warnings = warningsOf(run);
  const overruns = sum((m) => m.overruns);
  if (overruns > 0) {
    warnings.push({
      code: 'overruns',
      message: `${overruns} periods were skipped because a wake-up came after the next period had begun`,
    });
  }
  const early = sum((m) => m.early);
  if (early > 0) {
    warnings.push({
      code: 'early-wakeups',
      message: `${early} wake-ups came before the start of their period or the end of their sleep (recorded as 0 ns; at most ${EARLY_LIMIT * 100}% of a thread's are tolerated)`,
    });
  }
  const spikesDropped = [...dropped.values()].reduce((a, b) => a + b, 0);
  if (spikesDropped > 0) {
    warnings.push({ code: 'spikes-dropped', message: `${spikesDropped} spikes beyond the probe's spike buffer were counted but not kept` });
  }
  const downsampled = threads.find((t) => t.seriesSeconds);
  if (downsampled) {
    // The planned length; with --loops, the seconds the series reaches.
    const runS = run.hello.durationMs ? run.hello.durationMs / 1000 : Math.max(...threads.map((t) => (t.series.at(-1)?.t ?? 0) + (t.seriesSeconds ?? 1)));
    warnings.push({
      code: 'series-downsampled',
      message: `the per-second series of this ${runS} s run is kept at ${downsampled.seriesSeconds} s per point (at most ${SERIES_MAX_POINTS} points a thread): each point is the count, min, max and mean of its seconds`,
    });
  }
  if (seriesDropped > 0) {
    warnings.push({ code: 'series-dropped', message: `${seriesDropped} samples fell outside the per-second series` });
  }
  const latency: LatencyFigures = { threads, spikes, spikesDropped, overflows: sum((m) => m.overflows) };
  const pieces: CyclicPieces = { kind: 'cyclic', latency, applied: appliedFromHello(run.hello), warnings };
  if (rawChunks.size) {
    const raw = new Map<number, number[]>();
    for (const [t, chunks] of rawChunks) {
      let n = 0;
      for (const c of chunks) n += c.length;
      const all = new Array<number>(n);
      let k = 0;
      for (const c of chunks) for (let i = 0; i < c.length; i++) all[k++] = c[i];
      raw.set(t, all);
    }
    pieces.raw = raw;
  }
  return pieces;
}

/** Why a run's ops carry no cycles: the probe's own reason, or that it said nothing about the TSC. */
function noCyclesReason(tsc: TscState | undefined): string {
  return tsc ? (tsc.reason ?? 'the probe did not measure cycles') : 'the probe did not report the TSC (no tsc in hello)';
}

/**
 * The per-batch figures of one op message. With `tsc` (the run's hello.tsc) cycles are taken
 * when it says they were measured (the op must then carry one per batch) and are null with the
 * reason otherwise.
 */
export function opFigures(m: OpMessage, tsc?: TscState): OpFigures {
  checkFigures(m);
  if (tsc?.measured) {
    if (!Array.isArray(m.cycles) || m.cycles.length !== m.samples.length || m.cycles.some((c) => typeof c !== 'number'))
      throw new ProtocolError(`op ${m.name}: hello says cycles were measured, but the op has ${Array.isArray(m.cycles) ? m.cycles.length : 'no'} cycle figures for ${m.samples.length} batches`, JSON.stringify(m));
    return { iterationsPerBatch: m.iterations, raw: m.samples, cycles: m.cycles };
  }
  if (m.cycles !== undefined)
    throw new ProtocolError(`op ${m.name} carries cycles although hello says they were not measured`, JSON.stringify(m));
  return { iterationsPerBatch: m.iterations, raw: m.samples, cycles: null, cyclesReason: noCyclesReason(tsc) };
}

/** A syscall run to its ops' figures. */
export function assembleSyscall(run: ProbeRun, context: string[] = []): SyscallPieces {
  checkComplete(run, context);
  if (run.hello.mode !== 'syscall') throw new ProtocolError(`expected a syscall run, got ${run.hello.mode}`, '');
  const ops: Record<string, OpFigures> = {};
  const applied = appliedFromHello(run.hello);
  for (const m of run.messages) if (m.type === 'op') ops[m.name] = opFigures(m, run.hello.tsc);
  return { kind: 'syscall', ops, applied, warnings: warningsOf(run) };
}

/** Assembles a run by its mode. */
export function assembleRun(run: ProbeRun, context: string[] = []): CyclicPieces | SyscallPieces {
  return run.hello.mode === 'cyclic' ? assembleCyclic(run, context) : assembleSyscall(run, context);
}

/** Parses a complete captured stream holding exactly one run and assembles it. */
export function assembleStream(text: string | Buffer): CyclicPieces | SyscallPieces {
  const { messages, noise } = parseStream(text);
  return assembleRun(singleRun(messages, noise), noise);
}
