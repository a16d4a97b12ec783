/*
 * A Multiboot v1 kernel that prints what its loader told it: the magic,
 * the flags, memory sizes, command line, loader name, memory map and
 * modules (with their first bytes as text, '.' for a byte that is not
 * printable ASCII). Runs under kvmrun and QEMU's -kernel alike.
 */
#include "kvmrun.h"
#include "multiboot.h"

static const char *str(uint32_t addr)
{
	return MB_PTR(addr);
}

static void mmap_print(const struct multiboot_info *mbi)
{
	uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;

	while (at < end) {
		const struct multiboot_mmap_entry *e = MB_PTR(at);

		printf("mmap base=0x%llx length=0x%llx type=%u\n", (unsigned long long)e->base_addr,
		       (unsigned long long)e->length, (unsigned)e->type);
		at += e->size + sizeof e->size;	/* size does not count itself */
	}
}

static void module_print(uint32_t n, const struct multiboot_module *m)
{
	const unsigned char *data = MB_PTR(m->mod_start);
	uint32_t len = m->mod_end - m->mod_start;
	char text[17];
	uint32_t i;

	for (i = 0; i < len && i < 16; i++)
		text[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '.';
	text[i] = '\0';
	printf("module %u: start=0x%x end=0x%x string='%s' first bytes: '%s'\n", (unsigned)n,
	       (unsigned)m->mod_start, (unsigned)m->mod_end, str(m->string), text);
}

int kmain(uint32_t magic, struct multiboot_info *mbi)
{
	printf("magic=0x%x\n", (unsigned)magic);
	if (magic != MB_BOOTLOADER_MAGIC) {
		printf("not started by a Multiboot loader: no information to show\n");
		return 1;
	}
	printf("flags=0x%x\n", (unsigned)mbi->flags);
	if (mbi->flags & MB_INFO_MEMORY)
		printf("mem_lower=%u KiB mem_upper=%u KiB\n", (unsigned)mbi->mem_lower,
		       (unsigned)mbi->mem_upper);
	if (mbi->flags & MB_INFO_CMDLINE)
		printf("cmdline='%s'\n", str(mbi->cmdline));
	if (mbi->flags & MB_INFO_LOADER_NAME)
		printf("boot_loader_name='%s'\n", str(mbi->boot_loader_name));
	if (mbi->flags & MB_INFO_MEM_MAP)
		mmap_print(mbi);
	if (mbi->flags & MB_INFO_MODS) {
		const struct multiboot_module *mods = MB_PTR(mbi->mods_addr);

		printf("mods_count=%u\n", (unsigned)mbi->mods_count);
		for (uint32_t i = 0; i < mbi->mods_count; i++)
			module_print(i, &mods[i]);
	}
	exit(0);
}
