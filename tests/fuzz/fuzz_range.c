/*
 * fuzz_range: guest_range(), the one check of every guest-physical range,
 * on three 64-bit values from the input (little-endian, missing bytes zero):
 * RAM size, gpa, len; a fourth byte picks the RAM.
 *   even: real RAM of (size mod 64 KiB + 1) bytes (0 when the size is
 *         exactly 0), malloc'd to its exact size; the first and last bytes
 *         of every range granted are touched, so ASan sees a grant past RAM.
 *   odd:  RAM of any size below 2^63, never dereferenced, at a fixed base:
 *         the arithmetic at the edges (gpa, len, gpa + len near 2^64).
 * kvm.h's contract: a pointer to host + gpa exactly when gpa + len does not
 * overflow and is at most the size (a range ending at the top is valid; len
 * 0 is valid for gpa <= size), NULL otherwise; a granted range never ends
 * past host + size.
 */
#include "fuzz_util.h"

#define REAL_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[25] = { 0 };
	uint64_t ram, gpa, len, end;
	struct guest_mem m;
	uint8_t *p, *buf = NULL;
	int fits;

	memcpy(in, data, size < sizeof in ? size : sizeof in);
	ram = le(in, 8), gpa = le(in + 8, 8), len = le(in + 16, 8);
	if (in[24] & 1) {
		ram &= INT64_MAX;
		m = (struct guest_mem){ .host = (uint8_t *)(uintptr_t)0x10000, .size = ram };
	} else {
		ram = ram ? ram % REAL_MAX + 1 : 0;
		buf = malloc(ram ? ram : 1);
		m = (struct guest_mem){ .host = buf, .size = ram };
	}
	fits = !__builtin_add_overflow(gpa, len, &end) && end <= ram;
	p = guest_range(&m, gpa, len);
	CHECK(!p == !fits, "guest_range(size 0x%llx, gpa 0x%llx, len 0x%llx) = %p", (unsigned long long)ram,
	      (unsigned long long)gpa, (unsigned long long)len, (void *)p);
	if (p) {
		CHECK(p == m.host + gpa, "guest_range gave %p for host %p + gpa 0x%llx", (void *)p, (void *)m.host,
		      (unsigned long long)gpa);
		CHECK((uintptr_t)p >= (uintptr_t)m.host && (uintptr_t)p - (uintptr_t)m.host <= ram &&
		      len <= ram - ((uintptr_t)p - (uintptr_t)m.host), "range %p+0x%llx ends past RAM", (void *)p,
		      (unsigned long long)len);
		if (buf && len) {
			volatile uint8_t *v = p;

			v[0] = v[0];
			v[len - 1] = v[len - 1];
		}
	}
	free(buf);
	return 0;
}
