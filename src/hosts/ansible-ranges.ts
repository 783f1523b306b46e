/**
 * Ansible host ranges: `rt[01:16].lab` (numbers; a leading zero keeps the width),
 * `rt[a:c]` (single letters), an optional stride `[1:9:2]`, several ranges in one name.
 */

/** The host names a pattern stands for, in order; throws a message for a bad range. */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) {
    if (pattern.includes(']')) throw new Error(`"${pattern}": "]" without "["`);
    return [pattern];
  }
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new Error(`"${pattern}": "[" without "]"`);
  const head = pattern.slice(0, open);
  const tails = expandHostRange(pattern.slice(close + 1));
  return rangeValues(pattern, pattern.slice(open + 1, close)).flatMap((v) => tails.map((t) => head + v + t));
}

function rangeValues(pattern: string, body: string): string[] {
  const bad = (why: string) => new Error(`"${pattern}": bad range [${body}] (${why}; write [01:16] or [a:c])`);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) throw bad('expected [start:end] or [start:end:stride]');
  const [startText, end, strideText] = parts;
  // Like Ansible, an empty start is 0.
  const start = startText === '' ? '0' : startText;
  const stride = strideText === undefined ? 1 : Number(strideText);
  if (!Number.isInteger(stride) || stride < 1 || !/^\d+$/.test(strideText ?? '1')) throw bad('the stride must be a positive whole number');
  const out: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const a = Number(start);
    const b = Number(end);
    if (a > b) throw bad('start is after end');
    if ((b - a) / stride >= 100000) throw bad('more than 100000 hosts');
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    for (let n = a; n <= b; n += stride) out.push(String(n).padStart(width, '0'));
    return out;
  }
  if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    const a = start.charCodeAt(0);
    const b = end.charCodeAt(0);
    if (a > b) throw bad('start is after end');
    if (/[a-z]/.test(start) !== /[a-z]/.test(end)) throw bad('both ends must be lower case or both upper case');
    for (let c = a; c <= b; c += stride) out.push(String.fromCharCode(c));
    return out;
  }
  throw bad('both ends must be numbers or both single letters');
}

/**
 * A host pattern as inventories write it: a name or range, optionally `:PORT` after the
 * last `]` (so `rt[01:16]` keeps its colon). IPv6 addresses need `[addr]:port` in Ansible;
 * a name with several colons outside brackets is taken whole.
 */
export function parseHostPattern(pattern: string): { names: string[]; port?: number } {
  const lastBracket = pattern.lastIndexOf(']');
  const tail = pattern.slice(lastBracket + 1);
  const m = /^([^:]*):(\d+)$/.exec(tail);
  if (!m || tail.includes('[') || tail.indexOf(':') !== tail.lastIndexOf(':')) return { names: expandHostRange(pattern) };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`"${pattern}": port ${m[2]} is not between 1 and 65535`);
  return { names: expandHostRange(pattern.slice(0, lastBracket + 1) + m[1]), port };
}
