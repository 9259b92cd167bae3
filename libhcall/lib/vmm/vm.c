// SPDX-License-Identifier: LGPL-2.1-or-later
/* KVM VM setup: memory from a memfd, in-kernel irqchip and PIT, vCPUs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif
#include <unistd.h>

#include "hcall/backend/backend.h"
#include "hcall/boot/boot.h"
#include "hcall/common/err.h"
#include "hcall/guestmem.h"
#include "hcall/pv/console.h"
#include "hcall/vmm/vcpu.h"
#include "hcall/vmm/vm.h"

#define KVM_TSS_ADDR      0xfffbd000ul
#define KVM_IDMAP_ADDR    0xfffbc000ul
#define ISA_IRQ_COM1      4
#define CPUID_HYPERVISOR  (1u << 31)
#define KICK_SIGNAL       SIGUSR1

static void uart_irq(void *opaque, int level)
{
	struct hc_vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = ISA_IRQ_COM1, .level = (uint32_t)level };

	ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

static const char panic_start[] = "Kernel panic - not syncing";
static const char panic_end[] = "---[ end Kernel panic";

static void match(unsigned int *state, const char *pat, char c)
{
	if (c == pat[*state])
		(*state)++;
	else
		*state = (c == pat[0]);
}

/* Console bytes go out unbuffered; the panic banner marks a crashed guest. */
static void uart_tx(void *opaque, uint8_t byte)
{
	struct hc_vm *vm = opaque;
	struct hc_panic_watch *w = &vm->panic;

	hc_console_write(vm, &byte, 1);	/* a stalled reader never blocks a vCPU for good */
	vm->console_midline = byte != '\n';
	match(&w->start_match, panic_start, (char)byte);
	if (w->start_match == sizeof(panic_start) - 1) {
		w->seen = 1;
		w->start_match = 0;
	}
	match(&w->end_match, panic_end, (char)byte);
	if (w->end_match == sizeof(panic_end) - 1 && w->seen)
		hc_vm_stop(vm, HC_STOP_PANIC, "guest kernel panicked");
}

static int setup_memory(struct hc_vm *vm, uint64_t mem, uint64_t ram_hva, char *err,
			size_t errlen)
{
	struct kvm_userspace_memory_region r = { 0 };
	uint64_t low = hc_low_mem(mem);

	/*
	 * Sealed at its size: a driver domain maps it and must never fault.
	 * Past RAM, in no KVM slot, the balloon's released-frame bitmap and
	 * the driver domain's map counts
	 * (hcall/pv/balloon.h), which the driver domain maps with it.
	 */
	vm->mem_fd = memfd_create("hcall-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (vm->mem_fd < 0 ||
	    ftruncate(vm->mem_fd, (off_t)(mem + hc_host_meta_bytes(mem))) < 0 ||
	    fcntl(vm->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		return hc_err(err, errlen, "guest RAM memfd: %s", strerror(errno));
	/* At a fixed address only when asked: it gives up guest RAM's ASLR. */
	vm->ram = mmap((void *)(uintptr_t)ram_hva, mem, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE | (ram_hva ? MAP_FIXED_NOREPLACE : 0),
		       vm->mem_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return hc_err(err, errlen, "mmap guest RAM%s: %s",
			      ram_hva ? " at --ram-hva" : "", strerror(errno));
	}
	vm->mem = mem;
	/* Kernels before 4.17 take MAP_FIXED_NOREPLACE as a hint. */
	if (ram_hva && (uintptr_t)vm->ram != ram_hva)
		return hc_err(err, errlen, "mmap guest RAM at --ram-hva: placed elsewhere");
	vm->pv.released = mmap(NULL, hc_host_meta_bytes(mem), PROT_READ | PROT_WRITE,
			       MAP_SHARED, vm->mem_fd, (off_t)mem);
	if (vm->pv.released == MAP_FAILED) {
		vm->pv.released = NULL;
		return hc_err(err, errlen, "mmap the balloon bitmap: %s", strerror(errno));
	}
	/* Backed by the shim now: hcall-dd's reads must not fault its pages in, on its cgroup. */
	for (uint64_t o = 0; o < hc_host_meta_bytes(mem); o += 4096)
		__atomic_store_n(&vm->pv.released[o / 8], 0, __ATOMIC_RELAXED);
	/* The counts are hcall-dd's to write: read-only here. */
	vm->pv.mapcount = (const uint32_t *)(vm->pv.released + hc_released_map_bytes(mem) / 8);
	if (mprotect((void *)(uintptr_t)vm->pv.mapcount, hc_mapcount_bytes(mem), PROT_READ))
		return hc_err(err, errlen, "mprotect the map counts: %s", strerror(errno));
	/* Every port's upcall goes to vCPU 0 until the guest moves it. */
	vm->pv.targets = (uint8_t *)vm->pv.released + (hc_evtchn_targets_offset(mem) - mem);
	madvise(vm->ram, mem, MADV_HUGEPAGE);
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = low;
	r.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return hc_err(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (mem > low) {
		r.slot = 1;
		r.guest_phys_addr = HC_4G;
		r.memory_size = mem - low;
		r.userspace_addr = (uintptr_t)vm->ram + low;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return hc_err(err, errlen, "KVM_SET_USER_MEMORY_REGION (high): %s", strerror(errno));
	}
	return 0;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	int n = 128;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = (uint32_t)n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return NULL;
		n *= 2;
	}
}

#define CPUID_TSC_DEADLINE (1u << 24)

/* Each vCPU sees its own APIC id and the hypervisor bit. */
static int set_cpuid(struct hc_vcpu *v, const struct kvm_cpuid2 *base)
{
	/* Room for the PV leaves. */
	size_t sz = sizeof(*base) + (base->nent + HC_PV_CPUID_LEAVES) * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int deadline = ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	uint32_t i;
	int ret;

	if (!c)
		return -1;
	memcpy(c, base, sizeof(*base) + base->nent * sizeof(base->entries[0]));
	hc_cpuid_kvm_leaves(c, &v->vm->mode);
	if (v->vm->pv.enabled)
		hc_pv_cpuid(v->vm, c);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | (uint32_t)v->id << 24;
			e->ecx |= CPUID_HYPERVISOR;
			/* KVM emulates the TSC deadline timer but leaves the bit to us. */
			if (deadline)
				e->ecx |= CPUID_TSC_DEADLINE;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = (uint32_t)v->id;
		}
	}
	ret = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	/* KVM refuses the paravirt MSRs and hypercalls the leaves do not show. */
	if (!ret && ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args[0] = 1 };

		ret = ioctl(v->fd, KVM_ENABLE_CAP, &cap);
	} else if (!ret && v->id == 0 && v->vm->mode.kvm_pv && v->vm->mode.pv_off) {
		/* One note a VM: --pv-off then hides features, KVM still serves them. */
		fprintf(stderr, "hcall-run: note: KVM lacks KVM_CAP_ENFORCE_PV_FEATURE_CPUID: "
			"--pv-off hides features from CPUID but KVM does not refuse them\n");
	}
	return ret;
}

_Static_assert(HC_MAX_VCPUS <= HCALL_MAX_VCPUS, "an upcall irqfd for every vCPU");

int hc_vm_init_state(struct hc_vm *vm, char *err, size_t errlen)
{
	int i;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = vm->stop_efd = -1;
	vm->console_fd = STDOUT_FILENO;
	for (i = 0; i < HC_MAX_VCPUS; i++)
		vm->vcpu[i].fd = -1;
	for (i = 0; i < HCALL_MAX_VCPUS; i++)
		vm->pv.upcall_fd[i] = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->pv.lock, NULL);
	pthread_mutex_init(&vm->pv.evtchn_lock, NULL);
	vm->pv.cons_stop = -1;
	for (i = 0; i < HC_SHIM_PORTS; i++)
		vm->pv.ports[i].kick_fd = -1;
	hc_uart_init(&vm->uart, uart_tx, uart_irq, vm);
	hc_cmos_init(&vm->cmos);
	vm->ports = calloc(1, sizeof(*vm->ports));
	vm->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (!vm->ports || vm->stop_efd < 0)
		return hc_err(err, errlen, "allocating VM state: %s", strerror(errno));
	return 0;
}

int hc_vm_create(struct hc_vm *vm, uint64_t mem, uint64_t ram_hva, int ncpus,
		 const struct hc_cpu_mode *mode, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { 0 };
	struct kvm_cpuid2 *cpuid;
	int i;

	if (hc_vm_init_state(vm, err, errlen))
		return -1;
	vm->mode = *mode;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return hc_err(err, errlen, "/dev/kvm: %s", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: unsupported KVM API version");
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return hc_err(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	/* Intel needs these; AMD accepts and ignores them. */
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	{
		uint64_t idmap = KVM_IDMAP_ADDR;

		ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return hc_err(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return hc_err(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
	if (setup_memory(vm, mem, ram_hva, err, errlen))
		return -1;
	if (mode->hcall && hc_pv_init(vm, ncpus, err, errlen))
		return -1;
	vm->sync_regs = (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) &
			 KVM_SYNC_X86_REGS) != 0;

	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return hc_err(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	cpuid = supported_cpuid(vm->kvm_fd);
	if (!cpuid)
		return hc_err(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (i = 0; i < ncpus; i++) {
		struct hc_vcpu *v = &vm->vcpu[i];

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			goto fail_cpuid;
		v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			goto fail_cpuid;
		}
		vm->ncpus = i + 1;
		if (vm->sync_regs)
			v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	}
	/* The guest's TSC rate, for the PV CPUID leaf and the pvclock. */
	i = ioctl(vm->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);
	vm->pv.tsc_khz = i > 0 ? (uint32_t)i : 0;
	for (i = 0; i < ncpus; i++)
		if (set_cpuid(&vm->vcpu[i], cpuid) < 0)
			goto fail_cpuid;
	free(cpuid);
	return 0;
fail_cpuid:
	free(cpuid);
	return hc_err(err, errlen, "creating vCPU: %s", strerror(errno));
}

int hc_vm_setup_bsp(struct hc_vm *vm, uint64_t entry, uint64_t zero_page,
		    char *err, size_t errlen)
{
	struct hc_vcpu *v = &vm->vcpu[0];
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = HC_BOOT_CS, .type = 11,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return hc_err(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
	data.selector = HC_BOOT_DS;
	data.type = 3;
	data.l = 0;
	data.db = 1;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = HC_GDT_ADDR;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr3 = HC_PML4_ADDR;
	sregs.cr4 = 0x20;			/* PAE */
	sregs.cr0 = 0x80050033;			/* PG WP AM NE ET MP PE */
	sregs.efer = 0x500;			/* LME | LMA */
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return hc_err(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
	regs.rflags = 2;
	regs.rip = entry;
	regs.rsi = zero_page;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return hc_err(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int hc_vm_start(struct hc_vm *vm, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	int i;

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
	for (i = 0; i < vm->ncpus; i++) {
		errno = pthread_create(&vm->vcpu[i].thread, NULL, hc_vcpu_thread, &vm->vcpu[i]);
		if (errno) {
			hc_vm_stop(vm, HC_STOP_ERROR, "cannot start vCPU thread");
			for (vm->ncpus = i; i < HC_MAX_VCPUS; i++)
				vm->vcpu[i].thread = 0;
			return hc_err(err, errlen, "pthread_create: %s", strerror(errno));
		}
	}
	return 0;
}

void hc_vm_stop(struct hc_vm *vm, enum hc_stop why, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;
	int i;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == HC_STOP_NONE) {
		__atomic_store_n(&vm->stop_reason, why, __ATOMIC_RELEASE);
		va_start(ap, fmt);
		vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
		va_end(ap);
		/* Any later KVM_RUN returns at once instead of entering the guest. */
		for (i = 0; i < vm->ncpus; i++)
			if (vm->vcpu[i].run)
				__atomic_store_n(&vm->vcpu[i].run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* Counter overflow only: the fd is already readable. */
	}
}

void hc_vm_join(struct hc_vm *vm)
{
	int i;

	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpu[i].thread)
			pthread_kill(vm->vcpu[i].thread, KICK_SIGNAL);
	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpu[i].thread) {
			pthread_join(vm->vcpu[i].thread, NULL);
			vm->vcpu[i].thread = 0;
		}
}

int hc_vm_populate(struct hc_vm *vm, uint64_t first, uint64_t n)
{
	uint8_t *p = vm->ram + first * 4096;

	if (!madvise(p, n * 4096, MADV_POPULATE_WRITE))
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Before Linux 5.14: a write a page, atomic so no guest write is lost. */
	for (uint64_t i = 0; i < n; i++)
		__atomic_fetch_add(p + i * 4096, 0, __ATOMIC_RELAXED);
	return 0;
}

void hc_vm_destroy(struct hc_vm *vm)
{
	int i;

	hc_pv_destroy(vm);	/* before guest RAM goes away */
	hc_backends_free(vm);
	for (i = 0; i < HC_MAX_VCPUS; i++) {
		if (vm->vcpu[i].run)
			munmap(vm->vcpu[i].run, (size_t)vm->run_size);
		if (vm->vcpu[i].fd >= 0)
			close(vm->vcpu[i].fd);
	}
	if (vm->ram)
		munmap(vm->ram, vm->mem);
	if (vm->pv.released)
		munmap(vm->pv.released, hc_host_meta_bytes(vm->mem));
	vm->pv.released = NULL;
	vm->pv.mapcount = NULL;
	vm->pv.targets = NULL;
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->console_fd_owned)
		close(vm->console_fd);
	vm->console_fd_owned = 0;
	free(vm->ports);
	vm->ports = NULL;
}
