/* kvmrun: command line, start-up order, and the one place outcomes become exit statuses. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "devices/virtio.h"
#include "boot/boot.h"
#include "devices/devices.h"
#include "snapshot/snapshot.h"

enum { OPT_MODULE = 256, OPT_INITRD, OPT_IRQCHIP, OPT_NO_IRQCHIP, OPT_NO_SANDBOX, OPT_DISK, OPT_DEVICE, OPT_NET,
       OPT_CONTROL, OPT_GDB, OPT_GDB_WAIT, OPT_RESTORE, OPT_SNAP_SIGNAL, OPT_SNAP_PORT };

#define USAGE "usage: kvmrun [OPTIONS] GUEST (kvmrun --help lists the options)"

struct options {
	uint64_t mem, entry, timeout_ns;
	unsigned cpus;			/* --cpus: vCPUs (1 unless given) */
	bool entry_set, mode_set, stats, verbose, no_sandbox;
	enum cpu_mode mode;
	enum image_format format;
	int irqchip;			/* -1: by format (on for Multiboot), 0 off, 1 on */
	const char *timeout_arg;
	const char *control;		/* --control PATH, or NULL */
	const char *gdb;		/* --gdb [HOST:]PORT or unix:PATH, or NULL */
	struct gdb_addr gdb_addr;
	bool gdb_wait;			/* --gdb-wait */
	const char *restore;		/* --restore FILE, or NULL */
	const char *snap_path[SNAP_SOURCES];	/* --snapshot-on-signal FILE, --snapshot-on-port FILE */
	const char *machine_opt;	/* the first option given that describes the machine (refused with --restore) */
	const char *guest;
	const char *append;
	bool mem_set;
	/* --module and --initrd as given, in order: modules for Multiboot, the initrd for Linux. */
	struct { char *arg; bool initrd; } modargs[MB_MAX_MODULES];
	unsigned nmodargs;
	struct mb_module mods[MB_MAX_MODULES];
	unsigned nmods;
	struct file_buf initrd;		/* Linux: the --initrd file, if one */
	char cmdline[LINUX_CMDLINE_MAX];	/* Linux: --append and the defaults kvmrun adds */
	/* --disk and --device, in the order given: the PCI devices. */
	struct dev_spec devs[PCI_MAX_SLOTS - 1];
	unsigned ndevs;
	struct disk disks[PCI_MAX_SLOTS - 1];
	unsigned ndisks;
	struct netdev nets[PCI_MAX_SLOTS - 1];
	unsigned nnets;
};

/* The options that name snap_path[SNAP_SIGNAL] and [SNAP_PORT], for messages. */
static const char *const snap_option[SNAP_SOURCES] = { "--snapshot-on-signal", "--snapshot-on-port", "ctl" };

static void help(void)
{
	printf("usage: kvmrun [OPTIONS] GUEST\n"
	       "       kvmrun ctl PATH COMMAND [ARGS...]   (a running kvmrun's --control socket)\n"
	       "Run GUEST in a KVM virtual machine: a flat binary, an ELF, a\n"
	       "Multiboot kernel, or a Linux kernel (bzImage, or a vmlinux with a PVH entry).\n"
	       "What the guest writes to COM1 (port 0x3f8) appears on stdout, byte for byte;\n"
	       "stdin feeds COM1.\n"
	       "\n"
	       "Options:\n"
	       "  -m, --mem SIZE       guest RAM; a plain number is MiB, or use a K, M, G or T\n"
	       "                       suffix (default 16, 128 for Multiboot as QEMU, 256 for\n"
	       "                       Linux; a multiple of 4K, at most 512G; RAM beyond 3G\n"
	       "                       sits above 4G)\n"
	       "  -c, --cpus N         vCPUs, each on its own thread (default 1; at most 128\n"
	       "                       and what KVM allows); CPU 0 starts the guest, the\n"
	       "                       others wait for INIT and SIPI as on a PC; more than\n"
	       "                       one needs the in-kernel irqchip (then on by default)\n"
	       "  -e, --entry ADDR     load a flat GUEST at ADDR and start there (0x-hex or\n"
	       "                       decimal); default 0x10000 in real mode, 0x100000 otherwise\n"
	       "  -M, --mode MODE      CPU state at entry of a flat GUEST: real (default),\n"
	       "                       protected, long, or user (64-bit at CPL 3); ELF and\n"
	       "                       Multiboot choose their own, but a 64-bit ELF takes user\n"
	       "  -f, --format FORMAT  flat, elf, multiboot, linux or pvh (default: detected\n"
	       "                       from the bytes)\n"
	       "  -a, --append STRING  a Linux kernel's command line (console=ttyS0 is added\n"
	       "                       when it names no console=); a Multiboot kernel's after\n"
	       "                       its name; also fw_cfg's command line\n"
	       "      --initrd FILE    a Linux kernel's initrd; for a Multiboot kernel,\n"
	       "                       \"FILE ARGS,FILE2 ...\" are modules, as QEMU's -initrd\n"
	       "      --module FILE[,STRING]\n"
	       "                       a Multiboot module with its string (repeatable)\n"
	       "      --irqchip, --no-irqchip\n"
	       "                       in-kernel PIC, IOAPIC, LAPIC and PIT (default: on for\n"
	       "                       Multiboot and Linux kernels, off otherwise); with it,\n"
	       "                       HLT waits for an interrupt, and ends the run only with\n"
	       "                       interrupts off\n"
	       "      --disk FILE[,ro][,serial=TEXT]\n"
	       "                       a raw disk image as a virtio-blk disk on PCI (repeatable:\n"
	       "                       vda, vdb, ... in order); locked against other users\n"
	       "      --net tap=NAME[,mac=MAC] or --net stream=SOCKET[,mac=MAC]\n"
	       "                       a virtio-net NIC on PCI (repeatable: eth0, eth1, ...):\n"
	       "                       a tap device, or a UNIX stream socket as passt serves\n"
	       "      --device NAME    a PCI device: virtio-console (hvc0; stdin then feeds it,\n"
	       "                       not COM1), virtio-rng, pvpanic-pci, or virtio-balloon\n"
	       "  -t, --timeout SECS   stop a guest still running after SECS seconds (fractions ok)\n"
	       "      --control PATH   serve a control socket at PATH (mode 0600): status, stats,\n"
	       "                       pause, resume, balloon, quit; kvmrun ctl PATH help\n"
	       "      --gdb [HOST:]PORT or --gdb unix:PATH\n"
	       "                       serve gdb's remote protocol on TCP (HOST default\n"
	       "                       127.0.0.1; PORT 0: any free port, printed on stderr)\n"
	       "                       or on a UNIX socket at PATH (mode 0600)\n"
	       "      --gdb-wait       with --gdb: hold the guest at its first instruction\n"
	       "                       until gdb attaches and continues\n"
	       "      --snapshot-on-signal FILE\n"
	       "                       on SIGUSR1, save the VM to FILE and go on\n"
	       "      --snapshot-on-port FILE\n"
	       "                       the guest's port 0xf0 saves the VM to FILE: writing 0 goes\n"
	       "                       on, writing 1 ends the run (status 0) once saved\n"
	       "      --restore FILE   resume the VM saved in FILE (no GUEST; the machine comes\n"
	       "                       from FILE, which must stay unchanged while the VM runs;\n"
	       "                       --disk FILE puts another file under each disk in order,\n"
	       "                       else the paths saved are opened)\n"
	       "      --no-sandbox     run without the seccomp filter that confines the run loop\n"
	       "  -s, --stats          at exit, print VM exits by reason and port, and timings\n"
	       "  -v, --verbose        print the VM setup before running\n"
	       "  -h, --help           print this help\n"
	       "  -V, --version        print the version\n"
	       "\n"
	       "Guest ports: 0x3f8-0x3ff COM1 (16550); 0xf4 QEMU isa-debug-exit: writing v ends\n"
	       "with status (v << 1) | 1; 0xf8 kvmrun exit: writing v (0-255) ends with status v.\n"
	       "HLT ends the run with status 0. Linux guests: poweroff, halt and reboot give 0;\n"
	       "a panic reported through pvpanic (port 0x505) gives 100. On a terminal,\n"
	       "Ctrl-A x quits, Ctrl-A h helps.\n"
	       "\n"
	       "Exit status:\n"
	       "  0        the guest halted (HLT), powered off, reset the machine, or wrote 0\n"
	       "           to port 0xf8\n"
	       "  1-255    the guest's own status through port 0xf4 (odd values) or 0xf8 (any)\n"
	       "  2        usage error: bad option, value or operand\n"
	       "  100      guest fault: triple fault, access outside RAM, emulation failure,\n"
	       "           an exception in user mode (named with its vector, error code, RIP),\n"
	       "           a kernel panic reported through pvpanic\n"
	       "  102      host or KVM failure: /dev/kvm, capability, ioctl, memory, output\n"
	       "  104      unusable guest file: missing, unreadable, not a regular file, empty,\n"
	       "           too large for RAM, or overlapping the runner's tables; a Linux\n"
	       "           kernel that is damaged, too old, or does not fit with its initrd;\n"
	       "           a --disk file that is missing, a directory, empty or not a\n"
	       "           multiple of 512 bytes\n"
	       "  106      a --disk file is locked by another process\n"
	       "  108      a --net backend cannot be opened (tap or socket)\n"
	       "  110      --restore: the snapshot is damaged, truncated, of another format\n"
	       "           version, or from a CPU this host cannot stand in for; a --disk\n"
	       "           that does not fit it (another size, count or read-only flag)\n"
	       "  124      --timeout expired\n"
	       "  137      killed from gdb (--gdb: kill)\n"
	       "  128+N    stopped by signal N (129 SIGHUP, 130 SIGINT, 143 SIGTERM);\n"
	       "           130 also when Ctrl-A x quits an interactive console;\n"
	       "           141 when stdout's reader went away (EPIPE)\n");
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmrun: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; " USAGE "\n");
	exit(EXIT_USAGE);
}

static void bad_value(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "kvmrun: %s '%s': %s; " USAGE "\n", opt, val, why);
	exit(EXIT_USAGE);
}

/* What getopt_long rejected, named as the user wrote it. */
static void bad_option(int c, const char *arg, const struct option *longs)
{
	const struct option *hit = NULL;
	unsigned matches = 0;
	size_t n;

	if (strncmp(arg, "--", 2) != 0) {	/* short, possibly inside a bundle like -sm */
		if (c == ':')
			usage_error("option '-%c' needs a value", optopt);
		usage_error("unknown option '-%c'", optopt);
	}
	/* getopt_long knew the option (maybe abbreviated) when it set optopt to its value. */
	for (const struct option *l = longs; optopt && l->name; l++)
		if (l->val == optopt)
			hit = l;
	if (hit && c == ':')
		usage_error("option '--%s' needs a value", hit->name);
	if (hit)
		usage_error("option '--%s' takes no value", hit->name);
	n = strcspn(arg + 2, "=");
	for (const struct option *l = longs; l->name; l++)
		matches += strncmp(l->name, arg + 2, n) == 0;
	if (matches > 1)
		usage_error("option '%.*s' is ambiguous: it begins more than one option", (int)(n + 2), arg);
	usage_error("unknown option '%.*s'", (int)(n + 2), arg);
}

/*
 * The next comma-separated value of s, as QEMU reads option values: ",,"
 * is a literal comma. Splits in place (argv's strings are ours to write);
 * returns the value and sets *rest to what follows its comma, or NULL.
 */
static char *opt_value(char *s, char **rest)
{
	char *w = s;

	*rest = NULL;
	for (char *r = s; *r; r++) {
		if (*r == ',' && r[1] == ',') {
			*w++ = *r++;
		} else if (*r == ',') {
			*rest = r + 1;
			break;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return s;
}

/*
 * --module FILE[,STRING]: one module. --initrd "FILE ARGS,FILE2 ARGS2": as
 * QEMU's -initrd, modules separated by commas, each its file name up to the
 * first space; the module's string is then "FILE ARGS", as QEMU passes it.
 */
static void add_module(struct options *o, const char *opt, char *arg, bool qemu_list)
{
	char *rest, *text = opt_value(arg, &rest);

	do {
		struct mb_module *m = &o->mods[o->nmods];
		char *space;

		if (o->nmods == MB_MAX_MODULES)
			bad_value(opt, text, "too many modules (at most 64)");
		m->file.path = text;
		m->string = NULL;
		if (!qemu_list) {
			m->string = rest;	/* FILE,STRING: everything after the first comma */
			rest = NULL;
		} else if ((space = strchr(text, ' '))) {
			*space = 0;
			m->string = space + 1;
		}
		if (!*m->file.path)
			bad_value(opt, text, "no file name");
		o->nmods++;
		text = rest ? opt_value(rest, &rest) : NULL;
	} while (text);
}

/* The --device names, each at most once. */
static const struct { const char *name; enum dev_kind kind; } device_names[] = {
	{ "virtio-console", DEV_VIRTIO_CONSOLE }, { "virtio-rng", DEV_VIRTIO_RNG }, { "pvpanic-pci", DEV_PVPANIC_PCI },
	{ "virtio-balloon", DEV_VIRTIO_BALLOON },
};

/* --disk FILE[,OPTS], --net BACKEND[,OPTS] or --device NAME: the next PCI device. */
static void add_device(struct options *o, const char *opt, char *arg, enum dev_kind kind)
{
	char why[160];
	unsigned i;

	if (o->ndevs == sizeof o->devs / sizeof o->devs[0])
		bad_value(opt, arg, "too many PCI devices (at most 31 --disk, --net and --device together)");
	if (kind == DEV_NET) {
		char *text = strdup(arg);	/* kept: the backend's name points into it */

		if (!text)
			bad_value(opt, arg, "out of memory");
		if (net_parse(text, &o->nets[o->nnets], why, sizeof why) < 0) {
			free(text);
			bad_value(opt, arg, why);
		}
		o->devs[o->ndevs++] = (struct dev_spec){ .kind = DEV_NET, .net = &o->nets[o->nnets++] };
		return;
	}
	if (kind == DEV_DISK) {
		char *text = strdup(arg);	/* kept: the disk's path points into it */

		if (!text)
			bad_value(opt, arg, "out of memory");
		if (disk_parse(text, &o->disks[o->ndisks], why, sizeof why) < 0) {
			free(text);	/* nothing points into it: the leak checker would say so */
			bad_value(opt, arg, why);
		}
		o->devs[o->ndevs++] = (struct dev_spec){ .kind = DEV_DISK, .disk = &o->disks[o->ndisks++] };
		return;
	}
	for (i = 0; i < sizeof device_names / sizeof device_names[0]; i++)
		if (strcmp(arg, device_names[i].name) == 0)
			break;
	if (i == sizeof device_names / sizeof device_names[0])
		bad_value(opt, arg, "not one of virtio-console, virtio-rng, pvpanic-pci, virtio-balloon");
	for (unsigned k = 0; k < o->ndevs; k++)
		if (o->devs[k].kind == device_names[i].kind)
			bad_value(opt, arg, "given twice (one of each device at most)");
	o->devs[o->ndevs++] = (struct dev_spec){ .kind = device_names[i].kind };
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "entry", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "format", required_argument, NULL, 'f' },
		{ "append", required_argument, NULL, 'a' },
		{ "module", required_argument, NULL, OPT_MODULE },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "irqchip", no_argument, NULL, OPT_IRQCHIP },
		{ "no-irqchip", no_argument, NULL, OPT_NO_IRQCHIP },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "net", required_argument, NULL, OPT_NET },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "gdb-wait", no_argument, NULL, OPT_GDB_WAIT },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "snapshot-on-signal", required_argument, NULL, OPT_SNAP_SIGNAL },
		{ "snapshot-on-port", required_argument, NULL, OPT_SNAP_PORT },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;

	*o = (struct options){ .mem = GUEST_MEM_DEFAULT, .cpus = 1, .mode = MODE_REAL, .irqchip = -1 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:c:e:M:t:f:a:svhV", longs, NULL)) != -1) {
		/* What describes the machine comes from the snapshot with --restore. */
		for (const struct option *l = longs; !o->machine_opt && l->name; l++)
			if (l->val == c && (strchr("mceMfa", c > 0 && c < 128 ? c : '?') || c == OPT_MODULE ||
					    c == OPT_INITRD || c == OPT_IRQCHIP || c == OPT_NO_IRQCHIP ||
					    c == OPT_DEVICE))	/* --disk and --net: bindings */
				o->machine_opt = l->name;
		switch (c) {
		case 'm':
			if (parse_size(optarg, &o->mem, &why) < 0)
				bad_value("--mem", optarg, why);
			if (o->mem % GUEST_PAGE)
				bad_value("--mem", optarg, "not a multiple of 4K");
			if (o->mem > GUEST_MEM_MAX)
				bad_value("--mem", optarg, "more than kvmrun's maximum of 512G");
			o->mem_set = true;
			break;
		case 'c':
			if (parse_cpus(optarg, &o->cpus, &why) < 0)
				bad_value("--cpus", optarg, why);
			break;
		case 'e':
			if (parse_addr(optarg, &o->entry, &why) < 0)
				bad_value("--entry", optarg, why);
			o->entry_set = true;
			break;
		case 'M':
			if (parse_mode(optarg, &o->mode) < 0)
				bad_value("--mode", optarg, "not one of real, protected, long, user");
			o->mode_set = true;
			break;
		case 'f':
			if (parse_format(optarg, &o->format) < 0)
				bad_value("--format", optarg, "not one of flat, elf, multiboot, linux, pvh");
			break;
		case 'a':
			o->append = optarg;
			break;
		case OPT_MODULE:
		case OPT_INITRD:
			if (o->nmodargs == MB_MAX_MODULES)
				bad_value(c == OPT_INITRD ? "--initrd" : "--module", optarg,
					  "too many modules (at most 64)");
			o->modargs[o->nmodargs].arg = optarg;
			o->modargs[o->nmodargs++].initrd = c == OPT_INITRD;
			break;
		case OPT_IRQCHIP:
		case OPT_NO_IRQCHIP:
			o->irqchip = c == OPT_IRQCHIP;
			break;
		case OPT_NO_SANDBOX:
			o->no_sandbox = true;
			break;
		case OPT_DISK:
			add_device(o, "--disk", optarg, DEV_DISK);
			break;
		case OPT_NET:
			add_device(o, "--net", optarg, DEV_NET);
			break;
		case OPT_DEVICE:
			add_device(o, "--device", optarg, DEV_VIRTIO_CONSOLE);	/* which one: by name */
			break;
		case OPT_CONTROL:
			if (!*optarg)
				bad_value("--control", optarg, "empty");
			o->control = optarg;
			break;
		case OPT_GDB:
			if (gdb_parse(optarg, &o->gdb_addr, &why) < 0)
				bad_value("--gdb", optarg, why);
			o->gdb = optarg;
			break;
		case OPT_GDB_WAIT:
			o->gdb_wait = true;
			break;
		case OPT_RESTORE:
		case OPT_SNAP_SIGNAL:
		case OPT_SNAP_PORT:
			if (!*optarg)
				bad_value(c == OPT_RESTORE ? "--restore" : c == OPT_SNAP_SIGNAL ? "--snapshot-on-signal" :
					  "--snapshot-on-port", optarg, "empty");
			if (c == OPT_RESTORE)
				o->restore = optarg;
			else
				o->snap_path[c == OPT_SNAP_SIGNAL ? SNAP_SIGNAL : SNAP_PORT] = optarg;
			break;
		case 't':
			if (parse_seconds(optarg, &o->timeout_ns, &why) < 0)
				bad_value("--timeout", optarg, why);
			o->timeout_arg = optarg;
			break;
		case 's':
			o->stats = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			help();
			exit(0);
		case 'V':
			printf("kvmrun %s\n", KVMRUN_VERSION);
			exit(0);
		case ':':
		default:
			bad_option(c, argv[optind - 1], longs);
		}
	}
	if (o->restore) {
		if (optind < argc)
			usage_error("--restore takes no GUEST ('%s'): the snapshot holds the guest", argv[optind]);
		if (o->machine_opt)
			usage_error("--%s describes the machine, which comes from the snapshot with --restore",
				    o->machine_opt);
		return;
	}
	if (optind == argc)
		usage_error("no GUEST given");
	if (argc - optind > 1)
		usage_error("one GUEST only, but '%s' follows '%s'", argv[optind + 1], argv[optind]);
	o->guest = argv[optind];
	if (o->gdb_wait && !o->gdb)
		usage_error("--gdb-wait needs --gdb [HOST:]PORT or unix:PATH");
	if (!o->entry_set)
		o->entry = o->mode == MODE_REAL ? GUEST_ENTRY_REAL : GUEST_ENTRY_FLAT;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

/* The outcome of the run, reported on stderr and turned into the exit status. */
static int finish(struct vm *vm, const struct options *o)
{
	const struct run_end *e = &vm->end;
	int status = EXIT_HOST;

	switch (e->kind) {
	case END_HALT:
		status = 0;
		break;
	case END_EXIT:
		status = e->status;
		break;
	case END_FAULT:
		if (vm->ncpus > 1 && vm->shared.end_cpu >= 0) {
			fprintf(stderr, "kvmrun: guest fault on CPU %d: %s\n", vm->shared.end_cpu, e->why);
			dump_vcpu(&vm->cpu[vm->shared.end_cpu], stderr);
		} else {
			fprintf(stderr, "kvmrun: guest fault: %s\n", e->why);
			dump_vcpu(&vm->cpu[0], stderr);
		}
		status = EXIT_GUEST_FAULT;
		break;
	case END_TIMEOUT:
		fprintf(stderr, "kvmrun: guest still running after %s s (--timeout); stopped it\n",
			o->timeout_arg);
		status = EXIT_TIMEOUT;
		break;
	case END_SIGNAL:
		fprintf(stderr, "kvmrun: stopped by %s\n", signal_name(e->signo));
		status = EXIT_SIGNAL_BASE + e->signo;
		break;
	case END_OUTPUT:
		if (e->errno_value == EPIPE) {
			fprintf(stderr, "kvmrun: stdout was closed by its reader (EPIPE); stopped the guest\n");
			status = EXIT_SIGNAL_BASE + SIGPIPE;
		} else {
			fprintf(stderr, "kvmrun: writing guest output to stdout failed: %s\n",
				strerror(e->errno_value));
		}
		break;
	case END_QUIT:
		fprintf(stderr, "kvmrun: quit (Ctrl-A x)\n");
		status = EXIT_QUIT;
		break;
	case END_RESET:
	case END_POWEROFF:
		status = 0;
		break;
	case END_PANIC:
		fprintf(stderr, "kvmrun: guest fault: %s\n", e->why);
		status = EXIT_GUEST_FAULT;
		break;
	case END_CONTROL:
		fprintf(stderr, "kvmrun: quit through the control socket (status %d)\n", e->status);
		status = e->status;
		break;
	case END_GDB_KILL:
		fprintf(stderr, "kvmrun: killed from gdb (status %d)\n", EXIT_GDB_KILL);
		status = EXIT_GDB_KILL;
		break;
	case END_SNAPSHOT:
		fprintf(stderr, "kvmrun: saved to '%s'; the run ends (kvmrun --restore %s resumes it)\n", e->why, e->why);
		status = 0;
		break;
	case END_HOST:
	case END_NONE:
		break;
	}
	if (vm->con.out_errno == EINTR)
		fprintf(stderr, "kvmrun: stdout's reader stopped reading; %zu bytes of guest output were not written\n",
			vm->con.len);
	else if (vm->con.out_errno && e->kind != END_OUTPUT)
		fprintf(stderr, "kvmrun: some guest output was lost: stdout: %s\n", strerror(vm->con.out_errno));
	if (o->verbose && (e->kind == END_HALT || e->kind == END_EXIT || e->kind == END_RESET ||
			   e->kind == END_POWEROFF))
		fprintf(stderr, "kvmrun: guest %s; exit status %d\n",
			e->kind == END_HALT ? "halted" : e->kind == END_RESET ? "reset the machine" :
			e->kind == END_POWEROFF ? "powered off" : "exited", status);
	return status;
}

static void verbose_setup(const struct vm *vm, const struct options *o, const struct image *img)
{
	bool linux = img->format == FORMAT_LINUX || img->format == FORMAT_PVH;
	/* Linux's 64-bit entry maps 4 GiB: its tables end where boot_params begins. */
	uint64_t region = !linux ? cpu_region_end(o->mode, o->mem) :
			  img->format == FORMAT_LINUX ? LINUX_BOOT_INFO : cpu_region_end(MODE_PROTECTED, o->mem);
	char sz[32], ram[80];

	fprintf(stderr, "kvmrun: KVM API version %d on /dev/kvm\n", vm->api_version);

	if (ram_high(o->mem))
		fprintf(stderr, "kvmrun: RAM %llu KiB (0x%llx bytes) in two slots: %s, around the 32-bit hole\n",
			(unsigned long long)(o->mem >> 10), (unsigned long long)o->mem, ram_str(o->mem, ram, sizeof ram));
	else
		fprintf(stderr, "kvmrun: RAM %llu KiB (0x%llx bytes) in one slot at guest-physical 0x0\n",
			(unsigned long long)(o->mem >> 10), (unsigned long long)o->mem);
	fprintf(stderr, "kvmrun: guest '%s': %s%s, %s at 0x%llx-0x%llx, %s mode, entry 0x%llx\n",
		o->guest, format_name(img->format),
		img->elf_class == 32 ? " (ELF32)" : img->elf_class == 64 ? " (ELF64)" : "",
		size_str(img->high - img->low, sz, sizeof sz), (unsigned long long)img->low,
		(unsigned long long)(img->high - 1), mode_name(o->mode), (unsigned long long)img->entry);
	if (img->mb_info)
		fprintf(stderr, "kvmrun: Multiboot information at 0x%x, %u module%s\n", img->mb_info,
			o->nmods, o->nmods == 1 ? "" : "s");
	if (linux) {
		fprintf(stderr, "kvmrun: %s at 0x%llx, command line at 0x%llx: \"%s\"\n",
			img->format == FORMAT_LINUX ? "boot_params" : "hvm_start_info and memory map",
			LINUX_BOOT_INFO, LINUX_CMDLINE, o->cmdline);
		if (img->initrd_size)
			fprintf(stderr, "kvmrun: initrd '%s', %s at 0x%llx-0x%llx\n", o->initrd.path,
				size_str(img->initrd_size, sz, sizeof sz), (unsigned long long)img->initrd,
				(unsigned long long)(img->initrd + img->initrd_size - 1));
		fprintf(stderr, "kvmrun: ACPI tables at 0x%llx, MP table at 0x%llx; e820 reserves 0x%llx-0xfffff\n",
			GUEST_ACPI, GUEST_MPTABLE, GUEST_EBDA);
	}
	if (region)
		fprintf(stderr, "kvmrun: runner tables (GDT%s) at 0x%llx-0x%llx\n",
			o->mode == MODE_LONG ? ", page tables" :
			o->mode == MODE_USER ? ", TSS, exception stubs, IDT, runner stack, page tables" : "", GUEST_GDT,
			(unsigned long long)(region - 1));
	fprintf(stderr, "kvmrun: interrupt controllers and PIT %s\n",
		vm->irqchip ? "in the kernel (--irqchip): HLT waits for an interrupt, or ends the run when interrupts are off"
			    : "absent: HLT ends the run");
	vm_verbose_cpus(vm, stderr);
	if (vm->pci)
		pcim_verbose(vm->pci, stderr);
	dump_regs_brief(&vm->cpu[0], stderr);
}

/* Whether word (a "name=" prefix) begins one of the words of s. */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s; (p = strstr(p, word)); p += n)
		if (p == s || p[-1] == ' ')
			return true;
	return false;
}

/*
 * A Linux kernel: a bzImage, or a vmlinux with a PVH entry. It needs the
 * irqchip, takes one --initrd file, and gets a console on COM1 unless the
 * command line names one. Returns 0, or the exit status after one line.
 */
static int plan_linux(struct options *o, const struct file_buf *guest, enum image_format fmt)
{
	struct linux_params lp = { .cmdline = o->cmdline, .ncpus = o->cpus, .pci = o->ndevs > 0 };
	const char *what = fmt == FORMAT_LINUX ? "a Linux bzImage" : "a vmlinux with a PVH entry";
	uint32_t pvh;
	char why[320];
	int status;
	size_t n;

	if (o->mode_set)
		usage_error("--mode applies to flat images; '%s' is %s, which sets its own CPU mode", o->guest, what);
	if (o->entry_set)
		usage_error("--entry applies to flat images; '%s' is %s and says where it starts", o->guest, what);
	if (o->irqchip == 0)
		usage_error("--no-irqchip: '%s' is %s, which needs the interrupt controllers and the PIT",
			    o->guest, what);
	o->irqchip = 1;
	for (unsigned i = 0; i < o->nmodargs; i++)
		if (!o->modargs[i].initrd)
			usage_error("--module applies to Multiboot kernels; give a Linux kernel one --initrd FILE");
	if (o->nmodargs > 1)
		usage_error("one --initrd for a Linux kernel, but %u were given (join them: cat a b > c)", o->nmodargs);
	if (fmt == FORMAT_PVH && !pvh_entry(guest, &pvh)) {
		fprintf(stderr, "kvmrun: guest '%s': no PVH entry: an ELF64 with a Xen note of type 18 "
			"(XEN_ELFNOTE_PHYS32_ENTRY) is needed (Linux: CONFIG_PVH=y)\n", o->guest);
		return EXIT_BAD_GUEST;
	}
	if (!o->mem_set)
		o->mem = LINUX_MEM_DEFAULT;
	o->mode = fmt == FORMAT_LINUX ? MODE_LONG : MODE_PROTECTED;
	n = (size_t)snprintf(o->cmdline, sizeof o->cmdline, "%s%s%s", o->append ? o->append : "",
			     o->append && *o->append ? " " : "", "console=ttyS0");
	if (o->append && has_word(o->append, "console="))
		n = (size_t)snprintf(o->cmdline, sizeof o->cmdline, "%s", o->append);
	if (n >= sizeof o->cmdline)
		usage_error("--append is %zu bytes; kvmrun passes at most %zu", strlen(o->append), sizeof o->cmdline - 1);
	if (o->nmodargs && file_map(o->modargs[0].arg, "initrd", false, &o->initrd, &status) < 0)
		return status;
	lp.initrd = o->nmodargs ? &o->initrd : NULL;
	if (fmt == FORMAT_LINUX && linux_check(guest, o->mem, &lp, why, sizeof why) < 0) {
		fprintf(stderr, "kvmrun: guest '%s': %s\n", o->guest, why);
		return EXIT_BAD_GUEST;
	}
	return 0;
}

/*
 * Decide the format and CPU mode from the file and the options; refuse what
 * does not fit together. Returns 0, or the exit status after one line on stderr.
 */
static int plan(struct options *o, const struct file_buf *guest, enum image_format *fmt)
{
	struct mb_header h;
	char why[256];
	unsigned cls = 0;
	int status;

	*fmt = o->format ? o->format : image_detect(guest);
	if (o->cpus > 1 && o->irqchip == 0)
		usage_error("--no-irqchip: --cpus %u needs the in-kernel interrupt controllers "
			    "(the other CPUs wait for INIT and SIPI in their LAPICs)", o->cpus);
	if (o->ndevs && o->irqchip == 0)
		usage_error("--no-irqchip: PCI devices (--disk, --device) interrupt through MSI-X, which needs "
			    "the in-kernel interrupt controllers");
	if (*fmt == FORMAT_LINUX || *fmt == FORMAT_PVH)
		return plan_linux(o, guest, *fmt);
	if (*fmt == FORMAT_MULTIBOOT && mb_find(guest, &h) < 0) {
		fprintf(stderr, "kvmrun: guest '%s': no Multiboot header (magic 0x1badb002 with a valid checksum) "
			"in its first 8192 bytes\n", o->guest);
		return EXIT_BAD_GUEST;
	}
	if (*fmt == FORMAT_MULTIBOOT && !o->mem_set)
		o->mem = MB_MEM_DEFAULT;
	if (*fmt == FORMAT_ELF && !(cls = elf_class(guest, why, sizeof why))) {
		fprintf(stderr, "kvmrun: guest '%s': %s\n", o->guest, why);
		return EXIT_BAD_GUEST;
	}
	if (*fmt != FORMAT_FLAT) {
		enum cpu_mode mode = *fmt == FORMAT_ELF && cls == 64 ? MODE_LONG : MODE_PROTECTED;

		if (mode == MODE_LONG && o->mode_set && o->mode == MODE_USER)
			mode = MODE_USER;	/* a 64-bit ELF runs at CPL 3 on request */
		const char *what = *fmt == FORMAT_MULTIBOOT ? "a Multiboot kernel" :
				   cls == 64 ? "a 64-bit ELF" : "a 32-bit ELF";

		if (o->mode_set && o->mode != mode)
			usage_error("--mode %s does not fit '%s', %s, which starts in %s mode",
				    mode_name(o->mode), o->guest, what, mode_name(mode));
		if (o->entry_set)
			usage_error("--entry applies to flat images; '%s' is %s and says where it starts",
				    o->guest, what);
		o->mode = mode;
		if (cpu_check_ram(o->mode, o->mem, why, sizeof why) < 0)
			usage_error("%s", why);
	} else if (cpu_check_entry(o->mode, o->mem, o->entry, guest->size, why, sizeof why, &status) < 0) {
		if (status == EXIT_USAGE)
			usage_error("%s", why);
		fprintf(stderr, "kvmrun: guest '%s': %s\n", o->guest, why);
		return status;
	}
	if (o->mode == MODE_USER && o->cpus > 1)
		usage_error("--mode user runs on one CPU; drop --cpus %u", o->cpus);
	if (o->nmodargs && *fmt != FORMAT_MULTIBOOT)
		usage_error("--module and --initrd apply to Multiboot and Linux kernels; '%s' is loaded as %s",
			    o->guest, format_name(*fmt));
	for (unsigned i = 0; i < o->nmodargs; i++)
		add_module(o, o->modargs[i].initrd ? "--initrd" : "--module", o->modargs[i].arg,
			   o->modargs[i].initrd);
	if (o->irqchip < 0)
		o->irqchip = *fmt == FORMAT_MULTIBOOT || o->cpus > 1 || o->ndevs;
	return 0;
}

/* Put the image in RAM and say where it starts. Returns 0, or -1 after one line on stderr. */
static int load(struct vm *vm, const struct options *o, const struct file_buf *guest,
		enum image_format fmt, struct image *img, struct cpu_entry *e)
{
	struct range rsv[MAX_RESERVED];
	struct mb_params bp = { .append = o->append, .mods = o->mods, .nmods = o->nmods,
				  .verbose = o->verbose };
	struct mb_header h;
	struct linux_params lp;
	uint32_t pvh = 0;
	unsigned nrsv = 0;
	char why[320];
	int r = 0;

	if (cpu_region_end(o->mode, o->mem) && fmt != FORMAT_LINUX && fmt != FORMAT_PVH)
		rsv[nrsv++] = (struct range){ GUEST_GDT, cpu_region_end(o->mode, o->mem),
					      o->mode == MODE_PROTECTED ? "GDT" :
					      o->mode == MODE_USER ? "user-mode tables" : "GDT and page tables" };
	switch (fmt) {
	case FORMAT_LINUX:
	case FORMAT_PVH:
		lp = (struct linux_params){ .cmdline = o->cmdline, .initrd = o->initrd.data ? &o->initrd : NULL,
					    .ncpus = o->cpus, .pci = o->ndevs > 0 };
		if (fmt == FORMAT_LINUX)
			r = linux_load(&vm->mem, guest, &lp, img, e, why, sizeof why);
		else if (pvh_entry(guest, &pvh))
			r = pvh_load(&vm->mem, guest, pvh, &lp, img, e, why, sizeof why);
		if (r < 0) {
			fprintf(stderr, "kvmrun: guest '%s': %s\n", o->guest, why);
			return -1;
		}
		return 0;
	case FORMAT_MULTIBOOT:
		mb_find(guest, &h);
		r = mb_load(&vm->mem, guest, &h, &bp, rsv, nrsv, img, why, sizeof why);
		break;
	case FORMAT_ELF:
		r = elf_load(&vm->mem, guest, rsv, nrsv, img, why, sizeof why);
		break;
	default:
		r = load_flat(&vm->mem, guest, o->entry, img);
		snprintf(why, sizeof why, "does not fit in RAM at 0x%llx", (unsigned long long)o->entry);
		break;
	}
	if (r < 0) {
		fprintf(stderr, "kvmrun: guest '%s': %s\n", o->guest, why);
		return -1;
	}
	/* The stack grows down from the lowest byte of the image. */
	*e = (struct cpu_entry){ .rip = img->entry, .rsp = img->low & ~0xfULL };
	if (img->mb_info) {
		e->rax = MB_BOOT_MAGIC;
		e->rbx = img->mb_info;
	}
	return 0;
}

/* The guest, its plan, its modules, disks and NICs. Returns 0, or the exit status after one line. */
static int plan_guest(struct options *o, struct file_buf *guest, enum image_format *fmt)
{
	int status;

	if (file_map(o->guest, "guest", false, guest, &status) < 0)
		return status;
	if ((status = plan(o, guest, fmt)) != 0)
		return status;
	for (unsigned i = 0; i < o->nmods; i++)
		if (file_map(o->mods[i].file.path, "module", true, &o->mods[i].file, &status) < 0)
			return status;
	for (unsigned i = 0; i < o->ndisks; i++)
		if (disk_open(&o->disks[i], &status) < 0)
			return status;
	for (unsigned i = 0; i < o->nnets; i++)
		if (net_open(&o->nets[i], &status) < 0)
			return status;
	return 0;
}

/*
 * The files of --snapshot-on-signal and --snapshot-on-port, opened now (the
 * filter allows no open later), created mode 0600. Returns 0, or the status.
 */
static int open_snapshot_files(const struct options *o, struct snapper *sn)
{
	for (unsigned i = 0; i < SNAP_SOURCES; i++) {
		if (!o->snap_path[i])
			continue;
		sn->path[i] = o->snap_path[i];
		sn->fd[i] = open(o->snap_path[i], O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (sn->fd[i] < 0) {
			fprintf(stderr, "kvmrun: %s '%s': %s\n", snap_option[i], o->snap_path[i], strerror(errno));
			return EXIT_USAGE;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct vm vm;	/* large (port table, output buffer): not on the stack */
	static struct options o;	/* large (the command line), and the devices point into it while they run */
	struct file_buf guest;
	struct image img;
	struct cpu_entry entry;
	enum image_format fmt = FORMAT_AUTO;
	struct sandbox sb;
	struct control *ctl = NULL;
	struct gdb *gdb = NULL;
	static struct snapper snapper = { .fd = { -1, -1, -1 }, .pagemap_fd = -1 };
	static struct snap_file snapfile = { .fd = -1 };
	uint64_t restore_t0 = 0;
	int status = EXIT_HOST;

	if (argc > 1 && strcmp(argv[1], "ctl") == 0)	/* the control socket's client: a program of its own */
		return ctl_main(argc - 1, argv + 1);
	vm.stats.start_ns = now_ns();
	vm.kvm_fd = vm.vm_fd = -1;
	/* A writer whose reader left gets EPIPE and says so, instead of dying mid-message. */
	signal(SIGPIPE, SIG_IGN);
	/* Descriptors inherited beyond stdio are nothing of ours: the guest's runner holds none. */
	closefrom(3);
	parse_options(argc, argv, &o);
	if (getuid() != geteuid() || getgid() != getegid()) {
		fprintf(stderr, "kvmrun: refusing to run set-uid or set-gid; give your user access to /dev/kvm "
			"(the kvm group) instead\n");
		return EXIT_HOST;
	}

	if (o.restore) {
		restore_t0 = now_ns();
		if (snap_open(o.restore, &snapfile, &status) < 0)
			return status;
		o.mem = snapfile.h.mem;
		o.cpus = snapfile.machine.ncpus;
		o.mode = (enum cpu_mode)snapfile.machine.mode;
		o.irqchip = (int)snapfile.machine.irqchip;
		/* The devices come from the snapshot; --disk only says which files lie under its disks. */
		struct snap_bindings bind = { .disks = o.disks, .ndisks = o.ndisks, .nets = o.nets, .nnets = o.nnets };

		if (snap_pci_plan(&snapfile, &bind, o.devs, &o.ndevs, &status) < 0) {
			snap_close(&snapfile);
			return status;
		}
	} else if ((status = plan_guest(&o, &guest, &fmt)) != 0) {
		return status;
	}
	/* Port 0xf0 is always there (a guest may ask whether it was restored); saving needs a file or --control. */
	vm.snap = &snapper;
	snapper.enabled = o.restore || o.control || o.snap_path[SNAP_SIGNAL] || o.snap_path[SNAP_PORT];
	if ((status = open_snapshot_files(&o, &snapper)) != 0)
		return status;
	/* While there is one thread: the socket's remover is a fork. Every way out below closes it. */
	if (o.control && !(ctl = control_open(o.control, &status)))
		return status;
	if (o.gdb && !(gdb = gdb_open(&o.gdb_addr, o.gdb_wait, o.verbose, &status))) {
		control_close(ctl);
		return status;
	}

	vm.stats_on = o.stats;
	vm.verbose = o.verbose;
	vm.irqchip = o.irqchip;
	status = EXIT_HOST;
	if (o.restore) {	/* RAM is the file's, mapped privately: nothing is read now */
		vm.ram_file = true;
		vm.ram_fd = snapfile.fd;
		vm.ram_off = snapfile.h.ram_off;
	}
	if (vm_open(&vm, "/dev/kvm", o.mem, o.cpus) < 0 || (snapper.enabled && snap_prepare(&vm) < 0))
		goto out;
	if (o.restore) {
		vm.mode = o.mode;
		if (vm_attach_devices(&vm, *snapfile.cmdline ? snapfile.cmdline : NULL) < 0 ||
		    vm_attach_pci(&vm, o.devs, o.ndevs) < 0)
			goto out;
		if (snap_restore(&vm, &snapfile, &status) < 0)
			goto out;
		status = EXIT_HOST;
		snapper.restore_ns = now_ns() - restore_t0;
	} else {
		if (load(&vm, &o, &guest, fmt, &img, &entry) < 0) {
			status = EXIT_BAD_GUEST;
			goto out;
		}
		for (unsigned i = 0; i < o.nmods; i++)
			file_unmap(&o.mods[i].file);
		if (o.initrd.data)
			file_unmap(&o.initrd);
		file_unmap(&guest);
		if (cpu_setup(&vm, o.mode, &entry) < 0 || vm_attach_devices(&vm, o.append) < 0 ||
		    vm_attach_pci(&vm, o.devs, o.ndevs) < 0)
			goto out;
	}
	if (stop_init(vm.cpu[0].run) < 0 || (o.snap_path[SNAP_SIGNAL] && stop_snapshot_signal() < 0))
		goto out;
	if (o.verbose && o.restore)
		fprintf(stderr, "kvmrun: restored from '%s' in %.3f ms: %u vCPU%s, RAM %llu KiB mapped from the file "
			"(loaded as the guest touches it), %s mode, irqchip %s\n", o.restore, snapper.restore_ns / 1e6,
			vm.ncpus, vm.ncpus == 1 ? "" : "s", (unsigned long long)(o.mem >> 10), mode_name(o.mode),
			vm.irqchip ? "on" : "off");
	if (o.verbose && o.restore && vm.pci)
		pcim_verbose(vm.pci, stderr);
	if (o.verbose && !o.restore)
		verbose_setup(&vm, &o, &img);
	/* The 10 ms tick reads an interactive console and, with the irqchip, finds a CPU halted for good. */
	if (console_interactive(&vm.con) < 0 ||
	    ((vm.con.interactive || vm.irqchip) && stop_tick_always() < 0))
		goto out;
	/* The loop needs the VCPU, and the VM only to drive interrupt lines: the rest closes before it runs. */
	close(vm.kvm_fd);
	vm.kvm_fd = -1;
	if (!vm.irqchip && !snapper.enabled) {	/* a snapshot reads the VM's clock */
		close(vm.vm_fd);
		vm.vm_fd = -1;
	}
	/* The APs' threads exist before the filter, which TSYNC puts on every thread. */
	if (vm_start_aps(&vm) < 0 || vm_start_devices(&vm) < 0) {
		vm_stop_devices(&vm);
		vm_stop_aps(&vm);
		goto out;
	}
	sb = (struct sandbox){ .first_vcpu_fd = vm.cpu[0].fd, .ncpus = vm.ncpus, .vm_fd = vm.vm_fd, .dev_fd_lo = -1,
			       .ctl_listen_fd = -1, .gdb_listen_fd = -1, .gdb_fd = -1, .ctl_snap_fd = -1, .snapshot = snapper.enabled,
			       .snap_fd = { snapper.fd[0], snapper.fd[1], -1 }, .snap_pagemap_fd = snapper.pagemap_fd };
	if (vm.pci && vm.pci->fd_lo >= 0) {	/* pvpanic-pci alone opens none */
		sb.dev_fd_lo = vm.pci->fd_lo;
		sb.ndev_fds = (unsigned)(vm.pci->fd_hi - vm.pci->fd_lo + 1);
	}
	if ((ctl && control_start(ctl, &vm, &sb) < 0) || (gdb && gdb_start(gdb, &vm, &sb) < 0) ||
	    (!o.no_sandbox && seccomp_install(&sb) < 0)) {
		vm_stop_devices(&vm);
		vm_stop_aps(&vm);
		goto out;
	}

	vm_run(&vm, o.timeout_ns);
	control_stop(ctl);	/* no request is served after the run */
	stop_fini();
	console_restore();
	vm.stats.total_ns = now_ns() - vm.stats.start_ns;
	status = finish(&vm, &o);
	gdb_close(gdb, status);	/* a connected gdb learns the status */
	gdb = NULL;
	if (o.stats) {
		io_drain(&vm.bus);	/* writes KVM held at the end are counted too */
		vm_report_stats(&vm, stderr);
		snap_report_stats(&vm, stderr);
	}
out:
	gdb_close(gdb, -1);
	control_close(ctl);	/* the socket file is gone when kvmrun exits */
	console_restore();
	stop_fini();
	vm_close(&vm);
	snap_close(&snapfile);
	return status;
}
