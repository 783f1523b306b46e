/**
 * Text from a run record cannot become Markdown or HTML in report.md or compare.md: every
 * string of a realistic record (names, descriptions, warnings, errors, notes, headings, facts)
 * holds headings, quotes, lists, HTML, emphasis, links, code, entities and line breaks, and the
 * report has exactly the live Markdown of the same record with plain words in their place.
 * Control characters (a terminal's escape sequences) are left out. Plain text and figures get
 * no backslash.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunRecord } from '../../src/results/schema.js';
import type { RunRecord } from '../../src/results/types.js';
import { renderComparisonMarkdown } from '../../src/report/compare-md.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { mdLine, mdLines, mdText } from '../../src/report/md.js';
import { ROOT } from '../helpers/cli.js';
import { mapStrings, realisticRecord, type Path } from './hostile.js';

const hostile = (n: number) =>
  `# h${n} #\r\n> quote\n- item\r+ item\n1. one\n2) two\n    indented\n===\n---\n<script>alert(${n})</script> <b>b</b> <http://x.test/${n}> *em* **strong** _u_ __u__ ~~del~~ [link](http://x.test) ![img](x.png) [ref][r] [r]: /u \`code\` $m$ &lt; &#60; a|b \\ end \u001b]0;title\u0007\u001b[31m\u009b0m ##`;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Fields that are not plain text in report.md: values with a fixed set (their cells say what they mean) and code spans (their own test). */
const KEEP = ['status', 'kind', 'mode', 'verdict', 'accel', 'layout', 'type', 'metric'];

function withText(base: RunRecord, f: (n: number) => string): RunRecord {
  let n = 0;
  return mapStrings(base, (s, p: Path) => {
    const key = String(p[p.length - 1]);
    if (KEEP.includes(key) || p.join('.') === 'id' || /^facts\.[^.]+\.cmdline\.raw$/.test(p.join('.'))) return s;
    return f(n++);
  }) as RunRecord;
}

/** Backslashes right before position i. */
function escapes(s: string, i: number): number {
  let n = 0;
  while (i - 1 - n >= 0 && s[i - 1 - n] === '\\') n++;
  return n;
}

/**
 * Counts of each Markdown construct that is live (not backslash-escaped) in a document, its
 * fenced JSON left out: code, emphasis, strikethrough, math, pipes, HTML and autolinks, link
 * brackets, entities, and lines that start a block.
 */
function live(md: string): Record<string, number> {
  const body = md.replace(/^(`{3,})json\n[^]*?\n\1$/gm, '');
  const count = (re: RegExp) => [...body.matchAll(re)].filter((m) => escapes(body, m.index) % 2 === 0).length;
  return {
    backtick: count(/`/g),
    star: count(/\*/g),
    underscore: count(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu),
    tilde: count(/~/g),
    dollar: count(/\$/g),
    pipe: count(/\|/g),
    tag: count(/<[A-Za-z/!?]/g),
    link: count(/\][([:]/g),
    entity: count(/&#?\w+;/g),
    blockStart: body.split('\n').filter((l) => /^\s*([#>+=*_[-]|\d+[.)])/.test(l)).length,
    lines: body.split('\n').length,
  };
}

describe('report.md and compare.md: text from the record stays text', () => {
  const base = realisticRecord();
  const evil = withText(base, hostile);
  const plain = withText(base, (n) => `plain${n}`);

  test('report.md has the live Markdown of the same record with plain text, and the hostile text escaped', () => {
    const md = renderMarkdown(evil);
    const ref = renderMarkdown(plain);
    assert.deepEqual(live(md), { ...live(ref), lines: live(ref).lines + mdLines(hostile(0)).split('\n').length - 1 }, 'only the description has more lines');
    // The description keeps its lines, each escaped; a name in a heading or a list item is one line.
    const s = evil.scenario as { name: string; description: string };
    const description = mdLines(s.description);
    assert.ok(md.includes(`\n${description}\n`), 'the description');
    const n = /^# h(\d+)/.exec(s.description)![1];
    assert.ok(description.startsWith(`\\# h${n} \\#\n\\> quote\n\\- item\n\\+ item\n1\\. one\n2\\) two\nindented\n\\===\n\\---\n\\<script>`), description.slice(0, 120));
    assert.ok(md.startsWith(`# unilat report: ${mdText(s.name)}\n`), 'the scenario name in the title');
    assert.doesNotMatch(md, CONTROL, 'an escape sequence reaches a terminal that shows report.md');
    // A name in a heading is its text ('### # h1' shows '# h1'); no line of the text is a heading of its own.
    assert.deepEqual(md.split('\n').filter((l) => /^ {0,3}#{1,6}\s+h\d/.test(l)), []);
  });

  test('compare.md has the live Markdown of the same comparison with plain text', () => {
    const md = renderComparisonMarkdown(evil.comparisons![0]);
    const ref = renderComparisonMarkdown(plain.comparisons![0]);
    assert.deepEqual(live(md), live(ref));
    assert.doesNotMatch(md, CONTROL, 'compare prints compare.md to the terminal');
    assert.ok(md.includes(`| ${mdText(evil.comparisons![0].rows[0].key)} |`));
  });

  test('the escapers: inline text, a line start, lines', () => {
    assert.equal(mdText('a_b _c_ 2*3 [x](y) [z] <b> a < b &amp; & `t` ~s~ $m$ x|y \\ #1 end #'), 'a_b \\_c\\_ 2\\*3 [x\\](y) [z] \\<b> a < b \\&amp; & \\`t\\` \\~s\\~ \\$m\\$ x\\|y \\\\ #1 end \\#');
    assert.equal(mdText('one\r\ntwo\rthree\nfour'), 'one two three four');
    const lineStarts: Array<[string, string]> = [
      ['  # x', '\\# x'],
      ['- x', '\\- x'],
      ['12. x', '12\\. x'],
      ['[x]: /u', '\\[x\\]: /u'],
      ['> q', '\\> q'],
      ['-3 µs, 2.5 ms', '\\-3 µs, 2.5 ms'],
    ];
    for (const [text, md] of lineStarts) assert.equal(mdLine(text), md, text);
    assert.equal(mdText('-3 µs, 2.5 ms, 1e-6, 176 [170, 206]'), '-3 µs, 2.5 ms, 1e-6, 176 [170, 206]', 'figures inside a line stay as they are');
    assert.equal(mdLines(' a\n\n  b\r\n# c '), 'a\n\nb\n\\# c');
  });

  test('a record with plain names gets no backslash: the report reads as before', () => {
    const file = join(ROOT, 'test/results/fixtures/v1-quickstart.json');
    const md = renderMarkdown(parseRunRecord(JSON.parse(readFileSync(file, 'utf8')), file));
    assert.ok(!md.includes('\\'), md.split('\n').find((l) => l.includes('\\')));
    assert.match(md, /^\| bare \| wakeup \| local \| 1 \| fifo\/80 \| \d+ \| [\d.]+ \|/m, 'figures as they were');
  });
});
