/*
 * A C guest for tests/gdb.bats: gdb stops in sum_squares, reads its
 * arguments and its caller's locals by name (the kit builds with -g), and
 * finishes it. Prints "sum of squares: 30" and exits with 30.
 */
#include "kvmrun.h"

/* noipa: gcc keeps the call and its arguments, so gdb has a frame to stop in. */
__attribute__((noipa)) int sum_squares(const int *v, int n)
{
	int total = 0;

	for (int i = 0; i < n; i++)
		total += v[i] * v[i];
	return total;
}

int main(void)
{
	int values[4] = { 1, 2, 3, 4 };
	int total = sum_squares(values, 4);

	printf("sum of squares: %d\n", total);
	return total;
}
