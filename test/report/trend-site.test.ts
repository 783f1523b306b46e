/**
 * `unilat history --html DIR` on a real history: two short runs of the probe (two repetitions
 * each, so their figures have a spread) by the real CLI, then ten nights more stored through the
 * history API from those runs' own records, the last six with their latency figures planted ten
 * times higher than the real runs' (a regression the change-point detector must find there).
 * The site is opened in headless Chromium: no console errors, no request but file://, plots on
 * every page, the change point marked and the series highlighted, links to the run reports
 * resolving to files. A bad DIR exits 2 with one line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { runCli } from '../helpers/cli.js';
import { launchChromium } from './browser.js';
import { closeHistory, openHistory, recordRun } from '../../src/results/history.js';
import { metricRows } from '../../src/stats/metrics.js';
import { seriesFile } from '../../src/report/trend-site.js';
import type { RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-trend-'));
const out = join(dir, 'reports');
const site = join(dir, 'site');
mkdirSync(out);
const scenarioFile = join(dir, 'nightly.yaml');
writeFileSync(
  scenarioFile,
  'name: nightly\nhosts: [local]\nrepetitions: 2\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 1s, priority: 80, affinity: "0"}\n',
);
/** Run ids, oldest first: the two real runs, then the six stored from their records. */
const ids: string[] = [];
const real: RunRecord[] = [];
/** The first night with the planted regression. */
const K = 6;
const NIGHTS = 12;
let browser: Browser | undefined;
const ARTIFACTS = resolve('test-artifacts');

const key = (r: { deployment: string; benchmark: string; host: string; repetition: number | null; metric: string }) => JSON.stringify([r.deployment, r.benchmark, r.host, r.repetition, r.metric]);
/** Per figure, the higher of the two real runs'. */
const highest = new Map<string, number>();

/**
 * A night more from a real run's record: a new id and start; its figures (not the count) those
 * of the record, a percent or two apart from night to night, or where `planted` ten times the
 * higher of the real runs' (far above the real runs' own spread, so the change is certain).
 */
function night(db: ReturnType<typeof openHistory>, from: RunRecord, i: number, planted: boolean, scenarioName?: string): string {
  const startedAt = new Date(Date.parse(real[1].startedAt) + (i - 1) * 86_400_000).toISOString();
  const rec: RunRecord = { ...structuredClone(from), id: `${from.id}-night${i}`, startedAt, ...(scenarioName ? { scenario: { ...from.scenario, name: scenarioName } } : {}) };
  const jitter = 1 + 0.01 * (i % 3);
  const rows = metricRows(rec).map((r) => (r.metric === 'count' ? r : { ...r, value: (planted ? 10 * highest.get(key(r))! : r.value) * jitter }));
  // No run folder: a night whose folder is not known has no link.
  recordRun(db, rec, rows);
  return rec.id;
}

before(async () => {
  for (let i = 0; i < 2; i++) {
    const r = await runCli(['run', scenarioFile, '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
    real.push(rec);
    ids.push(rec.id);
  }
  for (const r of real.flatMap(metricRows)) highest.set(key(r), Math.max(highest.get(key(r)) ?? 0, r.value));
  const db = openHistory(join(out, 'history.db'));
  try {
    for (let i = 2; i < NIGHTS; i++) ids.push(night(db, real[i % 2], i, i >= K));
  } finally {
    closeHistory(db);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a page of the site; what it logged and requested. */
async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, errors, requests };
}

const p99 = { scenario: 'nightly', benchmark: 'wakeup', deployment: 'bare', host: 'local', metric: 'p99' };

describe('history --html', () => {
  test('writes index.html and a page per series', async () => {
    const r = await runCli(['history', out, '--html', site]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /index\.html \(\d+ series\)/);
    const files = readdirSync(site);
    assert.ok(files.includes('index.html'));
    assert.ok(files.includes(seriesFile(p99)), files.join(' '));
    for (const f of files) assert.match(f, /^[A-Za-z0-9][A-Za-z0-9_.-]*\.html$/);
  });

  test('index.html in Chromium: no errors, nothing fetched, a plot per series, the regression marked', async () => {
    const { page, errors, requests } = await open(join(site, 'index.html'));
    try {
      assert.deepEqual(errors, []);
      assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
      const cards = await page.locator('.card').count();
      assert.ok(cards >= 5, `${cards} series`);
      assert.equal(await page.locator('.card svg.trend').count(), cards);
      assert.equal(await page.locator('script').count(), 0);
      const card = page.locator(`.card[data-series="${seriesFile(p99)}"]`);
      assert.match((await card.getAttribute('class')) ?? '', /regressed/);
      assert.equal(await card.locator('line.cp[data-change="regression"]').count(), 1);
      assert.match(await card.innerText(), new RegExp(`regression \\+\\d+(\\.\\d+)?% at ${ids[K]}`));
      // Every run is listed; the two real ones link to their reports.
      assert.equal(await page.locator('table.runs tr').count(), NIGHTS + 1);
      const hrefs = await page.locator('table.runs a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      assert.deepEqual(hrefs.map((h) => fileURLToPath(h)).sort(), real.map((r) => join(out, r.id, 'report.html')).sort());
      for (const h of hrefs) assert.ok(existsSync(fileURLToPath(h)), h);
      await page.screenshot({ path: join(ARTIFACTS, 'trend-index.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  test('a series page: the full plot with the change point and the spread, the long-term view, links to existing reports', async () => {
    const file = join(site, seriesFile(p99));
    const { page, errors, requests } = await open(file);
    try {
      assert.deepEqual(errors, []);
      assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
      assert.equal(await page.locator('svg.trend').count(), 2, 'the per-run plot and the long-term view');
      assert.equal(await page.locator('svg.trend').first().locator('line.cp.regression').count(), 1);
      assert.equal(await page.locator('svg.trend').first().locator('circle.pt').count(), NIGHTS);
      // Two repetitions a run: every point has its spread.
      assert.equal(await page.locator('svg.trend').first().locator('line.whisker').count(), NIGHTS);
      assert.match(await page.locator('h2', { hasText: 'Long term' }).innerText(), /max per run over time/);
      assert.equal(await page.locator('svg.trend').nth(1).locator('circle.pt').count(), NIGHTS);
      assert.match(await page.locator('table').first().innerText(), new RegExp(`${ids[K]}.*regression`, 's'));
      // The two real runs link to their reports; the nights stored without a folder do not.
      const hrefs = await page.locator('table a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      assert.equal(hrefs.length, 2, hrefs.join(' '));
      for (const h of hrefs) {
        assert.ok(h.startsWith('file://'), h);
        assert.ok(existsSync(fileURLToPath(h)), h);
      }
      assert.deepEqual(hrefs.map((h) => fileURLToPath(h)).sort(), real.map((r) => join(out, r.id, 'report.html')).sort());
      const raw = readFileSync(file, 'utf8');
      assert.ok(!raw.includes(dir), 'links are relative');
      await page.screenshot({ path: join(ARTIFACTS, 'trend-series.png'), fullPage: true });
      await page.click('text=All series');
      assert.match(page.url(), /index\.html$/);
    } finally {
      await page.close();
    }
  });

  test('a hostile scenario name is text on every page, and its page name is safe', async () => {
    const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&../../etc`;
    const db = openHistory(join(out, 'history.db'));
    try {
      for (let i = 0; i < 3; i++) night(db, real[i % 2], 20 + i, false, hostile);
    } finally {
      closeHistory(db);
    }
    const evil = join(dir, 'evil');
    const r = await runCli(['history', out, '--scenario', hostile, '--html', evil]);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(evil);
    assert.ok(files.length > 1);
    for (const f of files) assert.match(f, /^[A-Za-z0-9][A-Za-z0-9_.-]*\.html$/);
    assert.ok(!existsSync(join(dir, 'etc')));
    for (const f of files) {
      const text = readFileSync(join(evil, f), 'utf8');
      assert.ok(!/<script|<img/i.test(text), f);
      const { page, errors, requests } = await open(join(evil, f));
      try {
        let dialog = false;
        page.on('dialog', (d) => ((dialog = true), void d.dismiss()));
        assert.deepEqual(errors, []);
        assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
        assert.ok((await page.locator('body').innerText()).includes(hostile), f);
        assert.equal(dialog, false);
      } finally {
        await page.close();
      }
    }
  });

  test('a bad DIR or misused option exits 2 with one line', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const [args, msg] of [
      [['--html', file], /--html .*a-file: is a file, not a folder/],
      [['--html', join(file, 'sub')], /--html .*sub: cannot write there \(ENOTDIR\)/],
      [['--html', site, '--changes'], /--html: give it without --changes/],
      [['--html', site, '--metric', 'p95'], /--metric "p95".*metrics with figures/],
    ] as const) {
      const r = await runCli(['history', out, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
