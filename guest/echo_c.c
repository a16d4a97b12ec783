/* Echo each input line in upper case until a line "quit"; then exit 0. */
#include "kvmrun.h"

int main(void)
{
	char line[256];

	for (;;) {
		readline(line, sizeof line);
		if (strcmp(line, "quit") == 0)
			return 0;
		for (char *p = line; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		puts(line);
	}
}
