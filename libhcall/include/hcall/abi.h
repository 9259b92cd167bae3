/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR LGPL-2.1-or-later */
/*
 * The hcall hypervisor ABI, version 2: the contract between an hcall guest
 * kernel and the hcall shim.
 *
 * One source of truth: libhcall/include/hcall/abi.h in the hcall project.
 * The patch series carries a byte-identical copy among the kernel's uapi
 * headers and the project's tests fail when the two differ.
 *
 * Every structure is fixed-width, naturally aligned and free of padding
 * holes; the static asserts at the end of the patch's hcall.c and in
 * libhcall's tests pin the sizes.
 */
#ifndef _UAPI_LINUX_HCALL_H
#define _UAPI_LINUX_HCALL_H

#include <linux/types.h>

#define HCALL_ABI_VERSION		2

/*
 * Detection: CPUID leaf HCALL_CPUID_BASE returns the highest hcall leaf in
 * eax and the signature "HcallHcallHc" in ebx, ecx, edx. The hcall leaves
 * sit at 0x40000100, beside KVM's own paravirt leaves at 0x40000000 (as
 * Xen's sit beside Viridian's); a guest finds them by their signature in
 * any of the 0x100-aligned ranges from 0x40000000 to 0x4000ff00 and reads
 * every other leaf relative to where it found them.
 */
#define HCALL_CPUID_BASE		0x40000100
#define HCALL_CPUID_SIG_EBX		0x6c616348	/* "Hcal" */
#define HCALL_CPUID_SIG_ECX		0x6163486c	/* "lHca" */
#define HCALL_CPUID_SIG_EDX		0x63486c6c	/* "llHc" */
/* eax: ABI version; ebx: HCALL_FEAT_* bits; ecx: number of vCPUs */
#define HCALL_CPUID_FEATURES		(HCALL_CPUID_BASE + 1)
/* eax: HCALL_XPORT_* bits; ebx: hypercall port; ecx: doorbell port */
#define HCALL_CPUID_TRANSPORT		(HCALL_CPUID_BASE + 2)
/* eax: guest TSC frequency in kHz; ebx: local APIC timer frequency in kHz */
#define HCALL_CPUID_TIMING		(HCALL_CPUID_BASE + 3)
#define HCALL_CPUID_MAX			HCALL_CPUID_TIMING

#define HCALL_FEAT_CONSOLE		(1u << 0)	/* PV console ring */
#define HCALL_FEAT_EVTCHN		(1u << 1)	/* event channels */
#define HCALL_FEAT_CLOCK		(1u << 2)	/* pvclock in shared info */
#define HCALL_FEAT_SHUTDOWN		(1u << 3)	/* shutdown hypercall */
#define HCALL_FEAT_STORE		(1u << 4)	/* store, bus and backend ports */
#define HCALL_FEAT_SOFT_RESET		(1u << 5)	/* HCALL_SHUTDOWN_SOFT_RESET */
#define HCALL_FEAT_BALLOON		(1u << 6)	/* HCALL_memory_op: a balloon */
#define HCALL_FEAT_PAGE_REPORTING	(1u << 7)	/* HCALL_MEM_DISCARD: free pages */
#define HCALL_FEAT_EVTCHN_VCPU		(1u << 8)	/* HCALL_evtchn_bind_vcpu */

/*
 * Transports. The guest emits the instruction that reaches the hypervisor
 * itself, inline, choosing among those leaf HCALL_CPUID_TRANSPORT offers;
 * nothing in guest text is written by the hypervisor.
 *
 * HCALL_XPORT_PIO: a hypercall is "out %eax,$HCALL_PORT_HYPERCALL" with
 * the hypercall number in eax, arguments in rdi, rsi, rdx, r10, r8 and the
 * result written to rax; no other register changes. An event-channel send
 * is "out %eax,$HCALL_PORT_DOORBELL" with the port in eax: for a port a
 * backend listens on, the host kernel ends it without an exit to the shim;
 * HCALL_evtchn_send is the same operation as a hypercall.
 */
#define HCALL_XPORT_PIO			(1u << 0)
#define HCALL_PORT_HYPERCALL		0xe8
#define HCALL_PORT_DOORBELL		0xec

/* Hypercall numbers. */
#define HCALL_null			0	/* () -> 0 */
#define HCALL_start_info		1	/* (gpa) -> 0: fill struct hcall_start_info */
#define HCALL_shared_info		2	/* (gpa) -> 0: register the shared-info page */
#define HCALL_console_setup		3	/* (gpa) -> port: register the console ring */
#define HCALL_evtchn_send		4	/* (port) -> >= 0 */
#define HCALL_evtchn_close		5	/* (port) -> 0 */
#define HCALL_shutdown			6	/* (HCALL_SHUTDOWN_*) -> does not return */
#define HCALL_gnttab_setup		7	/* (gpa, nr_frames) -> 0: the grant table */
#define HCALL_evtchn_alloc		8	/* (remote domid) -> port for a backend */
#define HCALL_store			9	/* (HCALL_STORE_*, path, buf, len) -> >= 0 */
#define HCALL_memory_op			10	/* (HCALL_MEM_*, gpa) -> 0 */
#define HCALL_evtchn_bind_vcpu		11	/* (port, vcpu) -> 0 */
#define HCALL_NR_HYPERCALLS		12

/*
 * Domains: the guest is HCALL_DOMID_SELF to its backends; backends (the
 * driver domain) are HCALL_DOMID_BACKEND, the domid grants are made to.
 */
#define HCALL_DOMID_BACKEND		0
#define HCALL_DOMID_SELF		1

/*
 * The store: Xen's xenstore layout (device/vbd/N/..., backend/vbd/D/N/...).
 * Paths and tokens are NUL-terminated strings in guest memory; path, buf
 * and len are guest-physical addresses and a byte count. A guest may write
 * under device/, data/ and control/ only. Watches fire once when set and on
 * every change at or below their path; their events queue in the
 * hypervisor and HCALL_STORE_PORT's event channel says there are some.
 */
#define HCALL_STORE_MAX_PATH		256	/* with the NUL */
#define HCALL_STORE_MAX_VALUE		4096
#define HCALL_STORE_MAX_TOKEN		64	/* with the NUL */
#define HCALL_STORE_READ		0	/* (path, buf, len) -> value bytes; copies <= len */
#define HCALL_STORE_WRITE		1	/* (path, value, len) -> 0 */
#define HCALL_STORE_DIRECTORY		2	/* (path, buf, len) -> bytes of NUL-ended names */
#define HCALL_STORE_RM			3	/* (path) -> 0 */
#define HCALL_STORE_WATCH		4	/* (path, token) -> 0 */
#define HCALL_STORE_UNWATCH		5	/* (path, token) -> 0 */
#define HCALL_STORE_EVENT		6	/* (0, buf, len) -> "path\0token\0" bytes; 0 */
#define HCALL_STORE_PORT		7	/* () -> the watch-event port */

/*
 * Grant tables are Xen's v1 entries (struct grant_entry_v1, GTF_* flags in
 * Xen's public grant_table.h), in nr_frames contiguous guest pages.
 */
#define HCALL_GNTTAB_MAX_FRAMES		32

/* Results are 0 or positive on success, a negative Linux errno on error. */
#define HCALL_EPERM			1
#define HCALL_ENOENT			2
#define HCALL_E2BIG			7
#define HCALL_EAGAIN			11
#define HCALL_EACCES			13
#define HCALL_EFAULT			14
#define HCALL_EBUSY			16
#define HCALL_EINVAL			22
#define HCALL_ENOSPC			28
#define HCALL_ERANGE			34
#define HCALL_ENOSYS			38

#define HCALL_SHUTDOWN_POWEROFF		0
#define HCALL_SHUTDOWN_REBOOT		1
#define HCALL_SHUTDOWN_CRASH		2
/*
 * Soft reset (HCALL_FEAT_SOFT_RESET): returns 0 and the guest runs on, but
 * the hypervisor forgets every page the guest registered (shared info,
 * console ring, grant table), closes its event channels, drops its store
 * watches and queued events and detaches its backends. A kernel calls it
 * before it registers anything, so a kernel started by kexec or kdump
 * never shares pages its predecessor registered. While it runs, a call
 * from another vCPU that needs the platform fails with -EAGAIN.
 */
#define HCALL_SHUTDOWN_SOFT_RESET	3

/*
 * The balloon (HCALL_FEAT_BALLOON): HCALL_memory_op(op, gpa) with @gpa the
 * page-aligned guest-physical address of one page holding a struct
 * hcall_frame_list. HCALL_MEM_RELEASE gives the listed frames to the host,
 * which frees the memory behind them; the guest must not touch them until
 * HCALL_MEM_RECLAIM takes them back, after which each reads as zeroes.
 * The hypervisor copies the page once and checks every frame first: a
 * frame outside guest RAM, listed twice, one the hypervisor uses (boot
 * structures below 1 MiB, shared info, the console ring, the grant table),
 * one a grant entry permits access to, or (to reclaim) one not released
 * fails the whole batch, and nothing changes: -EINVAL for a bad list or
 * frame, -EPERM for a hypervisor page, -EBUSY for a granted one. -EAGAIN
 * is transient (a soft reset under way, or the host short of memory to
 * give frames back): nothing changed, try again later. A released frame
 * cannot be registered as start info, shared info, console ring or grant
 * table (-EBUSY). The store's memory/target (KiB) is the size the host
 * wants the guest to have; the guest reports its own in memory/current
 * (KiB) and what holds it back in memory/status.
 */
#define HCALL_MEM_RELEASE		0
#define HCALL_MEM_RECLAIM		1
#define HCALL_FRAME_LIST_MAX		511
struct hcall_frame_list {
	__u32 count;			/* frames[0 .. count), at most HCALL_FRAME_LIST_MAX */
	__u32 reserved;			/* 0 */
	__u64 frames[HCALL_FRAME_LIST_MAX];	/* guest frame numbers (gpa >> 12) */
};

/*
 * Free page reporting (HCALL_FEAT_PAGE_REPORTING, offered when the host's
 * user asks for it): HCALL_memory_op(HCALL_MEM_DISCARD, gpa) with @gpa a
 * page holding a struct hcall_extent_list of free guest memory. The host
 * frees the memory behind the extents but the guest keeps the frames: it
 * may use any of them again at any time, with no call, and a frame used
 * again reads as zeroes. Checked as a balloon batch is, the whole list
 * before anything changes: an empty extent, more than
 * HCALL_EXTENT_MAX_FRAMES in all, an extent not inside one stretch of RAM,
 * overlapping another or holding a released frame (-EINVAL), holding a
 * page the hypervisor uses (-EPERM), or one under a grant or mapped by a
 * backend (-EBUSY) fails it.
 */
#define HCALL_MEM_DISCARD		2
#define HCALL_EXTENT_LIST_MAX		255
#define HCALL_EXTENT_MAX_FRAMES		(1u << 18)	/* 1 GiB in a list */
struct hcall_extent {
	__u64 frame;			/* first guest frame number (gpa >> 12) */
	__u64 count;			/* frames, at least 1 */
};

struct hcall_extent_list {
	__u32 count;			/* extents[0 .. count), at most HCALL_EXTENT_LIST_MAX */
	__u32 reserved;			/* 0 */
	struct hcall_extent extents[HCALL_EXTENT_LIST_MAX];
};

#define HCALL_START_MAGIC		0x49534348	/* "HCSI" */

/* Filled by HCALL_start_info. */
struct hcall_start_info {
	__u32 magic;
	__u32 abi_version;
	__u32 nr_vcpus;
	__u32 features;		/* HCALL_FEAT_* */
	__u64 nr_pages;		/* guest RAM in 4 KiB pages */
	__u32 tsc_khz;
	__u32 reserved[9];
};

/*
 * Event channels: 2-level pending/mask bitmaps, as in Xen. Port 0 is never
 * valid. An event on a port sets its pending bit; if the port is unmasked,
 * the hypervisor then sets the port's word in evtchn_pending_sel of the
 * port's vCPU, and raises HYPERVISOR_CALLBACK_VECTOR on that vCPU if its
 * evtchn_upcall_pending was 0. A port's vCPU is 0 when it is bound;
 * HCALL_evtchn_bind_vcpu(port, vcpu) (HCALL_FEAT_EVTCHN_VCPU) moves it,
 * and raises the upcall on the new vCPU if the port is pending and
 * unmasked. vCPU n is the one whose local APIC ID is n.
 */
#define HCALL_NR_EVTCHN			4096
#define HCALL_EVTCHN_WORDS		(HCALL_NR_EVTCHN / 64)
#define HCALL_MAX_VCPUS			8

/* pvclock layout (Linux's struct pvclock_vcpu_time_info). */
struct hcall_vcpu_time_info {
	__u32 version;		/* odd while the shim updates it */
	__u32 pad0;
	__u64 tsc_timestamp;
	__u64 system_time;	/* ns at tsc_timestamp */
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;		/* bit 0: TSC is stable across vCPUs */
	__u8 pad[2];
};

struct hcall_vcpu_info {
	__u8 evtchn_upcall_pending;
	__u8 evtchn_upcall_mask;
	__u8 pad[6];
	__u64 evtchn_pending_sel;	/* which evtchn_pending words have bits */
	struct hcall_vcpu_time_info time;
	__u64 reserved[2];
};

/* Wall-clock time at system_time 0 (pvclock_wall_clock + high seconds). */
struct hcall_wall_clock {
	__u32 version;
	__u32 sec;
	__u32 nsec;
	__u32 sec_hi;
};

struct hcall_shared_info {
	struct hcall_vcpu_info vcpu_info[HCALL_MAX_VCPUS];
	__u64 evtchn_pending[HCALL_EVTCHN_WORDS];
	__u64 evtchn_mask[HCALL_EVTCHN_WORDS];
	struct hcall_wall_clock wc;
};

/* The console ring (Xen's xencons_interface layout). Indices run free. */
#define HCALL_CONS_IN_SIZE		1024
#define HCALL_CONS_OUT_SIZE		2048
struct hcall_console_ring {
	char in[HCALL_CONS_IN_SIZE];
	char out[HCALL_CONS_OUT_SIZE];
	__u32 in_cons, in_prod;
	__u32 out_cons, out_prod;
};

#endif /* _UAPI_LINUX_HCALL_H */
