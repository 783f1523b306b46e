/**
 * The real-time readiness checklist: a pure function of HostFacts. Each check says what
 * it found and gives a one-line fix, so a user can make a host ready without reading docs.
 */
import type { HostFacts } from './facts.js';
import type { Check, CheckStatus } from '../results/readiness.js';
export type { Check, CheckStatus };



/**
 * Housekeeping/measurement split suggested in fixes: keep CPU 0 (and the lower half on
 * bigger machines) for the OS, isolate the rest.
 */
function suggestIsolated(n: number): string | null {
  if (n < 2) return null;
  const first = Math.max(1, Math.floor(n / 2));
  return first === n - 1 ? `${first}` : `${first}-${n - 1}`;
}

function housekeeping(n: number): string {
  const first = Math.max(1, Math.floor(n / 2));
  return first === 1 ? '0' : `0-${first - 1}`;
}

/** Evaluate every readiness check, in the order they should be fixed. */
export function checkReadiness(f: HostFacts): Check[] {
  const checks: Check[] = [];
  const add = (id: string, status: CheckStatus, title: string, detail: string, fix = '') =>
    checks.push({ id, status, title, detail, fix: status === 'pass' ? '' : fix });
  const x86 = /^(x86_64|i[3-6]86|amd64)$/.test(f.kernel.arch);

  // PREEMPT_RT kernel
  if (f.kernel.preemptRt) {
    add('preempt-rt', 'pass', 'PREEMPT_RT kernel', `${f.kernel.release} (${f.kernel.preemptRtEvidence})`);
  } else {
    const pkg = f.kernel.arch === 'aarch64' ? 'linux-image-rt-arm64' : 'linux-image-rt-amd64';
    add(
      'preempt-rt',
      'fail',
      'PREEMPT_RT kernel',
      `${f.kernel.release || 'unknown kernel'} is not PREEMPT_RT (${f.kernel.preemptModel ?? 'preemption model unknown'})`,
      `apt-get install ${pkg} and reboot into it (/sys/kernel/realtime must read 1)`,
    );
  }

  // RT throttling
  const rt = f.sched.rtRuntimeUs;
  if (rt === -1) add('rt-throttling', 'pass', 'RT throttling disabled', 'sched_rt_runtime_us = -1');
  else
    add(
      'rt-throttling',
      'warn',
      'RT throttling disabled',
      rt === null
        ? 'sched_rt_runtime_us unreadable'
        : `sched_rt_runtime_us = ${rt} of ${f.sched.rtPeriodUs ?? '?'}: RT tasks are stopped for the rest of each period`,
      'echo -1 > /proc/sys/kernel/sched_rt_runtime_us (or tuning rtThrottling: false in the scenario)',
    );

  // CPU isolation
  const n = f.cpu.onlineCount;
  const c = f.cmdline;
  const present = [
    ['isolcpus', c.isolcpus],
    ['nohz_full', c.nohzFull],
    ['rcu_nocbs', c.rcuNocbs],
  ] as const;
  const have = present.filter(([, v]) => v !== null);
  const iso = suggestIsolated(n);
  const isoFix = iso
    ? `add "isolcpus=managed_irq,domain,${iso} nohz_full=${iso} rcu_nocbs=${iso} irqaffinity=${housekeeping(n)}" to GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot`
    : 'a single online CPU cannot be isolated: give the host (or VM) at least 2 CPUs';
  if (have.length === 3) {
    add('cpu-isolation', 'pass', 'CPU isolation', present.map(([k, v]) => `${k}=${v!.raw}`).join(' '));
  } else if (have.length === 0) {
    add('cpu-isolation', 'warn', 'CPU isolation', 'no isolcpus, nohz_full or rcu_nocbs on the kernel command line', isoFix);
  } else {
    const missing = present.filter(([, v]) => v === null).map(([k]) => k);
    add(
      'cpu-isolation',
      'warn',
      'CPU isolation',
      `${have.map(([k, v]) => `${k}=${v!.raw}`).join(' ')}; missing ${missing.join(', ')}`,
      isoFix,
    );
  }

  // Frequency governor
  const govs = Object.entries(f.cpu.governors);
  const known = govs.filter(([, g]) => g !== null);
  if (known.length === 0) {
    add(
      'governor',
      'pass',
      'CPU frequency governor',
      'no cpufreq interface (VM or fixed clock): frequency is set outside this kernel',
    );
  } else {
    const notPerf = known.filter(([, g]) => g !== 'performance');
    if (notPerf.length === 0) add('governor', 'pass', 'CPU frequency governor', `performance on ${known.length} CPUs`);
    else
      add(
        'governor',
        'warn',
        'CPU frequency governor',
        `${notPerf.length} of ${known.length} CPUs not on performance (${[...new Set(notPerf.map(([, g]) => g))].join(', ')})`,
        'for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance > $g; done (or tuning governor: performance)',
      );
  }

  // SMT
  const smtOn = f.cpu.smtActive === true || (f.cpu.threadsPerCore ?? 1) > 1;
  if (smtOn)
    add(
      'smt',
      'warn',
      'SMT (hyper-threading) off',
      `SMT active (${f.cpu.threadsPerCore ?? '?'} threads per core): a sibling thread shares the core with the measurement`,
      'echo off > /sys/devices/system/cpu/smt/control (or nosmt on the kernel command line)',
    );
  else
    add(
      'smt',
      'pass',
      'SMT (hyper-threading) off',
      f.cpu.smtControl ? `smt/control = ${f.cpu.smtControl}` : `${f.cpu.threadsPerCore ?? '?'} thread per core`,
    );

  // C-states
  const limited =
    c.idle === 'poll' ||
    c.idle === 'halt' ||
    (c.processorMaxCstate !== null && c.processorMaxCstate <= 1) ||
    (c.intelIdleMaxCstate !== null && c.intelIdleMaxCstate <= 1);
  if (limited) {
    const parts = [
      c.idle ? `idle=${c.idle}` : '',
      c.intelIdleMaxCstate !== null ? `intel_idle.max_cstate=${c.intelIdleMaxCstate}` : '',
      c.processorMaxCstate !== null ? `processor.max_cstate=${c.processorMaxCstate}` : '',
    ].filter(Boolean);
    add('cstates', 'pass', 'Deep C-states limited', parts.join(' '));
  } else
    add(
      'cstates',
      'warn',
      'Deep C-states limited',
      'no idle=, intel_idle.max_cstate= or processor.max_cstate= limit: wake-up from deep idle adds latency',
      `add "${x86 ? 'intel_idle.max_cstate=0 ' : ''}processor.max_cstate=1" to the kernel command line (or tuning dmaLatency: 0 for the run)`,
    );

  // THP
  if (f.memory.thp === 'always')
    add(
      'thp',
      'warn',
      'Transparent huge pages not always',
      'THP = always: khugepaged compaction can stall RT tasks',
      'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled',
    );
  else add('thp', 'pass', 'Transparent huge pages not always', `THP = ${f.memory.thp ?? 'not available'}`);

  // Clocksource
  const cs = f.clocksource.current;
  if (!x86) add('clocksource', cs ? 'pass' : 'warn', 'Clocksource', cs ? `current: ${cs}` : 'unknown', 'check /sys/devices/system/clocksource/clocksource0/current_clocksource');
  else if (cs === 'tsc') add('clocksource', 'pass', 'Clocksource tsc', 'current: tsc');
  else
    add(
      'clocksource',
      'warn',
      'Clocksource tsc',
      `current: ${cs ?? 'unknown'}; available: ${f.clocksource.available.join(' ') || 'unknown'}`,
      f.clocksource.available.includes('tsc')
        ? 'echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource'
        : 'tsc is not available (unstable TSC?): add tsc=reliable to the kernel command line only if the TSC is known good',
    );

  // HRTICK (SCHED_DEADLINE runtime enforcement between ticks)
  const h = f.sched.hrtick ?? null;
  const hrtickFix = `tuning: {hrtick: true} in the deployment (or mount -t debugfs debugfs /sys/kernel/debug; echo ${h?.feature ?? 'HRTICK_DL'} > ${h?.path ?? '/sys/kernel/debug/sched/features'})`;
  if (h?.enabled) add('hrtick', 'pass', 'HRTICK for short deadline periods', `${h.feature} on (${h.path})`);
  else
    add(
      'hrtick',
      'warn',
      'HRTICK for short deadline periods',
      h
        ? `${h.feature} off (${h.path}): SCHED_DEADLINE periods under 2 ms need it; without it runtime is enforced only at the scheduler tick`
        : f.sched.schedFeaturesError
          ? `${f.sched.schedFeaturesError} (kernel lockdown?): HRTICK state unknown and cannot be switched; SCHED_DEADLINE periods under 2 ms need it`
          : f.sched.debugfsMounted
            ? 'no HRTICK_DL or HRTICK in the scheduler features file: SCHED_DEADLINE periods under 2 ms need it'
            : 'debugfs not mounted on /sys/kernel/debug: HRTICK state unknown; SCHED_DEADLINE periods under 2 ms need it',
      h || !f.sched.debugfsMounted
        ? hrtickFix
        : f.sched.schedFeaturesError
          ? 'boot without kernel lockdown (lockdown= / Secure Boot) to switch HRTICK, or keep SCHED_DEADLINE periods at 2 ms or more'
          : 'a kernel with CONFIG_SCHED_DEBUG and CONFIG_SCHED_HRTICK (the features file and the feature)',
    );

  // Privileges
  if (f.privileges.capSysNice)
    add('cap-sys-nice', 'pass', 'CAP_SYS_NICE', f.privileges.root ? 'running as root' : 'CAP_SYS_NICE in CapEff');
  else
    add(
      'cap-sys-nice',
      'fail',
      'CAP_SYS_NICE',
      `uid ${f.privileges.uid ?? '?'} without CAP_SYS_NICE: SCHED_FIFO and mlockall will be refused`,
      'connect as root (user: root in hosts.yaml) or grant the probe cap_sys_nice,cap_ipc_lock+ep with setcap',
    );

  // Compiler
  if (f.tools.cc) add('cc', 'pass', 'C compiler', f.tools.cc);
  else
    add(
      'cc',
      'warn',
      'C compiler',
      'no cc on PATH: the probe is built on the controller and uploaded as a static binary',
      'apt-get install gcc (optional)',
    );

  // cyclictest
  if (f.tools.cyclictest) add('cyclictest', 'pass', 'cyclictest', f.tools.cyclictest);
  else add('cyclictest', 'warn', 'cyclictest', 'not on PATH: cyclictest benchmarks cannot run', 'apt-get install rt-tests');

  // KVM
  if (f.kvm.usable) add('kvm', 'pass', 'KVM', '/dev/kvm usable');
  else
    add(
      'kvm',
      'warn',
      'KVM',
      f.kvm.present ? '/dev/kvm present but cannot be opened: VM guests fall back to slow TCG' : 'no /dev/kvm: VM guests fall back to slow TCG',
      f.kvm.present
        ? 'add the user to the kvm group (usermod -aG kvm USER) or connect as root'
        : `enable virtualization in firmware (or nested virtualization) and modprobe ${x86 ? 'kvm_intel (or kvm_amd)' : 'kvm'}`,
    );

  return checks;
}

/** The worst status among checks ('pass' for an empty list). */
export function worstStatus(checks: readonly Check[]): CheckStatus {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'pass';
}

const MARKS: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗' };

/** A terminal checklist: marker, aligned title, detail; the fix on the next line for non-passing checks. */
export function formatChecklist(checks: readonly Check[], opts: { host?: string } = {}): string {
  const w = Math.max(0, ...checks.map((c) => c.title.length));
  const out: string[] = [];
  if (opts.host) out.push(`Real-time readiness of ${opts.host}:`);
  for (const c of checks) {
    out.push(`${MARKS[c.status]} ${c.title.padEnd(w)}  ${c.detail}`);
    if (c.fix) out.push(`  ${' '.repeat(w)}  fix: ${c.fix}`);
  }
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  out.push(`${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return out.join('\n') + '\n';
}

/** The same checklist as a Markdown table (for reports). */
export function formatChecklistMarkdown(checks: readonly Check[], opts: { host?: string } = {}): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out: string[] = [];
  if (opts.host) out.push(`### Real-time readiness: ${cell(opts.host)}`, '');
  out.push('| | Check | Found | Fix |', '|---|---|---|---|');
  for (const c of checks)
    out.push(`| ${MARKS[c.status]} ${c.status} | ${cell(c.title)} | ${cell(c.detail)} | ${c.fix ? '`' + cell(c.fix.replace(/`/g, "'")) + '`' : ''} |`);
  return out.join('\n') + '\n';
}
