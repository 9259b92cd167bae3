/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A KVM virtual machine run by the shim: memory, vCPU threads, devices. */
#ifndef HCALL_VM_H
#define HCALL_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

#include "hcall/layout.h"
#include "hcall/legacy/cmos.h"
#include "hcall/legacy/uart.h"
#include "hcall/pv/pv.h"
#include "hcall/vmm/cpuid.h"
#include "hcall/vmm/stats.h"
#include "hcall/vmm/vcpu.h"

/* Why the VM stopped; hcall-run maps these to exit statuses. */
enum hc_stop {
	HC_STOP_NONE,
	HC_STOP_POWEROFF,	/* guest asked to power off */
	HC_STOP_RESET,		/* i8042/0x92/0xcf9 reset: a clean end */
	HC_STOP_PANIC,		/* guest kernel panicked, PV guest triple-faulted */
	HC_STOP_ERROR,		/* the VMM or KVM failed */
	HC_STOP_TIMEOUT,
	HC_STOP_SIGNAL,
	HC_STOP_HALTED,		/* every vCPU halted with interrupts off: it never runs again */
	HC_STOP_QUIT,		/* "quit" on the control socket: a clean end, as QEMU's */
	HC_STOP_TRIPLE_RESET,	/* HVM triple fault: a reset, a clean end, but named and dumped */
};

struct hc_backends;

/* Scans console output for the kernel's panic banner. */
struct hc_panic_watch {
	unsigned int start_match, end_match;
	int seen;
};

struct hc_vm {
	int kvm_fd;
	int vm_fd;
	int mem_fd;		/* memfd: shareable with a driver domain later */
	uint8_t *ram;
	uint64_t mem;
	int ncpus;
	int run_size;
	struct hc_vcpu vcpu[HC_MAX_VCPUS];
	struct hc_uart uart;
	struct hc_cmos cmos;
	struct hc_port_stats *ports;
	int sync_regs;		/* KVM_CAP_SYNC_REGS: registers come with each exit */
	struct hc_pv pv;
	struct hc_cpu_mode mode;	/* guest modes: hcall, KVM's PV leaves, switches */
	struct hc_backends *backends;	/* split devices (lib/backend), NULL without any */
	int console_fd;
	int console_fd_owned;	/* our own non-blocking open of the output */
	int console_direct;	/* write before polling: it never blocks */
	uint64_t console_deadline;	/* ms (monotonic): stop waiting for the reader */
	int console_midline;	/* last console byte was not a newline */
	struct hc_panic_watch panic;

	pthread_mutex_t stop_lock;
	int stop_efd;		/* becomes readable when the VM must stop */
	enum hc_stop stop_reason;
	char stop_msg[256];
	int dump_on_stop;	/* each vCPU prints its registers as it stops */
};

/*
 * The VMM's own state of a VM, no KVM yet: every fd -1, locks, port
 * counters, the stop eventfd, UART and CMOS. hc_vm_create() starts here;
 * unit tests build a VM without KVM on it. -1 + @err on failure.
 */
int hc_vm_init_state(struct hc_vm *vm, char *err, size_t errlen);
/*
 * Create the VM with @mem bytes of RAM, mapped here at @ram_hva (0:
 * anywhere; else a host-side probe can find guest memory, for testing),
 * and @ncpus vCPUs; @mode selects the hcall PV platform (else a plain HVM
 * guest) and what the guest sees of KVM's paravirt leaves. -1 + @err on
 * failure.
 */
int hc_vm_create(struct hc_vm *vm, uint64_t mem, uint64_t ram_hva, int ncpus,
		 const struct hc_cpu_mode *mode, char *err, size_t errlen);
/*
 * Fault RAM pages [@first, @first + @n) (memfd offset / 4096) in, zeroed
 * if they were holes, from this process: a page the shim fills is charged
 * to the shim's memory cgroup, one the driver domain touches first to the
 * driver domain's. 0 or -errno (ENOMEM: the cgroup is full).
 */
int hc_vm_populate(struct hc_vm *vm, uint64_t first, uint64_t n);
/* Put the boot vCPU at the 64-bit entry point with @zero_page in rsi. */
int hc_vm_setup_bsp(struct hc_vm *vm, uint64_t entry, uint64_t zero_page,
		    char *err, size_t errlen);
/* Start one thread per vCPU. */
int hc_vm_start(struct hc_vm *vm, char *err, size_t errlen);
/* Request a stop; the first reason wins. Safe from any thread. */
void hc_vm_stop(struct hc_vm *vm, enum hc_stop why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Kick and join every vCPU thread (after a stop was requested). */
void hc_vm_join(struct hc_vm *vm);
void hc_vm_destroy(struct hc_vm *vm);

#endif
