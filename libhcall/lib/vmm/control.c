// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket: the command table and what each command does. The
 * socket server (one thread, poll(), bounded everything) is
 * control_server.c. Handlers run on the server's thread and take pv.lock
 * only for what the guest's hypercalls also touch (the store, the
 * devices); counters are read with atomic loads, without it, so a client
 * never holds up a vCPU for long.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/backend/backend.h"
#include "hcall/common/jsonline.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/store.h"
#include "hcall/vmm/report.h"
#include "hcall/vmm/vm.h"

#include "control_impl.h"

#define MAX_TOKENS	128	/* a request is small: this bounds the "id" it may carry */
#define MAX_NAME	64
#define MAX_ARG		256

struct ctl_error {
	const char *cls;
	char desc[256];
};

static int error(struct ctl_error *e, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error(struct ctl_error *e, const char *cls, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	va_start(ap, fmt);
	vsnprintf(e->desc, sizeof(e->desc), fmt, ap);
	va_end(ap);
	return -1;
}

struct ctl_cmd;

/* One command being run. */
struct ctl_call {
	struct hc_control *c;
	const struct ctl_cmd *cmd;
	const char *arg;	/* its argument, if the command takes one */
	FILE *out;		/* where the answer's "return" value goes */
	struct ctl_error e;
};

struct ctl_cmd {
	const char *name;
	const char *arg;	/* its one argument's name; NULL: it takes none */
	const char *help;
	/* Write the "return" value to k->out and return 0, or fill k->e and return -1. */
	int (*fn)(struct ctl_call *k);
	const char *how;	/* what it writes into the store, if it does */
};

static const char *vm_state(struct hc_vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) == HC_STOP_NONE ? "running" :
	       "stopping";
}

/* A store node holding a number, or -1. Under pv.lock. */
static long long store_num(struct hc_vm *vm, const char *node)
{
	char v[24];
	size_t n = 0;
	char *end;
	long long x;

	if (!vm->pv.store || hc_store_read(vm->pv.store, node, v, sizeof(v) - 1, &n))
		return -1;
	v[n] = 0;
	x = strtoll(v, &end, 10);
	return end == v || *end || x < 0 ? -1 : x;
}

/*
 * info's "balloon": the target the host set, what the guest says it has
 * and why it stops short (its memory/current and memory/status; -1 and ""
 * without a balloon driver), and what the shim has actually taken back.
 * Under pv.lock.
 */
static void cmd_info_balloon(struct ctl_call *k)
{
	struct hc_vm *vm = k->c->vm;
	char status[64] = "";
	size_t n = 0;

	if (!vm->pv.store ||
	    hc_store_read(vm->pv.store, "memory/status", status, sizeof(status) - 1, &n))
		n = 0;
	status[n] = 0;
	fprintf(k->out, "\"balloon\":{\"target-kib\":%lld,\"current-kib\":%lld,"
		"\"released-kib\":%llu,\"status\":", store_num(vm, "memory/target"),
		store_num(vm, "memory/current"),
		(unsigned long long)(hc_balloon_released(vm) >> 10));
	hc_json_put_string(k->out, status, n);
	/* Free page reporting: offered, and what the guest reported in all. */
	fprintf(k->out, ",\"page-reporting\":%s,\"discarded-kib\":%llu}",
		vm->mode.page_reporting ? "true" : "false",
		(unsigned long long)(hc_balloon_discarded(vm) >> 10));
}

static int cmd_info(struct ctl_call *k)
{
	struct hc_control *c = k->c;
	struct hc_vm *vm = c->vm;
	const char *sep = "";

	fprintf(k->out, "{\"vcpus\":%d,\"memory\":%llu,\"memory-mib\":%llu,\"mode\":\"%s\","
		"\"state\":\"%s\",", vm->ncpus, (unsigned long long)vm->mem,
		(unsigned long long)(vm->mem >> 20), vm->pv.enabled ? "pv" : "hvm", vm_state(vm));
	/* The devices change state under pv.lock, with the guest's store calls. */
	pthread_mutex_lock(&vm->pv.lock);
	cmd_info_balloon(k);
	fputs(",\"devices\":[", k->out);
	for (int i = 0; vm->backends && vm->pv.store && i < vm->backends->n; i++, sep = ",") {
		struct hc_backend_dev *d = &vm->backends->d[i];

		fprintf(k->out, "%s{\"type\":\"%s\",\"devid\":%u,\"frontend\":\"%s\","
			"\"backend\":\"%s\",\"backend-state\":%d,\"frontend-state\":%lld,"
			"\"rings\":%u}", sep, d->type->name, d->devid, d->fe, d->be, d->be_state,
			hc_backend_get_num(vm, d->fe, "state"), d->nr_rings);
	}
	pthread_mutex_unlock(&vm->pv.lock);
	fprintf(k->out, "],\"control\":{\"clients\":%u,\"served\":%llu,\"dropped\":%llu,"
		"\"refused\":%llu}}", c->nclients, (unsigned long long)c->served,
		(unsigned long long)c->dropped, (unsigned long long)c->refused);
	return 0;
}

/* The --stats-json document, live and on one line. */
static int cmd_stats(struct ctl_call *k)
{
	struct hc_vm *vm = k->c->vm;
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	int ret;

	if (!f)
		return error(&k->e, "GenericError", "out of memory");
	/* Takes pv.lock itself, only for what needs it: the counters are atomics. */
	ret = hc_report_json(vm, k->c->stats_fd, f);
	if (fclose(f) || ret) {
		free(doc);
		return error(&k->e, "GenericError", "cannot collect the statistics");
	}
	len = hc_json_squeeze(doc, len);
	fwrite(doc, 1, len, k->out);
	free(doc);
	return 0;
}

/*
 * shutdown, reboot: as Xen's toolstack does, write k->cmd->how into
 * control/shutdown and let the guest act. Only a guest that says it
 * listens (control/feature-<how>, as Linux's drivers/xen/manage.c writes
 * it) is asked: any other would never act, and saying so is better than a
 * silent success.
 */
static int cmd_power(struct ctl_call *k)
{
	struct hc_vm *vm = k->c->vm;
	const char *how = k->cmd->how;
	char node[64], val[8];
	size_t n = 0;
	int ret = 0, w;

	if (!vm->pv.enabled)
		return error(&k->e, "Unsupported", "not supported without PV: this HVM guest has "
			     "no power button to press (use quit)");
	snprintf(node, sizeof(node), "control/feature-%s", how);
	pthread_mutex_lock(&vm->pv.lock);
	if (!vm->pv.store) {
		ret = error(&k->e, "GenericError", "the VM is stopping");
	} else if (vm->pv.resetting) {
		/* The old kernel is going, the next has not said it listens. */
		ret = error(&k->e, "Busy", "the guest is in a soft reset (kexec); try again");
	} else if (hc_store_read(vm->pv.store, node, val, sizeof(val), &n) || n != 1 ||
		   val[0] != '1') {
		ret = error(&k->e, "GuestUnsupported", "the guest does not handle "
			    "control/shutdown (no %s=1 in its store; use quit)", node);
	} else {
		w = hc_store_write(vm->pv.store, HC_STORE_TOOL, "control/shutdown", how,
				   strlen(how));
		if (w)
			ret = error(&k->e, "GenericError", "store: %s", strerror(-w));
	}
	pthread_mutex_unlock(&vm->pv.lock);
	if (!ret)
		fputs("{}", k->out);
	return ret;
}

static int cmd_quit(struct ctl_call *k)
{
	hc_vm_stop(k->c->vm, HC_STOP_QUIT, "stopped by quit on the control socket");
	fputs("{}", k->out);
	return 0;
}

/* SIZE as --mem takes it: MiB, or a number with K, M or G. 0 if it is none. */
static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (*end && *end != 'm' && *end != 'M' && shift == 20)
		return 0;
	if ((*end && end[1]) || v > (1ull << 40) >> shift)
		return 0;
	return (uint64_t)v << shift;
}

static int cmd_mem_set(struct ctl_call *k)
{
	uint64_t size = parse_size(k->arg), mem = k->c->vm->mem;
	int ret;

	if (!size || (size & 0xfff))
		return error(&k->e, "InvalidParameter", "bad size '%s': a page multiple, e.g. "
			     "512M", k->arg);
	if (size > mem)
		return error(&k->e, "InvalidParameter", "%s is more than the guest's %llu MiB",
			     k->arg, (unsigned long long)(mem >> 20));
	if (!k->c->vm->pv.enabled)
		return error(&k->e, "Unsupported", "not supported without PV: an HVM guest has "
			     "no store to read a target from");
	pthread_mutex_lock(&k->c->vm->pv.lock);
	ret = hc_balloon_set_target(k->c->vm, size);
	pthread_mutex_unlock(&k->c->vm->pv.lock);
	if (ret)
		return error(&k->e, "GenericError", "store: %s", strerror(-ret));
	/* The guest's balloon driver follows; info shows how far it got. */
	fprintf(k->out, "{\"target-kib\":%llu}", (unsigned long long)(size >> 10));
	return 0;
}

static int cmd_help(struct ctl_call *k);

static const struct ctl_cmd commands[] = {
	{ "info", NULL, "vCPUs, memory, mode, state and devices", cmd_info, NULL },
	{ "stats", NULL, "the --stats-json counters, now", cmd_stats, NULL },
	{ "shutdown", NULL, "ask a PV guest to power off (control/shutdown)", cmd_power,
	  "poweroff" },
	{ "reboot", NULL, "ask a PV guest to reboot (control/shutdown)", cmd_power, "reboot" },
	{ "quit", NULL, "stop the VM now", cmd_quit, NULL },
	{ "mem-set", "size", "the guest's memory target: memory/target, for its balloon driver", cmd_mem_set,
	  NULL },
	{ "help", NULL, "this list", cmd_help, NULL },
};

static int cmd_help(struct ctl_call *k)
{
	putc('[', k->out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(k->out, "%s{\"name\":\"%s\",", i ? "," : "", commands[i].name);
		if (commands[i].arg)
			fprintf(k->out, "\"arg\":\"%s\",", commands[i].arg);
		fprintf(k->out, "\"help\":\"%s\"}", commands[i].help);
	}
	putc(']', k->out);
	return 0;
}

static const struct ctl_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Every member of object @obj is one of @names (NULL-terminated)? */
static int only_members(const struct hc_json *j, unsigned int obj, const char *const *names,
			struct ctl_error *e, const char *what)
{
	unsigned int k = obj + 1;
	char key[MAX_NAME];

	for (uint32_t m = 0; m < j->tok[obj].count; m++, k = j->tok[k + 1].next) {
		const char *const *n;

		for (n = names; *n && !hc_json_string_is(j, k, *n); n++)
			;
		if (*n)
			continue;
		if (hc_json_string(j, k, key, sizeof(key)) < 0)
			snprintf(key, sizeof(key), "(unprintable)");
		return error(e, "InvalidRequest", "unexpected %s '%s'", what, key);
	}
	return 0;
}

/* The command's argument from "arguments" (@args, -1 if absent) into @arg. */
static int get_argument(const struct hc_json *j, int args, const struct ctl_cmd *cmd,
			char *arg, struct ctl_error *e)
{
	const char *const names[] = { cmd->arg, "arg", NULL };
	int a = -1;

	if (args >= 0 && only_members(j, (unsigned int)args, cmd->arg ? names : names + 2, e,
				      "argument"))
		return -1;
	if (!cmd->arg)
		return 0;
	if (args >= 0) {
		if (j->tok[args].count > 1)
			return error(e, "InvalidParameter", "'%s' given twice", cmd->arg);
		a = hc_json_member(j, (unsigned int)args, cmd->arg);
		if (a < 0)
			a = hc_json_member(j, (unsigned int)args, "arg");
	}
	if (a < 0)
		return error(e, "InvalidParameter", "%s needs its argument '%s'", cmd->name,
			     cmd->arg);
	if (hc_json_string(j, (unsigned int)a, arg, MAX_ARG) < 0)
		return error(e, "InvalidParameter", "'%s' must be a string of at most %d bytes",
			     cmd->arg, MAX_ARG - 1);
	return 0;
}

/* Parse and run one request (@k: where it answers); its "id" token into *@id (-1: none). */
static int run_request(struct ctl_call *k, struct hc_json *j, const char *line, size_t len,
		       int *id)
{
	static const char *const keys[] = { "execute", "arguments", "id", NULL };
	char name[MAX_NAME], arg[MAX_ARG];
	struct ctl_error *e = &k->e;
	int ex, args;

	if (hc_json_parse(j, line, len, j->tok, MAX_TOKENS))
		return error(e, "ParseError", "%s at byte %zu", j->err, j->err_at);
	if (j->tok[0].type != HC_JSON_OBJECT)
		return error(e, "InvalidRequest", "a request is a JSON object");
	*id = hc_json_member(j, 0, "id");
	if (only_members(j, 0, keys, e, "member"))
		return -1;
	ex = hc_json_member(j, 0, "execute");
	if (ex < 0 || j->tok[ex].type != HC_JSON_STRING)
		return error(e, "InvalidRequest", "\"execute\" (a command name) is required");
	if (hc_json_string(j, (unsigned int)ex, name, sizeof(name)) < 0)
		return error(e, "CommandNotFound", "no such command (try help)");
	k->cmd = find_command(name);
	if (!k->cmd)
		return error(e, "CommandNotFound", "no command '%s' (try help)", name);
	args = hc_json_member(j, 0, "arguments");
	if (args >= 0 && j->tok[args].type != HC_JSON_OBJECT)
		return error(e, "InvalidRequest", "\"arguments\" must be an object");
	if (get_argument(j, args, k->cmd, arg, e))
		return -1;
	k->arg = k->cmd->arg ? arg : NULL;
	return k->cmd->fn(k);
}

int hc_control_handle(struct hc_control *c, const char *line, size_t len, char **answer,
		      size_t *alen)
{
	struct hc_json_tok tok[MAX_TOKENS];
	struct hc_json j = { .tok = tok };
	struct ctl_call k = { .c = c };
	char *vbuf = NULL;
	size_t vlen = 0;
	int id = -1, ret;
	FILE *f;

	k.out = open_memstream(&vbuf, &vlen);
	if (!k.out)
		return -1;
	ret = run_request(&k, &j, line, len, &id);
	if (fclose(k.out))
		ret = error(&k.e, "GenericError", "out of memory");
	f = open_memstream(answer, alen);
	if (!f) {
		free(vbuf);
		return -1;
	}
	if (ret) {
		fprintf(f, "{\"error\":{\"class\":\"%s\",\"desc\":", k.e.cls);
		hc_json_put_string(f, k.e.desc, strlen(k.e.desc));
		putc('}', f);
	} else {
		fputs("{\"return\":", f);
		fwrite(vbuf, 1, vlen, f);
	}
	free(vbuf);
	if (id >= 0) {
		/* Echoed as the client wrote it, white space dropped: still one line. */
		char raw[HC_CONTROL_MAX_LINE];
		size_t n = tok[id].end - tok[id].start;

		if (n <= sizeof(raw)) {
			memcpy(raw, line + tok[id].start, n);
			fputs(",\"id\":", f);
			fwrite(raw, 1, hc_json_squeeze(raw, n), f);
		}
	}
	fputs("}\n", f);
	if (fclose(f)) {
		free(*answer);
		*answer = NULL;
		return -1;
	}
	c->served++;
	return 0;
}

void hc_control_set_idle_timeout(struct hc_control *c, unsigned int ms)
{
	c->idle_ms = ms;
}

struct hc_control *hc_control_new(struct hc_vm *vm)
{
	struct hc_control *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->vm = vm;
	c->listen_fd = c->wake_fd = c->lock_fd = -1;
	c->idle_ms = HC_CONTROL_IDLE_MS;
	for (int i = 0; i < HC_MAX_VCPUS; i++)
		c->stats_fd[i] = i < vm->ncpus && vm->vcpu[i].fd >= 0 ?
				 ioctl(vm->vcpu[i].fd, KVM_GET_STATS_FD, NULL) : -1;
	return c;
}
