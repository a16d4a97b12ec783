/*
 * virtio-balloon (virtio 1.x, 5.5): the host asks the guest for RAM back
 * (balloon_set_target, from any thread), the guest gives pages by number on
 * the inflate queue and the runner drops them (MADV_DONTNEED: guest RAM is a
 * private anonymous mapping, so a dropped page reads as zeros when touched
 * again); deflated pages need nothing. Free page reporting hands over free
 * blocks of guest RAM as buffers that are dropped the same way and given
 * back. The statistics queue holds the driver's one buffer until the host
 * wants fresh figures (balloon_get).
 *
 * Queues are numbered densely over the ones the features make exist, as
 * Linux's virtio_pci (vp_find_vqs skips a queue with no name) and QEMU do:
 * inflate 0, deflate 1, then statsq with STATS_VQ, then reporting_vq with
 * REPORTING. FREE_PAGE_HINT and PAGE_POISON are not offered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_ids.h>

#include "virtio.h"

#define PCI_CLASS_OTHERS_ 0x00ff00
#define BALLOON_PAGE      (1ULL << VIRTIO_BALLOON_PFN_SHIFT)
#define MAX_PFNS          65536 /* PFNs in one inflate or deflate request (Linux sends at most 256) */
#define STAT_SIZE         sizeof(struct virtio_balloon_stat)	/* 10: packed */
#define NTAGS             (sizeof ((struct balloon_info *)0)->stats / sizeof(uint64_t))

enum role { Q_INFLATE, Q_DEFLATE, Q_STATS, Q_REPORTING, Q_NONE };

/* The balloon's state: all of it under the device's lock. */
struct balloon {
	uint32_t num_pages;              /* the target, in 4 KiB pages (configuration, host-written) */
	uint32_t actual;                 /* pages in the balloon (configuration, guest-written) */
	bool stats_held;                 /* the driver's statistics buffer, kept until we want fresh ones */
	uint16_t stats_head;
	bool stats_wanted;               /* balloon_get asked: give the buffer back */
	uint64_t stats[NTAGS];
	uint32_t stats_valid;
	uint64_t inflated, deflated;     /* pages */
	uint64_t bad_pfns;               /* outside RAM: ignored */
	uint64_t reports, released;      /* free page reports; bytes dropped, inflate and reports */
};

/* Which queue q is, for the features the driver took. */
static enum role role(const struct virtio_dev *d, unsigned q)
{
	unsigned next = 2;

	if (q < 2)
		return q == 0 ? Q_INFLATE : Q_DEFLATE;
	if (virtio_negotiated(d, VIRTIO_BALLOON_F_STATS_VQ) && q == next++)
		return Q_STATS;
	if (virtio_negotiated(d, VIRTIO_BALLOON_F_REPORTING) && q == next)
		return Q_REPORTING;
	return Q_NONE;
}

/* Drop the host pages under [p, p + len), whole 4 KiB pages only; the bytes dropped. */
static uint64_t release(uint8_t *p, uint64_t len)
{
	uintptr_t start = ((uintptr_t)p + BALLOON_PAGE - 1) & ~(uintptr_t)(BALLOON_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(uintptr_t)(BALLOON_PAGE - 1);

	if (end <= start || madvise((void *)start, end - start, MADV_DONTNEED) < 0)
		return 0;
	return end - start;
}

/*
 * An inflate or deflate request: 32-bit PFNs. Each page is checked against
 * RAM on its own (a PFN in the hole or past the end is counted and skipped);
 * runs of pages adjacent on the host are dropped with one call.
 */
static void pfns(struct virtio_dev *d, struct balloon *b, const struct vq_chain *c, bool inflate)
{
	uint8_t *run = NULL;
	uint64_t run_len = 0, n = c->in_len / 4;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t pfn;
		uint8_t *page;

		iov_copy(c->in, c->nin, i * 4, &pfn, sizeof pfn, false);
		page = guest_range(&d->vm->mem, (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT, BALLOON_PAGE);
		if (!page) {
			b->bad_pfns++;
			continue;
		}
		if (!inflate) {
			b->deflated++;
			continue;
		}
		b->inflated++;
		if (run && run + run_len == page) {
			run_len += BALLOON_PAGE;
			continue;
		}
		if (run)
			b->released += release(run, run_len);
		run = page;
		run_len = BALLOON_PAGE;
	}
	if (run)
		b->released += release(run, run_len);
}

/* The statistics buffer: tag and value pairs, unknown tags ignored. Keeps the chain. */
static void stats_take(struct virtio_dev *d, struct balloon *b, unsigned q, const struct vq_chain *c)
{
	uint64_t n = c->in_len / STAT_SIZE;

	if (b->stats_held)	/* a second buffer: the first goes back */
		virtio_used(d, q, b->stats_head, 0);
	for (uint64_t i = 0; i < n && i < 4 * NTAGS; i++) {
		struct virtio_balloon_stat s;

		iov_copy(c->in, c->nin, i * STAT_SIZE, &s, STAT_SIZE, false);
		if (s.tag < NTAGS) {
			b->stats[s.tag] = s.val;
			b->stats_valid |= 1u << s.tag;
		}
	}
	b->stats_held = true;
	b->stats_head = c->head;
	d->st.bytes_in += c->in_len;
}

static bool balloon_notify(struct virtio_dev *d, unsigned q)
{
	struct balloon *b = d->backend;
	enum role r = role(d, q);
	struct vq_chain c;
	bool used = false;
	char why[160];
	int got;

	if (r == Q_STATS && b->stats_held && b->stats_wanted) {
		virtio_used(d, q, b->stats_head, 0);
		b->stats_held = b->stats_wanted = false;
		used = true;
	}
	while ((got = vq_pop(&d->vq[q], &d->vm->mem, &c, why, sizeof why)) == 1) {
		switch (r) {
		case Q_INFLATE:
		case Q_DEFLATE:
			if (c.in_len % 4 || c.in_len / 4 > MAX_PFNS) {
				snprintf(why, sizeof why, "%s request of %llu bytes (whole 32-bit PFNs, at most %d)",
					 r == Q_INFLATE ? "an inflate" : "a deflate", (unsigned long long)c.in_len, MAX_PFNS);
				virtio_fail(d, why);
				return used;
			}
			pfns(d, b, &c, r == Q_INFLATE);
			d->st.bytes_in += c.in_len;
			virtio_used(d, q, c.head, 0);
			break;
		case Q_STATS:
			stats_take(d, b, q, &c);
			break;
		case Q_REPORTING:
			/* The buffers are the free blocks themselves, device-writable; nothing is written. */
			for (unsigned i = 0; i < c.nout; i++)
				b->released += release(c.out[i].iov_base, c.out[i].iov_len);
			b->reports++;
			virtio_used(d, q, c.head, 0);
			break;
		case Q_NONE:
			snprintf(why, sizeof why, "buffers on queue %u, which the negotiated features do not have", q);
			virtio_fail(d, why);
			return used;
		}
		used = true;
	}
	if (got < 0)
		virtio_fail(d, why);
	return used;
}

static void balloon_config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	const struct balloon *b = d->backend;
	struct virtio_balloon_config c = { .num_pages = b->num_pages, .actual = b->actual };

	if (off + len <= sizeof c)
		memcpy(data, (uint8_t *)&c + off, len);
}

/* Only actual is the driver's to write; a write may cover part of it. */
static void balloon_config_write(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len)
{
	struct balloon *b = d->backend;
	struct virtio_balloon_config c = { .num_pages = b->num_pages, .actual = b->actual };
	unsigned lo = offsetof(struct virtio_balloon_config, actual), hi = lo + sizeof c.actual;

	if (off + len > sizeof c)
		return;
	for (unsigned i = off; i < off + len; i++)
		if (i >= lo && i < hi)
			((uint8_t *)&c)[i] = data[i - off];
	b->actual = c.actual;
}

static void balloon_reset(struct virtio_dev *d)
{
	struct balloon *b = d->backend;

	b->stats_held = b->stats_wanted = false;	/* the queue, and the buffer in it, are gone */
	b->actual = 0;	/* a new driver starts with an empty balloon: what it held is its RAM again */
}

static void balloon_stats(const struct virtio_dev *d, FILE *f)
{
	const struct balloon *b = d->backend;

	fprintf(f, "kvmrun: stats:   %-14s target %llu KiB, actual %llu KiB, %llu pages inflated, %llu deflated, "
		"%llu bad PFNs, %llu free page reports, %llu KiB released\n", "",
		(unsigned long long)b->num_pages * 4, (unsigned long long)b->actual * 4,
		(unsigned long long)b->inflated, (unsigned long long)b->deflated, (unsigned long long)b->bad_pfns,
		(unsigned long long)b->reports, (unsigned long long)(b->released >> 10));
}

/*
 * A snapshot keeps the balloon whole: the target, what the guest put in, the
 * figures, and the statistics buffer the device holds (its chain stays popped
 * in the ring, so the restored device gives back the same head). A fixed
 * layout: the file outlives this build.
 */
struct balloon_saved {
	uint32_t num_pages, actual;
	uint16_t stats_head;
	uint8_t stats_held, stats_wanted;
	uint32_t stats_valid;
	uint64_t stats[16];
	uint64_t inflated, deflated, bad_pfns, reports, released;
};

_Static_assert(NTAGS == 16, "struct balloon_saved keeps 16 statistics");

static size_t balloon_save(struct virtio_dev *d, void *buf, size_t room)
{
	const struct balloon *b = d->backend;
	struct balloon_saved s = {
		.num_pages = b->num_pages, .actual = b->actual, .stats_head = b->stats_head,
		.stats_held = b->stats_held, .stats_wanted = b->stats_wanted, .stats_valid = b->stats_valid,
		.inflated = b->inflated, .deflated = b->deflated, .bad_pfns = b->bad_pfns, .reports = b->reports,
		.released = b->released,
	};

	if (room < sizeof s)
		return 0;
	memcpy(s.stats, b->stats, sizeof s.stats);
	memcpy(buf, &s, sizeof s);
	return sizeof s;
}

/* After the queues are back (pcistate.c restores them first): a held head must lie in the statistics queue. */
static int balloon_restore(struct virtio_dev *d, const void *buf, size_t len)
{
	struct balloon *b = d->backend;
	struct balloon_saved s;

	if (len != sizeof s)
		return -1;
	memcpy(&s, buf, sizeof s);
	if (s.stats_held > 1 || s.stats_wanted > 1 || (uint64_t)s.num_pages * BALLOON_PAGE > d->vm->mem.size ||
	    (s.stats_held && s.stats_head >= d->vq[Q_STATS].size))
		return -1;
	*b = (struct balloon){ .num_pages = s.num_pages, .actual = s.actual, .stats_held = s.stats_held,
			       .stats_head = s.stats_head, .stats_wanted = s.stats_wanted,
			       .stats_valid = s.stats_valid, .inflated = s.inflated, .deflated = s.deflated,
			       .bad_pfns = s.bad_pfns, .reports = s.reports, .released = s.released };
	memcpy(b->stats, s.stats, sizeof b->stats);
	return 0;
}

static const struct virtio_ops balloon_ops = {
	.type = "virtio-balloon", .device_id = VIRTIO_ID_BALLOON, .pci_class = PCI_CLASS_OTHERS_, .nqueues = 4,
	.features = (1ULL << VIRTIO_BALLOON_F_STATS_VQ) | (1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
		    (1ULL << VIRTIO_BALLOON_F_REPORTING),
	.config_len = sizeof(struct virtio_balloon_config),
	.config_read = balloon_config, .config_write = balloon_config_write, .queue_notify = balloon_notify,
	.reset = balloon_reset, .stats = balloon_stats, .save = balloon_save, .restore = balloon_restore,
};

struct virtio_dev *virtio_balloon_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv)
{
	struct balloon *b = calloc(1, sizeof *b);

	if (!b) {
		fprintf(stderr, "kvmrun: out of memory for virtio-balloon\n");
		return NULL;
	}
	return virtio_add(vm, pb, mv, &balloon_ops, b, "virtio-balloon");
}

int balloon_set_target(struct virtio_dev *d, uint64_t bytes, char *why, size_t len)
{
	struct balloon *b = d->backend;
	uint64_t ram = d->vm->mem.size;

	if (bytes % BALLOON_PAGE) {
		snprintf(why, len, "%llu bytes is not a multiple of 4 KiB", (unsigned long long)bytes);
		return -1;
	}
	if (bytes > ram || bytes / BALLOON_PAGE > UINT32_MAX) {
		snprintf(why, len, "%llu bytes is above the guest's RAM (%llu MiB)", (unsigned long long)bytes,
			 (unsigned long long)(ram >> 20));
		return -1;
	}
	pthread_mutex_lock(&d->lock);
	if (b->num_pages != bytes / BALLOON_PAGE) {
		b->num_pages = (uint32_t)(bytes / BALLOON_PAGE);
		virtio_config_changed(d);
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void balloon_get(struct virtio_dev *d, struct balloon_info *out)
{
	struct balloon *b = d->backend;
	bool ask = false;

	pthread_mutex_lock(&d->lock);
	out->target = (uint64_t)b->num_pages * BALLOON_PAGE;
	out->actual = (uint64_t)b->actual * BALLOON_PAGE;
	out->reported = b->reports;
	out->released = b->released;
	memcpy(out->stats, b->stats, sizeof out->stats);
	out->stats_valid = b->stats_valid;
	if (b->stats_held && !b->stats_wanted)
		ask = b->stats_wanted = true;
	pthread_mutex_unlock(&d->lock);
	if (ask)	/* the device's thread gives the buffer back; the driver refills it */
		virtio_kick(d, 2);
}
