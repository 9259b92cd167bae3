// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HCALL_shutdown(HCALL_SHUTDOWN_SOFT_RESET): the guest keeps running but a
 * new kernel (kexec, kdump) owns its memory now, so the shim forgets every
 * page the old one registered and everything that writes into them: the
 * console thread, the backends' rings in the driver domain, event
 * channels, guest watches and their queued events. When the call returns
 * 0, nothing of the shim's or the driver domain's touches those pages
 * again; a driver domain that cannot be shown to have let go (a shared
 * hcall-dd that stopped answering) stops the VM instead.
 */
#include "hcall/backend/backend.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/console.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/pv.h"
#include "hcall/pv/softreset.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

int64_t hc_pv_soft_reset(struct hc_vm *vm)
{
	int stuck;

	pthread_mutex_lock(&vm->pv.lock);
	if (vm->pv.resetting) {
		pthread_mutex_unlock(&vm->pv.lock);
		return -HCALL_EAGAIN;
	}
	/* From here every other hypercall is -EAGAIN until we are done. */
	vm->pv.resetting = 1;
	__atomic_store_n(&vm->pv.cons, NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->pv.lock);

	/* Joined without pv.lock: the thread may be waiting for it. */
	hc_console_stop(vm);

	pthread_mutex_lock(&vm->pv.lock);
	/* Watches first: the devices' reset writes must not reach the guest. */
	hc_store_reset_guest(vm);
	stuck = hc_backends_reset(vm);
	hc_store_reset_guest(vm);
	vm->pv.cons_port = 0;
	vm->pv.cons_broken = 0;
	vm->pv.cons_out_cons = vm->pv.cons_in_prod = 0;
	vm->pv.cons_gpa = 0;
	vm->pv.start_info_gpa = 0;
	vm->pv.gnttab_gpa = 0;
	vm->pv.gnttab_frames = 0;
	__atomic_store_n(&vm->pv.shared, NULL, __ATOMIC_RELEASE);
	vm->pv.shared_gpa = 0;
	hc_evtchn_reset(vm);
	/* Stuck, the guest is stopped: no page a driver domain may write is punched. */
	if (!stuck)
		hc_balloon_reset(vm);
	vm->pv.resetting = 0;
	pthread_mutex_unlock(&vm->pv.lock);
	if (stuck) {
		/* The next kernel would get pages a driver domain still writes. */
		hc_vm_stop(vm, HC_STOP_ERROR, "soft reset: the driver domain did not release "
			   "guest memory");
		return -HCALL_EBUSY;
	}
	return 0;
}
