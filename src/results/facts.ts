/** What a host is, as the run record keeps it (gathered by prepare/facts.ts before anything changes). */

/** A boot-time CPU list parameter (isolcpus=, nohz_full=, rcu_nocbs=, irqaffinity=). */
export interface CpuListParam {
  /** The value exactly as on the command line (isolcpus flags included). */
  raw: string;
  /** The CPUs it names, sorted; null when the list could not be parsed. */
  cpus: number[] | null;
  /** isolcpus flags such as `domain`, `managed_irq`, `nohz` (empty for other parameters). */
  flags: string[];
}

/** What the kernel command line says about real-time relevant settings. */
export interface CmdlineFacts {
  /** /proc/cmdline as read (trimmed). */
  raw: string;
  /** Every kernel parameter before a `--` (init arguments excluded); flags map to ''. Last one wins. */
  params: Record<string, string>;
  isolcpus: CpuListParam | null;
  nohzFull: CpuListParam | null;
  rcuNocbs: CpuListParam | null;
  irqAffinity: CpuListParam | null;
  /** idle= (poll, halt, nomwait), null when absent. */
  idle: string | null;
  /** intel_idle.max_cstate= as a number, null when absent or not a number. */
  intelIdleMaxCstate: number | null;
  /** processor.max_cstate= as a number, null when absent or not a number. */
  processorMaxCstate: number | null;
  /** mitigations= (off, auto, auto,nosmt, ...), null when absent (kernel default: auto). */
  mitigations: string | null;
}

/** The scheduler feature that enforces SCHED_DEADLINE runtime with a high-resolution timer. */
export interface HrtickFacts {
  /** HRTICK_DL where the kernel has it (5.11 on), else HRTICK. */
  feature: 'HRTICK_DL' | 'HRTICK';
  enabled: boolean;
  /** The features file it was read from (/sys/kernel/debug/sched/features, or sched_features on older kernels). */
  path: string;
}

export interface HostFacts {
  /** Transport-independent host name (/proc/sys/kernel/hostname). */
  hostname: string;
  kernel: {
    /** uname -r */
    release: string;
    /** uname -v (build string; mentions PREEMPT_RT on RT kernels) */
    version: string;
    /** uname -m (x86_64, aarch64, ...) */
    arch: string;
    /** True when /sys/kernel/realtime is 1, uname -v says PREEMPT_RT / PREEMPT RT, or the kernel config has CONFIG_PREEMPT_RT=y. */
    preemptRt: boolean;
    /** Which of those said so (null when none did). */
    preemptRtEvidence: string | null;
    /** Preemption model guessed from uname -v: 'PREEMPT_RT' | 'PREEMPT_DYNAMIC' | 'PREEMPT' | null. */
    preemptModel: string | null;
    /** sha256 of the kernel config and the file it was read from; null where none is readable (or no sha256sum); absent in older records. */
    config?: { sha256: string; source: string } | null;
  };
  cmdline: CmdlineFacts;
  cpu: {
    /** 'model name' from /proc/cpuinfo (or the closest field on other architectures); null when absent. */
    model: string | null;
    /** Online CPU numbers (/sys/devices/system/cpu/online). */
    online: number[];
    /** Number of online CPUs. */
    onlineCount: number;
    /** Largest thread_siblings_list size: 2 means SMT siblings exist; null when topology is unreadable. */
    threadsPerCore: number | null;
    /** /sys/devices/system/cpu/smt/active (true/false), null when absent. */
    smtActive: boolean | null;
    /** /sys/devices/system/cpu/smt/control (on, off, forceoff, notsupported, notimplemented), null when absent. */
    smtControl: string | null;
    /** scaling_governor per CPU ("cpu0" -> "performance"); null values where cpufreq is absent (VMs). */
    governors: Record<string, string | null>;
    /** CPUs the kernel reports as isolated (/sys/devices/system/cpu/isolated), null when absent. */
    isolated: number[] | null;
    /** Effective nohz_full CPUs (/sys/devices/system/cpu/nohz_full), null when absent. */
    nohzFull: number[] | null;
    /**
     * Each file of /sys/devices/system/cpu/vulnerabilities with its text ("spectre_v2" ->
     * "Mitigation: Retpolines; ..."); null when the directory does not exist (old kernel,
     * CONFIG_GENERIC_CPU_VULNERABILITIES off, sysfs not mounted).
     */
    vulnerabilities: Record<string, string> | null;
  };
  sched: {
    /** /proc/sys/kernel/sched_rt_runtime_us (-1: RT throttling disabled); null when unreadable. */
    rtRuntimeUs: number | null;
    /** /proc/sys/kernel/sched_rt_period_us; null when unreadable. */
    rtPeriodUs: number | null;
    /** debugfs is mounted on /sys/kernel/debug (where the scheduler's features file lives); absent in older records. */
    debugfsMounted?: boolean;
    /** The SCHED_DEADLINE high-resolution tick feature; null when the features file is unreadable; absent in older records. */
    hrtick?: HrtickFacts | null;
    /** The scheduler's features file exists but cannot be read, and why (kernel lockdown refuses debugfs even to root); null otherwise. */
    schedFeaturesError?: string | null;
  };
  memory: {
    /** MemTotal in bytes. */
    totalBytes: number | null;
    /** Selected transparent huge pages mode (always, madvise, never); null when absent. */
    thp: string | null;
    /** HugePages_Total / HugePages_Free (pages) and Hugepagesize (bytes). */
    hugepagesTotal: number | null;
    hugepagesFree: number | null;
    hugepageSizeBytes: number | null;
  };
  clocksource: {
    /** current_clocksource (tsc, kvm-clock, arch_sys_counter, ...); null when absent. */
    current: string | null;
    /** available_clocksource. */
    available: string[];
  };
  kvm: {
    /** /dev/kvm exists. */
    present: boolean;
    /** /dev/kvm can be opened read-write by the transport's user. */
    usable: boolean;
  };
  /** /dev/cpu_dma_latency exists and is writable (the dmaLatency tuning knob needs it). */
  cpuDmaLatency: boolean;
  /** Absolute paths of tools found on PATH, null when missing. */
  tools: {
    cc: string | null;
    cyclictest: string | null;
    qemuX86_64: string | null;
    /** Every qemu-system-* binary found on PATH. */
    qemuSystems: string[];
    stressNg: string | null;
    hackbench: string | null;
    perf: string | null;
    busybox: string | null;
  };
  privileges: {
    /** Effective uid of the transport's user. */
    uid: number | null;
    root: boolean;
    /** CapEff bit 23 (CAP_SYS_NICE): may use SCHED_FIFO and set RT priorities. */
    capSysNice: boolean;
    /** CapEff as the hex string from /proc/self/status, null when unreadable. */
    capEff: string | null;
  };
}
