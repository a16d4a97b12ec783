/*
 * ELF executables: 32- and 64-bit, little-endian x86, statically linked.
 * Every value from the file is checked before anything is written to RAM.
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "kvm.h"

#define ELF_MAX_PHDRS 64

/* One program header, whichever the class. */
struct seg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* Not loadable: the reason goes to why, the class is 0. */
#define REFUSE(...) do { why_fail(why, len, __VA_ARGS__); return 0; } while (0)

unsigned elf_class(const struct file_buf *f, char *why, size_t len)
{
	const unsigned char *id = f->data;
	uint16_t type, machine;
	unsigned cls;

	if (f->size < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
		REFUSE("not an ELF file (no \\177ELF magic)");
	if (f->size < EI_NIDENT)
		REFUSE("truncated ELF header (%llu bytes)", (unsigned long long)f->size);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		REFUSE("ELF class %u is neither 32- nor 64-bit (e_ident[EI_CLASS])",
		       id[EI_CLASS]);
	cls = id[EI_CLASS] == ELFCLASS32 ? 32 : 64;
	if (id[EI_DATA] != ELFDATA2LSB)
		REFUSE("big-endian ELF (e_ident[EI_DATA] = %u); x86 needs little-endian",
		       id[EI_DATA]);
	if (f->size < (cls == 32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr)))
		REFUSE("truncated ELF header (%llu bytes)",
		       (unsigned long long)f->size);
	/* e_type and e_machine sit at the same offsets in both classes. */
	memcpy(&type, f->data + offsetof(Elf64_Ehdr, e_type), 2);
	memcpy(&machine, f->data + offsetof(Elf64_Ehdr, e_machine), 2);
	if (type == ET_REL)
		REFUSE("a relocatable object (e_type ET_REL), not an executable; link it first");
	if (type == ET_DYN)
		REFUSE("a position-independent or shared object (e_type ET_DYN); "
		       "link with -static -no-pie");
	if (type != ET_EXEC)
		REFUSE("e_type %u is not an executable (ET_EXEC)", type);
	if (cls == 32 && machine != EM_386)
		REFUSE("a 32-bit ELF for machine %u (e_machine), not x86 (EM_386)", machine);
	if (cls == 64 && machine != EM_X86_64)
		REFUSE("a 64-bit ELF for machine %u (e_machine), not x86-64 (EM_X86_64)", machine);
	return cls;
}
#undef REFUSE

/* The program header table, read into segs; returns the count or -1. */
static int read_phdrs(const struct file_buf *f, unsigned cls, struct seg *segs, uint64_t *entry,
		      char *why, size_t len)
{
	uint64_t phoff, table_end;
	uint16_t phnum, phentsize, want;

	if (cls == 32) {
		Elf32_Ehdr e;

		memcpy(&e, f->data, sizeof e);
		phoff = e.e_phoff, phnum = e.e_phnum, phentsize = e.e_phentsize, *entry = e.e_entry;
		want = sizeof(Elf32_Phdr);
	} else {
		Elf64_Ehdr e;

		memcpy(&e, f->data, sizeof e);
		phoff = e.e_phoff, phnum = e.e_phnum, phentsize = e.e_phentsize, *entry = e.e_entry;
		want = sizeof(Elf64_Phdr);
	}
	if (phnum == 0)
		return why_fail(why, len, "no program headers (e_phnum 0)");
	if (phnum > ELF_MAX_PHDRS)
		return why_fail(why, len, "%u program headers (e_phnum); kvmrun takes at most %u", phnum, ELF_MAX_PHDRS);
	if (phentsize != want)
		return why_fail(why, len, "program header size %u (e_phentsize), expected %u", phentsize, want);
	if (__builtin_add_overflow(phoff, (uint64_t)phnum * phentsize, &table_end) || table_end > f->size)
		return why_fail(why, len, "program headers at offset 0x%llx (e_phoff) run past the end of the file",
				(unsigned long long)phoff);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = f->data + phoff + (uint64_t)i * phentsize;

		if (cls == 32) {
			Elf32_Phdr ph;

			memcpy(&ph, p, sizeof ph);
			segs[i] = (struct seg){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz };
		} else {
			Elf64_Phdr ph;

			memcpy(&ph, p, sizeof ph);
			segs[i] = (struct seg){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz };
		}
	}
	return phnum;
}

static int check_seg(const struct guest_mem *m, const struct file_buf *f, const struct seg *s, unsigned i,
		     const struct range *rsv, unsigned nrsv, char *why, size_t len)
{
	uint64_t end;

	if (s->filesz > s->memsz)
		return why_fail(why, len, "segment %u: p_filesz 0x%llx is larger than p_memsz 0x%llx", i,
				(unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (__builtin_add_overflow(s->offset, s->filesz, &end) || end > f->size)
		return why_fail(why, len, "segment %u: file bytes 0x%llx+0x%llx (p_offset, p_filesz) run past "
				"the end of the file (0x%llx bytes)", i, (unsigned long long)s->offset,
				(unsigned long long)s->filesz, (unsigned long long)f->size);
	if (s->memsz == 0)
		return 0;	/* an empty segment places nothing: no range to check */
	if (!guest_range(m, s->paddr, s->memsz)) {
		if (__builtin_add_overflow(s->paddr, s->memsz, &end))
			end = UINT64_MAX;
		else
			end--;	/* the last byte, as RAM's is given */
		char ram[80];

		return why_fail(why, len, "segment %u: 0x%llx-0x%llx (p_paddr, p_memsz) is outside RAM "
				"(%s); raise --mem", i, (unsigned long long)s->paddr,
				(unsigned long long)end, ram_str(m->size, ram, sizeof ram));
	}
	for (unsigned r = 0; r < nrsv; r++) {
		if (s->paddr < rsv[r].end && s->paddr + s->memsz > rsv[r].start)
			return why_fail(why, len, "segment %u at 0x%llx-0x%llx overlaps the runner's %s at "
					"0x%llx-0x%llx; link it elsewhere", i, (unsigned long long)s->paddr,
					(unsigned long long)(s->paddr + s->memsz - 1), rsv[r].what,
					(unsigned long long)rsv[r].start, (unsigned long long)(rsv[r].end - 1));
	}
	return 0;
}

int elf_load(const struct guest_mem *m, const struct file_buf *f,
	     const struct range *rsv, unsigned nrsv, struct image *img, char *why, size_t len)
{
	struct seg segs[ELF_MAX_PHDRS];
	uint64_t entry, low = UINT64_MAX, high = 0;
	bool entry_found = false;
	unsigned cls = elf_class(f, why, len), nload = 0;
	int n;

	if (!cls)
		return -1;
	n = read_phdrs(f, cls, segs, &entry, why, len);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct seg *s = &segs[i];

		if (s->type == PT_INTERP || s->type == PT_DYNAMIC)
			return why_fail(why, len, "dynamically linked (segment %d is %s); link with -static", i,
					s->type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
		if (s->type != PT_LOAD)
			continue;
		/* Every PT_LOAD is checked, an empty one too; only non-empty ones load. */
		if (check_seg(m, f, s, (unsigned)i, rsv, nrsv, why, len) < 0)
			return -1;
		if (s->memsz == 0)
			continue;
		for (int j = 0; j < i; j++) {
			const struct seg *o = &segs[j];

			if (o->type == PT_LOAD && o->memsz && s->paddr < o->paddr + o->memsz &&
			    o->paddr < s->paddr + s->memsz)
				return why_fail(why, len, "segments %d and %d overlap at 0x%llx (p_paddr, p_memsz)",
						j, i, (unsigned long long)(s->paddr > o->paddr ? s->paddr : o->paddr));
		}
		nload++;
		low = s->paddr < low ? s->paddr : low;
		high = s->paddr + s->memsz > high ? s->paddr + s->memsz : high;
	}
	if (!nload)
		return why_fail(why, len, "nothing to load (no PT_LOAD segment with p_memsz > 0)");
	/* The entry point: a physical address, or a virtual one inside a segment (higher-half kernels). */
	for (int i = 0; i < n && !entry_found; i++) {
		const struct seg *s = &segs[i];

		if (s->type != PT_LOAD || !s->memsz)
			continue;
		if (entry >= s->paddr && entry - s->paddr < s->memsz) {
			entry_found = true;
		} else if (entry >= s->vaddr && entry - s->vaddr < s->memsz) {
			entry = s->paddr + (entry - s->vaddr);
			entry_found = true;
		}
	}
	if (!entry_found)
		return why_fail(why, len, "entry point 0x%llx (e_entry) is outside every loaded segment",
				(unsigned long long)entry);

	for (int i = 0; i < n; i++) {
		const struct seg *s = &segs[i];
		uint8_t *dst;

		if (s->type != PT_LOAD || !s->memsz)
			continue;
		dst = guest_range(m, s->paddr, s->memsz);	/* checked above */
		memcpy(dst, f->data + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	*img = (struct image){ .format = FORMAT_ELF, .entry = entry, .low = low, .high = high, .elf_class = cls };
	return 0;
}
