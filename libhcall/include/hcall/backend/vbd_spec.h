/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual block devices: the --disk specification. */
#ifndef HCALL_BACKEND_VBD_SPEC_H
#define HCALL_BACKEND_VBD_SPEC_H

#include <stddef.h>

#include "hcall/backend/vbd.h"

struct hc_vm;

/* Add a disk from "FILE[,ro]" (before hc_vbd_start). 0 or -1 + @err. */
int hc_vbd_add(struct hc_vm *vm, const char *spec, char *err, size_t errlen);

#endif
