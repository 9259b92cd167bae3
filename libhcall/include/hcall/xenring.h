/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Xen's public io/ring.h expects the includer to supply memory barriers
 * (mb/rmb/wmb). Userspace on x86-64: C11 fences are exactly what is needed.
 * Include this instead of <xen/io/ring.h> or any header that pulls it in.
 */
#ifndef HCALL_XENRING_H
#define HCALL_XENRING_H

#ifndef mb
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include <xen/xen.h>
#include <xen/io/ring.h>

#endif
