/**
 * No stored record or tool output can inject into report.html or compare.html: markup is put
 * into every string of a realistic record (each with its own marker), into the names used as
 * keys (hosts, ops, facts) and, one key at a time, into the fields the schema would refuse
 * (statuses, kinds, verdicts: the renderers are called on the object, so nothing is checked on
 * the way). Each page is loaded in headless Chromium: no injected element, attribute or
 * comment is in the DOM, no script ran, nothing was fetched, and the markers show as text.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { RunRecord } from '../../src/results/types.js';
import { escapeMarkup } from '../../src/report/escape.js';
import { renderCompareHtml, renderHtml } from '../../src/report/html.js';
import { launchChromium } from './browser.js';
import { isNameKey, mapKeys, mapStrings, realisticRecord, type Path } from './hostile.js';

const ARTIFACTS = path.resolve('test-artifacts');

/** Markup that breaks out of text, a double- or single-quoted attribute, a <pre>, a <script> or a comment. */
const payload = (n: number) =>
  `M${n}"><img src=x onerror=window.__pwned=${n}><x a='${n}' onclick=window.__pwned=${n}></x></script><script>window.__pwned=${n}</script><svg onload=window.__pwned=${n}></svg><!--`;

/** Fields with a fixed set of values: the schema refuses others, the renderers are called here on what a bypass would give them. */
const FIXED = ['status', 'kind', 'mode', 'verdict', 'accel', 'layout', 'type'];

/** Fields that must show, whole, as text (or an attribute's value) on each page: the test reaches them. */
const SHOWN: Record<string, string[]> = {
  'report.html, every text field': [
    'id',
    'scenario.name',
    'scenario.description',
    'scenarioFile',
    'results.0.deployment',
    'results.0.benchmark',
    'results.0.host',
    'results.2.warnings.0.message',
    'results.6.error',
    'results.4.context.load.commandLine.0',
    'warnings.0.code',
    'warnings.0.message',
    'hostErrors.other-host',
    'readiness.local.0.title',
    'readiness.local.0.detail',
    'facts.local.kernel.release',
    'facts.local.cmdline.raw',
    'tuning.0.knob',
    'tuning.0.path',
    'gates.0.detail',
    'comparisons.0.rows.0.note',
  ],
  'compare.html, every text field': ['comparisons.0.rows.0.key', 'comparisons.0.rows.0.note', 'comparisons.0.candidateId', 'results.0.benchmark'],
  'report.html, every "status"': ['readiness.local.0.status'],
  'report.html, names used as keys': ['facts.local (key)', 'hostErrors.other-host (key)', 'results.1.ops.getppid (key)'],
};

interface Variant {
  name: string;
  record: RunRecord;
  /** Where each marker went. */
  markers: Map<number, string>;
}

function variants(base: RunRecord): Variant[] {
  const out: Variant[] = [];
  const inject = (name: string, pick: (key: string | number | undefined) => boolean) => {
    const markers = new Map<number, string>();
    const record = mapStrings(base, (s, p: Path) => {
      if (!pick(p[p.length - 1])) return s;
      markers.set(markers.size, p.join('.'));
      return payload(markers.size - 1);
    }) as RunRecord;
    out.push({ name, record, markers });
  };
  inject('every text field', (k) => !FIXED.includes(String(k)));
  for (const key of FIXED) inject(`every "${key}"`, (k) => k === key);
  const markers = new Map<number, string>();
  const record = mapKeys(base, (k, p) => {
    if (!isNameKey(p)) return null;
    markers.set(markers.size, `${p.join('.')}.${k} (key)`);
    return payload(markers.size - 1);
  }) as RunRecord;
  out.push({ name: 'names used as keys', record, markers });
  return out;
}

/** What the page holds: elements, attributes and comments that are not the renderer's, whether a script ran, and its text. */
function inspect(): { bad: string[]; pwned: unknown; text: string } {
  const bad: string[] = [];
  const text: string[] = [document.title, document.body.textContent ?? ''];
  for (const e of Array.from(document.querySelectorAll('*'))) {
    if (['img', 'x', 'script', 'iframe', 'object', 'embed', 'base', 'form', 'input'].includes(e.localName)) bad.push(`element <${e.localName}>`);
    for (const a of Array.from(e.attributes)) {
      text.push(a.value);
      if (/^on/i.test(a.name) || ['a', 'src', 'srcdoc', 'formaction'].includes(a.name)) bad.push(`attribute ${a.name} on <${e.localName}>`);
      if (a.name.endsWith('href') && !a.value.startsWith('#')) bad.push(`link ${a.value} on <${e.localName}>`);
    }
  }
  const comments = document.createTreeWalker(document, NodeFilter.SHOW_COMMENT);
  while (comments.nextNode()) bad.push(`comment ${comments.currentNode.textContent?.slice(0, 40)}`);
  return { bad, pwned: (window as unknown as { __pwned?: unknown }).__pwned, text: text.join('\n') };
}

describe('markup in any string of a run record', () => {
  let browser: Browser | undefined;
  let list: Variant[];
  before(async () => {
    list = variants(realisticRecord());
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function load(file: string, html: string) {
    await writeFile(file, html);
    const page = await browser!.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    const seen = await page.evaluate(inspect);
    await page.close();
    return { ...seen, requests, errors, url };
  }

  test('report.html and compare.html: nothing injected runs or becomes markup; the text shows as written', async () => {
    for (const [i, v] of list.entries()) {
      const c = v.record.comparisons?.[0];
      assert.ok(c, 'the record has a comparison');
      const pages = [
        ['report.html', renderHtml(v.record)],
        // The baseline a copy, so both sides' plots are drawn (labelled baseline and candidate).
        ['compare.html', renderCompareHtml(c, structuredClone(v.record), v.record)],
      ] as const;
      for (const [name, html] of pages) {
        const r = await load(path.join(ARTIFACTS, `injection-${i}-${name}`), html);
        const where = `${name}, ${v.name}`;
        assert.deepEqual(r.bad, [], where);
        assert.equal(r.pwned, undefined, `${where}: a script ran`);
        assert.deepEqual(r.errors, [], where);
        assert.deepEqual(r.requests, [r.url], `${where}: fetched something`);
        // Each marker that shows is whole: text, never cut into markup.
        const shown = new Set([...v.markers].filter(([n]) => r.text.includes(payload(n))).map(([, p]) => p));
        for (const p of SHOWN[`${name}, ${v.name}`] ?? []) assert.ok(shown.has(p), `${where}: ${p} does not show as text`);
        if (v.name === 'every text field') assert.ok(shown.size >= (name === 'report.html' ? 60 : 8), `${where}: only ${shown.size} of ${v.markers.size} fields show`);
      }
    }
    // The readiness status is the field of the old stored XSS (it went into a class attribute):
    // now it is text in its cell, and a row's class is only ever an outcome the stylesheet knows.
    const status = list.find((v) => v.name === 'every "status"')!;
    const html = renderHtml(status.record);
    const readiness = [...status.markers].filter(([, p]) => /^readiness\./.test(p)).map(([n]) => n);
    assert.ok(readiness.length > 0);
    for (const n of readiness) assert.ok(html.includes(`<td class="status">${escapeMarkup(payload(n))}</td>`), `readiness status ${n} is text in its cell`);
    assert.deepEqual([...new Set([...html.matchAll(/<tr class="([^"]*)"/g)].map((m) => m[1]))].filter((c) => !['pass', 'warn', 'fail'].includes(c)), []);
  });
});
