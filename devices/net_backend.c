/*
 * The backends of --net: the value's parsing, the tap (/dev/net/tun with a
 * 12-byte vnet header, so offloads pass through) or the UNIX stream socket
 * (QEMU's stream netdev framing, as passt serves it), and the pure frame
 * functions the device uses and the fuzz target drives: the stream's
 * reassembly, the header checks each way and the copy of a frame into the
 * guest's receive buffers. Nothing here touches a virtqueue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "virtio.h"

const char *const net_drop_names[NET_DROPS] = {
	[NET_TX_SHORT] = "tx shorter than the 12-byte header",
	[NET_TX_RUNT] = "tx shorter than an Ethernet header",
	[NET_TX_TOO_BIG] = "tx larger than 65536 bytes",
	[NET_TX_BAD_HEADER] = "tx with an offload not negotiated or refused",
	[NET_TX_BACKEND] = "tx the backend could not take",
	[NET_RX_TOO_BIG] = "rx larger than 65536 bytes",
	[NET_RX_RUNT] = "rx shorter than an Ethernet header",
	[NET_RX_NO_ROOM] = "rx larger than the guest's buffers",
	[NET_RX_BAD_HEADER] = "rx with an offload the guest did not accept",
};

#define SUN_PATH_MAX (sizeof ((struct sockaddr_un *)0)->sun_path - 1)

/* The next item of spec at *p, NUL-terminated in place; ",," is a comma in it. NULL at the end. */
static char *next_item(char **p)
{
	char *r = *p, *w = *p, *item = *p;

	if (!r)
		return NULL;
	while (*r && !(r[0] == ',' && r[1] != ',')) {
		if (r[0] == ',')
			r++;
		*w++ = *r++;
	}
	*p = *r ? r + 1 : NULL;
	*w = '\0';
	return item;
}

static int parse_mac(const char *s, uint8_t mac[6], char *why, size_t len)
{
	for (unsigned i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		int hi, lo;

		if ((hi = parse_hex_digit(b[0])) < 0 || (lo = parse_hex_digit(b[1])) < 0 || b[2] != (i == 5 ? '\0' : ':')) {
			snprintf(why, len, "mac '%s' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)", s);
			return -1;
		}
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1) {
		snprintf(why, len, "mac '%s' is a multicast address (bit 0 of its first octet is set)", s);
		return -1;
	}
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		snprintf(why, len, "mac '%s' is all zeros", s);
		return -1;
	}
	return 0;
}

/* The default MAC: 52 (locally administered, unicast), then 40 bits of FNV-1a over the backend and its name. */
static void default_mac(const struct netdev *n, uint8_t mac[6])
{
	const char *kind = n->kind == NET_TAP ? "tap=" : "stream=";
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *s = kind; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	for (const char *s = n->name; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	mac[0] = 0x52;
	for (unsigned i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}

int net_parse(char *spec, struct netdev *n, char *why, size_t len)
{
	char *p = spec, *item;
	bool seen_tap = false, seen_stream = false;

	memset(n, 0, sizeof *n);
	n->fd = -1;
	while ((item = next_item(&p))) {
		char *val = strchr(item, '=');
		const char *key = item;

		if (!val) {
			snprintf(why, len, "'%s' is not KEY=VALUE (known: tap=NAME, stream=PATH, mac=MAC)", item);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(key, "tap") == 0 || strcmp(key, "stream") == 0) {
			bool tap = key[0] == 't';

			if (tap ? seen_tap : seen_stream) {
				snprintf(why, len, "%s= given twice", key);
				return -1;
			}
			if (seen_tap || seen_stream) {
				snprintf(why, len, "tap= and stream= together (one backend for each --net)");
				return -1;
			}
			*(tap ? &seen_tap : &seen_stream) = true;
			n->kind = tap ? NET_TAP : NET_STREAM;
			n->name = val;
			if (!*val) {
				snprintf(why, len, tap ? "empty tap name" : "empty socket path");
				return -1;
			}
			if (tap && strlen(val) > IFNAMSIZ - 1) {
				snprintf(why, len, "tap name '%s' is longer than %d bytes", val, IFNAMSIZ - 1);
				return -1;
			}
			if (tap && (strcmp(val, ".") == 0 || strcmp(val, "..") == 0 || strpbrk(val, "/:% \t\n"))) {
				snprintf(why, len, "tap name '%s' is not an interface name (no '/', ':', '%%' or spaces)", val);
				return -1;
			}
			if (!tap && strlen(val) > SUN_PATH_MAX) {
				snprintf(why, len, "socket path is longer than %zu bytes (a UNIX socket's limit)", SUN_PATH_MAX);
				return -1;
			}
		} else if (strcmp(key, "mac") == 0) {
			if (n->mac_given) {
				snprintf(why, len, "mac= given twice");
				return -1;
			}
			if (parse_mac(val, n->mac, why, len) < 0)
				return -1;
			n->mac_given = true;
		} else {
			snprintf(why, len, "unknown key '%s' (known: tap=NAME, stream=PATH, mac=MAC)", key);
			return -1;
		}
	}
	if (!seen_tap && !seen_stream) {
		snprintf(why, len, "no backend (give tap=NAME or stream=PATH)");
		return -1;
	}
	if (!n->mac_given)
		default_mac(n, n->mac);
	return 0;
}

/* The tap: TUNSETIFF says why it cannot be had; each errno gets what to do. */
static int open_tap(struct netdev *n)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = NET_HDR_LEN;
	char sys[64];
	struct stat st;

	n->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (n->fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			fprintf(stderr, "kvmrun: --net tap=%s: no /dev/net/tun (%s); load the tun module "
				"(modprobe tun)\n", n->name, strerror(errno));
		else
			fprintf(stderr, "kvmrun: --net tap=%s: cannot open /dev/net/tun: %s%s\n", n->name,
				strerror(errno), errno == EACCES ? " (it is usually mode 0666: check its permissions)" : "");
		return -1;
	}
	memcpy(ifr.ifr_name, n->name, strlen(n->name));
	if (ioctl(n->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		bool exists;

		snprintf(sys, sizeof sys, "/sys/class/net/%s", n->name);
		exists = stat(sys, &st) == 0;
		if (e == EPERM && exists)
			fprintf(stderr, "kvmrun: --net tap=%s: the tap belongs to another user; give it to yours "
				"(ip tuntap del %s mode tap; ip tuntap add %s mode tap user USER)\n",
				n->name, n->name, n->name);
		else if (e == EPERM)
			fprintf(stderr, "kvmrun: --net tap=%s: no such tap, and creating a tap needs CAP_NET_ADMIN; "
				"create it first with `ip tuntap add %s mode tap user USER`\n", n->name, n->name);
		else if (e == EBUSY)
			fprintf(stderr, "kvmrun: --net tap=%s: the tap is in use by another process (a single-queue "
				"tap has one user at a time)\n", n->name);
		else if (e == EINVAL)
			fprintf(stderr, "kvmrun: --net tap=%s: %s is not a single-queue tap (a tun, a multi_queue tap "
				"or another kind of interface has that name)\n", n->name, n->name);
		else
			fprintf(stderr, "kvmrun: --net tap=%s: cannot attach to the tap (TUNSETIFF): %s\n", n->name,
				strerror(e));
		return -1;
	}
	/* The guest's header as the tap's, and no offloads until a driver accepts some. */
	if (ioctl(n->fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(n->fd, TUNSETOFFLOAD, 0UL) < 0) {
		fprintf(stderr, "kvmrun: --net tap=%s: the tap refuses a 12-byte vnet header or its offloads: %s\n",
			n->name, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_stream(struct netdev *n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fl;

	n->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		fprintf(stderr, "kvmrun: --net stream=%s: cannot make a socket: %s\n", n->name, strerror(errno));
		return -1;
	}
	memcpy(a.sun_path, n->name, strlen(n->name));	/* net_parse checked its length */
	if (connect(n->fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "kvmrun: --net stream=%s: no such socket; start passt first "
				"(passt --socket %s)\n", n->name, n->name);
		else if (errno == ECONNREFUSED)
			fprintf(stderr, "kvmrun: --net stream=%s: nobody listens on it (not a socket, or its "
				"server is gone); start passt again (passt --socket %s)\n", n->name, n->name);
		else
			fprintf(stderr, "kvmrun: --net stream=%s: cannot connect: %s\n", n->name, strerror(errno));
		return -1;
	}
	if ((fl = fcntl(n->fd, F_GETFL)) < 0 || fcntl(n->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "kvmrun: --net stream=%s: cannot make the socket non-blocking: %s\n", n->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

int net_open(struct netdev *n, int *status)
{
	*status = EXIT_NET;
	if ((n->kind == NET_TAP ? open_tap(n) : open_stream(n)) < 0) {
		if (n->fd >= 0)
			close(n->fd);
		n->fd = -1;
		return -1;
	}
	return 0;
}

/* ---- the stream's framing ---- */

uint8_t *net_stream_space(struct net_stream *s, size_t *room)
{
	*room = sizeof s->buf - s->have;
	return s->buf + s->have;
}

/* The first n bytes of the buffer are gone. */
static void discard(struct net_stream *s, uint32_t n)
{
	memmove(s->buf, s->buf + n, s->have - n);
	s->have -= n;
}

int net_stream_frame(struct net_stream *s, size_t n, const uint8_t **frame, uint32_t *len, uint64_t *drops)
{
	if (n > sizeof s->buf - s->have)
		n = sizeof s->buf - s->have;	/* more than net_stream_space offered: cannot happen */
	s->have += (uint32_t)n;
	for (;;) {
		uint32_t l;

		if (s->skip) {
			uint32_t k = s->skip < s->have ? s->skip : s->have;

			discard(s, k);
			s->skip -= k;
			if (s->skip)
				return 0;
		}
		if (s->have < 4)
			return 0;
		l = (uint32_t)s->buf[0] << 24 | (uint32_t)s->buf[1] << 16 | (uint32_t)s->buf[2] << 8 | s->buf[3];
		if (l > NET_MAX_FRAME) {
			drops[NET_RX_TOO_BIG]++;
			discard(s, 4);
			s->skip = l;
			continue;
		}
		if (s->have - 4 < l)
			return 0;
		if (l < NET_MIN_FRAME) {
			drops[NET_RX_RUNT]++;
			discard(s, 4 + l);
			continue;
		}
		*frame = s->buf + 4;
		*len = l;
		return 1;
	}
}

void net_stream_pop(struct net_stream *s)
{
	uint32_t l;

	if (s->have < 4)
		return;
	l = (uint32_t)s->buf[0] << 24 | (uint32_t)s->buf[1] << 16 | (uint32_t)s->buf[2] << 8 | s->buf[3];
	if (l <= NET_MAX_FRAME && s->have - 4 >= l)
		discard(s, 4 + l);
}

/* ---- headers ---- */

static bool has(uint64_t features, unsigned bit)
{
	return (features >> bit) & 1;
}

enum net_drop net_tx_check(const struct virtio_net_hdr_v1 *h, uint32_t len, uint64_t features)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;

	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return NET_TX_BAD_HEADER;	/* DATA_VALID, RSC_INFO: not the driver's to set */
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t end = (uint32_t)h->csum_start + h->csum_offset + 2;

		if (!has(features, VIRTIO_NET_F_CSUM) || end > len)
			return NET_TX_BAD_HEADER;
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return ecn ? NET_TX_BAD_HEADER : NET_DROPS;
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->gso_size == 0 ||
	    (ecn && !has(features, VIRTIO_NET_F_HOST_ECN)))
		return NET_TX_BAD_HEADER;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && has(features, VIRTIO_NET_F_HOST_TSO4))
		return NET_DROPS;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && has(features, VIRTIO_NET_F_HOST_TSO6))
		return NET_DROPS;
	return NET_TX_BAD_HEADER;
}

enum net_drop net_rx_header(struct virtio_net_hdr_v1 *h, uint64_t features)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;

	if (!has(features, VIRTIO_NET_F_GUEST_CSUM)) {
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return NET_RX_BAD_HEADER;
		h->flags = 0;	/* DATA_VALID too: the spec wants no flags without GUEST_CSUM */
	}
	if ((gso == VIRTIO_NET_HDR_GSO_NONE && !ecn) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV4 && has(features, VIRTIO_NET_F_GUEST_TSO4)) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && has(features, VIRTIO_NET_F_GUEST_TSO6)))
		return ecn && !has(features, VIRTIO_NET_F_GUEST_ECN) ? NET_RX_BAD_HEADER : NET_DROPS;
	return NET_RX_BAD_HEADER;
}

/* ---- the receive copy ---- */

unsigned net_rx_fill(const struct iovec *iov, const unsigned *cnt, unsigned nchains, const uint8_t *hdr,
		     const uint8_t *frame, uint32_t len, uint32_t *written)
{
	uint64_t need = (uint64_t)NET_HDR_LEN + len, cap = 0, pos = 0;
	unsigned used = 0, k = 0;

	for (unsigned c = 0; c < nchains && cap < need; c++, used++)
		for (unsigned i = 0; i < cnt[c]; i++)
			cap += iov[k++].iov_len;
	if (cap < need)
		return 0;
	k = 0;
	for (unsigned c = 0; c < used; c++) {
		uint64_t start = pos;

		for (unsigned i = 0; i < cnt[c]; i++, k++) {
			uint8_t *dst = iov[k].iov_base;
			uint64_t room = iov[k].iov_len;

			while (room && pos < need) {
				const uint8_t *src = pos < NET_HDR_LEN ? hdr + pos : frame + (pos - NET_HDR_LEN);
				uint64_t part = pos < NET_HDR_LEN ? NET_HDR_LEN - pos : need - pos;

				if (part > room)
					part = room;
				memcpy(dst, src, (size_t)part);
				dst += part;
				room -= part;
				pos += part;
			}
		}
		written[c] = (uint32_t)(pos - start);
	}
	return used;
}
