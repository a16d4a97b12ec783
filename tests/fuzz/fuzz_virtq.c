/*
 * fuzz_virtq: the split virtqueue (devices/virtq.c) on a guest RAM of 64 KiB
 * that the input fills. Input (little-endian):
 *   0   u16  queue size: 1 << (it mod 10) (1 to 512, 512 too big), or as
 *            given when flags bit 2 is set
 *   2   u8   flags: bit 0 INDIRECT_DESC negotiated; bit 1 RAM split around
 *            the 32-bit hole (half at 0, half at 4 GiB, as main.c lays out
 *            RAM beyond 3 GiB); bit 2 the size as given; bit 3 ring
 *            addresses as given (else their low 16 bits, moved to high RAM
 *            for those with bit 4, 5 or 6 set when the RAM is split); bit 7
 *            128 MiB of RAM (zero past its first 64 KiB, never dereferenced
 *            there but for rings): room for chains past VQ_MAX_CHAIN
 *   3   u8   pops: 1 + it mod 16 calls of vq_pop (each chain taken is pushed back);
 *            bit 7 EVENT_IDX negotiated, bit 6 each chain taken is first given
 *            back (vq_unpop) and taken again
 *   4   u16  last_avail, 6 u16 used_idx: where the device stands (a queue in use)
 *   8   u64  descriptor ring, 16 u64 driver ring, 24 u64 device ring
 *   32  u32  iov_copy offset, 36 u32 iov_copy length
 *   40  ...  RAM's first bytes (up to 64 KiB; the rest zero)
 * Checked: vq_enable() accepts exactly the queues the spec and virtio.h
 * allow (a power-of-two size up to VQ_MAX_SIZE, aligned rings inside RAM)
 * and points at them; vq_pop() agrees with a reference walk of the chain
 * written here (result, head, every buffer in order, in_len and out_len):
 * each buffer lies inside RAM, nin + nout <= VQ_MAX_SEGS, the lengths are the
 * sums, a chain taken advances last_avail by one and a refusal (-1, with a
 * reason) or nothing (0) leaves it; vq_pop writes no RAM but, with
 * EVENT_IDX and nothing available, avail_event = last_avail; a chain given
 * back is taken again the same; vq_wants_interrupt() agrees with
 * vring_need_event on used_event, or the NO_INTERRUPT flag; vq_push() writes
 * the used element and index and nothing else; iov_copy() gathers what the
 * buffers hold.
 */
#include <sys/mman.h>
#include <linux/virtio_ring.h>

#include "fuzz_util.h"
#include "devices/virtio.h"

#define RAM_SIZE (64 * 1024)
#define BIG_SIZE (128ULL << 20)	/* past VQ_MAX_CHAIN: one buffer can hold more than a chain may */
#define HDR 40

static uint8_t *small, *big, *before;

/* guest_range's contract (kvm.h), written again: NULL when [gpa, gpa + len) is not all RAM. */
static uint8_t *xlate(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end, low = m->size - m->high;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	if (end <= low)
		return m->host + gpa;
	if (m->high && gpa >= GUEST_HIGH_START && end - GUEST_HIGH_START <= m->high)
		return m->host + low + (gpa - GUEST_HIGH_START);
	return NULL;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)le(p, 2); }

/* A chain as the reference walk sees it. */
struct ref {
	uint16_t head;
	unsigned nin, nout;
	struct iovec in[VQ_MAX_SEGS], out[VQ_MAX_SEGS];
	uint64_t in_len, out_len;
};

/* The reference: virtio 1.x 2.7.5 and 2.7.5.3, with virtio.h's limits. 1, 0 or -1 as vq_pop. */
static int ref_pop(const struct vq *q, const struct guest_mem *m, struct ref *r)
{
	const uint8_t *table = q->desc;
	unsigned n = q->size, idx;
	bool indirect = false;
	uint8_t seen[VQ_MAX_SEGS > VQ_MAX_SIZE ? VQ_MAX_SEGS : VQ_MAX_SIZE] = { 0 };
	uint16_t avail = rd16(q->avail + 2), pending = (uint16_t)(avail - q->last_avail);

	if (!q->ready || pending == 0)
		return 0;
	if (pending > q->size)
		return -1;
	r->nin = r->nout = 0;
	r->in_len = r->out_len = 0;
	idx = r->head = rd16(q->avail + 4 + 2 * (q->last_avail % q->size));
	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		uint8_t *p;

		if (idx >= n || seen[idx])
			return -1;	/* beyond the table, or a loop */
		seen[idx] = 1;
		addr = le(table + 16 * idx, 8);
		len = (uint32_t)le(table + 16 * idx + 8, 4);
		flags = rd16(table + 16 * idx + 12);
		next = rd16(table + 16 * idx + 14);
		if (flags & 4) {	/* VRING_DESC_F_INDIRECT */
			if (!q->indirect || indirect || (flags & 1) || len == 0 || len % 16 ||
			    len / 16 > VQ_MAX_SEGS || !(p = xlate(m, addr, len)))
				return -1;
			table = p;
			n = len / 16;
			indirect = true;
			memset(seen, 0, sizeof seen);
			idx = 0;
			continue;
		}
		if (!(p = xlate(m, addr, len)) || r->nin + r->nout == VQ_MAX_SEGS)
			return -1;
		if (flags & 2) {
			r->out[r->nout++] = (struct iovec){ p, len };
			r->out_len += len;
		} else {
			if (r->nout)
				return -1;	/* readable after writable */
			r->in[r->nin++] = (struct iovec){ p, len };
			r->in_len += len;
		}
		if (r->in_len > VQ_MAX_CHAIN || r->out_len > VQ_MAX_CHAIN)
			return -1;
		if (!(flags & 1))
			return 1;
		idx = next;
	}
}

/* Every buffer inside RAM: the low part, or the high part when the RAM is split. */
static void check_inside(const struct guest_mem *m, const struct iovec *v, unsigned n, const char *what)
{
	for (unsigned i = 0; i < n; i++) {
		uintptr_t b = (uintptr_t)v[i].iov_base, h = (uintptr_t)m->host;

		CHECK(b >= h && b - h <= m->size && v[i].iov_len <= m->size - (b - h),
		      "%s buffer %u (%zu bytes at %p) is not inside RAM %p+0x%llx", what, i, v[i].iov_len,
		      v[i].iov_base, (void *)m->host, (unsigned long long)m->size);
	}
}

static uint64_t sum(const struct iovec *v, unsigned n)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < n; i++)
		s += v[i].iov_len;
	return s;
}

/* What vq_enable must say: the spec's rules for size and alignment, every ring inside RAM. */
static bool ref_enable(const struct vq *q, const struct guest_mem *m)
{
	unsigned n = q->size;

	return n && n <= VQ_MAX_SIZE && !(n & (n - 1)) && !(q->desc_gpa & 15) && !(q->avail_gpa & 1) &&
	       !(q->used_gpa & 3) && xlate(m, q->desc_gpa, 16ULL * n) && xlate(m, q->avail_gpa, 6 + 2ULL * n) &&
	       xlate(m, q->used_gpa, 6 + 8ULL * n);
}

static uint64_t ring_addr(const uint8_t *in, unsigned off, uint8_t flags, unsigned bit)
{
	uint64_t a = le(in + off, 8);

	if (flags & 8)
		return a;
	a &= 0xffff;
	if ((flags & 2) && (flags & (1u << bit)))
		a += GUEST_HIGH_START - RAM_SIZE / 2;	/* 32 KiB..64 KiB: high RAM's first 32 KiB (small RAM) */
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[HDR] = { 0 };
	struct guest_mem m;
	struct vq q = { 0 };
	static struct vq_chain c;
	static struct ref r;
	char why[200];
	unsigned pops;
	uint8_t flags;
	bool ok;

	uint8_t *ram;
	uint64_t ram_size;

	if (!small) {
		small = malloc(RAM_SIZE);	/* exactly: ASan sees a byte past it */
		before = malloc(RAM_SIZE);
		big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (!small || !before || big == MAP_FAILED)
			abort();
	}
	memcpy(in, data, size < HDR ? size : HDR);
	flags = in[2];
	/* Big RAM: 128 MiB, zero but for the input's bytes in its first 64 KiB, where the rings lie. */
	ram = (flags & 0x80) ? big : small;
	ram_size = (flags & 0x80) ? BIG_SIZE : RAM_SIZE;
	memset(ram, 0, RAM_SIZE);
	if (size > HDR)
		memcpy(ram, data + HDR, size - HDR < RAM_SIZE ? size - HDR : RAM_SIZE);
	m = (struct guest_mem){ .host = ram, .size = ram_size, .high = (flags & 2) ? ram_size / 2 : 0 };
	q.size = (flags & 4) ? rd16(in) : (uint16_t)(1u << (rd16(in) % 10));
	q.desc_gpa = ring_addr(in, 8, flags, 4);
	q.avail_gpa = ring_addr(in, 16, flags, 5);
	q.used_gpa = ring_addr(in, 24, flags, 6);
	q.indirect = flags & 1;
	q.event_idx = in[3] & 0x80;
	pops = 1 + in[3] % 16;

	why[0] = 0;
	ok = vq_enable(&q, &m, why, sizeof why) == 0;
	CHECK(ok == ref_enable(&q, &m), "vq_enable(size %u, rings 0x%llx 0x%llx 0x%llx) = %d (%s)", q.size,
	      (unsigned long long)q.desc_gpa, (unsigned long long)q.avail_gpa, (unsigned long long)q.used_gpa,
	      ok, why);
	CHECK(ok == q.ready, "vq_enable returned %d but ready is %d", ok, q.ready);
	CHECK(ok || why[0], "vq_enable refused with no reason");
	if (!ok)
		return 0;
	CHECK(q.desc == xlate(&m, q.desc_gpa, 16ULL * q.size) && q.avail == xlate(&m, q.avail_gpa, 6 + 2ULL * q.size) &&
	      q.used == xlate(&m, q.used_gpa, 6 + 8ULL * q.size), "vq_enable's ring pointers are not the rings");
	CHECK(q.last_avail == 0 && q.used_idx == 0, "vq_enable left the indexes at %u, %u", q.last_avail, q.used_idx);
	q.last_avail = rd16(in + 4);
	q.used_idx = rd16(in + 6);

	while (pops--) {
		uint16_t last = q.last_avail, used_idx = q.used_idx;
		int want, got;

		memcpy(before, ram, RAM_SIZE);
		want = ref_pop(&q, &m, &r);
		why[0] = 0;
		got = vq_pop(&q, &m, &c, why, sizeof why);
		if (got == 0 && q.event_idx) {	/* avail_event published: that and nothing else */
			size_t e = (size_t)(q.used - ram) + 4 + 8 * (size_t)q.size;

			CHECK(rd16(q.used + 4 + 8 * (size_t)q.size) == q.last_avail, "avail_event %u, last_avail %u",
			      rd16(q.used + 4 + 8 * (size_t)q.size), q.last_avail);
			if (e + 2 <= RAM_SIZE)
				memcpy(before + e, ram + e, 2);
		}
		CHECK(memcmp(before, ram, RAM_SIZE) == 0, "vq_pop wrote guest RAM");
		CHECK(got == want, "vq_pop = %d, the reference says %d (%s)", got, want, why);
		if (got > 0 && (in[3] & 0x40)) {	/* given back, then taken again: the same chain */
			uint16_t head = c.head;
			unsigned nin = c.nin, nout = c.nout;

			vq_unpop(&q, 1);
			CHECK(q.last_avail == last, "vq_unpop left last_avail at %u, not %u", q.last_avail, last);
			CHECK(vq_pop(&q, &m, &c, why, sizeof why) == 1 && c.head == head && c.nin == nin && c.nout == nout,
			      "a chain given back came back different");
		}
		if (got <= 0) {
			CHECK(q.last_avail == last, "vq_pop = %d moved last_avail from %u to %u", got, last, q.last_avail);
			CHECK(got == 0 || why[0], "vq_pop refused with no reason");
			break;
		}
		CHECK(q.last_avail == (uint16_t)(last + 1), "a chain taken moved last_avail from %u to %u", last,
		      q.last_avail);
		CHECK(c.head == r.head && c.head < q.size, "head %u, the reference says %u (queue of %u)", c.head, r.head,
		      q.size);
		CHECK(c.nin + c.nout <= VQ_MAX_SEGS, "%u + %u buffers", c.nin, c.nout);
		check_inside(&m, c.in, c.nin, "readable");
		check_inside(&m, c.out, c.nout, "writable");
		CHECK(c.in_len == sum(c.in, c.nin) && c.out_len == sum(c.out, c.nout),
		      "in_len %llu, out_len %llu are not the sums of the buffers", (unsigned long long)c.in_len,
		      (unsigned long long)c.out_len);
		CHECK(c.nin == r.nin && c.nout == r.nout && c.in_len == r.in_len && c.out_len == r.out_len,
		      "%u readable, %u writable buffers; the reference says %u, %u", c.nin, c.nout, r.nin, r.nout);
		for (unsigned i = 0; i < c.nin; i++)
			CHECK(c.in[i].iov_base == r.in[i].iov_base && c.in[i].iov_len == r.in[i].iov_len,
			      "readable buffer %u differs from the reference", i);
		for (unsigned i = 0; i < c.nout; i++)
			CHECK(c.out[i].iov_base == r.out[i].iov_base && c.out[i].iov_len == r.out[i].iov_len,
			      "writable buffer %u differs from the reference", i);

		/* iov_copy out of the readable buffers: the bytes at [off, off + len) of their concatenation. */
		{
			uint64_t off = le(in + 32, 4) % (c.in_len + 1), len = le(in + 36, 4) % 8192, got_n, want_n;
			static uint8_t buf[8192], ref_buf[8192];
			uint64_t at = 0, k = 0;

			want_n = off + len <= c.in_len ? len : c.in_len - off;
			for (unsigned i = 0; i < c.nin && k < want_n; i++) {
				size_t l = c.in[i].iov_len, from, take;

				if (at + l <= off) {
					at += l;
					continue;
				}
				from = at < off ? off - at : 0;
				take = l - from < want_n - k ? l - from : want_n - k;
				memcpy(ref_buf + k, (uint8_t *)c.in[i].iov_base + from, take);
				k += take;
				at += l;
			}
			got_n = iov_copy(c.in, c.nin, off, buf, len, false);
			CHECK(got_n == want_n && memcmp(buf, ref_buf, want_n) == 0,
			      "iov_copy(off %llu, len %llu) moved %llu bytes, want %llu", (unsigned long long)off,
			      (unsigned long long)len, (unsigned long long)got_n, (unsigned long long)want_n);
		}

		/* vq_push: the used element at used_idx % size and the index, nothing else. */
		{
			uint32_t written = (uint32_t)c.out_len;
			size_t e = (size_t)(q.used - ram) + 4 + 8 * (size_t)(used_idx % q.size);

			memcpy(before, ram, RAM_SIZE);
			vq_push(&q, c.head, written);
			CHECK(q.used_idx == (uint16_t)(used_idx + 1), "vq_push moved used_idx from %u to %u", used_idx,
			      q.used_idx);
			CHECK(rd16(q.used + 2) == q.used_idx, "the used ring's idx is %u, not %u", rd16(q.used + 2),
			      q.used_idx);
			CHECK(le(ram + e, 4) == c.head && le(ram + e + 4, 4) == written, "the used element is wrong");
			for (size_t i = 0; i < RAM_SIZE; i++)
				if (ram[i] != before[i])
					CHECK((i >= e && i < e + 8) || (ram + i >= q.used + 2 && ram + i < q.used + 4),
					      "vq_push wrote RAM at host offset 0x%zx", i);
		}
		{
			uint16_t old = (uint16_t)(q.used_idx - 1 - in[5] % 4), ev = rd16(q.avail + 4 + 2 * (size_t)q.size);
			bool want_irq = q.event_idx ? vring_need_event(ev, q.used_idx, old)
						    : !(rd16(q.avail) & VRING_AVAIL_F_NO_INTERRUPT);

			CHECK(vq_wants_interrupt(&q, old) == want_irq, "vq_wants_interrupt(used %u -> %u, event %u) = %d",
			      old, q.used_idx, ev, !want_irq);
		}
	}
	if (q.used + 6 + 8 * (size_t)q.size > ram + RAM_SIZE)	/* big RAM stays zero past the window: undo the pushes */
		memset(q.used, 0, 6 + 8 * (size_t)q.size);
	return 0;
}
