/* The kit's COM1 driver (polling, as kvmrun's UART expects) and exit(). */
#include "kvmrun.h"

int putchar(int c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
	return (unsigned char)c;
}

int puts(const char *s)
{
	while (*s)
		putchar(*s++);
	putchar('\n');
	return 0;
}

int getchar(void)
{
	while (!(inb(COM1_LSR) & LSR_DR))
		;
	return inb(COM1);
}

size_t readline(char *buf, size_t size)
{
	static int after_cr;	/* the last line ended at '\r': skip a '\n' next */
	size_t len = 0;
	int c;

	for (;;) {
		c = getchar();
		if (c == '\n' && after_cr) {
			after_cr = 0;
			continue;
		}
		after_cr = c == '\r';
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 < size)
			buf[len++] = (char)c;
	}
	buf[len] = '\0';
	return len;
}

void exit(int status)
{
	outb(KVMRUN_EXIT, (uint8_t)status);	/* kvmrun ends the run here */
	outb(QEMU_EXIT, (uint8_t)status);	/* QEMU's isa-debug-exit, if any */
	for (;;)
		__asm__ volatile("cli; hlt");
}
