/**
 * report.html in headless Chromium (Debian's, driven by playwright-core; no browser is
 * downloaded): no console errors, no request but the page itself, every section, one plot
 * set per benchmark, readable at phone width; screenshots go to test-artifacts/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { RunRecord } from '../../src/results/types.js';
import { renderHtml, SECTION_IDS } from '../../src/report/html.js';
import { cleanupProbes } from '../helpers/probe.js';
import { launchChromium } from './browser.js';
import { measuredRecord } from './fixture.js';

const ARTIFACTS = path.resolve('test-artifacts');

describe('report.html in headless Chromium', () => {
  let record: RunRecord;
  let html: string;
  let file: string;
  let browser: Browser | undefined;

  before(async () => {
    record = await measuredRecord();
    html = renderHtml(record, { gates: [{ gate: 'p99 < 50us', deployment: 'fifo', benchmark: 'wakeup', status: 'fail', observed: 'as measured' }] });
    await mkdir(ARTIFACTS, { recursive: true });
    file = path.join(ARTIFACTS, 'report.html');
    await writeFile(file, html);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await cleanupProbes();
  });

  test('the file is self-contained: no script, no external reference', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<(link|img|iframe)\b/i);
    assert.doesNotMatch(html, /(src|href)="(?!#)/i);
    assert.doesNotMatch(html, /url\((?!#)/i);
    assert.doesNotMatch(html, /@import/i);
  });

  test('renders without console errors or network requests, with every section and the plots', async () => {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);
    for (const id of SECTION_IDS) assert.equal(await page.locator(`section#${id}`).count(), 1, `section #${id}`);
    for (const b of ['wakeup', 'syscalls']) {
      const figs = page.locator(`section#bench-${b} figure.plot svg`);
      assert.ok((await figs.count()) >= 1, `no plot for ${b}`);
    }
    assert.deepEqual(
      await page.locator('figure.plot').evaluateAll((els) => els.map((e) => e.getAttribute('data-plot'))),
      // The headline's key figure, then each benchmark's.
      ['exceedance', 'latency-histogram', 'exceedance', 'timeline', 'syscall'],
    );
    // Plots are drawn at a real size (inline SVG that failed to parse would have none).
    for (const box of await page.locator('figure.plot svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect)))
      assert.ok(box.width > 200 && box.height > 100, JSON.stringify(box));
    // Every id in the page is unique (clip paths of different plots must not collide).
    const dup = await page.evaluate(() => {
      const seen = new Map<string, number>();
      for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    });
    assert.deepEqual(dup, []);

    const summary = await page.locator('#summary').innerText();
    for (const s of ['p99.9', 'fifo', 'other', 'clock_gettime', 'p99 < 50us']) assert.ok(summary.includes(s), s);
    assert.equal(await page.locator('#summary tr.fail td.status').count(), 1);
    // Markup in data shows as text.
    assert.ok((await page.locator('#warnings').innerText()).includes('a run-level warning with <markup> & "quotes"'));
    assert.ok((await page.locator('#warnings li').count()) >= 1);
    assert.ok((await page.locator('#hosts table.checklist tr').count()) > 1, 'readiness checklist');
    assert.ok((await page.locator('#configuration').innerText()).includes('timerSlack & <friends>'));

    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  });

  test('fits a phone screen without sideways scrolling of the page, and prints', async () => {
    const page = await browser!.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scroll <= inner, `page is ${scroll}px wide on a ${inner}px screen`);
    const svgWidth = await page.locator('figure.plot svg').first().evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(svgWidth <= inner, `plot is ${svgWidth}px wide`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-phone.png'), fullPage: false });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('nav').evaluate((e) => getComputedStyle(e).display), 'none');
    await page.close();
  });
});
