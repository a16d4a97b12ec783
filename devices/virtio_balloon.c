/* virtio-balloon: placeholder until the device lands (being written). */
#include <stdio.h>
#include <string.h>
#include "virtio.h"

struct virtio_dev *virtio_balloon_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv)
{
	(void)vm; (void)pb; (void)mv;
	fprintf(stderr, "kvmrun: virtio-balloon is not built yet\n");
	return NULL;
}

int balloon_set_target(struct virtio_dev *d, uint64_t bytes, char *why, size_t len)
{
	(void)d; (void)bytes;
	snprintf(why, len, "no balloon");
	return -1;
}

void balloon_get(struct virtio_dev *d, struct balloon_info *out)
{
	(void)d;
	memset(out, 0, sizeof *out);
}
