/*
 * kvmrun's one internal header. Read it and you know the program:
 * main.c parses options, plans the run and turns outcomes into exit
 * statuses; kvm.c owns /dev/kvm, the VM, its memory and VCPU and the
 * KVM_RUN loop; cpu.c sets the entry state of each CPU mode; load.c, elf.c
 * and multiboot.c put the guest image in RAM; io.c dispatches port I/O
 * through a table; uart.c, exitport.c and fwcfg.c are the devices; user.c
 * is user mode's exception path; console.c batches guest output to stdout
 * and reads stdin (raw on a terminal); stop.c turns signals and timers into
 * a race-free end of KVM_RUN; halt.c tells when a CPU halted in the kernel
 * can never wake; seccomp.c confines the loop; dump.c prints the VCPU state
 * when a guest dies; parse.c reads option values.
 */
#ifndef KVMRUN_KVM_H
#define KVMRUN_KVM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <linux/kvm.h>

#define KVMRUN_VERSION "1.0.0"

/*
 * Exit statuses. A QEMU-style guest (port 0xf4) only produces odd values,
 * so every status of the runner's own is even, except the 128+N of a
 * signal, which follows the shell's convention.
 */
enum {
	EXIT_USAGE = 2,          /* bad command line: options, operands, values */
	EXIT_GUEST_FAULT = 100,  /* the guest crashed: fault, MMIO outside RAM, bad exit value */
	EXIT_HOST = 102,         /* host or KVM failure: /dev/kvm, capability, ioctl, memory, output */
	EXIT_BAD_GUEST = 104,    /* the guest file cannot be used: missing, empty, too large, overlapping */
	EXIT_DISK_LOCKED = 106,  /* a --disk image is locked by another process */
	EXIT_NET = 108,          /* a --net backend cannot be opened: no such tap, no permission, socket refused */
	EXIT_TIMEOUT = 124,      /* --timeout expired, as timeout(1) */
	EXIT_SIGNAL_BASE = 128,  /* + N when ended by signal N; 128+SIGPIPE when stdout's reader left */
};

/*
 * The guest memory map. RAM is one slot at guest-physical 0. In protected
 * and long mode the runner writes its GDT and page tables into the runner
 * region below the default entry; the image may not overlap them.
 */
#define GUEST_GDT             0x1000ULL   /* GDT: null, code32, data, code64 */
#define GUEST_PML4            0x2000ULL   /* long mode: one PML4 page */
#define GUEST_PDPT            0x3000ULL   /* long mode: one PDPT page (512 GiB) */
#define GUEST_PD              0x4000ULL   /* long mode: one page directory per GiB mapped */
#define GUEST_PAGE            0x1000ULL
#define GUEST_MAP_MIN         (4ULL << 30) /* long mode maps at least 4 GiB, so stray accesses exit as MMIO */
#define GUEST_ENTRY_REAL      0x10000ULL  /* default entry in real mode: CS:IP = 1000:0000 */
#define GUEST_ENTRY_FLAT      0x100000ULL /* default entry in protected and long mode: 1 MiB */
#define GUEST_REAL_TOP        0x100000ULL /* real mode: CS:IP reaches below 1 MiB */
#define GUEST_PROT_TOP        0x100000000ULL /* protected mode: EIP reaches below 4 GiB */
#define GUEST_MEM_DEFAULT     (16ULL << 20)
#define VM_MAX_CPUS           128     /* --cpus: the MP table and MADT's 8-bit APIC IDs, with room for the IOAPIC's */
#define GUEST_MEM_MAX         (512ULL << 30) /* one PDPT maps 512 GiB */

/* Selectors of the runner's GDT, described once in cpu.c. */
#define SEL_CODE32  0x08
#define SEL_DATA    0x10
#define SEL_CODE64  0x18
#define SEL_UDATA   0x23   /* user mode: data, DPL 3 (RPL 3 included) */
#define SEL_UCODE64 0x2b   /* user mode: 64-bit code, DPL 3 */
#define SEL_TSS     0x30   /* user mode: the TSS (a 16-byte descriptor) */

/*
 * User mode (--mode user) adds, in the GDT's page: the TSS, one 8-byte
 * exception stub per vector, a 32-gate IDT and the stack the CPU switches
 * to on an exception (RSP0). A page table maps the first 2 MiB in 4 KiB
 * pages so that the runner's pages are supervisor-only and page 0 is absent.
 */
#define GUEST_TSS        0x1800ULL
#define GUEST_STUBS      0x1900ULL
#define GUEST_IDT        0x1b00ULL
#define GUEST_KSTACK_TOP 0x2000ULL
#define USER_VECTORS     32
#define USER_PT_SPAN     0x200000ULL  /* the 4 KiB-page table covers the first 2 MiB */

/* Ports. */
#define PORT_COM1        0x3f8  /* 16550 UART, 8 ports */
#define PORT_QEMU_EXIT   0xf4   /* isa-debug-exit, iobase=0xf4, iosize=4: status (v << 1) | 1 */
#define PORT_QEMU_EXIT_LEN 4
#define PORT_EXIT        0xf8   /* kvmrun's own: status = v exactly, 0..255 */
#define PORT_FAULT       0xfc   /* user mode: the runner's exception stubs report here (CPL 0 only) */

enum cpu_mode { MODE_REAL, MODE_PROTECTED, MODE_LONG, MODE_USER };

/* Little-endian loads and stores in guest images, tables and device registers (x86 is little-endian; memcpy for alignment). */
static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- parse.c: pure parsing of option values ---- */

/*
 * parse_size: "16" (MiB), "512K", "16M", "4G", "1T" (binary units,
 * upper or lower case) into bytes. Returns 0, or -1 with *why set to a
 * short reason ("empty", "not a number", "negative", "trailing garbage
 * after the number (use K, M, G or T)", "trailing garbage after the unit",
 * "too large", "zero") on failure; never touches *out on failure.
 */
int parse_size(const char *s, uint64_t *out, const char **why);

/*
 * parse_addr: "0x1f00" (hex) or "7936" (decimal) into a 64-bit value.
 * Same failure contract as parse_size.
 */
int parse_addr(const char *s, uint64_t *out, const char **why);

/*
 * parse_seconds: "2", "0.25", ".5" into nanoseconds (at most 10^9 s).
 * Rejects negative, zero, exponents, inf/nan and garbage, as above.
 */
int parse_seconds(const char *s, uint64_t *ns, const char **why);

/* parse_hex_digit: the value of one hex digit (0-9, a-f, A-F), or -1 for any other character. */
int parse_hex_digit(char c);

/* parse_cpus: "4" (decimal, 1 to VM_MAX_CPUS) into a vCPU count. Same failure contract. */
int parse_cpus(const char *s, unsigned *out, const char **why);

/* size_str: bytes in the largest binary unit that divides them ("512 KiB", "16 MiB"). */
const char *size_str(uint64_t bytes, char *buf, size_t len);

/* mode_name / parse_mode: the --mode words. parse_mode returns -1 if unknown. */
const char *mode_name(enum cpu_mode m);
int parse_mode(const char *s, enum cpu_mode *out);

/* ---- guest memory (kvm.c) ---- */

/*
 * RAM above 3 GiB goes above 4 GiB: the 32-bit hole between is where the
 * IOAPIC, the LAPIC and device windows live, for every guest format. The
 * host mapping is one block: the low part, then the high part.
 */
#define GUEST_HOLE_START 0xc0000000ULL   /* RAM at guest-physical 0 ends here at most */
#define GUEST_HIGH_START 0x100000000ULL  /* the rest of RAM starts here */

struct guest_mem {
	uint8_t *host;    /* host mapping of all RAM, low part first */
	uint64_t size;    /* bytes of RAM */
	uint64_t high;    /* of which at GUEST_HIGH_START (0: all of it at 0) */
};

/* ram_low / ram_high: bytes of RAM at 0 and at 4 GiB for a VM of mem_bytes. */
uint64_t ram_low(uint64_t mem_bytes);
uint64_t ram_high(uint64_t mem_bytes);

/* ram_top: one past the highest guest-physical RAM address. */
uint64_t ram_top(uint64_t mem_bytes);

/* ram_str: "0x0-0x3fffffff", or "0x0-0xbfffffff and 0x100000000-0x13fffffff" when split. */
const char *ram_str(uint64_t mem_bytes, char *buf, size_t len);

/*
 * guest_range: the one check of every guest-physical range the runner
 * touches. Returns a host pointer to [gpa, gpa + len) when all of it lies
 * inside one RAM block (a range ending exactly at the top of a block is
 * valid; len 0 is valid at a block's end), NULL otherwise, also for a range
 * that crosses the hole. Overflow-safe for any inputs.
 */
void *guest_range(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* ---- console.c: guest output batching, guest input ---- */

#define CONSOLE_BUF (64 * 1024)

struct console {
	int out_fd, in_fd;
	size_t len;                 /* bytes waiting in buf */
	bool in_eof;                /* stdin reached EOF or failed: DR stays clear */
	size_t in_pos, in_len;      /* unread bytes in inbuf */
	int out_errno;              /* first write error, 0 if none */
	bool (*give_up)(void);      /* asked when a write is interrupted: stop trying? (NULL: never) */
	bool interactive;           /* stdin is a terminal in raw mode: Ctrl-A escapes apply */
	bool escape;                /* a Ctrl-A was typed; the next key is a command */
	bool quit;                  /* Ctrl-A x was typed */
	unsigned char buf[CONSOLE_BUF];
	unsigned char inbuf[4096];
};

/* console_init: output to out_fd, input from in_fd; nothing buffered. */
void console_init(struct console *c, int out_fd, int in_fd);

/*
 * console_put: append one guest byte. Flushes when the buffer fills.
 * Returns 0, or -1 when output has failed (c->out_errno says why; EPIPE
 * when the reader went away); bytes are never dropped before that.
 */
int console_put(struct console *c, unsigned char byte);

/*
 * console_flush: write every buffered byte, retrying short writes, EINTR
 * and EAGAIN (waiting with poll). When a write is interrupted and
 * c->give_up() says so, it stops with out_errno EINTR: a reader that never
 * reads cannot hold kvmrun past a timeout or signal. Returns 0, or -1 with
 * c->out_errno set.
 */
int console_flush(struct console *c);

/*
 * console_rx_ready: true when a byte of input is waiting; never blocks.
 * After EOF (or a read error) it stays false.
 */
bool console_rx_ready(struct console *c);

/* console_getc: the next input byte, or 0 when none is waiting. */
unsigned char console_getc(struct console *c);

/*
 * console_interactive: if stdin is a terminal, put it in raw mode for input
 * (every key reaches the guest, Ctrl-C included; output processing stays on)
 * and turn on QEMU's escapes: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A
 * Ctrl-A sends one Ctrl-A. The terminal is restored by console_restore, which
 * also runs at exit. Returns 0, or -1 (reported) if the terminal refuses.
 */
#define CONSOLE_ESCAPE 0x01	/* Ctrl-A */
#define EXIT_QUIT 130		/* Ctrl-A x: as an interrupt */
int console_interactive(struct console *c);
void console_restore(void);

/* console_pump: read what the terminal has typed, without blocking (escapes act now). */
void console_pump(struct console *c);

/* ---- io.c: port I/O dispatch through a table ---- */

/* How a port access ends: go on, or end the run for the reason in bus->end. */
enum io_result { IO_OK = 0, IO_END = 1 };

/* Why a run ended. Filled by devices and the run loop; read by main.c. */
enum end_kind {
	END_NONE,
	END_HALT,      /* HLT: status 0 */
	END_EXIT,      /* the guest asked, through an exit port: status */
	END_FAULT,     /* a guest fault, already reported on stderr */
	END_TIMEOUT,   /* --timeout expired */
	END_SIGNAL,    /* signal signo arrived */
	END_OUTPUT,    /* writing guest output failed: errno_value */
	END_HOST,      /* KVM or host failure, already reported on stderr */
	END_QUIT,      /* the user typed Ctrl-A x */
	END_RESET,     /* the guest reset the machine (reboot, e.g. through the i8042): status 0 */
	END_POWEROFF,  /* the guest powered the machine off (ACPI S5): status 0 */
	END_PANIC,     /* the guest reported a panic (pvpanic): a guest fault, why says which event */
	END_CONTROL,   /* quit through the control socket (--control): status */
	END_GDB_KILL,  /* gdb's kill (k, vKill) through --gdb: status 137, as a process gdb kills */
	END_SNAPSHOT,  /* a snapshot asked to end the run once written: status 0, why holds the file */
};

struct run_end {
	enum end_kind kind;
	int status;         /* END_EXIT, END_CONTROL */
	int signo;          /* END_SIGNAL */
	int errno_value;    /* END_OUTPUT */
	char why[160];      /* END_FAULT: the one-line summary */
};

struct io_bus;
typedef enum io_result (*port_in_fn)(struct io_bus *bus, void *dev, uint16_t port,
				     unsigned size, uint32_t *val);
typedef enum io_result (*port_out_fn)(struct io_bus *bus, void *dev, uint16_t port,
				      unsigned size, uint32_t val);

struct port_dev {
	const char *name;
	uint16_t base, len;
	port_in_fn in;          /* NULL: reads return all ones */
	port_out_fn out;        /* NULL: writes are ignored */
	void *dev;
	bool batches_output;    /* accesses do not force an output flush (the UART) */
};

#define IO_MAX_DEVS 15

struct io_bus {
	uint8_t map[65536];                 /* port -> device index + 1, 0 = no device */
	struct port_dev devs[IO_MAX_DEVS];
	unsigned ndevs;
	struct run_end *end;                /* where a device records why the run ends */
	uint64_t (*counts)[2];              /* per port [in, out] accesses, or NULL */
	uint64_t unclaimed;                 /* accesses to ports with no device */
	uint8_t *reported;                  /* per port bit 0 in, bit 1 out: reported by -v, or NULL */
	bool verbose;
	int irq_fd;                         /* the VM, for KVM_IRQ_LINE; -1 without the irqchip */
	uint8_t irq_level[16];              /* last level set per ISA line, so only changes reach KVM */
	/* Coalesced port writes (KVM_CAP_COALESCED_PIO): KVM's ring, or NULL without them. */
	struct kvm_coalesced_mmio_ring *ring;
	uint32_t ring_max;                  /* its entries */
};

/* io_init: an empty bus; counts and verbose reports only if asked. Returns -1 on ENOMEM. */
int io_init(struct io_bus *bus, struct run_end *end, bool count, bool verbose);
/*
 * io_coalesce: writes to ports [base, base + len) wait in KVM's ring (the
 * ring page of a vCPU's mapping) instead of exiting, for ports whose
 * writes nothing observes until the next access to the bus. Without
 * KVM_CAP_COALESCED_PIO, or where KVM refuses, they exit as others do.
 */
void io_coalesce(struct io_bus *bus, int kvm_fd, int vm_fd, struct kvm_run *run, size_t run_size,
		 uint16_t base, uint16_t len);
/*
 * io_drain: the coalesced writes KVM holds, to their devices in the order
 * made. io_exit drains first; whoever reads a coalesced device's state
 * outside an exit (a snapshot) drains before. Under the bus lock.
 */
enum io_result io_drain(struct io_bus *bus);
void io_free(struct io_bus *bus);

/*
 * io_attach: claim ports [d->base, d->base + d->len) for a device.
 * Returns 0, or -1 if the range wraps, overlaps another device or the
 * table is full (a programming error, reported on stderr).
 */
int io_attach(struct io_bus *bus, const struct port_dev *d);

/*
 * io_exit: carry out one KVM_EXIT_IO described by run (of run_size bytes):
 * count accesses of size bytes each at io.port, data packed from
 * data_offset; the data pointer advances, the port does not. A run whose
 * size, count or data offset do not fit inside run_size is a guest fault
 * recorded in bus->end. Returns IO_END when the run must end.
 */
enum io_result io_exit(struct io_bus *bus, struct kvm_run *run, size_t run_size);

/*
 * io_access: one access of size bytes at port, as a device or the empty bus
 * answers it; *val is written for out, filled for in. Counted like any other.
 */
enum io_result io_access(struct io_bus *bus, uint16_t port, unsigned size, bool out, uint32_t *val);

/*
 * io_irq: set ISA interrupt line gsi (0-15) to level, as a device's output
 * pin: only a change reaches KVM (KVM_IRQ_LINE drives the PIC and the IOAPIC
 * pin of that number). Without the irqchip, or for gsi > 15, nothing happens.
 * Returns 0, or -1 (reported) if KVM refuses.
 */
int io_irq(struct io_bus *bus, unsigned gsi, bool level);

/* io_batches: true if the device at port batches output (no flush needed). */
bool io_batches(const struct io_bus *bus, uint16_t port);

/* end_vfault: e becomes a guest fault with a printf-style summary (io_fault's and the run loop's). */
void end_vfault(struct run_end *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* io_fault: record a guest fault with a printf-style summary; returns IO_END. */
enum io_result io_fault(struct io_bus *bus, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- uart.c: COM1, a 16550A with its interrupt on ISA line 4 ---- */

struct uart {
	struct console *con;
	struct io_bus *bus;
	uint16_t base;
	uint8_t ier, iir_thri, lcr, mcr, scr, dll, dlm, fcr;
	bool rx_hold;            /* the receive FIFO was reset: input waits for the driver */
	uint64_t hold_since;     /* when (now_ns) */
	bool no_input;           /* stdin feeds another device (hvc0): none reaches COM1 */
};

/* uart_attach: put a UART at base on the bus, feeding con. */
int uart_attach(struct uart *u, struct io_bus *bus, uint16_t base, struct console *con);

/*
 * uart_poll: bring the interrupt line up to date with input that arrived
 * while the guest was not looking (the run loop's 10 ms tick). Returns 0, or
 * -1 (reported) if KVM refuses the line.
 */
int uart_poll(struct uart *u);

/* ---- exitport.c: the exit ports ---- */

/* exitport_attach: QEMU's isa-debug-exit at 0xf4 and kvmrun's exact exit at 0xf8. */
int exitport_attach(struct io_bus *bus);

/* ---- fwcfg.c: QEMU's fw_cfg, port interface ---- */

#define FWCFG_PORT_SEL   0x510
#define FWCFG_PORT_DATA  0x511
enum {	/* keys, as QEMU numbers them */
	FWCFG_SIGNATURE = 0x00, FWCFG_ID = 0x01, FWCFG_RAM_SIZE = 0x03, FWCFG_NB_CPUS = 0x05,
	FWCFG_MAX_CPUS = 0x0f, FWCFG_CMDLINE_SIZE = 0x14, FWCFG_CMDLINE_DATA = 0x15, FWCFG_FILE_DIR = 0x19,
};
#define FWCFG_MAX_ITEMS 8

struct fwcfg_item {
	uint16_t key;
	const uint8_t *data;
	uint32_t len;
};

struct fwcfg {
	uint16_t selected;
	uint32_t offset;
	struct fwcfg_item items[FWCFG_MAX_ITEMS];
	unsigned nitems;
	char signature[4];
	uint32_t id, cmdline_size;
	uint64_t ram;
	uint16_t cpus;
	uint8_t file_dir[4];		/* big-endian count of files: zero */
	const char *cmdline;
};

/* fwcfg_attach: fw_cfg on 0x510-0x511: signature, ID, RAM size, ncpus (NB_CPUS, MAX_CPUS), an empty file directory, cmdline. */
int fwcfg_attach(struct fwcfg *fc, struct io_bus *bus, uint64_t ram_bytes, unsigned ncpus, const char *cmdline);

/* ---- stop.c: signals and timers that end or interrupt KVM_RUN ---- */

/*
 * stop_init: install handlers for SIGINT, SIGTERM, SIGHUP, the timeout and
 * the output-flush tick; ignore SIGPIPE. Each handler only sets a flag and
 * run->immediate_exit, so KVM_RUN returns EINTR race-free.
 * Returns 0, or -1 (reported) on failure.
 */
int stop_init(struct kvm_run *run);

/*
 * stop_kick: make KVM_RUN on another thread return EINTR: its run page's
 * immediate_exit first (so a kick between its checks and KVM_RUN is not
 * lost), then the kick signal, whose handler does nothing else.
 * stop_kick_signal is that signal (caught by stop_init).
 */
void stop_kick(struct kvm_run *run, pthread_t thread);
int stop_kick_signal(void);

/*
 * stop_watch_thread: once a signal or the timeout is pending, the handler
 * kicks thread t at every signal it takes (the flush tick included), so a
 * blocking write on t returns and its console_flush can give up as CPU 0's
 * would. stop_forget_threads: no more of that (before the threads are joined).
 * CPU 0's thread only.
 */
void stop_watch_thread(pthread_t t);
void stop_forget_threads(void);

/* stop_start_timeout: start counting the timeout now (0: none). */
int stop_start_timeout(uint64_t timeout_ns);

/* stop_arm_flush: ask for a flush tick in 10 ms, unless one is already armed. */
void stop_arm_flush(void);

/*
 * stop_tick_always: make the flush tick periodic (every 10 ms), for an
 * interactive console and, with the irqchip, to notice a CPU halted for good.
 */
int stop_tick_always(void);

/*
 * stop_give_up: for console.give_up. False while no signal or timeout is
 * pending; once one is, true after a grace of STOP_GRACE_NS, and until then
 * it keeps a 10 ms tick running so a blocked write is interrupted again.
 */
#define STOP_GRACE_NS 1000000000ULL
bool stop_give_up(void);

/* stop_snapshot_signal: catch SIGUSR1 too, as a request for a snapshot (stop_take's snapshot). */
int stop_snapshot_signal(void);

/*
 * stop_fini: detach from the run page and delete the timers; call before
 * vm_close, after a failed setup too (a tick during vm_close must not touch the
 * unmapped run page). A second call does nothing more.
 */
void stop_fini(void);

/* What interrupted KVM_RUN; flags are cleared as they are read. */
struct stop_flags {
	int signo;        /* a terminating signal, or 0 */
	bool timed_out;
	bool flush_due;
	bool snapshot;    /* SIGUSR1 (stop_snapshot_signal) */
};
void stop_take(struct stop_flags *f);

/* ---- the VM (kvm.c) and its vCPUs (vcpu.c) ---- */


struct vcpu_stats {
	uint64_t exits[64];      /* by KVM exit reason; the last slot counts reasons beyond */
	uint64_t run_ns;         /* time spent inside KVM_RUN */
};

struct vm;

/*
 * One virtual CPU: index 0 is the bootstrap processor, which starts at the
 * guest's entry on the main thread; the others (application processors)
 * wait in their LAPIC for INIT and SIPI, each on its own thread. The APIC ID
 * is the index. Everything here belongs to the CPU's thread while the run
 * lasts; other threads touch only run->immediate_exit (to stop it) and, while
 * it is parked, its fd (vcpu_park_all).
 */
struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct run_end end;      /* why this CPU's loop ended the run, if it did */
	struct vcpu_stats stats;
	struct kvm_cpuid2 *cpuid; /* what KVM_SET_CPUID2 was given (vm_open), for snapshots */
};

struct vm_stats {
	uint64_t start_ns;       /* when main() started */
	uint64_t setup_ns;       /* main() start to first KVM_RUN */
	uint64_t total_ns;       /* main() start to end of run */
};

/*
 * What the vCPU threads share while the run lasts. lock serialises the port
 * bus (every device, its counters, the console buffer) and the end record:
 * a port exit is carried out whole under it, from whichever CPU made it.
 * stopping, once set, stays set: every loop leaves at its next look. The
 * park fields let CPU 0's thread stop the others to read their state.
 */
struct vm_shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* signalled on park, unpark, start and thread exit */
	bool go;                 /* the APs may enter KVM_RUN */
	bool stopping;           /* atomic: the run ends */
	unsigned park_gen;       /* atomic: raised by vcpu_park_all */
	unsigned ready;          /* APs waiting for go, past their thread's start-up (under lock) */
	unsigned parked, exited; /* APs parked, APs whose loop ended (under lock) */
	bool paused;             /* under lock (atomic reads elsewhere): vm_pause holds every CPU out of KVM_RUN */
	unsigned holders;        /* under lock: who holds the pause, PAUSE_* bits; paused == (holders != 0) */
	unsigned held;           /* APs held by the pause (under lock); they count as parked for CPU 0 */
	bool cpu0_held;          /* CPU 0 is in its pause loop (under lock) */
	int end_cpu;             /* the CPU whose end record became vm->end (-1: none yet) */
	bool joined;             /* main thread only: every AP thread joined */
};

/* What the user put on the PCI bus, in the order given (devices/virtio.h has struct disk). */
enum dev_kind { DEV_DISK, DEV_VIRTIO_CONSOLE, DEV_VIRTIO_RNG, DEV_PVPANIC_PCI, DEV_NET, DEV_VIRTIO_BALLOON };
struct disk;
struct netdev;
struct dev_spec {
	enum dev_kind kind;
	struct disk *disk;       /* DEV_DISK: opened and locked */
	struct netdev *net;      /* DEV_NET: its backend opened */
};
struct pci_machine;

struct vm {
	int kvm_fd, vm_fd;
	int api_version;
	struct vcpu *cpu;        /* ncpus of them */
	unsigned ncpus;
	size_t run_size;         /* bytes of each CPU's run page */
	struct guest_mem mem;
	enum cpu_mode mode;
	struct io_bus bus;
	struct console con;
	struct uart com1;
	struct fwcfg fwcfg;
	struct run_end end;      /* why the run ended: the first CPU's reason wins */
	struct vm_shared shared;
	bool stats_on, verbose;
	bool irqchip;            /* in-kernel PIC, IOAPIC, LAPIC and PIT: HLT no longer exits */
	struct pc_devices *pc;   /* the RTC, the i8042 (devices/devices.h) */
	struct pci_machine *pci; /* the PCI bus and its devices (devices/virtio.h), NULL when none was asked for */
	struct gdb *gdb;         /* the --gdb stub (gdb.c), NULL when none */
	struct vm_stats stats;
	struct snapper *snap;    /* snapshots: triggers and their files (snapshot/snapshot.h); NULL: none */
	bool ram_file;           /* vm_open maps RAM from ram_fd at ram_off (a restore), not anonymous memory */
	int ram_fd;
	uint64_t ram_off;
};

/*
 * vm_open: open /dev/kvm (path), check API version 12 and every capability
 * used, create the VM with mem_bytes of RAM (reserved lazily, never
 * executable on the host), the in-kernel interrupt controllers and PIT when
 * vm->irqchip, and ncpus vCPUs (at most KVM_CAP_MAX_VCPUS, refused in one
 * line otherwise; more than one needs the irqchip), each with the host's
 * supported CPUID made to describe ncpus single-thread cores and its own APIC
 * ID. Returns 0, or -1 after one line on stderr that says what failed and
 * what to do.
 */
int vm_open(struct vm *vm, const char *path, uint64_t mem_bytes, unsigned ncpus);

/* vm_close: release everything vm_open and the run acquired. */
void vm_close(struct vm *vm);

/*
 * vm_attach_devices: console on stdout/stdin, COM1, the exit ports, fw_cfg
 * (whose command line is cmdline, may be NULL). Returns 0 or -1 (reported).
 */
int vm_attach_devices(struct vm *vm, const char *cmdline);

/*
 * vm_attach_pci: the PCI bus and the n devices of specs, in order (none: no
 * bus at all, the guest's view unchanged). Needs vm->irqchip. Returns 0 or
 * -1 (reported).
 */
int vm_attach_pci(struct vm *vm, const struct dev_spec *specs, unsigned n);

/* vm_start_devices / vm_stop_devices: the PCI devices' threads (before seccomp; stop is idempotent). */
int vm_start_devices(struct vm *vm);
void vm_stop_devices(struct vm *vm);

/*
 * vm_start_aps: create one thread per application processor, with every
 * signal blocked but the kick; they wait for vm_run before their first
 * KVM_RUN, so a seccomp filter installed between (with TSYNC) covers them.
 * Returns 0, or -1 (reported; threads already made are stopped and joined).
 */
int vm_start_aps(struct vm *vm);

/* vm_stop_aps: stop every AP's loop and join its thread (vm_run does it before returning). */
void vm_stop_aps(struct vm *vm);

/*
 * vm_run: run every vCPU until the guest halts for good, exits, faults, or a
 * timeout, signal, Ctrl-A x or a closed stdout ends it; CPU 0 on this thread.
 * The first CPU to end the run decides vm->end (shared.end_cpu says which);
 * every other CPU is then kicked out of KVM_RUN and every thread joined before
 * vm_run returns. Guest output is batched and flushed at every exit that is
 * not the UART's, every 10 ms while output waits, and before returning.
 */
void vm_run(struct vm *vm, uint64_t timeout_ns);

/*
 * vm_pause: from a thread that is no vCPU's (the control thread), once vm_run
 * has started the CPUs: every vCPU leaves KVM_RUN (kicked) and stays out until
 * vm_resume; CPU 0 still takes signals, the timeout, the console's ticks and
 * Ctrl-A x every 10 ms, so any of them ends a paused run as a running one. The
 * PCI devices' threads go on serving what the guest handed over. Returns 0
 * once every CPU is held (at once if already paused), or -1 when the run is
 * ending. Each holder (WHO: the control socket, the gdb stub) pauses and
 * resumes for itself: vm_resume lets the CPUs run again once no holder is
 * left, so `kvmrun ctl resume` cannot release a guest that gdb has stopped.
 */
enum { PAUSE_CONTROL = 1, PAUSE_GDB = 2, PAUSE_ALL = 3 };	/* who holds a pause */
int vm_pause(struct vm *vm, unsigned who);
void vm_resume(struct vm *vm, unsigned who);
/* vm_held_by: whether WHO (PAUSE_* bits) holds the pause now. */
bool vm_held_by(struct vm *vm, unsigned who);

/*
 * vm_hold_at_start: before vm_run, make every vCPU's first KVM_RUN return at
 * once into the pause (--gdb-wait), as if vm_pause(PAUSE_GDB) had been called; vm_pause
 * then waits until they are held and vm_resume lets them go.
 */
void vm_hold_at_start(struct vm *vm);

/* vm_paused: whether vm_pause holds the CPUs now. vm_stopping: whether the run is ending. Any thread. */
bool vm_paused(struct vm *vm);
bool vm_stopping(struct vm *vm);

/*
 * vm_end_now: end the run from a thread that is no vCPU's, for the reason e,
 * as a CPU does when the guest writes an exit port: e becomes vm->end unless
 * the run already ends, and every CPU (CPU 0 too) is kicked out of its loop,
 * so output is flushed and main.c turns vm->end into the status. Returns true
 * if e decided the end, false if the run was already ending.
 */
bool vm_end_now(struct vm *vm, const struct run_end *e);

/*
 * vm_report_stats: the --stats lines on f: exits in total and per CPU, ports, times.
 * Also during the run (the control socket's stats): total time is then up to now, and
 * each counter is read as it stands (no lock; 64-bit reads, never torn on x86-64).
 */
void vm_report_stats(const struct vm *vm, FILE *f);

/* vm_verbose_cpus: the -v line about the vCPUs and their APIC IDs (none for one CPU). */
void vm_verbose_cpus(const struct vm *vm, FILE *f);

/* ---- cpu.c: entry state per mode ---- */

/* cpu_region_end: end of the runner region the mode writes in RAM (0: none). */
uint64_t cpu_region_end(enum cpu_mode mode, uint64_t mem_bytes);

/*
 * cpu_check_entry: can an image of size bytes load and start at entry in
 * this mode? Returns 0, or -1 with a reason in why (len bytes) and *status
 * set to EXIT_USAGE (entry itself unusable) or EXIT_BAD_GUEST (the image
 * does not fit or overlaps the runner region).
 */
int cpu_check_entry(enum cpu_mode mode, uint64_t mem_bytes, uint64_t entry,
		    uint64_t size, char *why, size_t len, int *status);

/* cpu_check_ram: does RAM hold the mode's tables? 0, or -1 with the reason in why. */
int cpu_check_ram(enum cpu_mode mode, uint64_t mem_bytes, char *why, size_t len);

/* Where and how execution starts. In real mode rip is the linear entry; CS:IP and SS:SP derive from it. */
struct cpu_entry {
	uint64_t rip, rsp, rax, rbx, rsi;
	uint64_t map_bytes;      /* long mode: identity-map [0, map_bytes) only (0: all RAM, at least 4 GiB) */
	bool boot_gdt;           /* long mode: Linux's selectors, __BOOT_CS 0x10 and __BOOT_DS 0x18 */
};

/*
 * cpu_setup: write the mode's GDT and page tables into RAM and set the
 * VCPU's registers from e. Returns 0 or -1 (reported).
 */
int cpu_setup(struct vm *vm, enum cpu_mode mode, const struct cpu_entry *e);

/* ---- guest images: load.c (files, detection, flat), elf.c, multiboot.c ---- */

enum image_format { FORMAT_AUTO, FORMAT_FLAT, FORMAT_ELF, FORMAT_MULTIBOOT, FORMAT_LINUX, FORMAT_PVH };

/* A file mapped read-only: a guest image or a module. */
struct file_buf {
	const char *path;
	const uint8_t *data;
	uint64_t size;
};

/* A guest-physical range [start, end) the image must not touch, and what it holds. */
struct range {
	uint64_t start, end;
	const char *what;
};
#define MAX_RESERVED 4

/* What a loader put in RAM and how to start it. */
struct image {
	enum image_format format;
	uint64_t entry;          /* guest-physical address where execution starts */
	uint64_t low, high;      /* the loaded span [low, high) */
	unsigned elf_class;      /* 32 or 64 for ELF contents, 0 otherwise */
	uint32_t mb_info;        /* Multiboot: the information structure's address, else 0 */
	uint64_t initrd, initrd_size; /* Linux: where the initrd went */
};

/*
 * file_map: open (O_NONBLOCK, so a FIFO never hangs), check and map path
 * read-only. what names it in errors ("guest", "module"); an empty file is
 * refused unless allow_empty (then data is NULL and size 0). Returns 0, or
 * -1 after one line on stderr with *status set (EXIT_BAD_GUEST or EXIT_HOST).
 */
int file_map(const char *path, const char *what, bool allow_empty, struct file_buf *f, int *status);
void file_unmap(struct file_buf *f);

/* why_fail: the loaders' way to refuse: a printf-style reason into why (len bytes); returns -1. */
int why_fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* image_detect: Multiboot if a valid header is found, else ELF by magic, else flat. */
enum image_format image_detect(const struct file_buf *f);
const char *format_name(enum image_format fmt);
int parse_format(const char *s, enum image_format *out);

/* load_flat: copy f to RAM at entry (checked by cpu_check_entry first). */
int load_flat(const struct guest_mem *m, const struct file_buf *f, uint64_t entry, struct image *img);

/*
 * elf_class: 32 or 64 if f is a loadable x86 ELF executable (ET_EXEC,
 * little-endian, EM_386 or EM_X86_64, matching class), else 0 with the
 * reason in why. Reads only the ELF header.
 */
unsigned elf_class(const struct file_buf *f, char *why, size_t len);

/*
 * elf_load: check every program header of f (sizes, offsets and ranges
 * against the file, RAM and the reserved ranges, overlaps between
 * segments), then copy each PT_LOAD segment to its physical address and
 * zero the rest of its memsz. Nothing is written unless all checks pass.
 * Sets img->entry (e_entry, or its physical address when it lies in a
 * segment's virtual range), low, high and elf_class. Returns 0, or -1
 * with the field at fault named in why.
 */
int elf_load(const struct guest_mem *m, const struct file_buf *f,
	     const struct range *rsv, unsigned nrsv, struct image *img, char *why, size_t len);

/* Multiboot v1 (multiboot.c). */
#define MB_HEADER_MAGIC  0x1badb002u
#define MB_BOOT_MAGIC    0x2badb002u
#define MB_SEARCH        8192       /* the header lies in the first 8 KiB, 4-byte aligned */
#define MB_MAX_MODULES   64
#define MB_MEM_DEFAULT   (128ULL << 20) /* QEMU's default RAM: kvm-unit-tests' kernels reach past 16 MiB */

struct mb_header {
	uint32_t offset;         /* of the header in the file */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* mb_find: the first valid header (magic and checksum) in f; 0, or -1 if none. */
int mb_find(const struct file_buf *f, struct mb_header *h);

struct mb_module {
	struct file_buf file;
	const char *string;      /* the module's command line: "FILE" or "FILE STRING" */
};

struct mb_params {
	const char *append;              /* --append, or NULL */
	const struct mb_module *mods;
	unsigned nmods;
	bool verbose;
};

/*
 * mb_load: load a Multiboot kernel (a.out kludge when flag 16 is set, else
 * the ELF32 or ELF64 inside), then build the information structure on the
 * page after the kernel (as QEMU does; img->mb_info says where): memory, command line (the kernel's path as given, a space,
 * then --append, as QEMU builds it), modules (each page-aligned after the
 * kernel), memory map, boot loader name. Returns 0 with img->mb_info set, or
 * -1 with the reason in why.
 */
int mb_load(const struct guest_mem *m, const struct file_buf *kernel, const struct mb_header *h,
	    const struct mb_params *p, const struct range *rsv, unsigned nrsv,
	    struct image *img, char *why, size_t len);

/* ---- user.c: user mode's exception path ---- */

/*
 * user_tables: write the TSS, the exception stubs and the IDT into RAM and
 * point s->tr and s->idt at them. Returns 0, or -1 if RAM lacks the room.
 */
int user_tables(const struct guest_mem *m, struct kvm_sregs *s);

/*
 * user_attach: the fault-report port. A report from the runner's stubs
 * (CPL 0) ends the run as a guest fault described precisely (vector, error
 * code, CR2, faulting RIP and RSP), or with status 0 when the fault is a #GP
 * on HLT; the VCPU's registers are set back to the faulting context so the
 * dump shows it. Writes from the guest itself (CPL 3) are ignored.
 */
int user_attach(struct vm *vm);

/*
 * cpu_user_context: put the VCPU back in the user context that faulted
 * (user segments, rip, rsp, rflags), for the register dump.
 */
int cpu_user_context(struct vm *vm, uint64_t rip, uint64_t rsp, uint64_t rflags);

/* ---- halt.c: the end of a guest that halted for good ---- */

/*
 * vcpu_halted_for_good: true when the vCPU sleeps in HLT (KVM_MP_STATE_HALTED,
 * in-kernel irqchip) with RFLAGS.IF clear, no NMI, SMI or exception pending,
 * and no unmasked LAPIC entry that KVM can fire as an NMI (performance counters,
 * LINT0): nothing can wake it. False
 * when it may still run, or when KVM does not answer (the run goes on).
 * Limit: an IOAPIC entry routed as NMI is not looked at (KVM_GET_IRQCHIP is not asked).
 */
bool vcpu_halted_for_good(int vcpu_fd);

/*
 * vcpu_asleep_for_good: an application processor that can never run again by
 * itself: halted for good as above, or still waiting for INIT and SIPI (which
 * only a running CPU can send). The machine is done when CPU 0 is halted for
 * good and every other CPU asleep for good.
 */
bool vcpu_asleep_for_good(int vcpu_fd);

/* ---- seccomp.c ---- */

/*
 * seccomp_install: confine the process, every thread of it (TSYNC), to what
 * the run loops need: the vCPUs' KVM_RUN and register ioctls on the ncpus
 * descriptors from first_vcpu_fd (consecutive), KVM_IRQ_LINE on vm_fd
 * (-1: none), terminal ioctls on stdin,
 * reads of stdin, writes of stdout and stderr, poll, the timers, signal
 * return, futexes and kicks between threads, memory release, and exit; mmap and mprotect never executable.
 * x86-64 only (x32 and other ABIs are killed); any other call kills the
 * process. With PCI devices also: reads, writes, positioned I/O, fdatasync and
 * fallocate on their descriptors (eventfds and disk images), getrandom, and
 * the MSI route and ioeventfd ioctls on vm_fd. Returns 0, or -1 (reported).
 */
struct sandbox {
	int first_vcpu_fd;
	unsigned ncpus;
	int vm_fd;               /* -1: none */
	int dev_fd_lo;           /* the PCI devices' descriptors: [dev_fd_lo, dev_fd_lo + ndev_fds) */
	unsigned ndev_fds;       /* 0: no PCI devices */
	int ctl_listen_fd;       /* --control: accept4 on it (-1: no control socket) */
	int ctl_fd_lo;           /* its client slots [ctl_fd_lo, ctl_fd_lo + nctl_fds): read, write, and dup3 onto them */
	unsigned nctl_fds;
	int gdb_listen_fd;       /* --gdb: accept4 on it, and the debug ioctls on the vCPUs (-1: no stub) */
	int gdb_fd;              /* its one connection slot: read, write, and dup3 onto it */
	int ctl_snap_fd;         /* its snapshot slot: dup3 onto it (-1: none); in snap_fd too when snapshots are on */
	bool snapshot;           /* snapshots may be taken: the vCPUs' and the VM's get ioctls */
	int snap_fd[3];          /* the snapshot files (snapshot/snapshot.h's sources): pwrite, ftruncate (-1: none) */
	int snap_pagemap_fd;     /* /proc/self/pagemap for a snapshot's RAM scan: pread (-1: none) */
};
int seccomp_install(const struct sandbox *sb);

/* ---- usock.c: a listening UNIX socket whose file goes with kvmrun (--control, --gdb unix:) ---- */

struct usock {
	int listen_fd;           /* listening, non-blocking; -1 when none */
	int remover_fd;          /* the remover reads it: EOF when kvmrun is gone */
	int removed_fd;          /* EOF (POLLHUP) here when the remover has unlinked the socket and exited */
};

/*
 * usock_open: while kvmrun has one thread (it forks). Make path a listening
 * UNIX stream socket, mode 0600, with backlog. A socket there that nobody
 * accepts on (connect: ECONNREFUSED, what a killed kvmrun leaves) is
 * replaced; anything else (a live socket, a file of any other kind, a path
 * over 107 bytes, a directory that does not exist) is refused. Forks the
 * remover: a process that waits for kvmrun to end, however it ends (SIGKILL
 * included), then unlinks the socket if it is still the one made here.
 * Returns 0, or -1 after one line on stderr naming opt and arg (the option and
 * its value as given) with *status set (EXIT_USAGE: the path; EXIT_HOST).
 */
int usock_open(struct usock *u, const char *opt, const char *arg, const char *path, int backlog, int *status);

/* usock_close: close the socket and wait (at most 2 s) until the remover has unlinked it. Idempotent. */
void usock_close(struct usock *u);

/* ---- control.c: the control socket (--control PATH), served from its own thread ---- */

#define CTL_LINE_MAX     4096                   /* a request line, its newline included */
#define CTL_CLIENTS      4                      /* served at once; more wait in the listen backlog */
#define CTL_CLIENT_NS    (5 * 1000000000ULL)    /* a client has this long to send its line, and again to take the reply */
#define CTL_NO_BALLOON   "no balloon: start kvmrun with --device virtio-balloon"

struct control;

/*
 * control_open: before the VM is made, while kvmrun has one thread. Make
 * path a listening UNIX stream socket, mode 0600. A socket there that nobody
 * accepts on (connect: ECONNREFUSED, a kvmrun that was killed) is replaced;
 * anything else (a live socket, a file of any other kind, a path too long for
 * a socket) is refused. Also forks the remover: a process that waits for
 * kvmrun to end, however it ends (SIGKILL included), and then unlinks the
 * socket if it is still the one made here. Returns the control, or NULL after
 * one line on stderr with *status set (EXIT_USAGE: the path; EXIT_HOST).
 */
struct control *control_open(const char *path, int *status);

/*
 * control_start: the control thread, every signal blocked but the kick, past
 * its own start-up when this returns (so a seccomp filter installed next
 * covers it); it serves no request before vm_run starts the CPUs. Also
 * reserves CTL_CLIENTS consecutive descriptors for its clients. Fills the
 * sandbox's ctl_ fields. Returns 0 or -1 (reported).
 */
int control_start(struct control *c, struct vm *vm, struct sandbox *sb);

/* control_stop: end and join the control thread (idempotent); clients in progress are dropped. */
void control_stop(struct control *c);

/*
 * control_close: control_stop, close the socket, and wait (at most 2 s) until
 * the remover has unlinked it, so it is gone when kvmrun exits. NULL is fine.
 */
void control_close(struct control *c);

/* ---- gdb.c: the GDB remote stub (--gdb [HOST:]PORT or unix:PATH), served from its own thread ---- */

#define EXIT_GDB_KILL 137   /* gdb's kill: 128 + SIGKILL, as for a process gdb kills */

struct gdb;

/* Where the stub listens: TCP at host:port, or a UNIX socket at path. */
struct gdb_addr {
	const char *arg;         /* the --gdb value as given */
	const char *path;        /* unix:PATH: the socket's path (within arg); NULL: TCP */
	char host[64];           /* TCP: an IPv4 address */
	uint16_t port;           /* TCP: 0 picks any free port */
};

/*
 * gdb_parse: "[HOST:]PORT" (HOST an IPv4 address, default 127.0.0.1; PORT
 * 0-65535, 0: any free port) or "unix:PATH" (PATH not empty; whether a socket
 * may be made there is gdb_open's to say) into *a. Returns 0, or -1 with
 * *why set to a short reason.
 */
int gdb_parse(const char *s, struct gdb_addr *a, const char **why);

/*
 * gdb_open: listen where a says, before any thread (a UNIX socket forks its
 * remover, usock_open). With port 0, or verbose, says on stderr where it
 * listens. wait: the guest is held at its first instruction until gdb
 * continues it. Returns the stub, or NULL after one line on stderr with
 * *status set (EXIT_HOST: the port is in use, the address is not local;
 * a refused PATH as usock_open says: EXIT_USAGE).
 */
struct gdb *gdb_open(const struct gdb_addr *a, bool wait, bool verbose, int *status);

/*
 * gdb_start: after vm_start_aps, before the filter: reserve the connection's
 * descriptor slot, start the stub's thread (every signal blocked but the
 * kick, taken in ppoll only), set vm->gdb and the sandbox's gdb_ fields.
 * The stub serves nothing before vm_run starts the CPUs; with wait, the CPUs
 * are held from their first KVM_RUN. Returns 0 or -1 (reported).
 */
int gdb_start(struct gdb *g, struct vm *vm, struct sandbox *sb);

/*
 * gdb_debug_exit: a vCPU's KVM_EXIT_DEBUG, on its own thread. Returns true
 * when the debugger must see it (a breakpoint or watchpoint of gdb's, a step):
 * the event is recorded and the caller holds every vCPU and wakes the stub
 * (gdb_wake). False when it is the guest's own int3, re-injected into the
 * guest as it would be without gdb (or when no stub exists).
 */
bool gdb_debug_exit(struct vcpu *cpu);
void gdb_wake(struct gdb *g);

/* gdb_sw_breakpoints: how many software breakpoints (int3 bytes) gdb has in guest RAM now (0 without a stub). */
unsigned gdb_sw_breakpoints(const struct gdb *g);

/*
 * gdb_close: after the run (status: the exit status, -1 if none): end and join
 * the stub's thread, tell a connected gdb that the guest exited with that
 * status (W), close the sockets (a UNIX socket's file is gone on return).
 * NULL is fine.
 */
void gdb_close(struct gdb *g, int status);

/* ---- ctl.c: the client, kvmrun ctl PATH COMMAND [ARGS...] ---- */

/*
 * ctl_main: argv[0] is "ctl". Sends one request line, prints the reply to
 * stdout. Returns the exit status: 0 an ok reply, 1 an error reply (on stderr
 * as "kvmrun: ctl: MESSAGE"), EXIT_USAGE a bad command line, EXIT_CTL_CONNECT
 * when it cannot connect or gets no reply within CTL_REPLY_S seconds.
 */
#define EXIT_CTL_ERROR   1
#define EXIT_CTL_CONNECT 3
#define CTL_REPLY_S      10
int ctl_main(int argc, char **argv);

/* ---- dump.c ---- */

/*
 * dump_vcpu: registers, segments, control registers and code bytes at RIP; or,
 * after a SHUTDOWN on a KVM that reset the vCPU (AMD), one line saying that the
 * registers were lost, never the reset values as if they were the guest's.
 */
void dump_vcpu(const struct vcpu *cpu, FILE *f);

/* dump_regs_brief: the entry registers for -v. */
void dump_regs_brief(const struct vcpu *cpu, FILE *f);

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

#endif
