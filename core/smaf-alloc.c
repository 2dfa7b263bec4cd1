// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: giving buffers memory, and moving it.
 *
 * A buffer's memory is chosen for every device that uses it: the attached
 * devices and the consumers userspace declared. The allocator is the one
 * forced at creation, else the highest-ranked one whose declared
 * capabilities (and own match(), if any) cover the merged constraints.
 * When a device attaches later and cannot use the memory, the memory moves
 * to new memory chosen for every user, content included, when nothing
 * holds the old one.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "smaf-internal.h"

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
 * smaf_mem_serves() - can a device use a buffer's current memory?
 * @buf: a buffer with memory
 * @dev: the device
 * @why: set to the unmet constraint when it cannot
 *
 * Context: Process context, buffer lock held.
 * Return: true if it can.
 */
bool smaf_mem_serves(struct smaf_buffer *buf, struct device *dev,
		     const char **why)
{
	struct smaf_constraints c;

	lockdep_assert_held(&buf->lock);
	if (!smaf_mem_reachable(buf->mem->sgt, dev)) {
		*why = "the memory lies beyond its DMA limit";
		return false;
	}
	smaf_device_constraints(dev, &c);
	if (!smaf_mem_below(buf->mem->sgt, dev, c.dma_limit)) {
		*why = "the memory lies beyond its declared DMA limit";
		return false;
	}
	if (c.contiguous && !smaf_mem_contiguous(buf->mem->sgt)) {
		*why = "it needs contiguous memory";
		return false;
	}
	return true;
}

/*
 * Collect the buffer's users (attached, declared, and @extra if not NULL)
 * and merge their constraints.
 */
static int smaf_request_init(struct smaf_buffer *buf, struct device *extra,
			     struct smaf_request *req)
{
	struct smaf_attachment *a;
	struct device **devs;
	unsigned int i, n = 0;

	lockdep_assert_held(&buf->lock);
	req->size = buf->size;
	req->secure = buf->secure;
	req->constraints.dma_limit = U64_MAX;
	req->constraints.contiguous = false;
	req->constraints.scatter_gather = true;
	req->devs = NULL;
	req->nr_devs = buf->nr_attachments + buf->nr_consumers + !!extra;
	if (!req->nr_devs)
		return 0;

	devs = kcalloc(req->nr_devs, sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return -ENOMEM;
	list_for_each_entry(a, &buf->attachments, node)
		devs[n++] = a->dev;
	for (i = 0; i < buf->nr_consumers; i++)
		devs[n++] = buf->consumers[i];
	if (extra)
		devs[n++] = extra;
	for (i = 0; i < n; i++)
		smaf_constraints_merge(&req->constraints, devs[i]);
	req->devs = devs;
	return 0;
}

/*
 * One line naming every user of a request and what it needs; rate-limited,
 * as userspace picks the devices and the size.
 */
static void smaf_log_refusal(struct smaf_buffer *buf,
			     const struct smaf_request *req,
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
	pr_err("buffer %lu: %s %zu bytes%s for: %s\n", buf->id, what,
	       buf->size, req->secure ? " of secure memory" : "",
	       req->nr_devs ? line : "the CPU only");
	kfree(line);
}

static bool smaf_reserve_bytes(struct smaf_buffer *buf)
{
	u64 total = atomic64_add_return(buf->size,
					&smaf_stats.allocated_bytes);

	if (total <= READ_ONCE(smaf_max_total_size))
		return true;
	atomic64_sub(buf->size, &smaf_stats.allocated_bytes);
	smaf_refuse("buffer %lu: %zu bytes pass max_total_size %llu\n",
		    buf->id, buf->size, READ_ONCE(smaf_max_total_size));
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

/*
 * Choose and allocate. On success *@allocp holds a module reference that
 * the caller owns along with the memory.
 */
static struct smaf_mem *smaf_choose(struct smaf_buffer *buf,
				    const struct smaf_request *req,
				    struct smaf_allocator **allocp)
{
	struct smaf_mem *mem = ERR_PTR(-ENODEV);
	struct smaf_allocator **cands;
	unsigned int i, n;

	if (buf->forced) {
		if (!smaf_allocator_serves(buf->forced, req)) {
			smaf_log_refusal(buf, req,
					 "forced allocator cannot serve");
			return ERR_PTR(-ENODEV);
		}
		/* The buffer pins the forced allocator: take one more. */
		__module_get(buf->forced->owner);
		mem = smaf_try_allocator(buf->forced, req);
		if (IS_ERR(mem))
			module_put(buf->forced->owner);
		*allocp = buf->forced;
		return mem;
	}

	cands = smaf_allocator_candidates(req, &n);
	if (IS_ERR(cands))
		return ERR_CAST(cands);
	if (!n)
		smaf_log_refusal(buf, req, "no allocator can serve");
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

static void smaf_mem_install(struct smaf_buffer *buf,
			     struct smaf_allocator *alloc,
			     struct smaf_mem *mem)
{
	s64 bytes, peak;

	buf->mem = mem;
	buf->alloc = alloc;
	atomic_inc(&alloc->buffers);
	bytes = atomic64_add_return(buf->size, &alloc->bytes);
	peak = atomic64_read(&alloc->peak_bytes);
	while (bytes > peak &&
	       !atomic64_try_cmpxchg(&alloc->peak_bytes, &peak, bytes))
		;
	atomic64_inc(&smaf_stats.allocated_buffers);
}

/**
 * smaf_mem_depopulate() - give a buffer's memory back to its allocator
 * @buf: the buffer; nothing maps its memory any more
 *
 * Context: Process context; buffer lock held, or the buffer unreachable.
 */
void smaf_mem_depopulate(struct smaf_buffer *buf)
{
	struct smaf_allocator *alloc = buf->alloc;

	if (!buf->mem)
		return;
	alloc->ops->release(alloc, buf->mem);
	atomic_dec(&alloc->buffers);
	atomic64_sub(buf->size, &alloc->bytes);
	module_put(alloc->owner);
	buf->mem = NULL;
	buf->alloc = NULL;
	atomic64_dec(&smaf_stats.allocated_buffers);
	atomic64_sub(buf->size, &smaf_stats.allocated_bytes);
}

/**
 * smaf_mem_populate() - give a buffer memory if it has none yet
 * @buf: the buffer
 *
 * Called by every path that needs memory; the buffer lock makes racing
 * first users allocate once.
 *
 * Context: Process context, buffer lock held.
 * Return: 0, -ENODEV when no allocator can serve every user, -ENOMEM, or
 * the allocator's error.
 */
int smaf_mem_populate(struct smaf_buffer *buf)
{
	struct smaf_allocator *alloc = NULL;
	struct smaf_request req;
	struct smaf_mem *mem;
	int ret;

	lockdep_assert_held(&buf->lock);
	if (buf->mem)
		return 0;
	ret = smaf_request_init(buf, NULL, &req);
	if (ret)
		return ret;
	if (!smaf_reserve_bytes(buf)) {
		ret = -ENOMEM;
		goto out_free_devs;
	}
	mem = smaf_choose(buf, &req, &alloc);
	if (IS_ERR(mem)) {
		atomic64_sub(buf->size, &smaf_stats.allocated_bytes);
		ret = PTR_ERR(mem);
		goto out_free_devs;
	}
	smaf_mem_install(buf, alloc, mem);
	if (buf->secure) {
		ret = smaf_secure_protect(buf);
		if (ret)
			smaf_mem_depopulate(buf);
	}
out_free_devs:
	kfree(req.devs);
	return ret;
}

static void smaf_mem_copy(struct sg_table *dst, struct sg_table *src)
{
	struct sg_page_iter d, s;

	__sg_page_iter_start(&d, dst->sgl, dst->orig_nents, 0);
	__sg_page_iter_start(&s, src->sgl, src->orig_nents, 0);
	while (__sg_page_iter_next(&d) && __sg_page_iter_next(&s)) {
		copy_highpage(sg_page_iter_page(&d), sg_page_iter_page(&s));
		cond_resched();
	}
}

/* Why the memory of @buf cannot move now, or NULL if it can. */
static const char *smaf_mem_pinned(struct smaf_buffer *buf)
{
	if (buf->secure)
		return "the buffer is secure";
	if (buf->nr_device_maps)
		return "a device has it mapped";
	if (buf->vmap_count)
		return "the kernel has it mapped";
	return NULL;
}

/**
 * smaf_mem_migrate() - move a buffer's memory so that one more device can
 *	use it
 * @buf: a buffer with memory
 * @dev: the device that cannot use the current memory
 * @why: the constraint @dev found unmet, for the log
 *
 * Moves only when no device mapping or kernel mapping holds the memory and
 * the buffer is not secure. CPU mmap()s follow: their page tables are
 * zapped before the copy and fault in the new pages.
 *
 * Context: Process context, buffer lock held.
 * Return: 0, -EBUSY when the memory cannot move or no allocator can serve
 * every user, or an allocation error.
 */
int smaf_mem_migrate(struct smaf_buffer *buf, struct device *dev,
		     const char *why)
{
	const char *pinned = smaf_mem_pinned(buf);
	struct smaf_allocator *alloc = NULL;
	char old_name[SMAF_NAME_LEN];
	struct smaf_request req;
	struct smaf_mem *mem;
	int ret;

	lockdep_assert_held(&buf->lock);
	if (pinned) {
		dev_err_ratelimited(dev, "smaf: cannot attach buffer %lu: %s, and %s\n",
				    buf->id, why, pinned);
		return -EBUSY;
	}
	ret = smaf_request_init(buf, dev, &req);
	if (ret)
		return ret;
	if (!smaf_reserve_bytes(buf)) {
		ret = -ENOMEM;
		goto out_free_devs;
	}
	mem = smaf_choose(buf, &req, &alloc);
	if (IS_ERR(mem)) {
		atomic64_sub(buf->size, &smaf_stats.allocated_bytes);
		ret = PTR_ERR(mem) == -ENODEV ? -EBUSY : PTR_ERR(mem);
		dev_err_ratelimited(dev, "smaf: cannot attach buffer %lu: %s, and no memory serves every user: %d\n",
				    buf->id, why, ret);
		goto out_free_devs;
	}

	/* CPU users fault on the old pages' absence until the swap is done. */
	unmap_mapping_range(buf->dmabuf->file->f_mapping, 0, 0, 1);
	smaf_mem_copy(mem->sgt, buf->mem->sgt);
	strscpy(old_name, buf->alloc->name, sizeof(old_name));
	smaf_mem_depopulate(buf);
	/* smaf_mem_depopulate() gave back the old bytes: count the new ones. */
	smaf_mem_install(buf, alloc, mem);
	buf->migrations++;
	dev_info(dev, "smaf: buffer %lu moved from %s to %s memory: %s\n",
		 buf->id, old_name, alloc->name, why);
out_free_devs:
	kfree(req.devs);
	return ret;
}
