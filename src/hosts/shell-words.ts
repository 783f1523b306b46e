/**
 * Splits a line into words the way Python's shlex does for Ansible (INI host lines,
 * ansible_ssh_common_args): single quotes are literal, double quotes allow `\"` and `\\`,
 * a backslash outside quotes escapes the next character, and with `comments` a `#` that
 * starts a word ends the line.
 */
export function shellWords(line: string, comments = false): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      have = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      have = true;
    } else if (/\s/.test(ch)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else if (ch === '#' && comments && !have) {
      break;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (have) out.push(cur);
  return out;
}
