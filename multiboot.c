/*
 * Multiboot v1: find the header, load the kernel (a.out kludge or the ELF
 * inside, 32- or 64-bit), lay out the command line and modules after it and
 * build the information structure on the page after it, as QEMU's -kernel does.
 */
#include <stdarg.h>
#include <string.h>

#include "kvm.h"
#include "boot/boot.h"

/* Header flags: 0-15 are requirements, 16 says the address fields are valid. */
#define MBH_PAGE_ALIGN  (1u << 0)
#define MBH_MEMORY_INFO (1u << 1)
#define MBH_VIDEO_MODE  (1u << 2)
#define MBH_AOUT_KLUDGE (1u << 16)
#define MBH_SUPPORTED   (MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* Information structure: flags and field offsets from the specification. */
#define MBI_MEMORY      (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODS        (1u << 3)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
enum {
	MBI_FLAGS = 0, MBI_MEM_LOWER = 4, MBI_MEM_UPPER = 8, MBI_CMDLINE_ADDR = 16,
	MBI_MODS_COUNT = 20, MBI_MODS_ADDR = 24, MBI_MMAP_LENGTH = 44, MBI_MMAP_ADDR = 48,
	MBI_LOADER_NAME_ADDR = 64,
};
/* Where each part sits in the information page. */
enum { PAGE_INFO = 0x0, PAGE_MMAP = 0x80, PAGE_NAME = 0xb0, PAGE_MODS = 0x100 };
#define MB_MOD_SIZE   16
#define MB_MMAP_ENTRY 24	/* size field (4) + base (8) + length (8) + type (4) */
#define FOUR_GIB      0x100000000ULL

static uint64_t page_up(uint64_t a)
{
	return (a + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);
}

int mb_find(const struct file_buf *f, struct mb_header *h)
{
	uint64_t limit = f->size < MB_SEARCH ? f->size : MB_SEARCH;

	for (uint64_t off = 0; off + 12 <= limit; off += 4) {
		const uint8_t *p = f->data + off;
		uint32_t magic = get32(p), flags = get32(p + 4), sum = get32(p + 8);

		if (magic != MB_HEADER_MAGIC || (uint32_t)(magic + flags + sum) != 0)
			continue;
		*h = (struct mb_header){ .offset = (uint32_t)off, .flags = flags };
		if (off + 32 <= f->size) {
			h->header_addr = get32(p + 12);
			h->load_addr = get32(p + 16);
			h->load_end_addr = get32(p + 20);
			h->bss_end_addr = get32(p + 24);
			h->entry_addr = get32(p + 28);
		}
		return 0;
	}
	return -1;
}

/* The a.out kludge: the header's own address fields say what to load where. */
static int load_aout(const struct guest_mem *m, const struct file_buf *f, const struct mb_header *h,
		     const struct range *rsv, unsigned nrsv, struct image *img, char *why, size_t len)
{
	uint64_t text_off, load_size, kernel_size;
	uint8_t *dst;

	if ((uint64_t)h->offset + 32 > f->size)
		return why_fail(why, len, "Multiboot header at 0x%x is cut off before its address fields (flag 16)",
				h->offset);
	if (h->header_addr < h->load_addr)
		return why_fail(why, len, "Multiboot header_addr 0x%x is below load_addr 0x%x", h->header_addr,
				h->load_addr);
	if (h->header_addr - h->load_addr > h->offset)
		return why_fail(why, len, "Multiboot load_addr 0x%x would start 0x%x bytes before the file",
				h->load_addr, h->header_addr - h->load_addr - h->offset);
	text_off = h->offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0) {
		load_size = f->size - text_off;
	} else {
		if (h->load_end_addr < h->load_addr)
			return why_fail(why, len, "Multiboot load_end_addr 0x%x is below load_addr 0x%x",
					h->load_end_addr, h->load_addr);
		load_size = (uint64_t)h->load_end_addr - h->load_addr;
		if (text_off + load_size > f->size)
			return why_fail(why, len, "Multiboot load_end_addr 0x%x asks for 0x%llx bytes past the end of the file",
					h->load_end_addr, (unsigned long long)(text_off + load_size - f->size));
	}
	kernel_size = load_size;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + load_size)
			return why_fail(why, len, "Multiboot bss_end_addr 0x%x is below the end of the loaded text 0x%llx",
					h->bss_end_addr, (unsigned long long)(h->load_addr + load_size));
		kernel_size = (uint64_t)h->bss_end_addr - h->load_addr;
	}
	if (kernel_size == 0)
		return why_fail(why, len, "the Multiboot a.out kernel is empty (load_addr 0x%x, load_end_addr 0x%x, "
				"bss_end_addr 0x%x)", h->load_addr, h->load_end_addr, h->bss_end_addr);
	dst = guest_range(m, h->load_addr, kernel_size);
	if (!dst) {
		char ram[80];

		return why_fail(why, len, "the kernel at 0x%x-0x%llx (Multiboot load_addr, bss_end_addr) is outside "
				"RAM (%s); raise --mem", h->load_addr,
				(unsigned long long)(h->load_addr + kernel_size - 1), ram_str(m->size, ram, sizeof ram));
	}
	for (unsigned r = 0; r < nrsv; r++)
		if (h->load_addr < rsv[r].end && h->load_addr + kernel_size > rsv[r].start)
			return why_fail(why, len, "the kernel at 0x%x-0x%llx overlaps the runner's %s at 0x%llx-0x%llx",
					h->load_addr, (unsigned long long)(h->load_addr + kernel_size - 1), rsv[r].what,
					(unsigned long long)rsv[r].start, (unsigned long long)(rsv[r].end - 1));
	if (h->entry_addr < h->load_addr || h->entry_addr - h->load_addr >= kernel_size)
		return why_fail(why, len, "Multiboot entry_addr 0x%x is outside the kernel at 0x%x-0x%llx",
				h->entry_addr, h->load_addr, (unsigned long long)(h->load_addr + kernel_size - 1));
	memcpy(dst, f->data + text_off, load_size);
	memset(dst + load_size, 0, kernel_size - load_size);
	*img = (struct image){ .entry = h->entry_addr, .low = h->load_addr, .high = h->load_addr + kernel_size };
	return 0;
}

/* Room for len bytes at *cur below both the top of RAM and 4 GiB; advances *cur. */
static uint8_t *place(const struct guest_mem *m, uint64_t *cur, uint64_t len, const char *what,
		      char *why, size_t whylen)
{
	uint8_t *p = guest_range(m, *cur, len);

	if (!p || *cur + len > FOUR_GIB) {
		why_fail(why, whylen, "%s (%llu bytes at 0x%llx) does not fit in RAM below 4 GiB; raise --mem",
			 what, (unsigned long long)len, (unsigned long long)*cur);
		return NULL;
	}
	*cur += len;
	return p;
}

/* A string into guest memory at *cur; returns its address or 0 when it does not fit. */
static uint32_t put_string(const struct guest_mem *m, uint64_t *cur, const char *a, const char *b,
			   char *why, size_t len)
{
	uint64_t at = *cur, la = strlen(a), lb = b ? strlen(b) : 0;
	uint8_t *p = place(m, cur, la + (b ? 1 + lb : 0) + 1, "a command line", why, len);

	if (!p)
		return 0;
	memcpy(p, a, la);
	if (b) {
		p[la] = ' ';
		memcpy(p + la + 1, b, lb);
		la += 1 + lb;
	}
	p[la] = 0;
	return (uint32_t)at;
}

int mb_load(const struct guest_mem *m, const struct file_buf *kernel, const struct mb_header *h,
	    const struct mb_params *p, const struct range *rsv, unsigned nrsv,
	    struct image *img, char *why, size_t len)
{
	uint32_t required = h->flags & 0xffff & ~MBH_SUPPORTED;
	uint8_t *info;
	uint32_t flags = MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	uint64_t cur, lower, upper, low;
	unsigned nblocks = m->high ? 2 : 1;
	uint32_t cmdline, at_info;

	if (required)
		return why_fail(why, len, "the Multiboot header requires feature bit %d (flags 0x%x), which kvmrun "
				"does not provide", __builtin_ctz(required), h->flags);
	if (p->nmods > MB_MAX_MODULES)
		return why_fail(why, len, "%u modules; kvmrun passes at most %u", p->nmods, MB_MAX_MODULES);
	if (h->flags & MBH_VIDEO_MODE && p->verbose)
		fprintf(stderr, "kvmrun: the kernel asks for a video mode (Multiboot flag 2); there is no "
			"display, so it gets none\n");

	if (h->flags & MBH_AOUT_KLUDGE) {
		if (load_aout(m, kernel, h, rsv, nrsv, img, why, len) < 0)
			return -1;
	} else {
		if (elf_load(m, kernel, rsv, nrsv, img, why, len) < 0)
			return -1;
		if (img->entry >= FOUR_GIB)
			return why_fail(why, len, "the kernel's entry point 0x%llx is above 4 GiB; Multiboot starts it "
					"in 32-bit protected mode", (unsigned long long)img->entry);
	}

	/*
	 * After the kernel, as QEMU does: the information page, command lines,
	 * then each module on its own pages. Never below the kernel, where a
	 * kernel linked low (kvm-unit-tests' realmode at 0x8000) would have it.
	 */
	cur = page_up(img->high);
	at_info = (uint32_t)cur;
	if (!(info = place(m, &cur, GUEST_PAGE, "the Multiboot information page", why, len)))
		return -1;
	memset(info, 0, GUEST_PAGE);
	if (!(cmdline = put_string(m, &cur, kernel->path, p->append ? p->append : "", why, len)))
		return -1;
	for (unsigned i = 0; i < p->nmods; i++) {
		uint32_t s = put_string(m, &cur, p->mods[i].file.path, p->mods[i].string, why, len);

		if (!s)
			return -1;
		put32(info + PAGE_MODS + i * MB_MOD_SIZE + 8, s);
	}
	for (unsigned i = 0; i < p->nmods; i++) {
		const struct file_buf *mf = &p->mods[i].file;
		uint8_t *dst;
		uint64_t at;

		cur = page_up(cur);
		at = cur;
		if (!(dst = place(m, &cur, mf->size, "a module", why, len)))
			return why_fail(why, len, "module '%s' (%llu bytes at 0x%llx) does not fit in RAM below 4 GiB; "
					"raise --mem", mf->path, (unsigned long long)mf->size, (unsigned long long)at);
		if (mf->size)
			memcpy(dst, mf->data, mf->size);
		put32(info + PAGE_MODS + i * MB_MOD_SIZE, (uint32_t)at);
		put32(info + PAGE_MODS + i * MB_MOD_SIZE + 4, (uint32_t)cur);
		put32(info + PAGE_MODS + i * MB_MOD_SIZE + 12, 0);
	}

	/* The RAM really there: one block from 0, and one above 4 GiB when RAM reaches the hole. */
	low = m->size - m->high;
	lower = (low < 0xa0000 ? low : 0xa0000) / 1024;
	upper = low > 0x100000 ? (low - 0x100000) / 1024 : 0;
	for (unsigned b = 0; b < nblocks; b++) {
		uint8_t *e = info + PAGE_MMAP + b * MB_MMAP_ENTRY;

		put32(e, MB_MMAP_ENTRY - 4);
		put64(e + 4, b ? GUEST_HIGH_START : 0);
		put64(e + 12, b ? m->high : low);
		put32(e + 20, 1);
	}
	memcpy(info + PAGE_NAME, "kvmrun", 7);

	memset(info + PAGE_INFO, 0, PAGE_MMAP - PAGE_INFO);
	put32(info + MBI_FLAGS, flags);
	put32(info + MBI_MEM_LOWER, (uint32_t)lower);
	put32(info + MBI_MEM_UPPER, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);
	put32(info + MBI_CMDLINE_ADDR, cmdline);
	put32(info + MBI_MODS_COUNT, p->nmods);
	put32(info + MBI_MODS_ADDR, at_info + PAGE_MODS);
	put32(info + MBI_MMAP_LENGTH, nblocks * MB_MMAP_ENTRY);
	put32(info + MBI_MMAP_ADDR, at_info + PAGE_MMAP);
	put32(info + MBI_LOADER_NAME_ADDR, at_info + PAGE_NAME);

	img->format = FORMAT_MULTIBOOT;
	img->mb_info = at_info;
	return 0;
}
