/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket (hcall-run --control PATH): a running VM steered the
 * way QMP steers QEMU. A Unix stream socket, mode 0600, served by one
 * thread with poll(); peers must be our uid or root (SO_PEERCRED). Each
 * request is one line of JSON, {"execute":"NAME"} with optional
 * "arguments" (an object) and "id" (echoed), and gets one line back:
 * {"return":VALUE} or {"error":{"class":"...","desc":"..."}}. Commands are
 * rows of one table (control.c); a command with an argument takes it
 * under its own name or as "arg" (what hcall-ctl sends).
 */
#ifndef HCALL_VMM_CONTROL_H
#define HCALL_VMM_CONTROL_H

#include <stddef.h>

#define HC_CONTROL_MAX_LINE	4096	/* request bytes before the newline */
#define HC_CONTROL_MAX_CLIENTS	16
#define HC_CONTROL_MAX_OUTPUT	(2u << 20)	/* unread answers: past it, the client goes */
#define HC_CONTROL_IDLE_MS	60000	/* no line completed for so long: the client goes */

struct hc_vm;
struct hc_control;

/*
 * The control endpoint of @vm, no socket yet. It opens each vCPU's KVM
 * stats fd for "stats", so call it once the vCPUs exist and before they
 * run. NULL if out of memory.
 */
struct hc_control *hc_control_new(struct hc_vm *vm);
/*
 * Listen on @path and start serving. A path that exists is refused unless
 * it is a socket of ours nobody listens on any more (left by a killed
 * hcall-run), which is replaced. @path.lock is created (0600) and flocked
 * till hc_control_free, which removes both. 0 or -1 + @err.
 */
int hc_control_listen(struct hc_control *c, const char *path, char *err, size_t errlen);
/* Before hc_control_listen: how long a client may go without a whole line (tests). */
void hc_control_set_idle_timeout(struct hc_control *c, unsigned int ms);
/*
 * Answer one request line @line (@len bytes, no newline): a malloc'd
 * answer line, newline included, in *@answer (*@alen bytes). 0, or -1 when
 * out of memory.
 */
int hc_control_handle(struct hc_control *c, const char *line, size_t len, char **answer,
		      size_t *alen);
/* Stop serving (answers already made are sent if the peer takes them), unlink, free. */
void hc_control_free(struct hc_control *c);

#endif
