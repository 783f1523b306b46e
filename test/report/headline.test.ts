/**
 * The answer first, in headless Chromium: report.html and compare.html open with the headline
 * (the deployments side by side with their verdicts, and the key figure), at a desktop width
 * and at a phone's; every figure is drawn at publication size; report.md opens the same way.
 * The record is measured for real (fixture.ts) and compared the way `run` compares its
 * deployments. Screenshots go to test-artifacts/headline/ (git-ignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { RunRecord } from '../../src/results/types.js';
import { renderCompareHtml, renderHtml, SECTION_IDS } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderFigures } from '../../src/report/figures.js';
import { deploymentComparisons } from '../../src/run/finish.js';
import { runScenario } from '../../src/results/types.js';
import { cleanupProbes } from '../helpers/probe.js';
import { launchChromium } from './browser.js';
import { measuredRecord } from './fixture.js';

const ARTIFACTS = path.resolve('test-artifacts', 'headline');
const WIDTHS = [1300, 390] as const;

describe('the headline comes first', () => {
  let record: RunRecord;
  let reportFile: string;
  let compareFile: string;
  let browser: Browser | undefined;

  before(async () => {
    record = await measuredRecord();
    record.comparisons = deploymentComparisons(runScenario(record)!, record);
    await mkdir(ARTIFACTS, { recursive: true });
    reportFile = path.join(ARTIFACTS, 'report.html');
    compareFile = path.join(ARTIFACTS, 'compare.html');
    await writeFile(reportFile, renderHtml(record));
    await writeFile(compareFile, renderCompareHtml(record.comparisons[0], null, record));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await cleanupProbes();
  });

  async function open(file: string, width: number): Promise<Page> {
    const page = await browser!.newPage(width < 600 ? { viewport: { width, height: 844 }, deviceScaleFactor: 2, isMobile: true } : { viewport: { width, height: 900 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return page;
  }

  /** The headline is the first section of the page and holds a table and a figure. */
  async function checkHeadline(page: Page, label: string): Promise<void> {
    assert.equal(await page.locator('main > section').first().getAttribute('id'), 'headline', `${label}: first section`);
    const headline = page.locator('section#headline');
    assert.ok((await headline.locator('table').count()) >= 1, `${label}: no table in the headline`);
    assert.equal(await headline.locator('figure.plot svg').count(), 1, `${label}: no figure in the headline`);
    // Its table starts in the first screen.
    const top = await headline.locator('table').first().evaluate((e) => e.getBoundingClientRect().top);
    assert.ok(top < 844, `${label}: headline table starts ${top}px down`);
    // The page itself never scrolls sideways: a wide table scrolls inside its wrapper.
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scroll <= inner, `${label}: page is ${scroll}px wide on a ${inner}px screen`);
    for (const overflow of await page.locator('.table-wrap').evaluateAll((els) => els.map((e) => getComputedStyle(e).overflowX))) assert.equal(overflow, 'auto', label);
  }

  for (const width of WIDTHS)
    test(`report.html at ${width} px: the headline table (every deployment, figures against the first) and the exceedance figure first`, async () => {
      const page = await open(reportFile, width);
      await checkHeadline(page, `report.html @${width}`);
      assert.deepEqual(await page.locator('main > section').evaluateAll((els) => els.map((e) => e.id)), [...SECTION_IDS]);
      const table = page.locator('section#headline table.headline');
      assert.deepEqual(await table.locator('tbody tr td:first-child').evaluateAll((els) => els.map((e) => e.textContent!.trim().split(/\s/)[0])), ['fifo', 'other']);
      const headers = await table.locator('th').allInnerTexts();
      for (const h of ['samples', 'p50', 'p99', 'p99.9', 'max', 'getppid']) assert.ok(headers.includes(h), `no ${h} column in ${JSON.stringify(headers)}`);
      // The second deployment's latency figures carry the ratio, its interval and a verdict chip.
      const second = table.locator('tbody tr').nth(1);
      assert.equal(await second.locator('.chip').count(), 5, 'p50, p99, p99.9, max and getppid each with a verdict');
      assert.match(await second.locator('td').nth(2).innerText(), /µs\s+×\d[\d.]* \[\d[\d.e-]*, \d[\d.e-]*\]\s+(better|worse|n\.s\.)/);
      assert.equal(await table.locator('tbody tr').first().locator('.chip').count(), 0, 'the reference has no verdict');
      assert.equal(await page.locator('section#headline figure.plot').getAttribute('data-plot'), 'exceedance');
      // The machine's kernel qualifies the numbers next to them where it is not PREEMPT_RT.
      const rt = (record.facts.local as { kernel?: { preemptRt?: boolean } }).kernel?.preemptRt;
      if (rt === false) assert.match(await page.locator('section#headline').innerText(), /not PREEMPT_RT: fifo, other ran on local's kernel/);
      await page.screenshot({ path: path.join(ARTIFACTS, `report-${width}.png`), fullPage: false });
      await page.close();
    });

  test('report.html at 1300 px: every figure is drawn at least 600 px wide; facts dumps come after the figures', async () => {
    const page = await open(reportFile, 1300);
    const widths = await page.locator('figure.plot svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    assert.ok(widths.length >= 5, `only ${widths.length} figures`);
    for (const w of widths) assert.ok(w >= 600, `a figure is ${w}px wide`);
    const y = (sel: string) => page.locator(sel).first().evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
    assert.ok((await y('#benchmarks figure.plot')) < (await y('#hosts details')), 'host facts before the figures');
    assert.equal(await page.locator('#hosts details[open]').count(), 0, 'the raw facts are folded');
    await page.close();
  });

  for (const width of WIDTHS)
    test(`compare.html at ${width} px: the verdict matrix and a figure first; notes as footnotes, p once per group`, async () => {
      const page = await open(compareFile, width);
      await checkHeadline(page, `compare.html @${width}`);
      assert.ok((await page.locator('section#headline .chip').count()) >= 6, 'verdict chips in the matrix');
      const verdicts = page.locator('section#summary table');
      // No tower of prose: every row stays a few lines tall, the notes are numbered below the table.
      const heights = await verdicts.locator('tbody tr').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
      for (const h of heights) assert.ok(h < 110, `a verdict row is ${h}px tall`);
      assert.ok((await page.locator('section#summary ol.footnotes li').count()) >= 1);
      assert.ok((await verdicts.locator('sup.fn a').count()) >= 1);
      const pCells = await verdicts.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r.children[6] as HTMLElement).innerText));
      const groups = await verdicts.locator('tbody tr').evaluateAll((rows) => rows.map((r) => `${(r.children[0] as HTMLElement).innerText}|${(r.children[1] as HTMLElement).innerText.startsWith('syscall.') ? 'ops' : 'lat'}`));
      const latencyGroups = new Set(groups.filter((g) => g.endsWith('|lat')));
      const latencyP = pCells.filter((p, i) => groups[i].endsWith('|lat') && p !== 'as above');
      assert.equal(latencyP.length, latencyGroups.size, `p repeated: ${JSON.stringify(pCells)}`);
      for (const p of pCells) assert.doesNotMatch(p, /e-\d{3}|\d\.\d{4,}e/, `p printed as ${p}`);
      if (width === 1300) {
        // At a desktop width the matrices fit: nothing is cut off on the right.
        for (const t of await page.locator('section#headline table').evaluateAll((els) => els.map((e) => ({ right: e.getBoundingClientRect().right, wrap: e.parentElement!.getBoundingClientRect().right }))))
          assert.ok(t.right <= t.wrap + 1, `a matrix ends at ${t.right}px, its wrapper at ${t.wrap}px`);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `compare-${width}.png`), fullPage: false });
      await page.close();
    });

  test('report.md opens with the headline: the side-by-side table and the key figure written next to it', () => {
    const md = renderMarkdown(record);
    const sections = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    assert.equal(sections[0], 'Headline');
    const headline = md.slice(md.indexOf('## Headline'), md.indexOf('\n## ', md.indexOf('## Headline') + 3));
    assert.match(headline, /^\| deployment \| samples \| p50 \| p99 \| p99\.9 \| max \|/m);
    assert.match(headline, /^\| other[^|]*\| [\d,]+ \| [\d.]+ µs \(×[\d.]+ \[[\d.e-]+, [\d.e-]+\], (better|worse|n\.s\.)\)/m);
    const img = headline.match(/!\[[^\]]*\]\(([^)]+)\)/);
    assert.ok(img, 'no figure in the headline');
    assert.ok(renderFigures(record).some((f) => f.file === img[1]), `${img[1]} is not a figure the run writes`);
  });
});
