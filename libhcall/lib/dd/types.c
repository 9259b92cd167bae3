// SPDX-License-Identifier: LGPL-2.1-or-later
/* The device types hcall-dd serves: one row each. */
#include <stddef.h>

#include "hcall/dd/ddtypes.h"

extern const struct hc_dd_backend_ops hc_dd_vbd_ops;	/* vbdback.c */

const struct hc_dd_backend_ops *const hc_dd_backend_types[] = {
	&hc_dd_vbd_ops,
	NULL,
};

const struct hc_dd_backend_ops *hc_dd_backend_find(uint32_t type)
{
	unsigned int i;

	for (i = 0; hc_dd_backend_types[i]; i++)
		if (hc_dd_backend_types[i]->type == type)
			return hc_dd_backend_types[i];
	return NULL;
}

/* The largest of the unsigned int at @field over every type. */
static unsigned int most(size_t field)
{
	unsigned int i, n = 0;

	for (i = 0; hc_dd_backend_types[i]; i++) {
		const unsigned int *v = (const void *)((const char *)hc_dd_backend_types[i] + field);

		if (*v > n)
			n = *v;
	}
	return n;
}

unsigned int hc_dd_max_attach_fds(void)
{
	return most(offsetof(struct hc_dd_backend_ops, attach_fds));
}

unsigned int hc_dd_max_ring_fds(void)
{
	return most(offsetof(struct hc_dd_backend_ops, ring_fds));
}
