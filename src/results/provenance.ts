/**
 * Where a run came from, so a change in its figures can be set beside what else changed then:
 * per host the kernel (release, build string, command line, config hash), the tuning applied;
 * unilat's version; the scenario's content hash; the user's labels and the CI's variables.
 * The host part is read from the record's facts and tuning (gathered anyway), never gathered
 * twice; the record itself keeps only what facts cannot say (`record.provenance`).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { z } from '../scenario/schema.js';
import { visible } from '../text.js';
import type { RunRecord } from './types.js';

/** The CI job a run came from, read from the CI's own variables. */
export interface CiInfo {
  system: 'gitlab' | 'github' | 'jenkins';
  commit: string | null;
  branch: string | null;
  /** Pipeline id, run id or build number. */
  build: string | null;
}

/** What run.json keeps of a run's provenance beyond the host facts (absent in older records and imports). */
export interface RecordProvenance {
  /** sha256 of the scenario as it ran (canonical JSON of the resolved scenario). */
  scenarioHash: string;
  /** --label KEY=VALUE, as given. */
  labels: Record<string, string>;
  ci: CiInfo | null;
}

export interface HostProvenance {
  /** uname -r */
  kernel: string;
  /** uname -v */
  build: string;
  /** /proc/cmdline */
  cmdline: string;
  /** sha256 of the kernel config (/boot/config-$(uname -r) or /proc/config.gz); null where neither is readable. */
  kernelConfig: string | null;
  /** Tuning the run applied on the host: knob -> value set (several values joined with ","). */
  tuning: Record<string, string>;
}

/** A run's provenance as the history stores it (runs.provenance) and `history --changes` compares it. */
export interface Provenance {
  unilat: string;
  scenarioHash: string | null;
  labels: Record<string, string>;
  ci: CiInfo | null;
  hosts: Record<string, HostProvenance>;
}

const ciSchema = z.looseObject({ system: z.enum(['gitlab', 'github', 'jenkins']), commit: z.string().nullable(), branch: z.string().nullable(), build: z.string().nullable() });
/** run.json's `provenance` (results/schema.ts uses it). */
export const recordProvenanceSchema = z.looseObject({ scenarioHash: z.string(), labels: z.record(z.string(), z.string()), ci: ciSchema.nullable() });
const provenanceSchema = z.looseObject({
  unilat: z.string(),
  scenarioHash: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  ci: ciSchema.nullable(),
  hosts: z.record(z.string(), z.looseObject({ kernel: z.string(), build: z.string(), cmdline: z.string(), kernelConfig: z.string().nullable(), tuning: z.record(z.string(), z.string()) })),
});

/** A stored Provenance, checked: an InputError naming the first wrong field. */
export function parseProvenance(raw: unknown, source: string): Provenance {
  const r = provenanceSchema.safeParse(raw);
  if (r.success) return raw as Provenance;
  const i = r.error.issues[0];
  throw new InputError(`${source}: ${i.path.join('.') || '(top level)'}: ${i.message.replace(/^Invalid input: /, '')}`);
}

/** JSON with object keys sorted at every level: the same content gives the same text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** sha256 (hex) of a scenario's content: key order and YAML formatting do not change it. */
export function scenarioHash(scenario: unknown): string {
  return createHash('sha256').update(canonical(scenario)).digest('hex');
}

const LABEL_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_LABEL_VALUE = 256;

/** `--label KEY=VALUE` flags as a map; an InputError naming each bad one (exit 2). */
export function parseLabels(given: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const g of given) {
    const shown = `"${visible(g, false)}"`;
    const eq = g.indexOf('=');
    if (eq < 0) {
      problems.push(`--label ${shown}: expected KEY=VALUE`);
      continue;
    }
    const key = g.slice(0, eq);
    const value = g.slice(eq + 1);
    if (!LABEL_KEY.test(key)) problems.push(`--label ${shown}: the key must start with a letter and hold only letters, digits, _ . - (at most 64 characters)`);
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) problems.push(`--label ${shown}: the value holds control characters`);
    else if (value.length > MAX_LABEL_VALUE) problems.push(`--label ${shown}: the value is longer than ${MAX_LABEL_VALUE} characters`);
    else if (key in out) problems.push(`--label ${shown}: ${key} given twice`);
    else out[key] = value;
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

/** The CI variables of GitLab CI, GitHub Actions and Jenkins, in that order, where present. */
const CI_VARS: ReadonlyArray<{ system: CiInfo['system']; commit: string; branch: string; build: string }> = [
  { system: 'gitlab', commit: 'CI_COMMIT_SHA', branch: 'CI_COMMIT_REF_NAME', build: 'CI_PIPELINE_ID' },
  { system: 'github', commit: 'GITHUB_SHA', branch: 'GITHUB_REF_NAME', build: 'GITHUB_RUN_ID' },
  { system: 'jenkins', commit: 'GIT_COMMIT', branch: 'GIT_BRANCH', build: 'BUILD_NUMBER' },
];

/** The CI job of an environment: the first system with any of its variables set; null outside CI. */
export function ciFromEnv(env: Readonly<Record<string, string | undefined>>): CiInfo | null {
  // Values are kept printable and short: they come from the environment, and reports show them.
  const get = (k: string) => {
    const v = env[k];
    return v ? visible(v, false).slice(0, MAX_LABEL_VALUE) : null;
  };
  for (const c of CI_VARS) {
    const info: CiInfo = { system: c.system, commit: get(c.commit), branch: get(c.branch), build: get(c.build) };
    if (info.commit ?? info.branch ?? info.build) return info;
  }
  return null;
}

/** A run's provenance from its record (facts, tuning, tool, record.provenance): a pure function. */
export function runProvenance(record: RunRecord): Provenance {
  const hosts: Record<string, HostProvenance> = {};
  for (const [name, f] of Object.entries(record.facts ?? {})) {
    const tuning: Record<string, string[]> = {};
    for (const t of record.tuning ?? []) if (t.host === name && !(tuning[t.knob] ?? []).includes(t.after)) (tuning[t.knob] ??= []).push(t.after);
    hosts[name] = {
      kernel: f.kernel?.release ?? '',
      build: f.kernel?.version ?? '',
      cmdline: f.cmdline?.raw ?? '',
      kernelConfig: f.kernel?.config?.sha256 ?? null,
      tuning: Object.fromEntries(Object.entries(tuning).map(([k, v]) => [k, v.join(',')])),
    };
  }
  const p = record.provenance;
  return { unilat: record.tool?.version ?? '', scenarioHash: p?.scenarioHash ?? null, labels: p?.labels ?? {}, ci: p?.ci ?? null, hosts };
}

/** What differs between two runs' provenance, one line each ("kernel@h: 6.1 -> 6.2"); empty when nothing does. */
export function provenanceDiff(before: Provenance, after: Provenance): string[] {
  const out: string[] = [];
  const short = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '(none)' : v.length > 80 ? `${v.slice(0, 77)}...` : v);
  const cmp = (what: string, a: string | null | undefined, b: string | null | undefined) => {
    if ((a ?? '') !== (b ?? '')) out.push(`${what}: ${short(a)} -> ${short(b)}`);
  };
  cmp('unilat', before.unilat, after.unilat);
  cmp('scenario', before.scenarioHash?.slice(0, 12), after.scenarioHash?.slice(0, 12));
  for (const h of [...new Set([...Object.keys(before.hosts), ...Object.keys(after.hosts)])].sort()) {
    const a = before.hosts[h];
    const b = after.hosts[h];
    if (!a || !b) {
      out.push(`host ${h}: ${a ? 'gone' : 'new'}`);
      continue;
    }
    cmp(`kernel@${h}`, a.kernel, b.kernel);
    cmp(`build@${h}`, a.build, b.build);
    cmp(`cmdline@${h}`, a.cmdline, b.cmdline);
    cmp(`kernel config@${h}`, a.kernelConfig?.slice(0, 12), b.kernelConfig?.slice(0, 12));
    for (const k of [...new Set([...Object.keys(a.tuning), ...Object.keys(b.tuning)])].sort()) cmp(`tuning ${k}@${h}`, a.tuning[k], b.tuning[k]);
  }
  for (const k of [...new Set([...Object.keys(before.labels), ...Object.keys(after.labels)])].sort()) cmp(`label ${k}`, before.labels[k], after.labels[k]);
  cmp('ci', before.ci?.system, after.ci?.system);
  cmp('ci commit', before.ci?.commit, after.ci?.commit);
  cmp('ci branch', before.ci?.branch, after.ci?.branch);
  return out;
}
