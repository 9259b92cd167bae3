/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The console backend: the guest's console ring and the host's output. */
#ifndef HCALL_PV_CONSOLE_H
#define HCALL_PV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct hc_vm;

/* Console backend: drain guest output, push input; thread-safe. */
void hc_console_drain(struct hc_vm *vm);
unsigned int hc_console_input(struct hc_vm *vm, const uint8_t *buf, unsigned int len);
/* Start the console thread for the registered ring; pv.lock held. 0 or -errno. */
int hc_console_start(struct hc_vm *vm);
/* Stop and join the console thread; pv.lock not held. */
void hc_console_stop(struct hc_vm *vm);
/*
 * Write console output to vm->console_fd without ever blocking for good:
 * a stalled reader costs output, not the VM. Once the VM is stopping,
 * waiting for the reader ends HC_CONSOLE_GRACE_MS after the stop.
 */
#define HC_CONSOLE_GRACE_MS	1000
void hc_console_write(struct hc_vm *vm, const void *buf, size_t len);
/* Make @fd the console output, non-blocking if it is a pipe or a tty. */
void hc_console_set_output(struct hc_vm *vm, int fd);
/*
 * Feed @fd (the host's stdin) to the guest's console until EOF or until the
 * VM stops; runs in its own thread, joined before the VM goes away.
 */
void hc_console_pump_input(struct hc_vm *vm, int fd);

#endif
