/*
 * The MMIO bus: a small table of regions, each a device's BAR, that a
 * KVM_EXIT_MMIO is dispatched through. An access that no enabled region holds
 * whole stays what it was before there was a bus: a guest fault.
 */
#include <stdio.h>
#include <string.h>

#include "pci.h"

int mmio_add(struct mmio_bus *b, const char *name, uint64_t len, mmio_fn fn, void *dev)
{
	if (b->n == MMIO_MAX_REGIONS) {
		fprintf(stderr, "kvmrun: internal error: more than %d MMIO regions\n", MMIO_MAX_REGIONS);
		return -1;
	}
	b->r[b->n] = (struct mmio_region){ .name = name, .len = len, .fn = fn, .dev = dev };
	return (int)b->n++;
}

void mmio_move(struct mmio_bus *b, int i, uint64_t base, bool enabled)
{
	if (i < 0 || (unsigned)i >= b->n)
		return;
	b->r[i].base = base;
	b->r[i].enabled = enabled;
}

int mmio_access(struct mmio_bus *b, pthread_mutex_t *lock, uint64_t gpa, uint8_t *data, unsigned len,
		bool write, struct run_end *end)
{
	struct mmio_region hit = { .fn = NULL };
	uint64_t last;

	if (len == 0 || len > 8 || __builtin_add_overflow(gpa, len - 1, &last))
		return -1;
	pthread_mutex_lock(lock);
	for (unsigned i = 0; i < b->n; i++) {
		const struct mmio_region *r = &b->r[i];

		if (r->enabled && gpa >= r->base && last - r->base < r->len) {
			hit = *r;
			break;
		}
	}
	pthread_mutex_unlock(lock);
	if (!hit.fn)
		return -1;
	if (!write)
		memset(data, 0, len);
	return hit.fn(hit.dev, gpa - hit.base, data, len, write, end);
}
