/**
 * `unilat facts` for a person: what the host is (kernel, CPU model and count, SMT, governor,
 * isolation, RT throttling, memory, clock source, KVM, tools, privileges), one line each, before
 * its readiness checklist. Every value read from the host is shown with its control characters
 * as \xHH (visible).
 */
import type { HostFacts } from '../results/facts.js';
import { visible } from '../text.js';

/** "0-3,6,8-9": CPU numbers as the kernel writes lists. */
export function cpuRanges(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return out.join(',');
}

/** "performance on 0-3; powersave on 4-7", or why there is none. */
function governors(g: Record<string, string | null>): string {
  const by = new Map<string, number[]>();
  for (const [cpu, gov] of Object.entries(g)) {
    const n = Number(cpu.replace(/^cpu/, ''));
    const k = gov ?? 'none';
    by.set(k, [...(by.get(k) ?? []), n]);
  }
  if (!by.size || (by.size === 1 && by.has('none'))) return 'none (no cpufreq: a VM, or frequency scaling off)';
  return [...by].map(([gov, cpus]) => `${gov} on ${cpuRanges(cpus.filter(Number.isFinite))}`).join('; ');
}

function bytes(n: number | null): string {
  if (n === null) return 'unknown';
  return n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

function list(cpus: readonly number[] | null | undefined): string {
  return cpus === null || cpus === undefined ? 'unknown' : cpus.length ? cpuRanges(cpus) : 'none';
}

/** The host's facts as `label  value` lines. */
export function factLines(f: HostFacts): string[] {
  const k = f.kernel;
  const c = f.cpu;
  const smt = c.smtActive === null ? (c.threadsPerCore === null ? 'SMT unknown' : `${c.threadsPerCore} thread(s) per core`) : `SMT ${c.smtActive ? 'on' : 'off'}${c.smtControl ? ` (${c.smtControl})` : ''}`;
  const rt = f.sched.rtRuntimeUs === null ? 'unknown' : f.sched.rtRuntimeUs < 0 ? 'off (sched_rt_runtime_us = -1)' : `${f.sched.rtRuntimeUs} of every ${f.sched.rtPeriodUs ?? '?'} µs`;
  // By the names a person types (the record's keys are camel case); QEMU's own line lists every qemu-system-*.
  const name: Record<string, string> = { qemuX86_64: 'qemu-system-x86_64', stressNg: 'stress-ng' };
  const tools = Object.entries(f.tools).filter(([n]) => n !== 'qemuSystems' && n !== 'qemuX86_64');
  const found = tools.filter(([, v]) => v).map(([n]) => name[n] ?? n);
  const missing = [...tools.filter(([, v]) => !v).map(([n]) => name[n] ?? n), ...(f.tools.qemuSystems.length ? [] : ['qemu-system-*'])];
  const rows: Array<[string, string]> = [
    ['host', `${f.hostname} (${k.arch})`],
    ['kernel', `${k.release}; preemption ${k.preemptModel ?? 'unknown'}; PREEMPT_RT ${k.preemptRt ? `yes (${k.preemptRtEvidence ?? 'said so'})` : 'no'}`],
    ['CPU', `${c.model ?? 'model unknown'}`],
    ['CPUs', `${c.onlineCount} online (${list(c.online)}); ${smt}`],
    ['governor', governors(c.governors)],
    ['isolated', `${list(c.isolated)}; nohz_full ${list(c.nohzFull)}${f.cmdline.rcuNocbs ? `; rcu_nocbs ${f.cmdline.rcuNocbs.raw}` : ''}`],
    ['RT throttling', rt],
    ['memory', `${bytes(f.memory.totalBytes)}; THP ${f.memory.thp ?? 'unknown'}; huge pages ${f.memory.hugepagesFree ?? '?'} free of ${f.memory.hugepagesTotal ?? '?'}`],
    ['clocksource', `${f.clocksource.current ?? 'unknown'}${f.clocksource.available.length ? ` (available: ${f.clocksource.available.join(' ')})` : ''}`],
    ['KVM', f.kvm.usable ? '/dev/kvm usable' : f.kvm.present ? '/dev/kvm present, not usable by this user' : 'no /dev/kvm'],
    ['tools', `${found.join(', ') || 'none'}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${f.tools.qemuSystems.length ? `; QEMU ${f.tools.qemuSystems.map((p) => p.split('/').pop()).join(', ')}` : ''}`],
    ['privileges', `${f.privileges.root ? 'root' : `uid ${f.privileges.uid ?? '?'}`}${f.privileges.capSysNice ? ', CAP_SYS_NICE' : ', no CAP_SYS_NICE (no real-time priorities)'}`],
  ];
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, v]) => `  ${l.padEnd(w)}  ${visible(v, false)}`);
}
