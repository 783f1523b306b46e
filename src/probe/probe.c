/*
 * unilat-probe: the measuring end of unilat. One file, libc + pthreads only, so it builds
 * anywhere (also -static for a guest's /init):
 *
 *   cc -O2 -pthread -o probe probe.c -lrt
 *
 * It speaks the line protocol of docs/protocol.md: every message is one line
 * "@@UNILAT {json}\n" written with a single write(), so it survives a serial console that
 * also carries kernel messages.
 *
 * Discipline taken from cyclictest: all memory is allocated and touched before measuring;
 * the measured loop only sleeps, reads the clock and bumps preallocated counters (no
 * allocation, no I/O, no locks). Everything is printed after the run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#define PROBE_VERSION "1.0.0"
#define PROTOCOL_VERSION 1
#define MARKER "@@UNILAT "
#define NSEC 1000000000LL

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* ---- histogram layout loglin7: must match src/results/histogram.ts ---- */
#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define EXACT (SUB * 2u)
#define MAX_EXP 40
#define BUCKETS (EXACT + (MAX_EXP - SUB_BITS) * SUB)
#define OVERFLOW_NS (1ULL << (MAX_EXP + 1))

static inline uint32_t bucket_of(uint64_t v)
{
	if (v < EXACT)
		return (uint32_t)v;
	int e = 63 - __builtin_clzll(v);
	if (e > MAX_EXP)
		return BUCKETS - 1;
	return EXACT + (uint32_t)(e - (SUB_BITS + 1)) * SUB + (uint32_t)((v >> (e - SUB_BITS)) - SUB);
}

/* ---- output ---- */

static int g_out = 1;
static uint64_t g_lines;      /* protocol lines of the current invocation */
static int g_write_errno;
static int g_in_script;
static char g_err[512];       /* message of the last failure (bad args / runtime) */
static atomic_int g_stop;     /* set by SIGINT/SIGTERM */

typedef struct {
	char *p;
	size_t len, cap;
} sb_t;

static void oom(void)
{
	static const char m[] = "unilat-probe: out of memory\n";
	if (write(2, m, sizeof m - 1) < 0) {
	}
	_exit(3);
}

static void sb_reserve(sb_t *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 512;
	while (c < b->len + n + 1)
		c *= 2;
	char *q = realloc(b->p, c);
	if (!q)
		oom();
	b->p = q;
	b->cap = c;
}

static void sb_raw(sb_t *b, const char *s)
{
	size_t n = strlen(s);
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void __attribute__((format(printf, 2, 3))) sb_fmt(sb_t *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_reserve(b, (size_t)n);
	if ((size_t)n < sizeof tmp) {
		memcpy(b->p + b->len, tmp, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A JSON string (escaped), or null. */
static void sb_str(sb_t *b, const char *s)
{
	if (!s) {
		sb_raw(b, "null");
		return;
	}
	sb_reserve(b, strlen(s) * 6 + 2);
	b->p[b->len++] = '"';
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"': b->p[b->len++] = '\\'; b->p[b->len++] = '"'; break;
		case '\\': b->p[b->len++] = '\\'; b->p[b->len++] = '\\'; break;
		case '\n': b->p[b->len++] = '\\'; b->p[b->len++] = 'n'; break;
		case '\r': b->p[b->len++] = '\\'; b->p[b->len++] = 'r'; break;
		case '\t': b->p[b->len++] = '\\'; b->p[b->len++] = 't'; break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				b->len += (size_t)sprintf(b->p + b->len, "\\u%04x", *c);
			else
				b->p[b->len++] = (char)*c;
		}
	}
	b->p[b->len++] = '"';
	b->p[b->len] = 0;
}

/* A double as JSON: integers without a fraction, never NaN/Infinity. */
static void sb_dbl(sb_t *b, double v, int prec)
{
	if (v != v || v > 1e300 || v < -1e300)
		sb_raw(b, "null");
	else if (v > -9e15 && v < 9e15 && (double)(int64_t)v == v)
		sb_fmt(b, "%" PRId64, (int64_t)v);
	else
		sb_fmt(b, "%.*g", prec, v);
}

static void sb_u128(sb_t *b, unsigned __int128 v)
{
	char tmp[48];
	int i = sizeof tmp - 1;
	tmp[i] = 0;
	do {
		tmp[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	sb_raw(b, tmp + i);
}

static void key(sb_t *b, const char *k)
{
	sb_fmt(b, ",\"%s\":", k);
}

static void msg_begin(sb_t *b, const char *type)
{
	b->len = 0;
	sb_raw(b, MARKER "{\"type\":");
	sb_str(b, type);
}

/* Finish a message and write it with one write() (a retry only for a partial write). */
static void msg_end(sb_t *b)
{
	sb_raw(b, "}\n");
	g_lines++;
	const char *p = b->p;
	size_t n = b->len;
	while (n) {
		ssize_t w = write(g_out, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			g_write_errno = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void emit_warning(sb_t *b, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	msg_begin(b, "warning");
	key(b, "code");
	sb_str(b, code);
	key(b, "message");
	sb_str(b, msg);
	msg_end(b);
}

static int __attribute__((format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_err, sizeof g_err, fmt, ap);
	va_end(ap);
	return code;
}
#define BAD(...) fail(2, __VA_ARGS__)

/* ---- time ---- */

static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* The deadline grid's clock (see measure_cyclic). */
static inline int64_t now_raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* CLOCK_MONOTONIC_RAW minus CLOCK_MONOTONIC, from the tightest of a few bracketed reads. */
static int64_t raw_minus_mono(void)
{
	int64_t best = INT64_MAX, off = 0;
	for (int i = 0; i < 5; i++) {
		int64_t a = now_ns(), r = now_raw_ns(), b = now_ns();
		if (b - a < best) {
			best = b - a;
			off = r - (a + (b - a) / 2);
		}
	}
	return off;
}

static inline struct timespec to_ts(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC };
	return ts;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = to_ts(t);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		if (atomic_load_explicit(&g_stop, memory_order_relaxed))
			return;
}

/* ---- configuration ---- */

enum { M_CYCLIC, M_SYSCALL };
enum { OP_LOOP, OP_FUNC, OP_INDIRECT, OP_CLOCK, OP_GETPPID, OP_READ, N_OPS };
static const char *const op_names[N_OPS] = { "loop", "func", "indirect", "clock_gettime", "getppid", "read" };

#define MAX_CPUS 1024

#define MAX_TRACES 16

typedef struct {
	int mode;
	/* scheduling */
	int policy;
	int priority;
	int64_t runtime, deadline, period;
	int mlock, dma;
	/* cyclic */
	int threads;
	int64_t interval, distance;
	int affinity[MAX_CPUS];
	int naff;
	int64_t duration_ms, loops;
	int64_t spike_threshold, max_spikes;
	int64_t progress_ms;
	int raw;
	int64_t test_shift; /* UNILAT_PROBE_TEST_SHIFT_NS: moves the deadline grid (tests only) */
	const char *trace_prefix; /* ftrace instances <prefix>0, <prefix>1, ... made by the harness */
	int64_t max_traces, trace_threshold;
	/* syscall */
	int64_t batch, batches, warmup;
	int cpu;
	unsigned ops;
} config_t;

static const struct {
	const char *name;
	int policy;
} policies[] = {
	{ "other", SCHED_OTHER }, { "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
	{ "deadline", SCHED_DEADLINE }, { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
};

static const char *policy_name(int p)
{
	for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
		if (policies[i].policy == p)
			return policies[i].name;
	return "unknown";
}

static int parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return BAD("%s: '%s' is not an integer", opt, s);
	if (v < lo || v > hi)
		return BAD("%s: %lld is out of range [%lld, %lld]", opt, v, (long long)lo, (long long)hi);
	*out = v;
	return 0;
}

/* CPU list as in taskset/cyclictest -a: "0,2-3". Order is kept (threads go round-robin). */
static int parse_cpulist(const char *opt, const char *s, int *cpus, int *n)
{
	*n = 0;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10);
		if (end == p || errno || a < 0 || a >= MAX_CPUS)
			return BAD("%s: bad CPU list '%s'", opt, s);
		long b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= MAX_CPUS)
				return BAD("%s: bad CPU range in '%s'", opt, s);
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (*n >= MAX_CPUS)
				return BAD("%s: too many CPUs in '%s'", opt, s);
			cpus[(*n)++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return BAD("%s: bad CPU list '%s'", opt, s);
	}
	if (*n == 0)
		return BAD("%s: empty CPU list", opt);
	return 0;
}

static int parse_ops(const char *s, unsigned *mask)
{
	*mask = 0;
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return BAD("--ops: list too long");
	strcpy(buf, s);
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int i = 0; i < N_OPS; i++)
			if (!strcmp(t, op_names[i])) {
				*mask |= 1u << i;
				found = 1;
			}
		if (!found)
			return BAD("--ops: unknown op '%s' (loop,func,indirect,clock_gettime,getppid,read)", t);
	}
	if (!*mask)
		return BAD("--ops: empty list");
	return 0;
}

/* Parses mode options; --out is handled by the caller (out_path). Returns 0 or 2. */
static int parse_args(int argc, char **argv, config_t *c, const char **out_path)
{
	memset(c, 0, sizeof *c);
	if (!strcmp(argv[0], "cyclic"))
		c->mode = M_CYCLIC;
	else if (!strcmp(argv[0], "syscall"))
		c->mode = M_SYSCALL;
	else
		return BAD("unknown mode '%s' (cyclic, syscall, script)", argv[0]);
	int cyc = c->mode == M_CYCLIC;
	/* Defaults: cyclic runs like `cyclictest -p80 -i1000 -d500`; syscall stays SCHED_OTHER
	 * because a spinning FIFO thread would starve its CPU for the whole run. */
	c->policy = cyc ? SCHED_FIFO : SCHED_OTHER;
	c->priority = -1;
	c->threads = 1;
	c->interval = 1000000;
	c->distance = 500000;
	c->duration_ms = -1;
	c->spike_threshold = 100000;
	c->max_spikes = 1000;
	c->progress_ms = 1000;
	c->batches = 100;
	c->warmup = 10;
	c->cpu = -1;
	c->ops = (1u << N_OPS) - 1;
	*out_path = NULL;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (strncmp(a, "--", 2))
			return BAD("unexpected argument '%s'", a);
		char name[64];
		const char *val = NULL;
		char *eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		if (nl >= sizeof name)
			return BAD("unknown option '%s'", a);
		memcpy(name, a, nl);
		name[nl] = 0;
		if (eq)
			val = eq + 1;
		/* flags */
		int is_flag = !strcmp(name, "--mlockall") || !strcmp(name, "--dma-latency") || !strcmp(name, "--raw");
		if (is_flag) {
			if (val)
				return BAD("%s takes no value", name);
			if (!strcmp(name, "--mlockall"))
				c->mlock = 1;
			else if (!strcmp(name, "--dma-latency"))
				c->dma = 1;
			else if (cyc)
				c->raw = 1;
			else
				return BAD("--raw is only for cyclic mode");
			continue;
		}
		static const char *const common_opts[] = { "--out", "--policy", "--priority", NULL };
		static const char *const cyc_opts[] = { "--threads", "--interval", "--distance", "--runtime", "--deadline",
			"--period", "--affinity", "--duration-ms", "--loops", "--spike-threshold", "--max-spikes",
			"--progress-ms", "--trace-prefix", "--max-traces", "--trace-threshold", NULL };
		static const char *const sys_opts[] = { "--batch", "--batches", "--warmup", "--cpu", "--ops", NULL };
		int known = 0;
		for (const char *const *o = common_opts; *o; o++)
			known |= !strcmp(*o, name);
		for (const char *const *o = cyc ? cyc_opts : sys_opts; *o; o++)
			known |= !strcmp(*o, name);
		if (!known)
			return BAD("unknown option '%s' for %s mode", name, argv[0]);
		if (!val) {
			if (i + 1 >= argc)
				return BAD("%s needs a value", name);
			val = argv[++i];
		}
		int r = 0;
		int64_t v;
		if (!strcmp(name, "--out")) {
			*out_path = val;
		} else if (!strcmp(name, "--policy")) {
			int found = 0;
			for (int k = 0; k < 4; k++)
				if (!strcmp(val, policies[k].name)) {
					c->policy = policies[k].policy;
					found = 1;
				}
			if (!found)
				return BAD("--policy: '%s' is not one of fifo, rr, other, deadline", val);
		} else if (!strcmp(name, "--priority")) {
			if (!(r = parse_i64(name, val, 0, 99, &v)))
				c->priority = (int)v;
		} else if (cyc && !strcmp(name, "--threads")) {
			if (!(r = parse_i64(name, val, 1, 1024, &v)))
				c->threads = (int)v;
		} else if (cyc && !strcmp(name, "--interval")) {
			r = parse_i64(name, val, 10000, 10 * NSEC, &c->interval);
		} else if (cyc && !strcmp(name, "--distance")) {
			r = parse_i64(name, val, 0, 10 * NSEC, &c->distance);
		} else if (cyc && !strcmp(name, "--runtime")) {
			r = parse_i64(name, val, 1024, 10 * NSEC, &c->runtime);
		} else if (cyc && !strcmp(name, "--deadline")) {
			r = parse_i64(name, val, 1024, 10 * NSEC, &c->deadline);
		} else if (cyc && !strcmp(name, "--period")) {
			r = parse_i64(name, val, 100000, 10 * NSEC, &c->period);
		} else if (cyc && !strcmp(name, "--affinity")) {
			r = parse_cpulist(name, val, c->affinity, &c->naff);
		} else if (cyc && !strcmp(name, "--duration-ms")) {
			r = parse_i64(name, val, 1, 7LL * 24 * 3600 * 1000, &c->duration_ms);
		} else if (cyc && !strcmp(name, "--loops")) {
			r = parse_i64(name, val, 1, 1000000000000LL, &c->loops);
		} else if (cyc && !strcmp(name, "--spike-threshold")) {
			r = parse_i64(name, val, 0, INT64_MAX / 2, &c->spike_threshold);
		} else if (cyc && !strcmp(name, "--max-spikes")) {
			r = parse_i64(name, val, 0, 1000000, &c->max_spikes);
		} else if (cyc && !strcmp(name, "--trace-prefix")) {
			c->trace_prefix = val;
		} else if (cyc && !strcmp(name, "--max-traces")) {
			r = parse_i64(name, val, 1, MAX_TRACES, &c->max_traces);
		} else if (cyc && !strcmp(name, "--trace-threshold")) {
			r = parse_i64(name, val, 0, INT64_MAX / 2, &c->trace_threshold);
		} else if (cyc && !strcmp(name, "--progress-ms")) {
			r = parse_i64(name, val, 0, 3600000, &c->progress_ms);
		} else if (!cyc && !strcmp(name, "--batch")) {
			r = parse_i64(name, val, 0, 1000000000, &c->batch); /* 0: calibrate per op */
		} else if (!cyc && !strcmp(name, "--batches")) {
			r = parse_i64(name, val, 1, 10000, &c->batches);
		} else if (!cyc && !strcmp(name, "--warmup")) {
			r = parse_i64(name, val, 0, 10000, &c->warmup);
		} else if (!cyc && !strcmp(name, "--cpu")) {
			if (!(r = parse_i64(name, val, 0, MAX_CPUS - 1, &v)))
				c->cpu = (int)v;
		} else if (!cyc && !strcmp(name, "--ops")) {
			r = parse_ops(val, &c->ops);
		} else {
			return BAD("unknown option '%s' for %s mode", name, argv[0]);
		}
		if (r)
			return r;
	}

	/* Cross-option checks. */
	if (c->policy == SCHED_FIFO || c->policy == SCHED_RR) {
		if (c->priority < 0)
			c->priority = 80;
		if (c->priority < 1)
			return BAD("--priority must be 1..99 for policy %s", policy_name(c->policy));
	} else {
		/* Priority means nothing for other/deadline (as in cyclictest): accepted, not applied;
		 * hello shows it under `requested` and the obtained priority 0 beside it. */
		if (c->priority < 0)
			c->priority = 0;
	}
	if (!cyc && c->policy == SCHED_DEADLINE)
		return BAD("--policy deadline is only for cyclic mode");
	if (cyc) {
		if (c->duration_ms > 0 && c->loops > 0)
			return BAD("give --duration-ms or --loops, not both");
		if (c->duration_ms < 0 && c->loops == 0)
			c->duration_ms = 10000;
		if ((c->runtime || c->deadline || c->period) && c->policy != SCHED_DEADLINE)
			return BAD("--runtime/--deadline/--period are only for --policy deadline");
		int64_t maxiv = c->interval + (int64_t)(c->threads - 1) * c->distance;
		if (c->policy == SCHED_DEADLINE) {
			int64_t per = c->period ? c->period : c->interval;
			int64_t dl = c->deadline ? c->deadline : per;
			int64_t rt = c->runtime ? c->runtime : per / 10;
			if (!(rt <= dl && dl <= per))
				return BAD("deadline policy needs runtime <= deadline <= period (got %lld <= %lld <= %lld)",
					   (long long)rt, (long long)dl, (long long)per);
			if (c->period)
				maxiv = c->period;
		}
		if (c->raw) {
			int64_t n = c->loops ? c->loops : c->duration_ms * 1000000 / (c->period ? c->period : c->interval);
			if (n > 50000000)
				return BAD("--raw would need %lld samples per thread (limit 50000000)", (long long)n);
		}
		if (c->loops && c->loops > 7LL * 24 * 3600 * NSEC / maxiv)
			return BAD("--loops: run would exceed 7 days");
		/* Test-only: makes a deadline measurement wrong on purpose (docs/protocol.md). */
		const char *shift = getenv("UNILAT_PROBE_TEST_SHIFT_NS");
		if (shift && *shift && parse_i64("UNILAT_PROBE_TEST_SHIFT_NS", shift, -10 * NSEC, 10 * NSEC, &c->test_shift))
			return 2;
	}
	return 0;
}

/* ---- host facts for hello ---- */

static char *read_file_trim(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return NULL;
	buf[r] = 0;
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' ' || buf[r - 1] == '\r'))
		buf[--r] = 0;
	return buf;
}

/* errno of mounting /proc and /sys as PID 1 (0: mounted, or not PID 1). */
static int g_proc_mount_err, g_sys_mount_err;

/* Why a file under /proc or /sys could not be read, with the PID 1 mount failure behind it. */
static void why_unreadable(char *out, size_t n, const char *path, int err)
{
	int sys = !strncmp(path, "/sys/", 5);
	int merr = sys ? g_sys_mount_err : !strncmp(path, "/proc/", 6) ? g_proc_mount_err : 0;
	if (merr)
		snprintf(out, n, "cannot read %s: %s (mounting %s as PID 1 failed: %s)", path, strerror(err),
			 sys ? "sysfs on /sys" : "proc on /proc", strerror(merr));
	else
		snprintf(out, n, "cannot read %s: %s", path, strerror(err));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define VULN_DIR "/sys/devices/system/cpu/vulnerabilities"

/* "vulnerabilities": each file of VULN_DIR with its text, names sorted; null plus a reason when
 * the directory cannot be read (old kernel, no sysfs). Never a guessed value. */
static void hello_vulnerabilities(sb_t *b)
{
	char why[512] = "";
	DIR *d = opendir(VULN_DIR);
	key(b, "vulnerabilities");
	if (!d) {
		why_unreadable(why, sizeof why, VULN_DIR, errno);
		sb_raw(b, "null");
	} else {
		char **names = NULL;
		size_t n = 0, cap = 0;
		for (struct dirent *e; (e = readdir(d));) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				char **q = realloc(names, cap * sizeof *names);
				if (!q)
					oom();
				names = q;
			}
			if (!(names[n++] = strdup(e->d_name)))
				oom();
		}
		closedir(d);
		qsort(names, n, sizeof *names, cmp_str);
		sb_raw(b, "{");
		int first = 1, unreadable = 0;
		for (size_t i = 0; i < n; i++) {
			char path[512], text[1024];
			snprintf(path, sizeof path, "%s/%s", VULN_DIR, names[i]);
			if (!read_file_trim(path, text, sizeof text)) {
				/* Left out, not guessed; the reason names the first such file. */
				if (!unreadable++)
					why_unreadable(why, sizeof why, path, errno);
			} else {
				if (!first)
					sb_raw(b, ",");
				sb_str(b, names[i]);
				sb_raw(b, ":");
				sb_str(b, text);
				first = 0;
			}
			free(names[i]);
		}
		free(names);
		sb_raw(b, "}");
		if (unreadable > 1) {
			size_t l = strlen(why);
			snprintf(why + l, sizeof why - l, " (and %d more files left out)", unreadable - 1);
		}
	}
	key(b, "vulnerabilitiesReason");
	sb_str(b, why[0] ? why : NULL);
}

/* "mitigations": the value of the last mitigations= on the kernel command line (the kernel
 * keeps the last), null when there is none (the kernel default, auto); null plus a reason when
 * /proc/cmdline cannot be read. */
static void hello_mitigations(sb_t *b)
{
	static char buf[8192]; /* COMMAND_LINE_SIZE is 2048 on x86, larger elsewhere */
	char why[512] = "";
	const char *val = NULL;
	size_t vlen = 0;
	if (!read_file_trim("/proc/cmdline", buf, sizeof buf)) {
		why_unreadable(why, sizeof why, "/proc/cmdline", errno);
	} else {
		for (char *save, *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
			if (!strcmp(t, "--"))
				break; /* the rest goes to init */
			if (!strncmp(t, "mitigations=", 12)) {
				val = t + 12;
				vlen = strlen(val);
				if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
					val++;
					vlen -= 2;
				}
			}
		}
	}
	key(b, "mitigations");
	if (val) {
		char v[256];
		snprintf(v, sizeof v, "%.*s", (int)vlen, val);
		sb_str(b, v);
	} else {
		sb_raw(b, "null");
	}
	key(b, "mitigationsReason");
	sb_str(b, why[0] ? why : NULL);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Median cost of two back-to-back clock reads: the floor under every latency sample. */
static int64_t loop_overhead_ns(void)
{
	enum { N = 1001 };
	static int64_t d[N];
	for (int i = 0; i < N; i++) {
		int64_t a = now_ns();
		int64_t b = now_ns();
		d[i] = b - a;
	}
	qsort(d, N, sizeof d[0], cmp_i64);
	return d[N / 2];
}

/* Common hello fields: what the machine and clock are. */
static void hello_common(sb_t *b)
{
	struct utsname u;
	char buf[256];
	struct timespec res = { 0, 0 };
	clock_getres(CLOCK_MONOTONIC, &res);
	key(b, "version");
	sb_str(b, PROBE_VERSION);
	key(b, "protocol");
	sb_fmt(b, "%d", PROTOCOL_VERSION);
	key(b, "pid");
	sb_fmt(b, "%d", (int)getpid());
	key(b, "uid");
	sb_fmt(b, "%d", (int)getuid());
	key(b, "clockResolutionNs");
	sb_fmt(b, "%lld", (long long)res.tv_sec * NSEC + res.tv_nsec);
	key(b, "loopOverheadNs");
	sb_fmt(b, "%lld", (long long)loop_overhead_ns());
	if (uname(&u) == 0) {
		key(b, "kernel");
		sb_str(b, u.release);
		key(b, "kernelVersion");
		sb_str(b, u.version);
		key(b, "machine");
		sb_str(b, u.machine);
		/* The preemption model as the kernel names it in its version string. */
		const char *pm = strstr(u.version, "PREEMPT_RT") ? "PREEMPT_RT"
				 : strstr(u.version, "PREEMPT_DYNAMIC") ? "PREEMPT_DYNAMIC"
				 : strstr(u.version, "PREEMPT") ? "PREEMPT" : NULL;
		key(b, "preempt");
		sb_str(b, pm);
	}
	double up = -1;
	if (read_file_trim("/proc/uptime", buf, sizeof buf))
		up = strtod(buf, NULL);
	if (up < 0) {
		struct timespec bt;
		if (clock_gettime(CLOCK_BOOTTIME, &bt) == 0)
			up = (double)bt.tv_sec + bt.tv_nsec / 1e9;
	}
	key(b, "uptimeS");
	sb_dbl(b, up < 0 ? 0.0 / 0.0 : up, 9);
	key(b, "realtime");
	char *rt = read_file_trim("/sys/kernel/realtime", buf, sizeof buf);
	if (rt && *rt && strspn(rt, "0123456789") == strlen(rt))
		sb_raw(b, rt);
	else
		sb_str(b, rt);
	key(b, "isolatedCpus");
	sb_str(b, read_file_trim("/sys/devices/system/cpu/isolated", buf, sizeof buf));
	key(b, "cpus");
	sb_fmt(b, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	key(b, "timerSlackNs");
	sb_fmt(b, "%d", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	hello_vulnerabilities(b);
	hello_mitigations(b);
	key(b, "histogram");
	sb_raw(b, "{\"layout\":\"loglin7\",\"buckets\":");
	sb_fmt(b, "%u}", (unsigned)BUCKETS);
}

/* ---- scheduling ---- */

struct sched_attr_raw {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

typedef struct {
	int policy, priority; /* obtained */
	int err;              /* errno of the failed request, 0 if granted */
} sched_outcome_t;

/* Applies the requested policy to the calling thread; on failure falls back to SCHED_OTHER.
 * Reports what the kernel says the thread has afterwards, never what was asked. */
static sched_outcome_t apply_policy(int policy, int prio, int64_t runtime, int64_t deadline, int64_t period)
{
	sched_outcome_t o = { 0, 0, 0 };
	struct sched_param sp = { .sched_priority = 0 };
	if (policy == SCHED_DEADLINE) {
		struct sched_attr_raw a;
		memset(&a, 0, sizeof a);
		a.size = sizeof a;
		a.sched_policy = SCHED_DEADLINE;
		a.sched_runtime = (uint64_t)runtime;
		a.sched_deadline = (uint64_t)deadline;
		a.sched_period = (uint64_t)period;
		if (syscall(SYS_sched_setattr, 0, &a, 0) != 0)
			o.err = errno;
	} else {
		sp.sched_priority = (policy == SCHED_FIFO || policy == SCHED_RR) ? prio : 0;
		if (sched_setscheduler(0, policy, &sp) != 0)
			o.err = errno;
	}
	if (o.err) {
		sp.sched_priority = 0;
		sched_setscheduler(0, SCHED_OTHER, &sp);
	}
	int p = sched_getscheduler(0);
	o.policy = p < 0 ? -1 : (p & ~SCHED_RESET_ON_FORK);
	if (sched_getparam(0, &sp) == 0)
		o.priority = sp.sched_priority;
	return o;
}

static int pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set) ? errno : 0;
}

/* Touch a stack region now so the measured loop never takes a page fault on it. */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char buf[64 * 1024];
	for (size_t i = 0; i < sizeof buf; i += 4096)
		buf[i] = 0;
}

/* ---- cyclic mode ---- */

typedef struct {
	uint64_t count, min, max, sum;
} sec_t;

typedef struct {
	int64_t t, lat;
} spike_t;

typedef struct run run_t;

typedef struct {
	int idx;
	run_t *run;
	pthread_t th;
	int created;
	pid_t tid;
	int64_t interval;
	int cpu_req, cpu; /* -1: unpinned */
	int aff_err;
	sched_outcome_t sched;
	/* results, written only by the thread until it finishes */
	uint64_t *counts;
	uint64_t count, min, max, sum, overruns, overflows, early, backwards;
	unsigned __int128 sumsq;
	sec_t *series;
	size_t nseries, series_used;
	uint64_t series_dropped;
	spike_t *spikes;
	size_t spikes_cap, nspikes;
	uint64_t spikes_dropped;
	int64_t *raw;
	size_t raw_cap, nraw;
	uint64_t raw_dropped;
	/* read by the main thread for progress */
	_Alignas(64) _Atomic uint64_t progress;
	char pad[56];
} worker_t;

struct run {
	const config_t *cfg;
	worker_t *w;
	int nw;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int nready, go, abort;
	int64_t start, end;
	atomic_int nfinished;
	sem_t done;
};

/*
 * SCHED_DEADLINE: open a fresh kernel period at a known instant. A deadline task that wakes from
 * a sleep after its scheduling deadline, and after the start of the period following it, gets a
 * new period starting at that wake-up (the CBS wake-up rule of sched-deadline.rst; a task with
 * deadline < period that wakes between its deadline and its next period is throttled until that
 * next period instead, on the old grid). So the thread first yields, which ends whatever its
 * setup left of its period (it comes back at a period start), then sleeps until `start`, or
 * longer when `start` is less than a period + 1 ms away. The kernel stamps the new period when
 * the timer interrupt makes the thread runnable: after the planned instant (by that interrupt's
 * latency) and before the thread's clock read after the wake-up (by the switch to the thread).
 * Both bounds are returned on CLOCK_MONOTONIC_RAW (`*lo`, `*hi`), and the raw-clock offset.
 * The raw clock runs off the scheduler clock's counter without NTP's rate corrections, so the
 * grid does not drift against the kernel's as a CLOCK_MONOTONIC grid would (NTP's tens of ppm
 * add up to a period within minutes).
 */
static int64_t deadline_anchor(int64_t start, int64_t period, int64_t *lo, int64_t *hi)
{
	sched_yield();
	int64_t t = now_ns();
	if (start < t + period + 1000000)
		start = t + period + 1000000;
	sleep_until(start);
	*hi = now_raw_ns();
	/* The offset is taken after the wake-up: no time for the clocks to drift apart in between. */
	const int64_t off = raw_minus_mono();
	*lo = start + off;
	return off;
}

/*
 * Which kernel period a deadline thread's wake-up belongs to. The kernel releases one job per
 * period (a replenishment at a period start) and sched_yield() ends the job, so the wake-up after
 * a yield is in a later period than the one before it, at or after that period's start. It may
 * be later still: the thread was delayed past the next period start, or it overran its runtime
 * and the kernel moved its deadline on by whole periods (a VM's stolen time counts as runtime);
 * the periods in between had no wake-up (overruns). Latency = wake-up minus the start of the
 * period it came in. A wake-up in an earlier period than it can be in is impossible on the
 * kernel's grid: the grid is wrong, the wake-up is counted early (no latency).
 *
 * Where a period begins is known within bounds: the grid's start lies between `anchor` (a
 * lower bound: a wake-up before its period by this grid is impossible, so it is counted early)
 * and `est`, the best estimate. `est` starts at the upper bound (the first clock read after the
 * wake-up that opened the grid) and moves down whenever a wake-up comes earlier in its period
 * than that (the period cannot have begun later), never below `anchor`: latencies are read
 * against `est`, as cyclicdeadline reads them against its earliest wake-up.
 *
 * Two kernel rules need a look at the yield. A thread that woke after the period following its
 * release began gets the next job at once if that job's deadline is still ahead (catch-up: the
 * next wake-up may then be in the same period). If that deadline has passed too, the kernel
 * opens a new period at the yield ("replenish lagged") and the thread goes on at once: a new
 * grid, anchored at the clock read just before the yield (the kernel stamps it after it).
 */
typedef struct {
	int64_t anchor, est, period, rel_deadline;
	int64_t min_index;  /* the first period the next wake-up may be in */
	int64_t prev_index; /* the period of the last wake-up */
	int64_t release;    /* the earliest period whose job the last wake-up can be */
	int late;           /* the last wake-up came after its earliest period: catch-up possible */
	int lag;            /* at the last yield the kernel must have opened a new period */
	int64_t yield_at;   /* clock read just before that yield */
} dl_grid_t;

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The start of the period of a wake-up at t (later than t if the wake-up is early). */
static inline int64_t dl_period_of(dl_grid_t *g, int64_t t, uint64_t *overruns)
{
	/* A yield that returned at once, where the kernel had to open a new period: the new grid. */
	if (g->lag && t - g->yield_at < 20000) {
		*overruns += (uint64_t)floor_div(g->yield_at - g->anchor, g->period) - (uint64_t)g->release;
		g->anchor = g->est = g->yield_at;
		g->prev_index = g->release = 0;
		g->min_index = 1;
		g->late = 0;
		return g->anchor;
	}
	const int64_t seen = floor_div(t - g->anchor, g->period);
	int64_t o = seen;
	int64_t rel = o < g->min_index ? o : g->min_index;
	if (o < g->min_index && !(g->late && o == g->prev_index)) {
		o = g->min_index; /* early */
		rel = o;
	} else if (o > g->min_index) {
		*overruns += (uint64_t)(o - g->min_index);
	}
	g->late = o > g->min_index;
	g->release = rel;
	g->prev_index = o;
	g->min_index = o + 1;
	if (o > seen)
		return g->anchor + o * g->period; /* early: after t */
	if (t - o * g->period < g->est)
		g->est = t - o * g->period; /* not below anchor: t >= anchor + o * period */
	return g->est + o * g->period;
}

/* Just before the yield: whether the kernel must open a new period at it (see dl_grid_t). */
static inline void dl_before_yield(dl_grid_t *g, int64_t y)
{
	g->yield_at = y;
	g->lag = y - (g->est + (g->release + 1) * g->period) > g->rel_deadline;
}

/*
 * Tracing at a spike (cyclictest's --breaktrace, one ftrace instance a spike): the first wake-up
 * later than the threshold writes a marker into instance 0 and stops it, the next one instance 1,
 * and so on; the other instances keep recording. Every file is opened before the measurement.
 */
static struct {
	int n;
	int64_t threshold;
	int marker[MAX_TRACES], on[MAX_TRACES];
	atomic_int next;
} g_trace;

/* Opens the instances' files; on failure nothing is traced and *err says why. */
static int trace_open(const config_t *c, char *err, size_t errlen)
{
	g_trace.n = 0;
	g_trace.threshold = c->trace_threshold;
	atomic_store(&g_trace.next, 0);
	if (!c->trace_prefix)
		return 0;
	for (int k = 0; k < c->max_traces; k++) {
		char path[512];
		snprintf(path, sizeof path, "%s%d/trace_marker", c->trace_prefix, k);
		int m = open(path, O_WRONLY | O_CLOEXEC);
		snprintf(path, sizeof path, "%s%d/tracing_on", c->trace_prefix, k);
		int o = m < 0 ? -1 : open(path, O_WRONLY | O_CLOEXEC);
		if (m < 0 || o < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			if (m >= 0)
				close(m);
			for (int i = 0; i < g_trace.n; i++) {
				close(g_trace.marker[i]);
				close(g_trace.on[i]);
			}
			g_trace.n = 0;
			return -1;
		}
		g_trace.marker[k] = m;
		g_trace.on[k] = o;
		g_trace.n = k + 1;
	}
	return 0;
}

static void trace_close(void)
{
	for (int i = 0; i < g_trace.n; i++) {
		close(g_trace.marker[i]);
		close(g_trace.on[i]);
	}
	g_trace.n = 0;
}

/* Times are on the thread's measurement clock, which the harness gives the instances too. */
static void trace_spike(const worker_t *w, int64_t planned, int64_t actual, uint64_t lat)
{
	int k = atomic_fetch_add(&g_trace.next, 1);
	if (k >= g_trace.n)
		return;
	char buf[200];
	int len = snprintf(buf, sizeof buf, "unilat-spike trace=%d thread=%d tid=%d cpu=%d planned=%lld actual=%lld latency=%llu",
			   k, w->idx, (int)w->tid, sched_getcpu(), (long long)planned, (long long)actual,
			   (unsigned long long)lat);
	if (write(g_trace.marker[k], buf, (size_t)len) < 0 || write(g_trace.on[k], "0", 1) < 0)
		return; /* the harness finds no marker in that instance and says so */
}

static void measure_cyclic(worker_t *w, const run_t *r)
{
	const int64_t interval = w->interval;
	int64_t start = r->start, end = r->end;
	const uint64_t loops = (uint64_t)r->cfg->loops;
	const uint64_t threshold = (uint64_t)r->cfg->spike_threshold;
	const int dl = w->sched.policy == SCHED_DEADLINE;
	const int64_t rel_deadline = r->cfg->deadline ? r->cfg->deadline : interval;
	uint64_t *const counts = w->counts;
	uint64_t n = 0, mn = UINT64_MAX, mx = 0, sum = 0, overruns = 0, overflows = 0, early = 0, backwards = 0;
	unsigned __int128 sumsq = 0;
	size_t sec = 0;
	int64_t prev = now_ns(); /* the thread's last clock read: a later one must not be smaller */
	dl_grid_t g = { 0, 0, interval, rel_deadline, 1, 0, 0, 0, 0, 0 };

	if (dl) {
		/* After sched_yield the kernel throttles the thread until its next period: period 0 is
		 * the one opened here, and wake-ups are attributed to the kernel's periods (dl_grid_t);
		 * latency = wake-up minus the start of its period (cyclicdeadline anchors at its first
		 * wake-up instead, and moves back to any earlier one). */
		int64_t hi;
		const int64_t off = deadline_anchor(start, interval, &start, &hi);
		prev = hi;
		if (end != INT64_MAX)
			end += off; /* the planned end stays where it was, on the raw clock */
		start += r->cfg->test_shift;
		g.anchor = start;
		g.est = hi + r->cfg->test_shift;
	}
	int64_t sec_end = start + NSEC;
	int64_t next = dl ? start + interval : start; /* deadline: the first period the next wake-up may be in */
	for (;;) {
		if (loops ? n >= loops : next >= end)
			break;
		if (atomic_load_explicit(&g_stop, memory_order_relaxed))
			break;
		if (dl) {
			sched_yield();
		} else {
			struct timespec ts = to_ts(next);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		const int64_t t = dl ? now_raw_ns() : now_ns();
		if (dl)
			next = dl_period_of(&g, t, &overruns); /* the start of the period it woke in */
		const int64_t d = t - next;
		const uint64_t lat = d > 0 ? (uint64_t)d : 0;
		/* Before its period began (deadline), or before the absolute sleep's end (a broken
		 * timer or clock): either way no latency, recorded as 0 and counted. */
		early += d < 0;
		backwards += t < prev;
		prev = t;

		counts[bucket_of(lat)]++;
		n++;
		if (lat < mn)
			mn = lat;
		if (lat > mx)
			mx = lat;
		sum += lat;
		sumsq += (unsigned __int128)lat * lat;
		if (lat >= OVERFLOW_NS)
			overflows++;
		while (next >= sec_end) {
			sec++;
			sec_end += NSEC;
		}
		if (sec < w->nseries) {
			sec_t *s = &w->series[sec];
			if (!s->count || lat < s->min)
				s->min = lat;
			if (lat > s->max)
				s->max = lat;
			s->count++;
			s->sum += lat;
			if (sec >= w->series_used)
				w->series_used = sec + 1;
		} else {
			w->series_dropped++;
		}
		if (g_trace.n && (int64_t)lat > g_trace.threshold)
			trace_spike(w, next, t, lat);
		if (lat > threshold) {
			if (w->nspikes < w->spikes_cap) {
				w->spikes[w->nspikes].t = next - start;
				w->spikes[w->nspikes].lat = (int64_t)lat;
				w->nspikes++;
			} else {
				w->spikes_dropped++;
			}
		}
		if (w->raw) {
			if (w->nraw < w->raw_cap)
				w->raw[w->nraw++] = (int64_t)lat;
			else
				w->raw_dropped++;
		}
		atomic_store_explicit(&w->progress, n, memory_order_relaxed);
		if (dl) {
			dl_before_yield(&g, now_raw_ns());
			next = g.anchor + g.min_index * interval;
			continue;
		}
		next += interval;
		if (d >= interval) {
			/* Woke after the next period already began: skip the missed periods (cyclictest). */
			int64_t k = d / interval;
			next += k * interval;
			overruns += (uint64_t)k;
		}
	}
	w->count = n;
	w->min = n ? mn : 0;
	w->max = mx;
	w->sum = sum;
	w->sumsq = sumsq;
	w->overruns = overruns;
	w->overflows = overflows;
	w->early = early;
	w->backwards = backwards;
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	run_t *r = w->run;
	const config_t *c = r->cfg;
	w->tid = (pid_t)syscall(SYS_gettid);
	w->cpu = -1;
	/* SCHED_DEADLINE refuses threads whose affinity is narrower than their root domain,
	 * so with deadline the policy goes first and pinning may then fail (and is reported). */
	if (c->policy != SCHED_DEADLINE && w->cpu_req >= 0)
		w->aff_err = pin_self(w->cpu_req);
	int64_t per = c->period ? c->period : w->interval;
	w->sched = apply_policy(c->policy, c->priority, c->runtime ? c->runtime : per / 10,
				c->deadline ? c->deadline : per, per);
	if (c->policy == SCHED_DEADLINE && w->cpu_req >= 0)
		w->aff_err = pin_self(w->cpu_req);
	if (w->cpu_req >= 0 && !w->aff_err)
		w->cpu = w->cpu_req;
	prefault_stack();

	pthread_mutex_lock(&r->mu);
	r->nready++;
	pthread_cond_broadcast(&r->cv);
	while (!r->go)
		pthread_cond_wait(&r->cv, &r->mu);
	int abort_run = r->abort;
	pthread_mutex_unlock(&r->mu);

	if (!abort_run)
		measure_cyclic(w, r);
	if (atomic_fetch_add(&r->nfinished, 1) + 1 == r->nw)
		sem_post(&r->done);
	return NULL;
}

static void *xcalloc(size_t n, size_t sz)
{
	if (!n)
		n = 1;
	void *p = calloc(n, sz);
	if (!p)
		oom();
	/* calloc may hand out untouched zero pages: write them so the loop never faults. */
	memset(p, 0, n * sz);
	return p;
}

static void emit_thread_results(sb_t *b, const worker_t *w, const config_t *c)
{
	msg_begin(b, "hist");
	key(b, "thread");
	sb_fmt(b, "%d", w->idx);
	key(b, "cpu");
	if (w->cpu >= 0)
		sb_fmt(b, "%d", w->cpu);
	else
		sb_raw(b, "null");
	key(b, "intervalNs");
	sb_fmt(b, "%lld", (long long)w->interval);
	key(b, "count");
	sb_fmt(b, "%" PRIu64, w->count);
	key(b, "min");
	sb_fmt(b, "%" PRIu64, w->min);
	key(b, "max");
	sb_fmt(b, "%" PRIu64, w->max);
	key(b, "sum");
	sb_fmt(b, "%" PRIu64, w->sum);
	key(b, "sumSq");
	sb_u128(b, w->sumsq);
	key(b, "overruns");
	sb_fmt(b, "%" PRIu64, w->overruns);
	key(b, "overflows");
	sb_fmt(b, "%" PRIu64, w->overflows);
	key(b, "early");
	sb_fmt(b, "%" PRIu64, w->early);
	key(b, "clockBackwards");
	sb_fmt(b, "%" PRIu64, w->backwards);
	key(b, "bins");
	sb_raw(b, "[");
	int first = 1;
	for (uint32_t i = 0; i < BUCKETS; i++)
		if (w->counts[i]) {
			sb_fmt(b, "%s[%u,%" PRIu64 "]", first ? "" : ",", i, w->counts[i]);
			first = 0;
		}
	sb_raw(b, "]");
	msg_end(b);

	for (size_t s0 = 0; s0 < w->series_used; s0 += 1000) {
		msg_begin(b, "series");
		key(b, "thread");
		sb_fmt(b, "%d", w->idx);
		key(b, "points");
		sb_raw(b, "[");
		for (size_t s = s0; s < w->series_used && s < s0 + 1000; s++) {
			const sec_t *p = &w->series[s];
			sb_fmt(b, "%s[%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", s == s0 ? "" : ",", s,
			       p->count, p->min, p->max, p->sum);
		}
		sb_raw(b, "]");
		if (w->series_dropped) {
			key(b, "dropped");
			sb_fmt(b, "%" PRIu64, w->series_dropped);
		}
		msg_end(b);
	}

	size_t s0 = 0;
	do {
		msg_begin(b, "spikes");
		key(b, "thread");
		sb_fmt(b, "%d", w->idx);
		key(b, "threshold");
		sb_fmt(b, "%lld", (long long)c->spike_threshold);
		key(b, "points");
		sb_raw(b, "[");
		for (size_t s = s0; s < w->nspikes && s < s0 + 1000; s++)
			sb_fmt(b, "%s[%lld,%lld]", s == s0 ? "" : ",", (long long)w->spikes[s].t,
			       (long long)w->spikes[s].lat);
		sb_raw(b, "]");
		key(b, "dropped");
		sb_fmt(b, "%" PRIu64, w->spikes_dropped);
		msg_end(b);
		s0 += 1000;
	} while (s0 < w->nspikes);

	if (w->raw) {
		s0 = 0;
		do {
			msg_begin(b, "raw");
			key(b, "thread");
			sb_fmt(b, "%d", w->idx);
			key(b, "values");
			sb_raw(b, "[");
			for (size_t s = s0; s < w->nraw && s < s0 + 1000; s++)
				sb_fmt(b, "%s%lld", s == s0 ? "" : ",", (long long)w->raw[s]);
			sb_raw(b, "]");
			if (w->raw_dropped) {
				key(b, "dropped");
				sb_fmt(b, "%" PRIu64, w->raw_dropped);
			}
			msg_end(b);
			s0 += 1000;
		} while (s0 < w->nraw);
	}
}

/* Shared by both modes: mlockall and /dev/cpu_dma_latency, with honest outcomes. */
typedef struct {
	int locked, mlock_err;
	int dma_fd, dma_err;
} mem_outcome_t;

static mem_outcome_t setup_memory_and_dma(const config_t *c)
{
	mem_outcome_t m = { 0, 0, -1, 0 };
	if (c->mlock) {
		if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
			m.locked = 1;
		else
			m.mlock_err = errno;
	}
	if (c->dma) {
		/* The PM QoS request holds only while the file stays open: keep it for the run. */
		int fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			m.dma_err = errno;
		} else {
			int32_t zero = 0;
			if (write(fd, &zero, sizeof zero) != (ssize_t)sizeof zero) {
				m.dma_err = errno ? errno : EIO;
				close(fd);
			} else {
				m.dma_fd = fd;
			}
		}
	}
	return m;
}

static void release_memory_and_dma(mem_outcome_t *m)
{
	if (m->dma_fd >= 0)
		close(m->dma_fd);
	m->dma_fd = -1;
	if (m->locked)
		munlockall(); /* a later script step must not inherit MCL_FUTURE */
	m->locked = 0;
}

static void emit_mem_warnings(sb_t *b, const config_t *c, const mem_outcome_t *m)
{
	if (c->mlock && !m->locked)
		emit_warning(b, "no-mlockall", "mlockall(MCL_CURRENT|MCL_FUTURE) failed: %s; page faults may add latency",
			     strerror(m->mlock_err));
	if (c->dma && m->dma_fd < 0)
		emit_warning(b, "no-dma-latency", "could not hold /dev/cpu_dma_latency at 0: %s; deep C-states may add latency",
			     strerror(m->dma_err));
}

static void hello_sched(sb_t *b, const config_t *c, const char *policy, int priority)
{
	key(b, "requested");
	sb_raw(b, "{\"policy\":");
	sb_str(b, policy_name(c->policy));
	sb_fmt(b, ",\"priority\":%d}", c->priority);
	key(b, "policy");
	sb_str(b, policy);
	key(b, "priority");
	sb_fmt(b, "%d", priority);
}

#define SCHED_FEATURES_NEW "/sys/kernel/debug/sched/features"
#define SCHED_FEATURES_OLD "/sys/kernel/debug/sched_features"

/*
 * The scheduler feature that gives SCHED_DEADLINE high-resolution runtime enforcement:
 * HRTICK_DL where the kernel has it (5.11 on), HRTICK before. Returns 1 on, 0 off, -1 unknown
 * (the features file unreadable: `err` says why, e.g. ENOENT without debugfs, EPERM under
 * kernel lockdown); `name` and `path` say which was read.
 */
static int hrtick_state(const char **name, const char **path, int *err)
{
	static char buf[4096];
	*name = "HRTICK";
	*path = SCHED_FEATURES_NEW;
	*err = 0;
	if (!read_file_trim(SCHED_FEATURES_NEW, buf, sizeof buf)) {
		*err = errno;
		if (*err != ENOENT)
			return -1;
		if (!read_file_trim(SCHED_FEATURES_OLD, buf, sizeof buf)) {
			if (errno != ENOENT) {
				*err = errno;
				*path = SCHED_FEATURES_OLD;
			}
			return -1;
		}
		*path = SCHED_FEATURES_OLD;
		*err = 0;
	}
	int plain = -1;
	for (char *save, *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		int off = !strncmp(t, "NO_", 3);
		const char *f = off ? t + 3 : t;
		if (!strcmp(f, "HRTICK_DL")) {
			*name = "HRTICK_DL";
			return !off;
		}
		if (!strcmp(f, "HRTICK"))
			plain = !off;
	}
	return plain;
}

/* Warnings of a deadline run: short periods without HRTICK, and the test-only grid shift. */
static void emit_deadline_warnings(sb_t *b, const run_t *r)
{
	const config_t *c = r->cfg;
	int64_t shortest = INT64_MAX;
	for (int i = 0; i < r->nw; i++)
		if (r->w[i].interval < shortest)
			shortest = r->w[i].interval;
	const char *name = "HRTICK", *path = SCHED_FEATURES_NEW;
	int err = 0;
	int on = shortest < 2000000 ? hrtick_state(&name, &path, &err) : 1;
	if (on == 0)
		emit_warning(b, "no-hrtick",
			     "deadline period %lld us is under 2 ms and the scheduler's %s feature is off (%s): runtime is "
			     "enforced only at the scheduler tick; set tuning: {hrtick: true} in the deployment",
			     (long long)(shortest / 1000), name, path);
	else if (on < 0)
		emit_warning(b, "no-hrtick",
			     "deadline period %lld us is under 2 ms and whether the scheduler's HRTICK feature is on is unknown "
			     "(%s: %s%s); short periods need it: set tuning: {hrtick: true} in the deployment",
			     (long long)(shortest / 1000), path, strerror(err),
			     err == ENOENT ? ", debugfs not mounted?" : err == EPERM ? ", kernel lockdown?" : "");
	if (c->test_shift)
		emit_warning(b, "test-grid-shift",
			     "UNILAT_PROBE_TEST_SHIFT_NS=%lld moved the deadline period grid: a test-only switch, these figures are wrong on purpose",
			     (long long)c->test_shift);
}

static int run_cyclic(const config_t *c)
{
	sb_t b = { 0, 0, 0 };
	run_t r;
	memset(&r, 0, sizeof r);
	r.cfg = c;
	r.nw = c->threads;
	r.w = aligned_alloc(64, sizeof(worker_t) * (size_t)c->threads);
	if (!r.w)
		oom();
	memset(r.w, 0, sizeof(worker_t) * (size_t)c->threads);

	/* Preallocate everything the loop will touch, sized for the whole run. */
	for (int i = 0; i < c->threads; i++) {
		worker_t *w = &r.w[i];
		w->idx = i;
		w->run = &r;
		w->interval = c->policy == SCHED_DEADLINE && c->period ? c->period : c->interval + (int64_t)i * c->distance;
		w->cpu_req = c->naff ? c->affinity[i % c->naff] : -1;
		int64_t run_ns = c->loops ? c->loops * w->interval : c->duration_ms * 1000000;
		uint64_t planned = c->loops ? (uint64_t)c->loops : (uint64_t)(run_ns / w->interval);
		w->counts = xcalloc(BUCKETS, sizeof *w->counts);
		/* Overruns can stretch a --loops run; leave room and count what does not fit. */
		w->nseries = (size_t)(run_ns / NSEC) * 5 / 4 + 3;
		w->series = xcalloc(w->nseries, sizeof *w->series);
		w->spikes_cap = (size_t)c->max_spikes;
		w->spikes = xcalloc(w->spikes_cap, sizeof *w->spikes);
		if (c->raw) {
			w->raw_cap = (size_t)planned;
			w->raw = xcalloc(w->raw_cap, sizeof *w->raw);
		}
	}
	/* Lock after allocating, so MCL_FUTURE does not make big allocations fail later. */
	mem_outcome_t m = setup_memory_and_dma(c);
	char trace_err[600] = "";
	const int trace_failed = trace_open(c, trace_err, sizeof trace_err) != 0;

	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	sem_init(&r.done, 0, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	int created = 0, cerr = 0;
	for (int i = 0; i < c->threads; i++) {
		cerr = pthread_create(&r.w[i].th, &attr, worker_main, &r.w[i]);
		if (cerr)
			break;
		r.w[i].created = 1;
		created++;
	}
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&r.mu);
	while (r.nready < created)
		pthread_cond_wait(&r.cv, &r.mu);
	pthread_mutex_unlock(&r.mu);

	int rc = 0;
	if (cerr) {
		rc = fail(3, "pthread_create failed for thread %d: %s", created, strerror(cerr));
		r.nw = created;
		pthread_mutex_lock(&r.mu);
		r.abort = 1;
		r.go = 1;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		for (int i = 0; i < created; i++)
			pthread_join(r.w[i].th, NULL);
		goto out;
	}

	/* Every thread has applied its policy and affinity: now hello can tell the truth. */
	{
		const worker_t *w0 = &r.w[0];
		int same = 1, pin_fail = 0, pol_fail = 0, first_pol_err = 0, first_aff_err = 0;
		for (int i = 0; i < c->threads; i++) {
			const worker_t *w = &r.w[i];
			if (w->sched.policy != w0->sched.policy || w->sched.priority != w0->sched.priority)
				same = 0;
			if (w->sched.err && !pol_fail++)
				first_pol_err = w->sched.err;
			if (w->aff_err && !pin_fail++)
				first_aff_err = w->aff_err;
		}
		msg_begin(&b, "hello");
		sb_raw(&b, ",\"mode\":\"cyclic\"");
		hello_common(&b);
		hello_sched(&b, c, same ? policy_name(w0->sched.policy) : "mixed", w0->sched.priority);
		key(&b, "threads");
		sb_fmt(&b, "%d", c->threads);
		key(&b, "intervalNs");
		sb_fmt(&b, "%lld", (long long)r.w[0].interval);
		key(&b, "distanceNs");
		sb_fmt(&b, "%lld", (long long)(c->policy == SCHED_DEADLINE && c->period ? 0 : c->distance));
		if (c->policy == SCHED_DEADLINE) {
			int64_t per = c->period ? c->period : c->interval;
			key(&b, "deadlineParams");
			sb_fmt(&b, "{\"runtimeNs\":%lld,\"deadlineNs\":%lld,\"periodNs\":%lld}",
			       (long long)(c->runtime ? c->runtime : per / 10), (long long)(c->deadline ? c->deadline : per),
			       (long long)per);
		}
		/* affinity: distinct CPUs threads were really pinned to, ascending. */
		key(&b, "affinity");
		sb_raw(&b, "[");
		int firstc = 1;
		for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
			int used = 0;
			for (int i = 0; i < c->threads && !used; i++)
				used = r.w[i].cpu == cpu;
			if (used) {
				sb_fmt(&b, "%s%d", firstc ? "" : ",", cpu);
				firstc = 0;
			}
		}
		sb_raw(&b, "]");
		key(&b, "mlockall");
		sb_raw(&b, m.locked ? "true" : "false");
		key(&b, "dmaLatency");
		sb_raw(&b, m.dma_fd >= 0 ? "true" : "false");
		key(&b, "durationMs");
		sb_fmt(&b, "%lld", (long long)(c->loops ? 0 : c->duration_ms));
		key(&b, "loops");
		sb_fmt(&b, "%lld", (long long)c->loops);
		key(&b, "spikeThresholdNs");
		sb_fmt(&b, "%lld", (long long)c->spike_threshold);
		key(&b, "raw");
		sb_raw(&b, c->raw ? "true" : "false");
		key(&b, "traces");
		sb_fmt(&b, "%d", g_trace.n);
		key(&b, "threadInfo");
		sb_raw(&b, "[");
		for (int i = 0; i < c->threads; i++) {
			const worker_t *w = &r.w[i];
			sb_fmt(&b, "%s{\"thread\":%d,\"tid\":%d,\"cpu\":", i ? "," : "", i, (int)w->tid);
			if (w->cpu >= 0)
				sb_fmt(&b, "%d", w->cpu);
			else
				sb_raw(&b, "null");
			sb_raw(&b, ",\"policy\":");
			sb_str(&b, policy_name(w->sched.policy));
			sb_fmt(&b, ",\"priority\":%d,\"intervalNs\":%lld}", w->sched.priority, (long long)w->interval);
		}
		sb_raw(&b, "]");
		msg_end(&b);

		if (pol_fail)
			emit_warning(&b, "no-rt-policy",
				     "requested policy %s priority %d was refused for %d of %d threads (%s); they run as %s",
				     policy_name(c->policy), c->priority, pol_fail, c->threads, strerror(first_pol_err),
				     policy_name(SCHED_OTHER));
		if (pin_fail)
			emit_warning(&b, "affinity-failed", "pinning failed for %d of %d threads (%s); they run unpinned",
				     pin_fail, c->threads, strerror(first_aff_err));
		emit_mem_warnings(&b, c, &m);
		if (trace_failed)
			emit_warning(&b, "no-trace", "tracing at spikes is off: cannot open %s", trace_err);
		if (w0->sched.policy == SCHED_DEADLINE)
			emit_deadline_warnings(&b, &r);
	}

	/* Start all threads on a common grid a little in the future. */
	int64_t total_ns = 0;
	for (int i = 0; i < c->threads; i++) {
		int64_t t = c->loops ? c->loops * r.w[i].interval : c->duration_ms * 1000000;
		if (t > total_ns)
			total_ns = t;
	}
	/* A deadline thread's first sleep must end after its current scheduling deadline (see
	 * deadline_anchor): start that much later. */
	int64_t lead = 2000000;
	for (int i = 0; i < c->threads && c->policy == SCHED_DEADLINE; i++) {
		int64_t rel = 2 * r.w[i].interval + 2000000;
		if (rel > lead)
			lead = rel;
	}
	pthread_mutex_lock(&r.mu);
	r.start = now_ns() + lead;
	r.end = c->loops ? INT64_MAX : r.start + c->duration_ms * 1000000;
	r.go = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);

	/* The main thread only wakes for progress lines and for the end. */
	int64_t next_prog = r.start + c->progress_ms * 1000000;
	for (;;) {
		int rv;
		if (c->progress_ms > 0) {
			struct timespec ts = to_ts(next_prog);
			rv = sem_clockwait(&r.done, CLOCK_MONOTONIC, &ts);
		} else {
			rv = sem_wait(&r.done);
		}
		if (rv == 0)
			break;
		if (errno == ETIMEDOUT) {
			uint64_t s = 0;
			for (int i = 0; i < c->threads; i++)
				s += atomic_load_explicit(&r.w[i].progress, memory_order_relaxed);
			int64_t el = now_ns() - r.start;
			msg_begin(&b, "progress");
			key(&b, "elapsedMs");
			sb_fmt(&b, "%lld", (long long)(el > 0 ? el / 1000000 : 0));
			key(&b, "totalMs");
			sb_fmt(&b, "%lld", (long long)(total_ns / 1000000));
			key(&b, "samples");
			sb_fmt(&b, "%" PRIu64, s);
			msg_end(&b);
			next_prog += c->progress_ms * 1000000;
		}
	}
	for (int i = 0; i < c->threads; i++)
		pthread_join(r.w[i].th, NULL);
	release_memory_and_dma(&m);
	trace_close();

	uint64_t total = 0;
	for (int i = 0; i < c->threads; i++)
		total += r.w[i].count;
	if (atomic_load(&g_stop))
		emit_warning(&b, "interrupted", "stopped by a signal before the planned end; the run is shorter");
	for (int i = 0; i < c->threads; i++)
		emit_thread_results(&b, &r.w[i], c);
	msg_begin(&b, "done");
	sb_raw(&b, ",\"mode\":\"cyclic\"");
	key(&b, "samples");
	sb_fmt(&b, "%" PRIu64, total);
	key(&b, "lines");
	sb_fmt(&b, "%" PRIu64, g_lines);
	key(&b, "exit");
	sb_raw(&b, "0");
	msg_end(&b);
	if (g_write_errno)
		rc = fail(3, "writing the protocol failed: %s", strerror(g_write_errno));
out:
	release_memory_and_dma(&m);
	trace_close();
	for (int i = 0; i < c->threads; i++) {
		free(r.w[i].counts);
		free(r.w[i].series);
		free(r.w[i].spikes);
		free(r.w[i].raw);
	}
	sem_destroy(&r.done);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	free(r.w);
	free(b.p);
	return rc;
}

/* ---- syscall mode ---- */

static volatile uint64_t g_sink;

static __attribute__((noinline, noclone)) uint64_t target_fn(uint64_t x)
{
	__asm__ volatile("" : "+r"(x)); /* keeps the call from being folded away */
	return x + 1;
}

static uint64_t (*volatile g_fptr)(uint64_t) = target_fn;

static __attribute__((noinline)) void run_op(int op, uint64_t n, int zfd)
{
	uint64_t acc = 0;
	char ch;
	struct timespec ts;
	switch (op) {
	case OP_LOOP:
		for (uint64_t i = 0; i < n; i++)
			__asm__ volatile("" : "+r"(acc) : : "memory");
		break;
	case OP_FUNC:
		for (uint64_t i = 0; i < n; i++)
			acc = target_fn(acc);
		break;
	case OP_INDIRECT:
		for (uint64_t i = 0; i < n; i++)
			acc = g_fptr(acc);
		break;
	case OP_CLOCK:
		for (uint64_t i = 0; i < n; i++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			acc += (uint64_t)ts.tv_nsec;
		}
		break;
	case OP_GETPPID:
		for (uint64_t i = 0; i < n; i++)
			acc += (uint64_t)syscall(SYS_getppid);
		break;
	case OP_READ:
		for (uint64_t i = 0; i < n; i++)
			acc += (uint64_t)read(zfd, &ch, 1);
		break;
	}
	g_sink = acc;
}

/* ---- TSC cycles ---- */

typedef struct {
	int cpuid;                     /* CPUID 0x80000007 EDX bit 8: 1/0, -1 not x86-64 or leaf missing */
	int constant_tsc, nonstop_tsc; /* /proc/cpuinfo flags: 1/0, -1 no flags line readable */
	int invariant;                 /* CPUID says so and the kernel's flags do not contradict it */
	int measured;                  /* cycles are recorded in this run */
	char reason[320];              /* why cycles are not recorded ("" when they are) */
} tsc_info_t;

/* Reads the first "flags" line of /proc/cpuinfo for constant_tsc and nonstop_tsc. */
static void cpuinfo_tsc_flags(tsc_info_t *t)
{
	t->constant_tsc = t->nonstop_tsc = -1;
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "flags", 5) || !colon)
			continue;
		t->constant_tsc = t->nonstop_tsc = 0;
		for (char *save, *w = strtok_r(colon + 1, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
			if (!strcmp(w, "constant_tsc"))
				t->constant_tsc = 1;
			else if (!strcmp(w, "nonstop_tsc"))
				t->nonstop_tsc = 1;
		}
		break;
	}
	free(line);
	fclose(f);
}

/* Cycles are TSC ticks, and a tick is a fixed unit of time only with an invariant TSC (constant
 * rate whatever the core frequency, never stopped in deep C-states): anywhere else a cycle
 * figure would mix frequencies, so it is not recorded at all. */
static tsc_info_t tsc_probe(void)
{
	tsc_info_t t;
	memset(&t, 0, sizeof t);
	t.cpuid = -1;
	cpuinfo_tsc_flags(&t);
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (__get_cpuid(0x80000007, &a, &b, &c, &d))
		t.cpuid = (d >> 8) & 1;
	if (t.cpuid < 0)
		snprintf(t.reason, sizeof t.reason, "CPUID leaf 0x80000007 is not available: whether the TSC is invariant is unknown");
	else if (!t.cpuid)
		snprintf(t.reason, sizeof t.reason,
			 "CPUID 0x80000007 EDX bit 8 (invariant TSC) is clear: the TSC rate may follow the core frequency or stop in idle%s",
			 t.constant_tsc == 1 && t.nonstop_tsc == 1
				 ? " (the kernel's constant_tsc/nonstop_tsc flags are set, as it sets them for some hypervisors; not enough alone)"
				 : "");
	else if (t.constant_tsc == 0 || t.nonstop_tsc == 0)
		snprintf(t.reason, sizeof t.reason,
			 "CPUID reports an invariant TSC but the kernel's /proc/cpuinfo flags lack%s%s: the kernel does not trust it",
			 t.constant_tsc ? "" : " constant_tsc", t.nonstop_tsc ? "" : " nonstop_tsc");
	else
		t.invariant = 1; /* flags unreadable (-1): CPUID alone */
#else
	snprintf(t.reason, sizeof t.reason, "not an x86-64 build: cycles are read from the x86 TSC");
#endif
	return t;
}

#if defined(__x86_64__)
/* lfence; rdtsc; lfence at both ends. rdtsc alone is not ordered: it may run before earlier
 * instructions finish or after later ones start. The first lfence waits until everything before
 * has completed (Intel SDM; on AMD once lfence is dispatch-serializing, which Linux makes it),
 * the second keeps the measured loop from starting before the read. rdtscp would order the end
 * read too but needs its own CPUID check; over a calibrated ~1 ms batch (millions of ticks) the
 * few tens of ticks either way do not show. */
static inline uint64_t tsc_read(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}
#else
static inline uint64_t tsc_read(void)
{
	return 0; /* never called: tsc_probe() never sets invariant off x86-64 */
}
#endif

/*
 * `unilat-probe tsc`: the TSC rate of this machine, measured against CLOCK_MONOTONIC_RAW over
 * three 100 ms windows (median). Under QEMU TCG a guest's TSC is the host's, and a guest kernel
 * that cannot calibrate it (microvm has no PIT route, HPET or PM timer) has no timer tick: the
 * harness passes this rate as tsc_early_khz=.
 */
static int run_tsc(void)
{
	tsc_info_t t = tsc_probe();
	double khz[3] = { 0, 0, 0 };
	if (t.invariant) {
		for (int i = 0; i < 3; i++) {
			struct timespec a, b, nap = { 0, 100000000 };
			clock_gettime(CLOCK_MONOTONIC_RAW, &a);
			uint64_t c0 = tsc_read();
			while (nanosleep(&nap, &nap) && errno == EINTR)
				;
			uint64_t c1 = tsc_read();
			clock_gettime(CLOCK_MONOTONIC_RAW, &b);
			double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
			khz[i] = ms > 0 ? (double)(c1 - c0) / ms : 0;
		}
		for (int i = 0; i < 2; i++) /* sort three */
			for (int j = 0; j < 2 - i; j++)
				if (khz[j] > khz[j + 1]) {
					double x = khz[j];
					khz[j] = khz[j + 1];
					khz[j + 1] = x;
				}
	}
	sb_t b = { 0, 0, 0 };
	msg_begin(&b, "tsc");
	key(&b, "invariant");
	sb_raw(&b, t.invariant ? "true" : "false");
	key(&b, "khz");
	if (t.invariant && khz[1] > 0)
		sb_fmt(&b, "%.0f", khz[1]);
	else
		sb_raw(&b, "null");
	key(&b, "reason");
	sb_str(&b, t.invariant ? NULL : t.reason);
	msg_end(&b);
	free(b.p);
	return 0;
}

/* ns per op of one batch; with `cycles`, also TSC ticks per op. The TSC reads sit inside the
 * clock reads, so they add their few ns to the ns figure (negligible against a ~1 ms batch). */
static double time_op(int op, uint64_t n, int zfd, double *cycles)
{
	int64_t a = now_ns();
	uint64_t c0 = cycles ? tsc_read() : 0;
	run_op(op, n, zfd);
	uint64_t c1 = cycles ? tsc_read() : 0;
	int64_t b = now_ns();
	if (cycles)
		*cycles = (double)(c1 - c0) / (double)n;
	return (double)(b - a) / (double)n;
}

/* Iterations for a ~1 ms batch: long against clock reads, short against interruptions. */
static uint64_t calibrate(int op, int zfd)
{
	uint64_t n = 16;
	for (;;) {
		int64_t a = now_ns();
		run_op(op, n, zfd);
		int64_t d = now_ns() - a;
		if (d >= 200000 || n >= (1ULL << 32)) {
			/* The fastest of three: an interruption must not shrink the batches. */
			for (int k = 0; k < 2; k++) {
				int64_t a2 = now_ns();
				run_op(op, n, zfd);
				int64_t d2 = now_ns() - a2;
				if (d2 < d)
					d = d2;
			}
			double per = (double)d / (double)n;
			uint64_t it = (uint64_t)(1000000.0 / (per > 0 ? per : 0.01));
			return it < 1 ? 1 : it;
		}
		n *= 2;
	}
}

static int run_syscall(const config_t *c)
{
	sb_t b = { 0, 0, 0 };
	int rc = 0;
	cpu_set_t saved;
	int have_saved = sched_getaffinity(0, sizeof saved, &saved) == 0;
	struct sched_param saved_sp;
	int saved_pol = sched_getscheduler(0);
	sched_getparam(0, &saved_sp);

	int cpu = c->cpu >= 0 ? c->cpu : sched_getcpu();
	int aff_err = cpu >= 0 ? pin_self(cpu) : EINVAL;
	int zfd = -1, zerr = 0;
	if (c->ops & (1u << OP_READ)) {
		zfd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (zfd < 0)
			zerr = errno;
	}
	unsigned ops = c->ops;
	if (zfd < 0)
		ops &= ~(1u << OP_READ);
	int nops = __builtin_popcount(ops);
	double *samples = xcalloc((size_t)c->batches * N_OPS, sizeof *samples);
	uint64_t iters[N_OPS] = { 0 };
	tsc_info_t tsc = tsc_probe();
	tsc.measured = tsc.invariant && !aff_err;
	if (tsc.invariant && aff_err)
		snprintf(tsc.reason, sizeof tsc.reason, "not pinned to one CPU (%s): TSC reads could come from different CPUs",
			 strerror(aff_err));
	double *cycles = tsc.measured ? xcalloc((size_t)c->batches * N_OPS, sizeof *cycles) : NULL;
	mem_outcome_t m = setup_memory_and_dma(c);
	sched_outcome_t s = apply_policy(c->policy, c->priority, 0, 0, 0);

	msg_begin(&b, "hello");
	sb_raw(&b, ",\"mode\":\"syscall\"");
	hello_common(&b);
	hello_sched(&b, c, policy_name(s.policy), s.priority);
	key(&b, "threads");
	sb_raw(&b, "1");
	key(&b, "affinity");
	if (aff_err)
		sb_raw(&b, "[]");
	else
		sb_fmt(&b, "[%d]", cpu);
	key(&b, "cpu");
	if (aff_err)
		sb_raw(&b, "null");
	else
		sb_fmt(&b, "%d", cpu);
	key(&b, "mlockall");
	sb_raw(&b, m.locked ? "true" : "false");
	key(&b, "dmaLatency");
	sb_raw(&b, m.dma_fd >= 0 ? "true" : "false");
	key(&b, "batches");
	sb_fmt(&b, "%lld", (long long)c->batches);
	key(&b, "warmup");
	sb_fmt(&b, "%lld", (long long)c->warmup);
	key(&b, "batch");
	sb_fmt(&b, "%lld", (long long)c->batch);
	key(&b, "ops");
	sb_raw(&b, "[");
	for (int op = 0, first = 1; op < N_OPS; op++)
		if (ops & (1u << op)) {
			sb_fmt(&b, "%s\"%s\"", first ? "" : ",", op_names[op]);
			first = 0;
		}
	sb_raw(&b, "]");
	key(&b, "tsc");
	sb_fmt(&b, "{\"invariant\":%s,\"cpuid\":%s,\"constantTsc\":%s,\"nonstopTsc\":%s,\"measured\":%s,\"reason\":",
	       tsc.invariant ? "true" : "false", tsc.cpuid < 0 ? "null" : tsc.cpuid ? "true" : "false",
	       tsc.constant_tsc < 0 ? "null" : tsc.constant_tsc ? "true" : "false",
	       tsc.nonstop_tsc < 0 ? "null" : tsc.nonstop_tsc ? "true" : "false", tsc.measured ? "true" : "false");
	sb_str(&b, tsc.measured ? NULL : tsc.reason);
	sb_raw(&b, "}");
	msg_end(&b);
	if (s.err)
		emit_warning(&b, "no-rt-policy", "requested policy %s priority %d was refused (%s); running as %s",
			     policy_name(c->policy), c->priority, strerror(s.err), policy_name(s.policy));
	if (aff_err)
		emit_warning(&b, "affinity-failed", "pinning to CPU %d failed (%s); running unpinned", cpu, strerror(aff_err));
	emit_mem_warnings(&b, c, &m);
	if (zerr)
		emit_warning(&b, "op-unavailable", "op read skipped: cannot open /dev/zero: %s", strerror(zerr));

	for (int op = 0; op < N_OPS; op++)
		if (ops & (1u << op))
			iters[op] = c->batch ? (uint64_t)c->batch : calibrate(op, zfd);
	for (int64_t k = 0; k < c->warmup; k++)
		for (int op = 0; op < N_OPS; op++)
			if (ops & (1u << op))
				time_op(op, iters[op], zfd, NULL);
	/* Batches of all ops are interleaved so slow drift (frequency, thermal) hits each op alike. */
	for (int64_t k = 0; k < c->batches && !atomic_load(&g_stop); k++)
		for (int op = 0; op < N_OPS; op++)
			if (ops & (1u << op))
				samples[k * N_OPS + op] = time_op(op, iters[op], zfd, cycles ? &cycles[k * N_OPS + op] : NULL);
	int64_t done_batches = c->batches;
	if (atomic_load(&g_stop)) {
		done_batches = 0;
		while (done_batches < c->batches && samples[done_batches * N_OPS + __builtin_ctz(ops)] > 0)
			done_batches++;
		emit_warning(&b, "interrupted", "stopped by a signal after %lld of %lld batches", (long long)done_batches,
			     (long long)c->batches);
	}

	/* Undo what a later script step must not inherit. */
	release_memory_and_dma(&m);
	if (saved_pol >= 0)
		sched_setscheduler(0, saved_pol, &saved_sp);
	if (have_saved)
		sched_setaffinity(0, sizeof saved, &saved);
	if (zfd >= 0)
		close(zfd);

	for (int op = 0; op < N_OPS; op++) {
		if (!(ops & (1u << op)))
			continue;
		msg_begin(&b, "op");
		key(&b, "name");
		sb_str(&b, op_names[op]);
		key(&b, "iterations");
		sb_fmt(&b, "%" PRIu64, iters[op]);
		key(&b, "samples");
		sb_raw(&b, "[");
		for (int64_t k = 0; k < done_batches; k++) {
			if (k)
				sb_raw(&b, ",");
			sb_dbl(&b, samples[k * N_OPS + op], 6);
		}
		sb_raw(&b, "]");
		if (cycles) {
			key(&b, "cycles");
			sb_raw(&b, "[");
			for (int64_t k = 0; k < done_batches; k++) {
				if (k)
					sb_raw(&b, ",");
				sb_dbl(&b, cycles[k * N_OPS + op], 6);
			}
			sb_raw(&b, "]");
		}
		msg_end(&b);
	}
	msg_begin(&b, "done");
	sb_raw(&b, ",\"mode\":\"syscall\"");
	key(&b, "samples");
	sb_fmt(&b, "%lld", (long long)(done_batches * nops));
	key(&b, "lines");
	sb_fmt(&b, "%" PRIu64, g_lines);
	key(&b, "exit");
	sb_raw(&b, "0");
	msg_end(&b);
	if (g_write_errno)
		rc = fail(3, "writing the protocol failed: %s", strerror(g_write_errno));
	free(samples);
	free(cycles);
	free(b.p);
	return rc;
}

/* ---- invocation, script, main ---- */

static int open_out(const char *path)
{
	/* O_NOCTTY: a serial port must not become our controlling terminal (we may be PID 1). */
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return fd;
}

/* One mode invocation (argv[0] is the mode). Returns an exit code; g_err says why. */
static int run_invocation(int argc, char **argv)
{
	static config_t c; /* large (CPU list); static keeps it off the stack */
	const char *out = NULL;
	g_err[0] = 0;
	int rc = parse_args(argc, argv, &c, &out);
	if (rc)
		return rc;
	int saved_out = g_out;
	if (out) {
		if (g_in_script)
			return BAD("--out is not allowed in a script step; give it to 'script'");
		int fd = open_out(out);
		if (fd < 0)
			return fail(3, "--out %s: %s", out, strerror(errno));
		g_out = fd;
	}
	g_lines = 0;
	g_write_errno = 0;
	rc = c.mode == M_CYCLIC ? run_cyclic(&c) : run_syscall(&c);
	if (out) {
		close(g_out);
		g_out = saved_out;
	}
	return rc;
}

static void mount_pid1_filesystems(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	/* Failures are kept: hello reports them where a fact is missing because of them. */
	if (mount("proc", "/proc", "proc", 0, NULL))
		g_proc_mount_err = errno;
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		g_sys_mount_err = errno;
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
}

/* PID 1 must never exit (the kernel panics): power off instead, whatever happened. */
static void __attribute__((noreturn)) finish(int rc)
{
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(rc);
}

static void report_error(int rc, int step)
{
	fprintf(stderr, "unilat-probe: %s\n", g_err[0] ? g_err : "failed");
	if (g_in_script) {
		sb_t b = { 0, 0, 0 };
		msg_begin(&b, "error");
		key(&b, "step");
		sb_fmt(&b, "%d", step);
		key(&b, "message");
		sb_str(&b, g_err);
		key(&b, "exit");
		sb_fmt(&b, "%d", rc);
		msg_end(&b);
		free(b.p);
	}
}

/*
 * Snapshot mode: announce `ready`, then read the script from DEV (a serial port, made raw so
 * nothing is echoed or cooked) up to a line "go". The harness saves the VM while we block here
 * and restores it for every boot, sending each its own script: no measurement has started yet,
 * so none spans the restore. Returns the script as a stream, or NULL (g_err says why).
 */
static FILE *wait_for_script(const char *dev)
{
	static char buf[1 << 16];
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		fail(3, "--wait %s: %s", dev, strerror(errno));
		return NULL;
	}
	struct termios tio;
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	sb_t b = { 0, 0, 0 };
	msg_begin(&b, "ready");
	key(&b, "wait");
	sb_str(&b, dev);
	msg_end(&b);
	free(b.p);
	if (g_out != 1)
		fsync(g_out);
	size_t len = 0, line = 0;
	for (;;) {
		if (len == sizeof buf) {
			close(fd);
			fail(3, "--wait %s: script longer than %zu bytes", dev, sizeof buf);
			return NULL;
		}
		ssize_t n = read(fd, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR && !atomic_load(&g_stop))
			continue;
		if (n <= 0) {
			close(fd);
			fail(3, "--wait %s: %s before \"go\"", dev, n < 0 ? strerror(errno) : "end of input");
			return NULL;
		}
		len += (size_t)n;
		for (size_t i = line; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			size_t end = i;
			if (end > line && buf[end - 1] == '\r')
				end--;
			if (end - line == 2 && !memcmp(buf + line, "go", 2)) {
				close(fd);
				static char none[] = "\n"; /* fmemopen needs at least one byte */
				return line ? fmemopen(buf, line, "r") : fmemopen(none, 1, "r");
			}
			line = i + 1;
		}
	}
}

static int run_script(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	int steps = 0, failed = 0, worst = 0;
	while (getline(&line, &cap, f) >= 0) {
		char *argv[256];
		int argc = 0;
		for (char *save, *t = strtok_r(line, " \t\r\n", &save); t && argc < 255; t = strtok_r(NULL, " \t\r\n", &save))
			argv[argc++] = t;
		if (argc == 0 || argv[0][0] == '#')
			continue;
		argv[argc] = NULL;
		steps++;
		int rc = run_invocation(argc, argv);
		if (rc) {
			failed++;
			if (rc > worst)
				worst = rc;
			report_error(rc, steps);
		}
		if (atomic_load(&g_stop))
			break;
	}
	free(line);
	fclose(f);
	sb_t b = { 0, 0, 0 };
	msg_begin(&b, "end");
	key(&b, "steps");
	sb_fmt(&b, "%d", steps);
	key(&b, "failed");
	sb_fmt(&b, "%d", failed);
	msg_end(&b);
	free(b.p);
	return worst;
}

static const char usage[] =
	"usage:\n"
	"  unilat-probe cyclic  [--threads N] [--interval NS] [--distance NS] [--priority P]\n"
	"                       [--policy fifo|rr|other|deadline] [--runtime NS] [--deadline NS] [--period NS]\n"
	"                       [--affinity LIST] [--mlockall] [--dma-latency]\n"
	"                       [--duration-ms MS | --loops N] [--spike-threshold NS] [--max-spikes N]\n"
	"                       [--progress-ms MS] [--raw] [--out PATH]\n"
	"  unilat-probe syscall [--batch N] [--batches N] [--warmup N] [--cpu C] [--ops LIST]\n"
	"                       [--priority P] [--policy fifo|rr|other] [--mlockall] [--dma-latency] [--out PATH]\n"
	"  unilat-probe script FILE|--wait DEV [--pid1] [--out PATH]\n"
	"  unilat-probe tsc    (the TSC rate in kHz, where the TSC is invariant)\n"
	"Writes the unilat probe protocol (docs/protocol.md). Exit: 0 ok, 2 bad arguments, 3 failure.\n";

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_stop, 1);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: sleeps return early and the loops see g_stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		finish(0);
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("unilat-probe %s (protocol %d)\n", PROBE_VERSION, PROTOCOL_VERSION);
		finish(0);
	}
	if (argc < 2) {
		fprintf(stderr, "unilat-probe: missing mode (cyclic, syscall, script); see --help\n");
		finish(2);
	}
	if (!strcmp(argv[1], "tsc"))
		finish(run_tsc());
	if (!strcmp(argv[1], "script")) {
		const char *file = NULL, *out = NULL, *wait = NULL;
		int pid1 = 0;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--pid1"))
				pid1 = 1;
			else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
				wait = argv[++i];
			else if (!strcmp(argv[i], "--out") && i + 1 < argc)
				out = argv[++i];
			else if (!strncmp(argv[i], "--out=", 6))
				out = argv[i] + 6;
			else if (argv[i][0] != '-' && !file)
				file = argv[i];
			else {
				fprintf(stderr, "unilat-probe: script: unexpected argument '%s'; see --help\n", argv[i]);
				finish(2);
			}
		}
		if (pid1)
			mount_pid1_filesystems();
		if (!file == !wait) {
			fprintf(stderr, "unilat-probe: script needs a FILE or --wait DEV; see --help\n");
			finish(2);
		}
		if (out) {
			int fd = open_out(out);
			if (fd < 0)
				fprintf(stderr, "unilat-probe: --out %s: %s; writing to stdout\n", out, strerror(errno));
			else
				g_out = fd;
		}
		g_in_script = 1;
		FILE *f = wait ? wait_for_script(wait) : fopen(file, "r");
		int rc;
		if (!f) {
			if (!wait)
				fail(3, "script %s: %s", file, strerror(errno));
			report_error(3, 0);
			rc = 3;
		} else
			rc = run_script(f);
		if (g_out != 1)
			fsync(g_out);
		finish(rc);
	}
	int rc = run_invocation(argc - 1, argv + 1);
	if (rc) {
		fprintf(stderr, "unilat-probe: %s%s\n", g_err[0] ? g_err : "failed", rc == 2 ? " (see --help)" : "");
		finish(rc);
	}
	finish(0);
}
