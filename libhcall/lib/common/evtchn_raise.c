// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Raising an event on a guest's port: set the pending bit in shared info
 * and, if the vCPU had no upcall pending, signal the upcall irqfd. Shared by
 * the shim (evtchn.c) and the driver domain (ddring.c).
 */
#include <unistd.h>

#include "hcall/common/evtchn_raise.h"

void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, int upcall_fd)
{
	uint64_t bit, wbit, one = 1;
	struct hcall_vcpu_info *vi;

	if (!s || port == 0 || port >= HCALL_NR_EVTCHN)
		return;
	bit = 1ull << (port % 64);
	wbit = 1ull << (port / 64);
	if (__atomic_fetch_or(&s->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;		/* already pending: the guest will see it */
	if (__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
		return;		/* masked: the guest rechecks on unmask */
	vi = &s->vcpu_info[0];
	__atomic_fetch_or(&vi->evtchn_pending_sel, wbit, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) == 0) {
		if (write(upcall_fd, &one, sizeof(one)) < 0) {
			/* Only fails on counter overflow: an upcall is queued anyway. */
		}
	}
}
