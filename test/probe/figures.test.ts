/**
 * A corrupt probe stream never becomes a figure: the real probe's output with one number made
 * impossible is refused with a ProtocolError naming the message and field, and a broken line fed
 * from a child's stdout does not end the process: the parser keeps it for end().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cyclic } from '../../src/bench/cyclic.js';
import { EARLY_LIMIT, InvalidMeasurementError, ProtocolError, ProtocolParser, assembleStream, parseStream, singleRun } from '../../src/probe/protocol.js';
import { LocalTransport } from '../../src/transport/local.js';
import { cleanupProbes, compileProbe, runProbe } from '../helpers/probe.js';

let cyclicText = '';
let syscallText = '';
const dir = mkdtempSync(join(tmpdir(), 'unilat-figures-'));

before(async () => {
  const bin = await compileProbe();
  const c = await runProbe(bin, ['cyclic', '--threads', '2', '--interval', '1000000', '--duration-ms', '300', '--raw', '--spike-threshold', '50000']);
  assert.equal(c.code, 0, c.stderr);
  cyclicText = c.stdout.toString();
  const s = await runProbe(bin, ['syscall', '--ops', 'func,getppid', '--batches', '5', '--warmup', '0']);
  assert.equal(s.code, 0, s.stderr);
  syscallText = s.stdout.toString();
});
after(async () => {
  await cleanupProbes();
  rmSync(dir, { recursive: true, force: true });
});

/** The stream with the first `type` line edited (as text: JSON cannot write 1e400), line count unchanged. */
function corrupt(text: string, type: string, edit: (line: string) => string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`"type":"${type}"`));
  assert.ok(i >= 0, `no ${type} line`);
  const edited = edit(lines[i]);
  assert.notEqual(edited, lines[i], `the ${type} line was not changed`);
  lines[i] = edited;
  return lines.join('\n');
}

/** A field's number in the first `type` line. */
function field(text: string, type: string, key: string): number {
  const line = text.split('\n').find((l) => l.includes(`"type":"${type}"`))!;
  return Number(new RegExp(`"${key}":(\\d+)`).exec(line)![1]);
}

const refused = (text: string, message: RegExp) =>
  assert.throws(
    () => assembleStream(text),
    (e: unknown) => e instanceof ProtocolError && message.test(e.message) && e.line.includes('@@UNILAT'),
  );

describe('impossible figures in the probe stream', () => {
  test('the real streams pass', () => {
    assert.equal(assembleStream(cyclicText).kind, 'cyclic');
    assert.equal(assembleStream(syscallText).kind, 'syscall');
  });

  test('hist: negative, non-whole and non-finite latencies and counts', () => {
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"min":\d+/, '"min":-5')), /^probe hist thread 0: min: -5 is negative$/);
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"max":\d+/, '"max":1e400')), /^probe hist thread 0: max: Infinity is not a finite number$/);
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"count":\d+/, '"count":1.5')), /^probe hist thread 0: count: 1\.5 is not a whole number$/);
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"sum":\d+/, '"sum":-1')), /^probe hist thread 0: sum: -1 is negative$/);
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"bins":\[\[(\d+),\d+\]/, '"bins":[[$1,-2]')), /^probe hist thread 0: bins\[0\]: -2 is negative$/);
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"max":\d+/, `"max":${100_000 * 3600e9}`)), /^probe hist thread 0: max: \d+ ns is longer than a day, not a latency$/);
  });

  test('hist: a histogram that contradicts its own summary', () => {
    const count = field(cyclicText, 'hist', 'count');
    const max = field(cyclicText, 'hist', 'max');
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"count":\d+/, `"count":${count + 1}`)), new RegExp(`^probe hist thread 0: count: ${count + 1}, but the bins hold ${count} samples$`));
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"min":\d+/, `"min":${max + 1}`)), new RegExp(`^probe hist thread 0: min: ${max + 1} is above the max, ${max}$`));
    refused(corrupt(cyclicText, 'hist', (l) => l.replace(/"min":\d+/, `"min":${max}`)), /^probe hist thread 0: bins: buckets \d+ to \d+ reach outside the min and max/);
  });

  test('series, spikes, raw, hello and op figures', () => {
    refused(corrupt(cyclicText, 'series', (l) => l.replace(/"points":\[\[(\d+),\d+/, '"points":[[$1,-1')), /^probe series thread 0: points\[0\]: -1 is negative$/);
    refused(
      corrupt(cyclicText, 'series', (l) => l.replace(/"points":\[\[(\d+),(\d+),\d+,(\d+)/, (_, t, n, max) => `"points":[[${t},${n},${Number(max) + 1},${max}`)),
      /^probe series thread 0: points\[0\] min: \d+ is above the max, \d+$/,
    );
    refused(corrupt(cyclicText, 'spikes', (l) => l.replace(/"threshold":\d+/, '"threshold":-1')), /^probe spikes thread 0: threshold: -1 is negative$/);
    refused(corrupt(cyclicText, 'raw', (l) => l.replace(/"values":\[\d+/, '"values":[-7')), /^probe raw thread 0: values\[0\]: -7 is negative$/);
    refused(corrupt(cyclicText, 'raw', (l) => l.replace(/"values":\[\d+,\d+/, '"values":[12,1e400')), /^probe raw thread 0: values\[1\]: Infinity is not a finite number$/);
    refused(corrupt(cyclicText, 'hello', (l) => l.replace(/"clockResolutionNs":\d+/, '"clockResolutionNs":-1')), /^probe hello: clockResolutionNs: -1 is negative$/);
    refused(corrupt(syscallText, 'op', (l) => l.replace(/"samples":\[[\d.]+/, '"samples":[1e400')), /^probe op func: samples\[0\]: Infinity is not a finite number$/);
    refused(corrupt(syscallText, 'op', (l) => l.replace(/"iterations":\d+/, '"iterations":0.5')), /^probe op func: iterations: 0\.5 is not a whole number$/);
  });

  test('the benchmark refuses the run (its step fails with the message), it records no figure', async () => {
    const text = corrupt(cyclicText, 'hist', (l) => l.replace(/"min":\d+/, '"min":-5'));
    const { messages, noise } = parseStream(text);
    await assert.rejects(cyclic.measured({} as never, singleRun(messages, noise), noise, {} as never), (e: unknown) => e instanceof ProtocolError && /min: -5 is negative/.test(e.message));
  });
});

describe('readings the probe shows to be broken are no measurement', () => {
  const invalid = (text: string, message: RegExp) =>
    assert.throws(
      () => assembleStream(text),
      (e: unknown) => e instanceof InvalidMeasurementError && /^invalid measurement, no figures reported: /.test(e.message) && message.test(e.message),
    );
  const hist0 = (edit: (l: string) => string) => corrupt(cyclicText, 'hist', edit);

  test('more than 1% early wake-ups fail; up to 1% is a warning', () => {
    const count = field(cyclicText, 'hist', 'count');
    const over = Math.floor(EARLY_LIMIT * count) + 1;
    invalid(hist0((l) => l.replace(/"early":\d+/, `"early":${over}`)), new RegExp(`thread 0: ${over} of ${count} wake-ups \\([\\d.]+%, more than 1%\\) came before the end of their absolute sleep: the timer or the clock is broken`));
    // The same figures from a deadline thread name the period grid.
    const dl = hist0((l) => l.replace(/"early":\d+/, `"early":${count}`)).replace(/("thread":0,"tid":\d+,"cpu":(?:\d+|null),"policy":)"\w+"/, '$1"deadline"');
    invalid(dl, new RegExp(`thread 0: ${count} of ${count} wake-ups \\(100\\.0%, more than 1%\\) came before the start of their SCHED_DEADLINE period: the probe's period grid is not the kernel's`));
    const under = Math.floor(EARLY_LIMIT * count);
    if (under > 0) {
      const p = assembleStream(hist0((l) => l.replace(/"early":\d+/, `"early":${under}`)));
      assert.ok(p.warnings.some((w) => w.code === 'early-wakeups' && w.message.startsWith(`${under} wake-ups came before`)));
    }
  });

  test('a clock that went backwards, all-zero samples, no sample at all', () => {
    invalid(hist0((l) => l.replace(/"clockBackwards":\d+/, '"clockBackwards":1')), /thread 0: the clock went backwards 1 times between consecutive reads/);
    const count = field(cyclicText, 'hist', 'count');
    const zeros = hist0((l) => l.replace(/"min":\d+/, '"min":0').replace(/"max":\d+/, '"max":0').replace(/"sum":\d+/, '"sum":0').replace(/"sumSq":\d+/, '"sumSq":0').replace(/"bins":\[\[.*?\]\]/, `"bins":[[0,${count}]]`));
    invalid(zeros, new RegExp(`thread 0: all ${count} samples are 0 ns, no latency was measured`));
  });

  test('the benchmark\'s step fails with that message', async () => {
    const { messages, noise } = parseStream(hist0((l) => l.replace(/"clockBackwards":\d+/, '"clockBackwards":3')));
    await assert.rejects(cyclic.measured({} as never, singleRun(messages, noise), noise, {} as never), (e: unknown) => e instanceof InvalidMeasurementError && /went backwards 3 times/.test(e.message));
  });
});

describe('a broken protocol line on a child\'s stdout', () => {
  test('is kept for end(), not thrown from the data event (which ended the process)', async () => {
    const lines = cyclicText.split('\n');
    lines[1] = '@@UNILAT {"type":"hist", oops';
    const file = join(dir, 'broken.txt');
    writeFileSync(file, lines.join('\n'));
    const p = new ProtocolParser();
    const r = await new LocalTransport().run(['cat', file], { onStdout: (c) => p.push(c) });
    assert.equal(r.exitCode, 0);
    assert.ok(p.messages.length > 5, 'the lines after it are still parsed');
    assert.match(p.error?.message ?? '', /probe line is not valid JSON .*oops/);
    assert.throws(() => p.end(), (e: unknown) => e instanceof ProtocolError && e.line.includes('oops'));
  });
});
