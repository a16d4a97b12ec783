/*
 * The devices' state in a snapshot: one table, walked both ways. A device
 * whose state is plain data is saved as it lies; COM1 and fw_cfg, which
 * also hold pointers, through a copy of their registers.
 */
#include <string.h>

#include "snapshot.h"
#include "../devices/devices.h"

struct uart_state { uint8_t ier, iir_thri, lcr, mcr, scr, dll, dlm, fcr, rx_hold; };
struct fwcfg_state { uint16_t selected; uint32_t offset; };

struct dev_rec {
	uint32_t type;
	void *p;
	size_t size;
};

/* Every device record of vm; uart and fw point at the staging copies. */
static unsigned dev_table(struct vm *vm, struct uart_state *uart, struct fwcfg_state *fw, struct dev_rec *t)
{
	unsigned n = 0;

	t[n++] = (struct dev_rec){ REC_DEV_BUS, vm->bus.irq_level, sizeof vm->bus.irq_level };
	t[n++] = (struct dev_rec){ REC_DEV_UART, uart, sizeof *uart };
	t[n++] = (struct dev_rec){ REC_DEV_FWCFG, fw, sizeof *fw };
	t[n++] = (struct dev_rec){ REC_DEV_RTC, &vm->pc->rtc, offsetof(struct rtc, now) };	/* not the clock hook */
	t[n++] = (struct dev_rec){ REC_DEV_I8042, &vm->pc->i8042, sizeof vm->pc->i8042 };
	t[n++] = (struct dev_rec){ REC_DEV_ACPIPM, &vm->pc->pm, sizeof vm->pc->pm };
	return n;
}

void snap_save_devices(struct vm *vm, struct snap_buf *b)
{
	const struct uart *u = &vm->com1;
	struct uart_state us = { u->ier, u->iir_thri, u->lcr, u->mcr, u->scr, u->dll, u->dlm, u->fcr, u->rx_hold };
	struct fwcfg_state fs = { vm->fwcfg.selected, vm->fwcfg.offset };
	struct dev_rec t[8];
	unsigned n = dev_table(vm, &us, &fs, t);

	for (unsigned i = 0; i < n; i++)
		snap_add(b, t[i].type, 0, t[i].p, t[i].size);
}

int snap_restore_devices(struct vm *vm, const uint8_t *state, size_t state_len, char *why, size_t len)
{
	struct uart_state us;
	struct fwcfg_state fs;
	struct uart *u = &vm->com1;
	struct i8042 *k = &vm->pc->i8042;
	struct dev_rec t[8];
	unsigned n = dev_table(vm, &us, &fs, t);

	for (unsigned i = 0; i < n; i++) {
		uint32_t got = 0;
		const void *p = snap_find(state, state_len, t[i].type, 0, &got);

		if (!p || got != t[i].size) {
			snprintf(why, len, "damaged: device record %u is %s", t[i].type, p ? "of another size" : "missing");
			return -1;
		}
		memcpy(t[i].p, p, t[i].size);
	}
	if (k->out_head >= sizeof k->out || k->out_len > sizeof k->out) {
		snprintf(why, len, "damaged: the i8042's queue");
		return -1;
	}
	u->ier = us.ier;
	u->iir_thri = us.iir_thri;
	u->lcr = us.lcr;
	u->mcr = us.mcr;
	u->scr = us.scr;
	u->dll = us.dll;
	u->dlm = us.dlm;
	u->fcr = us.fcr;
	u->rx_hold = us.rx_hold;
	vm->fwcfg.selected = fs.selected;
	vm->fwcfg.offset = fs.offset;
	return 0;
}
