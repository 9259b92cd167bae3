// SPDX-License-Identifier: LGPL-2.1-or-later
/* hcall-run: boot a Linux bzImage on /dev/kvm with hcall's shim. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hcall/backend/backend.h"
#include "hcall/boot/boot.h"
#include "hcall/common/toolpath.h"
#include "hcall/pv/console.h"
#include "hcall/vmm/control.h"
#include "hcall/vmm/crashdump.h"
#include "hcall/vmm/report.h"
#include "hcall/vmm/vm.h"

/* Exit statuses: documented in --help and README.md. */
enum {
	EXIT_CLEAN = 0,
	EXIT_VMM = 1,
	EXIT_USAGE = 2,
	EXIT_PANIC = 3,
	EXIT_TIMEOUT = 4,
	EXIT_SIGNAL = 5,
	EXIT_HALTED = 6,
};

#define MAX_KERNEL   (256ull << 20)
#define MAX_INITRD   (4ull << 30)
#define PANIC_GRACE_MS 3000
#define HALT_QUIET_MS  1000	/* every vCPU blocked this long: probe them */
#define HALT_ROUNDS    2	/* probes in a row that find every vCPU stuck */

/* Each device type's lines (hc_backend_types[]) go between the two halves. */
static const char usage_head[] =
"usage: hcall-run --kernel BZIMAGE [options]\n"
"  --kernel FILE     Linux bzImage (x86 boot protocol 2.12+)\n"
"  --initrd FILE     initramfs\n"
"  --cmdline STR     kernel command line\n"
"  --cpus N          vCPUs, 1-8 (default 1)\n"
"  --mem SIZE        guest RAM, e.g. 256M or 1G; bare numbers are MiB (default 256M)\n"
"  --page-reporting  offer free page reporting: the guest's balloon driver tells the\n"
"                    host which memory is free, and the host drops it (as QEMU's\n"
"                    virtio-balloon free-page-reporting=on)\n"
"  --mem-prealloc    allocate all guest RAM at start, charged to hcall-run's memory\n"
"                    cgroup (else a page is charged to whoever touches it first,\n"
"                    which may be the driver domain)\n"
"  --stats           print VM exit counts by reason at exit (stderr)\n"
"  --stats-json FILE write the same counts as JSON\n"
"  --timeout SEC     stop the guest after SEC seconds\n"
"  --crash-dump FILE if the guest panics or triple-faults (an HVM guest's triple\n"
"                    fault too, though it exits 0 as a reset), write its memory to FILE:\n"
"                    byte A of the file is guest-physical address A (sparse)\n"
"  --ram-hva ADDR    for testing: map guest RAM at host virtual address ADDR (hex,\n"
"                    2 MiB aligned, 0x10000000 to 0x400000000000) so a host-side probe\n"
"                    can read guest memory (the lab's triple-fault kprobe); gives up\n"
"                    address randomization for guest RAM\n"
"  --hvm             plain HVM guest: full virtualization, no hcall platform and no\n"
"                    KVM paravirt leaves (xAPIC, no kvmclock, no PV EOI/IPI/...)\n"
"  --kvm-pv          with --hvm: show KVM's paravirt leaves, as a KVM user gets them\n"
"                    (an hcall PV guest always sees them, beside hcall's)\n"
"  --pv-off LIST     hide KVM paravirt features from the guest, comma-separated:\n"
"                    eoi,ipi,tlb,spin,steal,clock,yield,pollctl,asyncpf,iodelay,\n"
"                    x2apic (the CPUID bit), all\n";
static const char usage_tail[] =
"  --control PATH    steer the running VM through a Unix socket at PATH (mode 0600,\n"
"                    our uid or root only): hcall-ctl PATH info|stats|shutdown|...\n"
"  --dd-socket PATH  use the running hcall-dd listening on PATH instead of a\n"
"                    private one (default: spawn $HCALL_DD or hcall-dd next to us)\n"
"exit status: 0 guest powered off or reset (or quit), 1 VMM error, 2 bad arguments or\n"
"kernel file, 3 guest panic or PV triple fault, 4 timeout, 5 interrupted by a signal,\n"
"6 guest halted for good (every vCPU halted with interrupts off)\n";

/* A device option: its type (index in hc_backend_types[]) and value. */
struct dev_opt {
	unsigned int type;
	const char *spec;
};

struct opts {
	const char *kernel, *initrd, *cmdline, *stats_json, *dd_socket, *control, *crash_dump;
	struct dev_opt devs[HC_BACKEND_MAX_DEVS];
	int ndevs;
	int cpus, stats, hvm, kvm_pv, prealloc, page_reporting;
	uint64_t mem, pv_off, ram_hva;
	double timeout;
};

static void print_usage(FILE *f)
{
	fputs(usage_head, f);
	for (unsigned int t = 0; hc_backend_types[t]; t++)
		fputs(hc_backend_types[t]->help, f);
	fputs(usage_tail, f);
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hcall-run: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(EXIT_USAGE);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		die_usage("bad --mem value '%s'", s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': case '\0': v <<= 20; end += *end != '\0'; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: die_usage("bad --mem value '%s'", s);
	}
	if (*end || v > (1ull << 40) || v < (4ull << 20) || (v & 0xfff))
		die_usage("--mem '%s' must be a page multiple between 4M and 1T", s);
	return v;
}

/* getopt_long's value for device type @t's option. */
#define DEV_OPT(t) (0x100 + (int)(t))

/* A device option: check the type's limit, keep it for hc_backend_add(). */
static void add_dev(struct opts *o, unsigned int t, const char *spec)
{
	const struct hc_backend_type *bt = hc_backend_types[t];
	unsigned int n = 0;
	char msg[128];

	for (int i = 0; i < o->ndevs; i++)
		n += o->devs[i].type == t;
	if (n == bt->max_devs || o->ndevs == HC_BACKEND_MAX_DEVS) {
		snprintf(msg, sizeof(msg), "at most %u --%s, not '%%s'", bt->max_devs, bt->option);
		die_usage(msg, spec);
	}
	o->devs[o->ndevs++] = (struct dev_opt){ t, spec };
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option base[] = {
		{ "kernel", required_argument, 0, 'k' },
		{ "initrd", required_argument, 0, 'i' },
		{ "cmdline", required_argument, 0, 'c' },
		{ "cpus", required_argument, 0, 'n' },
		{ "mem", required_argument, 0, 'm' },
		{ "mem-prealloc", no_argument, 0, 'A' },
		{ "page-reporting", no_argument, 0, 'R' },
		{ "stats", no_argument, 0, 's' },
		{ "stats-json", required_argument, 0, 'j' },
		{ "timeout", required_argument, 0, 't' },
		{ "hvm", no_argument, 0, 'v' },
		{ "kvm-pv", no_argument, 0, 'P' },
		{ "pv-off", required_argument, 0, 'O' },
		{ "control", required_argument, 0, 'C' },
		{ "dd-socket", required_argument, 0, 'D' },
		{ "crash-dump", required_argument, 0, 'X' },
		{ "ram-hva", required_argument, 0, 'H' },
		{ "help", no_argument, 0, 'h' },
	};
	/* The fixed options, then one per device type. */
	struct option lo[sizeof(base) / sizeof(base[0]) + HC_BACKEND_MAX_TYPES + 1];
	unsigned int nlo = sizeof(base) / sizeof(base[0]), t;
	char *end, msg[128];
	int c;

	memcpy(lo, base, sizeof(base));
	for (t = 0; hc_backend_types[t] && t < HC_BACKEND_MAX_TYPES; t++)
		lo[nlo++] = (struct option){ hc_backend_types[t]->option, required_argument, 0,
					     DEV_OPT(t) };
	lo[nlo] = (struct option){ 0, 0, 0, 0 };
	*o = (struct opts){ .cmdline = "", .cpus = 1, .mem = 256ull << 20 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 'n':
			o->cpus = (int)strtol(optarg, &end, 10);
			if (*end || o->cpus < 1 || o->cpus > HC_MAX_VCPUS)
				die_usage("--cpus must be 1-8, not '%s'", optarg);
			break;
		case 'm': o->mem = parse_size(optarg); break;
		case 'A': o->prealloc = 1; break;
		case 'R': o->page_reporting = 1; break;
		case 's': o->stats = 1; break;
		case 'v': o->hvm = 1; break;
		case 'P': o->kvm_pv = 1; break;
		case 'O':
			if (hc_pv_off_parse(optarg, &o->pv_off, msg, sizeof(msg)))
				die_usage("%s", msg);
			break;
		case 'j': o->stats_json = optarg; break;
		case 'D': o->dd_socket = optarg; break;
		case 'C': o->control = optarg; break;
		case 'X': o->crash_dump = optarg; break;
		case 'H':
			errno = 0;
			o->ram_hva = strtoull(optarg, &end, 16);
			/* Never near NULL: a bad pointer must fault, not land in guest RAM. */
			if (errno || *end || o->ram_hva < 1u << 28 || o->ram_hva & ((2u << 20) - 1) ||
			    o->ram_hva >= 1ull << 46)
				die_usage("bad --ram-hva '%s': want a 2 MiB-aligned hex address "
					  "from 0x10000000 to 0x400000000000", optarg);
			break;
		case 't':
			o->timeout = strtod(optarg, &end);
			if (*end || !(o->timeout > 0))
				die_usage("bad --timeout '%s'", optarg);
			break;
		case 'h': print_usage(stdout); exit(EXIT_CLEAN);
		default:
			if (c >= DEV_OPT(0) && c < DEV_OPT(t)) {
				add_dev(o, (unsigned int)(c - DEV_OPT(0)), optarg);
				break;
			}
			print_usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!o->kernel)
		die_usage("%s", "--kernel is required");
	if (o->kvm_pv && !o->hvm)
		die_usage("%s", "--kvm-pv goes with --hvm (a PV guest sees KVM's leaves anyway)");
	if (o->pv_off && o->hvm && !o->kvm_pv)
		die_usage("%s", "--pv-off masks KVM's paravirt leaves: plain --hvm has none (add --kvm-pv)");
	if (o->hvm && o->page_reporting)
		die_usage("%s", "--page-reporting is the hcall balloon's: not with --hvm");
	/* A discarded page is charged to whoever touches it next: hcall-dd too. */
	if (o->prealloc && o->page_reporting)
		die_usage("%s", "--page-reporting gives back memory --mem-prealloc keeps charged to "
			  "hcall-run: one or the other");
	if (o->hvm && o->ndevs) {
		snprintf(msg, sizeof(msg), "--%s is a PV device: not with --hvm",
			 hc_backend_types[o->devs[0].type]->option);
		die_usage("%s", msg);
	}
}

static uint8_t *read_file(const char *path, uint64_t max, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "hcall-run: %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		fprintf(stderr, "hcall-run: %s: not a regular file of at most %llu MiB\n",
			path, (unsigned long long)(max >> 20));
		exit(EXIT_USAGE);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fprintf(stderr, "hcall-run: %s: out of memory\n", path);
		exit(EXIT_VMM);
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return buf;
}

/* Joined before the VM goes away: it writes into guest RAM and the irqfd. */
static void *stdin_thread(void *arg)
{
	hc_console_pump_input(arg, STDIN_FILENO);
	return NULL;
}

/* $HCALL_DD, else hcall-dd in the directory this program runs from. */
static const char *dd_binary(void)
{
	static char path[4096];

	return hc_tool_path("HCALL_DD", "hcall-dd", path, sizeof(path));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * A guest whose every vCPU halted with interrupts off never runs again: an
 * HVM guest without ACPI powers off so ("poweroff -f" halts every CPU).
 * With an in-kernel irqchip KVM keeps HLT to itself, so hcall-run watches
 * KVM's per-vCPU "blocking" statistic (its stats fd reads without taking the
 * vCPU's lock) and, once every vCPU has been blocked for HALT_QUIET_MS,
 * kicks them: each samples its own MP state, RFLAGS.IF and pending NMI
 * (hc_vcpu_probe). HALT_ROUNDS such rounds in a row end the guest. Without
 * the statistic (KVM before 5.16) it probes every HALT_QUIET_MS.
 */
struct halt_watch {
	int fd[HC_MAX_VCPUS];
	uint64_t off[HC_MAX_VCPUS];	/* of "blocking" in fd; 0: not offered */
	unsigned int probes[HC_MAX_VCPUS];	/* each vCPU's count at the kick */
	double quiet_since;		/* every vCPU blocked since (ms); 0: not */
	int kicked, rounds;
};

/* Before the vCPUs run: KVM_GET_STATS_FD takes the vCPU's lock. */
static void halt_watch_open(struct halt_watch *w, struct hc_vm *vm)
{
	struct kvm_stats_header h;
	size_t dsz;
	uint8_t *descs;

	memset(w, 0, sizeof(*w));
	for (int i = 0; i < vm->ncpus; i++) {
		w->fd[i] = ioctl(vm->vcpu[i].fd, KVM_GET_STATS_FD, NULL);
		if (w->fd[i] < 0 || pread(w->fd[i], &h, sizeof(h), 0) != sizeof(h) ||
		    h.num_desc > 4096 || h.name_size > 256 || h.name_size == 0)
			continue;
		dsz = sizeof(struct kvm_stats_desc) + h.name_size;
		descs = malloc(dsz * h.num_desc);
		if (descs && pread(w->fd[i], descs, dsz * h.num_desc, h.desc_offset) ==
		    (ssize_t)(dsz * h.num_desc)) {
			for (uint32_t d = 0; d < h.num_desc; d++) {
				struct kvm_stats_desc *sd = (void *)(descs + d * dsz);

				sd->name[h.name_size - 1] = '\0';
				if (!strcmp(sd->name, "blocking") && sd->size == 1)
					w->off[i] = h.data_offset + sd->offset;
			}
		}
		free(descs);
	}
}

static void halt_watch_close(struct halt_watch *w, struct hc_vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (w->fd[i] > 0)
			close(w->fd[i]);
}

/* Every vCPU blocked in the host kernel right now (or no way to tell)? */
static int all_blocking(struct halt_watch *w, struct hc_vm *vm)
{
	uint64_t v;

	for (int i = 0; i < vm->ncpus; i++)
		if (w->off[i] && (pread(w->fd[i], &v, sizeof(v), (off_t)w->off[i]) != sizeof(v) ||
				  !v))
			return 0;
	return 1;
}

/* Called every poll tick; returns 1 when the guest is halted for good. */
static int halt_watch_tick(struct halt_watch *w, struct hc_vm *vm, double t)
{
	int i, answered = 1, stuck = 1;

	if (w->kicked) {
		for (i = 0; i < vm->ncpus; i++) {
			struct hc_vcpu *v = &vm->vcpu[i];

			if (__atomic_load_n(&v->probes, __ATOMIC_ACQUIRE) == w->probes[i])
				answered = 0;
			else if (!__atomic_load_n(&v->stuck, __ATOMIC_RELAXED))
				stuck = 0;
		}
		if (!answered && t - w->quiet_since < 3 * HALT_QUIET_MS)
			return 0;	/* a kick may land late; a lost one fails the round */
		w->kicked = 0;
		w->rounds = answered && stuck ? w->rounds + 1 : 0;
		if (w->rounds >= HALT_ROUNDS)
			return 1;
		w->quiet_since = 0;
	}
	if (!all_blocking(w, vm)) {
		w->quiet_since = 0;
		w->rounds = 0;
		return 0;
	}
	if (!w->quiet_since)
		w->quiet_since = t;
	if (t - w->quiet_since < HALT_QUIET_MS)
		return 0;
	for (i = 0; i < vm->ncpus; i++) {
		w->probes[i] = __atomic_load_n(&vm->vcpu[i].probes, __ATOMIC_ACQUIRE);
		hc_vcpu_probe(&vm->vcpu[i]);
	}
	w->kicked = 1;
	return 0;
}

/* Wait for a stop request, a signal, the timeout, a panic that never ends
 * or a guest halted for good. */
static void wait_for_stop(struct hc_vm *vm, int sfd, int ddfd, double timeout,
			  struct halt_watch *hw)
{
	double start = now_ms(), panic_at = 0, dd_quiet = 0;
	/* The driver domain's socket, for its hang-up only (events 0). */
	struct pollfd p[3] = { { vm->stop_efd, POLLIN, 0 }, { sfd, POLLIN, 0 }, { -1, 0, 0 } };

	for (;;) {
		double t = now_ms();

		p[2].fd = t >= dd_quiet ? ddfd : -1;
		if (poll(p, 3, 100) > 0) {
			if (p[0].revents)
				return;
			if (p[1].revents) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) < 0)
					si.ssi_signo = 0;
				hc_vm_stop(vm, HC_STOP_SIGNAL, "stopped by signal %u", si.ssi_signo);
				return;
			}
			/* hcall-dd died: its devices go now, the guest told at once. */
			if (p[2].revents) {
				if (hc_backends_dd_hangup(vm, ddfd))
					ddfd = -1;
				else
					dd_quiet = t + 100;
			}
		}
		if (timeout > 0 && t - start > timeout * 1e3) {
			hc_vm_stop(vm, HC_STOP_TIMEOUT, "guest timed out after %.0f s", timeout);
			return;
		}
		if (vm->panic.seen && !panic_at)
			panic_at = t;
		if (panic_at && t - panic_at > PANIC_GRACE_MS) {
			hc_vm_stop(vm, HC_STOP_PANIC, "guest kernel panicked");
			return;
		}
		if (!panic_at && halt_watch_tick(hw, vm, t)) {
			hc_vm_stop(vm, HC_STOP_HALTED, "guest halted: every vCPU stopped with "
				   "interrupts off (%s)", vm->pv.enabled ? "it never powered off" :
				   "without ACPI an HVM guest's power-off only halts; a reboot "
				   "ends it cleanly");
			return;
		}
	}
}

/* A PV guest has no UART (patch 0005 leaves it unprobed): say so once. */
static void warn_pv_console(const char *cmdline)
{
	const char *p = cmdline;
	int len;

	while ((p = strstr(p, "console=ttyS"))) {
		if (p == cmdline || p[-1] == ' ') {
			len = (int)strcspn(p, " ");
			fprintf(stderr, "hcall-run: warning: %.*s: a PV guest has no serial port, so "
				"that console stays silent (use console=hvc0, or --hvm)\n", len, p);
			return;
		}
		p++;
	}
}

/*
 * Check the kernel image, create the VM and load the guest into it: 0, or
 * the exit status, with the VM destroyed.
 */
static int create_vm(struct hc_vm *vm, const struct opts *o, struct hc_boot_info *boot,
		     const uint8_t *kernel, size_t klen, const uint8_t *initrd, size_t ilen)
{
	char err[256];
	int ret;

	/* Validate the image before touching KVM: bad files are usage errors. */
	{
		struct hc_bzimage bz;

		if (hc_boot_plan(o->mem, kernel, klen, ilen, strlen(o->cmdline), o->cpus, &bz,
				 boot, err, sizeof(err))) {
			fprintf(stderr, "hcall-run: %s: %s\n", o->kernel, err);
			return EXIT_USAGE;
		}
	}
	if (hc_vm_create(vm, o->mem, o->ram_hva, o->cpus,
			 &(struct hc_cpu_mode){ .hcall = !o->hvm, .kvm_pv = !o->hvm || o->kvm_pv,
						.pv_off = o->pv_off,
						.page_reporting = o->page_reporting },
			 err, sizeof(err))) {
		fprintf(stderr, "hcall-run: %s\n", err);
		hc_vm_destroy(vm);
		return EXIT_VMM;
	}
	if (o->prealloc && (ret = hc_vm_populate(vm, 0, o->mem / 4096))) {
		fprintf(stderr, "hcall-run: --mem-prealloc: %s\n", strerror(-ret));
		hc_vm_destroy(vm);
		return EXIT_VMM;
	}
	hc_console_set_output(vm, STDOUT_FILENO);	/* a stalled stdout cannot hold us */
	if (hc_boot_setup(vm->ram, o->mem, kernel, klen, initrd, ilen, o->cmdline, o->cpus,
			  boot, err, sizeof(err))) {
		fprintf(stderr, "hcall-run: %s: %s\n", o->kernel, err);
		hc_vm_destroy(vm);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct hc_vm vm;
	static struct halt_watch hw;
	struct hc_boot_info boot;
	struct opts o;
	uint8_t *kernel, *initrd = NULL;
	size_t klen, ilen = 0;
	char err[256];
	sigset_t sigs;
	pthread_t in;
	struct hc_control *ctl = NULL;
	int sfd, ddfd, status, ret, in_started = 0, triple;

	parse_args(argc, argv, &o);
	if (!o.hvm)
		warn_pv_console(o.cmdline);
	kernel = read_file(o.kernel, MAX_KERNEL, &klen);
	if (o.initrd)
		initrd = read_file(o.initrd, MAX_INITRD, &ilen);

	ret = create_vm(&vm, &o, &boot, kernel, klen, initrd, ilen);
	free(kernel);
	free(initrd);
	if (ret)
		return ret;
	/*
	 * From here on a signal must not kill us outright: devices leave
	 * things on the host (a bridge, helper processes) that teardown
	 * removes. Blocked, they wait for the signalfd.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigdelset(&sigs, SIGPIPE);
	for (int i = 0; i < o.ndevs; i++) {
		const struct hc_backend_type *t = hc_backend_types[o.devs[i].type];

		if (hc_backend_add(&vm, t, o.devs[i].spec, err, sizeof(err))) {
			fprintf(stderr, "hcall-run: --%s %s\n", t->option, err);
			hc_vm_destroy(&vm);
			return EXIT_USAGE;
		}
	}
	if (hc_backends_start(&vm, dd_binary(), o.dd_socket, err, sizeof(err))) {
		fprintf(stderr, "hcall-run: %s\n", err);
		hc_vm_destroy(&vm);
		return EXIT_VMM;
	}
	ddfd = hc_backends_dd_fd(&vm);	/* before any vCPU may lose it */
	if (hc_vm_setup_bsp(&vm, boot.entry, HC_ZERO_PAGE_ADDR, err, sizeof(err))) {
		fprintf(stderr, "hcall-run: %s\n", err);
		hc_vm_destroy(&vm);
		return EXIT_VMM;
	}

	/* Before the vCPUs run: it opens their stats fds, which waits for each. */
	if (o.control && (!(ctl = hc_control_new(&vm)) ||
			  hc_control_listen(ctl, o.control, err, sizeof(err)))) {
		fprintf(stderr, "hcall-run: --control %s\n", ctl ? err : "out of memory");
		hc_control_free(ctl);
		hc_vm_destroy(&vm);
		return EXIT_USAGE;
	}
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	halt_watch_open(&hw, &vm);

	if (hc_vm_start(&vm, err, sizeof(err))) {
		fprintf(stderr, "hcall-run: %s\n", err);
		hc_vm_join(&vm);
		hc_control_free(ctl);
		hc_vm_destroy(&vm);
		return EXIT_VMM;
	}
	in_started = pthread_create(&in, NULL, stdin_thread, &vm) == 0;
	wait_for_stop(&vm, sfd, ddfd, o.timeout, &hw);
	hc_vm_join(&vm);
	hc_control_free(ctl);	/* before the store and the devices go */
	halt_watch_close(&hw, &vm);
	if (in_started)
		pthread_join(in, NULL);	/* the stop eventfd ends its wait */
	hc_pv_destroy(&vm);	/* drains the PV console: the guest's last lines */

	switch (vm.stop_reason) {
	case HC_STOP_POWEROFF:
	case HC_STOP_RESET:
	case HC_STOP_QUIT:
	case HC_STOP_TRIPLE_RESET: status = EXIT_CLEAN; break;
	case HC_STOP_PANIC: status = EXIT_PANIC; break;
	case HC_STOP_TIMEOUT: status = EXIT_TIMEOUT; break;
	case HC_STOP_SIGNAL: status = EXIT_SIGNAL; break;
	case HC_STOP_HALTED: status = EXIT_HALTED; break;
	default: status = EXIT_VMM; break;
	}
	/* An HVM guest's triple fault ends it as a reset would, but is said and dumped. */
	triple = vm.stop_reason == HC_STOP_TRIPLE_RESET;
	if (status != EXIT_CLEAN || vm.stop_reason == HC_STOP_QUIT || triple)
		fprintf(stderr, "%shcall-run: %s\n", vm.console_midline ? "\n" : "", vm.stop_msg);
	if (o.stats || o.stats_json)
		hc_report_stats(&vm, o.stats ? stderr : NULL, o.stats_json);
	/*
	 * Every vCPU has stopped and so has every ring of ours in a driver
	 * domain, private or shared, unless one was lost (then said); both
	 * ran on for a moment after the crash, so this is the memory then,
	 * not exactly at the crash.
	 */
	if ((status == EXIT_PANIC || triple) && o.crash_dump) {
		if (hc_crash_dump(vm.mem_fd, vm.mem, o.crash_dump, err, sizeof(err)))
			fprintf(stderr, "hcall-run: --crash-dump %s\n", err);
		else
			fprintf(stderr, "hcall-run: guest memory written to %s, %s\n", o.crash_dump,
				hc_backends_quiesced(&vm) ? "every driver-domain ring stopped"
							  : "a driver-domain ring may still run");
	}
	hc_vm_destroy(&vm);
	return status;
}
