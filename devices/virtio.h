/*
 * virtio 1.x over PCI (modern only): split virtqueues (virtq.c), the PCI
 * transport with its common, notify, ISR and device configuration
 * structures and one backend thread per device (virtio_pci.c), and the
 * devices: a block device per --disk (virtio_blk.c), the console hvc0
 * (virtio_console.c), an entropy source (virtio_rng.c).
 *
 * Every address and length a driver hands over goes through guest_range()
 * once, into a local copy; a driver that breaks the rules (a loop, a buffer
 * outside RAM, a chain too long, a queue that does not exist) puts the device
 * in DEVICE_NEEDS_RESET and it stops using that queue until the driver resets
 * it. The runner never reads or writes outside guest RAM for it.
 */
#ifndef KVMRUN_VIRTIO_H
#define KVMRUN_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/uio.h>

#include "pci.h"

/* ---- virtq.c: the split virtqueue, pure functions on guest memory ---- */

#define VQ_MAX_SIZE   256     /* the queue size a device offers (and the most a driver may set) */
#define VQ_MAX_SEGS   (VQ_MAX_SIZE + 2) /* buffers in one chain, an indirect table's included */
#define VQ_MAX_CHAIN  (128ULL << 20)    /* bytes in one chain, each way: a free page report is 32 blocks of 4 MiB */

/* A queue as the driver configured it, and where the device stands in it. */
struct vq {
	uint16_t size;                   /* entries (a power of two, <= VQ_MAX_SIZE) */
	bool ready;                      /* queue_enable written 1 with valid rings */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t msix_vector;
	/* Host pointers to the rings, checked once when the queue is enabled. */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;             /* next avail entry the device takes */
	uint16_t used_idx;               /* next used entry the device writes */
	bool indirect;                   /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx;                  /* VIRTIO_RING_F_EVENT_IDX negotiated (virtio-net only offers it) */
};

/* One request: the chain's buffers, device-readable ones first. */
struct vq_chain {
	uint16_t head;
	unsigned nin, nout;              /* readable (driver to device) and writable buffers */
	struct iovec in[VQ_MAX_SEGS];    /* readable */
	struct iovec out[VQ_MAX_SEGS];   /* writable */
	uint64_t in_len, out_len;        /* bytes each way */
};

/*
 * vq_enable: check that the three rings of q (size entries at desc_gpa,
 * avail_gpa, used_gpa, as the driver set them) lie in RAM, aligned as the
 * spec asks, and keep host pointers to them. Returns 0, or -1 with a reason
 * in why (the queue stays disabled).
 */
int vq_enable(struct vq *q, const struct guest_mem *m, char *why, size_t len);

/*
 * vq_pop: take the next available chain. Returns 1 with *c filled, 0 when
 * the driver has made none available, -1 (reason in why) when the ring or
 * the chain is invalid: a head or next index beyond the queue, a loop, more
 * than VQ_MAX_SEGS buffers or VQ_MAX_CHAIN bytes, a buffer outside RAM, a
 * readable buffer after a writable one, a nested or malformed indirect
 * table, or more entries made available than the queue holds. With
 * event_idx, finding the ring empty publishes avail_event = last_avail (the
 * driver kicks for the next chain) and reads the ring again after a full
 * barrier, so a chain made available meanwhile is taken, not missed; it is
 * the only RAM vq_pop writes.
 */
int vq_pop(struct vq *q, const struct guest_mem *m, struct vq_chain *c, char *why, size_t len);

/* vq_push: give the chain whose head is given back with written bytes; the used index moves last. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/*
 * vq_unpop: give back the last n chains vq_pop took, as if never taken: the
 * next vq_pop takes them again, in the same order, read afresh from the
 * ring. Valid only when they are the last n taken on q and none of them has
 * been pushed (nothing popped after them), and q has not been reset since.
 */
void vq_unpop(struct vq *q, uint16_t n);

/* vq_has_avail: has the driver made a chain available that vq_pop has not taken? Takes none. */
bool vq_has_avail(const struct vq *q);

/*
 * vq_wants_interrupt: does the driver want an interrupt now that the used
 * index moved from old to q->used_idx? Without event_idx, unless it asked
 * for none (VRING_AVAIL_F_NO_INTERRUPT); with it, only when the move passed
 * its used_event (vring_need_event: used_event in [old, used_idx), modulo
 * 2^16). old is the used index at the previous decision.
 */
bool vq_wants_interrupt(const struct vq *q, uint16_t old);

/*
 * iov_copy: len bytes between p and the buffers iov[0..n) from offset off
 * of them (into the buffers when into_iov); returns the count moved.
 */
size_t iov_copy(const struct iovec *iov, unsigned n, uint64_t off, void *p, size_t len, bool into_iov);

/*
 * iov_slice: the iovecs that cover [off, off + len) of iov[0..n), into out
 * (room for n); their count. They point into the same buffers.
 */
unsigned iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out);

/* ---- virtio_pci.c: the transport ---- */

#define VIRTIO_MAX_QUEUES 4

struct virtio_dev;

/* What a device type provides: its IDs, features, configuration and queue handler. */
struct virtio_ops {
	const char *type;                /* "virtio-blk" */
	uint16_t device_id;              /* virtio device ID (2 block, 3 console, 4 entropy) */
	uint32_t pci_class;              /* class code, 24 bits */
	unsigned nqueues;
	uint64_t features;               /* device features besides VERSION_1 and INDIRECT_DESC */
	unsigned config_len;             /* bytes of device configuration */
	/* Device configuration bytes [off, off + len) into data (len <= 8, inside config_len). */
	void (*config_read)(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len);
	/* A write to the device configuration (NULL: ignored). */
	void (*config_write)(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len);
	/*
	 * The driver made buffers available on queue q (or, for an input queue,
	 * buffers may be filled now). Called on the device's thread with its lock
	 * held; returns true if it used buffers (an interrupt may be due). A
	 * return of -1 through virtio_fail marks the device broken.
	 */
	bool (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* The driver reset the device: drop what the backend holds. Under the lock. NULL: nothing. */
	void (*reset)(struct virtio_dev *d);
	/*
	 * Optional: a descriptor the thread also polls for input (stdin for the
	 * console), and what to do when it is readable; poll_fd returns -1 when
	 * nothing should be polled now. timeout_ms: a poll period while input waits (-1: none).
	 */
	int (*poll_fd)(struct virtio_dev *d, int *timeout_ms);
	/* Optional, right after poll_fd under the lock: the events to poll it for (NULL: POLLIN). */
	short (*poll_events)(struct virtio_dev *d);
	void (*poll_ready)(struct virtio_dev *d);
	/* --stats: the device's own counters, one line (may be NULL). */
	void (*stats)(const struct virtio_dev *d, FILE *f);
	/*
	 * Snapshots (NULL: the backend holds nothing the guest would miss).
	 * save: what the backend holds, at most room bytes into buf; the count.
	 * restore: the same back, into a device not yet started; 0, or -1 when
	 * the bytes do not fit. Both under the lock.
	 */
	size_t (*save)(struct virtio_dev *d, void *buf, size_t room);
	int (*restore)(struct virtio_dev *d, const void *buf, size_t len);
	/*
	 * Snapshots (NULL: none): how many chains the device took from queue q
	 * and holds unused, the last ones it took; a snapshot records q's
	 * last_avail without them, so the restored device takes them again.
	 * Under the lock.
	 */
	unsigned (*held)(const struct virtio_dev *d, unsigned q);
};

struct virtio_stats {
	uint64_t notifies;               /* queue notifications taken */
	uint64_t chains;                 /* requests completed */
	uint64_t bytes_in, bytes_out;    /* driver to device, device to driver */
	uint64_t errors;                 /* times the driver broke the rules */
};

/*
 * A virtio device on the PCI bus. Everything below the lock is the lock's:
 * the vCPUs take it for BAR accesses, the device's thread while it serves
 * its queues.
 */
struct virtio_dev {
	const struct virtio_ops *ops;
	void *backend;                   /* the device type's state */
	struct vm *vm;
	struct pci_dev pci;
	char name[48];                   /* "virtio-blk vda" */
	pthread_t thread;
	bool thread_started;
	sem_t up;                        /* posted by the thread once it runs: the seccomp filter comes after */
	int kick_fd[VIRTIO_MAX_QUEUES];  /* eventfds: the queues' ioeventfds */
	int stop_fd;                     /* eventfd: the thread leaves */
	bool ioeventfd_on;               /* kick_fd registered at the BAR's notify addresses */
	bool ioeventfd_warned;           /* KVM refused one once: said on stderr */
	uint64_t ioeventfd_base;         /* where */

	pthread_mutex_t lock;
	uint32_t dev_feature_sel, drv_feature_sel;
	uint64_t driver_features;
	uint8_t status;
	uint8_t config_gen;
	uint16_t queue_sel;
	uint16_t msix_config;
	uint8_t isr;
	bool broken;                     /* DEVICE_NEEDS_RESET was raised */
	bool driver_settled;             /* device_status read back after DRIVER_OK: Linux's probe has returned */
	struct vq vq[VIRTIO_MAX_QUEUES];
	struct msix msix;
	struct virtio_stats st;
	char broke_why[120];             /* the first rule broken, for -v */
};

/*
 * virtio_add: a device of type ops with backend state, on the PCI bus with
 * its MSI-X vectors and one eventfd per queue. Returns the device, or NULL
 * (reported).
 */
struct virtio_dev *virtio_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv,
			      const struct virtio_ops *ops, void *backend, const char *name);

/* virtio_start: the device's thread (before seccomp). Returns 0 or -1 (reported). */
int virtio_start(struct virtio_dev *d);

/* virtio_stop: end the thread and join it; idempotent. */
void virtio_stop(struct virtio_dev *d);

/* virtio_fail: the driver broke a rule (why): DEVICE_NEEDS_RESET and a configuration interrupt. Under the lock. */
void virtio_fail(struct virtio_dev *d, const char *why);

/*
 * virtio_config_changed: the device configuration changed: config_generation
 * moves and, once the driver is up, a configuration interrupt. Under the lock.
 */
void virtio_config_changed(struct virtio_dev *d);

/* virtio_used: hand a chain back on queue q; an interrupt follows unless suppressed. Under the lock. */
void virtio_used(struct virtio_dev *d, unsigned q, uint16_t head, uint32_t written);

/* virtio_negotiated: did the driver accept feature bit? */
bool virtio_negotiated(const struct virtio_dev *d, unsigned bit);

/* virtio_kick: wake the device's thread for queue q (input arrived; a slow notify path). */
void virtio_kick(struct virtio_dev *d, unsigned q);

/* ---- the devices ---- */

/* A --disk: the file, opened and locked by disk_open before the VM exists. */
struct disk {
	const char *path;
	int fd;
	bool ro;
	bool regular;                    /* a regular file (discard punches holes), not a block device */
	uint64_t size;                   /* bytes, a multiple of 512 */
	char serial[21];                 /* VIRTIO_BLK_ID_BYTES, NUL-terminated for us */
	uint64_t reads, writes, flushes, discards, read_bytes, write_bytes, ioerrs;
};

/*
 * disk_parse: FILE[,ro][,serial=TEXT] into d (path points into spec, which
 * must outlive d). Returns 0, or -1 with the reason in why.
 */
int disk_parse(char *spec, struct disk *d, char *why, size_t len);

/*
 * disk_open: open and check d->path (a regular file or block device, not
 * empty, a multiple of 512 bytes) and lock it: shared when read-only,
 * exclusive otherwise (open file description locks, which QEMU's byte locks
 * also see). Returns 0, or -1 after one line on stderr with *status set:
 * EXIT_BAD_GUEST for a file that cannot be used, EXIT_DISK_LOCKED when
 * another process holds it.
 */
int disk_open(struct disk *d, int *status);

/* virtio_blk_add: the disk as the next virtio-blk device (vda, vdb... by index). */
struct virtio_dev *virtio_blk_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv,
				  struct disk *d, unsigned index);

/* virtio_console_add: hvc0 on vm->con; while it exists stdin feeds it, not COM1. */
struct virtio_dev *virtio_console_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv);

/* virtio_rng_add: an entropy source fed by getrandom(2). */
struct virtio_dev *virtio_rng_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv);

/* pvpanic_pci_add: QEMU's pvpanic-pci (1b36:0011): a panic event written to BAR 0 ends the run. */
int pvpanic_pci_add(struct pci_bus *pb);

/* ---- virtio_net.c, net_backend.c: a NIC per --net ---- */

#define NET_HDR_LEN   12                /* struct virtio_net_hdr_v1, num_buffers included: VERSION_1's header */
#define NET_MAX_FRAME 65536             /* bytes of one Ethernet frame, header not counted: a GSO frame fits */
#define NET_MIN_FRAME 14                /* an Ethernet header */

enum net_kind { NET_TAP, NET_STREAM };

/* Why a frame was dropped: each drop is counted under exactly one cause (net_drop_names). */
enum net_drop {
	NET_TX_SHORT,                    /* a tx chain shorter than the 12-byte header */
	NET_TX_RUNT,                     /* a tx frame shorter than an Ethernet header */
	NET_TX_TOO_BIG,                  /* a tx frame over NET_MAX_FRAME */
	NET_TX_BAD_HEADER,               /* an offload the driver did not negotiate, or one the tap refused */
	NET_TX_BACKEND,                  /* the tap or socket failed, or the peer is gone */
	NET_RX_TOO_BIG,                  /* (stream) a frame over NET_MAX_FRAME */
	NET_RX_RUNT,                     /* (stream) a frame shorter than an Ethernet header */
	NET_RX_NO_ROOM,                  /* larger than all the buffers the driver can post */
	NET_RX_BAD_HEADER,               /* (tap) an offload the driver did not accept (after a reset) */
	NET_DROPS
};

/* net_drop_names: what each cause means, for -v and --stats ("tx shorter than the header"). */
extern const char *const net_drop_names[NET_DROPS];

/*
 * A --net: its backend, opened by net_open before the VM exists. The
 * counters are the device thread's while it runs; --stats reads them after.
 */
struct netdev {
	enum net_kind kind;
	const char *name;                /* tap=NAME or stream=PATH: points into the spec */
	uint8_t mac[6];
	bool mac_given;
	int fd;                          /* the tap or the connected socket (-1: not open) */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;  /* rx: to the guest, tx: from it; headers not counted */
	uint64_t drops[NET_DROPS];       /* frames dropped, by cause */
};

/*
 * net_parse: tap=NAME[,mac=MAC] or stream=PATH[,mac=MAC], keys in any order,
 * ",," a comma in a value, into n (name points into spec, which must outlive
 * n). Without mac= the MAC is locally administered unicast, 52: and five
 * bytes of a hash of the backend and its name: the same on every run.
 * Returns 0, or -1 with the reason in why.
 */
int net_parse(char *spec, struct netdev *n, char *why, size_t len);

/*
 * net_open: open n's backend, non-blocking: attach to (or, with
 * CAP_NET_ADMIN, create) the tap with a 12-byte vnet header and no offloads
 * yet; or connect the UNIX stream socket. Returns 0, or -1 after one line on
 * stderr ("kvmrun: --net tap=NAME: ...") with *status set (EXIT_NET).
 */
int net_open(struct netdev *n, int *status);

/*
 * A stream backend's receive side: QEMU's stream netdev framing (as passt
 * speaks it), a 4-byte big-endian length, then the frame. Bytes read from
 * the socket are appended at net_stream_space; frames come out whole.
 */
struct net_stream {
	uint32_t have;                   /* bytes in buf */
	uint32_t skip;                   /* bytes still to come of a frame being dropped */
	uint8_t buf[4 + NET_MAX_FRAME];
};

/* net_stream_space: where the next bytes read go, and how many fit (*room 0: take the frame first). */
uint8_t *net_stream_space(struct net_stream *s, size_t *room);

/*
 * net_stream_frame: n more bytes were put at net_stream_space (n may be 0).
 * Returns 1 with the first complete frame at *frame (*len bytes, it stays
 * until net_stream_pop), or 0 when more bytes are needed. Frames over
 * NET_MAX_FRAME (skipped as they arrive, never held) or shorter than an
 * Ethernet header are dropped here and counted in drops.
 */
int net_stream_frame(struct net_stream *s, size_t n, const uint8_t **frame, uint32_t *len, uint64_t *drops);

/* net_stream_pop: the frame net_stream_frame returned is done with. */
void net_stream_pop(struct net_stream *s);

struct virtio_net_hdr_v1;

/*
 * net_tx_check: may a frame of len bytes with the driver's header h go out,
 * given the features the driver accepted? Returns NET_DROPS (yes), or the
 * drop cause: checksum or GSO asked for without CSUM or HOST_TSO4/6/ECN, an
 * unknown GSO type or flag, a checksum outside the frame.
 */
enum net_drop net_tx_check(const struct virtio_net_hdr_v1 *h, uint32_t len, uint64_t features);

/*
 * net_rx_header: fit the tap's header h to the features the driver
 * accepted (flags cleared without GUEST_CSUM). Returns NET_DROPS, or
 * NET_RX_BAD_HEADER for a checksum or GSO the driver did not accept.
 */
enum net_drop net_rx_header(struct virtio_net_hdr_v1 *h, uint64_t features);

/*
 * net_rx_fill: the header hdr (NET_HDR_LEN bytes), then frame (len bytes),
 * into nchains chains of buffers in order: chain i is the next cnt[i]
 * iovecs of iov, and is filled before the next one starts. Returns the
 * chains used, with the bytes each got in written[]; 0, with nothing
 * written, when all of them hold less than the header and the frame.
 */
unsigned net_rx_fill(const struct iovec *iov, const unsigned *cnt, unsigned nchains, const uint8_t *hdr,
		     const uint8_t *frame, uint32_t len, uint32_t *written);

/* virtio_net_add: the NIC as the next virtio-net device (eth0, eth1... by index). */
struct virtio_dev *virtio_net_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv,
				  struct netdev *n, unsigned index);

/* ---- virtio_balloon.c: memory the guest gives back ---- */

/*
 * virtio_balloon_add: a balloon with free page reporting, deflate on OOM and
 * statistics (queues: inflate, deflate, stats, reporting). Pages the guest
 * inflates or reports are dropped from the host (MADV_DONTNEED); a PFN
 * outside RAM is counted and skipped.
 */
struct virtio_dev *virtio_balloon_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv);

/*
 * balloon_set_target: ask the guest to leave bytes of RAM in the balloon
 * (0: give it all back). Any thread. Returns 0, or -1 with the reason in why
 * (above RAM, not a multiple of 4K).
 */
int balloon_set_target(struct virtio_dev *d, uint64_t bytes, char *why, size_t len);

/* What the balloon knows now. */
struct balloon_info {
	uint64_t target, actual;         /* bytes asked for, bytes the guest has put in */
	uint64_t reported, released;     /* free page reports taken; bytes given back to the host */
	uint64_t stats[16];              /* the guest's last statistics by tag (VIRTIO_BALLOON_S_*) */
	uint32_t stats_valid;            /* bit per tag received */
};

/*
 * balloon_get: the balloon's state now. Any thread. The statistics are the
 * guest's last report; each call also asks the driver for fresh ones (the
 * device gives the statistics buffer back, the driver refills it), so the
 * next call sees them.
 */
void balloon_get(struct virtio_dev *d, struct balloon_info *out);

/* ---- pcidevs.c: a VM's PCI devices, as one ---- */

struct pci_machine {
	struct pci_bus bus;
	struct mmio_bus mmio;
	struct msix_vm msi;
	struct virtio_dev *vdev[PCI_MAX_SLOTS];
	unsigned nvdev;
	struct dev_spec spec[PCI_MAX_SLOTS - 1];  /* what was asked for, in order (a snapshot records it) */
	unsigned nspec;
	int fd_lo, fd_hi;                /* the devices' descriptors lie in [fd_lo, fd_hi] (-1: none) */
};

/*
 * pcim_create: the bus on vm's ports and the n devices asked for, in order
 * (disks already open). Needs the irqchip. Returns NULL (reported) on failure.
 */
struct pci_machine *pcim_create(struct vm *vm, const struct dev_spec *specs, unsigned n);

/* pcim_start / pcim_stop: the devices' threads (start before seccomp; stop is idempotent). */
int pcim_start(struct pci_machine *pm);
void pcim_stop(struct pci_machine *pm);

/* pcim_find: the first virtio device with this virtio device ID, or NULL. */
struct virtio_dev *pcim_find(const struct pci_machine *pm, uint16_t device_id);

/* pcim_verbose / pcim_stats: the -v and --stats lines. */
void pcim_verbose(const struct pci_machine *pm, FILE *f);
void pcim_stats(const struct pci_machine *pm, FILE *f);

#endif
