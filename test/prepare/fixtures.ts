/** Hand-written facts script output of a tuned PREEMPT_RT box (8 CPUs, SMT on, isolation on the command line). */
export const RT_HOST_OUTPUT = `
@@unilat-facts@@ uname_r
6.1.0-27-rt-amd64

@@unilat-facts@@ uname_v
#1 SMP PREEMPT_RT Debian 6.1.115-1 (2024-11-01)

@@unilat-facts@@ uname_m
x86_64

@@unilat-facts@@ hostname
rtbox

@@unilat-facts@@ realtime
1

@@unilat-facts@@ kconfig_rt
CONFIG_PREEMPT_RT=y

@@unilat-facts@@ cmdline
BOOT_IMAGE=/vmlinuz-6.1.0-27-rt-amd64 root=UUID=1234 ro quiet isolcpus=managed_irq,domain,4-7 nohz_full=4-7 rcu_nocbs=4-7 irqaffinity=0-3 intel_idle.max_cstate=0 processor.max_cstate=1 idle=poll mitigations=off note="a b" -- single

@@unilat-facts@@ cpuinfo
model name	: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz

@@unilat-facts@@ online
0-7

@@unilat-facts@@ isolated
4-7

@@unilat-facts@@ nohz_full
4-7

@@unilat-facts@@ smt_active
1

@@unilat-facts@@ smt_control
on

@@unilat-facts@@ vulnerabilities
dir
meltdown	Mitigation: PTI 
spectre_v1	Mitigation: usercopy/swapgs barriers and __user pointer sanitization 
spectre_v2	Mitigation: Retpolines; IBPB: conditional; IBRS_FW; STIBP: conditional; RSB filling; PBRSB-eIBRS: Not affected; BHI: Not affected 
spec_store_bypass	Vulnerable 
l1tf	Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable 
srbds	Not affected 

@@unilat-facts@@ siblings
cpu0 0,4
cpu1 1,5
cpu2 2,6
cpu3 3,7
cpu4 0,4
cpu5 1,5
cpu6 2,6
cpu7 3,7

@@unilat-facts@@ governors
cpu0 performance
cpu1 performance
cpu2 performance
cpu3 powersave
cpu4 performance
cpu5 performance
cpu6 performance
cpu7 performance

@@unilat-facts@@ rt_runtime
-1

@@unilat-facts@@ rt_period
1000000

@@unilat-facts@@ sched_features
mounted
/sys/kernel/debug/sched/features
PLACE_LAG NO_HRTICK NO_HRTICK_DL DOUBLE_TICK NONTASK_CAPACITY TTWU_QUEUE

@@unilat-facts@@ thp
[always] madvise never

@@unilat-facts@@ meminfo
MemTotal:       16303212 kB
HugePages_Total:      64
HugePages_Free:       60
Hugepagesize:       2048 kB

@@unilat-facts@@ cs_current
hpet

@@unilat-facts@@ cs_available
tsc hpet acpi_pm

@@unilat-facts@@ kvm
present

@@unilat-facts@@ dma_latency
writable

@@unilat-facts@@ tools
cyclictest /usr/bin/cyclictest
qemu-system-x86_64 /usr/bin/qemu-system-x86_64

@@unilat-facts@@ qemu_systems
/usr/bin/qemu-system-x86_64
/usr/bin/qemu-system-aarch64
/bin/qemu-system-x86_64

@@unilat-facts@@ uid
1000

@@unilat-facts@@ status
CapPrm:	0000000000000000
CapEff:	0000000000800000

@@unilat-facts@@ end
`;
