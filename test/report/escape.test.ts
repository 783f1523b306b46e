/**
 * The one markup escaper (src/report/escape.ts) and how it is kept the only one: html`...`
 * escapes whatever is interpolated unless it is markup the tag made; no other source file
 * writes an entity for a markup character; only the page's CSS and Vega's SVG are trusted().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { escapeMarkup, html, joinHtml, trusted, xmlChars } from '../../src/report/escape.js';
import { ROOT } from '../helpers/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('html`...`: interpolated text and attribute values are escaped, markup from the tag is not, lists are joined', () => {
  const evil = `"><img src=x onerror=alert(1)><x a='`;
  assert.equal(html`<td class="${evil}">${evil}</td>`.toString(), '<td class="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;x a=&#39;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;x a=&#39;</td>');
  const inner = html`<b>${'&'}</b>`;
  assert.equal(html`<p>${inner} ${[inner, '<i>', 3]} ${null}${undefined}</p>`.toString(), '<p><b>&amp;</b> <b>&amp;</b>&lt;i&gt;3 </p>');
  assert.equal(joinHtml([inner, '<'], '\n').toString(), '<b>&amp;</b>\n&lt;');
  // Something that only looks like markup is text.
  assert.equal(html`${{ toString: () => '<b>' }}`.toString(), '&lt;b&gt;');
  assert.equal(escapeMarkup('a\u0000\u0008\u000b\u000c\u001f\ufffe\uffff\ud800b\udc00\t\n\r\u{1f600}'), 'ab\t\n\r\u{1f600}', 'characters XML does not allow go; a pair stays');
  assert.equal(trusted('<svg>\uffff</svg>').toString(), '<svg></svg>');
  assert.equal(xmlChars('\ud83d\ude00\ud83d'), '\ud83d\ude00');
});

test('one escaper: no other source writes an entity for a markup character; only the CSS and Vega\'s SVG are trusted', () => {
  const src = path.join(ROOT, 'src');
  const escaper = path.join(src, 'report', 'escape.ts');
  const entities: string[] = [];
  const trustedCalls: string[] = [];
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    const rel = path.relative(ROOT, f);
    if (f !== escaper && /&(amp|lt|gt|quot|apos|#0*(34|38|39|60|62)|#x0*(22|26|27|3c|3e));/i.test(text)) entities.push(rel);
    for (const m of text.matchAll(/\btrusted\(([^)]*)\)/g)) if (f !== escaper) trustedCalls.push(`${rel}: trusted(${m[1]})`);
  }
  assert.deepEqual(entities, [], 'markup escaped outside src/report/escape.ts');
  // Each CSS is a constant of its module; the SVG is Vega's own output.
  assert.deepEqual(trustedCalls.sort(), ['src/report/html.ts: trusted(CSS)', 'src/report/html.ts: trusted(svg)', 'src/report/trend-site.ts: trusted(CSS)']);
});
