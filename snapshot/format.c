/* The snapshot file's layout: header, records, checksums. Pure: no KVM, no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void snap_add(struct snap_buf *b, uint32_t type, uint32_t cpu, const void *data, size_t len)
{
	struct snap_rec r = { .type = type, .cpu = cpu, .len = (uint32_t)len };
	size_t need = sizeof r + ((len + 7) & ~(size_t)7);

	if (b->failed)
		return;
	if (len > UINT32_MAX) {
		b->failed = true;
		return;
	}
	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *d;

		while (cap < b->len + need)
			cap *= 2;
		if (!(d = realloc(b->data, cap))) {
			b->failed = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, &r, sizeof r);
	memset(b->data + b->len + sizeof r, 0, need - sizeof r);
	if (len)
		memcpy(b->data + b->len + sizeof r, data, len);
	b->len += need;
}

void snap_header_make(struct snap_header *h, const char *vendor, uint32_t ncpus, uint64_t mem,
		      const uint8_t *state, size_t state_len)
{
	memset(h, 0, sizeof *h);
	memcpy(h->magic, SNAP_MAGIC, sizeof h->magic);
	h->version = SNAP_VERSION;
	h->header_size = SNAP_HEADER_SIZE;
	memcpy(h->vendor, vendor, sizeof h->vendor);
	h->ncpus = ncpus;
	h->mem = mem;
	h->state_off = SNAP_STATE_OFF;
	h->state_len = state_len;
	h->ram_off = (SNAP_STATE_OFF + state_len + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);
	h->state_sum = fnv1a(FNV_START, state, state_len);
	h->header_sum = fnv1a(FNV_START, h, sizeof *h);
}

int snap_check_header(const uint8_t *buf, size_t n, uint64_t file_size, struct snap_header *h,
		      char *why, size_t len)
{
	uint64_t sum, end;

	if (n < sizeof *h) {
		snprintf(why, len, "truncated: %llu bytes, less than the %u-byte header",
			 (unsigned long long)file_size, SNAP_HEADER_SIZE);
		return -1;
	}
	memcpy(h, buf, sizeof *h);
	if (memcmp(h->magic, SNAP_MAGIC, sizeof h->magic) != 0) {
		snprintf(why, len, "not a kvmrun snapshot (no %s magic)", SNAP_MAGIC);
		return -1;
	}
	if (h->version != SNAP_VERSION) {
		snprintf(why, len, "format version %u; this kvmrun (%s) reads version %u", h->version,
			 KVMRUN_VERSION, SNAP_VERSION);
		return -1;
	}
	sum = h->header_sum;
	h->header_sum = 0;
	if (h->header_size != SNAP_HEADER_SIZE || fnv1a(FNV_START, h, sizeof *h) != sum) {
		snprintf(why, len, "damaged: the header's checksum does not match");
		return -1;
	}
	h->header_sum = sum;
	if (h->ncpus < 1 || h->ncpus > VM_MAX_CPUS || h->mem == 0 || h->mem % GUEST_PAGE || h->mem > GUEST_MEM_MAX ||
	    h->state_off != SNAP_STATE_OFF || h->state_len > (1ULL << 30) || h->ram_off % GUEST_PAGE ||
	    h->ram_off < h->state_off + h->state_len) {
		snprintf(why, len, "damaged: the header's sizes do not fit together");
		return -1;
	}
	end = h->ram_off + h->mem;
	if (file_size < end) {
		snprintf(why, len, "truncated: %llu bytes, the header says %llu", (unsigned long long)file_size,
			 (unsigned long long)end);
		return -1;
	}
	if (file_size > end) {
		snprintf(why, len, "damaged: %llu bytes, the header says %llu", (unsigned long long)file_size,
			 (unsigned long long)end);
		return -1;
	}
	return 0;
}

int snap_check_state(const struct snap_header *h, const uint8_t *state, char *why, size_t len)
{
	size_t off = 0;

	if (fnv1a(FNV_START, state, h->state_len) != h->state_sum) {
		snprintf(why, len, "damaged: the state's checksum does not match");
		return -1;
	}
	while (off < h->state_len) {
		struct snap_rec r;

		if (h->state_len - off < sizeof r) {
			snprintf(why, len, "damaged: a record is cut at byte %zu of the state", off);
			return -1;
		}
		memcpy(&r, state + off, sizeof r);
		if (r.type == 0 || r.type >= REC_TYPES || r.cpu >= h->ncpus ||
		    ((uint64_t)r.len + 7) / 8 * 8 > h->state_len - off - sizeof r) {
			snprintf(why, len, "damaged: record %u at byte %zu of the state does not fit", r.type, off);
			return -1;
		}
		off += sizeof r + ((r.len + 7) & ~7u);
	}
	return 0;
}

const void *snap_find(const uint8_t *state, size_t state_len, uint32_t type, uint32_t cpu, uint32_t *len)
{
	return snap_find_nth(state, state_len, type, cpu, 0, len);
}

const void *snap_find_nth(const uint8_t *state, size_t state_len, uint32_t type, uint32_t cpu, unsigned nth,
			  uint32_t *len)
{
	size_t off = 0;

	while (state_len - off >= sizeof(struct snap_rec)) {
		struct snap_rec r;

		memcpy(&r, state + off, sizeof r);
		if (r.type == type && r.cpu == cpu && nth-- == 0) {
			*len = r.len;
			return state + off + sizeof r;
		}
		off += sizeof r + ((r.len + 7) & ~7u);
		if (off > state_len)
			break;
	}
	return NULL;
}
