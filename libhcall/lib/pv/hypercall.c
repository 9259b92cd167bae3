// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hypercall dispatch. Every argument comes from the guest and is hostile:
 * numbers, addresses, alignment and ports are checked before use, and a bad
 * one gets a negative errno back, never a crash or an out-of-bounds access.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "hcall/guestmem.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/console.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/hypercall.h"
#include "hcall/pv/pv.h"
#include "hcall/pv/softreset.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

#define PAGE 4096ull
#define MSR_IA32_TSC 0x10

static void *guest_page(struct hc_vm *vm, uint64_t gpa, int64_t *err)
{
	void *p;

	if (gpa & (PAGE - 1)) {
		*err = -HCALL_EINVAL;
		return NULL;
	}
	p = hc_gpa(vm->ram, vm->mem, gpa, PAGE);
	if (!p)
		*err = -HCALL_EFAULT;
	return p;
}

static int64_t start_info(struct hc_vm *vm, uint64_t gpa)
{
	struct hcall_start_info si = {
		.magic = HCALL_START_MAGIC,
		.abi_version = HCALL_ABI_VERSION,
		.nr_vcpus = (uint32_t)vm->ncpus,
		.features = hc_pv_features(vm),	/* the word CPUID shows */
		.nr_pages = vm->mem / PAGE,
		.tsc_khz = vm->pv.tsc_khz,
	};
	int64_t err = 0;
	void *p = guest_page(vm, gpa, &err);

	if (p && hc_balloon_range_released(vm, p, PAGE))
		return -HCALL_EBUSY;	/* given to the host: not ours to write */
	if (p) {
		memcpy(p, &si, sizeof(si));
		vm->pv.start_info_gpa = gpa;
	}
	return err;
}

/* Guest TSC now, read on the calling vCPU. */
static uint64_t guest_tsc(struct hc_vm *vm, int vcpu)
{
	union {	/* room for one entry after the header, in standard C */
		struct kvm_msrs h;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.h.entries[0].index = MSR_IA32_TSC;
	if (ioctl(vm->vcpu[vcpu].fd, KVM_GET_MSRS, &m) != 1)
		return 0;
	return m.h.entries[0].data;
}

/*
 * Guest time is the pvclock of the guest TSC since it was zero (at vCPU
 * creation): written once and never updated. Its flags never say
 * PVCLOCK_TSC_STABLE_BIT: KVM may lose its master clock (and the vCPUs'
 * TSCs their step) at any time after this, and a bit written once could
 * not follow. hcall-clock has no vDSO mode, so the bit would only have
 * saved the guest the cmpxchg that keeps its readings monotonic.
 */
static int64_t shared_info(struct hc_vm *vm, int vcpu, uint64_t gpa)
{
	struct hcall_shared_info *s;
	uint32_t mul;
	int8_t shift;
	uint64_t tsc, ns, now_ns;
	struct timespec now;
	int64_t err = 0;
	int i;

	if (vm->pv.shared)
		return -HCALL_EBUSY;
	s = guest_page(vm, gpa, &err);
	if (!s)
		return err;
	if (hc_balloon_range_released(vm, s, PAGE))
		return -HCALL_EBUSY;
	memset(s, 0, sizeof(*s));
	hc_pvclock_scale(vm->pv.tsc_khz, &mul, &shift);
	for (i = 0; i < HCALL_MAX_VCPUS; i++) {
		struct hcall_vcpu_time_info *t = &s->vcpu_info[i].time;

		t->version = 2;
		t->tsc_to_system_mul = mul;
		t->tsc_shift = shift;
		t->flags = 0;	/* never PVCLOCK_TSC_STABLE_BIT: see above */
	}
	tsc = guest_tsc(vm, vcpu);
	ns = shift < 0 ? tsc >> -shift : tsc << shift;
	ns = (uint64_t)(((unsigned __int128)ns * mul) >> 32);
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec - ns;
	s->wc.sec = (uint32_t)(now_ns / 1000000000ull);
	s->wc.sec_hi = (uint32_t)((now_ns / 1000000000ull) >> 32);
	s->wc.nsec = (uint32_t)(now_ns % 1000000000ull);
	s->wc.version = 2;
	vm->pv.shared_gpa = gpa;
	__atomic_store_n(&vm->pv.shared, s, __ATOMIC_RELEASE);
	return 0;
}

static int64_t console_setup(struct hc_vm *vm, uint64_t gpa)
{
	int64_t err = 0;
	void *ring;
	int port;

	if (vm->pv.cons || vm->pv.cons_thread_started)
		return -HCALL_EBUSY;
	ring = guest_page(vm, gpa, &err);
	if (!ring)
		return err;
	if (hc_balloon_range_released(vm, ring, PAGE))
		return -HCALL_EBUSY;
	port = hc_evtchn_bind(vm, HC_PORT_CONSOLE);
	if (port < 0)
		return port;
	vm->pv.cons_port = (uint32_t)port;
	vm->pv.cons_out_cons = ((struct hcall_console_ring *)ring)->out_cons;
	vm->pv.cons_in_prod = ((struct hcall_console_ring *)ring)->in_prod;
	vm->pv.cons_broken = 0;
	vm->pv.cons_gpa = gpa;
	err = hc_console_start(vm);
	if (err) {
		hc_evtchn_release(vm, (uint32_t)port);
		return err;
	}
	__atomic_store_n(&vm->pv.cons, ring, __ATOMIC_RELEASE);
	return port;
}

static int64_t gnttab_setup(struct hc_vm *vm, uint64_t gpa, uint64_t frames)
{
	const void *p;

	if (vm->pv.gnttab_frames)
		return -HCALL_EBUSY;
	if (!frames || frames > HCALL_GNTTAB_MAX_FRAMES || (gpa & (PAGE - 1)))
		return -HCALL_EINVAL;
	p = hc_gpa(vm->ram, vm->mem, gpa, frames * PAGE);
	if (!p)
		return -HCALL_EFAULT;
	if (hc_balloon_range_released(vm, p, frames * PAGE))
		return -HCALL_EBUSY;
	vm->pv.gnttab_gpa = gpa;
	vm->pv.gnttab_frames = (uint32_t)frames;
	return 0;
}

static int64_t shutdown(struct hc_vm *vm, uint64_t reason)
{
	switch (reason) {
	case HCALL_SHUTDOWN_POWEROFF:
		hc_vm_stop(vm, HC_STOP_POWEROFF, "guest powered off");
		return 0;
	case HCALL_SHUTDOWN_REBOOT:
		hc_vm_stop(vm, HC_STOP_RESET, "guest rebooted");
		return 0;
	case HCALL_SHUTDOWN_CRASH:
		hc_vm_stop(vm, HC_STOP_PANIC, "guest kernel panicked (reported by hypercall)");
		return 0;
	}
	return -HCALL_EINVAL;	/* HCALL_SHUTDOWN_SOFT_RESET: hc_call_shutdown() */
}

/* The handlers of HC_HYPERCALLS: each call's arguments from a[]. */
static int64_t hc_call_null(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vm, (void)vcpu, (void)a;
	return 0;
}

static int64_t hc_call_start_info(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return start_info(vm, a[0]);
}

static int64_t hc_call_shared_info(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	return shared_info(vm, vcpu, a[0]);
}

static int64_t hc_call_console_setup(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return console_setup(vm, a[0]);
}

static int64_t hc_call_evtchn_send(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return hc_evtchn_send_slow(vm, a[0]);
}

static int64_t hc_call_evtchn_close(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return hc_evtchn_close(vm, a[0]);
}

/*
 * HCALL_SHUTDOWN_SOFT_RESET runs without pv.lock (hc_pv_soft_reset() takes
 * it); power off, reboot and crash take it, and work while another vCPU
 * resets the platform: they only stop the VM.
 */
static int64_t hc_call_shutdown(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	int64_t ret;

	(void)vcpu;
	if (a[0] == HCALL_SHUTDOWN_SOFT_RESET)
		return hc_pv_soft_reset(vm);
	pthread_mutex_lock(&vm->pv.lock);
	ret = shutdown(vm, a[0]);
	pthread_mutex_unlock(&vm->pv.lock);
	return ret;
}

static int64_t hc_call_gnttab_setup(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return gnttab_setup(vm, a[0], a[1]);
}

static int64_t hc_call_evtchn_alloc(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return hc_evtchn_alloc(vm, a[0]);
}

static int64_t hc_call_evtchn_bind_vcpu(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return hc_evtchn_bind_vcpu(vm, a[0], a[1]);
}

static int64_t hc_call_store(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return hc_store_call(vm, a);
}

#define HC_X_ROW_(n, nm, x, f, feat, lk)                                                        \
	[n] = { .nr = (n), .name = (nm), .xport = (x), .fn = (f), .feature = (feat), .lock = (lk) },
/* A number given twice is an initializer override: an error with -Wextra -Werror. */
const struct hc_hypercall hc_hypercalls[HCALL_NR_HYPERCALLS] = { HC_HYPERCALLS(HC_X_ROW_) };

const char *hc_hypercall_name(uint64_t nr)
{
	return nr < HCALL_NR_HYPERCALLS ? hc_hypercalls[nr].name : "invalid";
}

int64_t hc_hypercall(struct hc_vm *vm, int vcpu, uint64_t nr, const uint64_t a[5])
{
	const struct hc_hypercall *h;
	int64_t ret;

	if (nr >= HCALL_NR_HYPERCALLS) {
		__atomic_fetch_add(&vm->pv.calls[HCALL_NR_HYPERCALLS], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&vm->pv.errors, 1, __ATOMIC_RELAXED);
		return -HCALL_ENOSYS;
	}
	__atomic_fetch_add(&vm->pv.calls[nr], 1, __ATOMIC_RELAXED);
	h = &hc_hypercalls[nr];
	if (h->lock == HC_UNLOCKED) {
		ret = h->fn(vm, vcpu, a);
	} else {
		pthread_mutex_lock(&vm->pv.lock);
		/* Another vCPU is resetting the platform under our feet. */
		ret = vm->pv.resetting ? -HCALL_EAGAIN : h->fn(vm, vcpu, a);
		pthread_mutex_unlock(&vm->pv.lock);
	}
	if (ret < 0)
		__atomic_fetch_add(&vm->pv.errors, 1, __ATOMIC_RELAXED);
	return ret;
}
