/*
 * Multiboot v1 (specification 0.6.96): what the loader hands the kernel.
 * multiboot.S checks in with MB_HEADER_FLAGS and calls
 * kmain(MB_BOOTLOADER_MAGIC, mbi). Addresses in these structures are
 * physical, 32 bits wide; with paging off, MB_PTR turns one into a pointer.
 * A field is valid only when its bit is set in mbi->flags.
 */
#ifndef KVMRUN_KIT_MULTIBOOT_H
#define KVMRUN_KIT_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MB_HEADER_MAGIC     0x1BADB002u  /* in the kernel's header */
#define MB_BOOTLOADER_MAGIC 0x2BADB002u  /* in EAX at entry, kmain's magic */

/* Bits of multiboot_info.flags. */
#define MB_INFO_MEMORY      (1u << 0)    /* mem_lower, mem_upper */
#define MB_INFO_BOOTDEV     (1u << 1)    /* boot_device */
#define MB_INFO_CMDLINE     (1u << 2)    /* cmdline */
#define MB_INFO_MODS        (1u << 3)    /* mods_count, mods_addr */
#define MB_INFO_AOUT_SYMS   (1u << 4)    /* syms as a.out symbol table */
#define MB_INFO_ELF_SHDR    (1u << 5)    /* syms as ELF section headers */
#define MB_INFO_MEM_MAP     (1u << 6)    /* mmap_length, mmap_addr */
#define MB_INFO_DRIVES      (1u << 7)    /* drives_length, drives_addr */
#define MB_INFO_CONFIG      (1u << 8)    /* config_table */
#define MB_INFO_LOADER_NAME (1u << 9)    /* boot_loader_name */
#define MB_INFO_APM         (1u << 10)   /* apm_table */
#define MB_INFO_VBE         (1u << 11)   /* vbe_* */
#define MB_INFO_FRAMEBUFFER (1u << 12)   /* framebuffer_* */

#define MB_PTR(addr) ((void *)(uintptr_t)(addr))

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;          /* KiB of memory from 0, at most 640 */
	uint32_t mem_upper;          /* KiB of memory from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;            /* NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;          /* array of mods_count struct multiboot_module */
	uint32_t syms[4];            /* a.out: tabsize, strsize, addr, 0; ELF: num, size, addr, shndx */
	uint32_t mmap_length;        /* bytes of memory map */
	uint32_t mmap_addr;          /* struct multiboot_mmap_entry, each size + 4 bytes long */
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;   /* NUL-terminated string */
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch;
	uint32_t framebuffer_width;
	uint32_t framebuffer_height;
	uint8_t framebuffer_bpp;
	uint8_t framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

/* Memory map types. */
#define MB_MEMORY_AVAILABLE        1
#define MB_MEMORY_RESERVED         2
#define MB_MEMORY_ACPI_RECLAIMABLE 3
#define MB_MEMORY_NVS              4
#define MB_MEMORY_BADRAM           5

struct multiboot_mmap_entry {
	uint32_t size;               /* bytes of this entry after this field (20 or more) */
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

struct multiboot_module {
	uint32_t mod_start;          /* first byte */
	uint32_t mod_end;            /* one past the last byte */
	uint32_t string;             /* NUL-terminated string */
	uint32_t reserved;
};

/* The kernel's C entry, called by multiboot.S; what it returns goes to exit(). */
int kmain(uint32_t magic, struct multiboot_info *mbi);

_Static_assert(offsetof(struct multiboot_info, syms) == 28, "multiboot_info.syms");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "multiboot_info.mmap_length");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "multiboot_info.boot_loader_name");
_Static_assert(offsetof(struct multiboot_info, framebuffer_addr) == 88, "multiboot_info.framebuffer_addr");
_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot_info size");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot_mmap_entry size");
_Static_assert(sizeof(struct multiboot_module) == 16, "multiboot_module size");

#endif
