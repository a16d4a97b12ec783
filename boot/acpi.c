/*
 * ACPI tables beside the MP table: a kernel with ACPI reads these instead.
 * They say what the MP table says (the CPUs, the IOAPIC, LINT1 as NMI) and
 * what only ACPI can: the PM1a registers at 0x600 (devices/acpipm.c) and the
 * DSDT's \_S5, so poweroff powers off; the reset register (port 0x64, value
 * 0xfe: the i8042's reset); and QEMU's pvpanic device at port 0x505 (_HID
 * QEMU0001), so a kernel's pvpanic driver can report a panic. Not
 * hardware-reduced ACPI: Linux then drops the PIC, the PIT and every ISA
 * interrupt, COM1's included. ACPI 6.0 layouts; every table is checksummed.
 */
#include <string.h>

#include "boot.h"
#include "../devices/devices.h"
#include "../devices/pci.h"

#define SDT_HEADER     36
#define RSDP_SIZE      36
#define FADT_SIZE      276
#define FADT_REVISION  6
#define FADT_WBINVD          (1u << 0)
#define FADT_RESET_REG_SUP   (1u << 10)
#define FACS_SIZE      64
#define BOOT_ARCH_LEGACY     (1u << 0)	/* ISA devices: the RTC, COM1 */
#define BOOT_ARCH_8042       (1u << 1)
#define BOOT_ARCH_NO_VGA     (1u << 2)
#define SCI_IRQ        9		/* as on a PC; no event ever raises it */
#define IOAPIC_ADDR    0xfec00000u
#define LAPIC_ADDR     0xfee00000u

/* Where each table sits in the BIOS area (e820 reserves it). */
enum {
	AT_RSDP = 0x000, AT_FACS = 0x040, AT_XSDT = 0x080, AT_FADT = 0x100, AT_MADT = 0x300, AT_DSDT = 0x800,
	AT_END = 0xa00,
};

/* The DSDT's AML: Name (\_S5, Package () { 5, 5, 0, 0 }). */
static const uint8_t aml_s5[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,		/* Name, Package, PkgLength 8, 4 elements */
	0x0a, ACPI_S5_TYPE, 0x0a, ACPI_S5_TYPE, 0x00, 0x00,	/* SLP_TYPa, SLP_TYPb, reserved */
};

/*
 * Device (PEVT) { Name (_HID, "QEMU0001")
 * Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0505, 0x0505, 1, 1) }) }, without the Device op.
 */
static const uint8_t aml_pevt[] = {
	'P', 'E', 'V', 'T',
	0x08, '_', 'H', 'I', 'D', 0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
	0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a,	/* Buffer, PkgLength 13, size 10 */
	0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01,		/* I/O port 0x505, 1 byte */
	0x79, 0x00,						/* end tag */
};

/*
 * Device (PCI0) { Name (_HID, EisaId ("PNP0A03")) Name (_UID, 0) Name (_CRS,
 * ResourceTemplate () { bus 0; ports 0xcf8-0xcff consumed; ports 0-0xcf7 and
 * 0xd00-0xffff and memory PCI_MMIO_START..PCI_MMIO_END-1 passed on }) },
 * without the Device op and the _CRS buffer's PkgLength (see pci_root()).
 */
static const uint8_t aml_pci_head[] = {
	'P', 'C', 'I', '0',
	0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,	/* EisaId ("PNP0A03") */
	0x08, '_', 'U', 'I', 'D', 0x00,
	0x08, '_', 'C', 'R', 'S', 0x11,				/* Name (_CRS, Buffer: PkgLength follows */
};
static const uint8_t aml_pci_crs[] = {
	/* WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0, 0, 1) */
	0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	/* IO (Decode16, 0xcf8, 0xcf8, 1, 8): the configuration ports */
	0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
	/* WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0, 0xcf7, 0, 0xcf8) */
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x00, 0xf7, 0x0c, 0x00, 0x00, 0xf8, 0x0c,
	/* WordIO (..., 0, 0xd00, 0xffff, 0, 0xf300) */
	0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
	/* DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, len) */
	0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00,
	(uint8_t)PCI_MMIO_START, (uint8_t)(PCI_MMIO_START >> 8), (uint8_t)(PCI_MMIO_START >> 16),
	(uint8_t)(PCI_MMIO_START >> 24),
	(uint8_t)(PCI_MMIO_END - 1), (uint8_t)((PCI_MMIO_END - 1) >> 8), (uint8_t)((PCI_MMIO_END - 1) >> 16),
	(uint8_t)((PCI_MMIO_END - 1) >> 24),
	0x00, 0x00, 0x00, 0x00,
	(uint8_t)(PCI_MMIO_END - PCI_MMIO_START), (uint8_t)((PCI_MMIO_END - PCI_MMIO_START) >> 8),
	(uint8_t)((PCI_MMIO_END - PCI_MMIO_START) >> 16), (uint8_t)((PCI_MMIO_END - PCI_MMIO_START) >> 24),
	0x79, 0x00,						/* end tag */
};

/* An AML PkgLength for n bytes of contents after it, at p: its own size (1 or 2 bytes; n < 4094). */
static unsigned pkglen(uint8_t *p, unsigned n)
{
	if (n + 1 < 0x40) {
		p[0] = (uint8_t)(n + 1);
		return 1;
	}
	p[0] = (uint8_t)(0x40 | ((n + 2) & 0xf));
	p[1] = (uint8_t)((n + 2) >> 4);
	return 2;
}

static size_t put(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return n;
}

/* Device (NAME) { body }: the op, its PkgLength, then body (the name first). */
static size_t device(uint8_t *p, const uint8_t *body, size_t n)
{
	size_t k = 0;

	p[k++] = 0x5b;
	p[k++] = 0x82;
	k += pkglen(p + k, (unsigned)n);
	return k + put(p + k, body, n);
}

/* The PCI root bridge's device body, into p (room for 160 bytes); its size. */
static size_t pci_root(uint8_t *p)
{
	size_t k = put(p, aml_pci_head, sizeof aml_pci_head);

	k += pkglen(p + k, 2 + sizeof aml_pci_crs);
	p[k++] = 0x0a;				/* BufferSize: ByteConst */
	p[k++] = sizeof aml_pci_crs;
	return k + put(p + k, aml_pci_crs, sizeof aml_pci_crs);
}

/* The whole DSDT body: \_S5, then Scope (\_SB) with the pvpanic device and, with pci, the root bridge. */
static size_t dsdt_body(uint8_t *p, bool pci)
{
	uint8_t devs[320], root[160];
	size_t n = device(devs, aml_pevt, sizeof aml_pevt), k;

	if (pci)
		n += device(devs + n, root, pci_root(root));
	k = put(p, aml_s5, sizeof aml_s5);
	p[k++] = 0x10;				/* Scope */
	k += pkglen(p + k, (unsigned)(4 + n));
	k += put(p + k, "\\_SB_", 5);
	return k + put(p + k, devs, n);
}

/* A system description table's header; the checksum is set by seal(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "KVMRUN", 6);
	memcpy(t + 16, "KVMRUNPC", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "KVMR", 4);
	put32(t + 32, 1);
}

static void seal(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = table_checksum(t, len);
}

/* A Generic Address Structure for an I/O port of one byte. */
static void gas_port(uint8_t *g, uint16_t port)
{
	g[0] = 1;	/* system I/O space */
	g[1] = 8;	/* bit width */
	g[2] = 0;
	g[3] = 1;	/* byte access */
	put64(g + 4, port);
}

int acpi_write(const struct guest_mem *m, unsigned ncpus, bool pci)
{
	uint8_t *base = guest_range(m, GUEST_ACPI, AT_END), *t, *e;
	uint32_t madt_len = SDT_HEADER + 8 + ncpus * 8 + 12 + 6;
	size_t n;

	if (!base || ncpus == 0 || ncpus > BOOT_MAX_CPUS || AT_MADT + madt_len > AT_DSDT)
		return -1;
	memset(base, 0, AT_END);

	t = base + AT_DSDT;
	n = dsdt_body(t + SDT_HEADER, pci);	/* at most 300 bytes: inside AT_END */
	header(t, "DSDT", (uint32_t)(SDT_HEADER + n), 2);
	seal(t, (uint32_t)(SDT_HEADER + n));

	t = base + AT_MADT;
	header(t, "APIC", madt_len, 5);
	put32(t + 36, LAPIC_ADDR);
	put32(t + 40, 1);		/* PCAT_COMPAT: there are 8259 PICs too */
	e = t + 44;
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		e[0] = 0;		/* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;	/* processor UID */
		e[3] = (uint8_t)i;	/* APIC ID */
		put32(e + 4, 1);	/* enabled */
	}
	e[0] = 1;			/* IOAPIC, GSIs from 0: ISA IRQ n is GSI n */
	e[1] = 12;
	e[2] = (uint8_t)ncpus;
	put32(e + 4, IOAPIC_ADDR);
	put32(e + 8, 0);
	e += 12;
	e[0] = 4;			/* local APIC NMI: every processor's LINT1 */
	e[1] = 6;
	e[2] = 0xff;
	put16(e + 3, 0);
	e[5] = 1;
	seal(t, madt_len);

	t = base + AT_FACS;
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_SIZE);
	t[32] = 2;			/* version */

	t = base + AT_FADT;
	header(t, "FACP", FADT_SIZE, FADT_REVISION);
	put32(t + 36, (uint32_t)(GUEST_ACPI + AT_FACS));
	put32(t + 40, (uint32_t)(GUEST_ACPI + AT_DSDT));
	put16(t + 46, SCI_IRQ);
	/* No SMI_CMD: the machine is always in ACPI mode. */
	put32(t + 56, PORT_ACPI_PM);		/* PM1a_EVT_BLK */
	put32(t + 64, PORT_ACPI_PM + 4);	/* PM1a_CNT_BLK */
	t[88] = 4;				/* PM1_EVT_LEN */
	t[89] = 2;				/* PM1_CNT_LEN */
	put16(t + 109, BOOT_ARCH_LEGACY | BOOT_ARCH_8042 | BOOT_ARCH_NO_VGA);
	put32(t + 112, FADT_WBINVD | FADT_RESET_REG_SUP);
	gas_port(t + 116, 0x64);	/* the reset register: the i8042's command port */
	t[128] = 0xfe;			/* pulse the reset line */
	put64(t + 140, GUEST_ACPI + AT_DSDT);
	memcpy(t + 268, "KVMRUN\0\0", 8);	/* hypervisor vendor */
	seal(t, FADT_SIZE);

	t = base + AT_XSDT;
	header(t, "XSDT", SDT_HEADER + 16, 1);
	put64(t + 36, GUEST_ACPI + AT_FADT);
	put64(t + 44, GUEST_ACPI + AT_MADT);
	seal(t, SDT_HEADER + 16);

	t = base + AT_RSDP;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, "KVMRUN", 6);
	t[15] = 2;			/* ACPI 2.0 and later: the XSDT */
	put32(t + 20, RSDP_SIZE);
	put64(t + 24, GUEST_ACPI + AT_XSDT);
	t[8] = table_checksum(t, 20);
	t[32] = table_checksum(t, RSDP_SIZE);
	return 0;
}
