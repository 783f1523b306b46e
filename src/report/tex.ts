/**
 * Text as LaTeX source for pdflatex with its default OT1 encoding and Computer Modern, the
 * only fonts Debian's texlive-latex-base has as Type 1 (no lmodern, no cm-super, so nothing
 * in T1 or TS1 such as \textmu). Every character comes out as ASCII: LaTeX's specials as
 * commands, what OT1 and math mode can draw (accented letters, µ, ≥, ×, dashes, quotes) as
 * the command that draws it, anything else as '?'. Nothing in TS1 (\pounds, \copyright, \dag,
 * \S, \textbullet): its fonts exist only as METAFONT sources there, which pdflatex turns into
 * bitmap (Type 3) fonts. So no text from a run record can make pdflatex stop, or put a bitmap
 * font into the PDF, whatever the scenario's names and descriptions hold.
 */
import { xmlChars } from './escape.js';

// \ensuremath, not $...$: two of them side by side must not read as $$ (display math).
const math = (m: string): string => `\\ensuremath{${m}}`;

const SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  // \$ is \textdollar, in TS1 (see above); math mode's dollar is in Computer Modern Roman.
  $: '\\ensuremath{\\$}',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
};

/** Characters beyond ASCII that have a command, or an ASCII stand-in, in OT1 or math mode. */
const NON_ASCII: Record<string, string> = {
  '\u00a0': '~',
  '\u00ad': '\\-',
  '¡': '!`',
  '¿': '?`',
  '£': math('\\mathsterling'),
  '§': math('\\mathsection'),
  '¶': math('\\mathparagraph'),
  '©': '(c)',
  '®': '(R)',
  '«': '\\textless{}\\textless{}',
  '»': '\\textgreater{}\\textgreater{}',
  '¬': math('\\neg'),
  '°': math('^\\circ'),
  '±': math('\\pm'),
  '²': math('^2'),
  '³': math('^3'),
  '¹': math('^1'),
  'µ': math('\\mu'),
  '·': math('\\cdot'),
  '×': math('\\times'),
  '÷': math('\\div'),
  '¼': '1/4',
  '½': '1/2',
  '¾': '3/4',
  'ß': '{\\ss}',
  'æ': '{\\ae}',
  'Æ': '{\\AE}',
  'œ': '{\\oe}',
  'Œ': '{\\OE}',
  'ø': '{\\o}',
  'Ø': '{\\O}',
  'å': '{\\aa}',
  'Å': '{\\AA}',
  'ł': '{\\l}',
  'Ł': '{\\L}',
  'ı': '{\\i}',
  'ð': 'd',
  'đ': 'd',
  'Đ': 'D',
  'ħ': 'h',
  'Ħ': 'H',
  'Ð': 'D',
  'þ': 'th',
  'Þ': 'Th',
  '\u2009': '\\,',
  '\u200b': '',
  '\u200c': '',
  '\u200d': '',
  '\u2060': '',
  '\ufeff': '',
  '‐': '-',
  '‑': '-',
  '‒': '--',
  '–': '--',
  '—': '---',
  '―': '---',
  '‘': '`',
  '’': "'",
  '‚': ',',
  '“': '``',
  '”': "''",
  '„': ',,',
  '†': math('\\dagger'),
  '‡': math('\\ddagger'),
  '•': math('\\bullet'),
  '…': '\\ldots{}',
  '‰': '0/00',
  '′': math("'"),
  '″': math("''"),
  '€': 'EUR',
  '™': math('^{\\mathrm{TM}}'),
  '←': math('\\leftarrow'),
  '→': math('\\rightarrow'),
  '↑': math('\\uparrow'),
  '↓': math('\\downarrow'),
  '↔': math('\\leftrightarrow'),
  '⇐': math('\\Leftarrow'),
  '⇒': math('\\Rightarrow'),
  '⇔': math('\\Leftrightarrow'),
  '∞': math('\\infty'),
  '−': math('-'),
  '∓': math('\\mp'),
  '√': math('\\surd'),
  '∑': math('\\sum'),
  '∏': math('\\prod'),
  '∂': math('\\partial'),
  '∫': math('\\int'),
  '∈': math('\\in'),
  '∉': math('\\notin'),
  '∅': math('\\emptyset'),
  '∧': math('\\wedge'),
  '∨': math('\\vee'),
  '∩': math('\\cap'),
  '∪': math('\\cup'),
  '⊂': math('\\subset'),
  '⊆': math('\\subseteq'),
  '∘': math('\\circ'),
  '∼': math('\\sim'),
  '≈': math('\\approx'),
  '≅': math('\\cong'),
  '≠': math('\\neq'),
  '≡': math('\\equiv'),
  '≤': math('\\leq'),
  '≥': math('\\geq'),
  '≪': math('\\ll'),
  '≫': math('\\gg'),
  '⋅': math('\\cdot'),
  '✓': math('\\surd'),
};

// Greek letters in math italic (lowercase) and upright (the uppercase ones unlike Latin letters).
const GREEK_LOWER = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma sigma tau upsilon phi chi psi omega'.split(' ');
GREEK_LOWER.forEach((n, i) => (NON_ASCII[String.fromCodePoint(0x3b1 + i)] = n === 'o' ? 'o' : math(`\\${n}`)));
const GREEK_UPPER = 'A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi Omega'.split(' ');
GREEK_UPPER.forEach((n, i) => n !== '-' && (NON_ASCII[String.fromCodePoint(0x391 + i)] = n.length === 1 ? n : math(`\\${n}`)));

/** Combining marks (after Unicode decomposition) and OT1's accent commands for them (no ogonek in OT1). */
const ACCENTS: Record<string, string> = {
  '\u0300': '`',
  '\u0301': "'",
  '\u0302': '^',
  '\u0303': '~',
  '\u0304': '=',
  '\u0306': 'u',
  '\u0307': '.',
  '\u0308': '"',
  '\u030a': 'r',
  '\u030b': 'H',
  '\u030c': 'v',
  '\u0323': 'd',
  '\u0327': 'c',
  '\u0331': 'b',
};

/** What stands for a character that OT1 and math mode cannot draw. */
export const TEX_UNKNOWN = '?';

/**
 * A letter with accents: the base (dotless i and j under an accent) inside the accent
 * commands, innermost first, without the marks OT1 has no accent for (an ogonek); null unless
 * the base is an ASCII letter.
 */
function accented(c: string): string | null {
  const [base, ...marks] = [...c.normalize('NFD')];
  if (!/^[A-Za-z]$/.test(base) || !marks.length) return null;
  const known = marks.filter((m) => m in ACCENTS);
  let s = known.length && base === 'i' ? '\\i' : known.length && base === 'j' ? '\\j' : base;
  for (const m of known) s = `\\${ACCENTS[m]}{${s}}`;
  return `{${s}}`;
}

/** One character (a code point) as OT1 LaTeX source. */
function texChar(c: string): string {
  if (c in SPECIALS) return SPECIALS[c];
  if (c >= ' ' && c <= '~') return c;
  if (c in NON_ASCII) return NON_ASCII[c];
  if (/\s/u.test(c)) return ' ';
  // A combining mark on its own (after a non-letter) adds nothing OT1 can draw.
  if (/\p{M}/u.test(c)) return '';
  return accented(c) ?? TEX_UNKNOWN;
}

/** Text on one line: control characters (C0, DEL, C1) and line breaks as spaces; what XML does not allow (U+FFFF, lone surrogates) removed. */
function oneLine(s: string): string {
  return xmlChars(s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
}

/** Two pieces of TeX source that pdflatex would read as one ligature (a dash, ¡, ¿, a double quote) when side by side. */
function joins(a: string, b: string): boolean {
  const first = b[0];
  return (first === '-' && a.endsWith('-')) || (first === '`' && /[!?`]$/.test(a)) || (first === "'" && a.endsWith("'"));
}

/** What may need escaping or breaking apart: LaTeX's specials, ligature characters, and all beyond ASCII. */
const NEEDS_CARE = /[\\&%$#_{}~^<>|\-!?`']|[^\x20-\x7e]/gu;

/**
 * Escapes text for LaTeX's text mode, as ASCII (see above); control characters and newlines
 * become spaces. Ligatures that would change what is read (`--` as a dash, `!`` as ¡) are
 * broken with `{}`.
 */
export function texEscape(s: string): string {
  let t = oneLine(s);
  // Accented letters composed first, so "e" + U+0301 is one letter with its accent.
  if (/[^\x20-\x7e]/.test(t)) t = t.normalize('NFC');
  return t.replace(NEEDS_CARE, (c: string, at: number) => {
    const out = texChar(c);
    const next = t.codePointAt(at + c.length);
    return next !== undefined && /[-`'!?]$/.test(out) && joins(out, texChar(String.fromCodePoint(next))) ? `${out}{}` : out;
  });
}

/** A comment line: '%' starts a comment to the end of the line, so only what could end the line needs care (and the line is ASCII, as all of the file). */
export function texComment(s: string): string {
  return `% ${[...oneLine(s)].map((c) => (c >= ' ' && c <= '~' ? c : TEX_UNKNOWN)).join('')}`;
}
