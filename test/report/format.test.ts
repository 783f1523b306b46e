/** The number formatting of the reports: significant digits, units, p-values, ratio intervals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { msUnit, nsUnit, pValue, ratioInterval, sig3, times, usUnit } from '../../src/report/format.js';
import { cellText, footnoted, type Cell } from '../../src/report/table.js';

test('p-values: two significant digits, an exponent below 0.001, a bound below 1e-10', () => {
  assert.equal(pValue(3.4114e-124), '< 1e-10');
  assert.equal(pValue(0), '< 1e-10');
  assert.equal(pValue(9.9e-11), '< 1e-10');
  assert.equal(pValue(1e-10), '1.0e-10');
  assert.equal(pValue(3.4114e-5), '3.4e-5');
  assert.equal(pValue(0.03125), '0.031');
  assert.equal(pValue(0.5), '0.5');
  assert.equal(pValue(1), '1');
  assert.equal(pValue(null), '–');
  assert.equal(pValue(NaN), '–');
  for (const p of [1e-300, 1e-20, 1e-7, 0.0004, 0.02, 0.7]) assert.doesNotMatch(pValue(p), /\d{3,}e|e-\d{3}/, String(p));
});

test('figures to about 3 significant digits, never in exponent form, with their units', () => {
  assert.equal(sig3(4123.4), '4123');
  assert.equal(sig3(128.96699999999998), '129');
  assert.equal(sig3(12.345), '12.3');
  assert.equal(sig3(3.7149), '3.71');
  assert.equal(sig3(0.012345), '0.0123');
  assert.equal(sig3(0), '0');
  assert.equal(sig3(-2.5), '-2.50');
  assert.equal(sig3(Infinity), '–');
  assert.equal(usUnit(3714.9), '3.71 µs');
  assert.equal(usUnit(4_123_000), '4123 µs');
  assert.equal(nsUnit(46.23), '46.2 ns');
  assert.equal(msUnit(812.4), '812 ms');
  assert.equal(usUnit(undefined), '–');
});

test('ratios and their intervals: ×ratio, bounds beyond 1e4 in powers of ten', () => {
  assert.equal(times(1.2345), '×1.23');
  assert.equal(times(54.27), '×54.3');
  assert.equal(ratioInterval(1.104, 1.396), '[1.10, 1.40]');
  assert.equal(ratioInterval(0.00439, 49952996), '[0.00439, 5e7]');
  assert.equal(ratioInterval(0.0002, 2), '[2e-4, 2.00]');
  assert.equal(ratioInterval(null, 2), '–');
});

test('a figure against a reference reads "value (×ratio [interval], verdict)"; the reference alone', () => {
  const vs: Cell = { kind: 'versus', value: 16_600, style: 'us-unit', ratio: 1.151, low: 1.05, high: 1.26, verdict: 'worse' };
  assert.equal(cellText(vs), '16.6 µs (×1.15 [1.05, 1.26], worse)');
  assert.equal(cellText({ ...vs, verdict: 'no significant change', low: null, high: null }), '16.6 µs (×1.15, n.s.)');
  assert.equal(cellText({ ...vs, ratio: null, verdict: null }), '16.6 µs');
  assert.equal(cellText({ ...vs, atLeast: true, ratio: null, verdict: null }), '≥ 16.6 µs');
});

test('notes become footnote numbers: equal notes share one, rows without a note have none', () => {
  const { cells, footnotes } = footnoted(['a', null, 'b', 'a', '']);
  assert.deepEqual(cells.map(cellText), ['1', '', '2', '1', '']);
  assert.deepEqual(footnotes, ['a', 'b']);
});
