/*
 * Snapshot and restore: the whole VM in one file, and back.
 *
 * format.c is the file's layout and nothing else (pure: the unit tests read
 * it): a header, a list of state records, then guest RAM, page-aligned, as
 * large as RAM but sparse (a page of zeros is a hole). save.c reads the state
 * of the vCPUs, the VM's interrupt controllers and clock and every device into
 * records and writes the file (devstate.c: the devices' part, both ways);
 * restore.c maps such a file and puts the state back. trigger.c is how a snapshot is asked for (the guest's port, SIGUSR1,
 * the control socket) and the one place that takes it, on CPU 0's thread.
 *
 * Layout, version 1 (little-endian):
 *   0     header (SNAP_HEADER_SIZE bytes, struct snap_header)
 *   4096  state: records, each a struct snap_rec then len bytes padded to 8
 *   ram   RAM (ram_off, a multiple of 4096): mem bytes, low part first
 * The header carries the FNV-1a checksum of itself and of the state; RAM has
 * none, so that a restore never reads it all (its size is checked).
 */
#ifndef KVMRUN_SNAPSHOT_H
#define KVMRUN_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "../kvm.h"

#define SNAP_MAGIC        "KVMRSNAP"
#define SNAP_VERSION      1
#define SNAP_HEADER_SIZE  128
#define SNAP_STATE_OFF    4096ULL
#define PORT_SNAPSHOT     0xf0    /* the guest's port: out 0 snapshot, out 1 snapshot and end; in: 1 if restored */
#define EXIT_BAD_SNAPSHOT 110     /* --restore: the file cannot be used (damaged, truncated, version, CPU) */

struct snap_header {
	char magic[8];
	uint32_t version, header_size;
	char vendor[12];         /* the host CPU's vendor string (CPUID 0) */
	uint32_t ncpus;
	uint64_t mem;            /* bytes of RAM */
	uint64_t state_off, state_len;
	uint64_t ram_off;        /* the file is ram_off + mem bytes long */
	uint64_t state_sum;      /* FNV-1a 64 of the state's bytes */
	uint64_t header_sum;     /* FNV-1a 64 of the header, this field zero */
	uint8_t pad[SNAP_HEADER_SIZE - 80];
};
_Static_assert(sizeof(struct snap_header) == SNAP_HEADER_SIZE, "header layout");

/* Record types. Per vCPU ones carry the CPU's index; the VM's and the devices' carry 0. */
enum snap_type {
	REC_MACHINE = 1,    /* struct snap_machine, then the fw_cfg command line (NUL-terminated) */
	REC_CPUID, REC_TSC_KHZ, REC_REGS, REC_SREGS, REC_XSAVE, REC_FPU, REC_XCRS, REC_DEBUGREGS,
	REC_LAPIC, REC_MSRS, REC_MP_STATE, REC_EVENTS,
	REC_CLOCK, REC_PIC_MASTER, REC_PIC_SLAVE, REC_IOAPIC, REC_PIT2,
	REC_DEV_BUS, REC_DEV_UART, REC_DEV_RTC, REC_DEV_I8042, REC_DEV_ACPIPM, REC_DEV_FWCFG,
	REC_PCI_BUS,        /* struct snap_pci_bus: only in a VM with PCI devices */
	REC_PCI_DEV,        /* one per device asked for, in order: struct snap_pci_dev, then a disk's path */
	REC_PCI_CFG,        /* one per slot, the host bridge first: its 256 bytes of configuration space */
	REC_VIRTIO,         /* one per virtio device, in order: struct snap_virtio, then what its backend holds */
	REC_TYPES
};

struct snap_rec {
	uint32_t type, cpu, len, pad;
};

struct snap_machine {
	uint32_t ncpus, mode, irqchip, cmdline_len;
	uint64_t mem;
};

/* fnv1a: the 64-bit FNV-1a hash of n bytes, continuing from h (start with FNV_START). */
#define FNV_START 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *p, size_t n);

/* A growing buffer of records, as save.c builds the state. */
struct snap_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;             /* out of memory: every later add does nothing */
};

/* snap_add: append one record (the data copied, padded to 8). On ENOMEM sets b->failed. */
void snap_add(struct snap_buf *b, uint32_t type, uint32_t cpu, const void *data, size_t len);

/*
 * snap_header_make: the header for a state of state_len bytes and a RAM of
 * mem bytes, both checksums filled in. vendor is 12 bytes.
 */
void snap_header_make(struct snap_header *h, const char *vendor, uint32_t ncpus, uint64_t mem,
		      const uint8_t *state, size_t state_len);

/*
 * snap_check_header: is the first n bytes of a file of file_size bytes a
 * usable header? Checks in this order: length, magic, version, the header's
 * checksum, the offsets, the file's size. Returns 0 with *h filled, or -1
 * with the difference in why ("truncated: ...", "not a kvmrun snapshot ...",
 * "format version 2; ...", "damaged: ...").
 */
int snap_check_header(const uint8_t *buf, size_t n, uint64_t file_size, struct snap_header *h,
		      char *why, size_t len);

/*
 * snap_check_state: state (h->state_len bytes) against the header's checksum,
 * then every record's bounds. Returns 0, or -1 with why.
 */
int snap_check_state(const struct snap_header *h, const uint8_t *state, char *why, size_t len);

/*
 * snap_find: the record of type for cpu in a checked state, its data and
 * length in *len; NULL if none. snap_find_nth: the nth such (from 0).
 */
const void *snap_find(const uint8_t *state, size_t state_len, uint32_t type, uint32_t cpu, uint32_t *len);
const void *snap_find_nth(const uint8_t *state, size_t state_len, uint32_t type, uint32_t cpu, unsigned nth,
			  uint32_t *len);

/* ---- save.c ---- */

/*
 * snap_prepare: before the run (while kvm_fd is open): the MSRs to save
 * (KVM_GET_MSR_INDEX_LIST, those CPU 0 can read; TSC first, TSC_DEADLINE
 * last), the XSAVE size, the host's vendor. Returns 0 or -1 (reported).
 */
int snap_prepare(struct vm *vm);

/*
 * snap_save: with every vCPU out of KVM_RUN (parked or paused), write the
 * VM to fd from offset 0, truncating it first: state, then RAM's nonzero
 * pages (the rest stay holes). Returns 0, or -1 with the reason in why.
 * *ram_bytes: the bytes of RAM written.
 */
int snap_save(struct vm *vm, int fd, uint64_t *ram_bytes, char *why, size_t len);

/*
 * snap_refuse_reason: why this VM cannot be saved now (gdb's software
 * breakpoints in RAM), or NULL when it can.
 */
const char *snap_refuse_reason(const struct vm *vm);

/* ---- devstate.c: the devices' records, one table walked both ways ---- */

/* snap_save_devices: the port bus's interrupt lines, COM1, fw_cfg, the RTC, the i8042, ACPI's registers. */
void snap_save_devices(struct vm *vm, struct snap_buf *b);

/*
 * snap_restore_devices: the same, back from a checked state (devices already
 * attached). Returns 0, or -1 with the damage in why.
 */
int snap_restore_devices(struct vm *vm, const uint8_t *state, size_t state_len, char *why, size_t len);

/* ---- pcistate.c: the PCI devices' records ---- */

struct snap_file;


/*
 * snap_pci_lock: take (lock true) or release every virtio device's lock, in
 * order. Requests run under it, each whole, so while held no request is half
 * done and no device thread touches RAM, a disk or an interrupt: snap_save
 * holds them from before the vCPUs' state is read until RAM is written.
 */
void snap_pci_lock(struct vm *vm, bool lock);

/*
 * snap_save_pci: the machine's devices (kind, disk path, size, read-only flag,
 * serial), the bus, each slot's configuration space, each virtio device's
 * transport, queues, MSI-X table and pending bits and what its backend holds.
 * Under snap_pci_lock. Nothing when the VM has no PCI devices.
 */
void snap_save_pci(struct vm *vm, struct snap_buf *b);

/* What --restore binds anew: --disk files and --net backends, in the recorded order. */
struct snap_bindings {
	struct disk *disks;              /* --disk bindings [0, ndisks); the recorded disks are filled in from 0 */
	unsigned ndisks;
	struct netdev *nets;             /* --net bindings [0, nnets); the recorded NICs likewise */
	unsigned nnets;
	unsigned disks_seen, nets_seen;  /* snap_pci_plan's: how many it filled in */
};

/*
 * snap_pci_plan: the devices a snapshot recorded, as specs[0..*n) for
 * vm_attach_pci. b's disks and nets given anew stand under the recorded ones
 * in order (none: each one's recorded path or tap); each is opened here: a
 * disk with the recorded read-only flag and serial, a NIC with the recorded
 * MAC. Returns 0, or -1 after one line on stderr with *status:
 * EXIT_BAD_SNAPSHOT for a binding that does not fit (another count, size,
 * read-only flag, kind of backend or MAC) or a damaged record, disk_open's or
 * net_open's status for what cannot be opened.
 */
int snap_pci_plan(const struct snap_file *s, struct snap_bindings *b, struct dev_spec *specs, unsigned *n,
		  int *status);

/*
 * snap_restore_pci: into the devices vm_attach_pci made from snap_pci_plan,
 * threads not started: configuration spaces (the BARs re-mapped in the MMIO
 * table, their ioeventfds moved), transports, queues (re-enabled through
 * vq_enable, which checks the rings lie in RAM), MSI-X tables (routes
 * installed), backends; every ready queue is kicked and interrupted once so
 * that nothing handed over around the save is missed. Returns 0, or -1 with
 * the damage in why.
 */
int snap_restore_pci(struct vm *vm, const uint8_t *state, size_t state_len, char *why, size_t len);

/* ---- restore.c ---- */

/* A snapshot opened for restore: its header, its state in memory, the file for RAM. */
struct snap_file {
	const char *path;
	int fd;
	struct snap_header h;
	uint8_t *state;
	struct snap_machine machine;
	const char *cmdline;     /* inside state */
	dev_t dev;               /* the file, so a snapshot is never written over it */
	ino_t ino;
};

/*
 * snap_open: open path, check header and state (snap_check_*), read the
 * machine record. Returns 0, or -1 after one line on stderr with *status
 * (EXIT_BAD_SNAPSHOT; EXIT_HOST when it cannot be read).
 */
int snap_open(const char *path, struct snap_file *s, int *status);

/*
 * snap_restore: into a VM made by vm_open with the snapshot's machine and its
 * RAM mapped from s (vm->ram_fd, vm->ram_off), devices attached: the CPU
 * vendor and every vCPU's CPUID compared with this host's, then the VM's and
 * each vCPU's state set in the order KVM requires, the devices' state put
 * back. Returns 0, or -1 after one line on stderr with *status.
 */
int snap_restore(struct vm *vm, struct snap_file *s, int *status);

/* snap_refuse: "kvmrun: snapshot 'PATH': " and the reason, one line on stderr; *status = st; returns -1. */
int snap_refuse(const struct snap_file *s, int *status, int st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* snap_close: free the state and close the file (RAM stays mapped from it). */
void snap_close(struct snap_file *s);

/* ---- trigger.c ---- */

enum snap_source { SNAP_SIGNAL, SNAP_PORT, SNAP_CTL, SNAP_SOURCES };

/*
 * What asks for a snapshot and where it goes. fds: the file of
 * --snapshot-on-signal, of --snapshot-on-port, and the control socket's
 * slot (-1: none). pending (atomic) has bit 1 << source set while one waits
 * for CPU 0. The control thread waits on vm->shared.cond for ctl_done.
 */
struct snapper {
	bool enabled;            /* a snapshot can be taken (a file, --control) or this VM was restored */
	int fd[SNAP_SOURCES];
	const char *path[SNAP_SOURCES];
	unsigned pending;
	bool exit_after[SNAP_SOURCES];  /* end the run once written */
	bool ctl_done;           /* under vm->shared.lock */
	int ctl_result;
	char ctl_why[256];
	int pagemap_fd;          /* /proc/self/pagemap (snap_prepare; -1: none): RAM's never-touched pages are skipped unread */
	bool restored;           /* this VM came from a snapshot: the port reads 1 */
	dev_t src_dev;           /* the file RAM is mapped from (restored), never written over */
	ino_t src_ino;
	unsigned count;          /* snapshots written */
	uint64_t last_ns, total_ns;
	uint64_t restore_ns;     /* --restore: time to open and restore */
	/* snap_prepare's findings, read while saving. */
	uint32_t *msrs;          /* the MSRs saved, TSC first, TSC_DEADLINE last */
	unsigned nmsrs;
	int xsave_size;          /* KVM_GET_XSAVE2's size; 0: KVM_GET_XSAVE; -1: KVM_GET_FPU */
	char vendor[12];
};

/* snap_port_attach: the guest's port SNAP_PORT on the bus. Returns 0 or -1. */
int snap_port_attach(struct vm *vm);

/* snap_request: ask CPU 0 for a snapshot from source (any thread; a kick reaches CPU 0). */
void snap_request(struct vm *vm, enum snap_source src);

/* snap_pending: whether a request waits (any thread). */
bool snap_pending(const struct vm *vm);

/*
 * snap_take_pending: CPU 0's thread, others out of KVM_RUN or parked by the
 * caller: write every pending snapshot, report each (-v, failures always),
 * answer the control thread. Returns true when one asked to end the run
 * (cpu->end then says END_SNAPSHOT).
 */
bool snap_take_pending(struct vcpu *cpu0);

/*
 * snap_ctl: the control thread's "snapshot [--exit]" to the file in the
 * control's slot fd: waits for CPU 0 to write it. Returns 0, or -1 with the
 * reason in why.
 */
int snap_ctl(struct vm *vm, int fd, const char *path, bool exit_after, char *why, size_t len);

/* snap_report_stats: the --stats lines of snapshots and restore. */
void snap_report_stats(const struct vm *vm, FILE *f);

#endif
