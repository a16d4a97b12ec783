/*
 * How a snapshot is asked for, and the one place it is taken: CPU 0's
 * thread, with every other vCPU out of KVM_RUN. The guest's port and the
 * control socket set a pending bit and kick CPU 0; SIGUSR1 reaches CPU 0
 * itself (stop.c). A CPU that writes the port leaves KVM_RUN right after the
 * OUT completes and holds until the snapshot is written, so the file holds
 * the instruction after the OUT.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "snapshot.h"

#define LOAD(x)  __atomic_load_n(&(x), __ATOMIC_SEQ_CST)

static const char *const source_names[] = { "SIGUSR1", "port 0xf0", "the control socket" };

bool snap_pending(const struct vm *vm)
{
	return vm->snap && LOAD(vm->snap->pending) != 0;
}

void snap_request(struct vm *vm, enum snap_source src)
{
	__atomic_fetch_or(&vm->snap->pending, 1u << src, __ATOMIC_SEQ_CST);
	if (!pthread_equal(pthread_self(), vm->cpu[0].thread))
		stop_kick(vm->cpu[0].run, vm->cpu[0].thread);
}

static enum io_result port_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct vm *vm = dev;

	(void)bus, (void)port, (void)size;
	*val = vm->snap->restored ? 1 : 0;
	return IO_OK;
}

static enum io_result port_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct vm *vm = dev;
	struct snapper *sn = vm->snap;

	(void)port, (void)size;
	if (sn->fd[SNAP_PORT] < 0)	/* a restored VM without --snapshot-on-port: as if nobody had the port */
		return IO_OK;
	val &= 0xff;
	if (val > 1)
		return io_fault(bus, "port 0x%x: %u is neither 0 (snapshot) nor 1 (snapshot and end)", PORT_SNAPSHOT, val);
	sn->exit_after[SNAP_PORT] = val == 1;
	/* This CPU leaves KVM_RUN once the OUT is complete, and holds until the snapshot is written. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (pthread_equal(pthread_self(), vm->cpu[i].thread))
			__atomic_store_n(&vm->cpu[i].run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	snap_request(vm, SNAP_PORT);
	return IO_OK;
}

/*
 * The port exists with --snapshot-on-port, and in a restored VM (it reads 1
 * there). Otherwise 0xf0 is nobody's port, as on a machine without kvmrun's
 * snapshots: writes are ignored and reads give 0xff, so a guest that writes
 * it for other reasons (the 387's FERR clear on old PCs) runs on.
 */
int snap_port_attach(struct vm *vm)
{
	struct port_dev d = { .name = "snapshot", .base = PORT_SNAPSHOT, .len = 1, .in = port_in, .out = port_out,
			      .dev = vm };

	if (vm->snap->fd[SNAP_PORT] < 0 && !vm->ram_file)
		return 0;
	return io_attach(&vm->bus, &d);
}

/* Write one snapshot from src; 0, or -1 with why. */
static int take(struct vm *vm, enum snap_source src, char *why, size_t len)
{
	struct snapper *sn = vm->snap;
	const char *refuse = snap_refuse_reason(vm);
	uint64_t t0 = now_ns(), ram = 0;
	struct stat st;

	if (refuse) {
		snprintf(why, len, "%s", refuse);
		return -1;
	}
	if (sn->restored && fstat(sn->fd[src], &st) == 0 && st.st_dev == sn->src_dev && st.st_ino == sn->src_ino) {
		snprintf(why, len, "it is the file this VM was restored from, which holds its RAM");
		return -1;
	}
	if (snap_save(vm, sn->fd[src], &ram, why, len) < 0)
		return -1;
	sn->last_ns = now_ns() - t0;
	sn->total_ns += sn->last_ns;
	sn->count++;
	if (vm->verbose)
		fprintf(stderr, "kvmrun: snapshot (%s) to '%s' written in %.3f ms: %llu KiB of RAM's %llu KiB\n",
			source_names[src], sn->path[src], sn->last_ns / 1e6, (unsigned long long)(ram >> 10),
			(unsigned long long)(vm->mem.size >> 10));
	return 0;
}

bool snap_take_pending(struct vcpu *cpu0)
{
	struct vm *vm = cpu0->vm;
	struct snapper *sn = vm->snap;
	unsigned bits = LOAD(sn->pending);
	bool end = false;
	char why[256];

	for (unsigned src = 0; src < SNAP_SOURCES; src++) {
		int r;

		if (!(bits & (1u << src)))
			continue;
		r = take(vm, src, why, sizeof why);
		if (r < 0 && src != SNAP_CTL)
			fprintf(stderr, "kvmrun: snapshot (%s) to '%s' failed: %s\n", source_names[src], sn->path[src],
				why);
		if (r == 0 && sn->exit_after[src]) {
			end = true;
			cpu0->end = (struct run_end){ .kind = END_SNAPSHOT };
			snprintf(cpu0->end.why, sizeof cpu0->end.why, "%s", sn->path[src]);
		}
		if (src == SNAP_CTL) {
			pthread_mutex_lock(&vm->shared.lock);
			sn->ctl_result = r;
			snprintf(sn->ctl_why, sizeof sn->ctl_why, "%s", r < 0 ? why : "");
			sn->ctl_done = true;
			pthread_mutex_unlock(&vm->shared.lock);
		}
	}
	pthread_mutex_lock(&vm->shared.lock);
	__atomic_fetch_and(&sn->pending, ~bits, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->shared.cond);	/* the CPU that asked, and the control thread */
	pthread_mutex_unlock(&vm->shared.lock);
	return end;
}

int snap_ctl(struct vm *vm, int fd, const char *path, bool exit_after, char *why, size_t len)
{
	struct snapper *sn = vm->snap;
	int r;

	pthread_mutex_lock(&vm->shared.lock);
	sn->fd[SNAP_CTL] = fd;
	sn->path[SNAP_CTL] = path;
	sn->exit_after[SNAP_CTL] = exit_after;
	sn->ctl_done = false;
	pthread_mutex_unlock(&vm->shared.lock);
	snap_request(vm, SNAP_CTL);
	pthread_mutex_lock(&vm->shared.lock);
	while (!sn->ctl_done && !vm_stopping(vm))
		pthread_cond_wait(&vm->shared.cond, &vm->shared.lock);
	r = sn->ctl_done ? sn->ctl_result : -1;
	snprintf(why, len, "%s", !sn->ctl_done ? "the run is ending" : sn->ctl_why);
	pthread_mutex_unlock(&vm->shared.lock);
	return r;
}

void snap_report_stats(const struct vm *vm, FILE *f)
{
	const struct snapper *sn = vm->snap;

	if (!sn)
		return;
	if (sn->restored)
		fprintf(f, "kvmrun: stats: restored in %.6f s\n", sn->restore_ns / 1e9);
	if (sn->count)
		fprintf(f, "kvmrun: stats: %u snapshot%s written in %.6f s (last %.6f s)\n", sn->count,
			sn->count == 1 ? "" : "s", sn->total_ns / 1e9, sn->last_ns / 1e9);
}
