/*
 * What bench.c and firstbyte.c share: the monotonic clock in nanoseconds, and
 * the alarm that kills the child being measured when it runs past its limit
 * (child_pid set by the caller after spawning it; child_timed_out says so).
 */
#ifndef BENCH_CHILD_H
#define BENCH_CHILD_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

static volatile sig_atomic_t child_pid, child_timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	child_timed_out = 1;
	if (child_pid > 0)
		kill((pid_t)child_pid, SIGKILL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
