// SPDX-License-Identifier: LGPL-2.1-or-later
/* Exit statistics: what every PV feature is measured against. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/pv/hypercall.h"
#include "hcall/vmm/report.h"
#include "hcall/backend/backend.h"

struct totals {
	struct hc_kvm_stats kvm;
	int have_kvm;
	uint64_t user[HC_EXIT_REASONS];
	uint64_t user_total;
};

/* @stats_fd: the vCPUs' stats fds, or NULL to open them (that waits for each vCPU). */
static void collect(struct hc_vm *vm, struct totals *t, const int *stats_fd)
{
	int i, r;

	for (i = 0; i < vm->ncpus; i++) {
		int fd = stats_fd ? stats_fd[i] : ioctl(vm->vcpu[i].fd, KVM_GET_STATS_FD, NULL);

		if (fd >= 0) {
			if (hc_kvm_stats_add(&t->kvm, fd) == 0)
				t->have_kvm = 1;
			if (!stats_fd)
				close(fd);
		}
		/* Live, each vCPU thread counts on meanwhile: read whole, never torn. */
		for (r = 0; r < HC_EXIT_REASONS; r++) {
			uint64_t n = __atomic_load_n(&vm->vcpu[i].stats.exits[r], __ATOMIC_RELAXED);

			t->user[r] += n;
			t->user_total += n;
		}
	}
}

/* A counter another thread may be adding to: read whole, never torn. */
static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void table(struct hc_vm *vm, const struct totals *t, FILE *f)
{
	int i, r;

	fprintf(f, "== hcall-run exit statistics (%d vCPU%s) ==\n", vm->ncpus,
		vm->ncpus > 1 ? "s" : "");
	if (t->have_kvm) {
		fprintf(f, "%-28s %12s\n", "kvm counter (all vCPUs)", "count");
		for (i = 0; i < t->kvm.n; i++)
			if (t->kvm.c[i].value)
				fprintf(f, "%-28s %12llu\n", t->kvm.c[i].name,
					(unsigned long long)t->kvm.c[i].value);
	}
	fprintf(f, "%-28s %12llu\n", "exits to the shim", (unsigned long long)t->user_total);
	for (r = 0; r < HC_EXIT_REASONS; r++)
		if (t->user[r])
			fprintf(f, "  %-26s %12llu\n", hc_exit_reason_name((unsigned int)r),
				(unsigned long long)t->user[r]);
	if (vm->pv.enabled) {
		uint64_t calls = 0;

		for (i = 0; i <= HCALL_NR_HYPERCALLS; i++)
			calls += load(&vm->pv.calls[i]);
		fprintf(f, "%-28s %12llu\n", "hypercalls to the shim", (unsigned long long)calls);
		fprintf(f, "%-28s %12llu\n", "  of which failed",
			(unsigned long long)load(&vm->pv.errors));
		for (i = 0; i <= HCALL_NR_HYPERCALLS; i++)
			if (load(&vm->pv.calls[i]))
				fprintf(f, "  %-26s %12llu\n", hc_hypercall_name((uint64_t)i),
					(unsigned long long)load(&vm->pv.calls[i]));
	}
	fprintf(f, "%-28s %12s\n", "port I/O exits by port", "count");
	for (i = 0; i < 65536; i++) {
		uint64_t n = load(&vm->ports->count[i]);

		if (n)
			fprintf(f, "  0x%04x %31llu\n", i, (unsigned long long)n);
	}
}

/*
 * @live: the VM runs; pv.lock is taken only around what the guest's
 * hypercalls change under it (the devices, the grant table's size).
 */
static void json(struct hc_vm *vm, const struct totals *t, FILE *f, int live)
{
	const char *sep = "";
	int i, r;

	fprintf(f, "{\n  \"vcpus\": %d,\n  \"stop\": %d,\n  \"kvm\": {", vm->ncpus,
		(int)__atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE));
	for (i = 0; i < t->kvm.n; i++, sep = ",")
		fprintf(f, "%s\n    \"%s\": %llu", sep, t->kvm.c[i].name,
			(unsigned long long)t->kvm.c[i].value);
	fprintf(f, "\n  },\n  \"shim_exits\": %llu,\n  \"shim_exits_by_reason\": {",
		(unsigned long long)t->user_total);
	for (r = 0, sep = ""; r < HC_EXIT_REASONS; r++)
		if (t->user[r]) {
			fprintf(f, "%s\n    \"%s\": %llu", sep, hc_exit_reason_name((unsigned int)r),
				(unsigned long long)t->user[r]);
			sep = ",";
		}
	fprintf(f, "\n  },\n  \"hypercalls\": {");
	for (i = 0, sep = ""; i <= HCALL_NR_HYPERCALLS; i++, sep = ",")
		fprintf(f, "%s\n    \"%d\": %llu", sep, i,
			(unsigned long long)load(&vm->pv.calls[i]));
	fprintf(f, "\n  },\n  \"hypercall_names\": {");	/* the keys of "hypercalls" */
	for (i = 0, sep = ""; i <= HCALL_NR_HYPERCALLS; i++, sep = ",")
		fprintf(f, "%s\n    \"%d\": \"%s\"", sep, i, hc_hypercall_name((uint64_t)i));
	fprintf(f, "\n  },\n  \"hypercall_errors\": %llu,",
		(unsigned long long)load(&vm->pv.errors));
	if (live)
		pthread_mutex_lock(&vm->pv.lock);
	fprintf(f, "\n  \"gnttab_frames\": %u,", vm->pv.gnttab_frames);
	hc_backends_report_json(vm, f);	/* each device type's counters */
	if (live)
		pthread_mutex_unlock(&vm->pv.lock);
	fprintf(f, "\n  \"pio_by_port\": {");
	for (i = 0, sep = ""; i < 65536; i++) {
		uint64_t n = load(&vm->ports->count[i]);

		if (n) {
			fprintf(f, "%s\n    \"0x%04x\": %llu", sep, i, (unsigned long long)n);
			sep = ",";
		}
	}
	fprintf(f, "\n  }\n}\n");
}

int hc_report_stats(struct hc_vm *vm, FILE *f, const char *json_path)
{
	struct totals *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return -1;
	collect(vm, t, NULL);
	if (f)
		table(vm, t, f);
	if (json_path) {
		FILE *jf = fopen(json_path, "w");

		if (jf)
			json(vm, t, jf, 0);
		if (!jf || fclose(jf)) {
			fprintf(stderr, "hcall-run: cannot write %s\n", json_path);
			ret = -1;
		}
	}
	free(t);
	return ret;
}

int hc_report_json(struct hc_vm *vm, const int *stats_fd, FILE *f)
{
	struct totals *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	collect(vm, t, stats_fd);
	json(vm, t, f, 1);
	free(t);
	return ferror(f) ? -1 : 0;
}
