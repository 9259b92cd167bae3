// SPDX-License-Identifier: LGPL-2.1-or-later
/* The vCPU run loop and the few emulated legacy ports an HVM guest touches. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hcall/guestmem.h"
#include "hcall/pv/hypercall.h"
#include "hcall/vmm/vcpu.h"
#include "hcall/vmm/vm.h"

#define COM1_BASE   0x3f8
#define I8042_DATA  0x60
#define I8042_CMD   0x64
#define I8042_RESET 0xfe
#define PORT_A      0x92	/* bit 0: fast reset */
#define RST_CNT     0xcf9	/* bit 2: reset */
#define CMOS_INDEX  0x70
#define CMOS_DATA   0x71
#define KICK_SIGNAL SIGUSR1	/* vm.c's kick: makes KVM_RUN return EINTR */
#define RFLAGS_IF   (1ull << 9)

static int stopping(struct hc_vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) != HC_STOP_NONE;
}

static void guest_reset(struct hc_vm *vm, const char *how)
{
	if (vm->panic.seen)
		hc_vm_stop(vm, HC_STOP_PANIC, "guest kernel panicked");
	else
		hc_vm_stop(vm, HC_STOP_RESET, "guest reset (%s)", how);
}

void hc_vm_pio(struct hc_vcpu *v, uint16_t port, int size, int write, uint8_t *data)
{
	struct hc_vm *vm = v->vm;

	__atomic_fetch_add(&vm->ports->count[port], 1, __ATOMIC_RELAXED);
	if (!write)
		memset(data, 0xff, (size_t)size);
	if (port >= COM1_BASE && port < COM1_BASE + 8) {
		if (write)
			hc_uart_write(&vm->uart, port - COM1_BASE, data[0]);
		else
			data[0] = hc_uart_read(&vm->uart, port - COM1_BASE);
	} else if (port == CMOS_INDEX || port == CMOS_DATA) {
		if (write)
			hc_cmos_write(&vm->cmos, port, data[0]);
		else
			data[0] = hc_cmos_read(&vm->cmos, port);
	} else if (port == I8042_CMD || port == I8042_DATA) {
		/* No keyboard: status reads "buffers empty", so reset commands go out. */
		if (!write)
			data[0] = 0;
		else if (port == I8042_CMD && data[0] == I8042_RESET)
			guest_reset(vm, "i8042");
	} else if (port == PORT_A && write && (data[0] & 1)) {
		guest_reset(vm, "port 0x92");
	} else if (port == RST_CNT && write && (data[0] & 4)) {
		guest_reset(vm, "port 0xcf9");
	}
	/* Anything else is an absent device: reads float high, writes vanish. */
}

/* A guest's inline out: arguments in rdi, rsi, rdx, r10, r8, result in rax. */
static void hypercall(struct hc_vcpu *v, uint64_t nr, int doorbell)
{
	struct kvm_regs local, *regs = &v->run->s.regs.regs;
	uint64_t args[5];

	if (!v->vm->sync_regs) {
		if (ioctl(v->fd, KVM_GET_REGS, &local) < 0)
			return;
		regs = &local;
	}
	args[0] = regs->rdi;
	args[1] = regs->rsi;
	args[2] = regs->rdx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	if (doorbell)	/* eax is the first argument of the table's doorbell call */
		regs->rax = (uint64_t)hc_hypercall(v->vm, v->id, HC_DOORBELL_HYPERCALL,
						   (uint64_t[5]){ nr });
	else
		regs->rax = (uint64_t)hc_hypercall(v->vm, v->id, nr, args);
	if (v->vm->sync_regs)
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	else
		ioctl(v->fd, KVM_SET_REGS, &local);
}

static void handle_io(struct hc_vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	uint32_t i, val;

	if (v->vm->pv.enabled && r->io.direction == KVM_EXIT_IO_OUT && r->io.size == 4 &&
	    r->io.count == 1 &&
	    (r->io.port == HC_HYPERCALL_PORT || r->io.port == HC_DOORBELL_PORT)) {
		__atomic_fetch_add(&v->vm->ports->count[r->io.port], 1, __ATOMIC_RELAXED);
		memcpy(&val, data, 4);
		hypercall(v, val, r->io.port == HC_DOORBELL_PORT);
		return;
	}

	for (i = 0; i < r->io.count; i++, data += r->io.size)
		hc_vm_pio(v, r->io.port, r->io.size, r->io.direction == KVM_EXIT_IO_OUT, data);
}

static void vcpu_error(struct hc_vcpu *v, const char *what, unsigned long long code)
{
	struct kvm_regs regs = { 0 };

	ioctl(v->fd, KVM_GET_REGS, &regs);
	hc_vm_stop(v->vm, HC_STOP_ERROR, "vCPU %d: %s %llu at rip 0x%llx", v->id, what,
		   code, (unsigned long long)regs.rip);
}

static void handle_exit(struct hc_vcpu *v)
{
	struct kvm_run *r = v->run;

	/* Read live by the control socket's stats: a whole add, relaxed (no fence on x86). */
	__atomic_fetch_add(&v->stats.exits[r->exit_reason < HC_EXIT_REASONS ? r->exit_reason : 0],
			   1, __ATOMIC_RELAXED);
	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		break;
	case KVM_EXIT_MMIO:
		/* No MMIO devices outside the in-kernel irqchip. */
		if (!r->mmio.is_write)
			memset(r->mmio.data, 0xff, sizeof(r->mmio.data));
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_SHUTDOWN:
		/*
		 * A triple fault. An HVM guest may reboot this way (reboot=t,
		 * as under QEMU); a PV guest restarts by hypercall, so for it
		 * this is a crash.
		 */
		if (v->vm->pv.enabled && !v->vm->panic.seen) {
			/*
			 * Where the other vCPUs were tells what the guest was
			 * doing; this one's state is gone on AMD (KVM resets
			 * the VMCB after a shutdown), not on Intel.
			 */
			__atomic_store_n(&v->vm->dump_on_stop, 1, __ATOMIC_RELEASE);
			hc_vm_stop(v->vm, HC_STOP_PANIC, "guest crashed: triple fault on vCPU %d",
				   v->id);
		} else if (v->vm->panic.seen) {
			guest_reset(v->vm, "triple fault");	/* the panic, then */
		} else {
			hc_vm_stop(v->vm, HC_STOP_TRIPLE_RESET, "guest reset (triple fault)");
		}
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			hc_vm_stop(v->vm, HC_STOP_POWEROFF, "guest powered off");
		else if (r->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			hc_vm_stop(v->vm, HC_STOP_PANIC, "guest crashed");
		else
			guest_reset(v->vm, "system event");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_error(v, "KVM internal error, suberror", r->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_error(v, "VM entry failed, reason",
			   r->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		vcpu_error(v, "unhandled exit reason", r->exit_reason);
		break;
	}
}

/*
 * Where a vCPU was when the guest had to be stopped from outside (timeout,
 * or a triple fault of another vCPU):
 * registers, a pending exception and the code bytes at rip, so a hung guest
 * can be located with addr2line or objdump on vmlinux.
 */
static void dump_state(struct hc_vcpu *v)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kvm_vcpu_events ev = { 0 };
	struct kvm_translation tr = { 0 };
	char code[3 * 16 + 1] = "", exc[32] = "none";
	const uint8_t *p;
	int i;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0 &&
	    (ev.exception.injected || ev.exception.pending))
		snprintf(exc, sizeof(exc), "%u error %x", ev.exception.nr, ev.exception.error_code);
	tr.linear_address = regs.rip;
	if (ioctl(v->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid &&
	    (tr.physical_address & 4095) <= 4096 - 16) {
		p = hc_gpa(v->vm->ram, v->vm->mem, tr.physical_address, 16);
		for (i = 0; p && i < 16; i++)
			snprintf(code + 3 * i, 4, "%02x ", p[i]);
	}
	fprintf(stderr, "hcall-run: vCPU %d: rip %llx rsp %llx rflags %llx cr2 %llx cr3 %llx "
		"cr4 %llx exception %s; code: %s\n", v->id,
		(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
		(unsigned long long)regs.rflags, (unsigned long long)sregs.cr2,
		(unsigned long long)sregs.cr3, (unsigned long long)sregs.cr4, exc,
		code[0] ? code : "(unmapped)");
}

/*
 * Can this vCPU ever run again by itself? Not when it is halted with
 * interrupts off and no NMI pending (only an NMI, INIT or SMI from outside
 * wakes it: "cli; hlt"), nor when it is an AP still waiting for INIT/SIPI.
 * Read on the vCPU's own thread, between two KVM_RUNs: its registers are
 * only consistent there. With an in-kernel irqchip KVM keeps HLT to itself,
 * so this is how hcall-run sees a guest that halted for good.
 */
static void probe_self(struct hc_vcpu *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_vcpu_events ev;
	int stuck = 0;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0) {
		if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
		    mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
			stuck = 1;
		else if (mp.mp_state == KVM_MP_STATE_HALTED &&
			 ioctl(v->fd, KVM_GET_REGS, &regs) == 0 && !(regs.rflags & RFLAGS_IF) &&
			 ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0 &&
			 !ev.nmi.pending && !ev.nmi.injected)
			stuck = 1;
	}
	__atomic_store_n(&v->stuck, stuck, __ATOMIC_RELAXED);
	__atomic_fetch_add(&v->probes, 1, __ATOMIC_RELEASE);
}

void hc_vcpu_probe(struct hc_vcpu *v)
{
	if (v->thread)
		pthread_kill(v->thread, KICK_SIGNAL);
}

void *hc_vcpu_thread(void *arg)
{
	struct hc_vcpu *v = arg;

	while (!stopping(v->vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {	/* a kick: a stop, or the halt probe */
				if (!stopping(v->vm))
					probe_self(v);
				continue;
			}
			if (errno == EAGAIN)
				continue;
			vcpu_error(v, "KVM_RUN failed, errno", (unsigned long long)errno);
			break;
		}
		handle_exit(v);
	}
	if (__atomic_load_n(&v->vm->stop_reason, __ATOMIC_ACQUIRE) == HC_STOP_TIMEOUT ||
	    __atomic_load_n(&v->vm->dump_on_stop, __ATOMIC_ACQUIRE))
		dump_state(v);
	return NULL;
}
