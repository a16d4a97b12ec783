/*
 * The compute benchmark: one source, built twice with the same code flags.
 *   bench/compute_host N          a host process
 *   kvmrun --mode user|long --append N bench/compute.elf   a guest (the kit)
 * Both run N rounds of xorshift64 (a dependent chain: no shortcut, no SIMD)
 * and print the final value, so their outputs must match.
 */
#ifdef HOST
#include <stdio.h>
#include <stdlib.h>
#else
#include "kvmrun.h"
#endif

static unsigned long long rounds(unsigned long long n)
{
	unsigned long long x = 88172645463325252ULL, sum = 0;

	for (unsigned long long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x;
	}
	return sum;
}

static unsigned long long parse(const char *s)
{
	unsigned long long n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (unsigned long long)(*s++ - '0');
	return n;
}

#ifdef HOST
int main(int argc, char **argv)
{
	unsigned long long n = argc > 1 ? parse(argv[1]) : 100000000ULL;

	printf("%llu rounds: %llx\n", n, rounds(n));
	return 0;
}
#else
/* The iteration count is fw_cfg's command line, which kvmrun fills from --append. */
static unsigned long long count_from_fwcfg(void)
{
	char buf[32];
	unsigned i;

	outw(0x510, 0x15);
	for (i = 0; i < sizeof buf - 1; i++) {
		buf[i] = (char)inb(0x511);
		if (!buf[i])
			break;
	}
	buf[i] = 0;
	return buf[0] ? parse(buf) : 100000000ULL;
}

int main(void)
{
	unsigned long long n = count_from_fwcfg();

	printf("%llu rounds: %llx\n", n, rounds(n));
	return 0;
}
#endif
