/* Every printf conversion, flag and length modifier the kit supports, and snprintf. */
#include <limits.h>

#include "kvmrun.h"

int main(void)
{
	char buf[8];
	int n;

	printf("[%d] [%i] [%u] [%d] [%d]\n", 0, -42, UINT_MAX, INT_MIN, INT_MAX);
	printf("[%5d] [%-5d] [%05d] [%2d]\n", 42, 42, -42, 12345);
	printf("[%x] [%X] [%08x] [%-8X] [%x]\n", 0xbeefu, 0xbeefu, 0xbeefu, 0xbeefu, 0u);
	printf("[%ld] [%lu] [%lx]\n", -1234567890123L, ULONG_MAX, 0xdeadbeefcafeUL);
	printf("[%lld] [%llu] [%llX] [%020llu]\n", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL, 10000000000ULL);
	printf("[%zu] [%zx] [%*d] [%-*d]\n", sizeof(long long), (size_t)255, 6, 7, 6, 7);
	printf("[%s] [%8s] [%-8s] [%c] [%3c] [%-3c] [%%]\n", "str", "right", "left", 'x', 'y', 'z');
	printf("[%p] [%p]\n", (void *)0x100000, (void *)0);
	n = snprintf(buf, sizeof buf, "%d-%s", 12345, "abcdef");
	printf("[%s] %d\n", buf, n);
	return 0;
}
