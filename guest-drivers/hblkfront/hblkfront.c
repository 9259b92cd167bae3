// SPDX-License-Identifier: GPL-2.0
/*
 * hblkfront: the hcall PV block frontend. A blk-mq driver whose hardware
 * queues are Xen-format blkif rings (one per vCPU, up to the backend's
 * maximum) shared with the driver domain. Data pages are granted to the
 * backend per request; requests of more than BLKIF_MAX_SEGMENTS_PER_REQUEST
 * segments go as one indirect request whose segment list sits in a granted
 * page, so a 128 KiB I/O is one ring slot, not three.
 *
 * A backend that breaks the protocol (a response to no request, with the
 * wrong operation, a producer index past what was asked, a grant still
 * held after its response) disables the disk: new I/O fails at once, and a
 * request goes back to the block layer only once every grant it had is
 * revoked, so no page is reused while the backend may still touch it.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
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
	u8 op;				/* the ring request's operation */
	u8 data_op;			/* the same, or an indirect request's inner one */
	unsigned int nr_grants;		/* grants not yet revoked */
	int grefs[HBLK_MAX_INDIRECT];
	int indirect_gref;		/* -1: none (left) */
	RING_IDX slot;			/* the ring index its request went to */
	struct scatterlist sg[HBLK_MAX_INDIRECT];
};

struct hblk_queue {
	struct hblk_info *info;
	spinlock_t lock;		/* the ring, the shadows, free_ids */
	struct blkif_front_ring ring;
	RING_IDX pushed;		/* req_prod as published to the backend */
	int ring_ref;
	unsigned int port;
	int irq;
	unsigned long free_ids;		/* bit set: shadow slot free */
	struct hblk_shadow shadow[HBLK_RING_SIZE];
	struct blkif_request_segment *indirect[HBLK_RING_SIZE];
	char name[24];
};

/* hblk_info.flags */
enum {
	HBLK_BROKEN,		/* the backend broke the protocol: disk disabled */
	HBLK_NO_FLUSH,		/* no cache to flush: flushes complete at once */
};

struct hblk_info {
	struct hcall_device *dev;
	struct gendisk *gd;
	struct blk_mq_tag_set tag_set;
	unsigned int index;		/* xvd<a + index> */
	unsigned int nr_queues;
	struct hblk_queue *queues;
	unsigned int max_segs;
	u8 flush_op;			/* BLKIF_OP_FLUSH_DISKCACHE or _WRITE_BARRIER */
	bool connected;
	bool closed;			/* the backend was told to let go */
	unsigned long flags;
	struct work_struct flush_off;	/* turns the write cache off */
};

/* A request to hand back to the block layer once the queue lock is dropped. */
struct hblk_done {
	struct request *req;
	blk_status_t sts;
};

static unsigned int hblk_max_queues = HBLK_MAX_QUEUES;
module_param_named(max_queues, hblk_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues,
		 "Most rings per disk (1-" __stringify(HBLK_MAX_QUEUES) "), read at each connect");

static int hblk_major;
static DEFINE_MUTEX(hblk_mutex);	/* connect vs. remove */

static_assert(HBLK_RING_SIZE < BITS_PER_LONG);

static bool hblk_broken(struct hblk_info *info)
{
	return test_bit(HBLK_BROKEN, &info->flags);
}

/* Disable the disk for good; said once, whatever broke first. */
static void hblk_break(struct hblk_queue *q, const char *why)
{
	if (!test_and_set_bit(HBLK_BROKEN, &q->info->flags))
		dev_err(&q->info->dev->dev, "%s: %s: disk disabled\n", q->name, why);
}

/*
 * Revoke what @s still grants. A grant the backend still uses stays in
 * @s, so the request keeps its pages. True when nothing is left.
 */
static bool hblk_end_grants(struct hblk_shadow *s)
{
	unsigned int i, kept = 0;

	for (i = 0; i < s->nr_grants; i++)
		if (!hcall_gnttab_end_access(s->grefs[i]))
			s->grefs[kept++] = s->grefs[i];
	s->nr_grants = kept;
	if (s->indirect_gref >= 0 && hcall_gnttab_end_access(s->indirect_gref))
		s->indirect_gref = -1;
	return !s->nr_grants && s->indirect_gref < 0;
}

/* Give slot @id's request back to the caller, which completes it unlocked. */
static void hblk_take(struct hblk_queue *q, unsigned long id, struct hblk_done *d,
		      blk_status_t sts)
{
	d->req = q->shadow[id].req;
	d->sts = sts;
	q->shadow[id].req = NULL;
	__set_bit(id, &q->free_ids);
}

/*
 * On a disabled disk, fail every request of @q whose grants can all be
 * revoked now: the backend can no longer reach its pages. The others wait
 * (interrupt, timeout, removal) for the backend to let go.
 */
static unsigned int hblk_reclaim(struct hblk_queue *q, struct hblk_done *done)
{
	unsigned int id, n = 0;

	lockdep_assert_held(&q->lock);
	for (id = 0; id < HBLK_RING_SIZE; id++)
		if (q->shadow[id].req && hblk_end_grants(&q->shadow[id]))
			hblk_take(q, id, &done[n++], BLK_STS_IOERR);
	return n;
}

static void hblk_complete(struct hblk_done *done, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		blk_mq_end_request(done[k].req, done[k].sts);
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

static bool hblk_is_flush(const struct hblk_shadow *s)
{
	return (s->op == BLKIF_OP_FLUSH_DISKCACHE || s->op == BLKIF_OP_WRITE_BARRIER) &&
	       !s->nr_grants;
}

/*
 * A backend without a cache to flush may say so at any time (Xen allows
 * it): from then on a flush is done as soon as asked, and the block layer
 * stops sending them once the write cache is off.
 */
static void hblk_no_flush(struct hblk_queue *q)
{
	if (test_and_set_bit(HBLK_NO_FLUSH, &q->info->flags))
		return;
	dev_warn(&q->info->dev->dev, "%s: backend cannot flush: write cache off\n", q->name);
	schedule_work(&q->info->flush_off);
}

static void hblk_flush_off(struct work_struct *work)
{
	struct hblk_info *info = container_of(work, struct hblk_info, flush_off);
	struct request_queue *rq = info->gd->queue;
	struct queue_limits lim = queue_limits_start_update(rq);

	lim.features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA);
	/* Not frozen: a flush still on its way is completed by hblk_queue_rq. */
	if (queue_limits_commit_update(rq, &lim))
		dev_warn(&info->dev->dev, "cannot turn the write cache off\n");
}

/* The operation the backend must echo: the request's, or for an indirect one either. */
static bool hblk_op_matches(const struct hblk_shadow *s, u8 op)
{
	return op == s->op || (s->op == BLKIF_OP_INDIRECT && op == s->data_op);
}

/*
 * Was @s's request published? One written to the ring but not yet pushed
 * is not the backend's to answer, though it can read the slot already.
 */
static bool hblk_published(const struct hblk_queue *q, const struct hblk_shadow *s)
{
	return s->slot - q->pushed >= q->ring.req_prod_pvt - q->pushed;
}

/* Take the responses in; false once the backend broke the protocol. */
static bool hblk_responses(struct hblk_queue *q, struct hblk_done *done, unsigned int *n)
{
	struct blkif_response rsp;
	struct hblk_shadow *s;
	blk_status_t sts;
	RING_IDX i, rp;
	int more;

	do {
		rp = READ_ONCE(q->ring.sring->rsp_prod);
		virt_rmb();	/* responses after the index that covers them */
		/* No more answers than requests published, not just written. */
		if (rp - q->ring.rsp_cons > q->pushed - q->ring.rsp_cons) {
			hblk_break(q, "bogus response index");
			return false;
		}
		for (i = q->ring.rsp_cons; i != rp; i++) {
			RING_COPY_RESPONSE(&q->ring, i, &rsp);
			if (rsp.id >= HBLK_RING_SIZE || !q->shadow[rsp.id].req ||
			    !hblk_published(q, &q->shadow[rsp.id])) {
				hblk_break(q, "response to no request");
				return false;
			}
			s = &q->shadow[rsp.id];
			if (!hblk_op_matches(s, rsp.operation)) {
				hblk_break(q, "response with the wrong operation");
				return false;
			}
			sts = hblk_status(rsp.status);
			if (sts == BLK_STS_NOTSUPP && hblk_is_flush(s)) {
				hblk_no_flush(q);
				sts = BLK_STS_OK;
			}
			/* Its image cannot punch holes: no more discards (as Xen's blkfront). */
			if (sts == BLK_STS_NOTSUPP && s->op == BLKIF_OP_DISCARD)
				blk_queue_disable_discard(q->info->gd->queue);
			/* Answered but still in use: the pages stay with the request. */
			if (!hblk_end_grants(s)) {
				q->ring.rsp_cons = i + 1;
				hblk_break(q, "backend still holds a granted page");
				return false;
			}
			/* At most HBLK_RING_SIZE are in flight, and none start now. */
			hblk_take(q, rsp.id, &done[(*n)++], sts);
		}
		q->ring.rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(&q->ring, more);
	} while (more);
	return true;
}

static irqreturn_t hblk_interrupt(int irq, void *dev_id)
{
	struct hblk_queue *q = dev_id;
	struct hblk_done done[HBLK_RING_SIZE];
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&q->lock, flags);
	if (hblk_broken(q->info) || !hblk_responses(q, done, &n))
		n += hblk_reclaim(q, done + n);
	spin_unlock_irqrestore(&q->lock, flags);
	/*
	 * Outside the lock: a completion may lead straight to a new request.
	 * Nothing of the disk is touched after the last one: blk-mq reruns
	 * a queue that waited for a slot by itself, and removal may free the
	 * disk as soon as the last request is done.
	 */
	hblk_complete(done, n);
	return IRQ_HANDLED;
}

/* Grant the request's pages and fill @ring_req; 0 or a negative errno. */
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

/* Fail what a disabled disk still holds; apart, to keep its array off the submission path. */
static noinline void hblk_push_broken(struct hblk_queue *q, unsigned long flags)
	__releases(&q->lock)
{
	struct hblk_done done[HBLK_RING_SIZE];
	unsigned int n = hblk_reclaim(q, done);

	spin_unlock_irqrestore(&q->lock, flags);
	hblk_complete(done, n);
}

/*
 * Publish the requests queued so far; ring the doorbell if the backend
 * sleeps. A disabled disk publishes nothing more: what it queued fails
 * here (a reclaim may already have taken those slots).
 */
static void hblk_push(struct hblk_queue *q)
{
	unsigned long flags;
	int notify;

	spin_lock_irqsave(&q->lock, flags);
	/*
	 * More answers than requests published: the backend read slots we had
	 * only written. Answers visible by now are caught here, before those
	 * slots are published and their answers could pass for legitimate.
	 */
	if (READ_ONCE(q->ring.sring->rsp_prod) - q->ring.rsp_cons >
	    q->pushed - q->ring.rsp_cons)
		hblk_break(q, "response to a request not yet published");
	if (hblk_broken(q->info)) {
		hblk_push_broken(q, flags);
		return;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
	q->pushed = q->ring.req_prod_pvt;
	spin_unlock_irqrestore(&q->lock, flags);
	if (notify)
		hcall_evtchn_send(q->port);
}

static void hblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	hblk_push(hctx->driver_data);
}

/*
 * Fill @ring_req for @req in free slot @id. BLK_STS_OK: @req is in the
 * slot (on the ring only if *@post).
 */
static blk_status_t hblk_prepare(struct hblk_queue *q, unsigned long id, struct request *req,
				 struct blkif_request *ring_req, bool *post)
{
	struct hblk_shadow *s = &q->shadow[id];
	int ret;

	*post = true;
	s->nr_grants = 0;
	s->indirect_gref = -1;
	switch (req_op(req)) {
	case REQ_OP_FLUSH:
		/* Empty: with no data a barrier is a flush too. */
		ring_req->operation = q->info->flush_op;
		ring_req->u.rw.id = id;
		break;
	case REQ_OP_DISCARD:
		ring_req->operation = BLKIF_OP_DISCARD;
		ring_req->u.discard.id = id;
		ring_req->u.discard.sector_number = blk_rq_pos(req);
		ring_req->u.discard.nr_sectors = blk_rq_sectors(req);
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		/* No FUA is advertised: the block layer adds a flush after such a write. */
		ring_req->operation = rq_data_dir(req) == READ ? BLKIF_OP_READ : BLKIF_OP_WRITE;
		ret = hblk_map(q, s, id, req, ring_req);
		if (!ret)
			break;
		if (!hblk_end_grants(s)) {
			/* Pinned before it was even asked: keep the pages, stop. */
			hblk_break(q, "backend took a grant it was never sent");
			*post = false;
			break;
		}
		/*
		 * Grants are shared by every disk: this queue may have nothing
		 * in flight to wait for, so blk-mq retries it after a delay.
		 */
		return ret == -ENOSPC ? BLK_STS_RESOURCE : BLK_STS_IOERR;
	default:
		return BLK_STS_NOTSUPP;
	}
	s->op = ring_req->operation;
	s->data_op = s->op == BLKIF_OP_INDIRECT ? ring_req->u.indirect.indirect_op : s->op;
	s->req = req;
	__clear_bit(id, &q->free_ids);
	return BLK_STS_OK;
}

static blk_status_t hblk_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct hblk_queue *q = hctx->driver_data;
	struct request *req = bd->rq;
	struct blkif_request ring_req = {};
	unsigned long flags, id;
	blk_status_t sts;
	bool post;

	blk_mq_start_request(req);
	if (hblk_broken(q->info))
		return BLK_STS_IOERR;
	if (req_op(req) == REQ_OP_FLUSH && test_bit(HBLK_NO_FLUSH, &q->info->flags)) {
		blk_mq_end_request(req, BLK_STS_OK);
		return BLK_STS_OK;
	}
	spin_lock_irqsave(&q->lock, flags);
	if (RING_FULL(&q->ring) || !q->free_ids) {
		/* This ring is full of our own requests: each one done reruns it. */
		spin_unlock_irqrestore(&q->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	id = __ffs(q->free_ids);
	sts = hblk_prepare(q, id, req, &ring_req, &post);
	if (sts == BLK_STS_OK && post) {
		q->shadow[id].slot = q->ring.req_prod_pvt;
		memcpy(RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt), &ring_req,
		       sizeof(ring_req));
		q->ring.req_prod_pvt++;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	/* One doorbell per batch from blk-mq, not one per request. */
	if (sts == BLK_STS_OK && bd->last)
		hblk_push(q);
	return sts;
}

/*
 * A request overdue on a disabled disk: fail it once the backend lets go
 * of its pages. On a working disk a slow backend is not an error.
 */
static enum blk_eh_timer_return hblk_timeout(struct request *req)
{
	struct hblk_queue *q = req->mq_hctx->driver_data;
	struct hblk_done done;
	unsigned long flags, id;
	bool ended = false;

	if (!hblk_broken(q->info))
		return BLK_EH_RESET_TIMER;
	spin_lock_irqsave(&q->lock, flags);
	for (id = 0; id < HBLK_RING_SIZE; id++)
		if (q->shadow[id].req == req && hblk_end_grants(&q->shadow[id])) {
			hblk_take(q, id, &done, BLK_STS_IOERR);
			ended = true;
		}
	spin_unlock_irqrestore(&q->lock, flags);
	if (!ended)
		return BLK_EH_RESET_TIMER;
	hblk_complete(&done, 1);
	return BLK_EH_DONE;
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
	.timeout = hblk_timeout,
	.init_hctx = hblk_init_hctx,
};

static const struct block_device_operations hblk_fops = {
	.owner = THIS_MODULE,
};

static void hblk_free_queue(struct hblk_queue *q)
{
	unsigned int i;

	/* First: once the irq is freed, no handler runs on @q. */
	hcall_bus_teardown_evtchn(&q->irq, q);
	/* Freed only once the backend let go; otherwise it stays granted. */
	hcall_bus_teardown_ring(q->info->dev, (void **)&q->ring.sring, &q->ring_ref);
	for (i = 0; i < HBLK_RING_SIZE; i++) {
		/* A segment page the backend may still read is leaked, not reused. */
		if (q->shadow[i].indirect_gref < 0 ||
		    hcall_gnttab_end_access(q->shadow[i].indirect_gref))
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

static int hblk_setup_queue(struct hblk_info *info, struct hblk_queue *q)
{
	struct blkif_sring *sring;
	unsigned int i;
	int ret;

	for (i = 0; i < HBLK_RING_SIZE; i++) {
		q->indirect[i] = (void *)get_zeroed_page(GFP_KERNEL);
		if (!q->indirect[i])
			return -ENOMEM;
	}
	/* Nobody reads the ring before its ref is in the store. */
	ret = hcall_bus_setup_ring(info->dev, GFP_KERNEL, (void **)&sring, &q->ring_ref);
	if (ret)
		return ret;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&q->ring, sring, PAGE_SIZE);
	ret = hcall_bus_setup_evtchn(info->dev, hblk_interrupt, 0, q->name, q, &q->port);
	if (ret < 0)
		return ret;
	q->irq = ret;
	/*
	 * blk-mq's default map gives queue i to CPU i: its completions go
	 * there too (best effort: an older host keeps every port on CPU 0).
	 */
	irq_set_affinity(q->irq, cpumask_of(cpumask_local_spread(q - info->queues, NUMA_NO_NODE)));
	return 0;
}

/* Remove @node below @dir; one that is not there is fine. */
static int hblk_store_rm(const char *dir, const char *node)
{
	int ret = hcall_store_rm(dir, node);

	return ret == -ENOENT ? 0 : ret;
}

/*
 * Remove every ring node a previous frontend left (a kernel before kexec
 * or kdump, this driver before a rebind, each with its own number of
 * queues): the backend reads multi-queue-num-queues first, so a stale one
 * would make it attach the old kernel's rings instead of ours.
 */
static int hblk_clear_rings(struct hcall_device *dev)
{
	char *names, *name;
	int len, ret;

	ret = hblk_store_rm(dev->nodename, "ring-ref");
	ret = ret ?: hblk_store_rm(dev->nodename, "event-channel");
	ret = ret ?: hblk_store_rm(dev->nodename, "multi-queue-num-queues");
	if (ret)
		return ret;
	names = kmalloc(HCALL_STORE_MAX_VALUE, GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	len = hcall_store_directory(dev->nodename, names, HCALL_STORE_MAX_VALUE);
	ret = len < 0 ? len : 0;
	for (name = names; len > 0 && name < names + len && !ret; name += strlen(name) + 1)
		if (str_has_prefix(name, "queue-"))
			ret = hblk_store_rm(dev->nodename, name);
	kfree(names);
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
	info->nr_queues = clamp(min3(num_online_cpus(), max_queues, READ_ONCE(hblk_max_queues)),
				1U, HBLK_MAX_QUEUES);
	info->queues = kcalloc(info->nr_queues, sizeof(*info->queues), GFP_KERNEL);
	if (!info->queues)
		return -ENOMEM;
	/* Every queue teardown-ready before any is set up. */
	for (i = 0; i < info->nr_queues; i++) {
		struct hblk_queue *q = &info->queues[i];
		unsigned int k;

		q->info = info;
		q->ring_ref = -1;
		spin_lock_init(&q->lock);
		q->free_ids = BIT(HBLK_RING_SIZE) - 1;
		for (k = 0; k < HBLK_RING_SIZE; k++)
			q->shadow[k].indirect_gref = -1;
		snprintf(q->name, sizeof(q->name), "xvd%c-q%u", 'a' + info->index, i);
	}
	for (i = 0; i < info->nr_queues; i++) {
		ret = hblk_setup_queue(info, &info->queues[i]);
		if (ret)
			return ret;
	}
	ret = hblk_clear_rings(dev);
	if (ret)
		return ret;
	if (info->nr_queues == 1) {
		ret = hcall_store_printf(dev->nodename, "ring-ref", "%d", info->queues[0].ring_ref);
		ret = ret ?: hcall_store_printf(dev->nodename, "event-channel", "%u",
						info->queues[0].port);
	} else {
		ret = hcall_store_printf(dev->nodename, "multi-queue-num-queues", "%u",
					 info->nr_queues);
		for (i = 0; i < info->nr_queues && !ret; i++) {
			snprintf(dir, sizeof(dir), "%s/queue-%u", dev->nodename, i);
			ret = hcall_store_printf(dir, "ring-ref", "%d", info->queues[i].ring_ref);
			ret = ret ?: hcall_store_printf(dir, "event-channel", "%u",
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

/*
 * Flushes, never FUA. The backend's barrier is a flush, the write, and a
 * flush: as FUA it would follow the block layer's own flush, three
 * fdatasyncs per journal commit instead of the two of flush, write, flush.
 * As Xen's blkfront does, feature-flush-cache wins over feature-barrier.
 */
static void hblk_cache_features(struct hblk_info *info, struct queue_limits *lim)
{
	if (hblk_feature(info, "feature-flush-cache"))
		info->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	else if (hblk_feature(info, "feature-barrier"))
		info->flush_op = BLKIF_OP_WRITE_BARRIER;
	else
		set_bit(HBLK_NO_FLUSH, &info->flags);
	if (!test_bit(HBLK_NO_FLUSH, &info->flags))
		lim->features |= BLK_FEAT_WRITE_CACHE;
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
	hblk_cache_features(info, &lim);
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
	info->gd = gd;		/* before the first request: hblk_flush_off uses it */
	ret = device_add_disk(&dev->dev, gd, NULL);
	if (ret) {
		/* In the reverse order of setup; the queues go in hblk_fail(). */
		cancel_work_sync(&info->flush_off);
		info->gd = NULL;
		put_disk(gd);
		blk_mq_free_tag_set(&info->tag_set);
		return ret;
	}
	info->connected = true;
	dev_info(&dev->dev, "%s: %llu sectors, %u queue(s), %u segments per request%s\n",
		 gd->disk_name, sectors, info->nr_queues, info->max_segs,
		 get_disk_ro(gd) ? ", read-only" : "");
	/* The disk is live now: a failure here is the store's, not a reason to pull it. */
	hcall_bus_switch_state(dev, HCALL_STATE_CONNECTED);
	return 0;
}

/*
 * Setting up failed before a disk existed: say why in the store, go to
 * Closing, and undo the rings (a ring the backend still maps is leaked).
 */
static void hblk_fail(struct hblk_info *info, int err, const char *what)
{
	WARN_ON(info->gd);
	hcall_bus_dev_fatal(info->dev, err, "%s failed", what);
	hblk_free_queues(info);
}

/*
 * Requests a disabled disk's backend never answered keep del_gendisk()
 * waiting: once the backend is closed, fail those whose pages it let go.
 */
static void hblk_reclaim_all(struct hblk_info *info)
{
	struct hblk_done done[HBLK_RING_SIZE];
	unsigned int i, n, held = 0;
	unsigned long flags;

	for (i = 0; i < info->nr_queues; i++) {
		struct hblk_queue *q = &info->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		n = hblk_reclaim(q, done);
		held += hweight_long(~q->free_ids & (BIT(HBLK_RING_SIZE) - 1));
		spin_unlock_irqrestore(&q->lock, flags);
		hblk_complete(done, n);
	}
	if (held)
		dev_warn(&info->dev->dev, "waiting for the backend to release %u request(s)\n",
			 held);
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
		if (info->connected || !info->queues || dev->state != HCALL_STATE_INITIALISED)
			break;
		ret = hblk_connect(info);
		if (ret)
			hblk_fail(info, ret, "connecting");
		break;
	case HCALL_STATE_CLOSING:
	case HCALL_STATE_CLOSED:
		if (state == HCALL_STATE_CLOSED && !info->queues)
			break;	/* ours closed before, nothing to undo */
		err = hcall_store_read_str(dev->otherend, "error");
		dev_err(&dev->dev, "backend %s: %s\n",
			state == HCALL_STATE_CLOSING ? "closing" : "closed",
			IS_ERR(err) ? "no reason" : err);
		if (!IS_ERR(err))
			kfree(err);
		if (!info->connected && info->queues) {
			hblk_fail(info, -EIO, "backend");
		} else if (info->connected) {
			/*
			 * Gone under a live disk (its driver domain died): it will
			 * answer nothing more. Fail what it let go of now, the rest
			 * on timeout, so I/O and removal end instead of waiting.
			 */
			hblk_break(&info->queues[0], "backend went away");
			hblk_reclaim_all(info);
		}
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
	INIT_WORK(&info->flush_off, hblk_flush_off);
	dev_set_drvdata(&dev->dev, info);
	return 0;
}

/* Ask the backend to let go of the rings and the pages, and wait a while. */
static void hblk_close_backend(struct hblk_info *info)
{
	struct hcall_device *dev = info->dev;
	enum hcall_state be;

	if (!info->queues || info->closed)
		return;
	info->closed = true;
	hcall_bus_switch_state(dev, HCALL_STATE_CLOSING);
	be = hcall_bus_wait_otherend(dev, BIT(HCALL_STATE_CLOSED) | BIT(HCALL_STATE_INIT_WAIT),
				     HBLK_CLOSE_TIMEOUT);
	if (be != HCALL_STATE_CLOSED && be != HCALL_STATE_INIT_WAIT)
		dev_warn(&dev->dev, "backend did not close (state %d)\n", be);
}

static void hblk_remove(struct hcall_device *dev)
{
	struct hblk_info *info = dev_get_drvdata(&dev->dev);
	struct gendisk *gd;

	/* The bus makes sure no otherend_changed() runs from here on. */
	mutex_lock(&hblk_mutex);
	gd = info->gd;
	info->connected = false;
	mutex_unlock(&hblk_mutex);
	if (gd && hblk_broken(info)) {
		hblk_close_backend(info);
		hblk_reclaim_all(info);
	}
	/* Waits for the requests in flight: the backend answers them all. */
	if (gd)
		del_gendisk(gd);
	hblk_close_backend(info);
	/* In the reverse order of setup: interrupts off before what they use goes. */
	mutex_lock(&hblk_mutex);
	hblk_free_queues(info);
	mutex_unlock(&hblk_mutex);
	cancel_work_sync(&info->flush_off);
	if (gd) {
		put_disk(gd);
		blk_mq_free_tag_set(&info->tag_set);
	}
	info->gd = NULL;
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
