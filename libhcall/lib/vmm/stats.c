// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reading KVM's binary statistics (Documentation/virt/kvm/api.rst, 4.133). */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcall/vmm/stats.h"

static struct hc_counter *counter(struct hc_kvm_stats *ks, const char *name)
{
	int i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->c[i].name, name))
			return &ks->c[i];
	if (ks->n == HC_KVM_COUNTERS)
		return NULL;
	snprintf(ks->c[ks->n].name, sizeof(ks->c[0].name), "%s", name);
	ks->c[ks->n].value = 0;
	return &ks->c[ks->n++];
}

int hc_kvm_stats_add(struct hc_kvm_stats *ks, int fd)
{
	struct kvm_stats_header h;
	size_t dsz;
	uint8_t *descs = NULL;
	uint32_t i;
	int ret = -1;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.num_desc > 4096 ||
	    h.name_size > 256)
		return -1;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc))
		goto out;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsz);
		struct hc_counter *c;
		uint64_t v;

		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE ||
		    (d->flags & KVM_STATS_UNIT_MASK) != KVM_STATS_UNIT_NONE || d->size != 1)
			continue;
		d->name[h.name_size - 1] = '\0';
		if (pread(fd, &v, sizeof(v), h.data_offset + d->offset) != sizeof(v))
			goto out;
		c = counter(ks, d->name);
		if (c)
			c->value += v;
	}
	ret = 0;
out:
	free(descs);
	return ret;
}

uint64_t hc_kvm_stats_get(const struct hc_kvm_stats *ks, const char *name)
{
	int i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->c[i].name, name))
			return ks->c[i].value;
	return 0;
}

const char *hc_exit_reason_name(unsigned int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
		[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall",
		[KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_MMIO] = "mmio", [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
		[KVM_EXIT_SHUTDOWN] = "shutdown", [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr", [KVM_EXIT_SET_TPR] = "set_tpr",
		[KVM_EXIT_TPR_ACCESS] = "tpr_access", [KVM_EXIT_NMI] = "nmi",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_X86_RDMSR] = "rdmsr", [KVM_EXIT_X86_WRMSR] = "wrmsr",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "other";
}
