/*
 * Booting Linux: the bzImage loader (Documentation/x86/boot.rst), the PVH
 * entry of an uncompressed vmlinux (Xen's hvm_start_info), and the tables a
 * kernel reads to learn the machine: the e820 memory map and the MP table.
 */
#ifndef KVMRUN_BOOT_H
#define KVMRUN_BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../kvm.h"

/*
 * Where a Linux boot puts things in low RAM. The runner's GDT and page
 * tables (4 GiB identity-mapped) end at 0x8000; the EBDA and BIOS areas
 * that e820 reserves are 0x9fc00-0xfffff; the kernel loads at 1 MiB.
 */
#define LINUX_BOOT_INFO   0x8000ULL   /* boot_params (the zero page), or PVH's hvm_start_info */
#define LINUX_PVH_MEMMAP  0x9000ULL   /* PVH: the memory map */
#define LINUX_CMDLINE     0x20000ULL  /* the command line, NUL-terminated */
#define LINUX_CMDLINE_MAX 0x10000ULL  /* bytes there, NUL included */
#define LINUX_LOAD        0x100000ULL /* the protected-mode kernel */
#define LINUX_MAP_BYTES   (4ULL << 30) /* what the runner identity-maps for the 64-bit entry */
#define GUEST_EBDA        0x9fc00ULL  /* e820: reserved from here to 1 MiB */
#define GUEST_ACPI        0xe0000ULL  /* the ACPI tables, RSDP first, in the BIOS area */
#define GUEST_MPTABLE     0xf0000ULL  /* the MP floating pointer and table, in the BIOS area */
#define LINUX_MEM_DEFAULT (256ULL << 20)

/* The most CPUs the MP table and the MADT describe. */
#define BOOT_MAX_CPUS     128

/* Boot protocol 2.12 is the first with xloadflags, which says a kernel has a 64-bit entry. */
#define LINUX_PROTO_MIN   0x020c

/* linux_is_bzimage: does f carry a Linux setup header (0xAA55 at 0x1fe, "HdrS" at 0x202)? */
bool linux_is_bzimage(const struct file_buf *f);

/*
 * pvh_entry: if f is an ELF64 x86-64 executable with a Xen PVH note
 * (XEN_ELFNOTE_PHYS32_ENTRY, type 18), its 32-bit entry in *entry and true.
 */
bool pvh_entry(const struct file_buf *f, uint32_t *entry);

/* What the user gave for a Linux boot. */
struct linux_params {
	const char *cmdline;               /* the whole command line, never NULL */
	const struct file_buf *initrd;     /* NULL: none */
	unsigned ncpus;                    /* CPUs the MP table names */
	bool pci;                          /* the DSDT names the PCI host bridge (devices were asked for) */
};

/*
 * linux_check: every check linux_load makes, before there is a VM: the
 * setup header against the file, RAM (mem_bytes) against init_size, the
 * command line against cmdline_size, the initrd against RAM. Returns 0, or
 * -1 with the reason in why.
 */
int linux_check(const struct file_buf *kernel, uint64_t mem_bytes, const struct linux_params *p,
		char *why, size_t len);

/*
 * linux_load: check the bzImage's setup header (magic, protocol 2.12 or
 * later, a 64-bit entry, setup_sects and syssize against the file, the
 * command line against cmdline_size, RAM against init_size) and refuse with
 * the field at fault in why; then copy the protected-mode kernel to 1 MiB,
 * the initrd page-aligned as high as initrd_addr_max and RAM allow, the
 * command line, and a zeroed boot_params holding only the setup header, the
 * e820 map and where each part is. Sets *e for the 64-bit entry (load + 0x200,
 * RSI = boot_params). Nothing is written unless all checks pass.
 * Returns 0, or -1 with the reason in why.
 */
int linux_load(const struct guest_mem *m, const struct file_buf *kernel, const struct linux_params *p,
	       struct image *img, struct cpu_entry *e, char *why, size_t len);

/*
 * pvh_load: load the vmlinux's segments (elf_load), the initrd as a module
 * and the command line, and write hvm_start_info with the memory map. Sets *e
 * for the 32-bit PVH entry (EBX = hvm_start_info). Returns 0, or -1 with why.
 */
int pvh_load(const struct guest_mem *m, const struct file_buf *kernel, uint32_t entry,
	     const struct linux_params *p, struct image *img, struct cpu_entry *e, char *why, size_t len);

/* ---- boot/tables.c ---- */


/* table_checksum: the byte that makes the n bytes at p sum to zero (MP and ACPI tables). */
uint8_t table_checksum(const uint8_t *p, size_t n);

enum { E820_TYPE_RAM = 1, E820_TYPE_RESERVED = 2 };

struct mem_region {
	uint64_t addr, size;
	uint32_t type;
};
#define MEM_REGIONS_MAX 8

/*
 * mem_map: the machine's memory as a kernel should see it: RAM below the
 * EBDA, the EBDA and BIOS area reserved, RAM from 1 MiB to the hole, RAM
 * above 4 GiB. Returns the number of regions written to out (at most max).
 */
unsigned mem_map(const struct guest_mem *m, struct mem_region *out, unsigned max);

/*
 * mptable_write: an MP floating pointer and configuration table (Intel MP
 * spec 1.4) at GUEST_MPTABLE for ncpus CPUs (APIC IDs 0..ncpus-1), an ISA
 * bus, the IOAPIC at 0xfec00000 with ISA IRQs 0-15 on its pins 0-15, and
 * LINT0 as ExtINT, LINT1 as NMI. Returns 0, or -1 if RAM lacks the room.
 */
int mptable_write(const struct guest_mem *m, unsigned ncpus);

/* ---- boot/acpi.c ---- */

/*
 * acpi_write: the RSDP at GUEST_ACPI, an XSDT, a hardware-reduced FADT (the
 * reset register is the i8042's, 0xfe to port 0x64), a MADT for ncpus CPUs and
 * the IOAPIC, and a DSDT naming the pvpanic device at port 0x505 and, with
 * pci, the PCI root bridge (PNP0A03) with its bus, port and memory windows. Returns 0,
 * or -1 if RAM lacks the room.
 */
int acpi_write(const struct guest_mem *m, unsigned ncpus, bool pci);

#endif
