// SPDX-License-Identifier: LGPL-2.1-or-later
/* The device types hcall-dd serves: one row each. */
#include "hcall/dd/ddtypes.h"

extern const struct hc_dd_backend_ops hc_dd_vbd_ops;	/* vbdback.c */
extern const struct hc_dd_backend_ops hc_dd_vif_ops;	/* vifback.c */

static const struct hc_dd_backend_ops *const types[] = {
	&hc_dd_vbd_ops,
	&hc_dd_vif_ops,
	NULL,
};

const struct hc_dd_backend_ops *hc_dd_backend_find(uint32_t type)
{
	unsigned int i;

	for (i = 0; types[i]; i++)
		if (types[i]->type == type)
			return types[i];
	return NULL;
}

unsigned int hc_dd_max_ring_fds(void)
{
	unsigned int i, n = 0;

	for (i = 0; types[i]; i++)
		if (types[i]->ring_fds > n)
			n = types[i]->ring_fds;
	return n;
}
