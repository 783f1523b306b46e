/**
 * The one escaper of markup (report.html, compare.html, JUnit XML) and the `html` template tag
 * every piece of that markup is written with: whatever is interpolated into an html`...`
 * literal is escaped, unless it is markup itself (an Html, made by the tag). Text from a run
 * record (or any tool's output) therefore cannot become markup unless someone writes
 * `trusted(...)`, which only the renderer's own CSS and Vega's SVG (escaped by Vega) use.
 * Also the character filters the other formats share (Markdown, CSV and LaTeX escape for
 * themselves, in md.ts, csv.ts and tex.ts).
 */

/**
 * Characters XML 1.0 does not allow: C0 controls but tab, LF and CR; U+FFFE and U+FFFF; a
 * surrogate that is not half of a pair. An XML parser refuses a document holding one, and
 * HTML calls them parse errors.
 */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `s` without the characters XML does not allow. */
export function xmlChars(s: string): string {
  return s.replace(XML_INVALID, '');
}

/**
 * `s` without control characters but tab, LF and CR (and without what XML does not allow): an
 * escape sequence in a name must not reach a terminal that shows report.md, compare.md or
 * summary.csv.
 */
export function withoutControls(s: string): string {
  return xmlChars(s).replace(/[\u007f-\u009f]/g, '');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A value as HTML or XML text or a quoted attribute value: markup characters as entities,
 * characters XML does not allow removed; null and undefined are empty.
 */
export function escapeMarkup(v: unknown): string {
  return xmlChars(String(v ?? '')).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Markup: made only by the `html` tag, `joinHtml` and `trusted`, so a plain string never passes for it. */
export class Html {
  readonly #markup: string;
  private constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/** Only this module makes Html (the constructor is private to the class). */
const make = (markup: string): Html => new (Html as unknown as new (m: string) => Html)(markup);

/** An interpolated value: markup as it is, a list one after another, anything else escaped. */
function part(v: unknown): string {
  if (v instanceof Html) return v.toString();
  if (Array.isArray(v)) return v.map(part).join('');
  return escapeMarkup(v);
}

/** Markup from a template literal: the literal's own text is markup, every interpolated value is escaped (unless Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => (out += part(v) + strings[i + 1]));
  return make(out);
}

/** Pieces of markup with an (escaped) separator between them. */
export function joinHtml(list: readonly unknown[], sep: string): Html {
  return make(list.map(part).join(escapeMarkup(sep)));
}

/**
 * Markup that is not escaped: for the renderer's constant CSS and SVG Vega wrote (which
 * escapes its own text). Characters XML does not allow are still removed. Never for text
 * from a record.
 */
export function trusted(markup: string): Html {
  return make(xmlChars(markup));
}
