/**
 * Characters XML does not allow (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; a lone
 * surrogate) in a record's names are left out of the SVG figures, JUnit XML and report.html,
 * so each parses: Chromium's XML parser (DOMParser) reads every SVG and JUnit file without an
 * error, and what is left of each name is still there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunRecord } from '../../src/results/types.js';
import type { Comparison } from '../../src/stats/compare.js';
import { renderFigures } from '../../src/report/figures.js';
import { renderHtml } from '../../src/report/html.js';
import { renderComparisonJunit, renderGatesJunit } from '../../src/report/junit.js';
import { launchChromium } from './browser.js';
import { realisticRecord } from './hostile.js';
import { checkWellFormed, svgTexts } from './xml.js';

const BAD = '\u0000\u0001\u0008\u000b\u000c\u000e\u001f\ufffe\uffff\udfff\ud800'; // the surrogates the wrong way round: each alone
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function recordWithBadNames(): RunRecord {
  const r = realisticRecord();
  r.results = r.results.map((x) => ({ ...x, deployment: `dep${BAD}${x.deployment}`, benchmark: `${x.benchmark}${BAD}` }));
  r.scenario = { ...r.scenario, name: `scenario\uffff${BAD}` };
  return r;
}

describe('characters XML does not allow', () => {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /** Parse errors of each document, by Chromium's XML parser. */
  async function xmlErrors(docs: Array<{ name: string; xml: string; type: 'image/svg+xml' | 'application/xml' }>): Promise<string[]> {
    const page = await browser!.newPage();
    try {
      return await page.evaluate(
        (list) =>
          list.flatMap((d) => {
            const doc = new DOMParser().parseFromString(d.xml, d.type);
            const err = doc.getElementsByTagName('parsererror')[0];
            return err ? [`${d.name}: ${err.textContent}`] : [];
          }),
        docs,
      );
    } finally {
      await page.close();
    }
  }

  test('SVG figures: no such character, well-formed, parsed by an XML parser; the rest of each name stays', async () => {
    const svgs = renderFigures(recordWithBadNames()).filter((f) => f.file.endsWith('.svg'));
    assert.ok(svgs.length >= 4, svgs.map((f) => f.file).join(', '));
    for (const f of svgs) {
      assert.doesNotMatch(f.content, INVALID, f.file);
      assert.deepEqual(checkWellFormed(f.content), [], f.file);
    }
    assert.deepEqual(await xmlErrors(svgs.map((f) => ({ name: f.file, xml: f.content, type: 'image/svg+xml' }))), []);
    const hist = svgs.find((f) => f.file.startsWith('latency-histogram-'))!;
    assert.ok(svgTexts(hist.content).includes('depbare'), 'a deployment in the legend, without the characters');
  });

  test('JUnit XML: no such character in a testsuite, testcase or failure; parsed by an XML parser', async () => {
    const record = recordWithBadNames();
    const c0 = record.comparisons![0] as Comparison;
    const rows = c0.rows.map((r, i) => ({ ...r, key: `${r.key}${BAD}`, note: `note${BAD}`, gated: true, verdict: i === 0 ? ('worse' as const) : r.verdict }));
    const c: Comparison = { ...c0, candidateId: `cand${BAD}`, rows, regressions: rows.slice(0, 1) };
    const junit = renderComparisonJunit(c);
    const gates = renderGatesJunit((record.gates ?? []).map((g) => ({ ...g, gate: `${g.gate}${BAD}`, detail: `detail${BAD}`, pass: false })), `gates${BAD}`);
    for (const x of [junit, gates]) assert.doesNotMatch(x, INVALID);
    assert.deepEqual(await xmlErrors([{ name: 'compare junit', xml: junit, type: 'application/xml' }, { name: 'gates junit', xml: gates, type: 'application/xml' }]), []);
    assert.match(junit, /<failure message="regression beyond/);
    assert.ok(junit.includes(`classname="${c0.rows[0].key.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`), 'the key, without the characters');
  });

  test('report.html: no such character anywhere, its inline SVG included', () => {
    assert.doesNotMatch(renderHtml(recordWithBadNames()), INVALID);
  });
});
