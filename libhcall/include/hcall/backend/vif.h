/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual network interfaces (Xen's netif): the vif backend type (lib/backend/vif.c). */
#ifndef HCALL_BACKEND_VIF_H
#define HCALL_BACKEND_VIF_H

#include "hcall/backend/backend.h"

#define HC_MAX_NICS		4
#define HC_VIF_MAX_QUEUES	4

extern const struct hc_backend_type hc_vif_type;

#endif
