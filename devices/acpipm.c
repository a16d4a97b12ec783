/*
 * The ACPI power-management registers of a PC without SMM: the PM1a event
 * block (status and enable, 0x600-0x603) and control block (0x604-0x605), as
 * the FADT names them. ACPI is always on (SCI_EN reads 1, there is no
 * SMI_CMD), no event ever fires, and writing SLP_EN with the sleep type of
 * the DSDT's \_S5 powers the machine off: the run ends with status 0.
 */
#include "devices.h"

#define PM1_STS     0	/* offsets from PORT_ACPI_PM */
#define PM1_EN      2
#define PM1_CNT     4
#define CNT_SCI_EN  (1u << 0)
#define CNT_SLP_EN  (1u << 13)
#define CNT_SLP_TYP(v) (((v) >> 10) & 7)

static enum io_result pm_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct acpi_pm *pm = dev;
	uint8_t regs[6] = { 0, 0, (uint8_t)pm->en, (uint8_t)(pm->en >> 8),
			    (uint8_t)(pm->cnt | CNT_SCI_EN), (uint8_t)(pm->cnt >> 8) };
	unsigned off = (unsigned)(port - PORT_ACPI_PM);
	uint32_t v = *val;

	(void)bus;
	for (unsigned i = 0; i < size && off + i < sizeof regs; i++)
		v = (v & ~(0xffu << (8 * i))) | (uint32_t)regs[off + i] << (8 * i);
	*val = v;
	return IO_OK;
}

static enum io_result pm_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct acpi_pm *pm = dev;
	unsigned off = (unsigned)(port - PORT_ACPI_PM);

	for (unsigned i = 0; i < size && off + i < PORT_ACPI_PM_LEN; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));
		unsigned at = off + i;

		if (at == PM1_EN || at == PM1_EN + 1)
			pm->en = (uint16_t)((pm->en & ~(0xffu << (8 * (at - PM1_EN)))) | (unsigned)b << (8 * (at - PM1_EN)));
		else if (at == PM1_CNT || at == PM1_CNT + 1)
			pm->cnt = (uint16_t)((pm->cnt & ~(0xffu << (8 * (at - PM1_CNT)))) | (unsigned)b << (8 * (at - PM1_CNT)));
		/* PM1_STS: write 1 to clear, and nothing is ever set */
	}
	if ((pm->cnt & CNT_SLP_EN) && CNT_SLP_TYP(pm->cnt) == ACPI_S5_TYPE) {
		bus->end->kind = END_POWEROFF;
		return IO_END;
	}
	pm->cnt &= (uint16_t)~CNT_SLP_EN;	/* write-only: another sleep state is not modelled */
	return IO_OK;
}

int acpi_pm_attach(struct acpi_pm *pm, struct io_bus *bus)
{
	struct port_dev d = {
		.name = "acpi-pm", .base = PORT_ACPI_PM, .len = PORT_ACPI_PM_LEN,
		.in = pm_in, .out = pm_out, .dev = pm,
	};

	*pm = (struct acpi_pm){ 0 };
	return io_attach(bus, &d);
}
