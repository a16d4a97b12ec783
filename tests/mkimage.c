/*
 * tests/mkimage: guest images for tests/formats_bad.bats.
 *
 *   tests/mkimage VARIANT OUTFILE   write one variant
 *   tests/mkimage --list            every variant: KIND NAME WHAT
 *
 * Each variant starts from a valid base image and damages one field (or
 * moves one thing), so a test names exactly what is wrong. The bases:
 *   ELF64 and ELF32 executables: one PT_LOAD at 0x100000, one page of
 *     memory whose first byte is hlt, entry at its start (status 0);
 *   a Multiboot kernel, ELF32 (or ELF64): the same segment, starting with
 *     the Multiboot header, then mov $0,%al; out %al,$0xf4; hlt (status 1);
 *   a Multiboot a.out-kludge kernel: a flat file, the header (flag 16 and
 *     its address fields) then the same code, loaded at 0x100000.
 * KIND says what kvmrun should make of the file as it is: ok (loads and
 * runs), bad (refused, status 104), other (valid, but not as what it claims
 * to be: see its test).
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_MAX   (16 * 1024)
#define LOAD_ADDR   0x100000u      /* where every base image loads */
#define SEG_MEMSZ   0x1000u        /* each segment: its bytes, then zeroes to one page */
#define SEG_ALIGN   4u             /* p_align: the Multiboot header's own alignment */
#define CODE_OFF    0x180u         /* the segments' bytes in an ELF file: room for 4 program headers */
#define DATA_OFF    (CODE_OFF + 0x10u)
#define RAM_TOP     0x1000000u     /* kvmrun's default 16 MiB */
#define MB_SEARCH_END 8192u        /* the Multiboot header lies in the file's first 8 KiB */

#define MB_MAGIC    0x1badb002u
#define MB_FLAGS    0x00000003u    /* page-aligned modules, memory information */
#define MB_AOUT     0x00010000u    /* flag 16: the address fields are valid */
#define MB_HDR      12u            /* magic, flags, checksum */
#define MB_HDR_AOUT 32u            /* ... header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
enum { MB_MAGIC_F, MB_FLAGS_F, MB_CHECKSUM_F, MB_HEADER_ADDR, MB_LOAD_ADDR, MB_LOAD_END_ADDR,
       MB_BSS_END_ADDR, MB_ENTRY_ADDR };

static const uint8_t code_hlt[] = { 0xf4 };
/* mov $0,%al; out %al,$0xf4; hlt: QEMU's isa-debug-exit, status (0 << 1) | 1 = 1 */
static const uint8_t code_exit1[] = { 0xb0, 0x00, 0xe6, 0xf4, 0xf4 };
/* mov 20(%ebx),%eax; out %al,$0xf4; hlt: status 2 * mods_count + 1 from the information structure */
static const uint8_t code_exit_mods[] = { 0x8b, 0x43, 0x14, 0xe6, 0xf4, 0xf4 };
/* mov 24(%ebx),%esi; mov 4(%esi),%eax; sub (%esi),%eax; out %al,$0xf4; hlt: 2 * (mod_end - mod_start) + 1 */
static const uint8_t code_exit_mod_size[] = { 0x8b, 0x73, 0x18, 0x8b, 0x46, 0x04, 0x2b, 0x06, 0xe6, 0xf4, 0xf4 };
#define CODE_MAX 16

struct image {
	uint8_t b[IMAGE_MAX];
	size_t size;     /* bytes written to OUTFILE */
	unsigned cls;    /* 32 or 64 for an ELF file, 0 for a flat one */
	size_t mb;       /* offset of the Multiboot header, if there is one */
};

static const char *prog = "tests/mkimage";

/* A variant that does not fit its image is a bug in this file. */
static void bug(const char *what)
{
	fprintf(stderr, "%s: bug: %s\n", prog, what);
	exit(1);
}

/* Store v little-endian in width bytes at off; a value that does not fit is a bug in a variant. */
static void set(struct image *im, size_t off, size_t width, uint64_t v)
{
	if (off + width > IMAGE_MAX || (width < 8 && v >> (8 * width)))
		bug("a variant stores a value wider than its field, or past IMAGE_MAX");
	for (size_t i = 0; i < width; i++)
		im->b[off + i] = (uint8_t)(v >> (8 * i));
	if (off + width > im->size)
		im->size = off + width;
}

static void put_bytes(struct image *im, size_t off, const uint8_t *p, size_t len)
{
	if (off + len > IMAGE_MAX)
		bug("a variant writes past IMAGE_MAX");
	memcpy(im->b + off, p, len);
	if (off + len > im->size)
		im->size = off + len;
}

/* A field of the ELF header or of program header i, in the image's class. */
#define FIELD(im, T32, T64, field) \
	((im)->cls == 32 ? offsetof(T32, field) : offsetof(T64, field)), \
	((im)->cls == 32 ? sizeof(((T32 *)0)->field) : sizeof(((T64 *)0)->field))
#define PHDR_SIZE(im) ((im)->cls == 32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr))
#define EHDR_SIZE(im) ((im)->cls == 32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr))
#define EH_SET(im, field, v) set(im, FIELD(im, Elf32_Ehdr, Elf64_Ehdr, field), (v))
#define PH_SET(im, i, field, v) \
	set(im, EHDR_SIZE(im) + (i) * PHDR_SIZE(im) + FIELD(im, Elf32_Phdr, Elf64_Phdr, field), (v))

static void mb_set(struct image *im, unsigned field, uint32_t v)
{
	set(im, im->mb + 4 * field, 4, v);
}

/* The flags with a matching checksum: magic + flags + checksum = 0 (mod 2^32). */
static void mb_set_flags(struct image *im, uint32_t flags)
{
	mb_set(im, MB_FLAGS_F, flags);
	mb_set(im, MB_CHECKSUM_F, (uint32_t)-(MB_MAGIC + flags));
}

static void mb_header(struct image *im, size_t off, uint32_t flags)
{
	im->mb = off;
	mb_set(im, MB_MAGIC_F, MB_MAGIC);
	mb_set_flags(im, flags);
}

/* Program header i: a PT_LOAD of len file bytes at off, one page in memory at addr. */
static void load_segment(struct image *im, unsigned i, size_t off, size_t len, uint64_t addr)
{
	PH_SET(im, i, p_type, PT_LOAD);
	PH_SET(im, i, p_flags, PF_R | PF_W | PF_X);
	PH_SET(im, i, p_offset, off);
	PH_SET(im, i, p_vaddr, addr);
	PH_SET(im, i, p_paddr, addr);
	PH_SET(im, i, p_filesz, len);
	PH_SET(im, i, p_memsz, SEG_MEMSZ);
	PH_SET(im, i, p_align, SEG_ALIGN);
}

/*
 * A valid executable of class cls for machine, with nseg PT_LOAD segments:
 * the first holds code (len bytes at file offset off) at LOAD_ADDR with the
 * entry entry_off bytes in; a second holds one data byte on the next page.
 */
static void elf_base(struct image *im, unsigned cls, unsigned machine, unsigned nseg,
		     size_t off, const uint8_t *code, size_t len, size_t entry_off)
{
	memset(im, 0, sizeof *im);
	im->cls = cls;
	put_bytes(im, 0, (const uint8_t *)ELFMAG, SELFMAG);
	set(im, EI_CLASS, 1, cls == 32 ? ELFCLASS32 : ELFCLASS64);
	set(im, EI_DATA, 1, ELFDATA2LSB);
	set(im, EI_VERSION, 1, EV_CURRENT);
	set(im, EI_OSABI, 1, ELFOSABI_SYSV);
	EH_SET(im, e_type, ET_EXEC);
	EH_SET(im, e_machine, machine);
	EH_SET(im, e_version, EV_CURRENT);
	EH_SET(im, e_entry, LOAD_ADDR + entry_off);
	EH_SET(im, e_phoff, EHDR_SIZE(im));
	EH_SET(im, e_ehsize, EHDR_SIZE(im));
	EH_SET(im, e_phentsize, PHDR_SIZE(im));
	EH_SET(im, e_phnum, nseg);
	load_segment(im, 0, off, len, LOAD_ADDR);
	put_bytes(im, off, code, len);
	if (nseg > 1) {
		static const uint8_t data[] = { 0x5a };

		load_segment(im, 1, DATA_OFF, sizeof data, LOAD_ADDR + SEG_MEMSZ);
		PH_SET(im, 1, p_flags, PF_R | PF_W);
		put_bytes(im, DATA_OFF, data, sizeof data);
	}
}

static void elf64(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 1, CODE_OFF, code_hlt, sizeof code_hlt, 0);
}

static void elf32(struct image *im)
{
	elf_base(im, 32, EM_386, 1, CODE_OFF, code_hlt, sizeof code_hlt, 0);
}

/* A Multiboot ELF kernel whose segment (header, then code) starts at file offset off. */
static void mb_elf_code(struct image *im, unsigned cls, size_t off, const uint8_t *code, size_t len)
{
	uint8_t seg[MB_HDR + CODE_MAX] = { 0 };

	if (len > CODE_MAX)
		bug("code longer than CODE_MAX");
	memcpy(seg + MB_HDR, code, len);
	elf_base(im, cls, cls == 32 ? EM_386 : EM_X86_64, 1, off, seg, MB_HDR + len, MB_HDR);
	mb_header(im, off, MB_FLAGS);
}

static void mb_elf_at(struct image *im, unsigned cls, size_t off)
{
	mb_elf_code(im, cls, off, code_exit1, sizeof code_exit1);
}

static void mb_elf(struct image *im)
{
	mb_elf_at(im, 32, CODE_OFF);
}

/* A Multiboot a.out-kludge kernel: header at offset 0, loaded at load with a page of bss. */
static void mb_aout_at(struct image *im, uint32_t load)
{
	memset(im, 0, sizeof *im);
	mb_header(im, 0, MB_FLAGS | MB_AOUT);
	mb_set(im, MB_HEADER_ADDR, load);
	mb_set(im, MB_LOAD_ADDR, load);
	mb_set(im, MB_LOAD_END_ADDR, load + MB_HDR_AOUT + (uint32_t)sizeof code_exit1);
	mb_set(im, MB_BSS_END_ADDR, load + SEG_MEMSZ);
	mb_set(im, MB_ENTRY_ADDR, load + MB_HDR_AOUT);
	put_bytes(im, MB_HDR_AOUT, code_exit1, sizeof code_exit1);
}

static void mb_aout(struct image *im)
{
	mb_aout_at(im, LOAD_ADDR);
}

/* ---- the variants ---- */

#define HIGH_HALF64 0xffffffff80000000ull
#define HIGH_HALF32 0xc0000000u

static void v_elf_ok64(struct image *im) { elf64(im); }
static void v_elf_ok32(struct image *im) { elf32(im); }
static void v_elf_two_segments(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 2, CODE_OFF, code_hlt, sizeof code_hlt, 0);
}
static void v_elf_top_of_ram(struct image *im)
{
	elf64(im);
	PH_SET(im, 0, p_paddr, RAM_TOP - SEG_MEMSZ);	/* e_entry, a virtual address, translates */
}
static void v_elf_entry_virtual(struct image *im)
{
	elf64(im);
	PH_SET(im, 0, p_vaddr, HIGH_HALF64 + LOAD_ADDR);
	EH_SET(im, e_entry, HIGH_HALF64 + LOAD_ADDR);
}
static void v_elf32_entry_virtual(struct image *im)
{
	elf32(im);
	PH_SET(im, 0, p_vaddr, HIGH_HALF32 + LOAD_ADDR);
	EH_SET(im, e_entry, HIGH_HALF32 + LOAD_ADDR);
}
static void v_elf_truncated_header(struct image *im) { elf64(im); im->size = 40; }
static void v_elf_truncated_ident(struct image *im) { elf64(im); im->size = 8; }
static void v_elf_bad_class(struct image *im) { elf64(im); set(im, EI_CLASS, 1, 3); }
static void v_elf_big_endian(struct image *im) { elf64(im); set(im, EI_DATA, 1, ELFDATA2MSB); }
static void v_elf_rel(struct image *im) { elf64(im); EH_SET(im, e_type, ET_REL); }
static void v_elf_dyn(struct image *im) { elf64(im); EH_SET(im, e_type, ET_DYN); }
static void v_elf_core(struct image *im) { elf64(im); EH_SET(im, e_type, ET_CORE); }
static void v_elf_wrong_machine64(struct image *im) { elf64(im); EH_SET(im, e_machine, EM_AARCH64); }
static void v_elf_wrong_machine32(struct image *im) { elf32(im); EH_SET(im, e_machine, EM_ARM); }
static void v_elf64_machine_386(struct image *im) { elf64(im); EH_SET(im, e_machine, EM_386); }
static void v_elf_phnum0(struct image *im) { elf64(im); EH_SET(im, e_phnum, 0); }
static void v_elf_phnum_huge(struct image *im) { elf64(im); EH_SET(im, e_phnum, 65); }
static void v_elf_phentsize(struct image *im) { elf64(im); EH_SET(im, e_phentsize, sizeof(Elf32_Phdr)); }
static void v_elf_phoff_past_eof(struct image *im) { elf64(im); EH_SET(im, e_phoff, 0x10000); }
static void v_elf_phoff_overflow(struct image *im) { elf64(im); EH_SET(im, e_phoff, UINT64_MAX - 8); }
static void v_elf_filesz_gt_memsz(struct image *im) { elf64(im); PH_SET(im, 0, p_filesz, SEG_MEMSZ + 1); }
static void v_elf_memsz_zero(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 2, CODE_OFF, code_hlt, sizeof code_hlt, 0);
	PH_SET(im, 1, p_memsz, 0);	/* p_filesz stays 1 */
}
static void v_elf_offset_past_eof(struct image *im) { elf64(im); PH_SET(im, 0, p_offset, 0x10000); }
static void v_elf_offset_overflow(struct image *im) { elf64(im); PH_SET(im, 0, p_offset, UINT64_MAX); }
static void v_elf_segment_outside_ram(struct image *im)
{
	elf64(im);
	PH_SET(im, 0, p_paddr, RAM_TOP - SEG_MEMSZ / 2);
}
static void v_elf_segment_overflow(struct image *im)
{
	elf64(im);
	PH_SET(im, 0, p_paddr, UINT64_MAX - SEG_MEMSZ / 2 + 1);	/* + p_memsz wraps past 2^64 */
}
static void v_elf_overlaps_runner(struct image *im) { elf64(im); PH_SET(im, 0, p_paddr, 0x1000); }
static void v_elf32_overlaps_gdt(struct image *im) { elf32(im); PH_SET(im, 0, p_paddr, 0x1000); }
static void v_elf_overlapping_segments(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 2, CODE_OFF, code_hlt, sizeof code_hlt, 0);
	PH_SET(im, 1, p_paddr, LOAD_ADDR + SEG_MEMSZ / 2);
}
static void v_elf_interp(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 2, CODE_OFF, code_hlt, sizeof code_hlt, 0);
	PH_SET(im, 1, p_type, PT_INTERP);
}
static void v_elf_dynamic(struct image *im)
{
	elf_base(im, 64, EM_X86_64, 2, CODE_OFF, code_hlt, sizeof code_hlt, 0);
	PH_SET(im, 1, p_type, PT_DYNAMIC);
}
static void v_elf_no_load(struct image *im) { elf64(im); PH_SET(im, 0, p_type, PT_NOTE); }
static void v_elf_entry_outside(struct image *im) { elf64(im); EH_SET(im, e_entry, 2 * LOAD_ADDR); }

static void v_mb_elf_ok(struct image *im) { mb_elf(im); }
static void v_mb_elf_mods(struct image *im) { mb_elf_code(im, 32, CODE_OFF, code_exit_mods, sizeof code_exit_mods); }
static void v_mb_elf_mod_size(struct image *im)
{
	mb_elf_code(im, 32, CODE_OFF, code_exit_mod_size, sizeof code_exit_mod_size);
}
static void v_mb_aout_ok(struct image *im) { mb_aout(im); }
static void v_mb_aout_load_end_zero(struct image *im) { mb_aout(im); mb_set(im, MB_LOAD_END_ADDR, 0); }
static void v_mb_header_last_slot(struct image *im) { mb_elf_at(im, 32, MB_SEARCH_END - MB_HDR); }
static void v_mb_elf64_entry_high(struct image *im)
{
	mb_elf_at(im, 64, CODE_OFF);
	PH_SET(im, 0, p_vaddr, HIGH_HALF64 + LOAD_ADDR);
	EH_SET(im, e_entry, HIGH_HALF64 + LOAD_ADDR + MB_HDR);
}
static void v_mb_elf64_phys_high(struct image *im)
{
	mb_elf_at(im, 64, CODE_OFF);
	PH_SET(im, 0, p_vaddr, 0x100000000ull);
	PH_SET(im, 0, p_paddr, 0x100000000ull);
	EH_SET(im, e_entry, 0x100000000ull + MB_HDR);
}
static void v_mb_bad_checksum(struct image *im)
{
	mb_elf(im);
	mb_set(im, MB_CHECKSUM_F, (uint32_t)-(MB_MAGIC + MB_FLAGS) + 1);
}
static void v_mb_header_after_8k(struct image *im) { mb_elf_at(im, 32, MB_SEARCH_END); }
static void v_mb_header_straddles_8k(struct image *im) { mb_elf_at(im, 32, MB_SEARCH_END - MB_HDR + 4); }
static void v_mb_required_bit(struct image *im) { mb_elf(im); mb_set_flags(im, MB_FLAGS | 1u << 5); }
static void v_mb_aout_header_below_load(struct image *im) { mb_aout(im); mb_set(im, MB_HEADER_ADDR, LOAD_ADDR - 0x10); }
static void v_mb_aout_load_before_file(struct image *im) { mb_aout(im); mb_set(im, MB_LOAD_ADDR, LOAD_ADDR - 0x100); }
static void v_mb_aout_load_end_below(struct image *im) { mb_aout(im); mb_set(im, MB_LOAD_END_ADDR, LOAD_ADDR - 0x100); }
static void v_mb_aout_load_end_past_eof(struct image *im) { mb_aout(im); mb_set(im, MB_LOAD_END_ADDR, LOAD_ADDR + 0x100); }
static void v_mb_aout_bss_below(struct image *im) { mb_aout(im); mb_set(im, MB_BSS_END_ADDR, LOAD_ADDR + 0x10); }
static void v_mb_aout_outside_ram(struct image *im) { mb_aout(im); mb_set(im, MB_BSS_END_ADDR, RAM_TOP + SEG_MEMSZ / 2); }
static void v_mb_aout_fills_ram(struct image *im) { mb_aout(im); mb_set(im, MB_BSS_END_ADDR, RAM_TOP); }
static void v_mb_aout_entry_outside(struct image *im) { mb_aout(im); mb_set(im, MB_ENTRY_ADDR, 2 * LOAD_ADDR); }
/* Linked at 0x9000, reading the information structure: status 2 * mods_count + 1. */
static void v_mb_aout_low(struct image *im)
{
	mb_aout_at(im, 0x9000);
	mb_set(im, MB_LOAD_END_ADDR, 0x9000 + MB_HDR_AOUT + (uint32_t)sizeof code_exit_mods);
	put_bytes(im, MB_HDR_AOUT, code_exit_mods, sizeof code_exit_mods);
}
static void v_mb_aout_overlaps_gdt(struct image *im) { mb_aout_at(im, 0x1000); }
static void v_mb_aout_truncated(struct image *im) { mb_aout(im); im->size = MB_HDR + 4; }

struct variant {
	const char *name, *kind, *what;
	void (*make)(struct image *im);
};

static const struct variant variants[] = {
	{ "elf-ok64", "ok", "ELF64 executable, hlt at 0x100000", v_elf_ok64 },
	{ "elf-ok32", "ok", "ELF32 executable, hlt at 0x100000", v_elf_ok32 },
	{ "elf-two-segments", "ok", "ELF64, code at 0x100000 and data at 0x101000", v_elf_two_segments },
	{ "elf-top-of-ram", "ok", "ELF64 whose segment ends exactly at 16 MiB", v_elf_top_of_ram },
	{ "elf-entry-virtual", "ok", "ELF64 linked high: p_vaddr and e_entry 0xffffffff80100000", v_elf_entry_virtual },
	{ "elf32-entry-virtual", "ok", "ELF32 linked high: p_vaddr and e_entry 0xc0100000", v_elf32_entry_virtual },
	{ "elf-truncated-header", "bad", "ELF64 cut to 40 bytes", v_elf_truncated_header },
	{ "elf-truncated-ident", "bad", "ELF64 cut to 8 bytes, inside e_ident", v_elf_truncated_ident },
	{ "elf-bad-class", "bad", "e_ident[EI_CLASS] 3", v_elf_bad_class },
	{ "elf-big-endian", "bad", "e_ident[EI_DATA] ELFDATA2MSB", v_elf_big_endian },
	{ "elf-rel", "bad", "e_type ET_REL", v_elf_rel },
	{ "elf-dyn", "bad", "e_type ET_DYN", v_elf_dyn },
	{ "elf-core", "bad", "e_type ET_CORE", v_elf_core },
	{ "elf-wrong-machine64", "bad", "ELF64, e_machine EM_AARCH64", v_elf_wrong_machine64 },
	{ "elf-wrong-machine32", "bad", "ELF32, e_machine EM_ARM", v_elf_wrong_machine32 },
	{ "elf64-machine-386", "bad", "ELF64, e_machine EM_386", v_elf64_machine_386 },
	{ "elf-phnum0", "bad", "e_phnum 0", v_elf_phnum0 },
	{ "elf-phnum-huge", "bad", "e_phnum 65", v_elf_phnum_huge },
	{ "elf-phentsize", "bad", "ELF64, e_phentsize 32", v_elf_phentsize },
	{ "elf-phoff-past-eof", "bad", "e_phoff 0x10000", v_elf_phoff_past_eof },
	{ "elf-phoff-overflow", "bad", "e_phoff 2^64 - 9: the table's end wraps", v_elf_phoff_overflow },
	{ "elf-filesz-gt-memsz", "bad", "p_filesz 0x1001, p_memsz 0x1000", v_elf_filesz_gt_memsz },
	{ "elf-memsz-zero", "bad", "two PT_LOADs, the second with p_memsz 0 and p_filesz 1", v_elf_memsz_zero },
	{ "elf-offset-past-eof", "bad", "p_offset 0x10000", v_elf_offset_past_eof },
	{ "elf-offset-overflow", "bad", "p_offset 2^64 - 1: p_offset + p_filesz wraps", v_elf_offset_overflow },
	{ "elf-segment-outside-ram", "bad", "p_paddr 0xfff800: the page ends past 16 MiB", v_elf_segment_outside_ram },
	{ "elf-segment-overflow", "bad", "p_paddr 2^64 - 0x800: p_paddr + p_memsz wraps", v_elf_segment_overflow },
	{ "elf-overlaps-runner", "bad", "ELF64, p_paddr 0x1000: over the GDT and page tables", v_elf_overlaps_runner },
	{ "elf32-overlaps-gdt", "bad", "ELF32, p_paddr 0x1000: over the GDT", v_elf32_overlaps_gdt },
	{ "elf-overlapping-segments", "bad", "two PT_LOADs, the second at 0x100800", v_elf_overlapping_segments },
	{ "elf-interp", "bad", "program header 1 is PT_INTERP", v_elf_interp },
	{ "elf-dynamic", "bad", "program header 1 is PT_DYNAMIC", v_elf_dynamic },
	{ "elf-no-load", "bad", "the only program header is PT_NOTE", v_elf_no_load },
	{ "elf-entry-outside", "bad", "e_entry 0x200000", v_elf_entry_outside },
	{ "mb-elf-ok", "ok", "Multiboot ELF32 kernel at 0x100000, exits with status 1", v_mb_elf_ok },
	{ "mb-elf-mods", "ok", "Multiboot ELF32 kernel, exits with status 2 * mods_count + 1", v_mb_elf_mods },
	{ "mb-elf-mod-size", "ok", "Multiboot ELF32 kernel, exits with status 2 * (first module's size) + 1",
	  v_mb_elf_mod_size },
	{ "mb-aout-ok", "ok", "Multiboot a.out-kludge kernel at 0x100000, exits with status 1", v_mb_aout_ok },
	{ "mb-aout-load-end-zero", "ok", "a.out kludge, load_end_addr 0: the whole file", v_mb_aout_load_end_zero },
	{ "mb-header-last-slot", "ok", "Multiboot ELF32, header at 8180: its 12 bytes end at 8192", v_mb_header_last_slot },
	{ "mb-elf64-entry-high", "ok", "Multiboot ELF64, p_paddr 0x100000, p_vaddr and e_entry above 4 GiB", v_mb_elf64_entry_high },
	{ "mb-elf64-phys-high", "bad", "Multiboot ELF64, p_paddr and e_entry at 4 GiB", v_mb_elf64_phys_high },
	{ "mb-bad-checksum", "other", "Multiboot ELF32, checksum off by one: a plain ELF32", v_mb_bad_checksum },
	{ "mb-header-after-8k", "other", "Multiboot ELF32, header at 8192: a plain ELF32", v_mb_header_after_8k },
	{ "mb-header-straddles-8k", "other", "Multiboot ELF32, header at 8184, past 8192: a plain ELF32", v_mb_header_straddles_8k },
	{ "mb-required-bit", "bad", "Multiboot flags bit 5", v_mb_required_bit },
	{ "mb-aout-header-below-load", "bad", "a.out kludge, header_addr 0xffff0 < load_addr", v_mb_aout_header_below_load },
	{ "mb-aout-load-before-file", "bad", "a.out kludge, load_addr 0xfff00: 0x100 bytes before the file", v_mb_aout_load_before_file },
	{ "mb-aout-load-end-below", "bad", "a.out kludge, load_end_addr 0xfff00 < load_addr", v_mb_aout_load_end_below },
	{ "mb-aout-load-end-past-eof", "bad", "a.out kludge, load_end_addr 0x100100 past the file", v_mb_aout_load_end_past_eof },
	{ "mb-aout-bss-below", "bad", "a.out kludge, bss_end_addr 0x100010 < load_end_addr", v_mb_aout_bss_below },
	{ "mb-aout-outside-ram", "bad", "a.out kludge, bss_end_addr 0x1000800: past 16 MiB", v_mb_aout_outside_ram },
	{ "mb-aout-fills-ram", "bad", "a.out kludge, bss_end_addr 0x1000000: no room for the command line", v_mb_aout_fills_ram },
	{ "mb-aout-entry-outside", "bad", "a.out kludge, entry_addr 0x200000", v_mb_aout_entry_outside },
	{ "mb-aout-low", "ok", "a.out kludge loaded at 0x9000 (the information page goes after it)", v_mb_aout_low },
	{ "mb-aout-overlaps-gdt", "bad", "a.out kludge loaded at 0x1000, the GDT", v_mb_aout_overlaps_gdt },
	{ "mb-aout-truncated", "bad", "a.out kludge cut to 16 bytes, before load_addr", v_mb_aout_truncated },
};

static void usage(void)
{
	fprintf(stderr, "usage: %s VARIANT OUTFILE (or --list); variants:\n", prog);
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
		fprintf(stderr, "  %s\n", variants[i].name);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct image im;
	const struct variant *v = NULL;
	FILE *out;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
			printf("%s %s %s\n", variants[i].kind, variants[i].name, variants[i].what);
		return 0;
	}
	if (argc != 3)
		usage();
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
		if (strcmp(argv[1], variants[i].name) == 0)
			v = &variants[i];
	if (!v) {
		fprintf(stderr, "%s: unknown variant '%s'\n", prog, argv[1]);
		usage();
	}
	v->make(&im);
	out = fopen(argv[2], "wb");
	if (!out || fwrite(im.b, 1, im.size, out) != im.size || fclose(out) != 0) {
		fprintf(stderr, "%s: writing '%s': %s\n", prog, argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
