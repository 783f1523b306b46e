/**
 * OpenSSH known_hosts handling for the SSH transport: parsing, host matching (plain patterns,
 * `[host]:port`, hashed `|1|salt|hash` entries), key comparison and appending new keys the way
 * `StrictHostKeyChecking=accept-new` does. No ssh2 here: keys are raw SSH wire-format blobs.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker: 'cert-authority' | 'revoked' | null;
  /** The host field as written (comma-separated patterns or one hashed entry). */
  hosts: string;
  keyType: string;
  /** The public key blob (base64-decoded). */
  key: Buffer;
}

/** Parses a known_hosts file; malformed lines and comments are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields.length === 0 || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    } else if (fields[0].startsWith('@')) return;
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    out.push({ line: i + 1, marker, hosts, keyType, key: Buffer.from(b64, 'base64') });
  });
  return out;
}

/** The name OpenSSH looks up for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH wildcard match (`*`, `?`), case-insensitive. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    's',
  );
  return re.test(text.toLowerCase());
}

/** Whether an entry's host field names `host:port` (negated patterns veto a match). */
export function hostFieldMatches(hosts: string, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) matched = true;
  }
  return matched;
}

/** The key type named inside a wire-format public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `SHA256:...` fingerprint, as `ssh-keygen -l` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** A known_hosts line for this host and key (plain, not hashed, so a person can read it). */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${knownHostName(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

export type HostKeyCheck =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Same key type recorded with a different key: a possible man-in-the-middle. */
  | { status: 'changed'; entry: KnownHostEntry }
  /** Nothing recorded for this key type; `otherTypes` lists types recorded for the host. */
  | { status: 'unknown'; otherTypes: string[] };

/** Checks an offered host key against parsed entries (OpenSSH's order: revoked first, then match). */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyCheck {
  const type = keyTypeOf(blob);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === null && hostFieldMatches(e.hosts, host, port));
  const same = forHost.find((e) => e.key.equals(blob));
  if (same) return { status: 'ok', entry: same };
  const changed = forHost.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** Key types recorded for the host, so the client can ask the server for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  return [...new Set(entries.filter((e) => e.marker === null && hostFieldMatches(e.hosts, host, port)).map((e) => e.keyType))];
}

/** Reads a known_hosts file; a missing file is an empty one. */
export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Records a newly accepted key. Re-reads the file first so concurrent connections to the same
 * host do not write the same line twice; keeps the file newline-terminated.
 */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (checkHostKey(parseKnownHosts(text), host, port, blob).status === 'ok') return;
  const sep = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  await appendFile(file, `${sep}${knownHostsLine(host, port, blob)}\n`, { mode: 0o644 });
}
