/**
 * The subset of OpenSSH client config (`~/.ssh/config`) the harness uses to fill in host
 * fields: Host, HostName, User, Port, IdentityFile, ProxyJump. Like ssh(1), the first value
 * obtained for each keyword wins (IdentityFile accumulates), and `Host` patterns may use
 * `*`, `?` and `!negation`. `Match` blocks are not evaluated (their contents are skipped);
 * `Include` is not followed. Parsing is pure; only readSshConfig touches the disk.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { wildcardMatch } from './known-hosts.js';

export interface SshConfigBlock {
  /** Host patterns; null for a `Match` block (never applied). Lines before any Host apply to all. */
  patterns: string[] | null;
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

export function parseSshConfig(text: string, file = 'ssh config'): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: ['*'], line: 0, options: [] }];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // "Keyword=value" and "Keyword value" are both allowed; only the first '=' separates.
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m) throw new SshConfigError(`${file}:${i + 1}: cannot parse "${line}"`);
    const keyword = m[1].toLowerCase();
    const args = words(m[2]);
    if (keyword === 'host') {
      if (args.length === 0) throw new SshConfigError(`${file}:${i + 1}: Host needs at least one pattern`);
      blocks.push({ patterns: args, line: i + 1, options: [] });
    } else if (keyword === 'match') {
      blocks.push({ patterns: null, line: i + 1, options: [] });
    } else {
      blocks[blocks.length - 1].options.push({ keyword, args, line: i + 1 });
    }
  });
  return blocks;
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
export function lookupSshConfig(
  blocks: readonly SshConfigBlock[],
  host: string,
  env: { home?: string; localUser?: string } = {},
  file = 'ssh config',
): SshConfigHost {
  const first = new Map<string, { args: string[]; line: number }>();
  const identity: string[] = [];
  for (const b of blocks) {
    if (!b.patterns || !hostPatternsMatch(b.patterns, host)) continue;
    for (const o of b.options) {
      if (o.keyword === 'identityfile') {
        if (o.args[0] !== undefined) identity.push(o.args[0]);
      } else if (!first.has(o.keyword)) first.set(o.keyword, o);
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
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SshConfigError(`${file}:${port.line}: bad Port "${port.args[0]}"`);
    out.port = n;
  }
  const pj = first.get('proxyjump');
  if (pj?.args[0]) out.proxyJump = parseProxyJump(pj.args[0]);
  const ctx: ExpandContext = {
    alias: host,
    hostName: out.hostName ?? host,
    user: out.user,
    home: env.home ?? homedir(),
    localUser: env.localUser ?? process.env.USER ?? 'root',
  };
  out.identityFiles = identity.map((p) => expandPath(p, ctx));
  return out;
}

/** Reads and parses an ssh config file (default `~/.ssh/config`); a missing file is empty. */
export async function readSshConfig(file = join(homedir(), '.ssh', 'config')): Promise<SshConfigBlock[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseSshConfig(text, file);
}
