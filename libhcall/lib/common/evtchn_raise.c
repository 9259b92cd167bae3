// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Raising an event on a guest's port: set the pending bit in shared info
 * and, if the port's vCPU had no upcall pending, signal that vCPU's upcall
 * irqfd. Shared by the shim (evtchn.c) and the driver domain (ddring.c).
 */
#include <unistd.h>

#include "hcall/common/evtchn_raise.h"

static unsigned int target(uint32_t port, const struct hc_upcalls *u)
{
	/* seq_cst: ordered after our pending read-modify-write, as bind_vcpu's store is. */
	unsigned int v = u->targets ? __atomic_load_n(&u->targets[port], __ATOMIC_SEQ_CST) : 0;

	return v < u->nr_vcpus ? v : 0;
}

/* The second level: the port's word in its vCPU's selector, then the upcall. */
static void upcall(struct hcall_shared_info *s, uint32_t port, const struct hc_upcalls *u)
{
	unsigned int v = target(port, u);
	struct hcall_vcpu_info *vi = &s->vcpu_info[v];
	uint64_t one = 1;

	__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << (port / 64), __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) == 0) {
		if (write(u->fds[v], &one, sizeof(one)) < 0) {
			/* Only fails on counter overflow: an upcall is queued anyway. */
		}
	}
}

/* A port the bitmaps have, of a guest whose upcalls we hold. */
static int raisable(const struct hcall_shared_info *s, uint32_t port)
{
	return s && port && port < HCALL_NR_EVTCHN;
}

static int upcalls_ok(const struct hc_upcalls *u)
{
	return u && u->nr_vcpus && u->nr_vcpus <= HCALL_MAX_VCPUS;
}

void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, const struct hc_upcalls *u)
{
	uint64_t bit = 1ull << (port % 64);

	if (!raisable(s, port))
		return;
	if (__atomic_fetch_or(&s->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;		/* already pending: the guest will see it */
	if (__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
		return;		/* masked: the guest rechecks on unmask */
	if (upcalls_ok(u))	/* else pending only: the guest finds it at its next scan */
		upcall(s, port, u);
}

void hc_evtchn_reraise(struct hcall_shared_info *s, uint32_t port, const struct hc_upcalls *u)
{
	uint64_t bit = 1ull << (port % 64);

	if (!raisable(s, port) || !upcalls_ok(u))
		return;
	if ((__atomic_load_n(&s->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & bit) &&
	    !(__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit))
		upcall(s, port, u);
}
