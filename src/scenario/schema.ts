/**
 * The scenario and hosts file schemas: the single source of the typed scenario model,
 * its validation messages and the JSON Schema `unilat schema` prints. zod is imported only here.
 */
import { z } from 'zod';
import { parseCpuList, parseSizeMiB, parseTimeNs } from './units.js';
import { parseGate, type Gate } from './gates.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** More than a lab writes by hand; a generated file beyond it is a mistake, and its matrix would not end. */
export const MAX_LIST = 256;
const name = z
  .string()
  .regex(NAME, 'a name of letters, digits, "_", "." and "-", starting with a letter or digit')
  .max(64);

/** A time span in ns; `unit` is what a bare number means. */
function time(what: string, unit: 'ns' | 'us' | 's', min = 0) {
  return z
    .union([z.string(), z.number()], { error: `${what}: a time like ${unit === 's' ? '30s or 5m' : '1000us or 1ms'}` })
    .transform((v, ctx) => {
      const ns = parseTimeNs(v, unit);
      if (ns === null || !(ns > min)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(v)} is not a ${min >= 0 ? 'positive ' : ''}time (like ${unit === 's' ? '30s, 5m, 1h' : '1000us, 1ms, 250ns'}; a bare number means ${unit})`,
        });
        return z.NEVER;
      }
      return Math.round(ns);
    })
    .meta({ description: `${what}: a number (${unit}) or a string with a unit ns, us, ms, s, m, h` });
}

const cpuList = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const cpus = parseCpuList(v);
    if (!cpus) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a CPU list (like "0", "1,3" or "2-5")` });
      return z.NEVER;
    }
    return cpus;
  })
  .meta({ description: 'CPU list as in taskset: "0,2-3"' });

const size = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const mib = parseSizeMiB(v);
    if (mib === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size (like 256M or 1G)` });
      return z.NEVER;
    }
    return mib;
  });

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const policySchema = z.enum(['fifo', 'rr', 'other', 'deadline']);

/** Knobs shared by the probe's cyclic mode and rt-tests' cyclictest. */
const latencyKnobs = {
  threads: int(1, 1024).default(1).meta({ description: 'measurement threads' }),
  interval: time('interval', 'us').default(1000_000).meta({ description: 'wake-up interval of the first thread' }),
  distance: time('distance', 'us', -1).default(0).meta({ description: 'interval increment per thread (cyclictest -d)' }),
  priority: int(1, 99).default(80).meta({ description: 'real-time priority (1..99)' }),
  policy: policySchema.default('fifo').meta({ description: 'scheduling policy of the threads: fifo, rr, other or deadline (SCHED_DEADLINE)' }),
  runtime: time('runtime', 'us').optional().meta({ description: 'SCHED_DEADLINE runtime' }),
  deadline: time('deadline', 'us').optional().meta({ description: 'SCHED_DEADLINE deadline' }),
  period: time('period', 'us').optional().meta({ description: 'SCHED_DEADLINE period (default: interval)' }),
  affinity: cpuList.optional().meta({ description: 'CPUs for the threads, round-robin (cyclictest -a)' }),
  mlockall: z.boolean().default(true).meta({ description: 'lock memory before measuring' }),
  dmaLatency: z.boolean().default(true).meta({ description: 'hold /dev/cpu_dma_latency at 0 during the run' }),
  duration: time('duration', 's').optional().meta({ description: 'overrides the scenario duration' }),
  loops: int(1).optional().meta({ description: 'stop after this many wake-ups per thread instead of a duration' }),
  spikeThreshold: time('spikeThreshold', 'us').default(100_000).meta({ description: 'latencies above this are logged as spikes' }),
};

/** Kernel tracing around the probe's spikes (bare metal): what ran on the late CPU instead. */
const traceSchema = z
  .strictObject({
    threshold: time('threshold', 'us').meta({ description: 'a wake-up later than this stops a trace and marks it (cyclictest --breaktrace)' }),
    maxTraces: int(1, 16).default(1).meta({ description: 'how many spikes are traced: each has a ring buffer of its own' }),
    bufferKb: int(64, 16384).default(2048).meta({ description: 'ring buffer per CPU and trace, KiB' }),
  })
  .meta({ description: 'ftrace around spikes: scheduler, IRQ, softirq and timer events; the attribution of the time between the planned and the actual wake-up' });
export type TraceConfig = z.output<typeof traceSchema>;

const cyclicBenchmark = z.strictObject({
  name: name.meta({ description: 'benchmark name (unique in the scenario)' }),
  kind: z.literal('cyclic').meta({ description: 'the probe\'s cyclictest-style wake-up latency' }),
  ...latencyKnobs,
  trace: traceSchema.optional(),
});

const cyclictestBenchmark = z.strictObject({
  name: name.meta({ description: 'benchmark name (unique in the scenario)' }),
  kind: z.literal('cyclictest').meta({ description: 'rt-tests\' cyclictest on the target, with the same knobs' }),
  ...latencyKnobs,
  histogram: int(1, 1_000_000).optional().meta({ description: 'cyclictest -h: histogram range in us' }),
  args: z.array(z.string()).default([]).meta({ description: 'extra cyclictest arguments' }),
});

/**
 * rt-tests' cyclicdeadline: SCHED_DEADLINE threads, each with deadline = period = its interval
 * and a runtime it derives itself (60% of the period, less when threads outnumber CPUs), so
 * runtime, deadline and period are only checked against what it will run (bench/cyclicdeadline/args.ts).
 */
const cyclicdeadlineBenchmark = z.strictObject({
  name: name.meta({ description: 'benchmark name (unique in the scenario)' }),
  kind: z.literal('cyclicdeadline').meta({ description: 'rt-tests\' cyclicdeadline (SCHED_DEADLINE) on the target, the reference for kind: cyclic with policy: deadline' }),
  threads: latencyKnobs.threads,
  interval: latencyKnobs.interval.meta({ description: 'deadline and period of the first thread (cyclicdeadline -i, whole us)' }),
  distance: latencyKnobs.distance.meta({ description: 'deadline and period increment per thread (cyclicdeadline -s, whole us)' }),
  runtime: latencyKnobs.runtime.meta({ description: 'SCHED_DEADLINE runtime: cyclicdeadline sets it itself; when given, it must be what cyclicdeadline runs' }),
  deadline: latencyKnobs.deadline.meta({ description: 'SCHED_DEADLINE deadline: cyclicdeadline runs deadline = interval; when given, it must be that' }),
  period: latencyKnobs.period.meta({ description: 'SCHED_DEADLINE period: cyclicdeadline runs period = interval; when given, it must be that' }),
  affinity: latencyKnobs.affinity.meta({ description: 'CPUs for the threads (cyclicdeadline -a): a subset makes cyclicdeadline build an exclusive cgroup-v1 cpuset and move every task of the host into cpusets for the run' }),
  duration: latencyKnobs.duration,
  loops: latencyKnobs.loops.meta({ description: 'not available: cyclicdeadline has no loop count (give a duration)' }),
});

/**
 * rtla timerlat hist: the kernel's timerlat tracer wakes a thread per CPU every period and
 * records the latency at the timer IRQ and at the thread's wake-up (and, with rtla -u, back in
 * user space). Knobs map to rtla's options as bench/timerlat/args.ts says.
 */
const timerlatBenchmark = z.strictObject({
  name: name.meta({ description: 'benchmark name (unique in the scenario)' }),
  kind: z.literal('timerlat').meta({ description: "rtla timerlat hist on the target (bare metal, or in a vm guest): IRQ and thread latency per CPU, from the kernel's timerlat tracer" }),
  interval: latencyKnobs.interval.meta({ description: 'timer period (rtla -p, whole us)' }),
  priority: latencyKnobs.priority.meta({ description: 'SCHED_FIFO priority of the timerlat threads (rtla -P f:PRIO)' }),
  affinity: latencyKnobs.affinity.meta({ description: 'CPUs to measure (rtla -c); default all; the other CPUs run rtla itself where rtla has -H' }),
  dmaLatency: latencyKnobs.dmaLatency.meta({ description: 'hold /dev/cpu_dma_latency at 0 during the run (rtla --dma-latency 0)' }),
  duration: latencyKnobs.duration.meta({ description: 'overrides the scenario duration (rtla -d, whole seconds)' }),
  userThreads: z.boolean().default(true).meta({ description: 'also measure the return to user space with rtla\'s user-space threads (-u), where the installed rtla has it' }),
  loops: latencyKnobs.loops.meta({ description: 'not available: rtla timerlat has no loop count (give a duration)' }),
  histogram: int(10, 1_000_000).default(20_000).meta({ description: 'histogram range in us (1 us buckets); later samples are counted as overflows' }),
  spikeThreshold: latencyKnobs.spikeThreshold,
});

export const SYSCALL_OPS = ['loop', 'func', 'indirect', 'clock_gettime', 'getppid', 'read'] as const;

const syscallBenchmark = z.strictObject({
  name: name.meta({ description: 'benchmark name (unique in the scenario)' }),
  kind: z.literal('syscall').meta({ description: 'ns per operation: function call vs system call' }),
  batch: int(0, 100_000_000).default(0).meta({ description: 'iterations per batch (one ns/op sample each); 0 lets the probe calibrate each op to about 1 ms per batch' }),
  batches: int(5, 1_000_000).default(200).meta({ description: 'batches per op (one ns/op sample each)' }),
  warmup: int(0, 1_000_000).default(20).meta({ description: 'uncounted batches per op before measuring' }),
  cpu: int(0, 4095).default(0).meta({ description: 'the CPU it is pinned to' }),
  ops: z.array(z.enum(SYSCALL_OPS)).min(1).default([...SYSCALL_OPS]).meta({ description: 'operations to time: loop (empty loop), func (function call), indirect (indirect call), clock_gettime (vDSO), getppid (raw system call), read (1 byte from /dev/zero)' }),
  priority: int(1, 99).default(80).meta({ description: 'real-time priority (1..99)' }),
  policy: policySchema.exclude(['deadline']).default('fifo').meta({ description: 'scheduling policy: fifo, rr or other' }),
  perf: z.boolean().default(false).meta({ description: 'also record `perf bench syscall basic` where perf exists' }),
});

export const benchmarkSchema = z.discriminatedUnion('kind', [cyclicBenchmark, syscallBenchmark, cyclictestBenchmark, cyclicdeadlineBenchmark, timerlatBenchmark]);

export const loadSchema = z.strictObject({
  tool: z.enum(['stress-ng', 'hackbench', 'command']).meta({ description: 'stress-ng, hackbench, or command (args are the program and its arguments)' }),
  args: z.array(z.string()).default([]).meta({ description: 'arguments of the tool (for command: the program and its arguments)' }),
  cpus: cpuList.optional().meta({ description: 'pin the load to these CPUs' }),
});

export const tuningSchema = z.strictObject({
  governor: z.string().regex(/^[a-z]+$/, 'a cpufreq governor name like performance').optional().meta({ description: 'cpufreq governor (skipped with a note where there is no cpufreq)' }),
  rtThrottling: z.boolean().optional().meta({ description: 'false sets sched_rt_runtime_us = -1 for the run' }),
  irqAffinity: cpuList.optional().meta({ description: 'move IRQs to these CPUs, away from the measurement CPUs' }),
  dmaLatency: int(0, 1_000_000).optional().meta({ description: 'hold /dev/cpu_dma_latency at this value (us)' }),
  hrtick: z.boolean().optional().meta({ description: "true turns the scheduler's HRTICK_DL (HRTICK) feature on for the run, mounting debugfs if needed; SCHED_DEADLINE periods under 2 ms need it" }),
});

const common = {
  name: name.meta({ description: 'deployment name (unique in the scenario)' }),
  tuning: tuningSchema.optional().meta({ description: 'host tuning for this deployment; every change is recorded and restored afterwards' }),
  load: loadSchema.optional().meta({ description: 'background load during this deployment\'s measurements (instead of the scenario\'s)' }),
};

const bareMetal = z.strictObject({ ...common, kind: z.literal('bare-metal').meta({ description: 'directly on the host' }) });

const guestFields = {
  kernel: z.string().min(1).default('debian-rt').meta({ description: 'a kernel image path, or debian-rt / debian' }),
  accel: z.enum(['kvm', 'tcg', 'auto']).default('auto').meta({ description: 'kvm, tcg, or auto (KVM where a KVM guest really runs, else TCG with a warning)' }),
  cpu: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.+=,-]*$/, 'a QEMU -cpu value like host, max, EPYC-v4 or host,-arch-capabilities')
    .optional()
    .meta({ description: 'QEMU CPU model: host, max or a model name (default: host under KVM, max under TCG)' }),
  vcpus: int(1, 256).default(1).meta({ description: 'vCPUs' }),
  memory: size.default(256).meta({ description: 'guest memory: a number (MiB) or a size like 256M, 1G' }),
  pin: z.array(int(0, 4095)).optional().meta({ description: 'host CPU for each vCPU' }),
  vcpuPolicy: policySchema.exclude(['deadline']).optional().meta({ description: 'host scheduling policy of the vCPU threads: fifo, rr or other' }),
  vcpuPriority: int(1, 99).optional().meta({ description: 'priority of the vCPU threads (with vcpuPolicy)' }),
  memLock: z.boolean().default(false).meta({ description: 'lock guest memory on the host (-overcommit mem-lock=on)' }),
  hugepages: z.boolean().default(false).meta({ description: 'back guest memory with /dev/hugepages' }),
  machine: z.enum(['pc', 'q35', 'microvm']).default('pc').meta({ description: 'QEMU machine: pc, q35 or microvm (no PCI, qboot)' }),
  cmdline: z.string().default('').meta({ description: 'extra guest kernel arguments' }),
  bootTimeout: time('bootTimeout', 's').default(120e9).meta({ description: 'give up when the probe has not started by then' }),
  boot: z.enum(['cold', 'snapshot']).default('cold').meta({ description: 'cold: boot the kernel; snapshot: boot once to the probe waiting for its script, save the VM, restore it for every boot (instant clone)' }),
  freshBoot: z.boolean().default(false).meta({ description: 'boot a fresh guest for every benchmark (default: one boot per repetition runs all of its benchmarks)' }),
};

const vm = z.strictObject({ ...common, kind: z.literal('vm').meta({ description: 'a BusyBox guest under QEMU, the probe a child of its shell' }), ...guestFields });
const unikernel = z.strictObject({ ...common, kind: z.literal('unikernel').meta({ description: 'a guest under QEMU whose PID 1 is the probe' }), ...guestFields });

export const deploymentSchema = z.discriminatedUnion('kind', [bareMetal, vm, unikernel]);

const gate = z
  .union([
    z.string(),
    z.strictObject({ gate: z.string().meta({ description: 'the gate, like "p99 < 50us" or "p99.9 may not regress more than 10%"' }), benchmark: name.optional().meta({ description: 'only results of this benchmark' }), deployment: name.optional().meta({ description: 'only results of this deployment' }) }),
  ])
  .transform((v, ctx): Gate => {
    const text = typeof v === 'string' ? v : v.gate;
    const g = parseGate(text);
    if (typeof g === 'string') {
      ctx.addIssue({ code: 'custom', message: g });
      return z.NEVER;
    }
    return typeof v === 'string' ? g : { ...g, benchmark: v.benchmark, deployment: v.deployment };
  });

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'the JSON Schema of this file (for editors)' }),
    name: name.meta({ description: 'scenario name (in run ids and the history)' }),
    description: z.string().default('').meta({ description: 'free text' }),
    hosts: z.array(z.string().min(1)).min(1).max(MAX_LIST).default(['local']).meta({ description: 'host or group names; "local" is this machine' }),
    repetitions: int(1, 10_000).default(1).meta({ description: 'every deployment x benchmark runs this often, interleaved (A B A B)' }),
    warmup: z.boolean().default(false).meta({ description: 'run one uncounted warm-up repetition first' }),
    duration: time('duration', 's').default(10e9).meta({ description: 'default length of latency benchmarks' }),
    load: loadSchema.optional().meta({ description: 'background load for every deployment (a deployment may set its own)' }),
    deployments: z.array(deploymentSchema).min(1).max(MAX_LIST).meta({ description: 'where to measure: bare-metal, vm or unikernel' }),
    benchmarks: z.array(benchmarkSchema).min(1).max(MAX_LIST).meta({ description: 'what to measure: cyclic, cyclictest, cyclicdeadline, timerlat or syscall' }),
    gates: z.array(gate).max(MAX_LIST).default([]).meta({ description: '`unilat run` exits 1 when one fails: "p99 < 50us", "syscall.getppid < 200ns", "p99.9 may not regress more than 10%"' }),
    baseline: z.string().optional().meta({ description: 'baseline for relative gates: a run folder or last-good' }),
    noiseThreshold: z.number().min(0).max(1).default(0.05).meta({ description: 'changes smaller than this fraction are "no significant change"' }),
  })
  .superRefine((s, ctx) => {
    for (const key of ['deployments', 'benchmarks'] as const) {
      const seen = new Map<string, number>();
      s[key].forEach((d, i) => {
        if (seen.has(d.name))
          ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `duplicate name "${d.name}" (also ${key}[${seen.get(d.name)}])` });
        else seen.set(d.name, i);
      });
    }
    s.benchmarks.forEach((b, i) => {
      if ((b.kind === 'cyclic' || b.kind === 'cyclictest') && b.policy === 'deadline' && b.runtime === undefined)
        ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'runtime'], message: 'policy deadline needs a runtime (like 200us)' });
      if ((b.kind === 'cyclicdeadline' || b.kind === 'timerlat') && b.loops !== undefined)
        ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'loops'], message: `${b.kind === 'timerlat' ? 'rtla timerlat' : b.kind} has no loop count: give a duration` });
      if (b.kind === 'timerlat' && (b.interval < 100_000 || b.interval > 1e9))
        ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'interval'], message: `rtla timerlat takes a period of 100us to 1s, not ${b.interval / 1000}us` });
      if (b.kind !== 'syscall' && b.duration !== undefined && b.loops !== undefined)
        ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'loops'], message: 'give either duration or loops, not both' });
    });
    s.deployments.forEach((d, i) => {
      if (d.kind !== 'bare-metal' && d.pin && d.pin.length !== d.vcpus)
        ctx.addIssue({ code: 'custom', path: ['deployments', i, 'pin'], message: `pin names ${d.pin.length} host CPUs for ${d.vcpus} vCPUs (one each)` });
      if (d.kind !== 'bare-metal' && d.accel === 'tcg' && d.cpu?.split(',')[0] === 'host')
        ctx.addIssue({ code: 'custom', path: ['deployments', i, 'cpu'], message: 'cpu: host needs KVM (TCG cannot pass the host CPU through; use max)' });
      if (d.kind !== 'bare-metal' && d.vcpuPriority !== undefined && !d.vcpuPolicy)
        ctx.addIssue({ code: 'custom', path: ['deployments', i, 'vcpuPolicy'], message: 'vcpuPriority needs vcpuPolicy (fifo or rr)' });
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Deployment = z.output<typeof deploymentSchema>;
export type GuestDeployment = Extract<Deployment, { kind: 'vm' | 'unikernel' }>;
export type Benchmark = z.output<typeof benchmarkSchema>;

/**
 * Which kinds are modes of the probe (run by the deployment's runner, in a guest too) rather than
 * tools of their own on the host. The plan needs only this of a kind; bench/benchmark.ts's
 * registry is typed to agree with it.
 */
export const RUNS_ON_PROBE = { cyclic: true, syscall: true, cyclictest: false, cyclicdeadline: false, timerlat: false } as const satisfies Record<Benchmark['kind'], boolean>;
export type CyclicBenchmark = z.output<typeof cyclicBenchmark>;
export type CyclictestBenchmark = z.output<typeof cyclictestBenchmark>;
export type CyclicdeadlineBenchmark = z.output<typeof cyclicdeadlineBenchmark>;
export type SyscallBenchmark = z.output<typeof syscallBenchmark>;
export type TimerlatBenchmark = z.output<typeof timerlatBenchmark>;
export type Load = z.output<typeof loadSchema>;
export type Tuning = z.output<typeof tuningSchema>;

const hostEntry = z.strictObject({
  address: z.string().min(1).meta({ description: 'IP address or DNS name' }),
  port: int(1, 65535).optional().meta({ description: 'SSH port (default 22, or from ~/.ssh/config with sshConfig)' }),
  user: z.string().min(1).optional().meta({ description: 'login user (default root, or from ~/.ssh/config with sshConfig)' }),
  identityFile: z.string().optional().meta({ description: 'SSH private key file' }),
  passphraseEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional().meta({ description: 'environment variable holding the identity file\'s passphrase' }),
  passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional().meta({ description: 'environment variable holding the SSH password' }),
  agent: z.boolean().default(false).meta({ description: 'authenticate with ssh-agent (SSH_AUTH_SOCK)' }),
  knownHosts: z.string().optional().meta({ description: 'known_hosts file (default ~/.ssh/known_hosts)' }),
  jump: z.string().optional().meta({ description: 'name of another host to jump through (ProxyJump)' }),
  cpus: cpuList.optional().meta({ description: 'CPUs the harness may use on this host' }),
  sshConfig: z.boolean().default(false).meta({ description: 'fill missing fields from ~/.ssh/config' }),
});

export const hostsFileSchema = z
  .strictObject({
    hosts: z.record(name, hostEntry).default({}),
    groups: z.record(name, z.array(name).min(1)).default({}),
  })
  .superRefine((f, ctx) => {
    for (const [g, members] of Object.entries(f.groups)) {
      if (Object.hasOwn(f.hosts, g) || g === 'local') ctx.addIssue({ code: 'custom', path: ['groups', g], message: `group "${g}" has the name of a host` });
      members.forEach((m, i) => {
        if (!Object.hasOwn(f.hosts, m) && m !== 'local')
          ctx.addIssue({ code: 'custom', path: ['groups', g, i], message: `unknown host "${m}" (hosts: ${Object.keys(f.hosts).join(', ') || 'none'})` });
      });
    }
    for (const [h, e] of Object.entries(f.hosts)) {
      if (h === 'local') ctx.addIssue({ code: 'custom', path: ['hosts', h], message: '"local" is built in and cannot be redefined' });
      if (e.jump !== undefined && !Object.hasOwn(f.hosts, e.jump))
        ctx.addIssue({ code: 'custom', path: ['hosts', h, 'jump'], message: `unknown jump host "${e.jump}"` });
    }
  });

export type HostsFile = z.output<typeof hostsFileSchema>;
export type HostEntry = z.output<typeof hostEntry>;

/** A stable name, not a download address: editors take the schema from the modeline's file path. */
export const SCHEMA_ID = 'urn:unilat:scenario-schema';

/** The scenario's JSON Schema in draft-07, the draft YAML editors (yaml-language-server) read best. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, $id: SCHEMA_ID, title: 'unilat scenario', description: 'A unilat scenario file: what to measure (benchmarks), where (deployments on hosts), and the gates', ...rest };
}

export { z };
