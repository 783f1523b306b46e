/**
 * Run history in SQLite (the only module that imports better-sqlite3).
 *
 * Safe for nightly CI where several runs may write at once and a run may be killed:
 * WAL mode and a busy timeout (writers wait rather than fail), every write of a run in one
 * IMMEDIATE transaction (the write lock is taken up front, so two writers never deadlock on
 * a lock upgrade), and a run row inserted as `running` when it starts and finished at the end:
 * a killed run stays visibly incomplete instead of vanishing or looking complete.
 * Metrics are rows (per result, and pooled over counted repetitions) for trend and change-point
 * queries; the full run record is kept gzip-compressed for loadRun, and its provenance
 * (results/provenance.ts) as JSON beside it.
 */
import { parseRunRecord } from './schema.js';
import { HISTORY_MIGRATIONS } from './migrate.js';
import { parseProvenance, runProvenance, type Provenance } from './provenance.js';
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { InputError } from '../errors.js';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { MetricRow, RunRecord } from './types.js';

export type History = Database.Database;

/** 1: SCHEMA below; later versions: migrate.ts HISTORY_MIGRATIONS. */
export const HISTORY_SCHEMA_VERSION = HISTORY_MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 1);

/** How long a writer waits for another's lock before giving up (ms). */
const BUSY_TIMEOUT_MS = 30_000;

// Version 1; what came later is in HISTORY_MIGRATIONS, applied by migrateHistory.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  scenario TEXT NOT NULL,
  dir TEXT,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  hosts TEXT NOT NULL DEFAULT '[]',
  gates_passed INTEGER,
  tool_version TEXT,
  scenario_json TEXT,
  facts_json TEXT,
  record BLOB,
  writer_pid INTEGER,
  writer_host TEXT
);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs(scenario, started_at);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  deployment TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  host TEXT NOT NULL,
  repetition INTEGER,
  metric TEXT NOT NULL,
  value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_metric ON metrics(metric, host);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id);
`;

const OUR_TABLES = ['metrics', 'runs', 'schema_version'];

/**
 * Opens a history database. `write` (a run) creates it where the file is missing or empty;
 * `read` (history, compare) opens an existing one read-only and changes nothing. Either way a
 * file that is not a unilat history (a folder, another program's database, random bytes) is
 * refused with an InputError before anything is written to it.
 */
export function openHistory(file: string, mode: 'write' | 'read' = 'write'): History {
  let st: Stats | null = null;
  try {
    st = statSync(file);
  } catch {
    /* missing */
  }
  if (st?.isDirectory()) throw new InputError(`${file}: is a folder, not a history database`);
  if (!st && mode === 'read') throw new InputError(`${file}: no history database`);
  const fresh = !st || st.size === 0;
  if (fresh && mode === 'read') throw new InputError(`${file}: an empty file, not a history database`);
  if (!fresh && !hasSqliteHeader(file)) throw new InputError(`${file}: not a history database (not an SQLite file)`);
  // A reader may make -wal and -shm files beside a WAL database; those it made go if the file is refused.
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  let db: History;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, readonly: mode === 'read', fileMustExist: mode === 'read' });
  } catch (e) {
    throw new InputError(`${file}: cannot open it as a history database: ${(e as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!fresh) checkOurs(db, file, mode);
    if (mode === 'read') return db;
    enableWal(db, file);
    // NORMAL is durable against a killed process in WAL mode; only power loss can drop the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      db.exec(SCHEMA);
      const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
      if (row.v !== null && row.v > HISTORY_SCHEMA_VERSION) throw new InputError(`${file}: history schema version ${row.v} is newer than this unilat understands (${HISTORY_SCHEMA_VERSION})`);
      migrateHistory(db, row.v ?? 1, row.v === null);
    }).immediate();
  } catch (e) {
    db.close();
    if (e instanceof InputError) for (const f of sidecars) rmSync(f, { force: true });
    throw e;
  }
  return db;
}

/** Applies the schema steps above `from` (inside the caller's transaction), recording each version reached. */
function migrateHistory(db: History, from: number, fresh: boolean): void {
  const mark = db.prepare('INSERT INTO schema_version (version) VALUES (?)');
  if (fresh) mark.run(1);
  for (const m of HISTORY_MIGRATIONS) {
    if (m.version <= from) continue;
    db.exec(m.sql);
    mark.run(m.version);
  }
}

/** Whether the runs table has a column: a read-only reader of an older history cannot migrate it. */
function hasColumn(db: History, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).some((c) => c.name === column);
}

function hasSqliteHeader(file: string): boolean {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}

/** Refuses a database that is not unilat's (or not a database): nothing is written to it. */
function checkOurs(db: History, file: string, mode: 'write' | 'read'): void {
  let tables: string[];
  try {
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw e;
    throw new InputError(`${file}: not a history database (${code === 'SQLITE_NOTADB' ? 'not an SQLite file' : (e as Error).message})`);
  }
  // No tables at all: a database another writer of ours has only just made.
  if (tables.length === 0) {
    if (mode === 'read') throw new InputError(`${file}: an empty database, not a history`);
    return;
  }
  const missing = OUR_TABLES.filter((t) => !tables.includes(t));
  if (missing.length) throw new InputError(`${file}: an SQLite database, but not a unilat history (no ${missing.join(', ')} table): left untouched`);
  const v = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v;
  if (v !== null && v > HISTORY_SCHEMA_VERSION) throw new InputError(`${file}: history schema version ${v} is newer than this unilat understands (${HISTORY_SCHEMA_VERSION})`);
}

/**
 * Switches to WAL, retrying while another process holds the lock: changing the journal mode
 * can return SQLITE_BUSY at once, without calling the busy handler, when two writers open a
 * new database together.
 */
function enableWal(db: History, file: string): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) {
        throw new Error(`${file}: could not switch the history database to WAL: ${(e as Error).message}`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

export function closeHistory(db: History): void {
  db.close();
}

/** The scenario's name from a record (its resolved scenario, else the file name). */
export function scenarioName(record: RunRecord): string {
  // Records of old or foreign writers may lack it: the schema does not require a name.
  if (typeof record.scenario?.name === 'string') return record.scenario.name;
  return record.scenarioFile ? basename(record.scenarioFile).replace(/\.ya?ml$/, '') : 'unknown';
}

function hostsOf(record: RunRecord): string[] {
  return [...new Set([...record.results.map((r) => r.host), ...Object.keys(record.facts ?? {})])].sort();
}

export interface RunMeta {
  /** The run folder, for lastGood. */
  dir?: string;
}

/** Inserts (or resets) a run's row as `running`, before anything is measured. */
export function markRunStarted(db: History, record: RunRecord, meta: RunMeta = {}): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO runs (id, scenario, dir, status, started_at, hosts, tool_version, scenario_json, facts_json, provenance, writer_pid, writer_host)
       VALUES (@id, @scenario, @dir, 'running', @startedAt, @hosts, @tool, @scenarioJson, @factsJson, @provenance, @pid, @host)
       ON CONFLICT(id) DO UPDATE SET status = 'running', ended_at = NULL, dir = coalesce(excluded.dir, runs.dir),
         writer_pid = excluded.writer_pid, writer_host = excluded.writer_host`,
    ).run({
      id: record.id,
      scenario: scenarioName(record),
      dir: meta.dir ?? null,
      startedAt: record.startedAt,
      hosts: JSON.stringify(hostsOf(record)),
      tool: record.tool?.version ?? null,
      scenarioJson: JSON.stringify(record.scenario ?? null),
      factsJson: JSON.stringify(record.facts ?? {}),
      provenance: JSON.stringify(runProvenance(record)),
      pid: process.pid,
      host: hostname(),
    });
  }).immediate();
}

export interface FinishInfo extends RunMeta {
  /** Final status; defaults to the record's status, or 'failed' without a record. */
  status?: RunRecord['status'];
  gatesPassed?: boolean | null;
  /** The final record: stored with its metric rows (stats/metrics.ts) in the same transaction. */
  record?: RunRecord;
  metrics?: readonly MetricRow[];
  endedAt?: string;
}

/** Marks a started run finished (completed, partial, failed, aborted), storing its record when given. */
export function markRunFinished(db: History, id: string, info: FinishInfo = {}): void {
  if (info.record) {
    if (info.record.id !== id) throw new Error(`markRunFinished: record ${info.record.id} is not run ${id}`);
    const rec = info.status ? { ...info.record, status: info.status } : info.record;
    recordRun(db, rec, info.metrics ?? [], { gatesPassed: info.gatesPassed, dir: info.dir });
    return;
  }
  db.transaction(() => {
    const res = db
      .prepare(`UPDATE runs SET status = ?, ended_at = ?, gates_passed = ?, dir = coalesce(?, dir) WHERE id = ?`)
      .run(info.status ?? 'failed', info.endedAt ?? new Date().toISOString(), toInt(info.gatesPassed), info.dir ?? null, id);
    if (res.changes === 0) throw new Error(`markRunFinished: no run ${id} in the history`);
  }).immediate();
}

function toInt(b: boolean | null | undefined): number | null {
  return b === undefined || b === null ? null : b ? 1 : 0;
}

/**
 * Stores a whole run (row, its metric rows as stats/metrics.ts computes them, compressed record)
 * in one transaction; replaces an earlier copy. The store computes nothing itself.
 */
export function recordRun(db: History, record: RunRecord, rows: readonly MetricRow[], opts: { gatesPassed?: boolean | null; dir?: string } = {}): void {
  const blob = gzipSync(JSON.stringify(record));
  db.transaction(() => {
    db.prepare(
      `INSERT INTO runs (id, scenario, dir, status, started_at, ended_at, hosts, gates_passed, tool_version, scenario_json, facts_json, provenance, record, writer_pid, writer_host)
       VALUES (@id, @scenario, @dir, @status, @startedAt, @endedAt, @hosts, @gates, @tool, @scenarioJson, @factsJson, @provenance, @record, @pid, @host)
       ON CONFLICT(id) DO UPDATE SET scenario = excluded.scenario, dir = coalesce(excluded.dir, runs.dir), status = excluded.status,
         started_at = excluded.started_at, ended_at = excluded.ended_at, hosts = excluded.hosts, gates_passed = excluded.gates_passed,
         tool_version = excluded.tool_version, scenario_json = excluded.scenario_json, facts_json = excluded.facts_json,
         provenance = excluded.provenance, record = excluded.record, writer_pid = excluded.writer_pid, writer_host = excluded.writer_host`,
    ).run({
      id: record.id,
      scenario: scenarioName(record),
      dir: opts.dir ?? null,
      status: record.status,
      startedAt: record.startedAt,
      endedAt: record.endedAt ?? (record.status === 'running' ? null : new Date().toISOString()),
      hosts: JSON.stringify(hostsOf(record)),
      gates: toInt(opts.gatesPassed),
      tool: record.tool?.version ?? null,
      scenarioJson: JSON.stringify(record.scenario ?? null),
      factsJson: JSON.stringify(record.facts ?? {}),
      provenance: JSON.stringify(runProvenance(record)),
      record: blob,
      pid: process.pid,
      host: hostname(),
    });
    db.prepare('DELETE FROM metrics WHERE run_id = ?').run(record.id);
    const ins = db.prepare(
      'INSERT INTO metrics (run_id, deployment, benchmark, host, repetition, metric, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const m of rows) ins.run(record.id, m.deployment, m.benchmark, m.host, m.repetition, m.metric, m.value);
  }).immediate();
}

export interface RunSummary {
  id: string;
  scenario: string;
  dir: string | null;
  /** running | completed | partial | aborted | failed. */
  status: string;
  startedAt: string;
  endedAt: string | null;
  hosts: string[];
  gatesPassed: boolean | null;
  /** Never finished: still running, or killed (the writer died before markRunFinished). */
  incomplete: boolean;
  toolVersion: string | null;
}

interface RunRow {
  id: string;
  scenario: string;
  dir: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  hosts: string;
  gates_passed: number | null;
  tool_version: string | null;
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    scenario: r.scenario,
    dir: r.dir,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    hosts: JSON.parse(r.hosts) as string[],
    gatesPassed: r.gates_passed === null ? null : r.gates_passed === 1,
    incomplete: r.status === 'running',
    toolVersion: r.tool_version,
  };
}

const RUN_COLUMNS = 'id, scenario, dir, status, started_at, ended_at, hosts, gates_passed, tool_version';

/** Adds a condition and its argument for each filter given (value not undefined). */
function addFilters(where: string[], args: unknown[], filters: ReadonlyArray<readonly [string, unknown]>): void {
  for (const [cond, v] of filters) {
    if (v === undefined) continue;
    where.push(cond);
    args.push(v);
  }
}

/** Runs, newest first, optionally of one scenario and/or one host. */
export function listRuns(db: History, opts: { scenario?: string; host?: string; limit?: number } = {}): RunSummary[] {
  const where: string[] = [];
  const args: unknown[] = [];
  addFilters(where, args, [
    ['scenario = ?', opts.scenario],
    ['EXISTS (SELECT 1 FROM json_each(runs.hosts) WHERE value = ?)', opts.host],
  ]);
  const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, opts.limit ?? -1) as RunRow[]).map(toSummary);
}

export interface TrendPoint {
  runId: string;
  startedAt: string;
  status: string;
  gatesPassed: boolean | null;
  deployment: string;
  benchmark: string;
  host: string;
  value: number;
}

/**
 * A metric over time (oldest first, as the newest `limit` runs): the pooled value (counted
 * repetitions merged) of each finished run, per deployment/benchmark/host. Runs that never
 * finished are left out.
 */
export function trend(
  db: History,
  opts: { metric: string; scenario?: string; host?: string; deployment?: string; benchmark?: string; limit?: number },
): TrendPoint[] {
  const where = ['m.metric = ?', 'm.repetition IS NULL', "r.status != 'running'"];
  const args: unknown[] = [opts.metric];
  addFilters(where, args, [
    ['r.scenario = ?', opts.scenario],
    ['m.host = ?', opts.host],
    ['m.deployment = ?', opts.deployment],
    ['m.benchmark = ?', opts.benchmark],
  ]);
  const rows = db
    .prepare(
      // The limit counts runs (the newest N with figures), not points: a run has one per group.
      `WITH pts AS (
         SELECT r.id AS runId, r.started_at AS startedAt, r.status AS status, r.gates_passed AS gates,
                m.deployment AS deployment, m.benchmark AS benchmark, m.host AS host, m.value AS value
         FROM metrics m JOIN runs r ON r.id = m.run_id
         WHERE ${where.join(' AND ')}
       ), newest AS (SELECT DISTINCT runId, startedAt FROM pts ORDER BY startedAt DESC, runId DESC LIMIT ?)
       SELECT pts.* FROM pts JOIN newest USING (runId) ORDER BY pts.startedAt ASC, pts.runId ASC, benchmark, deployment, host`,
    )
    .all(...args, opts.limit ?? -1) as Array<Omit<TrendPoint, 'gatesPassed'> & { gates: number | null }>;
  return rows.map(({ gates, ...p }) => ({ ...p, gatesPassed: gates === null ? null : gates === 1 }));
}

/** The metrics with figures (pooled rows of finished runs), optionally of one scenario and/or host, sorted. */
export function metricNames(db: History, opts: { scenario?: string; host?: string } = {}): string[] {
  const where = ['m.repetition IS NULL', "r.status != 'running'"];
  const args: unknown[] = [];
  addFilters(where, args, [
    ['r.scenario = ?', opts.scenario],
    ['m.host = ?', opts.host],
  ]);
  const rows = db.prepare(`SELECT DISTINCT m.metric AS metric FROM metrics m JOIN runs r ON r.id = m.run_id WHERE ${where.join(' AND ')} ORDER BY m.metric`).all(...args) as Array<{ metric: string }>;
  return rows.map((r) => r.metric);
}

/**
 * The baseline a nightly job compares with: the newest run of the candidate's scenario, on the
 * same set of hosts, that completed with passing gates (or none) and started strictly before the
 * candidate; never the candidate itself. Ties on the start time are not "before". Null when
 * there is none (the first night), so the caller can say so.
 */
export function lastGood(db: History, candidate: RunRecord): { id: string; dir: string | null } | null {
  const row = db
    .prepare(
      `SELECT id, dir FROM runs WHERE scenario = ? AND hosts = ? AND started_at < ? AND id != ?
         AND status = 'completed' AND (gates_passed IS NULL OR gates_passed = 1)
       ORDER BY started_at DESC, id DESC LIMIT 1`,
    )
    .get(scenarioName(candidate), JSON.stringify(hostsOf(candidate)), candidate.startedAt, candidate.id) as { id: string; dir: string | null } | undefined;
  return row ?? null;
}

/** What lastGood looked for, for the message when it found nothing. */
export function lastGoodCriteria(candidate: RunRecord): string {
  const hosts = hostsOf(candidate);
  return `no completed run of scenario "${scenarioName(candidate)}" on ${hosts.length ? `host(s) ${hosts.join(', ')}` : 'no hosts'} with passing gates started before ${candidate.id} (${candidate.startedAt})`;
}

/** The stored run record of a run; null when the run is unknown or never stored one (killed while running). */
export function loadRun(db: History, id: string): RunRecord | null {
  const row = db.prepare('SELECT record FROM runs WHERE id = ?').get(id) as { record: Buffer | null } | undefined;
  if (!row?.record) return null;
  // Runs recorded by older versions are stored in their layout.
  return parseRunRecord(JSON.parse(gunzipSync(row.record).toString('utf8')), `history run ${id}`);
}

/** What a series is a series of: one figure of one benchmark of one deployment on one host, in one scenario's runs. */
export interface SeriesKey {
  scenario: string;
  host: string;
  deployment: string;
  benchmark: string;
  metric: string;
}

/** A figure over runs, oldest first: parallel arrays (a long history is hundreds of thousands of points). */
export interface HistorySeries extends SeriesKey {
  runIds: string[];
  startedAt: string[];
  values: number[];
}

/**
 * Every series of pooled figures (counted repetitions merged) of the runs that completed or
 * completed in part (an aborted or failed run's figures are not a night's), each oldest first.
 * `metrics` are the metric names kept, exact or GLOB patterns ("p99", "syscall.*"); `limit` keeps the
 * newest N runs of those with figures.
 */
export function historySeries(db: History, opts: { metrics: readonly string[]; scenario?: string; host?: string; limit?: number }): HistorySeries[] {
  // Two plain queries and grouping here: a join sorted by SQLite costs seconds on a long history.
  const runWhere = ["status IN ('completed', 'partial')"];
  const runArgs: unknown[] = [];
  addFilters(runWhere, runArgs, [['scenario = ?', opts.scenario]]);
  const limited = opts.limit !== undefined && opts.limit >= 0;
  const runs = db
    .prepare(`SELECT id, scenario, started_at FROM runs WHERE ${runWhere.join(' AND ')} ORDER BY started_at DESC, id DESC${limited ? ' LIMIT ?' : ''}`)
    .raw(true)
    .all(...runArgs, ...(limited ? [opts.limit] : [])) as Array<[string, string, string]>;
  runs.reverse();
  const order = new Map(runs.map(([id], i) => [id, i]));
  // Exact names by IN, patterns by GLOB; a plain scan, as nearly every row is wanted (the metric index costs more).
  const exact = opts.metrics.filter((m) => !/[*?[]/.test(m));
  const patterns = opts.metrics.filter((m) => /[*?[]/.test(m));
  const wanted = [...(exact.length ? [`metric IN (${exact.map(() => '?').join(', ')})`] : []), ...patterns.map(() => 'metric GLOB ?')];
  const where = ['repetition IS NULL', `(${wanted.join(' OR ') || '0'})`];
  const args: unknown[] = [...exact, ...patterns];
  addFilters(where, args, [['host = ?', opts.host]]);
  const rows = db
    .prepare(`SELECT run_id, deployment || char(0) || benchmark || char(0) || host || char(0) || metric, value FROM metrics NOT INDEXED WHERE ${where.join(' AND ')}`)
    .raw(true)
    .iterate(...args) as Iterable<[string, string, number]>;
  // Per scenario, per deployment/benchmark/host/metric: the run positions and values.
  const groups = new Map<string, Map<string, { at: number[]; values: number[] }>>();
  for (const [runId, key, value] of rows) {
    const at = order.get(runId);
    if (at === undefined) continue;
    // A figure no run could have written (the file was edited): refused, as a tampered record is.
    if (!Number.isFinite(value)) throw new InputError(`history run ${runId}: metric ${key.split('\0').join('/')}: not a finite number (${value})`);
    const scenario = runs[at][1];
    let byKey = groups.get(scenario);
    if (!byKey) groups.set(scenario, (byKey = new Map()));
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { at: [], values: [] }));
    g.at.push(at);
    g.values.push(value);
  }
  const out: HistorySeries[] = [];
  for (const [scenario, byKey] of groups)
    for (const [key, g] of byKey) {
      const [deployment, benchmark, host, metric] = key.split('\0');
      const idx = g.at.map((_, i) => i).sort((a, b) => g.at[a] - g.at[b]);
      out.push({ scenario, host, deployment, benchmark, metric, runIds: idx.map((i) => runs[g.at[i]][0]), startedAt: idx.map((i) => runs[g.at[i]][2]), values: idx.map((i) => g.values[i]) });
    }
  return out;
}

/** Each scenario's noise threshold, as its newest run with one resolved it. */
export function noiseThresholds(db: History): Map<string, number> {
  const rows = db
    .prepare(
      // SQLite takes a bare column from the row max() picked: the newest run's threshold.
      `SELECT scenario, json_extract(scenario_json, '$.noiseThreshold') AS t, max(started_at) FROM runs
       WHERE json_type(scenario_json, '$.noiseThreshold') IN ('real', 'integer') GROUP BY scenario`,
    )
    .all() as Array<{ scenario: string; t: number }>;
  return new Map(rows.map((r) => [r.scenario, r.t]));
}

/**
 * The provenance of runs: as stored with them, else (a history written before it was stored)
 * from their stored records; a run with neither is left out.
 */
export function provenanceOf(db: History, ids: readonly string[]): Map<string, Provenance> {
  const out = new Map<string, Provenance>();
  const stored = hasColumn(db, 'runs', 'provenance') ? db.prepare('SELECT provenance FROM runs WHERE id = ?').pluck() : null;
  for (const id of new Set(ids)) {
    const text = stored?.get(id) as string | null | undefined;
    if (text) out.set(id, parseProvenance(JSON.parse(text), `history run ${id}: provenance`));
    else {
      const rec = loadRun(db, id);
      if (rec) out.set(id, runProvenance(rec));
    }
  }
  return out;
}

/** SQLite's own consistency check ("ok" when the file is sound). */
export function integrityCheck(db: History): string {
  return (db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown';
}

/** The spread of one run's counted repetitions of a figure (two or more): the interval a trend plot draws around the pooled value. */
export interface RepetitionRange {
  runId: string;
  deployment: string;
  benchmark: string;
  host: string;
  metric: string;
  low: number;
  high: number;
  repetitions: number;
}

/** Per run and figure, the lowest and highest counted repetition, where a run had two or more; `metrics` as historySeries. */
export function repetitionRanges(db: History, metrics: readonly string[]): RepetitionRange[] {
  const cond = metrics.map((m) => (/[*?[]/.test(m) ? 'metric GLOB ?' : 'metric = ?')).join(' OR ') || '0';
  return db
    .prepare(
      `SELECT run_id AS runId, deployment, benchmark, host, metric, min(value) AS low, max(value) AS high, count(*) AS repetitions
       FROM metrics WHERE repetition > 0 AND (${cond}) GROUP BY run_id, deployment, benchmark, host, metric HAVING count(*) > 1`,
    )
    .all(...metrics) as RepetitionRange[];
}
