/*
 * Split virtqueues (virtio 1.x, 2.7): the device's side. Every descriptor is
 * copied out of guest memory into a local before it is looked at, every
 * buffer goes through guest_range(), and a chain is bounded by the table it
 * lives in (a longer walk is a loop). Nothing here touches a file or a
 * thread: the fuzz target drives it on a RAM of its own.
 */
#include <stdio.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "virtio.h"

#define DESC_SIZE 16

int vq_enable(struct vq *q, const struct guest_mem *m, char *why, size_t len)
{
	uint16_t n = q->size;

	q->ready = false;
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1))) {
		snprintf(why, len, "queue size %u is not a power of two from 1 to %d", n, VQ_MAX_SIZE);
		return -1;
	}
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
		snprintf(why, len, "rings misaligned (descriptors 0x%llx, driver 0x%llx, device 0x%llx)",
			 (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
			 (unsigned long long)q->used_gpa);
		return -1;
	}
	q->desc = guest_range(m, q->desc_gpa, (uint64_t)DESC_SIZE * n);
	q->avail = guest_range(m, q->avail_gpa, 6 + 2ULL * n);
	q->used = guest_range(m, q->used_gpa, 6 + 8ULL * n);
	if (!q->desc || !q->avail || !q->used) {
		snprintf(why, len, "a ring of %u entries lies outside RAM (descriptors 0x%llx, driver 0x%llx, "
			 "device 0x%llx)", n, (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
			 (unsigned long long)q->used_gpa);
		return -1;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

static uint16_t load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

int vq_pop(struct vq *q, const struct guest_mem *m, struct vq_chain *c, char *why, size_t len)
{
	const uint8_t *table = q->desc;
	unsigned table_n = q->size, steps = 0;
	bool in_indirect = false;
	uint16_t avail_idx, idx, pending;

	if (!q->ready)
		return 0;
	avail_idx = load16(q->avail + 2);
	if (avail_idx == q->last_avail && q->event_idx) {
		/*
		 * Empty: the device waits for a kick now. With EVENT_IDX the driver
		 * kicks only when its index passes avail_event, so say where we stand,
		 * then look again: a chain made available before the driver saw the
		 * new avail_event came without a kick.
		 */
		__atomic_store_n((uint16_t *)(void *)(q->used + 4 + 8 * (size_t)q->size), q->last_avail,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* our avail_event before the driver's index */
		avail_idx = load16(q->avail + 2);
	}
	if (avail_idx == q->last_avail)
		return 0;
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending > q->size) {
		snprintf(why, len, "the driver made %u buffers available in a queue of %u", pending, q->size);
		return -1;
	}
	idx = load16(q->avail + 4 + 2 * (q->last_avail % q->size));
	c->nin = c->nout = 0;	/* the iovec arrays are large: only what is used gets written */
	c->in_len = c->out_len = 0;
	c->head = idx;
	for (;;) {
		struct vring_desc d;
		void *p;

		if (idx >= table_n) {
			snprintf(why, len, "descriptor %u is beyond the %stable of %u", idx,
				 in_indirect ? "indirect " : "", table_n);
			return -1;
		}
		if (++steps > table_n) {
			snprintf(why, len, "the chain from descriptor %u loops", c->head);
			return -1;
		}
		memcpy(&d, table + (size_t)idx * DESC_SIZE, sizeof d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!q->indirect || in_indirect || (d.flags & VRING_DESC_F_NEXT)) {
				snprintf(why, len, "descriptor %u: an indirect table %s", idx,
					 !q->indirect ? "without INDIRECT_DESC negotiated" :
					 in_indirect ? "inside an indirect table" : "with NEXT set");
				return -1;
			}
			if (d.len == 0 || d.len % DESC_SIZE || d.len / DESC_SIZE > VQ_MAX_SEGS ||
			    !(table = guest_range(m, d.addr, d.len))) {
				snprintf(why, len, "descriptor %u: indirect table of %u bytes at 0x%llx is malformed "
					 "or outside RAM", idx, d.len, (unsigned long long)d.addr);
				return -1;
			}
			table_n = d.len / DESC_SIZE;
			in_indirect = true;
			idx = 0;
			steps = 0;
			continue;
		}
		p = guest_range(m, d.addr, d.len);
		if (!p) {
			snprintf(why, len, "descriptor %u: %u bytes at 0x%llx lie outside RAM", idx, d.len,
				 (unsigned long long)d.addr);
			return -1;
		}
		if (c->nin + c->nout >= VQ_MAX_SEGS) {
			snprintf(why, len, "the chain from descriptor %u has more than %d buffers", c->head, VQ_MAX_SEGS);
			return -1;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			c->out[c->nout++] = (struct iovec){ .iov_base = p, .iov_len = d.len };
			c->out_len += d.len;
		} else if (c->nout) {
			snprintf(why, len, "descriptor %u: a device-readable buffer after a writable one", idx);
			return -1;
		} else {
			c->in[c->nin++] = (struct iovec){ .iov_base = p, .iov_len = d.len };
			c->in_len += d.len;
		}
		if (c->in_len > VQ_MAX_CHAIN || c->out_len > VQ_MAX_CHAIN) {
			snprintf(why, len, "the chain from descriptor %u holds more than %llu bytes", c->head,
				 VQ_MAX_CHAIN);
			return -1;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	q->last_avail++;
	return 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem e = { .id = head, .len = written };

	if (!q->ready)
		return;
	memcpy(q->used + 4 + 8 * (size_t)(q->used_idx % q->size), &e, sizeof e);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(void *)(q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

void vq_unpop(struct vq *q, uint16_t n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
}

bool vq_has_avail(const struct vq *q)
{
	return q->ready && load16(q->avail + 2) != q->last_avail;
}

bool vq_wants_interrupt(const struct vq *q, uint16_t old)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* our used index before the driver's flags or used_event */
	if (q->event_idx)	/* used_event follows the driver's ring: once the used index passes it */
		return vring_need_event(load16(q->avail + 4 + 2 * (size_t)q->size), q->used_idx, old);
	return !(load16(q->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

unsigned iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		out[k++] = (struct iovec){ .iov_base = (uint8_t *)iov[i].iov_base + off, .iov_len = take };
		len -= take;
		off = 0;
	}
	return k;
}

size_t iov_copy(const struct iovec *iov, unsigned n, uint64_t off, void *p, size_t len, bool into_iov)
{
	struct iovec part[VQ_MAX_SEGS];
	unsigned k = iov_slice(iov, n < VQ_MAX_SEGS ? n : VQ_MAX_SEGS, off, len, part);
	size_t done = 0;

	for (unsigned i = 0; i < k; i++) {
		if (into_iov)
			memcpy(part[i].iov_base, (const uint8_t *)p + done, part[i].iov_len);
		else
			memcpy((uint8_t *)p + done, part[i].iov_base, part[i].iov_len);
		done += part[i].iov_len;
	}
	return done;
}
