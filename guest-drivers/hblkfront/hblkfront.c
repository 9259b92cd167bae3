// SPDX-License-Identifier: GPL-2.0
/*
 * hblkfront: the hcall PV block frontend. A blk-mq driver whose hardware
 * queues are Xen-format blkif rings (one per vCPU, up to the backend's
 * maximum) shared with the driver domain. Data pages are granted to the
 * backend per request; requests of more than BLKIF_MAX_SEGMENTS_PER_REQUEST
 * segments go as one indirect request whose segment list sits in a granted
 * page, so a 128 KiB I/O is one ring slot, not three.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>

#define HBLK_RING_SIZE		__CONST_RING_SIZE(blkif, PAGE_SIZE)
#define HBLK_MAX_QUEUES		4
#define HBLK_MAX_INDIRECT	32	/* segments per request with indirect */
#define HBLK_MINORS		16
#define HBLK_XVDA		51712	/* Xen's virtual-device number of xvda */
#define HBLK_CLOSE_TIMEOUT	(5 * HZ)

#define HBLK_SEGS_PER_PAGE	(PAGE_SIZE / sizeof(struct blkif_request_segment))
static_assert(HBLK_MAX_INDIRECT <= HBLK_SEGS_PER_PAGE);

/* What one ring slot's request holds until its response comes back. */
struct hblk_shadow {
	struct request *req;
	unsigned int nr_grants;
	int grefs[HBLK_MAX_INDIRECT];
	int indirect_gref;		/* -1: a direct request */
	struct scatterlist sg[HBLK_MAX_INDIRECT];
};

struct hblk_queue {
	struct hblk_info *info;
	spinlock_t lock;		/* the ring, the shadows, free_ids */
	struct blkif_front_ring ring;
	int ring_ref;
	int port;
	int irq;
	unsigned long free_ids;		/* bit set: shadow slot free */
	struct hblk_shadow shadow[HBLK_RING_SIZE];
	struct blkif_request_segment *indirect[HBLK_RING_SIZE];
	char name[24];
};

struct hblk_info {
	struct hcall_device *dev;
	struct gendisk *gd;
	struct blk_mq_tag_set tag_set;
	unsigned int index;		/* xvd<a + index> */
	unsigned int nr_queues;
	struct hblk_queue *queues;
	unsigned int max_segs;
	bool connected;
};

static int hblk_major;
static DEFINE_MUTEX(hblk_mutex);	/* connect vs. remove */

static_assert(HBLK_RING_SIZE < BITS_PER_LONG);

static void hblk_end_grants(struct hblk_queue *q, struct hblk_shadow *s, blk_status_t *sts)
{
	unsigned int i;

	for (i = 0; i < s->nr_grants; i++)
		if (!hcall_gnttab_end_access(s->grefs[i]))
			*sts = BLK_STS_IOERR;
	if (s->indirect_gref >= 0 && !hcall_gnttab_end_access(s->indirect_gref))
		*sts = BLK_STS_IOERR;
	if (*sts == BLK_STS_IOERR && s->nr_grants)
		dev_err_ratelimited(&q->info->dev->dev, "backend still holds a granted page\n");
	s->nr_grants = 0;
	s->indirect_gref = -1;
}

static blk_status_t hblk_status(s16 status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		return BLK_STS_OK;
	case BLKIF_RSP_EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	default:
		return BLK_STS_IOERR;
	}
}

static irqreturn_t hblk_interrupt(int irq, void *dev_id)
{
	struct hblk_queue *q = dev_id;
	struct {
		struct request *req;
		blk_status_t sts;
	} done[HBLK_RING_SIZE];
	struct blkif_response rsp;
	unsigned int n = 0, k;
	unsigned long flags;
	RING_IDX i, rp;
	int more;

	spin_lock_irqsave(&q->lock, flags);
	do {
		rp = READ_ONCE(q->ring.sring->rsp_prod);
		virt_rmb();	/* responses after the index that covers them */
		if (rp - q->ring.rsp_cons > HBLK_RING_SIZE) {
			dev_err(&q->info->dev->dev, "%s: bogus response index\n", q->name);
			break;
		}
		for (i = q->ring.rsp_cons; i != rp; i++) {
			struct hblk_shadow *s;

			memcpy(&rsp, RING_GET_RESPONSE(&q->ring, i), sizeof(rsp));
			if (rsp.id >= HBLK_RING_SIZE || !q->shadow[rsp.id].req) {
				dev_err(&q->info->dev->dev, "%s: response to no request\n",
					q->name);
				continue;
			}
			s = &q->shadow[rsp.id];
			/* At most HBLK_RING_SIZE are in flight, and none start now. */
			done[n].req = s->req;
			done[n].sts = hblk_status(rsp.status);
			hblk_end_grants(q, s, &done[n].sts);
			n++;
			s->req = NULL;
			__set_bit(rsp.id, &q->free_ids);
		}
		q->ring.rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(&q->ring, more);
	} while (more);
	spin_unlock_irqrestore(&q->lock, flags);
	/* Outside the lock: a completion may lead straight to a new request. */
	for (k = 0; k < n; k++)
		blk_mq_end_request(done[k].req, done[k].sts);
	if (n && q->info->gd)
		blk_mq_start_stopped_hw_queues(q->info->gd->queue, true);
	return IRQ_HANDLED;
}

/* Grant the request's pages and fill @ring_req; 0 or -ENOSPC (grants). */
static int hblk_map(struct hblk_queue *q, struct hblk_shadow *s, unsigned long id,
		    struct request *req, struct blkif_request *ring_req)
{
	bool write = rq_data_dir(req) == WRITE;
	u16 domid = q->info->dev->otherend_id;
	struct blkif_request_segment *segs, seg = {};
	struct scatterlist *sg;
	unsigned int nseg, i;
	int ref;

	sg_init_table(s->sg, HBLK_MAX_INDIRECT);
	nseg = blk_rq_map_sg(req->q, req, s->sg);
	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		/* One indirect page of segments; the backend only reads it. */
		ref = hcall_gnttab_grant_access(domid, PFN_DOWN(__pa(q->indirect[id])), true);
		if (ref < 0)
			return ref;
		s->indirect_gref = ref;
		ring_req->u.indirect.indirect_op = ring_req->operation;
		ring_req->operation = BLKIF_OP_INDIRECT;
		ring_req->u.indirect.nr_segments = nseg;
		ring_req->u.indirect.id = id;
		ring_req->u.indirect.sector_number = blk_rq_pos(req);
		ring_req->u.indirect.handle = 0;
		ring_req->u.indirect.indirect_grefs[0] = ref;
	} else {
		ring_req->u.rw.nr_segments = nseg;
		ring_req->u.rw.id = id;
		ring_req->u.rw.sector_number = blk_rq_pos(req);
		ring_req->u.rw.handle = 0;
	}
	segs = q->indirect[id];
	for_each_sg(s->sg, sg, nseg, i) {
		/* A disk write only reads the page: grant it read-only. */
		ref = hcall_gnttab_grant_access(domid, page_to_pfn(sg_page(sg)), write);
		if (ref < 0)
			return ref;
		s->grefs[s->nr_grants++] = ref;
		seg.gref = ref;
		seg.first_sect = sg->offset >> SECTOR_SHIFT;
		seg.last_sect = (sg->offset + sg->length - 1) >> SECTOR_SHIFT;
		if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			segs[i] = seg;
		else
			ring_req->u.rw.seg[i] = seg;
	}
	return 0;
}

/* Publish the requests queued so far; ring the doorbell if the backend sleeps. */
static void hblk_push(struct hblk_queue *q)
{
	unsigned long flags;
	int notify;

	spin_lock_irqsave(&q->lock, flags);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
	spin_unlock_irqrestore(&q->lock, flags);
	if (notify)
		hcall_evtchn_send(q->port);
}

static void hblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	hblk_push(hctx->driver_data);
}

static blk_status_t hblk_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct hblk_queue *q = hctx->driver_data;
	struct request *req = bd->rq;
	struct blkif_request ring_req = {};
	struct hblk_shadow *s;
	unsigned long flags, id;
	blk_status_t sts = BLK_STS_OK;

	blk_mq_start_request(req);
	spin_lock_irqsave(&q->lock, flags);
	if (RING_FULL(&q->ring) || !q->free_ids) {
		blk_mq_stop_hw_queue(hctx);
		spin_unlock_irqrestore(&q->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	id = __ffs(q->free_ids);
	s = &q->shadow[id];
	s->nr_grants = 0;
	s->indirect_gref = -1;
	switch (req_op(req)) {
	case REQ_OP_FLUSH:
		ring_req.operation = BLKIF_OP_FLUSH_DISKCACHE;
		ring_req.u.rw.id = id;
		break;
	case REQ_OP_DISCARD:
		ring_req.operation = BLKIF_OP_DISCARD;
		ring_req.u.discard.id = id;
		ring_req.u.discard.sector_number = blk_rq_pos(req);
		ring_req.u.discard.nr_sectors = blk_rq_sectors(req);
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		/* FUA: the backend makes earlier and this write durable first. */
		ring_req.operation = rq_data_dir(req) == READ ? BLKIF_OP_READ :
				     req->cmd_flags & REQ_FUA ? BLKIF_OP_WRITE_BARRIER :
				     BLKIF_OP_WRITE;
		if (hblk_map(q, s, id, req, &ring_req)) {
			hblk_end_grants(q, s, &sts);
			blk_mq_stop_hw_queue(hctx);
			spin_unlock_irqrestore(&q->lock, flags);
			return BLK_STS_DEV_RESOURCE;	/* out of grants: retry */
		}
		break;
	default:
		spin_unlock_irqrestore(&q->lock, flags);
		return BLK_STS_NOTSUPP;
	}
	__clear_bit(id, &q->free_ids);
	s->req = req;
	memcpy(RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt), &ring_req, sizeof(ring_req));
	q->ring.req_prod_pvt++;
	spin_unlock_irqrestore(&q->lock, flags);
	/* One doorbell per batch from blk-mq, not one per request. */
	if (bd->last)
		hblk_push(q);
	return BLK_STS_OK;
}

static int hblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int index)
{
	struct hblk_info *info = data;

	hctx->driver_data = &info->queues[index];
	return 0;
}

static const struct blk_mq_ops hblk_mq_ops = {
	.queue_rq = hblk_queue_rq,
	.commit_rqs = hblk_commit_rqs,
	.init_hctx = hblk_init_hctx,
};

static const struct block_device_operations hblk_fops = {
	.owner = THIS_MODULE,
};

static void hblk_free_queue(struct hblk_queue *q)
{
	unsigned int i;

	if (q->irq > 0) {
		free_irq(q->irq, q);
		hcall_evtchn_unbind_irq(q->irq);	/* closes the port */
	}
	q->irq = 0;
	if (q->ring_ref >= 0 && q->ring.sring) {
		/* Only once the backend let go; otherwise the page stays granted. */
		if (hcall_gnttab_end_access(q->ring_ref))
			free_page((unsigned long)q->ring.sring);
		else
			dev_warn(&q->info->dev->dev, "%s: ring still in use, leaked\n", q->name);
	} else if (q->ring.sring) {
		free_page((unsigned long)q->ring.sring);
	}
	q->ring.sring = NULL;
	q->ring_ref = -1;
	for (i = 0; i < HBLK_RING_SIZE; i++) {
		free_page((unsigned long)q->indirect[i]);
		q->indirect[i] = NULL;
	}
}

static void hblk_free_queues(struct hblk_info *info)
{
	unsigned int i;

	for (i = 0; info->queues && i < info->nr_queues; i++)
		hblk_free_queue(&info->queues[i]);
	kfree(info->queues);
	info->queues = NULL;
}

static int hblk_setup_queue(struct hblk_info *info, struct hblk_queue *q, unsigned int n)
{
	struct blkif_sring *sring;
	unsigned int i;
	int ret;

	q->info = info;
	q->ring_ref = -1;
	q->port = -1;
	spin_lock_init(&q->lock);
	q->free_ids = BIT(HBLK_RING_SIZE) - 1;
	snprintf(q->name, sizeof(q->name), "xvd%c-q%u", 'a' + info->index, n);
	for (i = 0; i < HBLK_RING_SIZE; i++) {
		q->indirect[i] = (void *)get_zeroed_page(GFP_KERNEL);
		if (!q->indirect[i])
			return -ENOMEM;
	}
	sring = (void *)get_zeroed_page(GFP_KERNEL);
	if (!sring)
		return -ENOMEM;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&q->ring, sring, PAGE_SIZE);
	ret = hcall_gnttab_grant_access(info->dev->otherend_id, PFN_DOWN(__pa(sring)), false);
	if (ret < 0)
		return ret;
	q->ring_ref = ret;
	q->port = hcall_evtchn_alloc();
	if (q->port < 0)
		return q->port;
	ret = hcall_evtchn_bind_irq(q->port);
	if (ret < 0)
		return ret;
	q->irq = ret;
	ret = request_irq(q->irq, hblk_interrupt, 0, q->name, q);
	if (ret) {
		hcall_evtchn_unbind_irq(q->irq);
		q->irq = 0;
	}
	return ret;
}

/* Backend waits (InitWait): make the rings and publish them. */
static int hblk_talk_to_backend(struct hblk_info *info)
{
	struct hcall_device *dev = info->dev;
	unsigned int i, max_queues = 1;
	char dir[64];
	int ret;

	hcall_store_read_uint(dev->otherend, "multi-queue-max-queues", &max_queues);
	info->nr_queues = clamp(min(num_online_cpus(), max_queues), 1U, HBLK_MAX_QUEUES);
	info->queues = kcalloc(info->nr_queues, sizeof(*info->queues), GFP_KERNEL);
	if (!info->queues)
		return -ENOMEM;
	for (i = 0; i < info->nr_queues; i++) {
		ret = hblk_setup_queue(info, &info->queues[i], i);
		if (ret)
			return ret;
	}
	if (info->nr_queues == 1) {
		ret = hcall_store_printf(dev->nodename, "ring-ref", "%d", info->queues[0].ring_ref);
		ret = ret ?: hcall_store_printf(dev->nodename, "event-channel", "%d",
						info->queues[0].port);
	} else {
		ret = hcall_store_printf(dev->nodename, "multi-queue-num-queues", "%u",
					 info->nr_queues);
		for (i = 0; i < info->nr_queues && !ret; i++) {
			snprintf(dir, sizeof(dir), "%s/queue-%u", dev->nodename, i);
			ret = hcall_store_printf(dir, "ring-ref", "%d", info->queues[i].ring_ref);
			ret = ret ?: hcall_store_printf(dir, "event-channel", "%d",
							info->queues[i].port);
		}
	}
	ret = ret ?: hcall_store_printf(dev->nodename, "protocol", "%s",
					XEN_IO_PROTO_ABI_NATIVE);
	return ret ?: hcall_bus_switch_state(dev, HCALL_STATE_INITIALISED);
}

static unsigned int hblk_feature(struct hblk_info *info, const char *node)
{
	unsigned int val = 0;

	hcall_store_read_uint(info->dev->otherend, node, &val);
	return val;
}

/* Backend connected: size the disk and add it. */
static int hblk_connect(struct hblk_info *info)
{
	struct hcall_device *dev = info->dev;
	struct queue_limits lim = {};
	struct gendisk *gd;
	unsigned int indirect;
	u64 sectors;
	int ret;

	ret = hcall_store_read_u64(dev->otherend, "sectors", &sectors);
	if (ret)
		return ret;
	indirect = hblk_feature(info, "feature-max-indirect-segments");
	info->max_segs = indirect >= HBLK_MAX_INDIRECT ? HBLK_MAX_INDIRECT :
			 BLKIF_MAX_SEGMENTS_PER_REQUEST;
	lim.logical_block_size = SECTOR_SIZE;
	lim.max_segments = info->max_segs;
	lim.max_hw_sectors = info->max_segs * (PAGE_SIZE >> SECTOR_SHIFT);
	lim.max_segment_size = PAGE_SIZE;
	lim.seg_boundary_mask = PAGE_SIZE - 1;
	if (hblk_feature(info, "feature-flush-cache"))
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (hblk_feature(info, "feature-barrier"))
		lim.features |= BLK_FEAT_FUA;
	if (hblk_feature(info, "feature-discard")) {
		lim.max_hw_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
		lim.discard_granularity = hblk_feature(info, "discard-granularity") ?: SECTOR_SIZE;
	}

	memset(&info->tag_set, 0, sizeof(info->tag_set));
	info->tag_set.ops = &hblk_mq_ops;
	info->tag_set.nr_hw_queues = info->nr_queues;
	info->tag_set.queue_depth = HBLK_RING_SIZE;
	info->tag_set.numa_node = NUMA_NO_NODE;
	info->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	info->tag_set.driver_data = info;
	ret = blk_mq_alloc_tag_set(&info->tag_set);
	if (ret)
		return ret;
	gd = blk_mq_alloc_disk(&info->tag_set, &lim, info);
	if (IS_ERR(gd)) {
		blk_mq_free_tag_set(&info->tag_set);
		return PTR_ERR(gd);
	}
	gd->major = hblk_major;
	gd->first_minor = info->index * HBLK_MINORS;
	gd->minors = HBLK_MINORS;
	gd->fops = &hblk_fops;
	gd->private_data = info;
	snprintf(gd->disk_name, sizeof(gd->disk_name), "xvd%c", 'a' + info->index);
	set_capacity(gd, sectors);
	set_disk_ro(gd, hblk_feature(info, "info") & VDISK_READONLY);
	info->gd = gd;
	ret = device_add_disk(&dev->dev, gd, NULL);
	if (ret) {
		put_disk(gd);
		blk_mq_free_tag_set(&info->tag_set);
		info->gd = NULL;
		return ret;
	}
	info->connected = true;
	dev_info(&dev->dev, "%s: %llu sectors, %u queue(s), %u segments per request%s\n",
		 gd->disk_name, sectors, info->nr_queues, info->max_segs,
		 get_disk_ro(gd) ? ", read-only" : "");
	return hcall_bus_switch_state(dev, HCALL_STATE_CONNECTED);
}

static void hblk_fail(struct hblk_info *info, int err, const char *what)
{
	dev_err(&info->dev->dev, "%s failed: %d\n", what, err);
	hblk_free_queues(info);
	hcall_bus_switch_state(info->dev, HCALL_STATE_CLOSED);
}

static void hblk_otherend_changed(struct hcall_device *dev, enum hcall_state state)
{
	struct hblk_info *info = dev_get_drvdata(&dev->dev);
	char *err;
	int ret;

	mutex_lock(&hblk_mutex);
	switch (state) {
	case HCALL_STATE_INIT_WAIT:
		if (dev->state != HCALL_STATE_INITIALISING || info->queues)
			break;
		ret = hblk_talk_to_backend(info);
		if (ret)
			hblk_fail(info, ret, "setting up the rings");
		break;
	case HCALL_STATE_CONNECTED:
		if (info->connected || dev->state != HCALL_STATE_INITIALISED)
			break;
		ret = hblk_connect(info);
		if (ret)
			hblk_fail(info, ret, "connecting");
		break;
	case HCALL_STATE_CLOSING:
		err = hcall_store_read_str(dev->otherend, "error");
		dev_err(&dev->dev, "backend closing: %s\n", IS_ERR(err) ? "no reason" : err);
		if (!IS_ERR(err))
			kfree(err);
		if (!info->connected)
			hblk_fail(info, -EIO, "backend");
		break;
	default:
		break;
	}
	mutex_unlock(&hblk_mutex);
}

static int hblk_probe(struct hcall_device *dev)
{
	struct hblk_info *info;
	unsigned int vdev;
	int ret;

	ret = hcall_store_read_uint(dev->nodename, "virtual-device", &vdev);
	if (ret)
		return ret;
	if (vdev < HBLK_XVDA || (vdev - HBLK_XVDA) % HBLK_MINORS ||
	    (vdev - HBLK_XVDA) / HBLK_MINORS >= 26)
		return -EINVAL;
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	info->dev = dev;
	info->index = (vdev - HBLK_XVDA) / HBLK_MINORS;
	dev_set_drvdata(&dev->dev, info);
	return 0;
}

static void hblk_remove(struct hcall_device *dev)
{
	struct hblk_info *info = dev_get_drvdata(&dev->dev);
	enum hcall_state be;

	mutex_lock(&hblk_mutex);
	if (info->gd) {
		/* Waits for requests in flight: the backend answers them all. */
		del_gendisk(info->gd);
		put_disk(info->gd);
		blk_mq_free_tag_set(&info->tag_set);
		info->gd = NULL;
	}
	info->connected = false;
	mutex_unlock(&hblk_mutex);
	if (info->queues) {
		hcall_bus_switch_state(dev, HCALL_STATE_CLOSING);
		be = hcall_bus_wait_otherend(dev, BIT(HCALL_STATE_CLOSED) |
					     BIT(HCALL_STATE_INIT_WAIT), HBLK_CLOSE_TIMEOUT);
		if (be != HCALL_STATE_CLOSED && be != HCALL_STATE_INIT_WAIT)
			dev_warn(&dev->dev, "backend did not close (state %d)\n", be);
	}
	mutex_lock(&hblk_mutex);
	hblk_free_queues(info);
	mutex_unlock(&hblk_mutex);
	kfree(info);
}

static const char *const hblk_types[] = { "vbd", NULL };

static struct hcall_driver hblk_driver = {
	.types = hblk_types,
	.probe = hblk_probe,
	.remove = hblk_remove,
	.otherend_changed = hblk_otherend_changed,
	.driver.name = "hblkfront",
};

static int __init hblk_init(void)
{
	int ret;

	hblk_major = register_blkdev(0, "xvd");
	if (hblk_major < 0)
		return hblk_major;
	ret = hcall_driver_register(&hblk_driver);
	if (ret)
		unregister_blkdev(hblk_major, "xvd");
	return ret;
}
module_init(hblk_init);

static void __exit hblk_exit(void)
{
	hcall_driver_unregister(&hblk_driver);
	unregister_blkdev(hblk_major, "xvd");
}
module_exit(hblk_exit);

MODULE_DESCRIPTION("hcall PV block frontend (Xen blkif rings)");
MODULE_LICENSE("GPL");
