// SPDX-License-Identifier: LGPL-2.1-or-later
/* The split device types the shim offers: one row each. */
#include "hcall/backend/backend.h"

#include "hcall/backend/vbd.h"
#include "hcall/backend/vif.h"

const struct hc_backend_type *const hc_backend_types[] = {
	&hc_vbd_type,
	&hc_vif_type,
	NULL,
};
