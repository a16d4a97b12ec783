/*
 * The guest kit's API: what a C guest of kvmrun can call. No libc exists
 * inside the guest; these are the kit's own, small and polling:
 *   serial.c  COM1 output and input, exit()
 *   printf.c  printf, vprintf, snprintf (a subset, below)
 *   string.c  memset, memcpy, memmove, memcmp, strlen, strcmp
 * start64.S calls int main(void) in long mode; multiboot.S calls
 * int kmain(uint32_t magic, struct multiboot_info *mbi) in 32-bit
 * protected mode (see multiboot.h). When either returns, the stub calls
 * exit() with the value returned.
 */
#ifndef KVMRUN_KIT_H
#define KVMRUN_KIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ports, as in kvmrun.inc and kvmrun's README. */
#define COM1        0x3f8   /* 16550 UART: THR (write) and RBR (read) */
#define COM1_LSR    0x3fd   /* line status */
#define LSR_DR      0x01    /* a received byte is waiting in RBR */
#define LSR_THRE    0x20    /* THR is empty: a byte may be written */
#define QEMU_EXIT   0xf4    /* QEMU isa-debug-exit: status (v << 1) | 1 */
#define KVMRUN_EXIT 0xf8    /* kvmrun: status v exactly, 0-255 */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* putchar: write one byte to COM1, waiting for THR empty. Returns c as an unsigned char. */
int putchar(int c);

/* puts: write s and a newline, as C's puts. Returns 0. */
int puts(const char *s);

/*
 * getchar: wait for a byte from COM1 and return it (0-255). A serial line
 * has no end of file: under kvmrun, once stdin is exhausted getchar waits
 * forever, so feed input that ends the way the guest expects (or use
 * --timeout).
 */
int getchar(void);

/*
 * readline: read one line into buf (size > 0 bytes, NUL-terminated) and
 * return its length. The line ends at '\n' or '\r' (a '\n' straight after
 * a '\r' is skipped, so CRLF input and a raw terminal both work); the end
 * is not stored. Characters beyond size - 1 are read and dropped.
 */
size_t readline(char *buf, size_t size);

/*
 * printf and friends, a subset: %d %i %u %x %X %p %s %c %%, length
 * modifiers l, ll and z, flags '-' (left-justify) and '0' (pad with
 * zeros), a field width (digits or '*'). No precision, no floating point.
 * %p prints 0x and lower-case hex. Another conversion is printed as
 * written. Return the number of characters produced (snprintf: the
 * number it would have written, as C's).
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * exit: end the run with status & 0xff. Writes it to kvmrun's exact exit
 * port 0xf8, so kvmrun exits with that status (0-255) at once. Elsewhere
 * (QEMU with -device isa-debug-exit,iobase=0xf4,iosize=4) the write is
 * ignored and the second one, to 0xf4, ends QEMU with (status << 1) | 1:
 * exit(0) gives 1 there. With neither device, the CPU halts for good.
 */
void exit(int status) __attribute__((noreturn));

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
