/* Read a decimal number (0-255) from the first input line and exit with it. */
#include "kvmrun.h"

int main(void)
{
	char line[64];
	const char *p = line;
	int n = 0, digits = 0;

	readline(line, sizeof line);
	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9' && n <= 255; p++, digits++)
		n = n * 10 + (*p - '0');
	while (*p == ' ')
		p++;
	if (!digits || *p || n > 255) {
		printf("exit_c: expected a number from 0 to 255, got '%s'\n", line);
		return 1;
	}
	exit(n);
}
