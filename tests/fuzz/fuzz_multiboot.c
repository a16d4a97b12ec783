/*
 * fuzz_multiboot: the input is a kernel file, optionally followed by the
 * --append string and up to two modules, each part after the separator
 * "\n--split--\n":  KERNEL [SEP APPEND [SEP MODULE0 [SEP MODULE1]]]
 * (the append string ends at its first NUL; a part may be empty).
 * mb_find() is checked against the specification's search; when it finds a
 * header, mb_load() loads into 2 MiB of fake RAM with the GDT and the
 * information page reserved as main.c's load() reserves them. A success is
 * checked field by field: mb_info 0x9000, memory, command line, modules
 * (page-aligned, after the kernel, their bytes), memory map, loader name,
 * and no byte of RAM written outside what was placed.
 */
#include "fuzz_util.h"

#define SEP "\n--split--\n"
#define SEP_LEN (sizeof SEP - 1)
#define NPARTS 4

static const char *const mod_path[2] = { "mod0", "mod1" };
static const char *const mod_string[2] = { NULL, "root=/dev/fuzz quiet" };

static uint32_t ram32(const struct guest_mem *m, uint64_t gpa)
{
	CHECK(gpa + 4 <= m->size, "read of 0x%llx outside RAM", (unsigned long long)gpa);
	return (uint32_t)le(m->host + gpa, 4);
}

/* The NUL-terminated string at gpa, which must lie in RAM; its length in *len. */
static const char *guest_str(const struct guest_mem *m, uint64_t gpa, uint64_t *len)
{
	const uint8_t *nul;

	CHECK(gpa < m->size, "string at 0x%llx outside RAM", (unsigned long long)gpa);
	nul = memchr(m->host + gpa, 0, m->size - gpa);
	CHECK(nul, "string at 0x%llx runs to the top of RAM unterminated", (unsigned long long)gpa);
	*len = (uint64_t)(nul - (m->host + gpa));
	return (const char *)m->host + gpa;
}

/* The first header the specification allows: 4-aligned, its 12 bytes in the first 8 KiB. */
static long ref_find(const uint8_t *d, size_t n)
{
	size_t limit = n < MB_SEARCH ? n : MB_SEARCH;

	for (size_t off = 0; off + 12 <= limit; off += 4) {
		uint32_t magic = (uint32_t)le(d + off, 4), flags = (uint32_t)le(d + off + 4, 4);
		uint32_t sum = (uint32_t)le(d + off + 8, 4);

		if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0)
			return (long)off;
	}
	return -1;
}

static void check_find(const struct file_buf *k, int found, const struct mb_header *h)
{
	long off = ref_find(k->data, k->size);

	CHECK((found == 0) == (off >= 0), "mb_find says %d, the search finds offset %ld", found, off);
	if (off < 0)
		return;
	CHECK(h->offset == (uint64_t)off, "mb_find's header at %u, the first valid one is at %ld", h->offset, off);
	CHECK(h->flags == le(k->data + off + 4, 4), "flags 0x%x", h->flags);
	if ((uint64_t)off + 32 <= k->size)
		CHECK(h->header_addr == le(k->data + off + 12, 4) && h->load_addr == le(k->data + off + 16, 4) &&
		      h->load_end_addr == le(k->data + off + 20, 4) && h->bss_end_addr == le(k->data + off + 24, 4) &&
		      h->entry_addr == le(k->data + off + 28, 4), "address fields differ from the file");
	else
		CHECK(!h->header_addr && !h->load_addr && !h->load_end_addr && !h->bss_end_addr && !h->entry_addr,
		      "address fields set for a header cut off before them");
}

static void check_loaded(const struct guest_mem *m, const struct file_buf *kernel, const struct mb_header *h,
			 const struct mb_params *bp, const struct range *rsv, unsigned nrsv, const struct image *img)
{
	const uint64_t info = img->mb_info;
	struct span spans[2 + 2 + 2 * 2];
	unsigned nspan = 0;
	uint64_t len, cur, want_len;
	const char *s;

	CHECK(img->mb_info == ((img->high + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1)),
	      "img->mb_info 0x%x is not the page after the kernel (end 0x%llx)", img->mb_info,
	      (unsigned long long)img->high);
	CHECK(img->format == FORMAT_MULTIBOOT, "img->format %d", img->format);
	CHECK(img->low < img->high && img->high <= m->size, "kernel span 0x%llx-0x%llx",
	      (unsigned long long)img->low, (unsigned long long)img->high);
	CHECK(img->entry >= img->low && img->entry < img->high && img->entry < 0x100000000ULL,
	      "entry 0x%llx outside the kernel 0x%llx-0x%llx", (unsigned long long)img->entry,
	      (unsigned long long)img->low, (unsigned long long)img->high);
	if (h->flags & (1u << 16))	/* a.out kludge: one contiguous kernel, clear of the runner's ranges */
		for (unsigned r = 0; r < nrsv; r++)
			CHECK(!meets(img->low, img->high - img->low, rsv[r].start, rsv[r].end - rsv[r].start),
			      "a.out kernel 0x%llx-0x%llx over the reserved %s", (unsigned long long)img->low,
			      (unsigned long long)img->high, rsv[r].what);
	spans[nspan++] = (struct span){ img->low, img->high, "kernel" };
	spans[nspan++] = (struct span){ info, info + GUEST_PAGE, "information page" };

	CHECK(ram32(m, info + 0) == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9)),
	      "info flags 0x%x", ram32(m, info));
	CHECK(ram32(m, info + 4) == 640 && ram32(m, info + 8) == (FUZZ_RAM - 0x100000) / 1024,
	      "mem_lower %u, mem_upper %u", ram32(m, info + 4), ram32(m, info + 8));

	/* The command line: the kernel's path, a space, the --append string. */
	cur = ram32(m, info + 16);
	s = guest_str(m, cur, &len);
	want_len = strlen(kernel->path) + 1 + (bp->append ? strlen(bp->append) : 0);
	CHECK(len == want_len && memcmp(s, kernel->path, strlen(kernel->path)) == 0 && s[strlen(kernel->path)] == ' ' &&
	      (!bp->append || memcmp(s + strlen(kernel->path) + 1, bp->append, strlen(bp->append)) == 0),
	      "command line '%.*s'", (int)len, s);
	CHECK(cur >= img->high && cur >= info + GUEST_PAGE, "command line at 0x%llx, inside the kernel or below the "
	      "information page", (unsigned long long)cur);
	spans[nspan++] = (struct span){ cur, cur + len + 1, "command line" };

	CHECK(ram32(m, info + 20) == bp->nmods && ram32(m, info + 24) == info + 0x100, "mods_count %u, mods_addr 0x%x",
	      ram32(m, info + 20), ram32(m, info + 24));
	for (unsigned i = 0; i < bp->nmods; i++) {
		const struct mb_module *mod = &bp->mods[i];
		uint64_t e = info + 0x100 + 16 * i, start = ram32(m, e), end = ram32(m, e + 4), str = ram32(m, e + 8);

		CHECK(ram32(m, e + 12) == 0, "module %u: reserved field 0x%x", i, ram32(m, e + 12));
		CHECK(start % GUEST_PAGE == 0, "module %u at 0x%llx is not page-aligned", i, (unsigned long long)start);
		CHECK(end >= start && end - start == mod->file.size && end <= m->size,
		      "module %u at 0x%llx-0x%llx for %llu bytes", i, (unsigned long long)start,
		      (unsigned long long)end, (unsigned long long)mod->file.size);
		CHECK(start >= img->high && start >= info + GUEST_PAGE, "module %u at 0x%llx not after the kernel and "
		      "the information page", i, (unsigned long long)start);
		CHECK(!mod->file.size || memcmp(m->host + start, mod->file.data, mod->file.size) == 0,
		      "module %u: bytes differ", i);
		s = guest_str(m, str, &len);
		want_len = strlen(mod->file.path) + (mod->string ? 1 + strlen(mod->string) : 0);
		CHECK(len == want_len && memcmp(s, mod->file.path, strlen(mod->file.path)) == 0 &&
		      (!mod->string || (s[strlen(mod->file.path)] == ' ' &&
					strcmp(s + strlen(mod->file.path) + 1, mod->string) == 0)),
		      "module %u string '%.*s'", i, (int)len, s);
		CHECK(str >= img->high && str >= info + GUEST_PAGE, "module %u string at 0x%llx", i,
		      (unsigned long long)str);
		spans[nspan++] = (struct span){ str, str + len + 1, "module string" };
		spans[nspan++] = (struct span){ start, end, "module" };
	}
	/* Everything the loader placed after the kernel is disjoint. */
	for (unsigned i = 2; i < nspan; i++)
		for (unsigned j = 0; j < i; j++)
			CHECK(!meets(spans[i].start, spans[i].end - spans[i].start, spans[j].start,
				     spans[j].end - spans[j].start),
			      "%s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx", spans[i].what,
			      (unsigned long long)spans[i].start, (unsigned long long)spans[i].end, spans[j].what,
			      (unsigned long long)spans[j].start, (unsigned long long)spans[j].end);

	CHECK(ram32(m, info + 44) == (m->high ? 48u : 24u) && ram32(m, info + 48) == info + 0x80,
	      "mmap_length %u, mmap_addr 0x%x", ram32(m, info + 44), ram32(m, info + 48));
	CHECK(ram32(m, info + 0x80) == 20 && le(m->host + info + 0x84, 8) == 0 &&
	      le(m->host + info + 0x8c, 8) == m->size - m->high && ram32(m, info + 0x94) == 1, "memory map entry");
	CHECK(ram32(m, info + 64) == info + 0xb0 && memcmp(m->host + info + 0xb0, "kvmrun", 7) == 0,
	      "boot loader name");
	check_untouched_outside(m, spans, nspan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m = fuzz_ram();
	const uint8_t *part[NPARTS];
	size_t plen[NPARTS], nparts = 0;
	const uint8_t *at = data, *end = data + size;
	struct mb_module mods[2];
	struct mb_params bp = { 0 };
	struct range rsv[2];
	struct file_buf kernel;
	struct mb_header h;
	struct image img;
	char why[256] = "", *append = NULL;
	uint8_t *copy[NPARTS] = { NULL };
	int found;

	/* Split; each part gets a buffer of its exact size, so ASan sees a read past its end. */
	while (nparts < NPARTS) {
		const uint8_t *sep = nparts + 1 < NPARTS ? memmem(at, (size_t)(end - at), SEP, SEP_LEN) : NULL;

		part[nparts] = at;
		plen[nparts] = sep ? (size_t)(sep - at) : (size_t)(end - at);
		if (plen[nparts]) {
			copy[nparts] = malloc(plen[nparts]);
			memcpy(copy[nparts], part[nparts], plen[nparts]);
		}
		nparts++;
		if (!sep)
			break;
		at = sep + SEP_LEN;
	}
	if (!plen[0])
		goto out;	/* file_map refuses an empty guest */

	kernel = (struct file_buf){ .path = "kernel", .data = copy[0], .size = plen[0] };
	if (nparts > 1) {
		append = calloc(1, plen[1] + 1);
		if (plen[1])
			memcpy(append, copy[1], plen[1]);
		bp.append = append;
	}
	for (size_t i = 2; i < nparts; i++)
		mods[i - 2] = (struct mb_module){
			.file = { .path = mod_path[i - 2], .data = copy[i], .size = plen[i] },
			.string = mod_string[i - 2],
		};
	bp.mods = mods;
	bp.nmods = nparts > 2 ? (unsigned)(nparts - 2) : 0;

	found = mb_find(&kernel, &h);
	check_find(&kernel, found, &h);
	if (found < 0)
		goto out;

	rsv[0] = (struct range){ GUEST_GDT, cpu_region_end(MODE_PROTECTED, m.size), "GDT" };
	if (mb_load(&m, &kernel, &h, &bp, rsv, 1, &img, why, sizeof why) == 0)
		check_loaded(&m, &kernel, &h, &bp, rsv, 1, &img);
	else {
		CHECK(why[0] && memchr(why, 0, sizeof why), "mb_load refused without a reason");
		check_why_ranges(why);
	}
	/* A refusal after the kernel loaded may leave bytes behind: start the next input from canary. */
	memset(m.host, FUZZ_CANARY, m.size);
out:
	free(append);
	for (size_t i = 0; i < NPARTS; i++)
		free(copy[i]);
	return 0;
}
