// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's PV side without KVM: the hypercall table and its dispatch,
 * hostile arguments, guest-address checks, the CPUID leaves, event-channel
 * delivery and lifecycles, soft reset, the console ring backend with
 * corrupted indices and a stalled reader, and RAM above 4 GiB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hcall/guestmem.h"
#include "hcall/pv/console.h"
#include "hcall/pv/hypercall.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/report.h"
#include "hcall/vmm/vm.h"

#define MiB (1ull << 20)
#define RAM (64 * MiB)

struct fixture {
	struct hc_vm vm;
	int out[2];	/* console output pipe */
	uint8_t targets[HCALL_NR_EVTCHN];	/* the memfd's page, in a VM without one */
};

/* A KVM-free guest of @size bytes (untouched pages cost nothing). */
static int setup_sized(void **state, uint64_t size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hc_vm *vm = &f->vm;
	char err[256];

	assert_int_equal(hc_vm_init_state(vm, err, sizeof(err)), 0);
	vm->ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(vm->ram != MAP_FAILED);
	vm->mem = size;
	vm->ncpus = 1;
	vm->pv.upcall_fd[0] = eventfd(0, EFD_NONBLOCK);
	vm->pv.targets = f->targets;
	vm->pv.enabled = 1;
	vm->pv.tsc_khz = 2500000;
	assert_int_equal(pipe(f->out), 0);
	vm->console_fd = f->out[1];
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_sized(state, RAM);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hc_vm_stop(&f->vm, HC_STOP_POWEROFF, "test over");
	hc_pv_destroy(&f->vm);
	close(f->vm.stop_efd);
	close(f->out[0]);
	close(f->out[1]);
	free(f->vm.ports);
	munmap(f->vm.ram, f->vm.mem);
	free(f);
	return 0;
}

static int64_t call(struct hc_vm *vm, uint64_t nr, uint64_t a0)
{
	const uint64_t args[5] = { a0, ~0ull, ~0ull, ~0ull, ~0ull };

	return hc_hypercall(vm, 0, nr, args);
}

static int64_t call2(struct hc_vm *vm, uint64_t nr, uint64_t a0, uint64_t a1)
{
	const uint64_t args[5] = { a0, a1, ~0ull, ~0ull, ~0ull };

	return hc_hypercall(vm, 0, nr, args);
}

static void guest_addresses_are_bounds_checked(void **state)
{
	struct fixture *f = *state;
	uint8_t *ram = f->vm.ram;

	(void)state;
	assert_ptr_equal(hc_gpa(ram, RAM, 0, RAM), ram);
	assert_null(hc_gpa(ram, RAM, 1, RAM));
	assert_null(hc_gpa(ram, RAM, RAM, 1));
	assert_null(hc_gpa(ram, RAM, RAM - 4096, 4097));
	assert_null(hc_gpa(ram, RAM, ~0ull - 10, 4096));	/* wraps around */
	assert_null(hc_gpa(ram, RAM, 4096, 0));
	/* Above 3 GiB RAM continues at 4 GiB; the hole is not RAM. */
	assert_non_null(hc_gpa(ram, 5ull << 30, HC_4G, 4096));
	assert_null(hc_gpa(ram, 5ull << 30, 0xc0000000ull, 4096));
	assert_null(hc_gpa(ram, 5ull << 30, HC_4G + (2ull << 30), 1));
}

static void hostile_hypercalls_get_errors(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;

	assert_int_equal(call(vm, HCALL_null, 0), 0);
	assert_int_equal(call(vm, HCALL_NR_HYPERCALLS, 0), -HCALL_ENOSYS);
	assert_int_equal(call(vm, ~0ull, 0), -HCALL_ENOSYS);
	assert_int_equal(call(vm, 1ull << 32, 0), -HCALL_ENOSYS);
	/* Pointers: unaligned, outside RAM, wrapping. */
	assert_int_equal(call(vm, HCALL_start_info, 0x1001), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_start_info, RAM), -HCALL_EFAULT);
	assert_int_equal(call(vm, HCALL_start_info, ~0ull & ~0xfffull), -HCALL_EFAULT);
	assert_int_equal(call(vm, HCALL_shared_info, RAM + 4096), -HCALL_EFAULT);
	assert_int_equal(call(vm, HCALL_console_setup, 0x10), -HCALL_EINVAL);
	/* Ports that are not bound, out of range or zero. */
	assert_int_equal(call(vm, HCALL_evtchn_send, 0), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_evtchn_send, 63), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_evtchn_send, ~0ull), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_evtchn_close, 5), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_evtchn_close, (1ull << 32) + 1), -HCALL_EINVAL);
	{
		const uint64_t g[5] = { 0x100000, 0 };
		const uint64_t big[5] = { 0x100000, HCALL_GNTTAB_MAX_FRAMES + 1 };
		const uint64_t out[5] = { RAM - 4096, 2 };
		const uint64_t odd[5] = { 0x100800, 1 };

		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, g), -HCALL_EINVAL);
		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, big), -HCALL_EINVAL);
		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, out), -HCALL_EFAULT);
		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, odd), -HCALL_EINVAL);
		assert_int_equal(vm->pv.gnttab_frames, 0);
	}
	assert_int_equal(call(vm, HCALL_shutdown, 4), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_shutdown, ~0ull), -HCALL_EINVAL);
	assert_int_equal(vm->stop_reason, HC_STOP_NONE);	/* still running */
	assert_true(vm->pv.errors >= 19);
}

static void start_and_shared_info(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_start_info *si = (void *)(vm->ram + 0x5000);
	struct hcall_shared_info *sh = (void *)(vm->ram + 0x6000);

	assert_int_equal(call(vm, HCALL_start_info, 0x5000), 0);
	assert_int_equal(si->magic, HCALL_START_MAGIC);
	assert_int_equal(si->nr_pages, RAM / 4096);
	assert_int_equal(si->tsc_khz, 2500000);
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	assert_int_equal(sh->vcpu_info[0].time.version % 2, 0);
	assert_int_not_equal(sh->vcpu_info[0].time.tsc_to_system_mul, 0);
	/* Never PVCLOCK_TSC_STABLE_BIT: KVM may lose its master clock later. */
	assert_int_equal(sh->vcpu_info[0].time.flags, 0);
	assert_int_equal(sh->vcpu_info[HCALL_MAX_VCPUS - 1].time.flags, 0);
	assert_true(sh->wc.sec > 1700000000u);
	/* Registering twice is refused. */
	assert_int_equal(call(vm, HCALL_shared_info, 0x7000), -HCALL_EBUSY);
	{
		const uint64_t g[5] = { 0x100000, 4 };

		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, g), 0);
		assert_int_equal(vm->pv.gnttab_frames, 4);
		assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, g), -HCALL_EBUSY);
	}
}

static void pvclock_scale_is_accurate(void **state)
{
	static const uint32_t khz[] = { 1000, 999999, 1000000, 2599985, 3000000, 4200000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(khz) / sizeof(khz[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t ticks = (uint64_t)khz[i] * 1000, ns;	/* one second */

		hc_pvclock_scale(khz[i], &mul, &shift);
		ticks = shift < 0 ? ticks >> -shift : ticks << shift;
		ns = (uint64_t)(((unsigned __int128)ticks * mul) >> 32);
		assert_true(ns > 999999000ull && ns <= 1000000000ull);
	}
}

/* The leaves a guest sees, after hc_pv_cpuid() rewrote KVM's list. */
static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static void cpuid_leaves_show_the_transport(void **state)
{
	struct fixture *f = *state;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[3 + HC_PV_CPUID_LEAVES];
	} k = { .c.nent = 3 };
	const struct kvm_cpuid_entry2 *e;

	f->vm.ncpus = 3;
	k.e[0] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x806f8 };
	k.e[1] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .ebx = 0x4b4d564b };
	k.e[2] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0xffffffff };
	hc_pv_cpuid(&f->vm, &k.c);
	assert_int_equal(k.c.nent, 3 + HC_PV_CPUID_LEAVES);
	assert_int_equal(leaf(&k.c, 1)->eax, 0x806f8);		/* others stay */
	assert_int_equal(HCALL_CPUID_BASE, 0x40000100);		/* beside KVM's, as Xen's */
	assert_int_equal(leaf(&k.c, 0x40000000)->ebx, 0x4b4d564b);	/* KVM's stay */
	assert_int_equal(leaf(&k.c, 0x40000001)->eax, 0xffffffff);
	e = leaf(&k.c, HCALL_CPUID_BASE);
	assert_int_equal(e->eax, HCALL_CPUID_MAX);
	assert_int_equal(e->ebx, HCALL_CPUID_SIG_EBX);
	assert_int_equal(e->ecx, HCALL_CPUID_SIG_ECX);
	assert_int_equal(e->edx, HCALL_CPUID_SIG_EDX);
	e = leaf(&k.c, HCALL_CPUID_FEATURES);
	assert_int_equal(e->eax, HCALL_ABI_VERSION);
	assert_int_equal(e->eax, 2);
	assert_int_equal(e->ecx, 3);
	e = leaf(&k.c, HCALL_CPUID_TRANSPORT);
	assert_non_null(e);
	assert_int_equal(e->eax, HCALL_XPORT_PIO);
	assert_int_equal(e->ebx, HCALL_PORT_HYPERCALL);
	assert_int_equal(e->ecx, HCALL_PORT_DOORBELL);
	assert_int_equal(HC_HYPERCALL_PORT, HCALL_PORT_HYPERCALL);	/* what vcpu.c catches */
	assert_int_equal(HC_DOORBELL_PORT, HCALL_PORT_DOORBELL);	/* where ioeventfds sit */
	e = leaf(&k.c, HCALL_CPUID_TIMING);
	assert_int_equal(e->eax, 2500000);
}

/* Whatever sat at 0x400001xx before goes: each hcall leaf is there once. */
static void cpuid_leaves_replace_the_hcall_range(void **state)
{
	struct fixture *f = *state;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[4 + HC_PV_CPUID_LEAVES];
	} k = { .c.nent = 4 };
	uint32_t i, n = 0;

	f->vm.ncpus = 2;
	k.e[0] = (struct kvm_cpuid_entry2){ .function = HCALL_CPUID_BASE, .eax = 0x400001ff };
	k.e[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x806f8 };
	k.e[2] = (struct kvm_cpuid_entry2){ .function = 0x400001ff, .eax = 7 };
	k.e[3] = (struct kvm_cpuid_entry2){ .function = 0x40000200, .eax = 9 };
	hc_pv_cpuid(&f->vm, &k.c);
	assert_int_equal(k.c.nent, 2 + HC_PV_CPUID_LEAVES);
	for (i = 0; i < k.c.nent; i++)
		n += k.c.entries[i].function == HCALL_CPUID_BASE;
	assert_int_equal(n, 1);
	assert_int_equal(leaf(&k.c, HCALL_CPUID_BASE)->eax, HCALL_CPUID_MAX);
	assert_null(leaf(&k.c, 0x400001ff));
	assert_int_equal(leaf(&k.c, 1)->eax, 0x806f8);
	assert_int_equal(leaf(&k.c, 0x40000200)->eax, 9);	/* outside the range: stays */
}

/*
 * One feature word: what CPUID promises is what start info says, and both
 * are what the hypercall table offers plus the features that are not calls.
 */
static void cpuid_and_start_info_agree_on_features(void **state)
{
	struct fixture *f = *state;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[HC_PV_CPUID_LEAVES];
	} k = { .c.nent = 0 };
	struct hcall_start_info *si = (void *)(f->vm.ram + 0x5000);
	uint32_t want = HCALL_FEAT_CONSOLE | HCALL_FEAT_EVTCHN | HCALL_FEAT_CLOCK |
			HCALL_FEAT_SHUTDOWN | HCALL_FEAT_STORE | HCALL_FEAT_SOFT_RESET |
			HCALL_FEAT_BALLOON | HCALL_FEAT_EVTCHN_VCPU;
	uint32_t table = 0;
	int i;

	for (i = 0; i < HCALL_NR_HYPERCALLS; i++)
		table |= hc_hypercalls[i].feature;
	assert_int_equal(table, HC_HYPERCALL_FEATURES);
	assert_int_equal(table | HC_PV_FEATURES_OTHER, HC_PV_FEATURES);
	assert_int_equal(hc_pv_features(&f->vm), HC_PV_FEATURES);
	hc_pv_cpuid(&f->vm, &k.c);
	assert_int_equal(call(&f->vm, HCALL_start_info, 0x5000), 0);
	assert_int_equal(si->abi_version, HCALL_ABI_VERSION);
	assert_int_equal(leaf(&k.c, HCALL_CPUID_FEATURES)->ebx, si->features);
	assert_int_equal(si->features, HC_PV_FEATURES);
	assert_int_equal(si->features, want);	/* the word guests have always seen */
	/* Free page reporting only when asked for, in both places. */
	f->vm.mode.page_reporting = 1;
	k.c.nent = 0;
	hc_pv_cpuid(&f->vm, &k.c);
	assert_int_equal(call(&f->vm, HCALL_start_info, 0x5000), 0);
	assert_int_equal(si->features, want | HCALL_FEAT_PAGE_REPORTING);
	assert_int_equal(leaf(&k.c, HCALL_CPUID_FEATURES)->ebx, si->features);
	f->vm.mode.page_reporting = 0;
}

/* A row a number, in order, named once; the doorbell runs evtchn_send. */
static void hypercall_table_has_every_number_once(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < HCALL_NR_HYPERCALLS; i++) {
		const struct hc_hypercall *h = &hc_hypercalls[i];

		assert_int_equal(h->nr, i);
		assert_non_null(h->fn);
		assert_non_null(h->name);
		assert_true(h->name[0]);
		assert_string_equal(hc_hypercall_name((uint64_t)i), h->name);
		assert_int_equal(h->feature & ~HC_PV_FEATURES, 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(hc_hypercalls[j].name, h->name);
	}
	assert_string_equal(hc_hypercall_name(HCALL_evtchn_send), "evtchn_send");
	assert_string_equal(hc_hypercall_name(HCALL_NR_HYPERCALLS), "invalid");
	assert_string_equal(hc_hypercall_name(~0ull), "invalid");
	assert_int_equal(HC_DOORBELL_HYPERCALL, HCALL_evtchn_send);
	assert_int_equal(hc_hypercalls[HC_DOORBELL_HYPERCALL].xport, HC_XPORT_DOORBELL);
}

/*
 * Every number in the table reaches its own handler: each call is made as
 * the guest makes it and must leave that handler's mark, and only its own
 * counter moves. A row without a check here fails the test.
 */
static void every_number_dispatches_to_its_handler(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_start_info *si = (void *)(vm->ram + 0x5000);
	uint64_t before[HCALL_NR_HYPERCALLS + 1];
	int64_t ret, bport;
	int i, j;

	assert_int_equal(hc_store_setup(vm), 0);
	for (i = 0; i < HCALL_NR_HYPERCALLS; i++) {
		uint64_t a[5] = { 0, 0, 0, 0, 0 };

		memcpy(before, vm->pv.calls, sizeof(before));
		switch (i) {
		case HCALL_null:
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			break;
		case HCALL_start_info:
			a[0] = 0x5000;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_int_equal(si->magic, HCALL_START_MAGIC);
			break;
		case HCALL_shared_info:
			a[0] = 0x6000;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_ptr_equal(vm->pv.shared, vm->ram + 0x6000);
			break;
		case HCALL_console_setup:
			a[0] = 0x8000;
			ret = hc_hypercall(vm, 0, i, a);
			assert_true(ret > 0);
			assert_int_equal(ret, vm->pv.cons_port);
			assert_ptr_equal(vm->pv.cons, vm->ram + 0x8000);
			break;
		case HCALL_evtchn_send:
			a[0] = vm->pv.cons_port;
			assert_int_equal(hc_hypercall(vm, 0, i, a), vm->pv.cons_port);
			break;
		case HCALL_evtchn_close:
			bport = hc_evtchn_bind(vm, HC_PORT_BACKEND);
			assert_true(bport > 0);
			a[0] = (uint64_t)bport;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_int_equal(vm->pv.ports[bport].owner, HC_PORT_FREE);
			break;
		case HCALL_shutdown:
			a[0] = HCALL_SHUTDOWN_CRASH;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_int_equal(vm->stop_reason, HC_STOP_PANIC);
			break;
		case HCALL_gnttab_setup:
			a[0] = 0x100000;
			a[1] = 4;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_int_equal(vm->pv.gnttab_frames, 4);
			break;
		case HCALL_evtchn_alloc:
			a[0] = HCALL_DOMID_BACKEND;
			ret = hc_hypercall(vm, 0, i, a);
			assert_true(ret > 0 && ret < HC_SHIM_PORTS);
			assert_int_equal(vm->pv.ports[ret].owner, HC_PORT_BACKEND);
			break;
		case HCALL_store:
			a[0] = HCALL_STORE_PORT;
			ret = hc_hypercall(vm, 0, i, a);
			assert_true(ret > 0);
			assert_int_equal(ret, vm->pv.store_port);
			break;
		case HCALL_memory_op:
			/* No guest-memory memfd here: test_framelist.c runs the balloon. */
			a[0] = HCALL_MEM_RELEASE;
			a[1] = 0x7000;
			assert_int_equal(hc_hypercall(vm, 0, i, a), -HCALL_ENOSYS);
			vm->pv.errors--;
			break;
		case HCALL_evtchn_bind_vcpu:
			a[0] = vm->pv.store_port;
			a[1] = 0;
			vm->pv.targets[a[0]] = 7;
			assert_int_equal(hc_hypercall(vm, 0, i, a), 0);
			assert_int_equal(vm->pv.targets[a[0]], 0);
			break;
		default:
			fail_msg("hypercall %d (%s) has no check here", i, hc_hypercall_name(i));
		}
		for (j = 0; j <= HCALL_NR_HYPERCALLS; j++)
			assert_int_equal(vm->pv.calls[j], before[j] + (j == i));
	}
	assert_int_equal(vm->pv.errors, 0);
}

/* Past the table: -ENOSYS, counted as invalid and as an error, nothing run. */
static void unknown_numbers_get_enosys(void **state)
{
	static const uint64_t bad[] = {
		HCALL_NR_HYPERCALLS, HCALL_NR_HYPERCALLS + 1, 0xff, 1ull << 32,
		(1ull << 63) | HCALL_null, ~0ull,
	};
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	size_t i;
	int j;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call(vm, bad[i], 0x5000), -HCALL_ENOSYS);
		assert_int_equal(vm->pv.calls[HCALL_NR_HYPERCALLS], i + 1);
		assert_int_equal(vm->pv.errors, i + 1);
	}
	for (j = 0; j < HCALL_NR_HYPERCALLS; j++)
		assert_int_equal(vm->pv.calls[j], 0);
	assert_int_equal(((struct hcall_start_info *)(vm->ram + 0x5000))->magic, 0);
}

/*
 * The statistics: "hypercalls" keeps its keys (every number, then the
 * invalid ones), "hypercall_names" names them from the table, and the
 * table lists the calls made by name.
 */
static void stats_name_every_hypercall(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	char path[] = "/tmp/test_hypercall.XXXXXX", want[64], *text = NULL, *json;
	size_t len = 0;
	FILE *t;
	int fd, i;

	assert_int_equal(call(vm, HCALL_evtchn_send, 0), -HCALL_EINVAL);
	assert_int_equal(call(vm, ~0ull, 0), -HCALL_ENOSYS);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	t = open_memstream(&text, &len);
	assert_int_equal(hc_report_stats(vm, t, path), 0);
	fclose(t);
	json = calloc(1, 1 << 20);
	assert_true(read(fd, json, (1 << 20) - 1) > 0);
	close(fd);
	unlink(path);
	for (i = 0; i <= HCALL_NR_HYPERCALLS; i++) {
		snprintf(want, sizeof(want), "\"%d\": \"%s\"", i, hc_hypercall_name((uint64_t)i));
		assert_non_null(strstr(strstr(json, "\"hypercall_names\": {"), want));
		snprintf(want, sizeof(want), "\"%d\": %d", i,
			 i == HCALL_evtchn_send || i == HCALL_NR_HYPERCALLS);
		assert_non_null(strstr(strstr(json, "\"hypercalls\": {"), want));
	}
	assert_non_null(strstr(json, "\"12\": \"invalid\""));
	assert_non_null(strstr(json, "\"hypercall_errors\": 2,"));
	assert_non_null(strstr(text, "\n  evtchn_send "));
	assert_non_null(strstr(text, "\n  invalid "));
	assert_null(strstr(text, "\n  null "));	/* calls never made are left out */
	free(json);
	free(text);
}

/*
 * While a soft reset is under way the calls the table runs under pv.lock
 * get -EAGAIN without running; the others still run (null; a shutdown).
 */
static void a_soft_reset_refuses_the_locked_calls(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	int i;

	vm->pv.resetting = 1;
	for (i = 0; i < HCALL_NR_HYPERCALLS; i++)
		if (hc_hypercalls[i].lock == HC_LOCKED)
			assert_int_equal(call(vm, (uint64_t)i, 0x5000), -HCALL_EAGAIN);
	assert_int_equal(((struct hcall_start_info *)(vm->ram + 0x5000))->magic, 0);
	assert_int_equal(hc_hypercalls[HCALL_null].lock, HC_UNLOCKED);
	assert_int_equal(hc_hypercalls[HCALL_shutdown].lock, HC_UNLOCKED);
	assert_int_equal(call(vm, HCALL_null, 0), 0);
	assert_int_equal(call(vm, HCALL_shutdown, HCALL_SHUTDOWN_POWEROFF), 0);
	assert_int_equal(vm->stop_reason, HC_STOP_POWEROFF);
	vm->pv.resetting = 0;
}

static void evtchn_delivery(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_shared_info *sh = (void *)(vm->ram + 0x6000);
	uint64_t v;

	hc_evtchn_notify(vm, 5);	/* no shared info yet: nothing */
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), -1);
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	sh->evtchn_mask[1] = 1ull << 2;	/* port 66 masked */
	hc_evtchn_notify(vm, 66);
	assert_int_equal(sh->evtchn_pending[1], 1ull << 2);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 0);
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), -1);
	hc_evtchn_notify(vm, 5);
	assert_int_equal(sh->evtchn_pending[0], 1ull << 5);
	assert_int_equal(sh->vcpu_info[0].evtchn_pending_sel, 1);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), 8);
	/* Already pending: no second interrupt. */
	hc_evtchn_notify(vm, 5);
	hc_evtchn_notify(vm, 6);
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), -1);
	/* Out of range ports are ignored, not written past the bitmap. */
	hc_evtchn_notify(vm, 0);
	hc_evtchn_notify(vm, HCALL_NR_EVTCHN);
	hc_evtchn_notify(vm, ~0u);
}

/*
 * A port's upcall goes to the vCPU the guest bound it to: that vCPU's
 * selector and irqfd, no other's. Moving a pending port raises it on its
 * new vCPU; a free port, a vCPU the VM lacks and a target byte out of
 * range (the table is read by hcall-dd too) all stay harmless.
 */
static void evtchn_on_every_vcpu(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_shared_info *sh = (void *)(vm->ram + 0x6000);
	int64_t port;
	uint64_t v;
	int i;

	vm->ncpus = 3;
	for (i = 1; i < 3; i++)
		vm->pv.upcall_fd[i] = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	port = call(vm, HCALL_evtchn_alloc, HCALL_DOMID_BACKEND);
	assert_true(port > 0 && port < HC_SHIM_PORTS);
	assert_int_equal(vm->pv.targets[port], 0);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, (uint64_t)port, 2), 0);
	assert_int_equal(vm->pv.targets[port], 2);
	hc_evtchn_notify(vm, (uint32_t)port);
	assert_int_equal(sh->vcpu_info[2].evtchn_upcall_pending, 1);
	assert_int_equal(sh->vcpu_info[2].evtchn_pending_sel, 1ull << (port / 64));
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 0);
	assert_int_equal(sh->vcpu_info[0].evtchn_pending_sel, 0);
	assert_int_equal(read(vm->pv.upcall_fd[2], &v, 8), 8);
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), -1);
	assert_int_equal(read(vm->pv.upcall_fd[1], &v, 8), -1);
	/* Still pending and unmasked: moving it raises it on vCPU 1 at once. */
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, (uint64_t)port, 1), 0);
	assert_int_equal(sh->vcpu_info[1].evtchn_upcall_pending, 1);
	assert_int_equal(read(vm->pv.upcall_fd[1], &v, 8), 8);
	/* Masked, it waits for the guest's unmask instead. */
	sh->evtchn_mask[port / 64] |= 1ull << (port % 64);
	sh->vcpu_info[0].evtchn_upcall_pending = 0;
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, (uint64_t)port, 0), 0);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 0);
	assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), -1);
	/* No such vCPU, no such port, port 0: refused, nothing moved. */
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, (uint64_t)port, 3), -HCALL_EINVAL);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, (uint64_t)port, ~0ull), -HCALL_EINVAL);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, HC_SHIM_PORTS - 1, 1), -HCALL_EINVAL);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, HC_SHIM_PORTS, 1), -HCALL_EINVAL);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, 0, 1), -HCALL_EINVAL);
	assert_int_equal(call2(vm, HCALL_evtchn_bind_vcpu, ~0ull, 1), -HCALL_EINVAL);
	assert_int_equal(vm->pv.targets[port], 0);
	/* A target byte no vCPU has (a corrupted table) means vCPU 0: the first past them too. */
	for (i = 0; i < 2; i++) {
		sh->evtchn_mask[port / 64] = 0;
		sh->evtchn_pending[port / 64] = 0;
		sh->vcpu_info[0].evtchn_upcall_pending = 0;
		vm->pv.targets[port] = i ? 3 : 200;
		hc_evtchn_notify(vm, (uint32_t)port);
		assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
		assert_int_equal(read(vm->pv.upcall_fd[0], &v, 8), 8);
	}
	/* Closed, the port's next user starts on vCPU 0 again. */
	vm->pv.targets[port] = 2;
	assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)port), 0);
	assert_int_equal(vm->pv.targets[port], 0);
	vm->pv.errors = 0;
}

static void console_ring_backend(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_console_ring *r = (void *)(vm->ram + 0x8000);
	char got[64] = "";
	int64_t port;

	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	port = call(vm, HCALL_console_setup, 0x8000);
	assert_true(port > 0);
	assert_int_equal(call(vm, HCALL_console_setup, 0x9000), -HCALL_EBUSY);
	/* Guest output wrapping the end of the ring. */
	r->out_prod = r->out_cons = vm->pv.cons_out_cons = HCALL_CONS_OUT_SIZE - 3;
	memcpy(r->out + HCALL_CONS_OUT_SIZE - 3, "hel", 3);
	memcpy(r->out, "lo\n", 3);
	r->out_prod += 6;
	hc_console_drain(vm);
	assert_int_equal(read(f->out[0], got, sizeof(got)), 6);
	assert_memory_equal(got, "hello\n", 6);
	assert_int_equal(r->out_cons, r->out_prod);
	/* Input goes into the in ring, bounded by its size. */
	assert_int_equal(hc_console_input(vm, (const uint8_t *)"abc", 3), 3);
	assert_int_equal(r->in_prod, 3);
	assert_memory_equal(r->in, "abc", 3);
	/* A hostile producer index: the console is cut off, nothing is read. */
	r->out_prod = r->out_cons + HCALL_CONS_OUT_SIZE + 1;
	hc_console_drain(vm);
	assert_true(vm->pv.cons_broken);
	/* The console's port lives as long as the console. */
	assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)port), -HCALL_EBUSY);
}

static void shutdown_reasons_stop_the_vm(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(&f->vm, HCALL_shutdown, HCALL_SHUTDOWN_CRASH), 0);
	assert_int_equal(f->vm.stop_reason, HC_STOP_PANIC);
	/* The first reason wins. */
	assert_int_equal(call(&f->vm, HCALL_shutdown, HCALL_SHUTDOWN_POWEROFF), 0);
	assert_int_equal(f->vm.stop_reason, HC_STOP_PANIC);
}

/*
 * While one vCPU resets the platform, the others' hypercalls are refused,
 * but a vCPU that panics, powers off or reboots still stops the VM.
 */
static void shutdown_works_while_another_vcpu_resets(void **state)
{
	struct fixture *f = *state;

	f->vm.pv.resetting = 1;		/* as hc_pv_soft_reset() leaves it mid-way */
	assert_int_equal(call(&f->vm, HCALL_shared_info, 0x6000), -HCALL_EAGAIN);
	assert_int_equal(call(&f->vm, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET), -HCALL_EAGAIN);
	assert_int_equal(call(&f->vm, HCALL_shutdown, 99), -HCALL_EINVAL);
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
	assert_int_equal(call(&f->vm, HCALL_shutdown, HCALL_SHUTDOWN_CRASH), 0);
	assert_int_equal(f->vm.stop_reason, HC_STOP_PANIC);
	f->vm.pv.resetting = 0;
}

static int64_t store(struct hc_vm *vm, uint64_t op, uint64_t path, uint64_t buf, uint64_t len)
{
	uint64_t a[5] = { op, path, buf, len, 0 };

	return hc_hypercall(vm, 0, HCALL_store, a);
}

static void store_hypercalls(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	uint8_t *ram = vm->ram;
	const uint64_t P = 0x10000, V = 0x11000, T = 0x12000, E = 0x13000;
	int64_t n, port;

	assert_int_equal(hc_store_setup(vm), 0);
	strcpy((char *)ram + P, "device/vbd/1/ring-ref");
	strcpy((char *)ram + V, "42");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 2), 0);
	memset(ram + V, 0, 16);
	assert_int_equal(store(vm, HCALL_STORE_READ, P, V, 16), 2);
	assert_memory_equal(ram + V, "42", 2);
	/* A short buffer gets what fits and the full length. */
	memset(ram + V, 0, 16);
	assert_int_equal(store(vm, HCALL_STORE_READ, P, V, 1), 2);
	assert_int_equal(ram[V + 1], 0);

	/* The guest may not write the backend's half, nor the toolstack's. */
	strcpy((char *)ram + P, "backend/vbd/1/51712/state");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), -HCALL_EACCES);
	strcpy((char *)ram + P, "local/domain/0");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), -HCALL_EACCES);

	/* Hostile addresses and sizes. */
	assert_int_equal(store(vm, HCALL_STORE_READ, RAM, V, 16), -HCALL_EFAULT);
	assert_int_equal(store(vm, HCALL_STORE_READ, ~0ull, V, 16), -HCALL_EFAULT);
	memset(ram + RAM - 8, 'x', 8);	/* a path running off the end of RAM */
	assert_int_equal(store(vm, HCALL_STORE_READ, RAM - 8, V, 16), -HCALL_E2BIG);
	memset(ram + P, 'a', 400);	/* longer than any path */
	assert_int_equal(store(vm, HCALL_STORE_READ, P, V, 16), -HCALL_E2BIG);
	strcpy((char *)ram + P, "device/vbd/1/ring-ref");
	assert_int_equal(store(vm, HCALL_STORE_READ, P, RAM - 1, 16), -HCALL_EFAULT);
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, HCALL_STORE_MAX_VALUE + 1),
			 -HCALL_E2BIG);
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, RAM - 1, 2), -HCALL_EFAULT);
	assert_int_equal(store(vm, 99, P, V, 2), -HCALL_EINVAL);
	strcpy((char *)ram + P, "device//bad");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), -HCALL_EINVAL);

	/* Watches: the event comes on the store port, as "path\0token\0". */
	port = store(vm, HCALL_STORE_PORT, 0, 0, 0);
	assert_true(port > 0);
	assert_int_equal(store(vm, HCALL_STORE_PORT, 0, 0, 0), port);
	strcpy((char *)ram + P, "device/vbd");
	strcpy((char *)ram + T, "tok1");
	assert_int_equal(store(vm, HCALL_STORE_WATCH, P, T, 0), 0);
	n = store(vm, HCALL_STORE_EVENT, 0, E, 512);	/* the first firing */
	assert_int_equal(n, (int64_t)sizeof("device/vbd") + 5);
	assert_string_equal((char *)ram + E, "device/vbd");
	assert_string_equal((char *)ram + E + sizeof("device/vbd"), "tok1");
	assert_int_equal(store(vm, HCALL_STORE_EVENT, 0, E, 512), 0);
	strcpy((char *)ram + P, "device/vbd/1/state");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), 0);
	/* Too small a buffer keeps the event. */
	assert_int_equal(store(vm, HCALL_STORE_EVENT, 0, E, 4), -HCALL_ERANGE);
	n = store(vm, HCALL_STORE_EVENT, 0, E, 512);
	assert_string_equal((char *)ram + E, "device/vbd/1/state");
	/* A guest that never drains loses only its own events. */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), 0);
	for (n = 0; store(vm, HCALL_STORE_EVENT, 0, E, 512) > 0; n++)
		;
	assert_int_equal(n, 256);
	/* Guest tokens live apart: the guest cannot remove a watch it did not set. */
	strcpy((char *)ram + T, "vbd");
	assert_int_equal(store(vm, HCALL_STORE_UNWATCH, P, T, 0), -HCALL_ENOENT);
	memset(ram + T, 'k', 100);
	assert_int_equal(store(vm, HCALL_STORE_WATCH, P, T, 0), -HCALL_E2BIG);
}

/* Wait up to 5 s for @fd to become readable; 1 if it did. */
static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 5000) == 1;
}

static void drain_upcalls(struct hc_vm *vm)
{
	uint64_t v;

	while (read(vm->pv.upcall_fd[0], &v, sizeof(v)) == sizeof(v))
		;
}

/*
 * A kexec'd kernel: the first registered its pages at A, soft reset, the
 * second registers at B. The shim's writes go to B; A is never touched.
 */
static void soft_reset_forgets_every_registration(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	uint8_t *ram = vm->ram, a_pages[4][4096];
	const uint64_t SHA = 0x6000, CONA = 0x8000, SHB = 0x16000, CONB = 0x18000;
	const uint64_t P = 0x10000, V = 0x11000, T = 0x12000, E = 0x13000;
	const uint64_t gA[5] = { 0x100000, 2 }, gB[5] = { 0x200000, 2 };
	struct hcall_shared_info *shb = (void *)(ram + SHB);
	struct hcall_console_ring *rb = (void *)(ram + CONB);
	int64_t cport, sport, bport, nport;
	char got[16];
	int i;

	assert_int_equal(hc_store_setup(vm), 0);
	assert_int_equal(call(vm, HCALL_shared_info, SHA), 0);
	cport = call(vm, HCALL_console_setup, CONA);
	assert_true(cport > 0);
	assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, gA), 0);
	sport = store(vm, HCALL_STORE_PORT, 0, 0, 0);
	bport = call(vm, HCALL_evtchn_alloc, HCALL_DOMID_BACKEND);
	assert_true(sport > 0 && bport > 0);
	strcpy((char *)ram + P, "device");
	strcpy((char *)ram + T, "old");
	assert_int_equal(store(vm, HCALL_STORE_WATCH, P, T, 0), 0);	/* one event queued */
	assert_true(vm->pv.cons_thread_started);

	assert_int_equal(call(vm, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET), 0);
	assert_int_equal(vm->stop_reason, HC_STOP_NONE);	/* the guest runs on */
	memcpy(a_pages[0], ram + SHA, 4096);
	memcpy(a_pages[1], ram + CONA, 4096);
	memcpy(a_pages[2], ram + gA[0], 4096);
	memcpy(a_pages[3], ram + gA[0] + 4096, 4096);
	assert_null(vm->pv.shared);
	assert_null(vm->pv.cons);
	assert_false(vm->pv.cons_thread_started);
	assert_int_equal(vm->pv.gnttab_frames, 0);
	for (i = 1; i < HC_SHIM_PORTS; i++)
		assert_int_equal(vm->pv.ports[i].owner, HC_PORT_FREE);
	/* Old ports are closed, old watches and their events gone. */
	assert_int_equal(call(vm, HCALL_evtchn_send, (uint64_t)bport), -HCALL_EINVAL);
	assert_int_equal(call(vm, HCALL_evtchn_send, (uint64_t)cport), -HCALL_EINVAL);
	assert_int_equal(store(vm, HCALL_STORE_EVENT, 0, E, 512), 0);
	strcpy((char *)ram + P, "device/vbd/0/state");
	strcpy((char *)ram + V, "1");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), 0);
	assert_int_equal(store(vm, HCALL_STORE_EVENT, 0, E, 512), 0);
	hc_evtchn_notify(vm, (uint32_t)sport);
	hc_console_drain(vm);
	assert_int_equal(hc_console_input(vm, (const uint8_t *)"x", 1), 0);

	/* The second kernel registers again, elsewhere: no -EBUSY. */
	assert_int_equal(call(vm, HCALL_shared_info, SHB), 0);
	assert_int_equal(shb->vcpu_info[0].time.version, 2);	/* pvclock at B */
	assert_int_not_equal(shb->vcpu_info[0].time.tsc_to_system_mul, 0);
	nport = call(vm, HCALL_console_setup, CONB);
	assert_true(nport > 0);
	assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, gB), 0);
	assert_int_equal(vm->pv.gnttab_gpa, gB[0]);
	sport = store(vm, HCALL_STORE_PORT, 0, 0, 0);
	assert_true(sport > 0);
	/* Events, console output and input: all at B. */
	drain_upcalls(vm);
	hc_evtchn_notify(vm, (uint32_t)sport);
	assert_true(shb->evtchn_pending[sport / 64] & (1ull << (sport % 64)));
	memcpy(rb->out, "two\n", 4);
	__atomic_store_n(&rb->out_prod, rb->out_prod + 4, __ATOMIC_RELEASE);
	assert_int_equal(call(vm, HCALL_evtchn_send, (uint64_t)nport), nport);
	assert_true(readable(f->out[0]));
	assert_int_equal(read(f->out[0], got, sizeof(got)), 4);
	assert_memory_equal(got, "two\n", 4);
	assert_int_equal(hc_console_input(vm, (const uint8_t *)"in", 2), 2);
	assert_memory_equal(rb->in, "in", 2);
	assert_true(shb->evtchn_pending[nport / 64] & (1ull << (nport % 64)));
	strcpy((char *)ram + P, "device");
	strcpy((char *)ram + T, "new");
	assert_int_equal(store(vm, HCALL_STORE_WATCH, P, T, 0), 0);
	assert_true(store(vm, HCALL_STORE_EVENT, 0, E, 512) > 0);
	assert_string_equal((char *)ram + E + sizeof("device"), "new");
	/* Nothing of the first kernel's pages changed after the reset. */
	assert_memory_equal(a_pages[0], ram + SHA, 4096);
	assert_memory_equal(a_pages[1], ram + CONA, 4096);
	assert_memory_equal(a_pages[2], ram + gA[0], 4096);
	assert_memory_equal(a_pages[3], ram + gA[0] + 4096, 4096);
	/* And a second reset works as well as the first. */
	assert_int_equal(call(vm, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET), 0);
	assert_null(vm->pv.cons);
}

/*
 * Close, allocate and rebind across the console, store and backend ports:
 * no port's eventfd ever has two owners, and ports in use stay put.
 */
static void evtchn_lifecycle_keeps_one_owner_per_port(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_console_ring *r = (void *)(vm->ram + 0x8000);
	int64_t cport, sport, p, ports[HC_SHIM_PORTS];
	int n, i, j;
	char got[8];

	assert_int_equal(hc_store_setup(vm), 0);
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	cport = call(vm, HCALL_console_setup, 0x8000);
	sport = store(vm, HCALL_STORE_PORT, 0, 0, 0);
	assert_true(cport > 0 && sport > 0);
	/* The console's and the store's ports cannot be closed from under them. */
	assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)cport), -HCALL_EBUSY);
	assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)sport), -HCALL_EBUSY);
	/* Backend ports come and go; closing twice is an error. */
	for (i = 0; i < 100; i++) {
		p = call(vm, HCALL_evtchn_alloc, HCALL_DOMID_BACKEND);
		assert_true(p > 0 && p != cport && p != sport);
		assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)p), 0);
		assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)p), -HCALL_EINVAL);
	}
	/* Exhaust the ports, free one in the middle, get it back. */
	for (n = 0; (p = call(vm, HCALL_evtchn_alloc, HCALL_DOMID_BACKEND)) > 0; n++)
		ports[n] = p;
	assert_int_equal(p, -HCALL_ENOSPC);
	assert_int_equal(n, HC_SHIM_PORTS - 3);
	assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)ports[n / 2]), 0);
	assert_int_equal(call(vm, HCALL_evtchn_alloc, HCALL_DOMID_BACKEND), ports[n / 2]);
	assert_int_equal(call(vm, HCALL_evtchn_alloc, 7), -HCALL_EINVAL);	/* not the backend */
	/* Every live port has its own eventfd. */
	for (i = 1; i < HC_SHIM_PORTS; i++)
		for (j = i + 1; j < HC_SHIM_PORTS; j++)
			assert_int_not_equal(vm->pv.ports[i].kick_fd, vm->pv.ports[j].kick_fd);
	for (i = 0; i < n; i++)
		assert_int_equal(call(vm, HCALL_evtchn_close, (uint64_t)ports[i]), 0);
	/* After all that, the console thread still hears its port. */
	memcpy(r->out, "ok\n", 3);
	__atomic_store_n(&r->out_prod, 3, __ATOMIC_RELEASE);
	assert_int_equal(call(vm, HCALL_evtchn_send, (uint64_t)cport), cport);
	assert_true(readable(f->out[0]));
	assert_int_equal(read(f->out[0], got, sizeof(got)), 3);
	assert_memory_equal(got, "ok\n", 3);
}

struct destroyer {
	struct hc_vm *vm;
};

static void *stop_and_destroy(void *arg)
{
	struct hc_vm *vm = arg;

	hc_vm_stop(vm, HC_STOP_TIMEOUT, "test timeout");
	hc_pv_destroy(vm);
	return NULL;
}

/* Join @t within @ms or give up on the whole test binary (it would hang). */
static void join_within(pthread_t t, int ms, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (pthread_timedjoin_np(t, NULL, &ts)) {
		fprintf(stderr, "FAIL: %s did not end within %d ms\n", what, ms);
		_exit(1);
	}
}

/*
 * Nobody reads stdout: stopping the VM must still end in bounded time,
 * with the pipe as it is (@reopen 0: poll before each write) or as
 * hcall-run has it (our own non-blocking open of it).
 */
static void stalled_reader(struct fixture *f, int reopen)
{
	struct hc_vm *vm = &f->vm;
	struct hcall_console_ring *r = (void *)(vm->ram + 0x8000);
	char junk[4096];
	struct timespec t0, t1;
	pthread_t t;
	int64_t port;
	long ms;

	/* Fill the console pipe: the next write would block for ever. */
	fcntl(f->out[1], F_SETFL, O_NONBLOCK);
	memset(junk, '.', sizeof(junk));
	while (write(f->out[1], junk, sizeof(junk)) > 0)
		;
	while (write(f->out[1], junk, 1) > 0)
		;
	fcntl(f->out[1], F_SETFL, 0);
	if (reopen) {
		hc_console_set_output(vm, f->out[1]);
		assert_true(vm->console_fd_owned);
		assert_int_not_equal(vm->console_fd, f->out[1]);
		assert_true(fcntl(vm->console_fd, F_GETFL) & O_NONBLOCK);
		assert_false(fcntl(f->out[1], F_GETFL) & O_NONBLOCK);	/* shared one untouched */
	}
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	port = call(vm, HCALL_console_setup, 0x8000);
	assert_true(port > 0);
	memcpy(r->out, "stuck\n", 6);
	__atomic_store_n(&r->out_prod, 6, __ATOMIC_RELEASE);
	assert_int_equal(call(vm, HCALL_evtchn_send, (uint64_t)port), port);
	/* The thread took the bytes (and said so) and now waits for room. */
	assert_true(readable(vm->pv.upcall_fd[0]));
	assert_int_equal(r->out_cons, 6);
	/* The PV console's final drain and the UART path meet the same pipe. */
	memcpy(r->out + 6, "last\n", 5);
	__atomic_store_n(&r->out_prod, 11, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, stop_and_destroy, vm), 0);
	join_within(t, 3 * HC_CONSOLE_GRACE_MS + 2000, "hc_pv_destroy with a stalled stdout");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	print_message("destroy took %ld ms\n", ms);
	assert_true(ms < 2 * HC_CONSOLE_GRACE_MS + 500);
	hc_console_write(vm, "x", 1);	/* stopped, grace over: returns at once */
	if (vm->console_fd_owned)
		close(vm->console_fd);
	vm->console_fd_owned = 0;
}

static void stalled_console_reader_cannot_hold_the_shim(void **state)
{
	stalled_reader(*state, 0);
}

static void stalled_stdout_reopened_nonblocking(void **state)
{
	stalled_reader(*state, 1);
}

struct pump {
	struct hc_vm *vm;
	int fd;
};

static void *pump_thread(void *arg)
{
	struct pump *p = arg;

	hc_console_pump_input(p->vm, p->fd);
	return NULL;
}

/* Host input reaches the guest, and the pump ends with the VM, not at EOF. */
static void stdin_pump_ends_when_the_vm_stops(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_console_ring *r = (void *)(vm->ram + 0x8000);
	struct pump p = { vm, -1 };
	int in[2];
	pthread_t t;

	assert_int_equal(pipe(in), 0);
	p.fd = in[0];
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	assert_true(call(vm, HCALL_console_setup, 0x8000) > 0);
	assert_int_equal(pthread_create(&t, NULL, pump_thread, &p), 0);
	assert_int_equal(write(in[1], "hi", 2), 2);
	assert_true(readable(vm->pv.upcall_fd[0]));	/* input arrived: upcall */
	assert_int_equal(__atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE), 2);
	assert_memory_equal(r->in, "hi", 2);
	/* The host's stdin stays open and silent: only the stop ends the pump. */
	hc_vm_stop(vm, HC_STOP_TIMEOUT, "test");
	join_within(t, 2000, "the stdin pump");
	close(in[0]);
	close(in[1]);
}

#define GiB (1ull << 30)
#define BIG (5 * GiB)

/*
 * A 5 GiB guest: RAM above 3 GiB continues at 4 GiB and ends at 6 GiB.
 * Store strings, shared info, console ring and grant table all live
 * above the end of RAM's size (5 GiB), where a guest address is not a
 * host offset.
 */
static int setup_big(void **state)
{
	return setup_sized(state, BIG);
}

static void *host(struct hc_vm *vm, uint64_t gpa)
{
	return hc_gpa(vm->ram, vm->mem, gpa, 1);
}

static void ram_above_4g_serves_every_registration(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	const uint64_t HI = 5 * GiB + 0x100000;	/* >= mem: host offset 4 GiB + 1 MiB */
	const uint64_t SH = HI, CON = HI + 0x1000, P = HI + 0x2000, V = HI + 0x3000;
	const uint64_t T = HI + 0x4000, E = HI + 0x5000, END = 6 * GiB;
	const uint64_t g[5] = { HI + 0x10000, 4 };
	struct hcall_shared_info *sh = host(vm, SH);
	int64_t sport, cport;
	char *end;

	assert_int_equal(hc_store_setup(vm), 0);
	assert_int_equal(hc_gpa_span(BIG, 0), 3 * GiB);
	assert_int_equal(hc_gpa_span(BIG, 3 * GiB), 0);		/* the hole */
	assert_int_equal(hc_gpa_span(BIG, HI), END - HI);
	assert_int_equal(hc_gpa_span(BIG, END), 0);
	assert_int_equal(call(vm, HCALL_start_info, HI + 0x6000), 0);
	assert_int_equal(call(vm, HCALL_shared_info, SH), 0);
	assert_int_equal(vm->pv.shared_gpa, SH);
	assert_ptr_equal(vm->pv.shared, sh);
	cport = call(vm, HCALL_console_setup, CON);
	assert_true(cport > 0);
	assert_int_equal(hc_hypercall(vm, 0, HCALL_gnttab_setup, g), 0);
	/* Store strings up there, and one that ends right at the end of RAM. */
	strcpy(host(vm, P), "device/vbd/51712/ring-ref");
	strcpy(host(vm, V), "8");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, P, V, 1), 0);
	memset(host(vm, V), 0, 8);
	assert_int_equal(store(vm, HCALL_STORE_READ, P, V, 8), 1);
	assert_memory_equal(host(vm, V), "8", 1);
	end = host(vm, END - 7);
	strcpy(end, "data/a");
	assert_int_equal(store(vm, HCALL_STORE_WRITE, END - 7, V, 1), 0);
	memcpy(end, "data/ab", 7);	/* no NUL before the end of RAM */
	assert_int_equal(store(vm, HCALL_STORE_READ, END - 7, V, 8), -HCALL_E2BIG);
	/* Just below the hole, a short string is fine too. */
	strcpy((char *)vm->ram + 3 * GiB - 8, "data/a");
	assert_int_equal(store(vm, HCALL_STORE_READ, 3 * GiB - 8, V, 8), 1);
	/* Watches and their events, delivered into shared info up there. */
	sport = store(vm, HCALL_STORE_PORT, 0, 0, 0);
	assert_true(sport > 0);
	strcpy(host(vm, P), "device");
	strcpy(host(vm, T), "hi");
	assert_int_equal(store(vm, HCALL_STORE_WATCH, P, T, 0), 0);
	assert_true(sh->evtchn_pending[sport / 64] & (1ull << (sport % 64)));
	assert_true(store(vm, HCALL_STORE_EVENT, 0, E, 512) > 0);
	assert_string_equal(host(vm, E), "device");
	/* Past the end of RAM and in the hole: refused, not wrapped. */
	assert_int_equal(store(vm, HCALL_STORE_READ, END, V, 8), -HCALL_EFAULT);
	assert_int_equal(store(vm, HCALL_STORE_READ, 3 * GiB + 5, V, 8), -HCALL_EFAULT);
	assert_int_equal(call(vm, HCALL_start_info, END), -HCALL_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(guest_addresses_are_bounds_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_hypercalls_get_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(start_and_shared_info, setup, teardown),
		cmocka_unit_test(pvclock_scale_is_accurate),
		cmocka_unit_test_setup_teardown(cpuid_leaves_show_the_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(cpuid_leaves_replace_the_hcall_range, setup, teardown),
		cmocka_unit_test_setup_teardown(cpuid_and_start_info_agree_on_features, setup, teardown),
		cmocka_unit_test(hypercall_table_has_every_number_once),
		cmocka_unit_test_setup_teardown(every_number_dispatches_to_its_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_numbers_get_enosys, setup, teardown),
		cmocka_unit_test_setup_teardown(a_soft_reset_refuses_the_locked_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_name_every_hypercall, setup, teardown),
		cmocka_unit_test_setup_teardown(evtchn_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(evtchn_on_every_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(console_ring_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(shutdown_reasons_stop_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(shutdown_works_while_another_vcpu_resets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(store_hypercalls, setup, teardown),
		cmocka_unit_test_setup_teardown(soft_reset_forgets_every_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(evtchn_lifecycle_keeps_one_owner_per_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stalled_console_reader_cannot_hold_the_shim, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stalled_stdout_reopened_nonblocking, setup, teardown),
		cmocka_unit_test_setup_teardown(stdin_pump_ends_when_the_vm_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_above_4g_serves_every_registration, setup_big,
						teardown),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
