/*
 * Linux: a bzImage through its 64-bit entry (Documentation/x86/boot.rst,
 * zero-page.rst), and an uncompressed vmlinux through the PVH entry its Xen
 * note names (the hvm_start_info ABI). Every field the kernel supplies is
 * checked against the file and RAM before anything is written.
 */
#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <asm/bootparam.h>

#include "boot.h"

#define HDR_START       0x1f1         /* the setup header starts at setup_sects */
#define HDR_MAGIC       0x53726448u   /* "HdrS" at 0x202 */
#define BOOT_FLAG       0xaa55
#define ENTRY64_OFFSET  0x200         /* the 64-bit entry: load address + 0x200 */
#define LOADER_UNKNOWN  0xff          /* type_of_loader: a boot loader with no assigned ID */
#define HDR_NEEDED      0x264         /* through init_size, which protocol 2.10 added */

/* Offsets in the file (and the zero page) of the setup header fields used. */
enum {
	SETUP_SECTS = 0x1f1, SYSSIZE = 0x1f4, BOOTFLAG = 0x1fe, JUMP_END = 0x201, HEADER = 0x202,
	VERSION = 0x206, LOADFLAGS = 0x211, INITRD_ADDR_MAX = 0x22c, KERNEL_ALIGNMENT = 0x230,
	RELOCATABLE = 0x234, XLOADFLAGS = 0x236, CMDLINE_SIZE = 0x238, PAYLOAD_OFFSET = 0x248,
	PAYLOAD_LENGTH = 0x24c, PREF_ADDRESS = 0x258, INIT_SIZE = 0x260,
};


#define PAGE_DOWN(x) ((x) & ~(GUEST_PAGE - 1))
#define PAGE_UP(x)   (((x) + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1))

bool linux_is_bzimage(const struct file_buf *f)
{
	return f->size >= HEADER + 4 && get16(f->data + BOOTFLAG) == BOOT_FLAG &&
	       get32(f->data + HEADER) == HDR_MAGIC;
}

/* The payload's first bytes, by compression (or none: an ELF), as the kernel's build writes them. */
static const struct { const char *magic; unsigned len; } payload_magics[] = {
	{ "\x1f\x8b", 2 }, { "BZh", 3 }, { "\x5d\x00", 2 }, { "\xfd" "7zXZ", 6 }, { "\x89LZO", 4 },
	{ "\x02\x21\x4c\x18", 4 }, { "\x28\xb5\x2f\xfd", 4 }, { "\x7f" "ELF", 4 },
};

/* Whether a known payload starts at off in the kernel's bytes k (size bytes). */
static bool known_payload(const uint8_t *k, uint64_t size, uint32_t off)
{
	for (unsigned i = 0; i < sizeof payload_magics / sizeof payload_magics[0]; i++)
		if ((uint64_t)off + payload_magics[i].len <= size &&
		    memcmp(k + off, payload_magics[i].magic, payload_magics[i].len) == 0)
			return true;
	return false;
}

/* The checked facts of a bzImage. */
struct bz {
	uint64_t kernel_off, kernel_size;  /* the protected-mode kernel in the file */
	uint64_t hdr_end;                  /* the setup header ends here in the file */
	uint64_t run_end;                  /* the kernel may use RAM up to here while it starts */
	uint32_t initrd_max, cmdline_size;
};

static int bz_check(const struct file_buf *f, uint64_t low, struct bz *bz, char *why, size_t len)
{
	const uint8_t *d = f->data;
	uint64_t sects, sys, init_size, pref;
	uint16_t ver;

	if (f->size < HEADER + 4)
		return why_fail(why, len, "not a Linux kernel: %llu bytes, too short for a setup header",
				(unsigned long long)f->size);
	if (get16(d + BOOTFLAG) != BOOT_FLAG)
		return why_fail(why, len, "not a Linux kernel: boot_flag at 0x1fe is 0x%04x, not 0xaa55",
				get16(d + BOOTFLAG));
	if (get32(d + HEADER) != HDR_MAGIC)
		return why_fail(why, len, "not a Linux kernel: the setup header's magic at 0x202 is 0x%08x, "
				"not \"HdrS\" (0x53726448)", get32(d + HEADER));
	bz->hdr_end = HEADER + (uint64_t)d[JUMP_END];
	if (bz->hdr_end > f->size)
		return why_fail(why, len, "the setup header is truncated: it ends at byte %llu, the file at %llu",
				(unsigned long long)bz->hdr_end, (unsigned long long)f->size);
	if (bz->hdr_end < HDR_NEEDED)
		return why_fail(why, len, "the setup header ends at byte %llu (jump byte 0x%02x at 0x201), before "
				"init_size: boot protocol 2.12 or later (Linux 3.8 on) has a longer one",
				(unsigned long long)bz->hdr_end, d[JUMP_END]);
	ver = get16(d + VERSION);
	if (ver < LINUX_PROTO_MIN)
		return why_fail(why, len, "Linux boot protocol %u.%02u is too old: kvmrun needs 2.12 or later "
				"(Linux 3.8 on) for the 64-bit entry", ver >> 8, ver & 0xff);
	if (!(get16(d + XLOADFLAGS) & XLF_KERNEL_64))
		return why_fail(why, len, "no 64-bit entry (xloadflags 0x%x lacks XLF_KERNEL_64): a 32-bit "
				"kernel; kvmrun boots x86-64 kernels", get16(d + XLOADFLAGS));
	if (!(d[LOADFLAGS] & LOADED_HIGH))
		return why_fail(why, len, "a zImage (loadflags 0x%x lacks LOADED_HIGH): kvmrun boots bzImages",
				d[LOADFLAGS]);
	sects = d[SETUP_SECTS] ? d[SETUP_SECTS] : 4;
	bz->kernel_off = (sects + 1) * 512;
	if (bz->kernel_off >= f->size)
		return why_fail(why, len, "setup_sects %llu puts the kernel at byte %llu, past the file's end at %llu",
				(unsigned long long)sects, (unsigned long long)bz->kernel_off,
				(unsigned long long)f->size);
	if (bz->hdr_end > bz->kernel_off)
		return why_fail(why, len, "setup_sects %llu makes the setup %llu bytes, shorter than its own "
				"header (%llu bytes)", (unsigned long long)sects,
				(unsigned long long)bz->kernel_off, (unsigned long long)bz->hdr_end);
	bz->kernel_size = f->size - bz->kernel_off;
	sys = (uint64_t)get32(d + SYSSIZE) * 16;
	if (sys > bz->kernel_size + 15)
		return why_fail(why, len, "syssize says the kernel is %llu bytes, but the file holds %llu after "
				"the setup (setup_sects %llu)", (unsigned long long)sys,
				(unsigned long long)bz->kernel_size, (unsigned long long)sects);
	if ((uint64_t)get32(d + PAYLOAD_OFFSET) + get32(d + PAYLOAD_LENGTH) > bz->kernel_size)
		return why_fail(why, len, "the compressed payload (payload_offset 0x%x, payload_length 0x%x) runs "
				"past the file's end (setup_sects %llu)", get32(d + PAYLOAD_OFFSET),
				get32(d + PAYLOAD_LENGTH), (unsigned long long)sects);
	if (!known_payload(d + bz->kernel_off, bz->kernel_size, get32(d + PAYLOAD_OFFSET)))
		return why_fail(why, len, "setup_sects %llu puts the kernel at byte %llu, where payload_offset "
				"0x%x finds no compressed kernel: the header does not match the file",
				(unsigned long long)sects, (unsigned long long)bz->kernel_off,
				get32(d + PAYLOAD_OFFSET));
	/*
	 * A relocatable kernel loaded at 1 MiB decompresses itself at its
	 * preferred address; either way it needs init_size bytes from there.
	 */
	init_size = get32(d + INIT_SIZE);
	pref = get64(d + PREF_ADDRESS);
	bz->run_end = LINUX_LOAD + (init_size > bz->kernel_size ? init_size : bz->kernel_size);
	if (pref > LINUX_LOAD && pref < GUEST_HOLE_START && pref + init_size > bz->run_end)
		bz->run_end = pref + init_size;
	if (bz->run_end > low)
		return why_fail(why, len, "the kernel needs RAM up to 0x%llx to start (pref_address 0x%llx, "
				"init_size 0x%llx); RAM ends at 0x%llx: give --mem %lluM or more",
				(unsigned long long)bz->run_end, (unsigned long long)pref,
				(unsigned long long)init_size, (unsigned long long)low,
				(unsigned long long)((bz->run_end + (16ULL << 20) + (1ULL << 20) - 1) >> 20));
	bz->initrd_max = get32(d + INITRD_ADDR_MAX);
	bz->cmdline_size = get32(d + CMDLINE_SIZE);
	return 0;
}

/*
 * Where the initrd goes: page-aligned, as high as RAM at 0 (low bytes) and
 * max_end allow, above avoid_end. Returns its address, or 0 if it does not fit.
 */
static uint64_t place_initrd(uint64_t low, uint64_t size, uint64_t max_end, uint64_t avoid_end)
{
	uint64_t top = PAGE_DOWN(low < max_end ? low : max_end);

	if (size > top || PAGE_DOWN(top - size) < PAGE_UP(avoid_end))
		return 0;
	return PAGE_DOWN(top - size);
}

static int put_cmdline(const struct guest_mem *m, const char *cmdline, char *why, size_t len)
{
	size_t n = strlen(cmdline);
	char *dst;

	if (n + 1 > LINUX_CMDLINE_MAX || !(dst = guest_range(m, LINUX_CMDLINE, n + 1)))
		return why_fail(why, len, "the command line is %zu bytes; kvmrun has room for %llu", n,
				(unsigned long long)(LINUX_CMDLINE_MAX - 1));
	memcpy(dst, cmdline, n + 1);
	return 0;
}

static int initrd_failed(const struct linux_params *p, uint64_t from, uint64_t to, char *why, size_t len)
{
	return why_fail(why, len, "initrd '%s' (%llu bytes) does not fit in RAM between the kernel's end at "
			"0x%llx and 0x%llx; raise --mem", p->initrd->path, (unsigned long long)p->initrd->size,
			(unsigned long long)from, (unsigned long long)to);
}

/* Every check of a bzImage boot; fills *bz and *initrd (0: none). */
static int bz_plan(const struct file_buf *kernel, uint64_t mem_bytes, const struct linux_params *p,
		   struct bz *bz, uint64_t *initrd, char *why, size_t len)
{
	uint64_t low = ram_low(mem_bytes), max_end, isize = p->initrd ? p->initrd->size : 0;
	size_t n = strlen(p->cmdline);

	*initrd = 0;
	if (bz_check(kernel, low, bz, why, len) < 0)
		return -1;
	if (n > bz->cmdline_size || n + 1 > LINUX_CMDLINE_MAX)
		return why_fail(why, len, "the command line is %zu bytes; this kernel takes at most %u "
				"(cmdline_size)", n, bz->cmdline_size);
	max_end = (uint64_t)bz->initrd_max + 1;
	if (isize && !(*initrd = place_initrd(low, isize, max_end, bz->run_end)))
		return initrd_failed(p, bz->run_end, max_end < low ? max_end : low, why, len);
	return 0;
}

int linux_check(const struct file_buf *kernel, uint64_t mem_bytes, const struct linux_params *p,
		char *why, size_t len)
{
	struct bz bz;
	uint64_t initrd;

	return bz_plan(kernel, mem_bytes, p, &bz, &initrd, why, len);
}

int linux_load(const struct guest_mem *m, const struct file_buf *kernel, const struct linux_params *p,
	       struct image *img, struct cpu_entry *e, char *why, size_t len)
{
	struct mem_region map[MEM_REGIONS_MAX];
	struct boot_params *bp = guest_range(m, LINUX_BOOT_INFO, sizeof *bp);
	uint64_t initrd, isize = p->initrd ? p->initrd->size : 0;
	uint8_t *dst;
	unsigned n;
	struct bz bz;

	if (bz_plan(kernel, m->size, p, &bz, &initrd, why, len) < 0)
		return -1;
	if (!bp || !(dst = guest_range(m, LINUX_LOAD, bz.kernel_size)) || put_cmdline(m, p->cmdline, why, len) < 0 ||
	    mptable_write(m, p->ncpus) < 0 || acpi_write(m, p->ncpus, p->pci) < 0)
		return why_fail(why, len, "RAM is too small for the boot data below 1 MiB; raise --mem");

	memcpy(dst, kernel->data + bz.kernel_off, bz.kernel_size);
	if (isize)
		memcpy(guest_range(m, initrd, isize), p->initrd->data, isize);
	/* A zeroed zero page with the setup header only: the rest of sector 0 may be anything. */
	memset(bp, 0, sizeof *bp);
	memcpy((uint8_t *)bp + HDR_START, kernel->data + HDR_START, bz.hdr_end - HDR_START);
	bp->hdr.type_of_loader = LOADER_UNKNOWN;
	bp->hdr.cmd_line_ptr = (uint32_t)LINUX_CMDLINE;
	bp->hdr.ramdisk_image = (uint32_t)initrd;
	bp->hdr.ramdisk_size = (uint32_t)isize;
	bp->ext_ramdisk_image = (uint32_t)(initrd >> 32);
	bp->ext_ramdisk_size = (uint32_t)(isize >> 32);
	bp->acpi_rsdp_addr = GUEST_ACPI;
	n = mem_map(m, map, MEM_REGIONS_MAX);
	for (unsigned i = 0; i < n; i++)
		bp->e820_table[i] = (struct boot_e820_entry){ map[i].addr, map[i].size, map[i].type };
	bp->e820_entries = (uint8_t)n;

	*img = (struct image){ .format = FORMAT_LINUX, .entry = LINUX_LOAD + ENTRY64_OFFSET,
			       .low = LINUX_LOAD, .high = LINUX_LOAD + bz.kernel_size,
			       .initrd = initrd, .initrd_size = isize };
	*e = (struct cpu_entry){ .rip = img->entry, .rsp = GUEST_EBDA, .rsi = LINUX_BOOT_INFO,
				 .map_bytes = LINUX_MAP_BYTES, .boot_gdt = true };
	return 0;
}

/* ---- PVH ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578u
#define HVM_START_VERSION        1           /* with the memory map */
#define PVH_INITRD_END           0x80000000ULL /* below 2 GiB, as boot.rst's default initrd_addr_max */

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* The Xen note of type 18 in the notes [off, off + size) of f, if any. */
static bool find_note(const struct file_buf *f, uint64_t off, uint64_t size, uint32_t *entry)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end) || end > f->size)
		return false;
	while (end - off >= 12) {
		uint32_t namesz = get32(f->data + off), descsz = get32(f->data + off + 4);
		uint32_t type = get32(f->data + off + 8);
		/* Each part is at most 4 GiB: these sums cannot wrap from an offset inside the file. */
		uint64_t name = off + 12, desc = name + (((uint64_t)namesz + 3) & ~3ULL);
		uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ULL);

		if (next > end || desc + descsz > end)
			return false;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && memcmp(f->data + name, "Xen", 4) == 0 &&
		    (descsz == 4 || descsz == 8)) {
			uint64_t v = descsz == 4 ? get32(f->data + desc) : get64(f->data + desc);

			if (v >> 32)
				return false;
			*entry = (uint32_t)v;
			return true;
		}
		off = next;
	}
	return false;
}

bool pvh_entry(const struct file_buf *f, uint32_t *entry)
{
	Elf64_Ehdr eh;
	uint64_t tab;

	if (f->size < sizeof eh)
		return false;
	memcpy(&eh, f->data, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(Elf64_Phdr))
		return false;
	tab = eh.e_phoff;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t at, end;

		if (__builtin_add_overflow(tab, (uint64_t)i * sizeof ph, &at) ||
		    __builtin_add_overflow(at, sizeof ph, &end) || end > f->size)
			return false;
		memcpy(&ph, f->data + at, sizeof ph);
		if (ph.p_type == PT_NOTE && find_note(f, ph.p_offset, ph.p_filesz, entry))
			return true;
	}
	return false;
}

int pvh_load(const struct guest_mem *m, const struct file_buf *kernel, uint32_t entry,
	     const struct linux_params *p, struct image *img, struct cpu_entry *e, char *why, size_t len)
{
	const struct range rsv[] = {
		{ GUEST_GDT, GUEST_GDT + GUEST_PAGE, "GDT" },
		{ LINUX_BOOT_INFO, LINUX_PVH_MEMMAP + GUEST_PAGE, "PVH start information" },
		{ LINUX_CMDLINE, LINUX_CMDLINE + LINUX_CMDLINE_MAX, "command line" },
		{ GUEST_EBDA, LINUX_LOAD, "EBDA and BIOS area" },
	};
	struct mem_region map[MEM_REGIONS_MAX];
	struct hvm_start_info *si = guest_range(m, LINUX_BOOT_INFO, GUEST_PAGE);
	struct hvm_memmap_table_entry *mm = guest_range(m, LINUX_PVH_MEMMAP, GUEST_PAGE);
	struct hvm_modlist_entry *mod = (struct hvm_modlist_entry *)(si + 1);
	uint64_t initrd = 0, isize = p->initrd ? p->initrd->size : 0, kend;
	unsigned n;

	if (!si || !mm)
		return why_fail(why, len, "RAM is too small for the boot data below 1 MiB; raise --mem");
	if (elf_load(m, kernel, rsv, sizeof rsv / sizeof rsv[0], img, why, len) < 0)
		return -1;
	if (entry < img->low || entry >= img->high)
		return why_fail(why, len, "the PVH entry 0x%x lies outside the kernel at 0x%llx-0x%llx", entry,
				(unsigned long long)img->low, (unsigned long long)(img->high - 1));
	/* The kernel's early page tables and brk lie inside its image; the initrd goes high below 2 GiB. */
	/* Never below 1 MiB either, where the GDT, hvm_start_info, the command line and the tables are. */
	kend = img->high > LINUX_LOAD ? img->high : LINUX_LOAD;
	if (isize && !(initrd = place_initrd(m->size - m->high, isize, PVH_INITRD_END, kend)))
		return initrd_failed(p, kend, m->size - m->high < PVH_INITRD_END ? m->size - m->high :
				     PVH_INITRD_END, why, len);
	if (put_cmdline(m, p->cmdline, why, len) < 0)
		return -1;
	if (mptable_write(m, p->ncpus) < 0 || acpi_write(m, p->ncpus, p->pci) < 0)
		return why_fail(why, len, "RAM is too small for the boot data below 1 MiB; raise --mem");
	if (isize)
		memcpy(guest_range(m, initrd, isize), p->initrd->data, isize);
	memset(si, 0, GUEST_PAGE);
	si->magic = HVM_START_MAGIC;
	si->version = HVM_START_VERSION;
	si->cmdline_paddr = LINUX_CMDLINE;
	si->rsdp_paddr = GUEST_ACPI;
	if (isize) {
		si->nr_modules = 1;
		si->modlist_paddr = LINUX_BOOT_INFO + sizeof *si;
		*mod = (struct hvm_modlist_entry){ .paddr = initrd, .size = isize };
	}
	n = mem_map(m, map, MEM_REGIONS_MAX);
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){ map[i].addr, map[i].size, map[i].type, 0 };
	si->memmap_paddr = LINUX_PVH_MEMMAP;
	si->memmap_entries = n;

	img->format = FORMAT_PVH;
	img->entry = entry;
	img->initrd = initrd;
	img->initrd_size = isize;
	*e = (struct cpu_entry){ .rip = entry, .rsp = GUEST_EBDA, .rbx = LINUX_BOOT_INFO };
	return 0;
}
