/*
 * virtio-blk (virtio 1.x, 5.2) on a raw image: read, write, flush
 * (fdatasync), get-id (the serial), discard and write-zeroes (fallocate on a
 * regular file), read-only disks. The image is opened and locked before the
 * VM exists (disk_open); requests run on the device's thread, one at a time,
 * straight between the file and the guest's buffers (preadv, pwritev).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "virtio.h"

#define SECTOR        512ULL
#define DISCARD_MAX   (32ULL << 20)     /* bytes in one discard or write-zeroes segment */
#define PCI_CLASS_STORAGE_SCSI_ 0x010000 /* QEMU's class for virtio-blk */

int disk_parse(char *spec, struct disk *d, char *why, size_t len)
{
	char *r = spec, *w = spec, *opt;
	const char *base;

	memset(d, 0, sizeof *d);
	d->fd = -1;
	/* FILE up to the first single comma; ",," is a comma in the name, as QEMU writes it. */
	while (*r && !(r[0] == ',' && r[1] != ',')) {
		if (r[0] == ',')
			r++;
		*w++ = *r++;
	}
	opt = *r ? r + 1 : NULL;
	*w = '\0';
	if (!*spec) {
		snprintf(why, len, "no file name before the options");
		return -1;
	}
	d->path = spec;
	base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
	snprintf(d->serial, sizeof d->serial, "%.20s", base);
	while (opt) {
		char *next = strchr(opt, ',');

		if (next)
			*next++ = '\0';
		if (strcmp(opt, "ro") == 0) {
			d->ro = true;
		} else if (strcmp(opt, "rw") == 0) {
			d->ro = false;
		} else if (strncmp(opt, "serial=", 7) == 0) {
			if (strlen(opt + 7) > VIRTIO_BLK_ID_BYTES) {
				snprintf(why, len, "serial '%s' is longer than %d bytes", opt + 7, VIRTIO_BLK_ID_BYTES);
				return -1;
			}
			snprintf(d->serial, sizeof d->serial, "%s", opt + 7);
		} else {
			snprintf(why, len, "unknown option '%s' (known: ro, rw, serial=TEXT)", opt);
			return -1;
		}
		opt = next;
	}
	return 0;
}

int disk_open(struct disk *d, int *status)
{
	struct flock fl = { .l_type = d->ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	uint64_t size;

	*status = EXIT_BAD_GUEST;
	d->fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0 && errno == EISDIR) {
		fprintf(stderr, "kvmrun: disk %s: is a directory, not a disk image\n", d->path);
		return -1;
	}
	if (d->fd < 0) {
		fprintf(stderr, "kvmrun: disk %s: cannot open it %s: %s%s\n", d->path,
			d->ro ? "for reading" : "for reading and writing", strerror(errno),
			(!d->ro && (errno == EROFS || errno == EACCES)) ? " (add ,ro to use it read-only)" : "");
		return -1;
	}
	if (fstat(d->fd, &st) < 0) {
		fprintf(stderr, "kvmrun: disk %s: cannot stat it: %s\n", d->path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "kvmrun: disk %s: is a directory, not a disk image\n", d->path);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (!S_ISBLK(st.st_mode) || ioctl(d->fd, BLKGETSIZE64, &size) < 0) {
		fprintf(stderr, "kvmrun: disk %s: is not a regular file or a block device\n", d->path);
		return -1;
	}
	if (size == 0) {
		fprintf(stderr, "kvmrun: disk %s: is empty (a raw image holds at least one 512-byte sector)\n", d->path);
		return -1;
	}
	if (size % SECTOR) {
		fprintf(stderr, "kvmrun: disk %s: is %llu bytes, not a multiple of 512 (truncate -s to round it)\n",
			d->path, (unsigned long long)size);
		return -1;
	}
	if (fcntl(d->fd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES) {
			*status = EXIT_DISK_LOCKED;
			fprintf(stderr, "kvmrun: disk %s: in use by another process (it holds a lock on the file); "
				"stop it first, or give ,ro to every user that only reads\n", d->path);
		} else {
			*status = EXIT_HOST;
			fprintf(stderr, "kvmrun: disk %s: cannot lock it: %s\n", d->path, strerror(errno));
		}
		return -1;
	}
	d->size = size;
	d->regular = S_ISREG(st.st_mode);
	return 0;
}

/* All of iov to or from the file at pos, through short transfers and EINTR. 0, or -1. */
static int transfer(int fd, struct iovec *iov, unsigned n, uint64_t pos, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(fd, iov, (int)n, (off_t)pos) : preadv(fd, iov, (int)n, (off_t)pos);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;	/* an error, or the file shrank under us */
		pos += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Is [sector * 512, + bytes) inside the disk? Overflow-safe. */
static bool in_disk(const struct disk *k, uint64_t sector, uint64_t bytes)
{
	return sector <= k->size / SECTOR && bytes <= k->size - sector * SECTOR;
}

/* Zeros written over [pos, pos + bytes), for a file system that cannot zero a range itself. */
static int write_zeros(int fd, uint64_t pos, uint64_t bytes)
{
	static const uint8_t zeros[65536];

	while (bytes) {
		size_t n = bytes < sizeof zeros ? (size_t)bytes : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, (off_t)pos);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		pos += (uint64_t)w;
		bytes -= (uint64_t)w;
	}
	return 0;
}

/*
 * Discard or write-zeroes: one segment (max_discard_seg and
 * max_write_zeroes_seg say so), a range to punch or zero. A discard the file
 * system cannot do is no error (its data may stay); zeroes it cannot punch or
 * zero in place are written.
 */
static uint8_t discard(struct disk *k, const struct vq_chain *c, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t bytes;

	if (c->in_len - sizeof(struct virtio_blk_outhdr) != sizeof seg)
		return VIRTIO_BLK_S_UNSUPP;	/* not exactly one segment */
	iov_copy(c->in, c->nin, sizeof(struct virtio_blk_outhdr), &seg, sizeof seg, false);
	if (seg.flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP || (!zeroes && seg.flags))
		return VIRTIO_BLK_S_UNSUPP;
	bytes = (uint64_t)seg.num_sectors * SECTOR;
	if (k->ro || !in_disk(k, seg.sector, bytes) || bytes > DISCARD_MAX)
		return VIRTIO_BLK_S_IOERR;
	k->discards++;
	if (!zeroes) {
		if (fallocate(k->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(seg.sector * SECTOR),
			      (off_t)bytes) < 0 && errno != EOPNOTSUPP)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	}
	if ((seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) &&
	    fallocate(k->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(seg.sector * SECTOR), (off_t)bytes) == 0)
		return VIRTIO_BLK_S_OK;
	if (fallocate(k->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)(seg.sector * SECTOR), (off_t)bytes) == 0)
		return VIRTIO_BLK_S_OK;
	return write_zeros(k->fd, seg.sector * SECTOR, bytes) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

/* One request; returns the bytes written into the guest's buffers, the status byte included. */
static uint32_t request(struct disk *k, const struct vq_chain *c)
{
	struct virtio_blk_outhdr h;
	struct iovec io[VQ_MAX_SEGS];
	uint64_t data = c->out_len - 1, bytes;
	uint32_t written = 1;
	uint8_t status = VIRTIO_BLK_S_OK;
	unsigned n;

	iov_copy(c->in, c->nin, 0, &h, sizeof h, false);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (data % SECTOR || !in_disk(k, h.sector, data)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = iov_slice(c->out, c->nout, 0, data, io);
		if (transfer(k->fd, io, n, h.sector * SECTOR, false) < 0) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		k->reads++, k->read_bytes += data;
		written += (uint32_t)data;
		break;
	case VIRTIO_BLK_T_OUT:
		bytes = c->in_len - sizeof h;
		if (k->ro || bytes % SECTOR || !in_disk(k, h.sector, bytes)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = iov_slice(c->in, c->nin, sizeof h, bytes, io);
		if (transfer(k->fd, io, n, h.sector * SECTOR, true) < 0)
			status = VIRTIO_BLK_S_IOERR;
		else
			k->writes++, k->write_bytes += bytes;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!k->ro && fdatasync(k->fd) < 0)
			status = VIRTIO_BLK_S_IOERR;
		k->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = { 0 };

		memcpy(id, k->serial, strnlen(k->serial, sizeof id));
		written += (uint32_t)iov_copy(c->out, c->nout, 0, id, data < sizeof id ? data : sizeof id, true);
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = k->regular ? discard(k, c, h.type == VIRTIO_BLK_T_WRITE_ZEROES) : VIRTIO_BLK_S_UNSUPP;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		k->ioerrs++;
	iov_copy(c->out, c->nout, c->out_len - 1, &status, 1, true);
	return written;
}

static bool blk_notify(struct virtio_dev *d, unsigned q)
{
	struct disk *k = d->backend;
	struct vq_chain c;
	bool used = false;
	char why[160];
	int r;

	while ((r = vq_pop(&d->vq[q], &d->vm->mem, &c, why, sizeof why)) == 1) {
		if (c.in_len < sizeof(struct virtio_blk_outhdr) || c.out_len < 1) {
			virtio_fail(d, "a block request without its header or status byte");
			return used;
		}
		d->st.bytes_in += c.in_len;
		virtio_used(d, q, c.head, request(k, &c));
		d->st.bytes_out += c.out_len;
		used = true;
	}
	if (r < 0)
		virtio_fail(d, why);
	return used;
}

static void blk_config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	const struct disk *k = d->backend;
	struct virtio_blk_config c = {
		.capacity = k->size / SECTOR,
		.seg_max = VQ_MAX_SEGS - 2,	/* the header and the status byte take two */
		.blk_size = SECTOR,
		.num_queues = 1,
		.max_discard_sectors = DISCARD_MAX / SECTOR, .max_discard_seg = 1, .discard_sector_alignment = 1,
		.max_write_zeroes_sectors = DISCARD_MAX / SECTOR, .max_write_zeroes_seg = 1,
		.write_zeroes_may_unmap = 1,
	};

	if (off + len <= sizeof c)
		memcpy(data, (uint8_t *)&c + off, len);
}

static void blk_stats(const struct virtio_dev *d, FILE *f)
{
	const struct disk *k = d->backend;

	fprintf(f, "kvmrun: stats:   %-14s %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, "
		"%llu discards, %llu I/O errors\n", "", (unsigned long long)k->reads, (unsigned long long)k->read_bytes,
		(unsigned long long)k->writes, (unsigned long long)k->write_bytes, (unsigned long long)k->flushes,
		(unsigned long long)k->discards, (unsigned long long)k->ioerrs);
}

static const struct virtio_ops blk_ops = {
	.type = "virtio-blk", .device_id = VIRTIO_ID_BLOCK, .pci_class = PCI_CLASS_STORAGE_SCSI_, .nqueues = 1,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH),
	.config_len = sizeof(struct virtio_blk_config),
	.config_read = blk_config, .queue_notify = blk_notify, .stats = blk_stats,
};

struct virtio_dev *virtio_blk_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv,
				  struct disk *k, unsigned index)
{
	struct virtio_ops *ops = malloc(sizeof *ops);
	char name[40];

	if (!ops)
		return NULL;
	/* Each disk offers what it can: read-only, discard on a file. */
	*ops = blk_ops;
	if (k->ro)
		ops->features |= 1ULL << VIRTIO_BLK_F_RO;
	if (k->regular && !k->ro)
		ops->features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	if (index < 26)	/* the names Linux gives: vda..vdz, then vdaa */
		snprintf(name, sizeof name, "virtio-blk vd%c", (char)('a' + index));
	else
		snprintf(name, sizeof name, "virtio-blk vd%c%c", (char)('a' + index / 26 - 1), (char)('a' + index % 26));
	return virtio_add(vm, pb, mv, ops, k, name);
}
