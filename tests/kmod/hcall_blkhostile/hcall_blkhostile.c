// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_blkhostile: a hostile blkif frontend, for the driver domain's
 * tests. It binds the first vbd (xvda) only, connects one ring like a real
 * frontend, then sends what a malicious guest would: bad and foreign grant
 * refs, read-only grants for disk reads, sectors past the end, malformed
 * segments, garbage opcodes and ids, oversized indirect requests, and
 * finally a corrupted producer index. Each answer is checked; a canary
 * page granted only in ways the backend must refuse has to come through
 * untouched. Prints one "HCALL-HOSTILE name=value" line per check.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>

#define CANARY		0x5a
#define FOREIGN_DOMID	7

static struct hcall_device *hdev;
static struct blkif_front_ring ring;
static int ring_ref = -1, port = -1;
static u64 sectors;
static DECLARE_COMPLETION(connected);
static int failures;

static void report(const char *name, long got, long want)
{
	pr_info("HCALL-HOSTILE %s=%ld %s\n", name, got, got == want ? "ok" : "BAD");
	if (got != want)
		failures++;
}

/* Push one request and wait for its response: its status, or 1 if none came. */
static int submit(const struct blkif_request *req, u64 *id_back)
{
	struct blkif_response rsp;
	int notify, i;

	memcpy(RING_GET_REQUEST(&ring, ring.req_prod_pvt), req, sizeof(*req));
	ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring, notify);
	hcall_evtchn_send(port);
	for (i = 0; i < 2000; i++) {
		if (READ_ONCE(ring.sring->rsp_prod) != ring.rsp_cons) {
			virt_rmb();	/* the response after the index that covers it */
			memcpy(&rsp, RING_GET_RESPONSE(&ring, ring.rsp_cons), sizeof(rsp));
			ring.rsp_cons++;
			if (id_back)
				*id_back = rsp.id;
			return rsp.status;
		}
		usleep_range(500, 1000);
	}
	return 1;
}

static struct blkif_request rw(u8 op, u64 sector, int gref)
{
	struct blkif_request r = { .operation = op };

	r.u.rw.nr_segments = 1;
	r.u.rw.id = 1;
	r.u.rw.sector_number = sector;
	r.u.rw.seg[0].gref = gref;
	r.u.rw.seg[0].first_sect = 0;
	r.u.rw.seg[0].last_sect = 7;
	return r;
}

static bool canary_intact(const u8 *p)
{
	return !memchr_inv(p, CANARY, PAGE_SIZE);
}

static void attack(void)
{
	u8 *canary = (u8 *)get_zeroed_page(GFP_KERNEL);
	u8 *buf = (u8 *)get_zeroed_page(GFP_KERNEL);
	u16 be = hdev->otherend_id;
	struct blkif_request r;
	int foreign, ro, good;
	u64 id = 0;

	if (!canary || !buf)
		goto out;
	memset(canary, CANARY, PAGE_SIZE);
	foreign = hcall_gnttab_grant_access(FOREIGN_DOMID, PFN_DOWN(__pa(canary)), false);
	ro = hcall_gnttab_grant_access(be, PFN_DOWN(__pa(canary)), true);
	good = hcall_gnttab_grant_access(be, PFN_DOWN(__pa(buf)), false);

	r = rw(BLKIF_OP_READ, 0, good);
	report("valid-read", submit(&r, NULL), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_READ, 0, 60000);
	report("gref-out-of-range", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, 300);
	report("gref-never-granted", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, foreign);
	report("gref-other-domid", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, ro);
	report("read-into-readonly-grant", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, sectors, good);
	report("sector-past-end", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, sectors - 4, good);
	report("straddling-the-end", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, good);
	r.u.rw.seg[0].first_sect = 6;
	r.u.rw.seg[0].last_sect = 2;
	report("first-after-last", submit(&r, NULL), BLKIF_RSP_ERROR);
	r.u.rw.seg[0].last_sect = 9;
	report("sector-past-page", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, good);
	r.u.rw.nr_segments = 200;
	report("too-many-segments", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(0xee, 0, good);
	report("garbage-opcode", submit(&r, NULL), BLKIF_RSP_EOPNOTSUPP);
	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_INDIRECT;
	r.u.indirect.indirect_op = BLKIF_OP_READ;
	r.u.indirect.nr_segments = 1000;
	r.u.indirect.indirect_grefs[0] = good;
	report("indirect-too-many", submit(&r, NULL), BLKIF_RSP_ERROR);
	r.u.indirect.nr_segments = 1;
	r.u.indirect.indirect_grefs[0] = foreign;
	report("indirect-foreign-page", submit(&r, NULL), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 8, good);
	r.u.rw.id = 0xdeadbeefcafe;
	report("garbage-id-answered", submit(&r, &id), BLKIF_RSP_OKAY);
	report("garbage-id-echoed", id == 0xdeadbeefcafe, 1);
	report("canary-intact", canary_intact(canary), 1);
	report("foreign-grant-revocable", hcall_gnttab_end_access(foreign), 1);
	report("readonly-grant-revocable", hcall_gnttab_end_access(ro), 1);

	/* Last: a producer index no honest frontend can reach. */
	WRITE_ONCE(ring.sring->req_prod, ring.req_prod_pvt + 1000);
	hcall_evtchn_send(port);
	msleep(300);
	ring.sring->req_prod = ring.req_prod_pvt;
	r = rw(BLKIF_OP_READ, 0, good);
	report("corrupt-ring-disconnected", submit(&r, NULL), 1);
	report("canary-intact-at-end", canary_intact(canary), 1);
	pr_info("HCALL-HOSTILE failures=%d\n", failures);
out:
	free_page((unsigned long)canary);
	/* buf stays granted to a ring that is dead: leak it rather than reuse it. */
}

static void hostile_changed(struct hcall_device *dev, enum hcall_state state)
{
	if (state == HCALL_STATE_INIT_WAIT && dev->state == HCALL_STATE_INITIALISING) {
		hcall_store_printf(dev->nodename, "ring-ref", "%d", ring_ref);
		hcall_store_printf(dev->nodename, "event-channel", "%d", port);
		hcall_store_printf(dev->nodename, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
		hcall_bus_switch_state(dev, HCALL_STATE_INITIALISED);
	} else if (state == HCALL_STATE_CONNECTED && dev->state == HCALL_STATE_INITIALISED) {
		hcall_store_read_u64(dev->otherend, "sectors", &sectors);
		hcall_bus_switch_state(dev, HCALL_STATE_CONNECTED);
		complete(&connected);
	}
}

static int hostile_probe(struct hcall_device *dev)
{
	struct blkif_sring *sring;

	if (strcmp(dev->nodename, "device/vbd/51712"))
		return -ENODEV;	/* xvda only: the others stay for hblkfront */
	sring = (void *)get_zeroed_page(GFP_KERNEL);
	if (!sring)
		return -ENOMEM;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&ring, sring, PAGE_SIZE);
	ring_ref = hcall_gnttab_grant_access(dev->otherend_id, PFN_DOWN(__pa(sring)), false);
	port = hcall_evtchn_alloc();
	if (ring_ref < 0 || port < 0)
		return -ENOSPC;
	hdev = dev;
	return 0;
}

static void hostile_remove(struct hcall_device *dev)
{
	/* The ring page stays granted and allocated: the backend may hold it. */
}

static const char *const hostile_types[] = { "vbd", NULL };

static struct hcall_driver hostile_driver = {
	.types = hostile_types,
	.probe = hostile_probe,
	.remove = hostile_remove,
	.otherend_changed = hostile_changed,
	.driver.name = "hcall_blkhostile",
};

static int __init hostile_init(void)
{
	int ret = hcall_driver_register(&hostile_driver);

	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&connected, 10 * HZ)) {
		pr_info("HCALL-HOSTILE connected=0 BAD\n");
		return 0;
	}
	attack();
	return 0;
}
module_init(hostile_init);

static void __exit hostile_exit(void)
{
	hcall_driver_unregister(&hostile_driver);
}
module_exit(hostile_exit);

MODULE_DESCRIPTION("hcall test: a hostile blkif frontend");
MODULE_LICENSE("GPL");
