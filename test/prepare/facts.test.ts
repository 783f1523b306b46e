import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { availableParallelism, hostname, release, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { LocalTransport } from '../../src/transport/local.js';
import { FACTS_SCRIPT, gatherFacts, parseCmdline, parseCpuList, parseFacts, parseSchedFeatures, splitSections } from '../../src/prepare/facts.js';
import { RT_HOST_OUTPUT } from './fixtures.js';

test('parseCpuList: ranges, singles, strides, all/N, garbage', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('0-7:2/4'), [0, 1, 4, 5]);
  assert.deepEqual(parseCpuList('all', 4), [0, 1, 2, 3]);
  assert.deepEqual(parseCpuList('2-N', 4), [2, 3]);
  assert.equal(parseCpuList('all'), null);
  assert.equal(parseCpuList('3-1'), null);
  assert.equal(parseCpuList('x'), null);
  assert.deepEqual(parseCpuList(''), []);
});

test('parseSchedFeatures: HRTICK_DL where the kernel has it, HRTICK before 5.11, null without the file', () => {
  const f = '/sys/kernel/debug/sched/features';
  assert.deepEqual(parseSchedFeatures(`mounted\n${f}\nGENTLE_FAIR_SLEEPERS HRTICK NO_HRTICK_DL TTWU_QUEUE`), { debugfsMounted: true, hrtick: { feature: 'HRTICK_DL', enabled: false, path: f }, schedFeaturesError: null });
  // Kernel lockdown: the file is there, reading it is refused even to root.
  assert.deepEqual(parseSchedFeatures(`mounted\n${f}\nunreadable: Operation not permitted`), { debugfsMounted: true, hrtick: null, schedFeaturesError: `${f}: Operation not permitted` });
  assert.deepEqual(parseSchedFeatures(`mounted\n${f}\nNO_HRTICK HRTICK_DL`).hrtick, { feature: 'HRTICK_DL', enabled: true, path: f });
  // 5.10 and older: one HRTICK feature, in the old file.
  assert.deepEqual(parseSchedFeatures('mounted\n/sys/kernel/debug/sched_features\nSTART_DEBIT NO_HRTICK DOUBLE_TICK').hrtick, { feature: 'HRTICK', enabled: false, path: '/sys/kernel/debug/sched_features' });
  // Not a token: HRTICK_DLX is no feature of ours.
  assert.equal(parseSchedFeatures(`mounted\n${f}\nHRTICK_DLX NO_HRTICKS`).hrtick, null);
  assert.deepEqual(parseSchedFeatures(''), { debugfsMounted: false, hrtick: null, schedFeaturesError: null });
  assert.deepEqual(parseSchedFeatures('mounted'), { debugfsMounted: true, hrtick: null, schedFeaturesError: null });
});

test('parseCmdline: isolcpus flags, quoted values, init args after -- ignored', () => {
  const c = parseCmdline('ro isolcpus=nohz,domain,managed_irq,2-3 nohz_full=2,3 x="a b c" idle=poll -- nohz_full=9', 4);
  assert.deepEqual(c.isolcpus, { raw: 'nohz,domain,managed_irq,2-3', cpus: [2, 3], flags: ['nohz', 'domain', 'managed_irq'] });
  assert.deepEqual(c.nohzFull?.cpus, [2, 3]);
  assert.equal(c.params['x'], 'a b c');
  assert.equal(c.params['ro'], '');
  assert.equal(c.idle, 'poll');
  assert.equal(c.rcuNocbs, null);
});

test('parseFacts on a hand-written PREEMPT_RT host', () => {
  const f = parseFacts(RT_HOST_OUTPUT);
  assert.equal(f.hostname, 'rtbox');
  assert.equal(f.kernel.release, '6.1.0-27-rt-amd64');
  assert.equal(f.kernel.preemptRt, true);
  assert.equal(f.kernel.preemptRtEvidence, '/sys/kernel/realtime = 1');
  assert.equal(f.kernel.preemptModel, 'PREEMPT_RT');
  assert.deepEqual(f.cmdline.isolcpus, { raw: 'managed_irq,domain,4-7', cpus: [4, 5, 6, 7], flags: ['managed_irq', 'domain'] });
  assert.deepEqual(f.cmdline.nohzFull?.cpus, [4, 5, 6, 7]);
  assert.deepEqual(f.cmdline.rcuNocbs?.cpus, [4, 5, 6, 7]);
  assert.deepEqual(f.cmdline.irqAffinity?.cpus, [0, 1, 2, 3]);
  assert.equal(f.cmdline.intelIdleMaxCstate, 0);
  assert.equal(f.cmdline.processorMaxCstate, 1);
  assert.equal(f.cmdline.idle, 'poll');
  assert.equal(f.cmdline.mitigations, 'off');
  assert.equal(f.cmdline.params['note'], 'a b');
  assert.equal('single' in f.cmdline.params, false);
  assert.equal(f.cpu.model, 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz');
  assert.equal(f.cpu.onlineCount, 8);
  assert.equal(f.cpu.threadsPerCore, 2);
  assert.equal(f.cpu.smtActive, true);
  assert.equal(f.cpu.governors['cpu3'], 'powersave');
  // Text as in the files (the script turns each file's newline into a space; trimmed here).
  assert.deepEqual(f.cpu.vulnerabilities, {
    meltdown: 'Mitigation: PTI',
    spectre_v1: 'Mitigation: usercopy/swapgs barriers and __user pointer sanitization',
    spectre_v2: 'Mitigation: Retpolines; IBPB: conditional; IBRS_FW; STIBP: conditional; RSB filling; PBRSB-eIBRS: Not affected; BHI: Not affected',
    spec_store_bypass: 'Vulnerable',
    l1tf: 'Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable',
    srbds: 'Not affected',
  });
  assert.deepEqual(f.cpu.isolated, [4, 5, 6, 7]);
  assert.deepEqual(f.cpu.nohzFull, [4, 5, 6, 7]);
  assert.deepEqual(f.sched, {
    rtRuntimeUs: -1,
    rtPeriodUs: 1000000,
    debugfsMounted: true,
    hrtick: { feature: 'HRTICK_DL', enabled: false, path: '/sys/kernel/debug/sched/features' },
    schedFeaturesError: null,
  });
  assert.equal(f.memory.thp, 'always');
  assert.equal(f.memory.totalBytes, 16303212 * 1024);
  assert.equal(f.memory.hugepagesTotal, 64);
  assert.equal(f.memory.hugepagesFree, 60);
  assert.equal(f.memory.hugepageSizeBytes, 2 * 1024 * 1024);
  assert.deepEqual(f.clocksource, { current: 'hpet', available: ['tsc', 'hpet', 'acpi_pm'] });
  assert.deepEqual(f.kvm, { present: true, usable: false });
  assert.equal(f.tools.cc, null);
  assert.equal(f.tools.cyclictest, '/usr/bin/cyclictest');
  assert.deepEqual(f.tools.qemuSystems, ['/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-system-aarch64']);
  assert.equal(f.privileges.root, false);
  assert.equal(f.privileges.capSysNice, true); // 0x800000 is bit 23
});

test('parseFacts tolerates missing sections (never throws, nulls instead)', () => {
  const f = parseFacts('@@unilat-facts@@ uname_r\n5.10.0\n');
  assert.equal(f.kernel.release, '5.10.0');
  assert.equal(f.kernel.preemptRt, false);
  assert.equal(f.sched.rtRuntimeUs, null);
  assert.equal(f.cpu.threadsPerCore, null);
  assert.equal(f.clocksource.current, null);
  assert.equal(f.privileges.capSysNice, false);
  assert.equal(f.cpu.vulnerabilities, null, 'no vulnerabilities directory: null, not {}');
  assert.deepEqual(parseFacts('').cpu.online, []);
});

test('parseFacts: an empty vulnerabilities directory is {}, a missing one null', () => {
  assert.deepEqual(parseFacts('@@unilat-facts@@ vulnerabilities\ndir\n@@unilat-facts@@ end\n').cpu.vulnerabilities, {});
  assert.equal(parseFacts('@@unilat-facts@@ vulnerabilities\n\n@@unilat-facts@@ end\n').cpu.vulnerabilities, null);
});

test('the script is constant text: one round trip, sections all present', async () => {
  const r = await new LocalTransport().run({ script: FACTS_SCRIPT });
  assert.equal(r.exitCode, 0, r.stderr);
  const names = [...splitSections(r.stdout).keys()];
  for (const n of ['uname_r', 'cmdline', 'governors', 'rt_runtime', 'tools', 'status', 'end']) assert.ok(names.includes(n), n);
});

test('gatherFacts on this machine agrees with independent readings', async () => {
  const f = await gatherFacts(new LocalTransport());
  assert.equal(f.kernel.release, release());
  assert.equal(f.kernel.arch, execFileSync('uname', ['-m']).toString().trim());
  assert.equal(f.kernel.version, execFileSync('uname', ['-v']).toString().trim());
  assert.equal(f.hostname, hostname());
  assert.equal(f.cpu.onlineCount, availableParallelism());
  assert.equal(f.memory.totalBytes, Math.round(totalmem() / 1024) * 1024);
  assert.equal(f.cmdline.raw, readFileSync('/proc/cmdline', 'utf8').trim());
  const rtFile = existsSync('/sys/kernel/realtime') && readFileSync('/sys/kernel/realtime', 'utf8').trim() === '1';
  assert.equal(f.kernel.preemptRt, rtFile || /PREEMPT[_ ]RT/.test(f.kernel.version));
  assert.equal(f.sched.rtPeriodUs, Number(readFileSync('/proc/sys/kernel/sched_rt_period_us', 'utf8')));
  // Read from /proc/mounts independently; gathering facts never mounts debugfs itself.
  const debugfs = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/kernel/debug' && l.split(' ')[2] === 'debugfs');
  assert.equal(f.sched.debugfsMounted, debugfs);
  if (!debugfs) assert.equal(f.sched.hrtick, null);
  assert.equal(f.clocksource.current, readFileSync('/sys/devices/system/clocksource/clocksource0/current_clocksource', 'utf8').trim());
  assert.equal(f.kvm.present, existsSync('/dev/kvm'));
  const vdir = '/sys/devices/system/cpu/vulnerabilities';
  assert.deepEqual(
    f.cpu.vulnerabilities,
    existsSync(vdir) ? Object.fromEntries(readdirSync(vdir).map((n) => [n, readFileSync(`${vdir}/${n}`, 'utf8').trim()])) : null,
  );
  assert.equal(f.privileges.uid, process.getuid!());
  assert.equal(f.privileges.root, process.getuid!() === 0);
  if (process.getuid!() === 0) assert.equal(f.privileges.capSysNice, true);
  for (const cpu of Object.keys(f.cpu.governors)) {
    const p = `/sys/devices/system/cpu/${cpu}/cpufreq/scaling_governor`;
    assert.equal(f.cpu.governors[cpu], existsSync(p) ? readFileSync(p, 'utf8').trim() : null);
  }
  const which = (n: string) => {
    try {
      return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', n]).toString().trim() || null;
    } catch {
      return null;
    }
  };
  assert.equal(f.tools.cc, which('cc'));
  assert.equal(f.tools.cyclictest, which('cyclictest'));
  assert.equal(f.tools.busybox, which('busybox'));
});
