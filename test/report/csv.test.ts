/**
 * summary.csv and formula injection: a text cell that a spreadsheet would run as a formula (it
 * starts with =, +, -, @, a tab or a CR) gets a leading ', whether it came from a record's
 * names or a cyclictest file's nodename; figures stay numbers, negative ones too. Control
 * characters (a terminal's escape sequences) are left out.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importFiles } from '../../src/bench/import.js';
import { renderSummaryCsv } from '../../src/report/csv.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from '../stats/synth.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

const FORMULAS = ['=HYPERLINK("http://x.test","click")', '+1+1', '-2+3', '@SUM(A1:A9)', '\t=1+1', '\r=1+1'];

test('summary.csv: text that starts like a formula is prefixed with a quote; negative figures stay numbers', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-csv-'));
  dirs.push(dir);
  // A cyclictest --json file names its machine: that name becomes the result's host.
  const json = path.join(dir, 'ct.json');
  const sysinfo = { nodename: '=cmd|\' /C calc\'!A0', sysname: 'Linux' };
  await writeFile(json, JSON.stringify({ 'cmdline:': 'cyclictest -m -p 80 -i 1000 -h 100 --json=ct.json', sysinfo, thread: { '0': { cycles: 3, min: 1, max: 3, avg: 2, histogram: { '1': 1, '2': 1, '3': 1 } } } }));
  const [imported] = await importFiles([json], { name: '+imported' });
  assert.equal(imported.host, sysinfo.nodename);

  const rng = makeRng(3);
  const lat = latencyResult(lognormalSamples(rng, 500), { deployment: FORMULAS[0], benchmark: FORMULAS[1], host: FORMULAS[2] });
  const ops = opsResult({ func: [1, 2, 3], [FORMULAS[3]]: [5, 6, 7] }, { deployment: FORMULAS[4], benchmark: FORMULAS[5], host: 'h\u001b]0;title\u0007\u009b31m' });
  ops.ops.func.ciLow = -0.5; // a negative figure (a clock that went backwards)
  ops.ratios = { [FORMULAS[3]]: -2.5 };
  const csv = renderSummaryCsv(runRecord('r', [lat, ops, imported]));
  assert.doesNotMatch(csv, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/, 'an escape sequence reaches a terminal that shows the file');
  const rows = parseCsv(csv);
  const head = rows[0];
  const col = (name: string) => head.indexOf(name);

  const text = rows.slice(1).flatMap((r) => [r[col('deployment')], r[col('benchmark')], r[col('host')], r[col('metric')]]);
  for (const f of [...FORMULAS, sysinfo.nodename, '+imported']) assert.ok(text.includes(`'${f}`), `${JSON.stringify(f)} is not quoted: ${JSON.stringify(text)}`);
  for (const cell of rows.flat()) assert.doesNotMatch(cell, /^[=+@\t\r]|^-(?!\d)/, `a cell a spreadsheet would run: ${JSON.stringify(cell)}`);

  const func = rows.find((r) => r[col('metric')] === 'func')!;
  assert.equal(func[col('ci_low')], '-0.5', 'a negative figure is written as a number');
  assert.equal(rows.find((r) => r[col('metric')] === `'${FORMULAS[3]}`)![col('ratio_to_func')], '-2.5');
  assert.equal(rows.find((r) => r[col('host')] === `'${FORMULAS[2]}`)![col('repetition')], '1');
  assert.ok(rows.some((r) => r[col('host')] === 'h]0;title31m'), 'the rest of a name with control characters');
});
