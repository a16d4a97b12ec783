/*
 * The kit's printf subset (see kvmrun.h): one formatter writing either to
 * COM1 or into a buffer. No 64-bit division here: 32-bit guests have no
 * libgcc to provide __udivdi3, so large numbers are divided bit by bit.
 */
#include "kvmrun.h"

struct sink {
	char *buf;	/* NULL: COM1 */
	size_t size;	/* bytes of buf */
	size_t n;	/* characters produced so far */
};

static void emit(struct sink *s, char c)
{
	if (!s->buf)
		putchar(c);
	else if (s->n + 1 < s->size)
		s->buf[s->n] = c;
	s->n++;
}

static void pad(struct sink *s, char c, int count)
{
	while (count-- > 0)
		emit(s, c);
}

/* divmod: *v /= base, returning the remainder. */
static unsigned divmod(unsigned long long *v, unsigned base)
{
	unsigned long long q = 0;
	unsigned r = 0;

	if (*v <= 0xffffffffu) {
		uint32_t x = (uint32_t)*v;

		*v = x / base;
		return x % base;
	}
	for (int bit = 63; bit >= 0; bit--) {
		r = (r << 1) | (unsigned)((*v >> bit) & 1);
		if (r >= base) {
			r -= base;
			q |= 1ULL << bit;
		}
	}
	*v = q;
	return r;
}

/* field: text (len chars) after a sign or prefix, padded to width. */
static void field(struct sink *s, const char *prefix, const char *text, int len,
		  int width, bool left, bool zero)
{
	int plen = (int)strlen(prefix), fill = width - plen - len;

	if (!left && !zero)
		pad(s, ' ', fill);
	while (*prefix)
		emit(s, *prefix++);
	if (!left && zero)
		pad(s, '0', fill);
	while (len--)
		emit(s, *text++);
	if (left)
		pad(s, ' ', fill);
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
	char digits[24], *end = digits + sizeof digits, *p;
	const char *hex;

	for (; *fmt; fmt++) {
		const char *start = fmt, *prefix = "";
		bool left = false, zero = false, neg = false;
		int width = 0, lng = 0;
		unsigned long long v;
		unsigned base = 10;

		if (*fmt != '%') {
			emit(s, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++)
			*fmt == '-' ? (left = true) : (zero = true);
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0)
				left = true, width = -width;
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l'; fmt++)
			lng++;
		if (*fmt == 'z')
			lng = sizeof(size_t) == sizeof(long) ? 1 : 0, fmt++;
		hex = "0123456789abcdef";
		switch (*fmt) {
		case 'd': case 'i': {
			long long d = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);

			neg = d < 0;
			v = neg ? 0 - (unsigned long long)d : (unsigned long long)d;
			break;
		}
		case 'X':
			hex = "0123456789ABCDEF";
			/* fall through */
		case 'x': case 'u':
			base = *fmt == 'u' ? 10 : 16;
			v = lng >= 2 ? va_arg(ap, unsigned long long)
			  : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			break;
		case 'p':
			base = 16, prefix = "0x";
			v = (uintptr_t)va_arg(ap, void *);
			break;
		case 's':
			p = va_arg(ap, char *);
			if (!p)
				p = "(null)";
			field(s, "", p, (int)strlen(p), width, left, false);
			continue;
		case 'c':
			digits[0] = (char)va_arg(ap, int);
			field(s, "", digits, 1, width, left, false);
			continue;
		case '%':
			emit(s, '%');
			continue;
		default:	/* unknown: print the conversion as written */
			if (!*fmt)
				fmt--;
			while (start <= fmt)
				emit(s, *start++);
			continue;
		}
		p = end;
		do
			*--p = hex[divmod(&v, base)];
		while (v);
		field(s, neg ? "-" : prefix, p, (int)(end - p), width, left, zero);
	}
	return (int)s->n;
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s = { 0 };

	return format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };
	int n = format(&s, fmt, ap);

	if (size)
		buf[s.n < size ? s.n : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
