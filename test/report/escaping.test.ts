/**
 * Hostile text in a table cell comes out escaped in every format: report.md (pipes, with any
 * backslash before them, and line breaks in tables; backticks in code spans), report.html
 * (markup) and summary.tex (LaTeX's specials); and an absent figure shows as '–' (LaTeX's
 * `--`), never as 0. A synthetic record: nothing is measured.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostFacts } from '../../src/results/facts.js';
import type { AppliedConfig, RunRecord } from '../../src/results/types.js';
import { renderHtml } from '../../src/report/html.js';
import { renderSummaryTex, texEscape } from '../../src/report/latex.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { lognormalSamples, latencyResult, makeRng, opsResult, runRecord } from '../stats/synth.js';

const EVIL = 'ev<script>alert(\'x\')</script> | a\\|b `tick` & 50% $x$ _u_ #1 {b} ~^ "q"\nline2\rline3';
const LINE_BREAKS = /\r\n|\r|\n/g;

const APPLIED: AppliedConfig = { mode: 'cyclic', policy: 'fifo', priority: 80, threads: 1, affinity: [], mlockall: true, dmaLatency: false, clockResolutionNs: 1, probeVersion: '1.0.0' };

function hostileRecord(): RunRecord {
  const rng = makeRng(7);
  const lat = latencyResult(lognormalSamples(rng, 2000), { deployment: EVIL, benchmark: 'wake', host: 'h1' });
  lat.applied = APPLIED; // no loop overhead, no kernel: both absent
  lat.warnings = [{ code: 'w', message: `result ${EVIL}` }];
  const batches = (m: number) => Array.from({ length: 9 }, (_, i) => m + i);
  const ops = opsResult({ func: batches(2), getppid: batches(200), [EVIL]: batches(50) }, { deployment: EVIL, benchmark: 'sys', host: 'h1' });
  ops.ratios = { getppid: 100 }; // the hostile op has no ratio: absent
  return runRecord(`id-\`x\`-${EVIL}`, [lat, ops], {
    warnings: [{ code: EVIL, message: EVIL }],
    tuning: [{ host: 'h1', knob: EVIL, path: EVIL, before: EVIL, after: '0', restored: false }],
    readiness: { h1: [{ id: 'x', status: 'fail', title: EVIL, detail: EVIL, fix: EVIL }] },
    facts: { h1: { kernel: { release: EVIL, preemptRt: false }, cmdline: { raw: EVIL } } as unknown as HostFacts },
    hostErrors: { h2: EVIL },
  });
}

/** Cells of a GFM table row: a backslash escapes the next character, an unescaped pipe ends a cell. */
function gfmCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  const body = line.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && i + 1 < body.length) {
      cur += body[i] + body[++i];
    } else if (body[i] === '|') {
      cells.push(cur);
      cur = '';
    } else cur += body[i];
  }
  return [...cells, cur].map((c) => c.trim());
}

/** What GFM shows for a cell: `\|` unescaped by the table, then backslash escapes of punctuation. */
function gfmText(cell: string): string {
  return cell.replace(/\\\|/g, '|').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** The tables of a Markdown document: runs of lines that start with '|'. */
function mdTables(md: string): string[][] {
  const tables: string[][] = [];
  let cur: string[] | null = null;
  for (const l of md.split('\n')) {
    if (l.startsWith('|')) (cur ??= []).push(l);
    else if (cur) {
      tables.push(cur);
      cur = null;
    }
  }
  return tables;
}

describe('hostile text in report tables', () => {
  let record: RunRecord;
  before(() => {
    record = hostileRecord();
  });

  test('report.md: pipes, backslashes and line breaks cannot split a cell; code spans hold backticks; absent is –', () => {
    const md = renderMarkdown(record);
    const flat = EVIL.replace(LINE_BREAKS, ' ');
    let seen = 0;
    for (const t of mdTables(md)) {
      const width = gfmCells(t[0]).length;
      for (const row of t) {
        const cells = gfmCells(row);
        assert.equal(cells.length, width, `row has ${cells.length} cells, header ${width}: ${row}`);
        seen += cells.filter((c) => gfmText(c).includes(flat)).length;
      }
    }
    // Deployment in the latency, thread, ops, ratio and applied tables; knob, path, before; readiness x3.
    assert.ok(seen >= 10, `hostile text intact in ${seen} cells`);
    const opsHead = mdTables(md).find((t) => t[0].startsWith('| deployment | benchmark | host | rep | func'))![0];
    assert.equal(gfmText(gfmCells(opsHead).slice(-1)[0]), flat, 'an op name in a heading is escaped too');

    const run = md.split('\n').find((l) => l.startsWith('- Run: '))!;
    const m = /^- Run: (`+) (.*) \1, unilat /.exec(run);
    assert.ok(m, run);
    assert.equal(m[2], record.id.replace(LINE_BREAKS, ' '));
    assert.ok(Math.max(...m[2].match(/`+/g)!.map((x) => x.length)) < m[1].length, 'fence longer than any backtick run inside');

    const applied = mdTables(md).find((t) => t[0].includes('loop overhead (ns)'))!;
    const head = gfmCells(applied[0]);
    const row = gfmCells(applied[2]);
    assert.equal(row[head.indexOf('loop overhead (ns)')], '–');
    assert.equal(row[head.indexOf('kernel')], '–');
  });

  test('report.html: markup in any cell shows as text; absent is –', () => {
    const html = renderHtml(record);
    assert.doesNotMatch(html, /<script/i);
    const escaped = EVIL.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    const count = html.split(escaped).length - 1;
    // Warnings (code and message), failures, tables (latency, ops, applied, tuning x3, readiness x3, kernels x2), facts.
    assert.ok(count >= 12, `escaped hostile text ${count} times`);
    assert.ok(html.includes(`<td><code>${escaped}</code></td>`), 'a path cell: escaped inside its code');
    const opRow = html.split('</tr>').find((l) => l.includes(`<td>${escaped}</td><td class="num">`) && l.includes('<td>sys</td>'));
    assert.ok(opRow, 'the hostile op has a row');
    assert.ok(opRow.endsWith('<td class="num">–</td>'), `its absent ratio is –: ${opRow.slice(-80)}`);
  });

  test('summary.tex: LaTeX specials in a cell are escaped, every row has its columns; absent is --', () => {
    const tex = renderSummaryTex(record);
    const cell = texEscape(EVIL);
    assert.ok(tex.includes(`${cell} & wake & h1 & 2000 & `), 'the deployment of the latency row');
    assert.ok(tex.includes(`\\texttt{${cell}}`), 'the hostile op name');
    for (const m of tex.matchAll(/\\begin\{tabular\}\{(\w+)\}([^]*?)\\end\{tabular\}/g)) {
      const rows = m[2].split('\n').filter((l) => l.endsWith('\\\\'));
      for (const r of rows) assert.equal(r.replace(/\\&/g, '').split('&').length, m[1].length, r);
    }
    const hostileOp = tex.split('\n').find((l) => l.includes(`\\texttt{${cell}}`))!;
    assert.match(hostileOp, / & -- \\\\$/, 'its absent ratio is --');
    const body = tex
      .split('\n')
      .filter((l) => !l.startsWith('%'))
      .join('\n')
      .replace(/\$\\(times|mu)\$/g, '')
      .replace(/\\(textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar)\{\}/g, '')
      .replace(/\\[&%$#_{}]/g, '')
      .replace(/\\\\$/gm, '');
    assert.doesNotMatch(body, /[%$#_^~<>|]/, 'an unescaped special');
    assert.equal((body.match(/\{/g) ?? []).length, (body.match(/\}/g) ?? []).length, 'braces balance');
    assert.ok(!tex.split('\n').some((l) => l.startsWith('line2')), 'no line break inside a cell or the comment');
  });

  test('summary.tex: control characters, U+FFFF and lone surrogates go, anywhere; a row that starts with [ or * is set off from the \\\\ before it', () => {
    const CONTROL = '\u0000\u0007\b\t\u000b\f\u001b\u007f\u0085\u009f\ufffe\uffff\udfff\ud800';
    const rng = makeRng(8);
    const results = ['[2em]', '*', `x${CONTROL}y`].flatMap((name, i) => {
      const lat = latencyResult(lognormalSamples(rng, 200), { deployment: `${name}${i}`, benchmark: 'wake', host: `h${CONTROL}` });
      const ops = opsResult({ func: [1, 2, 3], [`op${CONTROL}`]: [4, 5, 6] }, { deployment: `${name}${i}`, benchmark: 'sys', host: 'h' });
      return [lat, ops];
    });
    const tex = renderSummaryTex(runRecord(`id${CONTROL}\r\nend`, results, { scenario: { ...record.scenario, name: `s${CONTROL}\n\\end` } as RunRecord['scenario'] }));
    assert.doesNotMatch(tex, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'a control character');
    assert.ok(tex.includes(`x${' '.repeat(10)}y2 & wake & h${' '.repeat(10)} & `), 'control characters as spaces, the rest kept');
    const lines = tex.split('\n');
    assert.equal(lines.filter((l) => l.startsWith('%')).length, 2, 'the comment stays on its line');
    assert.deepEqual(lines.filter((l) => /^[[*]/.test(l)), [], 'a line that \\\\ or \\addlinespace would read as its argument');
    assert.ok(lines.some((l) => l.startsWith('{}[2em]0 & wake & ')), 'the latency row of [2em]0');
    assert.ok(lines.some((l) => l.startsWith('{}*1 & sys & ')), 'the ops rows of *1');
  });
});
