/* Option values: sizes, addresses, durations, modes. Pure functions. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kvm.h"

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Leading decimal or hex digits into *v; returns chars used, or -1 on overflow. */
static int digits(const char *s, unsigned base, uint64_t *v)
{
	uint64_t acc = 0;
	int n = 0;

	for (;; n++) {
		int d = parse_hex_digit(s[n]);

		if (d < 0 || (unsigned)d >= base)
			break;
		if (__builtin_mul_overflow(acc, base, &acc) ||
		    __builtin_add_overflow(acc, (unsigned)d, &acc))
			return -1;
	}
	*v = acc;
	return n;
}

static int number_start(const char *s, const char **why)
{
	if (!s || !*s)
		return fail(why, "empty");
	if (*s == '-')
		return fail(why, "negative");
	if (!(*s >= '0' && *s <= '9'))
		return fail(why, "not a number");
	return 0;
}

int parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t v, shift = 20;
	int n;

	if (number_start(s, why))
		return -1;
	n = digits(s, 10, &v);
	if (n < 0)
		return fail(why, "too large");
	s += n;
	if (*s) {
		switch (*s) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return fail(why, "trailing garbage after the number (use K, M, G or T)");
		}
		s++;
		if (*s)
			return fail(why, "trailing garbage after the unit");
	}
	if (v == 0)
		return fail(why, "zero");
	if (v > (UINT64_MAX >> shift))
		return fail(why, "too large");
	*out = v << shift;
	return 0;
}

int parse_addr(const char *s, uint64_t *out, const char **why)
{
	unsigned base = 10;
	uint64_t v;
	int n;

	if (number_start(s, why))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	n = digits(s, base, &v);
	if (n < 0)
		return fail(why, "too large");
	if (n == 0)
		return fail(why, "not a number");
	if (s[n])
		return fail(why, "trailing garbage after the number");
	*out = v;
	return 0;
}

int parse_seconds(const char *s, uint64_t *ns, const char **why)
{
	const uint64_t max_s = 1000000000ULL;
	uint64_t whole = 0, frac = 0, scale = 100000000ULL;
	bool tiny = false;	/* non-zero digits below a nanosecond */
	int n = 0;

	if (!s || !*s)
		return fail(why, "empty");
	if (*s == '-')
		return fail(why, "negative");
	if (*s != '.' && !(*s >= '0' && *s <= '9'))
		return fail(why, "not a number");
	if (*s != '.') {
		n = digits(s, 10, &whole);
		if (n < 0 || whole > max_s)
			return fail(why, "too large (at most 1000000000 seconds)");
		s += n;
	}
	if (*s == '.') {
		s++;
		if (n == 0 && !(*s >= '0' && *s <= '9'))
			return fail(why, "not a number");
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (uint64_t)(*s - '0') * scale;
			tiny |= scale == 0 && *s != '0';
			scale /= 10;
		}
	}
	if (*s)
		return fail(why, "trailing garbage after the number");
	if (whole == max_s && frac)
		return fail(why, "too large (at most 1000000000 seconds)");
	if (whole == 0 && frac == 0)
		return fail(why, tiny ? "less than a nanosecond" : "zero");
	*ns = whole * 1000000000ULL + frac;
	return 0;
}

const char *size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u + 1 < sizeof units / sizeof units[0] && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[u]);
	return buf;
}

static const char *const mode_names[] = {
	[MODE_REAL] = "real",
	[MODE_PROTECTED] = "protected",
	[MODE_LONG] = "long",
	[MODE_USER] = "user",
};

const char *mode_name(enum cpu_mode m)
{
	if ((unsigned)m < sizeof mode_names / sizeof mode_names[0])
		return mode_names[m];
	return "?";
}

int parse_mode(const char *s, enum cpu_mode *out)
{
	for (unsigned i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum cpu_mode)i;
			return 0;
		}
	}
	return -1;
}

int parse_cpus(const char *s, unsigned *out, const char **why)
{
	uint64_t v;
	int n;

	if (number_start(s, why))
		return -1;
	n = digits(s, 10, &v);
	if (n > 0 && s[n])
		return fail(why, "trailing garbage after the number");
	if (n < 0 || v > VM_MAX_CPUS)
		return fail(why, "more than kvmrun's maximum of 128 vCPUs");
	if (v == 0)
		return fail(why, "zero: a VM needs at least one vCPU");
	*out = (unsigned)v;
	return 0;
}
