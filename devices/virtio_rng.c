/*
 * virtio-rng (virtio 1.x, 5.4): every buffer the driver posts comes back
 * filled from getrandom(2), at most 64 KiB a request.
 */
#include <errno.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "virtio.h"

#define RNG_MAX 65536
#define PCI_CLASS_OTHERS_ 0x00ff00

static bool rng_notify(struct virtio_dev *d, unsigned q)
{
	struct vq_chain c;
	bool used = false;
	char why[160];
	int r;

	while ((r = vq_pop(&d->vq[q], &d->vm->mem, &c, why, sizeof why)) == 1) {
		uint32_t done = 0;

		for (unsigned i = 0; i < c.nout && done < RNG_MAX; i++) {
			size_t want = c.out[i].iov_len < RNG_MAX - done ? c.out[i].iov_len : RNG_MAX - done;
			ssize_t n;

			while ((n = getrandom(c.out[i].iov_base, want, 0)) < 0 && errno == EINTR)
				;
			if (n <= 0)
				break;
			done += (uint32_t)n;
			if ((size_t)n < want)
				break;
		}
		d->st.bytes_out += done;
		virtio_used(d, q, c.head, done);
		used = true;
	}
	if (r < 0)
		virtio_fail(d, why);
	return used;
}

static void rng_config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	(void)d, (void)off, (void)data, (void)len;
}

static const struct virtio_ops rng_ops = {
	.type = "virtio-rng", .device_id = VIRTIO_ID_RNG, .pci_class = PCI_CLASS_OTHERS_, .nqueues = 1,
	.config_read = rng_config, .queue_notify = rng_notify,
};

struct virtio_dev *virtio_rng_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv)
{
	return virtio_add(vm, pb, mv, &rng_ops, NULL, "virtio-rng");
}
