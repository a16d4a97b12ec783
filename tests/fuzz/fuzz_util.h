/*
 * Shared by the fuzz targets: a failed property aborts with one line (a
 * finding for libFuzzer), fake guest RAM filled with a canary so that any
 * write outside what a loader may touch shows, and little-endian readers.
 */
#ifndef KVMRUN_FUZZ_UTIL_H
#define KVMRUN_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

/*
 * A property that does not hold: say which, where, and abort (libFuzzer keeps
 * the input). Unless the property is a known failure: run.sh lists, in
 * FUZZ_KNOWN, the FILE:LINE of each property a committed reproducer in
 * regress/ still breaks, so that while fuzzing a known bug does not stop the
 * search for new ones. Sanitizer reports are never muted.
 */
#define FUZZ_STR(x) #x
#define FUZZ_XSTR(x) FUZZ_STR(x)
#define CHECK(cond, ...) do { \
	if (!(cond) && !fuzz_known(__FILE__ ":" FUZZ_XSTR(__LINE__))) { \
		fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/* Is where (FILE:LINE) one of the space-separated words of FUZZ_KNOWN? Asked only when a property fails. */
static inline int fuzz_known(const char *where)
{
	const char *k = getenv("FUZZ_KNOWN");
	size_t n = strlen(where);

	for (const char *p = k ? strstr(k, where) : NULL; p; p = strstr(p + 1, where))
		if ((p == k || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return 1;
	return 0;
}

#define FUZZ_RAM     (2ULL << 20)	/* 2 MiB: room for the fixtures at 1 MiB, fast to scan */
#define FUZZ_CANARY  0xa5

static inline uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* RAM of FUZZ_RAM bytes, all canary; allocated once, exactly, so ASan sees any byte past it. */
static inline struct guest_mem fuzz_ram(void)
{
	static uint8_t *ram;

	if (!ram) {
		ram = malloc(FUZZ_RAM);
		if (!ram)
			abort();
		memset(ram, FUZZ_CANARY, FUZZ_RAM);
	}
	return (struct guest_mem){ .host = ram, .size = FUZZ_RAM };
}

/* Is [from, to) of RAM untouched (all canary)? Returns the first touched address, or to. */
static inline uint64_t canary_scan(const struct guest_mem *m, uint64_t from, uint64_t to)
{
	static uint8_t ref[4096];

	if (!ref[0])
		memset(ref, FUZZ_CANARY, sizeof ref);
	while (from < to) {
		uint64_t n = to - from < sizeof ref ? to - from : sizeof ref;

		if (memcmp(m->host + from, ref, n) != 0) {
			while (m->host[from] == FUZZ_CANARY)
				from++;
			return from;
		}
		from += n;
	}
	return to;
}

/* A half-open range of guest-physical addresses a loader was allowed to write. */
struct span {
	uint64_t start, end;
	const char *what;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Every byte of RAM outside the spans still holds the canary. */
static inline void check_untouched_outside(const struct guest_mem *m, struct span *s, unsigned n)
{
	uint64_t at = 0, bad;

	qsort(s, n, sizeof *s, span_cmp);
	for (unsigned i = 0; i <= n; i++) {
		uint64_t to = i < n ? s[i].start : m->size;

		if (at < to) {
			bad = canary_scan(m, at, to);
			CHECK(bad == to, "RAM at 0x%llx was written, outside everything the loader placed",
			      (unsigned long long)bad);
		}
		if (i < n && s[i].end > at)
			at = s[i].end;
	}
}

/* Does [a, a + alen) meet [b, b + blen)? Empty ranges meet nothing. */
static inline int meets(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/*
 * A refusal's reason names ranges as "0xFIRST-0xLAST" (first and last byte, as
 * RAM's "0x0-0x1fffff"): every one must have FIRST <= LAST, or the user reads
 * an impossible range.
 */
static inline void check_why_ranges(const char *why)
{
	for (const char *p = strstr(why, "0x"); p; p = strstr(p + 2, "0x")) {
		char *end;
		unsigned long long first = strtoull(p + 2, &end, 16), last;

		if (end == p + 2 || end[0] != '-' || end[1] != '0' || end[2] != 'x')
			continue;
		last = strtoull(end + 3, NULL, 16);
		CHECK(first <= last, "the reason names the range 0x%llx-0x%llx, which ends before it starts: %s",
		      first, last, why);
	}
}

#endif
