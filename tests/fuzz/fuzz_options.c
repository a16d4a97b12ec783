/*
 * fuzz_options: the input is split at NUL bytes into strings (each in a
 * buffer of its exact length, so ASan sees a read past the terminator), and
 * each string goes to every option parser of kvm.h. What kvm.h promises is
 * checked against a reference reading of the same string:
 *   parse_size     "N" (MiB) or "N" + one of KkMmGgTt; a success is non-zero,
 *                  a multiple of 1024, N times the unit; a failure leaves *out
 *                  alone and gives one of the reasons kvm.h lists;
 *   parse_addr     "0x"/"0X" + hex digits or decimal digits, the exact value;
 *   parse_seconds  digits, "." and digits (one side at least), non-zero,
 *                  at most 10^9 s, in nanoseconds (digits past the 9th
 *                  truncated); no exponent, sign, inf or nan;
 *   parse_cpus     decimal digits, 1 to VM_MAX_CPUS, the exact value;
 *   parse_mode, parse_format: exactly the listed words; mode_name and
 *                  format_name give the word back;
 *   size_str       "N UNIT" in the largest unit that divides, fits its buffer.
 */
#include "fuzz_util.h"

#define MAX_SLICES 16
#define UNTOUCHED  0x5eed5eed5eed5eedULL

static const char *const size_reasons[] = {
	"empty", "not a number", "negative", "trailing garbage after the number (use K, M, G or T)",
	"trailing garbage after the unit", "too large", "zero",
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reference readings: 0 and the value, or -1. */
static int ref_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, unit = 1ULL << 20;

	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	if (*s) {
		switch (*s) {
		case 'k': case 'K': unit = 1ULL << 10; break;
		case 'm': case 'M': unit = 1ULL << 20; break;
		case 'g': case 'G': unit = 1ULL << 30; break;
		case 't': case 'T': unit = 1ULL << 40; break;
		default: return -1;
		}
		if (s[1])
			return -1;
	}
	if (!v || __builtin_mul_overflow(v, unit, out))
		return -1;
	return 0;
}

static int ref_addr(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		d = base == 16 ? hex_value(*s) : is_digit(*s) ? *s - '0' : -1;
		if (d < 0 || __builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, (uint64_t)d, &v))
			return -1;
	}
	*out = v;
	return 0;
}

static int ref_seconds(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 100000000ULL;
	int before = 0, after = 0;

	for (; is_digit(*s); s++, before++)
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*s - '0'), &whole))
			return -1;
	if (*s == '.')
		for (s++; is_digit(*s); s++, after++) {
			frac += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	if (*s || (!before && !after))
		return -1;
	if (whole > 1000000000ULL || (whole == 1000000000ULL && frac))
		return -1;
	*out = whole * 1000000000ULL + frac;
	return *out ? 0 : -1;
}

static void check_size_str(uint64_t bytes, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	char buf[48], *end;
	unsigned long long n;
	unsigned u;

	memset(buf, 'x', sizeof buf);
	CHECK(size_str(bytes, buf, len) == buf, "size_str returned another buffer");
	CHECK(memchr(buf, 0, len) != NULL, "size_str left %zu bytes unterminated", len);
	CHECK(len == sizeof buf || buf[len] == 'x', "size_str wrote past its %zu bytes", len);
	if (len < sizeof buf)
		return;
	n = strtoull(buf, &end, 10);
	CHECK(*end == ' ', "size_str(%llu) gave '%s'", (unsigned long long)bytes, buf);
	for (u = 0; u < 5 && strcmp(end + 1, units[u]) != 0; u++)
		;
	CHECK(u < 5, "size_str(%llu) gave unit '%s'", (unsigned long long)bytes, end + 1);
	CHECK(n << (10 * u) >> (10 * u) == n && n << (10 * u) == bytes, "size_str(%llu) gave '%s'",
	      (unsigned long long)bytes, buf);
	CHECK(u == 4 || n == 0 || n % 1024 != 0, "size_str(%llu) gave '%s', not the largest unit",
	      (unsigned long long)bytes, buf);
}

static void check_string(const char *s, size_t slen)
{
	static const char *const modes[] = { "real", "protected", "long", "user" };
	static const char *const formats[] = { "flat", "elf", "multiboot", "linux", "pvh" };
	uint64_t v = UNTOUCHED, ref;
	const char *why = NULL;
	enum cpu_mode mode;
	enum image_format fmt;
	int r, known;

	r = parse_size(s, &v, &why);
	if (r == 0) {
		CHECK(ref_size(s, &ref) == 0 && v == ref, "parse_size('%s') = %llu", s, (unsigned long long)v);
		CHECK(v != 0 && v % 1024 == 0, "parse_size('%s') = %llu", s, (unsigned long long)v);
	} else {
		unsigned i;

		CHECK(r == -1 && v == UNTOUCHED, "parse_size('%s') failed with %d, *out %llu", s, r, (unsigned long long)v);
		CHECK(ref_size(s, &ref) < 0, "parse_size('%s') refused (%s) a valid size", s, why ? why : "(null)");
		for (i = 0; why && i < sizeof size_reasons / sizeof size_reasons[0]; i++)
			if (strcmp(why, size_reasons[i]) == 0)
				break;
		CHECK(why && i < sizeof size_reasons / sizeof size_reasons[0], "parse_size('%s'): reason '%s'", s,
		      why ? why : "(null)");
	}
	check_size_str(r == 0 ? v : slen, 48);

	v = UNTOUCHED, why = NULL;
	r = parse_addr(s, &v, &why);
	if (r == 0)
		CHECK(ref_addr(s, &ref) == 0 && v == ref, "parse_addr('%s') = 0x%llx", s, (unsigned long long)v);
	else
		CHECK(r == -1 && v == UNTOUCHED && why && *why && ref_addr(s, &ref) < 0,
		      "parse_addr('%s') failed with %d, *out 0x%llx, reason '%s'", s, r, (unsigned long long)v,
		      why ? why : "(null)");

	v = UNTOUCHED, why = NULL;
	r = parse_seconds(s, &v, &why);
	if (r == 0)
		CHECK(ref_seconds(s, &ref) == 0 && v == ref && v != 0 && v <= 1000000000ULL * 1000000000ULL,
		      "parse_seconds('%s') = %llu ns", s, (unsigned long long)v);
	else
		CHECK(r == -1 && v == UNTOUCHED && why && *why && ref_seconds(s, &ref) < 0,
		      "parse_seconds('%s') failed with %d, *ns %llu, reason '%s'", s, r, (unsigned long long)v,
		      why ? why : "(null)");

	{
		/* parse_cpus: decimal digits only, 1 to VM_MAX_CPUS; *out untouched on failure. */
		unsigned n = 0xdead;
		int dec = *s && strspn(s, "0123456789") == strlen(s);
		int valid = dec && ref_addr(s, &ref) == 0 && ref >= 1 && ref <= VM_MAX_CPUS;

		why = NULL;
		r = parse_cpus(s, &n, &why);
		if (r == 0)
			CHECK(valid && n == ref, "parse_cpus('%s') = %u", s, n);
		else
			CHECK(r == -1 && n == 0xdead && why && *why && !valid,
			      "parse_cpus('%s') failed with %d, *out %u, reason '%s'", s, r, n, why ? why : "(null)");
	}

	known = 0;
	for (unsigned i = 0; i < 4; i++)
		known |= strcmp(s, modes[i]) == 0;
	mode = (enum cpu_mode)99;
	r = parse_mode(s, &mode);
	CHECK((r == 0) == known, "parse_mode('%s') returned %d", s, r);
	CHECK(r != 0 || strcmp(mode_name(mode), s) == 0, "parse_mode('%s') gave %d, named '%s'", s, mode,
	      mode_name(mode));
	CHECK(r == 0 || mode == (enum cpu_mode)99, "parse_mode('%s') failed but wrote %d", s, mode);

	known = 0;
	for (unsigned i = 0; i < sizeof formats / sizeof formats[0]; i++)
		known |= strcmp(s, formats[i]) == 0;
	fmt = (enum image_format)99;
	r = parse_format(s, &fmt);
	CHECK((r == 0) == known, "parse_format('%s') returned %d", s, r);
	CHECK(r != 0 || (fmt != FORMAT_AUTO && strcmp(format_name(fmt), s) == 0), "parse_format('%s') gave %d", s, fmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *at = data, *end = data + size;

	for (unsigned n = 0; n < MAX_SLICES && at <= end; n++) {
		const uint8_t *nul = memchr(at, 0, (size_t)(end - at));
		size_t len = nul ? (size_t)(nul - at) : (size_t)(end - at);
		char *s = malloc(len + 1);

		memcpy(s, at, len);
		s[len] = 0;
		check_string(s, len);
		/* size_str on the slice's first 8 bytes as a number, into buffers of every small size. */
		if (len >= 8) {
			uint64_t v = le(at, 8);

			for (size_t blen = 1; blen <= 48; blen += 1 + blen / 4)
				check_size_str(v, blen);
			check_size_str(v, 48);
		}
		free(s);
		if (!nul)
			break;
		at = nul + 1;
	}
	return 0;
}
