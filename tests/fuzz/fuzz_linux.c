/*
 * fuzz_linux: the input is a guest file, a bzImage or a vmlinux, as main.c
 * hands it to boot/linux.c. Its last four bytes (part of the file too) pick
 * the rest of what a user gives: byte -1 the RAM (--mem: eight sizes from
 * 2M to 5G, or 36K to 2M in steps of 128K), -2 the command line's length (0 to 0x10001 bytes), -3 the
 * initrd's size (none to 2M + 1), -4 the CPUs (1 to 8). Then:
 *
 *   linux_is_bzimage() against the setup header's magic;
 *   linux_check() and pvh_entry() on the file cut short at each field's
 *   edge (an exact-size copy: ASan sees any read past the end);
 *   linux_check() at 128M, 256M, 5G and the chosen RAM, with the chosen
 *   initrd and with a huge one (never read): every refusal says why and names
 *   no impossible range, more RAM never turns a yes into a no, a success
 *   holds the boot protocol's rules (version, xloadflags, loadflags, setup
 *   against the file, the command line against cmdline_size, RAM against
 *   init_size, the initrd against RAM and initrd_addr_max);
 *   linux_load() into RAM of the chosen size: it loads exactly when
 *   linux_check() agrees, refuses with the same reason and writes nothing,
 *   or puts the protected-mode kernel at 1 MiB, the zero page (the file's
 *   setup header, the loader's fields, the e820 map), the command line, the
 *   initrd page-aligned clear of the kernel's init_size, and the tables;
 *   pvh_entry() finds only a real Xen note of type 18 in an ELF64;
 *   pvh_load() (any ELF: the note's entry, else e_entry) on success leaves
 *   hvm_start_info, its memory map, the command line, the MP table and the
 *   ACPI RSDP intact and the initrd clear of every one of them;
 *   either loader's refusal says "RAM is too small" only below 1 MiB.
 *
 * RAM is one mapping of 5 GiB reserved with MAP_NORESERVE, guarded on both
 * sides, reused at every size (high RAM as main.c lays it out) and given back
 * to the kernel (MADV_DONTNEED: zero again) after each load. PVH images
 * whose segments add up to more than 16 MiB get at most 32 MiB of RAM, so
 * that elf_load's zeroing stays cheap. FUZZ_VERBOSE=1 prints each load.
 */
#include <elf.h>
#include <stddef.h>
#include <sys/mman.h>

#include "fuzz_util.h"
#include "boot/boot.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define RAM_MAX (5 * GIB)
#define INITRD_MAX (2 * MIB + 1)
#define CMD_MAX 0x10001		/* the longest command line tried: LINUX_CMDLINE_MAX holds 0xffff */

static uint8_t *ram_base;
static int verbose;		/* FUZZ_VERBOSE=1: say what each loader did (to read what a seed reaches) */
static uint8_t initrd_data[INITRD_MAX];
static char cmd[CMD_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *p = mmap(NULL, RAM_MAX + 2 * GUEST_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)argc;
	(void)argv;
	if (p == MAP_FAILED || mprotect(p, GUEST_PAGE, PROT_NONE) < 0 ||
	    mprotect(p + GUEST_PAGE + RAM_MAX, GUEST_PAGE, PROT_NONE) < 0) {
		perror("fuzz_linux: mmap");
		abort();
	}
	ram_base = p + GUEST_PAGE;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	for (size_t i = 0; i < sizeof initrd_data; i++)
		initrd_data[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < CMD_MAX; i++)
		cmd[i] = (char)('a' + i % 26);
	return 0;
}

static struct guest_mem ram(uint64_t bytes)
{
	return (struct guest_mem){ .host = ram_base, .size = bytes, .high = ram_high(bytes) };
}

static void ram_reset(void)
{
	if (madvise(ram_base, RAM_MAX, MADV_DONTNEED) < 0)
		abort();
}

/* Host pointer to guest-physical gpa (checked by guest_range, which the loaders trust). */
static uint8_t *at(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_range(m, gpa, len);

	CHECK(p, "0x%llx+0x%llx is not RAM", (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

static int all_zero(const uint8_t *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void check_why(const char *what, const char *why, size_t len)
{
	const char *v = strstr(why, "boot protocol ");
	unsigned major, minor;
	int end = 0;

	CHECK(why[0] && memchr(why, 0, len), "%s refused without a reason", what);
	check_why_ranges(why);
	/* "protocol 2.15 is too old" for a header too short to hold what 2.12 has: the reason misleads. */
	if (v && sscanf(v, "boot protocol %u.%u is too old%n", &major, &minor, &end) == 2 && end)
		CHECK((major << 8 | minor) < LINUX_PROTO_MIN, "%s calls protocol %u.%02u too old: %s", what, major, minor,
		      why);
}

/* A loader's refusal: a reason, and "RAM is too small" only for RAM that ends below 1 MiB, where the boot data is. */
static void check_load_why(const char *what, const char *why, size_t len, uint64_t mem)
{
	check_why(what, why, len);
	CHECK(!strstr(why, "RAM is too small for the boot data") || ram_low(mem) < LINUX_LOAD,
	      "%s says RAM is too small with %llu KiB: %s", what, (unsigned long long)(mem >> 10), why);
}

/* The memory map boot/tables.c promises for m: RAM, the EBDA and BIOS area reserved, RAM from 1 MiB, high RAM. */
static unsigned ref_map(const struct guest_mem *m, struct mem_region *r)
{
	uint64_t low = m->size - m->high;
	unsigned n = 0;

	if (low > LINUX_LOAD) {
		r[n++] = (struct mem_region){ 0, GUEST_EBDA, E820_TYPE_RAM };
		r[n++] = (struct mem_region){ GUEST_EBDA, LINUX_LOAD - GUEST_EBDA, E820_TYPE_RESERVED };
		r[n++] = (struct mem_region){ LINUX_LOAD, low - LINUX_LOAD, E820_TYPE_RAM };
	} else {
		r[n++] = (struct mem_region){ 0, low, E820_TYPE_RAM };
	}
	if (m->high)
		r[n++] = (struct mem_region){ GUEST_HIGH_START, m->high, E820_TYPE_RAM };
	return n;
}

/* The tables every Linux boot writes below 1 MiB are still there. */
static void check_tables(const struct guest_mem *m, const char *cmdline, size_t n)
{
	CHECK(memcmp(at(m, LINUX_CMDLINE, n + 1), cmdline, n + 1) == 0, "the command line at 0x%llx is not intact",
	      LINUX_CMDLINE);
	CHECK(memcmp(at(m, GUEST_MPTABLE, 4), "_MP_", 4) == 0, "no MP floating pointer at 0x%llx", GUEST_MPTABLE);
	CHECK(memcmp(at(m, GUEST_ACPI, 8), "RSD PTR ", 8) == 0, "no ACPI RSDP at 0x%llx", GUEST_ACPI);
}

/* ---- bzImage ---- */

/* The setup header as Documentation/x86/boot.rst reads it, independently of linux.c. */
struct ref_bz {
	uint64_t koff, ksize, hdr_end, init_size, pref;
	uint32_t cmdline_size, initrd_max;
	uint16_t version;
};

static int ref_is_bzimage(const uint8_t *d, size_t n)
{
	return n >= 0x206 && le(d + 0x1fe, 2) == 0xaa55 && le(d + 0x202, 4) == 0x53726448;
}

/* What a bzImage that linux_check accepted must be: the fields, or a failed property. */
static void ref_bz_read(const uint8_t *d, size_t n, size_t cmdlen, uint64_t low, struct ref_bz *b)
{
	uint64_t sects;

	CHECK(ref_is_bzimage(d, n), "accepted without the boot sector's and the setup header's magic");
	b->hdr_end = 0x202 + (uint64_t)d[0x201];
	CHECK(b->hdr_end <= n && b->hdr_end >= 0x264, "accepted with the setup header ending at 0x%llx (file: %zu)",
	      (unsigned long long)b->hdr_end, n);
	b->version = (uint16_t)le(d + 0x206, 2);
	CHECK(b->version >= LINUX_PROTO_MIN, "accepted boot protocol 0x%x", b->version);
	CHECK(le(d + 0x236, 2) & 1, "accepted without XLF_KERNEL_64");
	CHECK(d[0x211] & 1, "accepted without LOADED_HIGH");
	sects = d[0x1f1] ? d[0x1f1] : 4;
	b->koff = (sects + 1) * 512;
	CHECK(b->koff < n && b->hdr_end <= b->koff, "accepted setup_sects %llu (file: %zu bytes)",
	      (unsigned long long)sects, n);
	b->ksize = n - b->koff;
	CHECK(le(d + 0x1f4, 4) * 16 <= b->ksize + 15, "accepted syssize 0x%llx for %llu bytes of kernel",
	      (unsigned long long)le(d + 0x1f4, 4), (unsigned long long)b->ksize);
	CHECK(le(d + 0x248, 4) + le(d + 0x24c, 4) <= b->ksize, "accepted a payload past the file's end");
	b->cmdline_size = (uint32_t)le(d + 0x238, 4);
	CHECK(cmdlen <= b->cmdline_size && cmdlen < LINUX_CMDLINE_MAX,
	      "accepted a %zu-byte command line, cmdline_size %u", cmdlen, b->cmdline_size);
	b->init_size = le(d + 0x260, 4);
	b->pref = le(d + 0x258, 8);
	b->initrd_max = (uint32_t)le(d + 0x22c, 4);
	CHECK(LINUX_LOAD + (b->init_size > b->ksize ? b->init_size : b->ksize) <= low,
	      "accepted init_size 0x%llx (kernel 0x%llx bytes) with RAM ending at 0x%llx",
	      (unsigned long long)b->init_size, (unsigned long long)b->ksize, (unsigned long long)low);
	if (b->pref > LINUX_LOAD && b->pref < GUEST_HOLE_START)
		CHECK(b->pref + b->init_size <= low, "accepted pref_address 0x%llx + init_size 0x%llx past RAM at 0x%llx",
		      (unsigned long long)b->pref, (unsigned long long)b->init_size, (unsigned long long)low);
}

/* Where the initrd may go: page-aligned, in RAM at 0, under initrd_addr_max, clear of what the kernel uses. */
static void check_initrd_bz(const struct ref_bz *b, uint64_t low, uint64_t addr, uint64_t size)
{
	uint64_t run = LINUX_LOAD + (b->init_size > b->ksize ? b->init_size : b->ksize);
	uint64_t max = (uint64_t)b->initrd_max + 1;

	CHECK(addr % GUEST_PAGE == 0, "initrd at 0x%llx, not page-aligned", (unsigned long long)addr);
	CHECK(addr >= run, "initrd at 0x%llx, inside the kernel's 0x%llx-0x%llx", (unsigned long long)addr,
	      (unsigned long long)LINUX_LOAD, (unsigned long long)run - 1);
	if (b->pref > LINUX_LOAD && b->pref < GUEST_HOLE_START)
		CHECK(!meets(addr, size, b->pref, b->init_size), "initrd at 0x%llx+0x%llx over pref_address 0x%llx "
		      "+ init_size 0x%llx", (unsigned long long)addr, (unsigned long long)size,
		      (unsigned long long)b->pref, (unsigned long long)b->init_size);
	CHECK(addr + size <= low && addr + size <= max, "initrd at 0x%llx+0x%llx, past RAM (0x%llx) or "
	      "initrd_addr_max (0x%x)", (unsigned long long)addr, (unsigned long long)size, (unsigned long long)low,
	      b->initrd_max);
}

static void check_bz_loaded(const struct guest_mem *m, const uint8_t *d, size_t n, const struct linux_params *p,
			    const struct image *img, const struct cpu_entry *e)
{
	uint64_t low = m->size - m->high, isize = p->initrd ? p->initrd->size : 0;
	size_t cmdlen = strlen(p->cmdline);
	const uint8_t *bp = at(m, LINUX_BOOT_INFO, GUEST_PAGE);
	struct mem_region ref[MEM_REGIONS_MAX];
	unsigned nref = ref_map(m, ref);
	struct ref_bz b;

	ref_bz_read(d, n, cmdlen, low, &b);
	CHECK(img->format == FORMAT_LINUX && img->entry == LINUX_LOAD + 0x200 && img->low == LINUX_LOAD &&
	      img->high == LINUX_LOAD + b.ksize, "image: format %d, entry 0x%llx, span 0x%llx-0x%llx", img->format,
	      (unsigned long long)img->entry, (unsigned long long)img->low, (unsigned long long)img->high);
	CHECK(e->rip == LINUX_LOAD + 0x200 && e->rsi == LINUX_BOOT_INFO && e->boot_gdt && e->map_bytes >= low &&
	      e->rsp <= GUEST_EBDA && e->rsp > LINUX_CMDLINE + LINUX_CMDLINE_MAX, "entry: rip 0x%llx, rsi 0x%llx, "
	      "rsp 0x%llx, map_bytes 0x%llx", (unsigned long long)e->rip, (unsigned long long)e->rsi,
	      (unsigned long long)e->rsp, (unsigned long long)e->map_bytes);
	CHECK(memcmp(at(m, LINUX_LOAD, b.ksize), d + b.koff, b.ksize) == 0, "the kernel at 1 MiB differs from the file");

	/* The zero page: the file's setup header, but for the fields a loader fills in. */
	for (uint64_t i = 0x1f1; i < b.hdr_end; i++) {
		if (i == 0x210 || (i >= 0x218 && i < 0x220) || (i >= 0x228 && i < 0x22c) ||
		    (i >= 0x2d0 && i < 0x2d0 + 20 * nref))	/* a header past 0x2d0 (jump byte > 0xce) meets e820 */
			continue;
		CHECK(bp[i] == d[i], "zero page byte 0x%llx is 0x%02x, the setup header's 0x%02x",
		      (unsigned long long)i, bp[i], d[i]);
	}
	CHECK(bp[0x210] == 0xff, "type_of_loader 0x%02x", bp[0x210]);
	CHECK(le(bp + 0x228, 4) == LINUX_CMDLINE, "cmd_line_ptr 0x%llx", (unsigned long long)le(bp + 0x228, 4));
	CHECK(le(bp + 0x218, 4) + (le(bp + 0xc0, 4) << 32) == img->initrd &&
	      le(bp + 0x21c, 4) + (le(bp + 0xc4, 4) << 32) == isize && img->initrd_size == isize,
	      "ramdisk_image 0x%llx, ramdisk_size 0x%llx; image says 0x%llx+0x%llx",
	      (unsigned long long)le(bp + 0x218, 4), (unsigned long long)le(bp + 0x21c, 4),
	      (unsigned long long)img->initrd, (unsigned long long)img->initrd_size);
	CHECK(le(bp + 0x70, 8) == GUEST_ACPI, "acpi_rsdp_addr 0x%llx", (unsigned long long)le(bp + 0x70, 8));
	CHECK(all_zero(bp, 0x70) && all_zero(bp + 0x78, 0xc0 - 0x78) && all_zero(bp + 0xc8, 0x1e8 - 0xc8) &&
	      all_zero(bp + 0x1e9, 0x1f1 - 0x1e9), "the zero page before the setup header holds more than "
	      "acpi_rsdp_addr, ext_ramdisk_* and e820_entries");
	if (b.hdr_end < 0x2d0)
		CHECK(all_zero(bp + b.hdr_end, 0x2d0 - b.hdr_end), "the zero page holds bytes past the setup header's end");
	CHECK(bp[0x1e8] == nref, "e820_entries %u, not %u", bp[0x1e8], nref);
	for (unsigned i = 0; i < nref; i++) {
		const uint8_t *ent = bp + 0x2d0 + 20 * i;

		CHECK(le(ent, 8) == ref[i].addr && le(ent + 8, 8) == ref[i].size && le(ent + 16, 4) == ref[i].type,
		      "e820 entry %u: 0x%llx+0x%llx type %llu, not 0x%llx+0x%llx type %u", i,
		      (unsigned long long)le(ent, 8), (unsigned long long)le(ent + 8, 8), (unsigned long long)le(ent + 16, 4),
		      (unsigned long long)ref[i].addr, (unsigned long long)ref[i].size, ref[i].type);
	}
	{
		uint64_t from = 0x2d0 + 20 * nref > b.hdr_end ? 0x2d0 + 20 * nref : b.hdr_end;

		CHECK(all_zero(bp + from, GUEST_PAGE - from), "the zero page holds bytes past the e820 map");
	}
	if (isize) {
		check_initrd_bz(&b, low, img->initrd, isize);
		CHECK(memcmp(at(m, img->initrd, isize), p->initrd->data, isize) == 0, "the initrd's bytes differ");
	} else {
		CHECK(img->initrd == 0, "initrd at 0x%llx without one", (unsigned long long)img->initrd);
	}
	check_tables(m, p->cmdline, cmdlen);
}

/* A refused linux_load wrote nothing where it writes. */
static void check_bz_untouched(const struct guest_mem *m, size_t n, const char *why)
{
	uint64_t k = n < 64 * 1024 ? n : 64 * 1024, low = m->size - m->high;

	CHECK(all_zero(at(m, 0, 0x30000 < low ? 0x30000 : low), 0x30000 < low ? 0x30000 : low),
	      "linux_load refused (%s) but wrote below 0x30000", why);
	if (low >= LINUX_LOAD + k)
		CHECK(all_zero(at(m, GUEST_ACPI, LINUX_LOAD + k - GUEST_ACPI), LINUX_LOAD + k - GUEST_ACPI),
		      "linux_load refused (%s) but wrote the tables or the kernel", why);
}

/* ---- PVH ---- */

/* A Xen note of type 18 in the file with this entry, as pvh_entry claims? */
static int ref_has_pvh_note(const uint8_t *d, size_t n, uint32_t entry)
{
	for (size_t off = 0; off + 20 <= n; off++) {
		uint64_t descsz = le(d + off + 4, 4);

		if (le(d + off, 4) != 4 || le(d + off + 8, 4) != 18 || memcmp(d + off + 12, "Xen", 4) != 0)
			continue;
		if ((descsz == 4 && le(d + off + 16, 4) == entry) ||
		    (descsz == 8 && off + 24 <= n && le(d + off + 16, 8) == entry))
			return 1;
	}
	return 0;
}

/* The bytes the PT_LOAD segments would zero or copy, roughly (capped): to keep big images to small RAM. */
static uint64_t elf_mem_bytes(const uint8_t *d, size_t n)
{
	int is64 = d[EI_CLASS] == ELFCLASS64;
	uint64_t phoff = is64 ? le(d + 0x20, 8) : le(d + 0x1c, 4);
	unsigned ent = (unsigned)le(d + (is64 ? 0x36 : 0x2a), 2), num = (unsigned)le(d + (is64 ? 0x38 : 0x2c), 2);
	uint64_t sum = 0;

	for (unsigned i = 0; i < num && ent >= (is64 ? 48u : 24u); i++) {
		uint64_t o = phoff + (uint64_t)i * ent;

		if (phoff > n || o > n || n - o < ent)
			break;
		sum += is64 ? le(d + o + 40, 8) >> 20 : le(d + o + 20, 4) >> 20;	/* MiB, no overflow */
	}
	return sum;
}

static void check_pvh_loaded(const struct guest_mem *m, uint32_t entry, const struct linux_params *p,
			     const struct image *img, const struct cpu_entry *e)
{
	static const struct range keep[] = {
		{ GUEST_GDT, GUEST_GDT + GUEST_PAGE, "GDT" },
		{ LINUX_BOOT_INFO, LINUX_PVH_MEMMAP + GUEST_PAGE, "hvm_start_info and memory map" },
		{ LINUX_CMDLINE, LINUX_CMDLINE + LINUX_CMDLINE_MAX, "command line" },
		{ GUEST_EBDA, LINUX_LOAD, "EBDA, ACPI and MP tables" },
	};
	uint64_t low = m->size - m->high, isize = p->initrd ? p->initrd->size : 0;
	const uint8_t *si = at(m, LINUX_BOOT_INFO, GUEST_PAGE), *mm = at(m, LINUX_PVH_MEMMAP, GUEST_PAGE);
	struct mem_region ref[MEM_REGIONS_MAX];
	unsigned nref = ref_map(m, ref);

	CHECK(img->format == FORMAT_PVH && img->entry == entry && entry >= img->low && entry < img->high,
	      "image: format %d, entry 0x%llx (note 0x%x), span 0x%llx-0x%llx", img->format,
	      (unsigned long long)img->entry, entry, (unsigned long long)img->low, (unsigned long long)img->high);
	CHECK(e->rip == entry && e->rbx == LINUX_BOOT_INFO, "entry: rip 0x%llx, rbx 0x%llx", (unsigned long long)e->rip,
	      (unsigned long long)e->rbx);
	CHECK(le(si, 4) == 0x336ec578 && le(si + 4, 4) == 1, "hvm_start_info magic 0x%llx version %llu",
	      (unsigned long long)le(si, 4), (unsigned long long)le(si + 4, 4));
	CHECK(le(si + 24, 8) == LINUX_CMDLINE && le(si + 32, 8) == GUEST_ACPI && le(si + 40, 8) == LINUX_PVH_MEMMAP &&
	      le(si + 48, 4) == nref, "hvm_start_info: cmdline 0x%llx, rsdp 0x%llx, memmap 0x%llx with %llu entries",
	      (unsigned long long)le(si + 24, 8), (unsigned long long)le(si + 32, 8), (unsigned long long)le(si + 40, 8),
	      (unsigned long long)le(si + 48, 4));
	for (unsigned i = 0; i < nref; i++)
		CHECK(le(mm + 24 * i, 8) == ref[i].addr && le(mm + 24 * i + 8, 8) == ref[i].size &&
		      le(mm + 24 * i + 16, 4) == ref[i].type, "PVH memory map entry %u is wrong", i);
	if (isize) {
		CHECK(le(si + 12, 4) == 1 && le(si + 16, 8) == LINUX_BOOT_INFO + 56, "nr_modules %llu, modlist 0x%llx",
		      (unsigned long long)le(si + 12, 4), (unsigned long long)le(si + 16, 8));
		CHECK(le(si + 56, 8) == img->initrd && le(si + 64, 8) == isize && img->initrd_size == isize,
		      "module 0x%llx+0x%llx, image 0x%llx+0x%llx", (unsigned long long)le(si + 56, 8),
		      (unsigned long long)le(si + 64, 8), (unsigned long long)img->initrd,
		      (unsigned long long)img->initrd_size);
		CHECK(img->initrd % GUEST_PAGE == 0 && img->initrd >= img->high && img->initrd + isize <= low &&
		      img->initrd + isize <= 0x80000000ULL, "initrd at 0x%llx+0x%llx (kernel 0x%llx-0x%llx, RAM at 0 "
		      "to 0x%llx)", (unsigned long long)img->initrd, (unsigned long long)isize,
		      (unsigned long long)img->low, (unsigned long long)img->high, (unsigned long long)low);
		for (unsigned r = 0; r < sizeof keep / sizeof keep[0]; r++)
			if (meets(img->initrd, isize, keep[r].start, keep[r].end - keep[r].start)) {
				CHECK(!"the initrd is clear of the boot data", "initrd at 0x%llx-0x%llx over the %s at 0x%llx-0x%llx",
				      (unsigned long long)img->initrd, (unsigned long long)(img->initrd + isize - 1),
				      keep[r].what, (unsigned long long)keep[r].start, (unsigned long long)keep[r].end - 1);
				return;	/* known (muted): what it overwrote is no new finding */
			}
		CHECK(memcmp(at(m, img->initrd, isize), p->initrd->data, isize) == 0, "the initrd's bytes differ");
	} else {
		CHECK(le(si + 12, 4) == 0 && img->initrd == 0, "a module without an initrd");
	}
	check_tables(m, p->cmdline, strlen(p->cmdline));
}

/*
 * The same file cut short where the setup header's fields and the kernel
 * begin, each copy allocated to its exact size so that ASan sees a read past
 * its end: linux_check and pvh_entry must read only what the file holds.
 */
static void check_cut(const uint8_t *d, size_t n, const struct linux_params *p)
{
	size_t hdr_end = n > 0x201 ? 0x202 + (size_t)d[0x201] : 0, koff = n > 0x1f1 ? ((d[0x1f1] ? d[0x1f1] : 4) + 1) * 512u : 0;
	size_t cuts[] = { 0x1f2, 0x200, 0x204, 0x206, 0x207, 0x208, 0x237, 0x264, hdr_end - 1, hdr_end, koff, koff + 1,
			  n / 2, n - 1 };
	char why[320];
	uint32_t entry;

	for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		struct file_buf f = { .path = "fuzz.cut", .size = cuts[i] };
		uint8_t *copy;

		if (cuts[i] == 0 || cuts[i] >= n)
			continue;
		copy = malloc(cuts[i]);
		if (!copy)
			abort();
		memcpy(copy, d, cuts[i]);
		f.data = copy;
		why[0] = 0;
		if (linux_check(&f, 256 * MIB, p, why, sizeof why) < 0)
			check_why("linux_check", why, sizeof why);
		else
			CHECK(linux_is_bzimage(&f), "linux_check accepts the file cut to %zu bytes, not a bzImage", cuts[i]);
		if (pvh_entry(&f, &entry))
			CHECK(ref_has_pvh_note(copy, cuts[i], entry), "pvh_entry says 0x%x for the file cut to %zu bytes",
			      entry, cuts[i]);
		free(copy);
	}
}

/* ---- the input ---- */

static const uint64_t mems[8] = { 192 * MIB, 128 * MIB, 256 * MIB, 2 * MIB, 16 * MIB, 64 * MIB, 3 * GIB, RAM_MAX };
static const size_t cmdlens[16] = { 0, 1, 13, 255, 256, 2047, 2048, 2049, 4095, 4096, 0xfffe, 0xffff, 0x10000,
				    0x10001, 100, 512 };
static const uint64_t isizes[8] = { 0, 1, 4095, 4096, 65537, MIB, 2 * MIB - 4096, INITRD_MAX };
static const uint64_t huge[8] = { 0x10000000, 0x40000000, 0x7ff00000, 0xbfe00000, 0xc0000000, 1ULL << 32,
				  (1ULL << 32) + 1, UINT64_MAX };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t t0 = size >= 1 ? data[size - 1] : 0, t1 = size >= 2 ? data[size - 2] : 0;
	uint8_t t2 = size >= 3 ? data[size - 3] : 0, t3 = size >= 4 ? data[size - 4] : 0;
	uint64_t mem = !(t0 & 8) ? mems[t0 & 7] : t0 >> 4 ? ((uint64_t)(t0 >> 4) + 1) * 128 * 1024 : 0x9000;
	size_t cmdlen = t1 < 16 ? cmdlens[t1] : (size_t)t1 * 7;
	struct file_buf f = { .path = "fuzz.kernel", .data = data, .size = size };
	struct file_buf rd = { .path = "fuzz.initrd", .data = initrd_data, .size = isizes[t2 & 7] };
	struct file_buf big = { .path = "fuzz.huge", .data = NULL, .size = huge[(t2 >> 3) & 7] };
	struct linux_params p = { .cmdline = cmd, .initrd = rd.size ? &rd : NULL,
				  .ncpus = 1 + t3 % 8 };	/* main.c passes 1; acpi.c has room for 88 */
	struct linux_params ph = p;
	static const uint64_t check_mems[] = { 128 * MIB, 256 * MIB, RAM_MAX };
	int prev = -1, ok_mem, r;
	int bz = linux_is_bzimage(&f);
	struct image img;
	struct cpu_entry e;
	char why[320], why2[320];
	uint32_t pvh = 0;

	cmd[cmdlen] = 0;
	ph.initrd = &big;

	CHECK(bz == ref_is_bzimage(data, size), "linux_is_bzimage says %d", bz);
	if (bz || (size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0))
		check_cut(data, size, &p);

	/* linux_check: monotonic in RAM; what it accepts the boot protocol allows. */
	for (unsigned i = 0; i < sizeof check_mems / sizeof check_mems[0]; i++) {
		why[0] = 0;
		r = linux_check(&f, check_mems[i], &p, why, sizeof why);
		if (r < 0) {
			check_why("linux_check", why, sizeof why);
			CHECK(prev != 0, "linux_check accepts %lluM of RAM but refuses %lluM: %s",
			      (unsigned long long)(check_mems[i - 1] >> 20), (unsigned long long)(check_mems[i] >> 20), why);
		} else {
			struct ref_bz b;

			CHECK(r == 0, "linux_check returned %d", r);
			ref_bz_read(data, size, cmdlen, ram_low(check_mems[i]), &b);
		}
		prev = r;
		why[0] = 0;
		r = linux_check(&f, check_mems[i], &ph, why, sizeof why);
		if (r < 0) {
			check_why("linux_check", why, sizeof why);
		} else {
			struct ref_bz b;

			ref_bz_read(data, size, cmdlen, ram_low(check_mems[i]), &b);
			CHECK(big.size <= ram_low(check_mems[i]) - LINUX_LOAD - b.ksize &&
			      big.size <= (uint64_t)b.initrd_max + 1, "linux_check accepts a 0x%llx-byte initrd "
			      "with %llu MiB of RAM, initrd_addr_max 0x%x", (unsigned long long)big.size,
			      (unsigned long long)(check_mems[i] >> 20), b.initrd_max);
		}
	}

	/* linux_load agrees with linux_check at the chosen RAM. */
	why[0] = why2[0] = 0;
	ok_mem = linux_check(&f, mem, &p, why2, sizeof why2);
	{
		struct guest_mem m = ram(mem);

		r = linux_load(&m, &f, &p, &img, &e, why, sizeof why);
		if (verbose)
			fprintf(stderr, "linux_load, %llu KiB, %zu-byte command line, initrd %llu: %s\n",
				(unsigned long long)(mem >> 10), cmdlen, (unsigned long long)rd.size, r ? why : "loaded");
		if (r < 0) {
			check_load_why("linux_load", why, sizeof why, mem);
			CHECK(ok_mem < 0, "linux_load refuses (%s) what linux_check accepts at %llu bytes of RAM", why,
			      (unsigned long long)mem);
			CHECK(strcmp(why, why2) == 0, "linux_load says \"%s\", linux_check \"%s\"", why, why2);
			if (bz)
				check_bz_untouched(&m, size, why);
		} else {
			CHECK(r == 0 && ok_mem == 0, "linux_load loads what linux_check refuses (%s)", why2);
			check_bz_loaded(&m, data, size, &p, &img, &e);
		}
		if (bz)
			ram_reset();
	}

	/* PVH: the note, then a load of any ELF. */
	if (pvh_entry(&f, &pvh)) {
		CHECK(size >= sizeof(Elf64_Ehdr) && memcmp(data, ELFMAG, SELFMAG) == 0 && data[EI_CLASS] == ELFCLASS64 &&
		      le(data + 0x12, 2) == EM_X86_64, "pvh_entry accepts a file that is no ELF64 x86-64");
		CHECK(ref_has_pvh_note(data, size, pvh), "pvh_entry says 0x%x, but no Xen note of type 18 says so", pvh);
	} else if (size >= sizeof(Elf64_Ehdr) && memcmp(data, ELFMAG, SELFMAG) == 0) {
		pvh = (uint32_t)le(data + 0x18, 4);
	} else {
		cmd[cmdlen] = 'a' + cmdlen % 26;
		return 0;
	}
	{
		struct guest_mem m;

		if (mem > 32 * MIB && elf_mem_bytes(data, size) > 16)
			mem = 32 * MIB;
		m = ram(mem);
		why[0] = 0;
		r = pvh_load(&m, &f, pvh, &p, &img, &e, why, sizeof why);
		if (verbose)
			fprintf(stderr, "pvh_load, entry 0x%x, %llu KiB, initrd %llu: %s\n", pvh,
				(unsigned long long)(mem >> 10), (unsigned long long)rd.size, r ? why : "loaded");
		if (r < 0)
			check_load_why("pvh_load", why, sizeof why, mem);
		else
			check_pvh_loaded(&m, pvh, &p, &img, &e);
		ram_reset();
	}
	cmd[cmdlen] = 'a' + cmdlen % 26;
	return 0;
}
