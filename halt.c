/*
 * Whether a vCPU that sleeps in HLT can ever run again. With the in-kernel
 * irqchip, HLT waits in the kernel for an interrupt; with interrupts disabled
 * only an NMI (or an INIT or SMI, which only another running CPU could send)
 * can end that wait. A guest halted so is finished, as one that halts without the
 * irqchip: the run ends with status 0 instead of waiting for --timeout.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define RFLAGS_IF (1ULL << 9)

/*
 * LAPIC entries (offsets into struct kvm_lapic_state) that KVM can fire while
 * the CPU sleeps: the performance counters' overflow, and LINT0, which KVM's
 * PIT drives as an NMI watchdog when LINT0 is set to NMI. Nothing in KVM
 * raises LINT1, thermal or error interrupts on a halted CPU.
 */
static const unsigned nmi_capable_lvts[] = {
	0x340,	/* performance counters */
	0x350,	/* LINT0 */
};
#define LVT_MASKED (1U << 16)
#define LVT_DELIVERY(v) (((v) >> 8) & 7)
#define DELIVERY_NMI 4

/* True when an unmasked LAPIC entry delivers NMIs: such a source may still wake the CPU. */
static bool lapic_may_send_nmi(int vcpu_fd)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return true;	/* cannot tell: keep waiting */
	for (unsigned i = 0; i < sizeof nmi_capable_lvts / sizeof nmi_capable_lvts[0]; i++) {
		uint32_t v;

		memcpy(&v, lapic.regs + nmi_capable_lvts[i], sizeof v);
		if (!(v & LVT_MASKED) && LVT_DELIVERY(v) == DELIVERY_NMI)
			return true;
	}
	return false;
}

bool vcpu_halted_for_good(int vcpu_fd)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &r) < 0 || (r.rflags & RFLAGS_IF))
		return false;
	if (ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	if (ev.nmi.pending || ev.nmi.injected || ev.exception.injected || ev.smi.pending)
		return false;
	return !lapic_may_send_nmi(vcpu_fd);
}

bool vcpu_asleep_for_good(int vcpu_fd)
{
	struct kvm_mp_state mp;

	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED || mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return true;	/* waits for INIT-SIPI, which only a running CPU sends */
	return vcpu_halted_for_good(vcpu_fd);
}
