/**
 * Host facts: what a machine is, gathered before anything on it changes.
 *
 * One constant shell script runs through the transport (one round trip, locally or over
 * SSH) and prints tagged sections; `parseFacts` turns that text into `HostFacts` and is a
 * pure function, so it is tested on fixtures. The script only prints what it reads: no
 * value from a file is ever pasted back into shell code.
 */
import type { Transport } from '../transport/transport.js';
import type { CmdlineFacts, CpuListParam, HostFacts, HrtickFacts } from '../results/facts.js';
export type { CmdlineFacts, CpuListParam, HostFacts, HrtickFacts };

/** Where debugfs is mounted, and the scheduler's features file in it (newer kernels first). */
export const DEBUGFS = '/sys/kernel/debug';
export const SCHED_FEATURES = [`${DEBUGFS}/sched/features`, `${DEBUGFS}/sched_features`] as const;

/**
 * Shell text printing "mounted" when debugfs is on DEBUGFS, then the first existing features
 * file's path and its contents, or "unreadable: " and why (under kernel lockdown debugfs refuses
 * it even to root). Nothing more when there is no features file. Constant text.
 */
export const SCHED_FEATURES_SH = `grep -qsF ' ${DEBUGFS} debugfs ' /proc/mounts && echo mounted
for f in ${SCHED_FEATURES.join(' ')}; do
  [ -e "$f" ] || continue
  printf '%s\\n' "$f"
  if v=$(cat -- "$f" 2>&1); then printf '%s\\n' "$v"; else printf 'unreadable: %s\\n' "\${v##*: }"; fi
  break
done`;

export interface SchedFeatures {
  debugfsMounted: boolean;
  /** null without a readable features file, or without either feature in it. */
  hrtick: HrtickFacts | null;
  /** The features file that exists but cannot be read, and why; null otherwise. */
  schedFeaturesError: string | null;
}

/** The SCHED_FEATURES_SH output. */
export function parseSchedFeatures(text: string): SchedFeatures {
  const rows = text.split('\n').map((l) => l.trim());
  const debugfsMounted = rows[0] === 'mounted';
  const at = rows.findIndex((l) => (SCHED_FEATURES as readonly string[]).includes(l));
  const none = { debugfsMounted, hrtick: null, schedFeaturesError: null };
  if (at < 0) return none;
  const body = rows.slice(at + 1).join(' ').trim();
  if (body.startsWith('unreadable: ')) return { ...none, schedFeaturesError: `${rows[at]}: ${body.slice(12)}` };
  const tokens = body.split(/\s+/);
  for (const feature of ['HRTICK_DL', 'HRTICK'] as const) {
    const on = tokens.includes(feature);
    if (on || tokens.includes(`NO_${feature}`)) return { ...none, hrtick: { feature, enabled: on, path: rows[at] } };
  }
  return none;
}




/** Section marker: unlikely in any file we cat, and fixed so parsing never guesses. */
const MARK = '@@unilat-facts@@';

/**
 * The facts script. It is constant text: no value read from the host becomes code.
 * Each section is `@@unilat-facts@@ <name>` followed by raw output.
 */
export const FACTS_SCRIPT = `
LC_ALL=C; export LC_ALL
sec() { printf '\\n${MARK} %s\\n' "$1"; }
catf() { [ -r "$1" ] && cat -- "$1" 2>/dev/null; }
sec uname_r; uname -r
sec uname_v; uname -v
sec uname_m; uname -m
sec hostname; catf /proc/sys/kernel/hostname || hostname
sec realtime; catf /sys/kernel/realtime
sec kconfig_rt; r=$(uname -r); { catf "/boot/config-$r" || { [ -r /proc/config.gz ] && gzip -dc /proc/config.gz 2>/dev/null; }; } | grep -E '^CONFIG_PREEMPT(_RT)?=' 2>/dev/null
sec kconfig_hash; r=$(uname -r)
if [ -r "/boot/config-$r" ]; then printf '/boot/config-%s\\n' "$r"; sha256sum < "/boot/config-$r" 2>/dev/null
elif [ -r /proc/config.gz ]; then echo /proc/config.gz; gzip -dc /proc/config.gz 2>/dev/null | sha256sum 2>/dev/null; fi
sec cmdline; catf /proc/cmdline
sec cpuinfo; grep -m 4 -E '^(model name|Model|Hardware|cpu model|uarch)[[:space:]]*:' /proc/cpuinfo 2>/dev/null
sec online; catf /sys/devices/system/cpu/online
sec isolated; catf /sys/devices/system/cpu/isolated
sec nohz_full; catf /sys/devices/system/cpu/nohz_full
sec smt_active; catf /sys/devices/system/cpu/smt/active
sec smt_control; catf /sys/devices/system/cpu/smt/control
sec vulnerabilities
v=/sys/devices/system/cpu/vulnerabilities
# "dir" first, so an empty directory ({}) is told apart from a missing one (null).
if [ -d "$v" ]; then
  echo dir
  for f in "$v"/*; do [ -r "$f" ] && printf '%s\\t%s\\n' "\${f##*/}" "$(tr '\\n' ' ' < "$f" 2>/dev/null)"; done
fi
sec siblings
for d in /sys/devices/system/cpu/cpu[0-9]*; do
  [ -r "$d/topology/thread_siblings_list" ] && printf '%s %s\\n' "\${d##*/}" "$(cat "$d/topology/thread_siblings_list")"
done
sec governors
for d in /sys/devices/system/cpu/cpu[0-9]*; do
  g=-; [ -r "$d/cpufreq/scaling_governor" ] && g=$(cat "$d/cpufreq/scaling_governor" 2>/dev/null)
  printf '%s %s\\n' "\${d##*/}" "\${g:--}"
done
sec rt_runtime; catf /proc/sys/kernel/sched_rt_runtime_us
sec rt_period; catf /proc/sys/kernel/sched_rt_period_us
sec sched_features
${SCHED_FEATURES_SH}
sec thp; catf /sys/kernel/mm/transparent_hugepage/enabled
sec meminfo; grep -E '^(MemTotal|HugePages_Total|HugePages_Free|Hugepagesize):' /proc/meminfo 2>/dev/null
sec cs_current; catf /sys/devices/system/clocksource/clocksource0/current_clocksource
sec cs_available; catf /sys/devices/system/clocksource/clocksource0/available_clocksource
sec kvm
if [ -e /dev/kvm ]; then echo present; ( : <> /dev/kvm ) 2>/dev/null && echo usable; fi
sec dma_latency; [ -w /dev/cpu_dma_latency ] && echo writable
sec tools
for n in cc cyclictest qemu-system-x86_64 stress-ng hackbench perf busybox; do
  p=$(command -v "$n" 2>/dev/null) && printf '%s %s\\n' "$n" "$p"
done
sec qemu_systems
( IFS=:; for d in $PATH; do for f in "$d"/qemu-system-*; do [ -x "$f" ] && printf '%s\\n' "$f"; done; done ) 2>/dev/null
sec uid; id -u
sec status; grep -E '^Cap(Eff|Prm):' /proc/self/status 2>/dev/null
sec end
exit 0
`;

/** Gather facts in one round trip. Throws when the script cannot run at all. */
export async function gatherFacts(t: Transport): Promise<HostFacts> {
  const r = await t.run({ script: FACTS_SCRIPT }, { timeoutMs: 30_000 });
  if (!r.stdout.includes(`${MARK} end`)) {
    throw new Error(`facts script on ${t.name} did not complete (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 500)}`);
  }
  return parseFacts(r.stdout);
}

/** Split the script output into its sections (name -> text, trimmed of the framing newlines). */
export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | null = null;
  let buf: string[] = [];
  const flush = () => {
    if (name !== null) out.set(name, buf.join('\n').replace(/^\n+|\n+$/g, ''));
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(MARK + ' ')) {
      flush();
      name = line.slice(MARK.length + 1).trim();
      buf = [];
    } else if (name !== null) buf.push(line);
  }
  flush();
  return out;
}

/** Parse the facts script's output. Pure: missing sections become nulls, never throws. */
export function parseFacts(text: string): HostFacts {
  const s = splitSections(text);
  const get = (k: string): string | null => {
    const v = s.get(k);
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const int = (k: string): number | null => toInt(get(k));

  const release = get('uname_r') ?? '';
  const version = get('uname_v') ?? '';
  const arch = get('uname_m') ?? '';
  let evidence: string | null = null;
  if (get('realtime') === '1') evidence = '/sys/kernel/realtime = 1';
  else if (/PREEMPT[_ ]RT/.test(version)) evidence = `uname -v: ${version}`;
  else if (/^CONFIG_PREEMPT_RT=y$/m.test(get('kconfig_rt') ?? '')) evidence = 'CONFIG_PREEMPT_RT=y';
  const preemptModel = /PREEMPT[_ ]RT/.test(version)
    ? 'PREEMPT_RT'
    : /PREEMPT_DYNAMIC/.test(version)
      ? 'PREEMPT_DYNAMIC'
      : /\bPREEMPT\b/.test(version)
        ? 'PREEMPT'
        : evidence
          ? 'PREEMPT_RT'
          : null;

  const online = parseCpuList(get('online') ?? '') ?? [];
  const cmdline = parseCmdline(get('cmdline') ?? '', online.length || null);

  let model: string | null = null;
  for (const line of (get('cpuinfo') ?? '').split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m && m[2] && (model === null || m[1] === 'model name')) {
      model = m[2].trim();
      if (m[1] === 'model name') break;
    }
  }

  let threadsPerCore: number | null = null;
  for (const line of lines(get('siblings'))) {
    const [, list] = splitFirst(line);
    const cpus = parseCpuList(list);
    if (cpus) threadsPerCore = Math.max(threadsPerCore ?? 0, cpus.length);
  }
  const governors: Record<string, string | null> = {};
  for (const line of lines(get('governors'))) {
    const [cpu, g] = splitFirst(line);
    if (cpu) governors[cpu] = g && g !== '-' ? g : null;
  }
  const smtActiveRaw = get('smt_active');
  const vulnerabilities = parseVulnerabilities(s.get('vulnerabilities'));

  const mem = new Map<string, number>();
  for (const line of lines(get('meminfo'))) {
    const m = /^(\w+):\s*(\d+)\s*(kB)?/.exec(line);
    if (m) mem.set(m[1], Number(m[2]) * (m[3] ? 1024 : 1));
  }
  const thpRaw = get('thp');
  const thp = thpRaw ? (/\[(\w+)\]/.exec(thpRaw)?.[1] ?? thpRaw) : null;

  const tools = new Map<string, string>();
  for (const line of lines(get('tools'))) {
    const [n, p] = splitFirst(line);
    if (n && p) tools.set(n, p);
  }
  // First hit per name in PATH order (what would run); /bin and /usr/bin alias on merged-/usr systems.
  const byName = new Map<string, string>();
  for (const p of lines(get('qemu_systems'))) {
    const n = p.slice(p.lastIndexOf('/') + 1);
    if (!byName.has(n)) byName.set(n, p);
  }
  const qemuSystems = [...byName.values()];

  const kvm = lines(get('kvm'));
  const uid = int('uid');
  const capEff = /^CapEff:\s*([0-9a-fA-F]+)/m.exec(get('status') ?? '')?.[1] ?? null;
  // CAP_SYS_NICE is capability 23.
  const capSysNice = capEff !== null ? ((BigInt('0x' + capEff) >> 23n) & 1n) === 1n : uid === 0;

  const isolated = s.has('isolated') ? parseCpuList(get('isolated') ?? '') : null;
  const nohz = s.has('nohz_full') && get('nohz_full') !== null && get('nohz_full') !== '(null)' ? parseCpuList(get('nohz_full')!) : null;

  // The file the config came from, then sha256sum's line; no hash without sha256sum.
  const [configSource, configSum] = lines(get('kconfig_hash'));
  const configHash = /^([0-9a-f]{64})\b/.exec(configSum ?? '')?.[1];
  const config = configSource && configHash ? { sha256: configHash, source: configSource } : null;

  return {
    hostname: get('hostname') ?? '',
    kernel: { release, version, arch, preemptRt: evidence !== null, preemptRtEvidence: evidence, preemptModel, config },
    cmdline,
    cpu: {
      model,
      online,
      onlineCount: online.length,
      threadsPerCore,
      smtActive: smtActiveRaw === null ? null : smtActiveRaw === '1',
      smtControl: get('smt_control'),
      governors,
      isolated,
      nohzFull: nohz,
      vulnerabilities,
    },
    sched: { rtRuntimeUs: int('rt_runtime'), rtPeriodUs: int('rt_period'), ...parseSchedFeatures(s.get('sched_features') ?? '') },
    memory: {
      totalBytes: mem.get('MemTotal') ?? null,
      thp,
      hugepagesTotal: mem.get('HugePages_Total') ?? null,
      hugepagesFree: mem.get('HugePages_Free') ?? null,
      hugepageSizeBytes: mem.get('Hugepagesize') ?? null,
    },
    clocksource: {
      current: get('cs_current'),
      available: (get('cs_available') ?? '').split(/\s+/).filter(Boolean),
    },
    kvm: { present: kvm.includes('present'), usable: kvm.includes('usable') },
    cpuDmaLatency: get('dma_latency') === 'writable',
    tools: {
      cc: tools.get('cc') ?? null,
      cyclictest: tools.get('cyclictest') ?? null,
      qemuX86_64: tools.get('qemu-system-x86_64') ?? null,
      qemuSystems,
      stressNg: tools.get('stress-ng') ?? null,
      hackbench: tools.get('hackbench') ?? null,
      perf: tools.get('perf') ?? null,
      busybox: tools.get('busybox') ?? null,
    },
    privileges: { uid, root: uid === 0, capSysNice, capEff },
  };
}

/** The vulnerabilities section: "dir" and then one "name<TAB>text" line per file; null without "dir". */
function parseVulnerabilities(section: string | undefined): Record<string, string> | null {
  const rows = (section ?? '').split('\n');
  if (rows[0]?.trim() !== 'dir') return null;
  const out: Record<string, string> = {};
  for (const row of rows.slice(1)) {
    const tab = row.indexOf('\t');
    if (tab > 0) out[row.slice(0, tab)] = row.slice(tab + 1).trim();
  }
  return out;
}

/**
 * Parse a kernel CPU list ("0-3,8,10-15", "0-7:2/4", "all", "N" for the last CPU).
 * Returns null when any part is not a CPU list; `nCpus` resolves "all" and "N".
 */
export function parseCpuList(text: string, nCpus: number | null = null): number[] | null {
  const t = text.trim();
  if (t === '') return [];
  const out = new Set<number>();
  const num = (x: string): number | null => {
    if (x === 'N') return nCpus !== null ? nCpus - 1 : null;
    return /^\d+$/.test(x) ? Number(x) : null;
  };
  for (const part of t.split(',')) {
    if (part === 'all') {
      if (nCpus === null) return null;
      for (let i = 0; i < nCpus; i++) out.add(i);
      continue;
    }
    // a-b or a-b:used/group (kernel's bitmap_parselist grouping syntax)
    const m = /^(\w+)(?:-(\w+)(?::(\d+)\/(\d+))?)?$/.exec(part);
    if (!m) return null;
    const a = num(m[1]);
    const b = m[2] !== undefined ? num(m[2]) : a;
    if (a === null || b === null || b < a) return null;
    const used = m[3] !== undefined ? Number(m[3]) : 1;
    const group = m[4] !== undefined ? Number(m[4]) : 1;
    if (group === 0 || used === 0) return null;
    for (let i = a; i <= b; i++) if ((i - a) % group < used) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** Parse a kernel command line; `nCpus` resolves "all"/"N" in CPU lists. */
export function parseCmdline(raw: string, nCpus: number | null = null): CmdlineFacts {
  const params: Record<string, string> = {};
  for (const tok of tokenizeCmdline(raw)) {
    if (tok === '--') break; // the rest goes to init
    const eq = tok.indexOf('=');
    if (eq < 0) params[tok] = '';
    else params[tok.slice(0, eq)] = tok.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  const list = (key: string, withFlags: boolean): CpuListParam | null => {
    if (!(key in params)) return null;
    const rawV = params[key];
    const flags: string[] = [];
    const cpuParts: string[] = [];
    for (const p of rawV.split(',')) {
      // isolcpus takes flags (domain, nohz, managed_irq) before the list
      if (withFlags && /^[a-z_]+$/.test(p) && p !== 'all') flags.push(p);
      else cpuParts.push(p);
    }
    return { raw: rawV, cpus: parseCpuList(cpuParts.join(','), nCpus), flags };
  };
  const num = (key: string): number | null => toInt(params[key] ?? null);
  return {
    raw: raw.trim(),
    params,
    isolcpus: list('isolcpus', true),
    nohzFull: list('nohz_full', false),
    rcuNocbs: list('rcu_nocbs', false),
    irqAffinity: list('irqaffinity', false),
    idle: params['idle'] ?? null,
    intelIdleMaxCstate: num('intel_idle.max_cstate'),
    processorMaxCstate: num('processor.max_cstate'),
    mitigations: params['mitigations'] ?? null,
  };
}

/** Whitespace split that keeps double-quoted values (param="a b") together, like the kernel. */
function tokenizeCmdline(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (const ch of raw.trim()) {
    if (ch === '"') inQuote = !inQuote;
    if (!inQuote && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function toInt(v: string | null): number | null {
  if (v === null || !/^-?\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

function lines(v: string | null): string[] {
  return (v ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function splitFirst(line: string): [string, string] {
  const i = line.search(/\s/);
  return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i).trim()];
}
