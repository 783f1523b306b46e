/**
 * One measurement in its own process, so its VmHWM is its own: `node memory-child.js verbose FILE`
 * imports a cyclictest -v file; `node memory-child.js probe FILE` streams a probe protocol file
 * through the parser and assembler in 64 KiB chunks, as the run path (src/run/measure.ts) does
 * with a probe's stdout. Prints one JSON line.
 */
import { createReadStream } from 'node:fs';
import { importVerbose } from '../../src/bench/import.js';
import { ProtocolParser, assembleRun, singleRun } from '../../src/probe/protocol.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { vmHwmKiB } from './lib/util.js';

const [kind, file] = process.argv.slice(2);
const baseline = vmHwmKiB();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let samples = 0;
let count = 0;
if (kind === 'verbose') {
  const r = await importVerbose(file);
  samples = r.meta.samples ?? 0;
  count = summarizeLatency(r.latency).count;
} else if (kind === 'probe') {
  const parser = new ProtocolParser();
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) parser.push(chunk);
  parser.end();
  const pieces = assembleRun(singleRun(parser.messages, parser.noise()), parser.noise());
  if (pieces.kind !== 'cyclic') throw new Error('expected a cyclic run');
  count = summarizeLatency(pieces.latency).count;
  samples = count;
} else {
  throw new Error(`unknown kind ${kind}`);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ kind, samples, count, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, hwmKiB: vmHwmKiB(), baselineKiB: baseline })}\n`);
