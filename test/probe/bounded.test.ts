/**
 * What the parser keeps is bounded in a run's length: long runs' series are downsampled keeping
 * each merged point's count, min, max and sum (and so the run's extremes), progress lines are
 * counted, not kept; truncation is still detected by line counts; short runs are exact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROGRESS_KEPT,
  ProtocolParser,
  SERIES_MAX_POINTS,
  TruncatedStreamError,
  appendSeries,
  assembleCyclic,
  linesOf,
  singleRun,
  type SeriesRow,
} from '../../src/probe/protocol.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { batchMaxima, batchSeconds } from '../../src/stats/batch.js';
import { parseRunRecord } from '../../src/results/schema.js';
import { InputError } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dayStream } from '../bench/memory-day.js';

/** Rows of `n` seconds with a count, min, max and sum that depend on the second. */
function rows(n: number): SeriesRow[] {
  return Array.from({ length: n }, (_, s): SeriesRow => (s % 97 === 5 ? [s, 0, 0, 0, 0] : [s, 1000, 1000 + (s % 13), 5000 + ((s * 7919) % 40000), 1000 * (3000 + (s % 11))]));
}

/** The parser's kept messages for a whole stream, fed in the generator's chunks. */
function parsed(seconds: number, threads: number, edit: (text: string) => string = (t) => t): ProtocolParser {
  const p = new ProtocolParser();
  const text = [...dayStream(seconds, threads)].join('');
  const e = edit(text);
  for (let i = 0; i < e.length; i += 65536) p.push(e.slice(i, i + 65536));
  p.end();
  return p;
}

describe('appendSeries', () => {
  test('exact up to SERIES_MAX_POINTS seconds, however the rows arrive', () => {
    const all = rows(SERIES_MAX_POINTS);
    const s = { points: [] as SeriesRow[], seconds: 1 };
    for (let i = 0; i < all.length; i += 1000) appendSeries(s, all.slice(i, i + 1000));
    assert.equal(s.seconds, 1);
    assert.deepEqual(s.points, all);
  });

  test('longer: at most SERIES_MAX_POINTS points of 2^k s, each the count, min, max and sum of its seconds', () => {
    const all = rows(86_400);
    const s = { points: [] as SeriesRow[], seconds: 1 };
    for (let i = 0; i < all.length; i += 1000) appendSeries(s, all.slice(i, i + 1000));
    assert.ok(s.points.length <= SERIES_MAX_POINTS && s.points.length > SERIES_MAX_POINTS / 2, `${s.points.length} points`);
    assert.equal(s.seconds, 32);
    for (const [t, count, min, max, sum] of s.points) {
      const inside = all.filter((r) => r[0] >= t && r[0] < t + s.seconds && r[1] > 0);
      assert.equal(count, inside.reduce((a, r) => a + r[1], 0));
      assert.equal(sum, inside.reduce((a, r) => a + r[4], 0));
      assert.equal(min, Math.min(...inside.map((r) => r[2])), `min of ${t}`);
      assert.equal(max, Math.max(...inside.map((r) => r[3])), `max of ${t}`);
    }
    assert.equal(Math.max(...s.points.map((p) => p[3])), Math.max(...all.map((r) => r[3])), 'the run max survives');
  });
});

describe('comparisons of a downsampled series with a per-second one', () => {
  test('maxima are taken at the coarser width on both sides, so the units of the exceedance count are of one size', () => {
    const fine = rows(10_000);
    const coarse = { points: [] as SeriesRow[], seconds: 1 };
    appendSeries(coarse, fine, 1, 2000);
    assert.equal(coarse.seconds, 8);
    const asSource = (r: SeriesRow[], seconds?: number) => ({ series: r.map(([t, count, min, max, sum]) => ({ t, count, min, max, mean: count ? sum / count : 0 })), stddev: 1, count: 1, ...(seconds ? { seconds } : {}) });
    const sources = [asSource(fine), asSource(coarse.points, coarse.seconds)];
    const w = batchSeconds(sources);
    assert.equal(w, 8);
    assert.deepEqual(batchMaxima([sources[0]], w), batchMaxima([sources[1]], w));
    assert.equal(batchMaxima([sources[0]]).length, fine.filter((r) => r[1] > 0).length, 'alone, one maximum per second');
  });
});

describe('the parser on a long stream', () => {
  test('keeps a bounded list: the first and last progress lines, one series message a thread; done.lines still checks out', () => {
    const p = parsed(20_000, 3);
    const kept = p.messages;
    assert.ok(kept.length < 40, `${kept.length} messages kept`);
    const progress = kept.filter((m) => m.type === 'progress');
    assert.equal(progress.length, 2 * PROGRESS_KEPT);
    assert.deepEqual(progress.map((m) => m.elapsedMs).slice(PROGRESS_KEPT - 1, PROGRESS_KEPT + 1), [PROGRESS_KEPT * 1000, (20_000 - PROGRESS_KEPT + 1) * 1000]);
    const elided = kept.find((m) => m.type === 'elided');
    assert.deepEqual(elided, { type: 'elided', of: 'progress', lines: 20_000 - 2 * PROGRESS_KEPT });
    assert.equal(kept.filter((m) => m.type === 'series').length, 3);
    const run = singleRun(kept);
    assert.equal(run.messages.reduce((a, m) => a + linesOf(m), 0) - 1, run.done.lines);
  });

  test('a lost progress line or series line is still a truncated stream', () => {
    const dropLine = (re: RegExp) => (text: string) => {
      const lines = text.split('\n');
      const i = lines.findIndex((l) => re.test(l));
      lines.splice(i, 1);
      return lines.join('\n');
    };
    for (const re of [/"elapsedMs":5000000,/, /"type":"series","thread":1,"points":\[\[7000,/]) {
      const p = parsed(20_000, 2, dropLine(re));
      assert.throws(() => singleRun(p.messages), (e: Error) => e instanceof TruncatedStreamError && /'done' says \d+ lines were written but \d+ arrived/.test(e.message), String(re));
    }
  });

  test('a stream cannot claim a series line stands for several', () => {
    const p = parsed(100, 1, (t) => t.replace('"type":"series","thread":0,', '"type":"series","thread":0,"lines":5,"seconds":4,'));
    const run = singleRun(p.messages);
    assert.equal(linesOf(run.messages.find((m) => m.type === 'series')!), 1);
    assert.equal(assembleCyclic(run).latency.threads[0].seriesSeconds, undefined);
  });

  test('the result says its series was downsampled, and keeps every sample and the extremes', () => {
    const p = parsed(20_000, 2);
    const pieces = assembleCyclic(singleRun(p.messages));
    const lat = summarizeLatency(pieces.latency);
    const t0 = lat.threads[0];
    assert.equal(t0.seriesSeconds, 8);
    assert.equal(t0.series.length, 2500);
    assert.equal(t0.series.reduce((a, x) => a + x.count, 0), 20_000_000);
    assert.ok(pieces.warnings.some((w) => w.code === 'series-downsampled' && /kept at 8 s per point/.test(w.message)));
    // The exact per-second maxima of thread 0, computed from the same stream without the parser.
    const exactMax = Math.max(
      ...[...dayStream(20_000, 2)]
        .join('')
        .split('\n')
        .filter((l) => l.includes('"type":"series","thread":0'))
        .flatMap((l) => (JSON.parse(l.slice(l.indexOf('{'))).points as SeriesRow[]).map((r) => r[3])),
    );
    assert.equal(Math.max(...t0.series.map((x) => x.max)), exactMax);
  });

  test('a short run keeps one point per second and no warning', () => {
    const pieces = assembleCyclic(singleRun(parsed(SERIES_MAX_POINTS, 2).messages));
    assert.equal(pieces.latency.threads[0].series.length, SERIES_MAX_POINTS);
    assert.equal(pieces.latency.threads[0].seriesSeconds, undefined);
    assert.ok(!pieces.warnings.some((w) => w.code === 'series-downsampled'));
  });
});

describe('run.json with seriesSeconds', () => {
  const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../../test/results/fixtures/v1-quickstart.json'), 'utf8'));
  const withSeconds = (v: unknown) => {
    const r = structuredClone(fixture);
    const lat = r.results.find((x: { latency?: unknown }) => x.latency);
    lat.latency.threads[0].seriesSeconds = v;
    return r;
  };
  test('an old record without it loads; a downsampled one loads', () => {
    assert.ok(parseRunRecord(structuredClone(fixture), 'old/run.json'));
    const rec = parseRunRecord(withSeconds(32), 'new/run.json');
    assert.equal(rec.results.find((x) => x.status === 'completed' && x.latency)!.status, 'completed');
  });
  test('a seriesSeconds that is not a whole number of at least 2 is refused, naming the field', () => {
    for (const v of [1, 2.5, 'x']) {
      assert.throws(
        () => parseRunRecord(withSeconds(v), 'bad/run.json'),
        (e: Error) => e instanceof InputError && /bad\/run\.json: results\.\d+\.latency\.threads\.0\.seriesSeconds: /.test(e.message),
        String(v),
      );
    }
  });
});
