/* The smallest C guest: print a line, return 0 (the exit status). */
#include "kvmrun.h"

int main(void)
{
	printf("Hello from C!\n");
	return 0;
}
