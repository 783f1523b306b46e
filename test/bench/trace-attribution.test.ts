import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attribute } from '../../src/bench/trace/attribution.js';
import { parseFtrace, parseFtraceLine, parseSpikeMarker } from '../../src/bench/trace/ftrace.js';

// ftrace's own text format (per_cpu/cpu1/trace), times in s with µs: planned 100.000100, actual 100.000900.
const TRACE = `# tracer: nop
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
          <idle>-0       [001] d..2.   100.000050: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=my worker-2 next_pid=4242 next_prio=110
     my worker-2-4242    [001] d.h1.   100.000200: irq_handler_entry: irq=36 name=virtio1-req.0
     my worker-2-4242    [001] d.h1.   100.000250: irq_handler_exit: irq=36 ret=handled
     my worker-2-4242    [001] ..s1.   100.000250: softirq_entry: vec=3 [action=NET_RX]
     my worker-2-4242    [001] d.h2.   100.000300: local_timer_entry: vector=236
     my worker-2-4242    [001] dNh4.   100.000310: sched_wakeup: comm=unilat-probe pid=777 prio=19 target_cpu=001
     my worker-2-4242    [001] d.h2.   100.000320: local_timer_exit: vector=236
     my worker-2-4242    [001] ..s1.   100.000400: softirq_exit: vec=3 [action=NET_RX]
     my worker-2-4242    [001] d..2.   100.000600: sched_switch: prev_comm=my worker-2 prev_pid=4242 prev_prio=110 prev_state=R ==> next_comm=swapper/1 next_pid=0 next_prio=120
          <idle>-0       [001] d..2.   100.000700: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=unilat-probe next_pid=777 next_prio=19
    unilat-probe-777     [001] ...1.   100.000950: tracing_mark_write: unilat-spike trace=0 thread=0 tid=777 cpu=1 planned=100000100000 actual=100000900000 latency=800000
`;

test('ftrace lines: comm with spaces and dashes, pid, CPU and time in ns', () => {
  const e = parseFtraceLine('     my worker-2-4242    [001] d.h1.   100.000200: irq_handler_entry: irq=36 name=virtio1-req.0');
  assert.deepEqual(e && { comm: e.comm, pid: e.pid, cpu: e.cpu, ns: e.ns, kind: e.kind }, { comm: 'my worker-2', pid: 4242, cpu: 1, ns: 100_000_200_000, kind: 'irq-entry' });
  assert.equal(parseFtraceLine('# tracer: nop'), null);
  assert.deepEqual(parseSpikeMarker('unilat-spike trace=2 thread=1 tid=9 cpu=0 planned=5 actual=7 latency=2'), { trace: 2, thread: 1, tid: 9, cpu: 0, plannedNs: 5, actualNs: 7, latencyNs: 2 });
  assert.equal(parseSpikeMarker('unilat-spike trace=x'), null);
});

test('attribution: nested IRQ, softirq and timer vector, the preempting thread, idle and the thread itself, ranked', () => {
  const a = attribute(parseFtrace(TRACE), { cpu: 1, tid: 777, fromNs: 100_000_100_000, toNs: 100_000_900_000 });
  assert.equal(a.windowNs, 800_000);
  assert.equal(a.coveredNs, 800_000);
  assert.equal(a.wokenAfterNs, 210_000);
  assert.equal(a.switchedInAfterNs, 600_000);
  const got = a.entries.map((e) => [e.kind, e.name, e.ns / 1000, e.count]);
  // worker: 100->200 and 400->600 = 300 us; softirq 250->300 and 320->400 = 130 us; irq 50; timer 20; idle 100; self 200.
  assert.deepEqual(got, [
    ['thread', 'my worker-2', 300, 0],
    ['self', 'unilat-probe', 200, 1],
    ['softirq', 'NET_RX', 130, 1],
    ['idle', 'idle', 100, 1],
    ['irq', 'virtio1-req.0', 50, 1],
    ['vector', 'local_timer', 20, 1],
  ]);
  const worker = a.entries[0];
  assert.deepEqual({ pid: worker.pid, policy: worker.policy, priority: worker.priority }, { pid: 4242, policy: 'other', priority: -10 });
  assert.deepEqual({ policy: a.entries[1].policy, priority: a.entries[1].priority }, { policy: 'rt', priority: 80 });
  assert.equal(a.entries.find((e) => e.kind === 'irq')?.irq, 36);
});

test('attribution: events of other CPUs are not counted, and a window the trace does not reach is not covered', () => {
  const other = TRACE.replaceAll('[001]', '[000]');
  const a = attribute(parseFtrace(other), { cpu: 1, tid: 777, fromNs: 100_000_100_000, toNs: 100_000_900_000 });
  assert.deepEqual(a.entries, []);
  assert.equal(a.coveredNs, 0);
  const late = attribute(parseFtrace(TRACE), { cpu: 1, tid: 777, fromNs: 99_000_000_000, toNs: 99_000_100_000 });
  assert.equal(late.coveredNs, 0);
});
