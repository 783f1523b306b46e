/**
 * A real-time interferer for the tests that need one: C source of a process that pins itself to
 * the CPU in argv[1], runs at SCHED_FIFO 95 under the name `unilat-hog`, and for argv[2] seconds
 * spins `busyMs` then sleeps `sleepMs`, over and over (exit 3 when it may not).
 */
export function hogSource(busyMs: number, sleepMs: number): string {
  return `#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
static long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv) {
  cpu_set_t s; CPU_ZERO(&s); CPU_SET(atoi(argv[1]), &s);
  if (sched_setaffinity(0, sizeof s, &s)) return 3;
  struct sched_param p = { .sched_priority = 95 };
  if (sched_setscheduler(0, SCHED_FIFO, &p)) return 3;
  prctl(PR_SET_NAME, "unilat-hog");
  long long end = now() + atoll(argv[2]) * 1000000000LL;
  while (now() < end) {
    long long b = now() + ${Math.round(busyMs * 1e6)}LL; while (now() < b) ;
    struct timespec z = { 0, ${Math.round(sleepMs * 1e6)} }; nanosleep(&z, 0);
  }
  return 0;
}
`;
}
