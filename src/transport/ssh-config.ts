/**
 * The subset of OpenSSH client config (`~/.ssh/config`) the harness uses to fill in host
 * fields: Host, Match, Include, HostName, User, Port, IdentityFile, ProxyJump,
 * UserKnownHostsFile. Like ssh(1), the first value obtained for each keyword wins
 * (IdentityFile accumulates), `Host` patterns may use `*`, `?` and `!negation`, and `Match`
 * takes host, originalhost, user, localuser, all, canonical and final (`exec` is never run:
 * such a block does not apply). Parsing is pure; readSshConfig reads the files, following
 * `Include`.
 *
 * Why not the `ssh-config` npm package (5.3): it has no line numbers (our messages are
 * FILE:LINE), takes `Port` without a value silently, does not follow Include, and runs
 * `Match exec` commands unless told not to; what it would save us is the pattern matching.
 */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { wildcardMatch } from './known-hosts.js';

/** One `Match` criterion; `negated` for `!criterion`. */
export interface MatchCriterion {
  keyword: 'all' | 'host' | 'originalhost' | 'user' | 'localuser' | 'exec' | 'canonical' | 'final';
  negated: boolean;
  /** Comma-separated patterns (or the exec command); absent for all, canonical, final. */
  arg?: string;
}

export interface SshConfigBlock {
  /** Host patterns; null for a `Match` block (see `match`). Lines before any Host apply to all. */
  patterns: string[] | null;
  /** The criteria of a `Match` block (all must hold). */
  match?: MatchCriterion[];
  /** The file the block was read from (for messages; absent for text parsed without a name). */
  file?: string;
  /** 1-based line of the Host/Match line (0 for the implicit leading block). */
  line: number;
  options: { keyword: string; args: string[]; line: number }[];
}

export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** Hops in order, or undefined when unset or `none`. */
  proxyJump?: JumpSpec[];
  /** The first UserKnownHostsFile (ssh reads several; the transport checks one). */
  userKnownHostsFile?: string;
  /** StrictHostKeyChecking where set to yes, accept-new or no (`ask`, ssh's default, is unset: unilat never asks). */
  strictHostKeyChecking?: { value: 'yes' | 'accept-new' | 'no'; at: string };
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

export class SshConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConfigError';
  }
}

/** Splits a config line into words, honouring double quotes, and `keyword=value`. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let have = false;
  for (const ch of line) {
    if (ch === '"') {
      inQuote = !inQuote;
      have = true;
    } else if (!inQuote && /\s/.test(ch)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

const MATCH_KEYWORDS: readonly MatchCriterion['keyword'][] = ['all', 'host', 'originalhost', 'user', 'localuser', 'exec', 'canonical', 'final'];
const MATCH_WITHOUT_ARG = ['all', 'canonical', 'final'];

export function parseSshConfig(text: string, file?: string): SshConfigBlock[] {
  const name = file ?? 'ssh config';
  const blocks: SshConfigBlock[] = [{ patterns: ['*'], file, line: 0, options: [] }];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // "Keyword=value" and "Keyword value" are both allowed; only the first '=' separates.
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line) ?? /^([A-Za-z][A-Za-z0-9]*)()$/.exec(line);
    if (!m) throw new SshConfigError(`${name}:${i + 1}: cannot parse "${line}"`);
    const keyword = m[1].toLowerCase();
    const args = words(m[2]);
    if (keyword === 'host') {
      if (args.length === 0) throw new SshConfigError(`${name}:${i + 1}: Host needs at least one pattern`);
      blocks.push({ patterns: args, file, line: i + 1, options: [] });
    } else if (keyword === 'match') {
      blocks.push({ patterns: null, match: matchCriteria(args, `${name}:${i + 1}`), file, line: i + 1, options: [] });
    } else {
      if (args.length === 0) throw new SshConfigError(`${name}:${i + 1}: ${m[1]} needs a value`);
      blocks[blocks.length - 1].options.push({ keyword, args, line: i + 1 });
    }
  });
  return blocks;
}

function matchCriteria(args: string[], at: string): MatchCriterion[] {
  if (args.length === 0) throw new SshConfigError(`${at}: Match needs a criterion (host, user, all, ...)`);
  const out: MatchCriterion[] = [];
  for (let i = 0; i < args.length; i++) {
    const negated = args[i].startsWith('!');
    const keyword = args[i].slice(negated ? 1 : 0).toLowerCase() as MatchCriterion['keyword'];
    if (!MATCH_KEYWORDS.includes(keyword)) throw new SshConfigError(`${at}: unknown Match criterion "${args[i]}" (allowed: ${MATCH_KEYWORDS.join(', ')})`);
    if (MATCH_WITHOUT_ARG.includes(keyword)) out.push({ keyword, negated });
    else if (i + 1 >= args.length) throw new SshConfigError(`${at}: Match ${keyword} needs a value`);
    else out.push({ keyword, negated, arg: args[++i] });
  }
  return out;
}

/** What a block is tested against: the name asked for, and what is known when the block is reached. */
interface MatchContext {
  originalHost: string;
  /** The HostName obtained so far, else the name asked for. */
  host: string;
  user: string;
  localUser: string;
}

/** Whether a block applies. Match exec is never run (the block does not apply); there is one pass, taken as the final one. */
function blockApplies(b: SshConfigBlock, ctx: MatchContext): boolean {
  if (b.patterns) return hostPatternsMatch(b.patterns, ctx.originalHost);
  return (b.match ?? []).every((c) => {
    const list = (text: string) => hostPatternsMatch((c.arg ?? '').split(','), text);
    let hit: boolean;
    switch (c.keyword) {
      case 'all':
      case 'final':
        hit = true;
        break;
      case 'canonical':
        hit = false;
        break;
      case 'exec':
        return false;
      case 'host':
        hit = list(ctx.host);
        break;
      case 'originalhost':
        hit = list(ctx.originalHost);
        break;
      case 'user':
        hit = list(ctx.user);
        break;
      default:
        hit = list(ctx.localUser);
    }
    return hit !== c.negated;
  });
}

/** Whether a Host line's patterns select `host` (a matching `!pattern` excludes it). */
export function hostPatternsMatch(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), host)) return false;
    } else if (wildcardMatch(p, host)) matched = true;
  }
  return matched;
}

/** Parses a ProxyJump value: `[user@]host[:port]` hops separated by commas; `none` is none. */
export function parseProxyJump(value: string): JumpSpec[] | undefined {
  if (value.toLowerCase() === 'none') return undefined;
  return value.split(',').map((hop) => {
    const s = hop.trim().replace(/^ssh:\/\//, '');
    const at = s.lastIndexOf('@');
    const user = at >= 0 ? s.slice(0, at) : undefined;
    let rest = at >= 0 ? s.slice(at + 1) : s;
    let port: number | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    if (bracket) {
      rest = bracket[1];
      port = bracket[2] ? Number(bracket[2]) : undefined;
    } else {
      const colon = /^([^:]+):(\d+)$/.exec(rest);
      if (colon) {
        rest = colon[1];
        port = Number(colon[2]);
      }
    }
    if (!rest) throw new SshConfigError(`ProxyJump: empty host in "${value}"`);
    return { user: user || undefined, host: rest, port };
  });
}

export interface ExpandContext {
  /** The name looked up (`%n`) and the resolved host name (`%h`). */
  alias: string;
  hostName: string;
  user?: string;
  home: string;
  localUser: string;
}

/** `~` and the common `%` tokens of IdentityFile paths (%d home, %h host, %n alias, %r user, %u local user). */
export function expandPath(p: string, ctx: ExpandContext): string {
  let s = p;
  if (s === '~') s = ctx.home;
  else if (s.startsWith('~/')) s = join(ctx.home, s.slice(2));
  return s.replace(/%([%dhnru])/g, (_, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return ctx.home;
      case 'h':
        return ctx.hostName;
      case 'n':
        return ctx.alias;
      case 'r':
        return ctx.user ?? ctx.localUser;
      default:
        return ctx.localUser;
    }
  });
}

/** Resolves the options that apply to `host` (first obtained value of each keyword wins). */
/** ssh's StrictHostKeyChecking words; null: the default (ask, which a batch tool cannot). */
const STRICT_HOST_KEY_CHECKING: Record<string, 'yes' | 'accept-new' | 'no' | null> = { yes: 'yes', 'accept-new': 'accept-new', no: 'no', off: 'no', ask: null };

export function lookupSshConfig(
  blocks: readonly SshConfigBlock[],
  host: string,
  env: { home?: string; localUser?: string; user?: string } = {},
  file = 'ssh config',
): SshConfigHost {
  const first = new Map<string, { args: string[]; line: number; file?: string }>();
  const identity: string[] = [];
  const localUser = env.localUser ?? process.env.USER ?? 'root';
  for (const b of blocks) {
    // Match host/user see the HostName and User obtained so far, as in ssh.
    const hostName = first.get('hostname')?.args[0]?.replace(/%h/g, host).replace(/%%/g, '%');
    if (!blockApplies(b, { originalHost: host, host: hostName ?? host, user: first.get('user')?.args[0] ?? env.user ?? localUser, localUser })) continue;
    for (const o of b.options) {
      if (o.keyword === 'identityfile') {
        if (o.args[0] !== undefined) identity.push(o.args[0]);
      } else if (!first.has(o.keyword)) first.set(o.keyword, { ...o, file: b.file });
    }
  }
  const out: SshConfigHost = { identityFiles: [] };
  const hn = first.get('hostname');
  // HostName may contain %h, the name given on the command line.
  if (hn?.args[0]) out.hostName = hn.args[0].replace(/%h/g, host).replace(/%%/g, '%');
  const user = first.get('user');
  if (user?.args[0]) out.user = user.args[0];
  const port = first.get('port');
  if (port?.args[0] !== undefined) {
    const n = Number(port.args[0]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SshConfigError(`${port.file ?? file}:${port.line}: bad Port "${port.args[0]}"`);
    out.port = n;
  }
  const pj = first.get('proxyjump');
  if (pj?.args[0]) out.proxyJump = parseProxyJump(pj.args[0]);
  const kh = first.get('userknownhostsfile');
  if (kh?.args[0]) out.userKnownHostsFile = kh.args[0];
  const shk = first.get('stricthostkeychecking');
  if (shk?.args[0] !== undefined) {
    const v = STRICT_HOST_KEY_CHECKING[shk.args[0].toLowerCase()];
    const at = `${shk.file ?? file}:${shk.line}`;
    if (v === undefined) throw new SshConfigError(`${at}: bad StrictHostKeyChecking "${shk.args[0]}" (allowed: yes, accept-new, no, ask, off)`);
    if (v) out.strictHostKeyChecking = { value: v, at };
  }
  const ctx: ExpandContext = {
    alias: host,
    hostName: out.hostName ?? host,
    user: out.user,
    home: env.home ?? homedir(),
    localUser,
  };
  out.identityFiles = identity.map((p) => expandPath(p, ctx));
  return out;
}

/** ssh's limit on nested Include. */
const MAX_INCLUDE_DEPTH = 16;

/**
 * Reads and parses an ssh config file (default `~/.ssh/config`; a missing file is empty),
 * with every `Include` replaced by the files it names, in place: the included lines before
 * their first Host/Match keep the condition of the block the Include is in. Relative Include
 * paths are taken from the folder of the top file (`~/.ssh` for the default, as in ssh);
 * `*` and `?` may appear in the file name.
 */
export async function readSshConfig(file = join(homedir(), '.ssh', 'config')): Promise<SshConfigBlock[]> {
  const text = await readIfThere(file);
  return text === null ? [] : expandIncludes(parseSshConfig(text, file), dirname(file), 0);
}

async function expandIncludes(blocks: SshConfigBlock[], base: string, depth: number): Promise<SshConfigBlock[]> {
  const out: SshConfigBlock[] = [];
  for (const b of blocks) {
    let cur: SshConfigBlock = { ...b, options: [] };
    out.push(cur);
    for (const o of b.options) {
      if (o.keyword !== 'include') {
        cur.options.push(o);
        continue;
      }
      const at = `${b.file ?? 'ssh config'}:${o.line}`;
      if (depth >= MAX_INCLUDE_DEPTH) throw new SshConfigError(`${at}: Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      for (const pattern of o.args)
        for (const f of await includedFiles(pattern, base)) {
          const text = await readIfThere(f);
          if (text === null) continue;
          const [lead, ...rest] = await expandIncludes(parseSshConfig(text, f), base, depth + 1);
          // The included file's first lines belong to the block that includes it.
          out.push({ ...b, file: f, line: o.line, options: lead.options }, ...rest);
        }
      // What follows the Include belongs to the including block again.
      cur = { ...b, options: [] };
      out.push(cur);
    }
  }
  return out;
}

/** The files an Include pattern names, sorted as ssh sorts glob matches. */
async function includedFiles(pattern: string, base: string): Promise<string[]> {
  const home = homedir();
  const p = pattern === '~' ? home : pattern.startsWith('~/') ? join(home, pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(base, pattern);
  const name = basename(p);
  if (!/[*?]/.test(name)) return [p];
  let entries: string[];
  try {
    entries = await readdir(dirname(p));
  } catch {
    return [];
  }
  return entries.filter((e) => !e.startsWith('.') && wildcardMatch(name, e)).sort().map((e) => join(dirname(p), e));
}

async function readIfThere(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw e;
  }
}
