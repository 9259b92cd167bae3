// SPDX-License-Identifier: LGPL-2.1-or-later
/* The split device types the shim offers: one row each. */
#include "hcall/backend/backend.h"

extern const struct hc_backend_type hc_vbd_type;	/* vbd.c */

const struct hc_backend_type *const hc_backend_types[] = {
	&hc_vbd_type,
	NULL,
};
