/*
 * The tables a kernel reads to learn the machine: the memory map (e820 for a
 * bzImage, the PVH memory map) and the Intel MultiProcessor table, which
 * names the CPUs, the ISA bus, the IOAPIC and how the ISA interrupts and the
 * LAPIC's LINT pins are wired. An MP table rather than ACPI: it is all a
 * kernel needs to find CPUs and the IOAPIC, a few hundred bytes with no AML,
 * and every x86 kernel (Linux, the BSDs, hobby kernels) reads it.
 */
#include <string.h>

#include "boot.h"

unsigned mem_map(const struct guest_mem *m, struct mem_region *out, unsigned max)
{
	uint64_t low = m->size - m->high;
	struct mem_region r[4];
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
	if (n > max)
		n = max;
	memcpy(out, r, n * sizeof r[0]);
	return n;
}

/* Intel MP specification 1.4: the structures, in the order the table holds them. */
#define MP_LAPIC_ADDR   0xfee00000u
#define MP_IOAPIC_ADDR  0xfec00000u
#define MP_ISA_IRQS     16
enum { MPC_CPU = 0, MPC_BUS = 1, MPC_IOAPIC = 2, MPC_INTSRC = 3, MPC_LINTSRC = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define MPF_SIZE        16
#define MPC_HDR_SIZE    44
#define MPC_CPU_SIZE    20
#define MPC_SMALL_SIZE  8	/* bus, IOAPIC, interrupt and local interrupt entries */


uint8_t table_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* One interrupt assignment: an ISA IRQ to an IOAPIC pin, or a source to a LAPIC LINT pin. */
static uint8_t *put_int(uint8_t *e, uint8_t type, uint8_t irqtype, uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	e[0] = type;
	e[1] = irqtype;
	put16(e + 2, 0);	/* polarity and trigger as the bus conforms: ISA, edge, active high */
	e[4] = 0;		/* source bus: ISA */
	e[5] = src_irq;
	e[6] = dst_id;
	e[7] = dst_pin;
	return e + MPC_SMALL_SIZE;
}

int mptable_write(const struct guest_mem *m, unsigned ncpus)
{
	size_t table = MPC_HDR_SIZE + ncpus * MPC_CPU_SIZE + (2 + MP_ISA_IRQS + 2) * MPC_SMALL_SIZE;
	uint8_t *mpf = guest_range(m, GUEST_MPTABLE, MPF_SIZE + table), *mpc, *e;
	uint8_t ioapic_id = (uint8_t)ncpus;

	if (!mpf || ncpus == 0 || ncpus > BOOT_MAX_CPUS)
		return -1;
	mpc = mpf + MPF_SIZE;
	memset(mpf, 0, MPF_SIZE + table);

	memcpy(mpf, "_MP_", 4);
	put32(mpf + 4, (uint32_t)(GUEST_MPTABLE + MPF_SIZE));
	mpf[8] = 1;		/* length in 16-byte units */
	mpf[9] = 4;		/* spec revision 1.4 */
	/* feature bytes 0: the configuration table is present; virtual wire mode (no IMCR) */
	mpf[10] = table_checksum(mpf, MPF_SIZE);

	e = mpc + MPC_HDR_SIZE;
	for (unsigned i = 0; i < ncpus; i++, e += MPC_CPU_SIZE) {
		e[0] = MPC_CPU;
		e[1] = (uint8_t)i;	/* LAPIC ID */
		e[2] = 0x14;		/* LAPIC version: an integrated xAPIC */
		e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0));	/* enabled; the first is the boot CPU */
		put32(e + 4, 0x600);	/* family 6: the signature is informational */
		put32(e + 8, 0x201);	/* FPU, APIC */
	}
	e[0] = MPC_BUS;
	memcpy(e + 2, "ISA   ", 6);
	e += MPC_SMALL_SIZE;
	e[0] = MPC_IOAPIC;
	e[1] = ioapic_id;
	e[2] = 0x11;		/* IOAPIC version, as KVM's reports */
	e[3] = 1;		/* enabled */
	put32(e + 4, MP_IOAPIC_ADDR);
	e += MPC_SMALL_SIZE;
	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++)
		e = put_int(e, MPC_INTSRC, MP_INT, irq, ioapic_id, irq);
	e = put_int(e, MPC_LINTSRC, MP_EXTINT, 0, 0xff, 0);	/* every LAPIC's LINT0: the PIC */
	e = put_int(e, MPC_LINTSRC, MP_NMI, 0, 0xff, 1);	/* LINT1: NMI */

	memcpy(mpc, "PCMP", 4);
	put16(mpc + 4, (uint16_t)table);
	mpc[6] = 4;
	memcpy(mpc + 8, "KVMRUN  ", 8);
	memcpy(mpc + 16, "KVMRUN PC   ", 12);
	put16(mpc + 34, (uint16_t)(ncpus + 2 + MP_ISA_IRQS + 2));
	put32(mpc + 36, MP_LAPIC_ADDR);
	mpc[7] = table_checksum(mpc, table);
	return 0;
}
