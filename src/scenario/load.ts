import { InputError } from '../errors.js';
import { loadYamlFile, type LoadedYaml } from './yaml.js';
import { hostsFileSchema, scenarioSchema, z, type HostsFile, type Scenario } from './schema.js';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** Position of a field, for later checks that need the hosts file (unknown host names). */
  locate: LoadedYaml['locate'];
}

export async function loadScenario(file: string): Promise<LoadedScenario> {
  const y = await loadYamlFile(file);
  return { file, scenario: validate(y, scenarioSchema), locate: y.locate };
}

export async function loadHostsFile(file: string): Promise<HostsFile & { file: string }> {
  const y = await loadYamlFile(file);
  return { ...validate(y, hostsFileSchema), file };
}

function validate<S extends z.ZodType>(y: LoadedYaml, schema: S): z.output<S> {
  const r = schema.safeParse(y.data);
  if (r.success) return r.data;
  throw new InputError(r.error.issues.flatMap((i) => describeIssue(y, schema, i)).sort(byPosition));
}

/** One line per problem: FILE:LINE:COL: path.to.field: what is wrong (what is allowed). */
function describeIssue(y: LoadedYaml, schema: z.ZodType, issue: z.core.$ZodIssue): string[] {
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (k) => `${y.locate(path, k)}: ${fieldPath([...path, k])}: unknown field${allowedKeys(schema, y.data, path)}`,
    );
  }
  return [`${y.locate(path)}: ${fieldPath(path) || '(top level)'}: ${messageOf(issue, y.data)}`];
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function messageOf(issue: z.core.$ZodIssue, data: unknown): string {
  const got = valueAt(data, issue.path as PropertyKey[]);
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `missing (required, ${issue.expected})`;
      return `expected ${issue.expected}, found ${describe(got)}`;
    case 'invalid_value':
      return `${describe(got)} is not allowed (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
    case 'invalid_union': {
      const disc = /^Invalid discriminator value\. Expected (.*)$/.exec(issue.message);
      if (disc) return `${describe(got)} is not allowed (allowed: ${disc[1].replace(/'/g, '"').split(' | ').join(', ')})`;
      if (got && typeof got === 'object' && 'kind' in got) return `unknown kind ${JSON.stringify((got as { kind: unknown }).kind)}${kindHint(issue)}`;
      return issue.message === 'Invalid input' ? `invalid value ${describe(got)}` : issue.message;
    }
    case 'too_small':
      return `${describe(got)} is too small (minimum ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''})`;
    case 'too_big':
      return `${describe(got)} is too big (maximum ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''})`;
    case 'invalid_format':
      return `${describe(got)}: ${issue.message}`;
    default:
      return issue.message;
  }
}

function kindHint(issue: z.core.$ZodIssue): string {
  const opts = (issue as { options?: unknown[] }).options;
  return Array.isArray(opts) && opts.length ? ` (allowed: ${opts.map((o) => JSON.stringify(o)).join(', ')})` : '';
}

type JsonSchema = { properties?: Record<string, JsonSchema>; additionalProperties?: JsonSchema | boolean; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; const?: unknown };

/** Lists the keys allowed at a path, read off the JSON Schema (branch chosen by `kind`). */
function allowedKeys(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): string {
  let node = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema | undefined;
  const pick = (n: JsonSchema | undefined, value: unknown): JsonSchema | undefined => {
    const branches = n?.anyOf ?? n?.oneOf;
    if (!branches) return n;
    const kind = value && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
    return branches.find((b) => b.properties?.kind?.const === kind) ?? branches.find((b) => b.properties);
  };
  let value = data;
  for (const seg of path) {
    node = pick(node, value);
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    if (typeof seg === 'number') node = node?.items;
    else node = node?.properties?.[String(seg)] ?? (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
  }
  const keys = Object.keys(pick(node, value)?.properties ?? {}).filter((k) => k !== '$schema');
  return keys.length ? ` (allowed: ${keys.join(', ')})` : '';
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Orders "FILE:LINE:COL: ..." messages by line, then column. */
function byPosition(a: string, b: string): number {
  const pos = (m: string) => (/:(\d+):(\d+): /.exec(m) ?? [0, 0, 0]).slice(1).map(Number);
  const [la, ca] = pos(a);
  const [lb, cb] = pos(b);
  return la - lb || ca - cb;
}
