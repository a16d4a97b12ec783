/*
 * fuzz_net: virtio-net's frame path (devices/net_backend.c), the pure parts
 * the device thread runs on what a guest or a stream peer sends. Input:
 *   0   u16  features: bit i is virtio-net feature bit i (0-15; MRG_RXBUF and all offloads among them)
 *   2   12   a virtio_net_hdr_v1, 14 u16 the frame length it goes with (tx check, rx header)
 *   16  u8   receive: chains (1 + it mod 16), 17 u16 the frame's length (mod 8192)
 *   19  ...  per chain one byte, 1 + (b mod 4) buffers, then each buffer's length / 4 in one byte
 *   then     the stream: records, each a byte t, then: t odd, a frame header of length
 *            L = u24 (BE-stored as read) followed by L bytes (capped at 256 KiB of stream in all);
 *            t even, (t >> 1) mod 16 raw bytes copied from the input. The read sizes the
 *            reassembler gets cycle through the type bytes (1 to 4096).
 * Checked: net_stream_frame() returns exactly the frames, and counts exactly
 * the drops, of a reference walk of the whole stream, whatever the read
 * sizes; it always has room while no frame is complete. net_rx_fill() uses
 * the fewest chains that hold the header and frame (or none, writing
 * nothing), fills each before the next, reports what each got, writes the
 * header and frame in order and no byte past them. net_tx_check() and
 * net_rx_header() agree with the spec's rules, written again here.
 */
#include <linux/virtio_net.h>

#include "fuzz_util.h"
#include "devices/virtio.h"

#define MAX_STREAM (256u << 10)
#define RX_ARENA   (16 * 4 * 1024)
#define CANARY     0x5a

static uint8_t stream[MAX_STREAM];
static struct net_stream rs;

static bool has(uint64_t f, unsigned bit) { return (f >> bit) & 1; }

/* The spec's rules for a driver's header (5.1.6.2), as net_tx_check must apply them. */
static bool tx_ok(const struct virtio_net_hdr_v1 *h, uint32_t len, uint64_t f)
{
	unsigned gso = h->gso_type & 0x7f;
	bool ecn = h->gso_type & 0x80, csum = h->flags & 1;

	if (h->flags & ~1)
		return false;
	if (csum && (!has(f, VIRTIO_NET_F_CSUM) || (uint32_t)h->csum_start + h->csum_offset + 2 > len))
		return false;
	if (gso == 0)
		return !ecn;
	if (!csum || !h->gso_size || (ecn && !has(f, VIRTIO_NET_F_HOST_ECN)))
		return false;
	return (gso == 1 && has(f, VIRTIO_NET_F_HOST_TSO4)) || (gso == 4 && has(f, VIRTIO_NET_F_HOST_TSO6));
}

/* May a header from the tap reach a driver with these features (5.1.6.4)? */
static bool rx_ok(const struct virtio_net_hdr_v1 *h, uint64_t f)
{
	unsigned gso = h->gso_type & 0x7f;

	if ((h->flags & 1) && !has(f, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((h->gso_type & 0x80) && !has(f, VIRTIO_NET_F_GUEST_ECN))
		return false;
	if (gso == 0)
		return !(h->gso_type & 0x80);	/* ECN with no segmentation means nothing */
	return (gso == 1 && has(f, VIRTIO_NET_F_GUEST_TSO4)) || (gso == 4 && has(f, VIRTIO_NET_F_GUEST_TSO6));
}

static void check_headers(const uint8_t *in, uint64_t f)
{
	struct virtio_net_hdr_v1 h, r;
	uint32_t len = (uint32_t)le(in + 14, 2);
	enum net_drop v;

	memcpy(&h, in + 2, sizeof h);
	v = net_tx_check(&h, len, f);
	CHECK(v == NET_DROPS || v == NET_TX_BAD_HEADER, "tx verdict %d", v);
	CHECK((v == NET_DROPS) == tx_ok(&h, len, f), "tx verdict %d for flags %#x gso %#x csum %u+%u len %u features %#llx",
	      v, h.flags, h.gso_type, h.csum_start, h.csum_offset, len, (unsigned long long)f);

	r = h;
	v = net_rx_header(&r, f);
	CHECK(v == NET_DROPS || v == NET_RX_BAD_HEADER, "rx verdict %d", v);
	if (v == NET_DROPS) {
		unsigned gso = r.gso_type & 0x7f;

		CHECK(has(f, VIRTIO_NET_F_GUEST_CSUM) || r.flags == 0, "flags %#x without GUEST_CSUM", r.flags);
		CHECK(gso == 0 || (gso == 1 && has(f, VIRTIO_NET_F_GUEST_TSO4)) ||
		      (gso == 4 && has(f, VIRTIO_NET_F_GUEST_TSO6)), "gso %#x not accepted", r.gso_type);
		CHECK(!(r.gso_type & 0x80) || has(f, VIRTIO_NET_F_GUEST_ECN), "ECN not accepted");
		CHECK(r.gso_type == h.gso_type && r.gso_size == h.gso_size && r.csum_start == h.csum_start,
		      "rx header changed beyond its flags");
	}
	CHECK((v == NET_DROPS) == rx_ok(&h, f), "rx verdict %d for flags %#x gso %#x features %#llx", v, h.flags,
	      h.gso_type, (unsigned long long)f);
}

/* The receive copy into chains of buffers laid out in an arena of canary bytes. */
static size_t check_fill(const uint8_t *in, size_t size)
{
	static uint8_t arena[RX_ARENA], frame[8192], hdr[NET_HDR_LEN];
	struct iovec iov[64];
	unsigned cnt[16], nchains = 1 + in[16] % 16, niov = 0, used;
	uint32_t len = (uint32_t)le(in + 17, 2) % sizeof frame, written[16];
	uint64_t caps[16], need = NET_HDR_LEN + (uint64_t)len, cap = 0;
	size_t at = 19, off = 0;

	memset(arena, CANARY, sizeof arena);
	for (unsigned c = 0; c < nchains; c++) {
		unsigned n = 1 + (at < size ? in[at++] : 0) % 4;

		cnt[c] = n;
		caps[c] = 0;
		for (unsigned i = 0; i < n; i++) {
			size_t l = 4 * (size_t)(at < size ? in[at++] : 0);

			iov[niov++] = (struct iovec){ .iov_base = arena + off, .iov_len = l };
			off += l;
			caps[c] += l;
		}
	}
	for (unsigned i = 0; i < NET_HDR_LEN; i++)
		hdr[i] = (uint8_t)(0xc0 + i);
	for (uint32_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	used = net_rx_fill(iov, cnt, nchains, hdr, frame, len, written);
	{
		unsigned want = 0;

		for (; want < nchains && cap < need; want++)
			cap += caps[want];
		if (cap < need)
			want = 0;
		CHECK(used == want, "used %u chains, want %u (need %llu)", used, want, (unsigned long long)need);
	}
	if (used == 0) {
		for (size_t i = 0; i < off; i++)
			CHECK(arena[i] == CANARY, "byte %zu written with no chain used", i);
		return at;
	}
	{
		uint64_t pos = 0;
		unsigned k = 0;

		for (unsigned c = 0; c < used; c++) {
			uint64_t got = 0, want = caps[c] < need - pos ? caps[c] : need - pos;

			CHECK(written[c] == want, "chain %u got %u, want %llu", c, written[c], (unsigned long long)want);
			for (unsigned i = 0; i < cnt[c]; i++, k++) {
				const uint8_t *b = iov[k].iov_base;

				for (size_t j = 0; j < iov[k].iov_len; j++, got++) {
					uint64_t p = pos + got;

					if (got < written[c])
						CHECK(b[j] == (p < NET_HDR_LEN ? hdr[p] : frame[p - NET_HDR_LEN]),
						      "byte %llu of the frame wrong", (unsigned long long)p);
					else
						CHECK(b[j] == CANARY, "byte past the written part of chain %u touched", c);
				}
			}
			pos += written[c];
		}
		CHECK(pos == need, "%llu bytes written of %llu", (unsigned long long)pos, (unsigned long long)need);
		for (; k < niov; k++)
			for (size_t j = 0; j < iov[k].iov_len; j++)
				CHECK(((uint8_t *)iov[k].iov_base)[j] == CANARY, "an unused chain touched");
	}
	return at;
}

/* The stream from the records, then the reassembler against a walk of it. */
static void check_stream(const uint8_t *in, size_t size, size_t at)
{
	uint32_t total = 0, pos = 0, nreads = 0, seen = 0;
	uint64_t drops[NET_DROPS] = { 0 }, ref_drops[NET_DROPS] = { 0 };
	const uint8_t *types = in + at;
	size_t ntypes = 0;

	while (at < size && total < MAX_STREAM) {
		uint8_t t = in[at++];

		ntypes++;
		if (t & 1) {
			uint32_t l = at + 3 <= size ? (uint32_t)in[at] << 16 | (uint32_t)in[at + 1] << 8 | in[at + 2] : 0;

			at += 3;
			for (int i = 3; i >= 0 && total < MAX_STREAM; i--)
				stream[total++] = (uint8_t)(l >> (8 * i));
			for (uint32_t i = 0; i < l && total < MAX_STREAM; i++)
				stream[total++] = (uint8_t)(i ^ l);
		} else {
			for (unsigned i = 0; i < (t >> 1) % 16u && at < size && total < MAX_STREAM; i++)
				stream[total++] = in[at++];
		}
	}
	if (ntypes == 0)
		types = in, ntypes = 1;

	memset(&rs, 0, offsetof(struct net_stream, buf));
	for (size_t got = 0;;) {
		const uint8_t *f;
		uint32_t l;

		while (net_stream_frame(&rs, got, &f, &l, drops)) {
			/* The reference: the next frame the walk finds, from seen. */
			uint32_t p = seen, rl = 0;
			bool found = false;

			got = 0;
			while (total - p >= 4) {
				rl = (uint32_t)stream[p] << 24 | (uint32_t)stream[p + 1] << 16 | (uint32_t)stream[p + 2] << 8 |
				     stream[p + 3];
				if (rl > NET_MAX_FRAME) {
					ref_drops[NET_RX_TOO_BIG]++;
					p += 4 + (total - p - 4 < rl ? total - p - 4 : rl);
					continue;
				}
				if (total - p - 4 < rl)
					break;
				if (rl < NET_MIN_FRAME) {
					ref_drops[NET_RX_RUNT]++;
					p += 4 + rl;
					continue;
				}
				found = true;
				break;
			}
			CHECK(found, "a frame of %u bytes where the walk finds none", l);
			CHECK(l == rl && memcmp(f, stream + p + 4, l) == 0, "frame of %u bytes, want %u at %u", l, rl, p + 4);
			CHECK(p + 4 + rl <= pos, "a frame before its bytes were read");
			seen = p + 4 + rl;
			net_stream_pop(&rs);
		}
		got = 0;
		if (pos == total)
			break;
		{
			size_t room, n = 1 + (size_t)types[nreads++ % ntypes] * 16;
			uint8_t *space = net_stream_space(&rs, &room);

			CHECK(room > 0, "no room with no complete frame (%u bytes held)", rs.have);
			if (n > room)
				n = room;
			if (n > total - pos)
				n = total - pos;
			memcpy(space, stream + pos, n);
			pos += (uint32_t)n;
			got = n;
		}
	}
	/* What the walk finds after the last frame: only drops, then an incomplete tail. */
	while (total - seen >= 4) {
		uint32_t rl = (uint32_t)stream[seen] << 24 | (uint32_t)stream[seen + 1] << 16 |
			      (uint32_t)stream[seen + 2] << 8 | stream[seen + 3];

		if (rl > NET_MAX_FRAME) {
			ref_drops[NET_RX_TOO_BIG]++;
			seen += 4 + (total - seen - 4 < rl ? total - seen - 4 : rl);
		} else if (total - seen - 4 < rl) {
			break;
		} else {
			CHECK(rl < NET_MIN_FRAME, "a complete frame of %u bytes at %u never returned", rl, seen + 4);
			ref_drops[NET_RX_RUNT]++;
			seen += 4 + rl;
		}
	}
	for (unsigned i = 0; i < NET_DROPS; i++)
		CHECK(drops[i] == ref_drops[i], "%llu drops of cause %u, want %llu", (unsigned long long)drops[i], i,
		      (unsigned long long)ref_drops[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	uint64_t f;
	size_t at;

	if (size < 19)
		return 0;
	f = le(in, 2);
	check_headers(in, f);
	at = check_fill(in, size);
	check_stream(in, size, at);
	return 0;
}
