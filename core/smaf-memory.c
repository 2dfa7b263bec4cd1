// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the memory layer. Given a request (a size, the secure flag and
 * the devices that will use the memory), it chooses the allocator, the one
 * forced at creation or else the highest-ranked one whose declared
 * capabilities, and own match() if any, cover the merged constraints; it
 * allocates within max_total_size, checks that the allocator kept its
 * promise, and counts what is held. It calls the registry and the
 * constraints, nothing above them, and never sees a buffer or a dma-buf.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "smaf-common.h"
#include "smaf-constraints.h"
#include "smaf-memory.h"
#include "smaf-registry.h"

struct smaf_stats smaf_stats;

u64 smaf_max_total_size = 1ULL << 30;
module_param_named(max_total_size, smaf_max_total_size, ullong, 0644);
MODULE_PARM_DESC(max_total_size,
		 "Most bytes of memory all SMAF buffers may hold at once (default 1 GiB)");

/**
 * smaf_mem_reachable() - can a device reach every byte of some memory?
 * @sgt: the memory
 * @dev: the device
 *
 * Addressing only: a device the DMA API bounces for every mapping anyway
 * (smaf_dev_bounces()) still reaches the memory through the copies.
 *
 * Context: Process context.
 * Return: true through a translating IOMMU, or when every entry lies
 * within the device's DMA limits.
 */
bool smaf_mem_reachable(struct sg_table *sgt, struct device *dev)
{
	struct scatterlist *sg;
	int i;

	if (smaf_dev_translated(dev))
		return true;
	if (!dev->dma_mask)
		return false;
	for_each_sgtable_sg(sgt, sg, i)
		if (!dma_capable(dev, phys_to_dma(dev, sg_phys(sg)),
				 sg->length, true))
			return false;
	return true;
}

/**
 * smaf_mem_contiguous() - is some memory one physically contiguous range?
 * @sgt: the memory
 *
 * Context: Any context.
 * Return: true if every entry starts where the previous one ends.
 */
bool smaf_mem_contiguous(struct sg_table *sgt)
{
	struct scatterlist *sg;
	phys_addr_t next = 0;
	int i;

	for_each_sgtable_sg(sgt, sg, i) {
		if (i && sg_phys(sg) != next)
			return false;
		next = sg_phys(sg) + sg->length;
	}
	return true;
}

/*
 * Does all of @sgt lie at or below @limit in @dev's DMA address space? A
 * rule can narrow a device's limit below its masks.
 */
static bool smaf_mem_below(struct sg_table *sgt, struct device *dev,
			   u64 limit)
{
	struct scatterlist *sg;
	int i;

	if (smaf_dev_translated(dev) || limit == U64_MAX)
		return true;
	for_each_sgtable_sg(sgt, sg, i)
		if (phys_to_dma(dev, sg_phys(sg)) + sg->length - 1 > limit)
			return false;
	return true;
}

/**
 * smaf_mem_serves() - can a device use some memory?
 * @sgt: the memory
 * @dev: the device
 * @why: set to the unmet constraint when it cannot
 *
 * Context: Process context.
 * Return: true if it can.
 */
bool smaf_mem_serves(struct sg_table *sgt, struct device *dev,
		     const char **why)
{
	struct smaf_constraints c;

	if (!smaf_mem_reachable(sgt, dev)) {
		*why = "the memory lies beyond its DMA limit";
		return false;
	}
	smaf_device_constraints(dev, &c);
	if (!smaf_mem_below(sgt, dev, c.dma_limit)) {
		*why = "the memory lies beyond its declared DMA limit";
		return false;
	}
	if (c.contiguous && !smaf_mem_contiguous(sgt)) {
		*why = "it needs contiguous memory";
		return false;
	}
	return true;
}

/**
 * smaf_request_init() - a request for memory that @devs will use
 * @req: filled
 * @size: bytes, a non-zero multiple of PAGE_SIZE
 * @secure: the memory will hold a secure buffer
 * @devs: the devices; must outlive @req
 * @nr_devs: entries in @devs (0: only the CPU)
 *
 * Context: Process context.
 */
void smaf_request_init(struct smaf_request *req, size_t size, bool secure,
		       struct device * const *devs, unsigned int nr_devs)
{
	unsigned int i;

	req->size = size;
	req->secure = secure;
	req->constraints.dma_limit = U64_MAX;
	req->constraints.contiguous = false;
	req->constraints.scatter_gather = true;
	req->devs = devs;
	req->nr_devs = nr_devs;
	for (i = 0; i < nr_devs; i++)
		smaf_constraints_merge(&req->constraints, devs[i]);
}

/*
 * One line naming every user of a request, what it needs and the size;
 * rate-limited, as userspace picks the devices and the size.
 */
static void smaf_log_refusal(unsigned long id, const struct smaf_request *req,
			     const char *what)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	char name[SMAF_DEVICE_NAME_LEN], need[64];
	size_t len = 1024, n = 0;
	unsigned int i;
	char *line;

	if (!__ratelimit(&rs))
		return;
	line = kmalloc(len, GFP_KERNEL);
	if (!line)
		return;
	line[0] = '\0';
	for (i = 0; i < req->nr_devs; i++) {
		smaf_device_name(req->devs[i], name);
		smaf_constraints_describe(req->devs[i], need, sizeof(need));
		n += scnprintf(line + n, len - n, "%s%s (%s)", i ? ", " : "",
			       name, need);
	}
	pr_err("buffer %lu: %s %zu bytes%s for: %s\n", id, what, req->size,
	       req->secure ? " of secure memory" : "",
	       req->nr_devs ? line : "the CPU only");
	kfree(line);
}

static bool smaf_reserve_bytes(unsigned long id, size_t size)
{
	u64 total = atomic64_add_return(size, &smaf_stats.allocated_bytes);

	if (total <= READ_ONCE(smaf_max_total_size))
		return true;
	atomic64_sub(size, &smaf_stats.allocated_bytes);
	smaf_refuse("buffer %lu: %zu bytes pass max_total_size %llu\n", id,
		    size, READ_ONCE(smaf_max_total_size));
	return false;
}

/* Bytes an allocator's table describes. */
static u64 smaf_mem_length(struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 len = 0;
	int i;

	for_each_sgtable_sg(sgt, sg, i)
		len += sg->length;
	return len;
}

/* Why memory from an allocator breaks its promise for @req, or NULL. */
static const char *smaf_mem_broken(struct smaf_mem *mem,
				   const struct smaf_request *req)
{
	unsigned int i;

	if (smaf_mem_length(mem->sgt) != req->size)
		return "a table that does not cover the size";
	if (req->constraints.contiguous && !smaf_mem_contiguous(mem->sgt))
		return "scattered memory for a contiguous request";
	for (i = 0; i < req->nr_devs; i++)
		if (!smaf_mem_reachable(mem->sgt, req->devs[i]))
			return "memory a device cannot reach";
	return NULL;
}

/*
 * Allocate from one allocator and check it kept its promise: every byte
 * of the request described, contiguous if asked, within every device's
 * reach. Vmap, device maps and the scrub all trust the table.
 */
static struct smaf_mem *smaf_try_allocator(struct smaf_allocator *alloc,
					   const struct smaf_request *req)
{
	struct smaf_mem *mem;
	const char *broken;

	mem = alloc->ops->allocate(alloc, req);
	if (IS_ERR(mem)) {
		atomic_inc(&alloc->failures);
		return mem;
	}
	broken = smaf_mem_broken(mem, req);
	if (!broken)
		return mem;
	pr_err("allocator %s broke its promise: %s (%zu bytes asked)\n",
	       alloc->name, broken, req->size);
	alloc->ops->release(alloc, mem);
	atomic_inc(&alloc->failures);
	return ERR_PTR(-EIO);
}

/* The forced allocator, pinned by the caller: one more reference. */
static struct smaf_mem *smaf_choose_forced(struct smaf_allocator *forced,
					   const struct smaf_request *req,
					   unsigned long id)
{
	struct smaf_mem *mem;

	if (!smaf_allocator_serves(forced, req)) {
		smaf_log_refusal(id, req, "forced allocator cannot serve");
		return ERR_PTR(-ENODEV);
	}
	__module_get(forced->owner);
	mem = smaf_try_allocator(forced, req);
	if (IS_ERR(mem))
		module_put(forced->owner);
	return mem;
}

/*
 * Choose and allocate. On success *@allocp holds a module reference that
 * the caller owns along with the memory.
 */
static struct smaf_mem *smaf_choose(const struct smaf_request *req,
				    struct smaf_allocator *forced,
				    unsigned long id,
				    struct smaf_allocator **allocp)
{
	struct smaf_mem *mem = ERR_PTR(-ENODEV);
	struct smaf_allocator **cands;
	unsigned int i, n;

	if (forced) {
		*allocp = forced;
		return smaf_choose_forced(forced, req, id);
	}
	cands = smaf_allocator_candidates(req, &n);
	if (IS_ERR(cands))
		return ERR_CAST(cands);
	if (!n)
		smaf_log_refusal(id, req, "no allocator can serve");
	for (i = 0; i < n; i++) {
		if (!IS_ERR(mem) || PTR_ERR(mem) == -EINTR)
			break;
		mem = smaf_try_allocator(cands[i], req);
		if (!IS_ERR(mem)) {
			*allocp = cands[i];
			cands[i] = NULL;
		}
	}
	for (i = 0; i < n; i++)
		smaf_allocator_put(cands[i]);
	kfree(cands);
	return mem;
}

/**
 * smaf_backing_alloc() - memory for a request
 * @b: an empty backing; filled on success
 * @req: what the memory must satisfy
 * @forced: the allocator forced at creation, pinned by the caller, or NULL
 * @id: the buffer's id, for the log lines
 *
 * Context: Process context, the backed buffer's lock held.
 * Return: 0, -ENOMEM beyond max_total_size, -ENODEV when no allocator can
 * serve the request, -EIO when the allocator broke its promise, or the
 * allocator's error.
 */
int smaf_backing_alloc(struct smaf_backing *b, const struct smaf_request *req,
		       struct smaf_allocator *forced, unsigned long id)
{
	struct smaf_allocator *alloc = NULL;
	struct smaf_mem *mem;
	s64 bytes, peak;

	if (!smaf_reserve_bytes(id, req->size))
		return -ENOMEM;
	mem = smaf_choose(req, forced, id, &alloc);
	if (IS_ERR(mem)) {
		atomic64_sub(req->size, &smaf_stats.allocated_bytes);
		return PTR_ERR(mem);
	}
	b->mem = mem;
	b->alloc = alloc;
	b->size = req->size;
	atomic_inc(&alloc->buffers);
	bytes = atomic64_add_return(b->size, &alloc->bytes);
	peak = atomic64_read(&alloc->peak_bytes);
	while (bytes > peak &&
	       !atomic64_try_cmpxchg(&alloc->peak_bytes, &peak, bytes))
		;
	atomic64_inc(&smaf_stats.allocated_buffers);
	return 0;
}

/**
 * smaf_backing_free() - give memory back to its allocator
 * @b: a backing, empty or not; nothing maps its memory any more
 *
 * Context: Process context; the backed buffer's lock held, or the buffer
 * unreachable.
 */
void smaf_backing_free(struct smaf_backing *b)
{
	struct smaf_allocator *alloc = b->alloc;

	if (!b->mem)
		return;
	alloc->ops->release(alloc, b->mem);
	atomic_dec(&alloc->buffers);
	atomic64_sub(b->size, &alloc->bytes);
	module_put(alloc->owner);
	b->mem = NULL;
	b->alloc = NULL;
	atomic64_dec(&smaf_stats.allocated_buffers);
	atomic64_sub(b->size, &smaf_stats.allocated_bytes);
}

/**
 * smaf_backing_copy() - copy the content of one memory into another
 * @dst: memory of the same size
 * @src: the memory to copy
 *
 * Context: Process context; may sleep.
 */
void smaf_backing_copy(struct smaf_backing *dst,
		       const struct smaf_backing *src)
{
	struct sg_page_iter d, s;

	__sg_page_iter_start(&d, dst->mem->sgt->sgl, dst->mem->sgt->orig_nents,
			     0);
	__sg_page_iter_start(&s, src->mem->sgt->sgl, src->mem->sgt->orig_nents,
			     0);
	while (__sg_page_iter_next(&d) && __sg_page_iter_next(&s)) {
		copy_highpage(sg_page_iter_page(&d), sg_page_iter_page(&s));
		cond_resched();
	}
}
