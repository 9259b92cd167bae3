// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's PV side without KVM: hypercall dispatch with hostile
 * arguments, guest-address checks, the CPUID leaves, event-channel
 * delivery and lifecycles, soft reset, the console ring backend with
 * corrupted indices and a stalled reader, and RAM above 4 GiB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hcall/guestmem.h"
#include "hcall/vm.h"

#define MiB (1ull << 20)
#define RAM (64 * MiB)

struct fixture {
	struct hc_vm vm;
	int out[2];	/* console output pipe */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hc_vm *vm = &f->vm;
	char err[256];

	assert_int_equal(hc_vm_init_state(vm, err, sizeof(err)), 0);
	vm->ram = calloc(1, RAM);
	vm->mem = RAM;
	vm->ncpus = 1;
	vm->pv.upcall_fd = eventfd(0, EFD_NONBLOCK);
	vm->pv.enabled = 1;
	vm->pv.tsc_khz = 2500000;
	assert_int_equal(pipe(f->out), 0);
	vm->console_fd = f->out[1];
	*state = f;
	return 0;
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
	free(f->vm.ram);
	free(f);
	return 0;
}

static int64_t call(struct hc_vm *vm, uint64_t nr, uint64_t a0)
{
	const uint64_t args[5] = { a0, ~0ull, ~0ull, ~0ull, ~0ull };

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
	assert_int_equal(k.c.nent, 1 + HC_PV_CPUID_LEAVES);
	assert_int_equal(leaf(&k.c, 1)->eax, 0x806f8);		/* others stay */
	e = leaf(&k.c, HCALL_CPUID_BASE);
	assert_int_equal(e->eax, HCALL_CPUID_MAX);		/* KVM's signature is gone */
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

/* One feature word: what CPUID promises is what start info says. */
static void cpuid_and_start_info_agree_on_features(void **state)
{
	struct fixture *f = *state;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[HC_PV_CPUID_LEAVES];
	} k = { .c.nent = 0 };
	struct hcall_start_info *si = (void *)(f->vm.ram + 0x5000);
	uint32_t want = HCALL_FEAT_CONSOLE | HCALL_FEAT_EVTCHN | HCALL_FEAT_CLOCK |
			HCALL_FEAT_SHUTDOWN | HCALL_FEAT_STORE | HCALL_FEAT_SOFT_RESET;

	hc_pv_cpuid(&f->vm, &k.c);
	assert_int_equal(call(&f->vm, HCALL_start_info, 0x5000), 0);
	assert_int_equal(si->abi_version, HCALL_ABI_VERSION);
	assert_int_equal(leaf(&k.c, HCALL_CPUID_FEATURES)->ebx, si->features);
	assert_int_equal(si->features, want);
}

static void evtchn_delivery(void **state)
{
	struct fixture *f = *state;
	struct hc_vm *vm = &f->vm;
	struct hcall_shared_info *sh = (void *)(vm->ram + 0x6000);
	uint64_t v;

	hc_evtchn_notify(vm, 5);	/* no shared info yet: nothing */
	assert_int_equal(read(vm->pv.upcall_fd, &v, 8), -1);
	assert_int_equal(call(vm, HCALL_shared_info, 0x6000), 0);
	sh->evtchn_mask[1] = 1ull << 2;	/* port 66 masked */
	hc_evtchn_notify(vm, 66);
	assert_int_equal(sh->evtchn_pending[1], 1ull << 2);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 0);
	assert_int_equal(read(vm->pv.upcall_fd, &v, 8), -1);
	hc_evtchn_notify(vm, 5);
	assert_int_equal(sh->evtchn_pending[0], 1ull << 5);
	assert_int_equal(sh->vcpu_info[0].evtchn_pending_sel, 1);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
	assert_int_equal(read(vm->pv.upcall_fd, &v, 8), 8);
	/* Already pending: no second interrupt. */
	hc_evtchn_notify(vm, 5);
	hc_evtchn_notify(vm, 6);
	assert_int_equal(read(vm->pv.upcall_fd, &v, 8), -1);
	/* Out of range ports are ignored, not written past the bitmap. */
	hc_evtchn_notify(vm, 0);
	hc_evtchn_notify(vm, HCALL_NR_EVTCHN);
	hc_evtchn_notify(vm, ~0u);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(guest_addresses_are_bounds_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_hypercalls_get_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(start_and_shared_info, setup, teardown),
		cmocka_unit_test(pvclock_scale_is_accurate),
		cmocka_unit_test_setup_teardown(cpuid_leaves_show_the_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(cpuid_and_start_info_agree_on_features, setup, teardown),
		cmocka_unit_test_setup_teardown(evtchn_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(console_ring_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(shutdown_reasons_stop_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(store_hypercalls, setup, teardown),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
