/*
 * rt-probe: how late a SCHED_FIFO thread on each core wakes from a 1 ms sleep. A diagnostic beside the echo
 * benchmarks (docs/performance.md, "A steady room: where the tail waits"), not part of the product.
 *
 * Why: a key's echo waits behind the fair scheduler's queues, behind kernel code that cannot be preempted, and behind
 * the hypervisor when it takes the virtual CPU away. A real-time thread skips the first, so how late it wakes is what
 * the other two leave to any process: the floor no scheduling of ISLET's own can go under. Lateness of 5 ms or more
 * is listed with its wall-clock time (ms since the epoch, the clock bench/echo-trace.ts writes
 * `window_started_epoch_ms` in), so it can be laid against the slow keys of the same minutes.
 *
 * Build and run (root, for SCHED_FIFO): gcc -O2 -pthread -o /tmp/rt-probe bench/rt-probe.c && /tmp/rt-probe SECONDS
 * Prints per core a histogram of lateness (<1, <2, <5, <10, <20, <50, <100, >=100 ms), then one line per wake-up
 * late by 10 ms or more: `late cpu=N at=EPOCH_MS ms=LATE`. Costs about 1000 short wake-ups a second per core.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define KEEP 100000

static int seconds;

static double wall_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct core {
  int cpu, n;
  double at[KEEP], late[KEEP];
  long hist[8];
};

static void *probe(void *p) {
  struct core *c = p;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(c->cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  struct sched_param sp = {.sched_priority = 50};
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) fprintf(stderr, "rt-probe: no SCHED_FIFO (not root?)\n");
  double end = wall_ms() + seconds * 1e3;
  for (;;) {
    double t0 = wall_ms();
    if (t0 > end) break;
    struct timespec d = {0, 1000000};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    double late = wall_ms() - t0 - 1.0;
    int b = late < 1 ? 0 : late < 2 ? 1 : late < 5 ? 2 : late < 10 ? 3 : late < 20 ? 4 : late < 50 ? 5 : late < 100 ? 6 : 7;
    c->hist[b]++;
    if (late >= 10 && c->n < KEEP) {
      c->at[c->n] = t0;
      c->late[c->n] = late;
      c->n++;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2 || (seconds = atoi(argv[1])) <= 0) {
    fprintf(stderr, "usage: rt-probe SECONDS\n");
    return 2;
  }
  int n = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 64) n = 64;
  pthread_t threads[64];
  struct core *cores[64];
  for (int i = 0; i < n; i++) {
    cores[i] = calloc(1, sizeof(struct core));
    cores[i]->cpu = i;
    pthread_create(&threads[i], NULL, probe, cores[i]);
  }
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  for (int i = 0; i < n; i++) {
    printf("cpu %d hist <1 <2 <5 <10 <20 <50 <100 >=100:", i);
    for (int b = 0; b < 8; b++) printf(" %ld", cores[i]->hist[b]);
    printf("\n");
    for (int k = 0; k < cores[i]->n; k++) printf("late cpu=%d at=%.1f ms=%.1f\n", i, cores[i]->at[k], cores[i]->late[k]);
  }
  return 0;
}
