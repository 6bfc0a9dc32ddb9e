/* LD_PRELOAD shim for test_clock.py: shifts the wall clock (CLOCK_REALTIME, gettimeofday, time)
 * of one process by the number of seconds in $CLOCK_SHIFT_FILE, re-read at most every 50 ms, so a
 * test can boot an agent "at 1970" and then step its clock to now. Monotonic clocks stay real.
 * Why not libfaketime (0.9.10, Debian 12): with FAKETIME_DONT_FAKE_MONOTONIC=1 its
 * clock_nanosleep never returns, and under it Swift's CommandLine.arguments came back empty. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long shift_ns;
static long long next_read_ns;

static int real_clock_gettime(clockid_t clock, struct timespec *ts) {
    return (int)syscall(SYS_clock_gettime, clock, ts);
}

static long long current_shift(void) {
    struct timespec mono;
    real_clock_gettime(CLOCK_MONOTONIC, &mono);
    long long now = mono.tv_sec * 1000000000LL + mono.tv_nsec;
    if (now >= __atomic_load_n(&next_read_ns, __ATOMIC_RELAXED)) {
        const char *path = getenv("CLOCK_SHIFT_FILE");
        FILE *file = path ? fopen(path, "r") : NULL;
        double seconds;
        if (file) {
            if (fscanf(file, "%lf", &seconds) == 1)
                __atomic_store_n(&shift_ns, (long long)(seconds * 1e9), __ATOMIC_RELAXED);
            fclose(file);
        }
        __atomic_store_n(&next_read_ns, now + 50000000LL, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&shift_ns, __ATOMIC_RELAXED);
}

static void shift(struct timespec *ts) {
    long long ns = ts->tv_sec * 1000000000LL + ts->tv_nsec + current_shift();
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) shift(ts);
    return result;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    (void)tz;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
