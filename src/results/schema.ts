/**
 * The run record's schema: every run.json (and every record the history database returns) is
 * checked against it on load, so a report never renders a tampered or foreign record. zod, as
 * for scenarios. Objects are loose: keys a reader does not use (a probe's extra applied fields,
 * guest context) are kept as written, and a newer writer's additions do not break an older reader.
 */
import { z } from '../scenario/schema.js';
import { InputError } from '../errors.js';
import { migrateRunRecord } from './migrate.js';
import { recordProvenanceSchema } from './provenance.js';
import { SCHEMA_VERSION, type RunRecord } from './types.js';

const num = z.number();
const str = z.string();
const nullNum = num.nullable();
const nullStr = str.nullable();
// A statistic of no samples is NaN (or ±Infinity), which JSON writes as null; the reports show it as "–".
const fig = nullNum;

const histogram = z.looseObject({ layout: z.literal('loglin7'), bins: z.array(z.tuple([num, num])), min: fig, max: fig, count: num, sum: num, sumSq: num });
const percentileKey = z.enum(['p50', 'p90', 'p99', 'p999', 'p9999']);
const summaryShape = { count: num, min: fig, mean: fig, stddev: fig, p50: fig, p90: fig, p99: fig, p999: fig, p9999: fig, max: fig, lowerBounds: z.array(percentileKey).optional() };
const latency = z.looseObject({
  ...summaryShape,
  histogram,
  threads: z.array(z.looseObject({ thread: num, cpu: nullNum, intervalNs: fig, summary: z.looseObject(summaryShape), histogram, series: z.array(z.looseObject({ t: num, count: num, min: fig, max: fig, mean: fig })), seriesSeconds: z.number().int().min(2).optional(), overflows: num.optional(), context: z.enum(['irq', 'thread', 'user']).optional() })),
  spikes: z.array(z.looseObject({ thread: num, t: num, latency: num })),
  spikesDropped: num,
  spikeThresholdNs: num.optional(),
  overflows: num.optional(),
  resolutionNs: num.optional(),
});
const opStat = z.looseObject({
  nsPerOp: fig,
  ciLow: fig,
  ciHigh: fig,
  samples: num,
  iterationsPerBatch: num,
  raw: z.array(fig),
  cycles: z.looseObject({ perOp: fig, ciLow: fig, ciHigh: fig, raw: z.array(fig) }).nullable().optional(),
  cyclesReason: str.optional(),
});
const applied = z.looseObject({
  mode: z.enum(['cyclic', 'syscall', 'cyclictest', 'cyclicdeadline', 'timerlat']),
  policy: str,
  priority: num,
  threads: num,
  intervalNs: num.optional(),
  distanceNs: num.optional(),
  affinity: z.array(num),
  mlockall: z.boolean(),
  dmaLatency: z.boolean(),
  clockResolutionNs: num,
  loopOverheadNs: num.optional(),
  probeVersion: str,
  kernel: str.optional(),
  uptimeS: num.optional(),
  vulnerabilities: z.record(str, str).nullable().optional(),
  vulnerabilitiesReason: nullStr.optional(),
  mitigations: nullStr.optional(),
  mitigationsReason: nullStr.optional(),
  tsc: z.looseObject({ invariant: z.boolean(), cpuid: z.boolean().nullable(), constantTsc: z.boolean().nullable(), nonstopTsc: z.boolean().nullable(), measured: z.boolean(), reason: nullStr }).optional(),
});
const bootPhases = z.looseObject({ pausedMs: nullNum, firstConsoleMs: nullNum, kernelStartMs: nullNum, kernelToInitMs: nullNum, initToProbeMs: nullNum, totalMs: nullNum });
// What the reports read of a result's context (src/deploy/guest/runner.ts, src/run/measure.ts, src/bench/import.ts write it).
const context = z.looseObject({
  bootMs: nullNum.optional(),
  boot: bootPhases.optional(),
  bootShare: z.looseObject({ index: num, of: num, freshBoot: z.boolean() }).optional(),
  restoreMs: nullNum.optional(),
  snapshot: z.looseObject({ coldBootMs: nullNum, coldBoot: bootPhases.optional(), savedMs: nullNum.optional(), stateBytes: nullNum.optional(), consoleLog: nullStr.optional() }).optional(),
  accel: z.enum(['kvm', 'tcg']).optional(),
  deploymentKind: str.optional(),
  load: z.looseObject({ tool: str, commandLine: z.array(str), cpus: z.union([str, z.array(num)]).nullable(), startedAt: str, ranMs: num, diedEarly: z.boolean(), exitCode: nullNum }).optional(),
  import: z.looseObject({ file: str, format: str }).optional(),
});
const warning = z.looseObject({ code: str, message: str });
const resultBase = {
  deployment: str,
  benchmark: str,
  host: str,
  repetition: num,
  order: num,
  kind: z.enum(['cyclic', 'syscall', 'cyclictest', 'cyclicdeadline', 'timerlat']),
  startedAt: str,
  endedAt: str,
  warnings: z.array(warning),
  context: context.optional(),
};
const attributionEntry = z.looseObject({ kind: z.enum(['irq', 'vector', 'softirq', 'thread', 'idle', 'self']), name: str, ns: num, count: num, irq: num.optional(), vector: num.optional(), pid: num.optional(), policy: z.enum(['deadline', 'rt', 'other']).optional(), priority: num.optional() });
const attribution = z.looseObject({ windowNs: num, coveredNs: num, wokenAfterNs: nullNum, switchedInAfterNs: nullNum, entries: z.array(attributionEntry) });
const tracedSpike = z.looseObject({ trace: num, thread: num, tid: num, cpu: num, plannedNs: num, actualNs: num, latencyNs: num, file: z.string().regex(/^trace-[A-Za-z0-9._-]+\.txt$/, 'a trace file in the run folder').nullable(), attribution: attribution.nullable(), error: str.optional() });
const tracing = z.looseObject({ thresholdNs: num, maxTraces: num, bufferKb: num, clock: str, events: z.array(str), missing: z.array(str), spikes: z.array(tracedSpike) });
const completed = z
  .looseObject({ ...resultBase, status: z.literal('completed'), applied: applied.nullable(), latency: latency.optional(), tracing: tracing.optional(), ops: z.record(str, opStat).optional(), ratios: z.record(str, fig).optional() })
  .refine((r) => (r.latency === undefined) !== (r.ops === undefined), 'a completed result has either latency or ops');
const failed = z.looseObject({ ...resultBase, status: z.enum(['failed', 'aborted']), error: str });
const result = z.discriminatedUnion('status', [completed, failed]);

const check = z.looseObject({ id: str, status: z.enum(['pass', 'warn', 'fail']), title: str, detail: str, fix: str });
// The facts the reports and readiness read; the rest of HostFacts is kept as gathered.
const hostFacts = z.looseObject({
  hostname: str,
  kernel: z.looseObject({ release: str, version: str, arch: str, preemptRt: z.boolean(), preemptRtEvidence: nullStr, preemptModel: nullStr, config: z.looseObject({ sha256: str, source: str }).nullable().optional() }),
  cmdline: z.looseObject({ raw: str }),
  cpu: z.looseObject({ model: nullStr, online: z.array(num), onlineCount: num }),
});
const group = z.looseObject({ deployment: str, benchmark: str, host: str });
const pair = z.looseObject({ baseline: num, candidate: num });
const comparisonRow = z.looseObject({
  key: str,
  baselineGroup: group,
  candidateGroup: group,
  metric: str,
  baseline: fig,
  candidate: fig,
  ratio: fig,
  ratioLow: nullNum,
  ratioHigh: nullNum,
  p: nullNum,
  effect: nullNum,
  verdict: z.enum(['better', 'worse', 'no significant change']),
  threshold: num,
  gated: z.boolean().optional(),
  samples: pair,
  repetitions: pair,
  note: str.optional(),
  withheld: str.optional(),
  holm: z.looseObject({ family: num, level: num }).optional(),
  mde: z
    .looseObject({ repetitions: pair, logSpread: nullNum, alpha: num, power: num, relative: nullNum, repetitionsForTarget: nullNum, target: num })
    .optional(),
});
const comparison = z.looseObject({
  baselineId: nullStr,
  candidateId: nullStr,
  threshold: num,
  alpha: num,
  correction: z.literal('holm').optional(),
  level: num,
  resamples: num,
  seed: num,
  rows: z.array(comparisonRow),
  regressions: z.array(comparisonRow),
  unmatched: z.looseObject({ baseline: z.array(str), candidate: z.array(str) }),
});
const gateOutcome = z.looseObject({ gate: str, key: str, value: nullNum, limit: num, pass: z.boolean(), skipped: z.boolean().optional(), detail: str });
const gate = z.looseObject({ type: z.enum(['absolute', 'relative']), text: str, metric: str, benchmark: str.optional(), deployment: str.optional() });
// The scenario as the scenario schema resolved it (its output, not its YAML input), or an import's stand-in.
const resolvedScenario = z.looseObject({
  name: str,
  hosts: z.array(str),
  repetitions: num,
  duration: num,
  deployments: z.array(z.looseObject({ name: str, kind: z.enum(['bare-metal', 'vm', 'unikernel']) })),
  benchmarks: z.array(z.looseObject({ name: str, kind: z.enum(['cyclic', 'syscall', 'cyclictest', 'cyclicdeadline', 'timerlat']) })),
  gates: z.array(gate),
  noiseThreshold: num,
});
const importedScenario = z.looseObject({ name: str, imported: z.array(str) });
const scenario = z.union([importedScenario, resolvedScenario]);

export const runRecordSchema = z.looseObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  id: str,
  tool: z.looseObject({ name: z.literal('unilat'), version: str }),
  startedAt: str,
  endedAt: nullStr,
  status: z.enum(['running', 'completed', 'partial', 'aborted', 'failed']),
  scenario,
  scenarioFile: nullStr,
  facts: z.record(str, hostFacts),
  readiness: z.record(str, z.array(check)),
  plan: z.looseObject({ steps: num, order: z.array(str) }).optional(),
  tuning: z.array(z.looseObject({ host: str, knob: str, path: str, before: str, after: str, restored: z.boolean() })),
  results: z.array(result),
  warnings: z.array(warning),
  hostErrors: z.record(str, str),
  gates: z.array(gateOutcome).optional(),
  comparisons: z.array(comparison).optional(),
  // Optional: records written before it existed load as they are (no migration needed).
  overrides: z.looseObject({ durationNs: num.optional(), only: z.array(str).optional(), parallel: num.optional(), waitLockMs: num.optional() }).optional(),
  provenance: recordProvenanceSchema.optional(),
});

const MAX_PROBLEMS = 10;

function problem(source: string, i: z.core.$ZodIssue, raw: unknown): string {
  const path = i.path.length ? i.path.join('.') : '(top level)';
  // The only union is the scenario: an import's stand-in has `imported`, else it is a resolved one; name that branch's problem.
  if (i.code === 'invalid_union' && i.errors.length === 2) {
    const value = i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw);
    const branch = i.errors[value && typeof value === 'object' && 'imported' in value ? 0 : 1];
    if (branch.length) return problem(source, { ...branch[0], path: [...i.path, ...branch[0].path] }, raw);
  }
  return `${source}: ${path}: ${i.message.replace(/^Invalid input: /, '')}`;
}

/**
 * A parsed run.json (any schemaVersion this unilat knows) as a RunRecord, or an InputError
 * with one `SOURCE: path.to.field: what is wrong` line per problem.
 */
export function parseRunRecord(raw: unknown, source: string): RunRecord {
  const o = raw && typeof raw === 'object' ? (raw as { schemaVersion?: unknown; results?: unknown }) : {};
  // Something else entirely (another tool's JSON) gets one line, not a list of every field.
  if (typeof o.schemaVersion !== 'number' || !Array.isArray(o.results)) throw new InputError(`${source}: not a unilat run record (schemaVersion and results[] missing)`);
  const v = o.schemaVersion;
  if (v > SCHEMA_VERSION)
    throw new InputError(`${source}: schemaVersion ${v} is newer than this unilat understands (${SCHEMA_VERSION}); upgrade unilat`);
  const migrated = migrateRunRecord(raw);
  const r = runRecordSchema.safeParse(migrated);
  // The input itself, not zod's copy: the schema has no defaults or transforms, and zod's copy
  // reorders keys (schema keys first), which would reorder what reports print.
  if (r.success) return migrated as RunRecord;
  const lines = r.error.issues.slice(0, MAX_PROBLEMS).map((i) => problem(source, i, migrated));
  if (r.error.issues.length > MAX_PROBLEMS) lines.push(`${source}: and ${r.error.issues.length - MAX_PROBLEMS} more problems`);
  throw new InputError(lines);
}

/** The run record's JSON Schema (what run.json holds), for other tools reading it. */
export function runRecordJsonSchema(): unknown {
  return z.toJSONSchema(runRecordSchema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' });
}
