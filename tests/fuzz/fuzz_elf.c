/*
 * fuzz_elf: the input is an ELF file. elf_class() then elf_load() into 2 MiB
 * of fake RAM with the runner's region 0x1000-0x8000 reserved, as main.c's
 * load() passes it. Beyond ASan and UBSan, elf_load's contract is checked:
 * a refusal writes nothing and says why; a success loaded exactly the
 * PT_LOAD segments the file describes (bytes, then zeroes), each inside RAM,
 * clear of the reserved range and of each other, reported low, high, class
 * and an entry inside a loaded segment, and touched no other byte of RAM.
 */
#include <elf.h>
#include <stddef.h>

#include "fuzz_util.h"

static const struct range rsv[] = { { GUEST_GDT, 0x8000, "GDT and page tables" } };
#define NRSV (sizeof rsv / sizeof rsv[0])

struct ref_seg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

#define EH(cls, field) ((cls) == 32 ? offsetof(Elf32_Ehdr, field) : offsetof(Elf64_Ehdr, field))
#define EHW(cls, field) ((cls) == 32 ? sizeof(((Elf32_Ehdr *)0)->field) : sizeof(((Elf64_Ehdr *)0)->field))
#define PH(cls, field) ((cls) == 32 ? offsetof(Elf32_Phdr, field) : offsetof(Elf64_Phdr, field))
#define PHW(cls, field) ((cls) == 32 ? sizeof(((Elf32_Phdr *)0)->field) : sizeof(((Elf64_Phdr *)0)->field))

/* The header as the ELF specification reads it, independently of elf.c: the class, or 0. */
static unsigned ref_class(const uint8_t *d, size_t n)
{
	unsigned cls;

	if (n < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
		return 0;
	if (d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64)
		return 0;
	cls = d[EI_CLASS] == ELFCLASS32 ? 32 : 64;
	if (d[EI_DATA] != ELFDATA2LSB || n < (cls == 32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr)))
		return 0;
	if (le(d + EH(cls, e_type), 2) != ET_EXEC)
		return 0;
	if (le(d + EH(cls, e_machine), 2) != (cls == 32 ? EM_386 : EM_X86_64))
		return 0;
	return cls;
}

static void check_loaded(const struct guest_mem *m, const uint8_t *d, size_t n, unsigned cls,
			 const struct image *img)
{
	uint64_t phoff = le(d + EH(cls, e_phoff), EHW(cls, e_phoff));
	uint64_t entry = le(d + EH(cls, e_entry), EHW(cls, e_entry));
	unsigned phnum = (unsigned)le(d + EH(cls, e_phnum), 2), phentsize = (unsigned)le(d + EH(cls, e_phentsize), 2);
	unsigned want = cls == 32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr), nspan = 0;
	uint64_t low = UINT64_MAX, high = 0, end;
	struct ref_seg s[64];
	struct span spans[64];
	int entry_ok = 0;

	CHECK(phnum >= 1 && phnum <= 64, "loaded with e_phnum %u", phnum);
	CHECK(phentsize == want, "loaded with e_phentsize %u", phentsize);
	CHECK(!__builtin_add_overflow(phoff, (uint64_t)phnum * want, &end) && end <= n,
	      "loaded with the program headers (e_phoff 0x%llx) past the end of the file", (unsigned long long)phoff);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = d + phoff + (uint64_t)i * want;

		s[i] = (struct ref_seg){
			.type = (uint32_t)le(p + PH(cls, p_type), 4),
			.offset = le(p + PH(cls, p_offset), PHW(cls, p_offset)),
			.vaddr = le(p + PH(cls, p_vaddr), PHW(cls, p_vaddr)),
			.paddr = le(p + PH(cls, p_paddr), PHW(cls, p_paddr)),
			.filesz = le(p + PH(cls, p_filesz), PHW(cls, p_filesz)),
			.memsz = le(p + PH(cls, p_memsz), PHW(cls, p_memsz)),
		};
		CHECK(s[i].type != PT_INTERP && s[i].type != PT_DYNAMIC, "loaded a dynamic executable (segment %u)", i);
	}
	for (unsigned i = 0; i < phnum; i++) {
		const struct ref_seg *g = &s[i];

		if (g->type != PT_LOAD)
			continue;
		CHECK(g->filesz <= g->memsz, "segment %u loaded with p_filesz > p_memsz", i);
		CHECK(!__builtin_add_overflow(g->offset, g->filesz, &end) && end <= n,
		      "segment %u loaded with its file bytes past the end of the file", i);
		if (!g->memsz)
			continue;	/* an empty segment places nothing: elf.c checks no range for it */
		CHECK(!__builtin_add_overflow(g->paddr, g->memsz, &end) && end <= m->size,
		      "segment %u loaded at 0x%llx+0x%llx, outside RAM", i, (unsigned long long)g->paddr,
		      (unsigned long long)g->memsz);
		for (unsigned r = 0; r < NRSV; r++)
			CHECK(!meets(g->paddr, g->memsz, rsv[r].start, rsv[r].end - rsv[r].start),
			      "segment %u loaded at 0x%llx+0x%llx over the reserved 0x%llx-0x%llx", i,
			      (unsigned long long)g->paddr, (unsigned long long)g->memsz,
			      (unsigned long long)rsv[r].start, (unsigned long long)rsv[r].end);
		for (unsigned j = 0; j < i; j++)
			CHECK(s[j].type != PT_LOAD || !meets(g->paddr, g->memsz, s[j].paddr, s[j].memsz),
			      "segments %u and %u loaded overlapping", j, i);
		CHECK(memcmp(m->host + g->paddr, d + g->offset, g->filesz) == 0, "segment %u: bytes differ from the file", i);
		for (uint64_t k = g->filesz; k < g->memsz; k++)
			CHECK(m->host[g->paddr + k] == 0, "segment %u: byte 0x%llx past p_filesz is not zero", i,
			      (unsigned long long)k);
		low = g->paddr < low ? g->paddr : low;
		high = g->paddr + g->memsz > high ? g->paddr + g->memsz : high;
		if (img->entry >= g->paddr && img->entry - g->paddr < g->memsz &&
		    (img->entry == entry || (entry >= g->vaddr && entry - g->vaddr < g->memsz &&
					     img->entry == g->paddr + (entry - g->vaddr))))
			entry_ok = 1;
		spans[nspan++] = (struct span){ g->paddr, g->paddr + g->memsz, "segment" };
	}
	CHECK(nspan > 0, "loaded with no PT_LOAD of p_memsz > 0");
	CHECK(img->format == FORMAT_ELF && img->elf_class == cls, "image format %d, class %u", img->format,
	      img->elf_class);
	CHECK(img->low == low && img->high == high, "image span 0x%llx-0x%llx, segments span 0x%llx-0x%llx",
	      (unsigned long long)img->low, (unsigned long long)img->high, (unsigned long long)low,
	      (unsigned long long)high);
	CHECK(entry_ok, "entry 0x%llx (e_entry 0x%llx) is not e_entry or its translation inside a loaded segment",
	      (unsigned long long)img->entry, (unsigned long long)entry);
	check_untouched_outside(m, spans, nspan);
	for (unsigned i = 0; i < nspan; i++)
		memset(m->host + spans[i].start, FUZZ_CANARY, spans[i].end - spans[i].start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m = fuzz_ram();
	struct file_buf f = { .path = "fuzz.elf", .data = data, .size = size };
	struct image img;
	char why[256] = "";
	unsigned cls = elf_class(&f, why, sizeof why);
	uint64_t bad;

	CHECK(cls == 0 || cls == 32 || cls == 64, "elf_class returned %u", cls);
	CHECK(cls == ref_class(data, size), "elf_class says %u, the header says %u", cls, ref_class(data, size));
	CHECK(cls || (why[0] && memchr(why, 0, sizeof why)), "elf_class refused without a reason");
	why[0] = 0;
	if (elf_load(&m, &f, rsv, NRSV, &img, why, sizeof why) < 0) {
		CHECK(why[0] && memchr(why, 0, sizeof why), "elf_load refused without a reason");
		check_why_ranges(why);
		bad = canary_scan(&m, 0, m.size);
		CHECK(bad == m.size, "elf_load refused (%s) but wrote RAM at 0x%llx", why, (unsigned long long)bad);
		return 0;
	}
	CHECK(cls, "elf_load loaded a file elf_class refuses");
	check_loaded(&m, data, size, cls, &img);
	return 0;
}
