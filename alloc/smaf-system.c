// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-system: SMAF allocator of ordinary, scattered pages, built like
 * mainline's dma-buf system heap (drivers/dma-buf/heaps/system_heap.c).
 *
 * It serves buffers whose devices can take a scatter-gather list: devices
 * behind an IOMMU, and devices that reach every byte of RAM. Its pages come
 * from anywhere in memory (it never restricts itself to ZONE_DMA32), so a
 * device with a narrower DMA limit is left to smaf-cma. It ranks above
 * smaf-cma so that scattered memory goes to whoever can use it and
 * contiguous memory stays for the devices that need it.
 *
 * Chunks of 1 MiB, 64 KiB and 4 KiB are taken largest first, the sizes
 * IOMMUs map in one entry: fewer, larger entries mean fewer IOTLB misses
 * and faster mapping. Large chunks are only taken when free right now;
 * reclaim is left to the 64 KiB and 4 KiB attempts.
 */

#define pr_fmt(fmt) "smaf-system: " fmt

#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smaf.h>

/*
 * GFP_HIGHUSER: user-requested memory (cpuset hardwall), in any zone, as
 * the core maps pages with vmap() and remap_pfn_range() and never needs a
 * permanent kernel address (on x86_64 there is no highmem anyway). Not
 * __GFP_MOVABLE: the pages stay pinned for DMA. __GFP_COMP keeps a chunk's
 * refcount in its head page for importers that get_page() a tail page.
 * __GFP_NOWARN everywhere: the core falls back to the next allocator on
 * -ENOMEM, so a failure here is an expected result, not a splat.
 */
#define SMAF_SYSTEM_LOW_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP | \
				 __GFP_NOWARN)
/* The largest chunk only if it is free now: no retry, no reclaim. */
#define SMAF_SYSTEM_HIGH_GFP	((SMAF_SYSTEM_LOW_GFP | __GFP_NORETRY) & \
				 ~__GFP_RECLAIM)

/* Chunk orders, largest first: 1 MiB, 64 KiB, 4 KiB on 4 KiB pages. */
static const unsigned int smaf_system_orders[] = { 8, 4, 0 };
/* Order 4 is costly: reclaim and compaction may run, the OOM killer not. */
static const gfp_t smaf_system_gfp[] = {
	SMAF_SYSTEM_HIGH_GFP, SMAF_SYSTEM_LOW_GFP, SMAF_SYSTEM_LOW_GFP
};

/**
 * struct smaf_system_mem - the pages of one buffer
 * @mem: what SMAF sees; its sgt points at @sgt
 * @sgt: one entry per chunk, in allocation order; each chunk is a compound
 *	page of PAGE_SIZE << its order bytes, freed with that order
 *
 * Owned by the core between smaf_system_allocate() and
 * smaf_system_release(); no lock, nothing in it changes in between.
 */
struct smaf_system_mem {
	struct smaf_mem mem;
	struct sg_table sgt;
};

static void smaf_system_free_list(struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru)
		__free_pages(page, compound_order(page));
}

/*
 * One chunk, the largest that fits @size, starting at order index *@first:
 * an order that failed once is not tried again for the same buffer.
 */
static struct page *smaf_system_alloc_chunk(size_t size, unsigned int *first)
{
	struct page *page;
	unsigned int i;

	for (i = *first; i < ARRAY_SIZE(smaf_system_orders); i++) {
		if (size < PAGE_SIZE << smaf_system_orders[i])
			continue;
		page = alloc_pages(smaf_system_gfp[i], smaf_system_orders[i]);
		if (page) {
			*first = i;
			return page;
		}
	}
	return NULL;
}

/*
 * Fill @pages, linked through page->lru (free for the owner of an
 * allocated page: no list node to allocate), with zeroed chunks covering
 * @size bytes. Return: the number of chunks, or a negative errno with
 * @pages empty.
 */
static long smaf_system_alloc_pages(size_t size, struct list_head *pages)
{
	unsigned int first = 0;
	struct page *page;
	long nents = 0;
	int ret;

	while (size) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free_pages;
		}
		page = smaf_system_alloc_chunk(size, &first);
		if (!page) {
			ret = -ENOMEM;
			goto out_free_pages;
		}
		list_add_tail(&page->lru, pages);
		size -= page_size(page);
		nents++;
		cond_resched();
	}
	return nents;

out_free_pages:
	smaf_system_free_list(pages);
	INIT_LIST_HEAD(pages);
	return ret;
}

/* Move the chunks of @pages into @sgt, sized to hold exactly them. */
static void smaf_system_fill_sgt(struct sg_table *sgt, struct list_head *pages)
{
	struct scatterlist *sg = sgt->sgl;
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		sg_set_page(sg, page, page_size(page), 0);
		sg = sg_next(sg);
	}
}

static struct smaf_mem *smaf_system_allocate(struct smaf_allocator *alloc,
					     const struct smaf_request *req)
{
	struct smaf_system_mem *m;
	LIST_HEAD(pages);
	long nents;
	int ret;

	might_sleep();
	m = kzalloc(sizeof(*m), GFP_KERNEL | __GFP_NOWARN);
	if (!m)
		return ERR_PTR(-ENOMEM);

	nents = smaf_system_alloc_pages(req->size, &pages);
	if (nents < 0) {
		ret = nents;
		goto out_free_mem;
	}
	ret = sg_alloc_table(&m->sgt, nents, GFP_KERNEL | __GFP_NOWARN);
	if (ret)
		goto out_free_pages;
	smaf_system_fill_sgt(&m->sgt, &pages);
	m->mem.sgt = &m->sgt;
	return &m->mem;

out_free_pages:
	smaf_system_free_list(&pages);
out_free_mem:
	kfree(m);
	return ERR_PTR(ret);
}

static void smaf_system_release(struct smaf_allocator *alloc,
				struct smaf_mem *mem)
{
	struct smaf_system_mem *m = container_of(mem, struct smaf_system_mem,
						 mem);
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&m->sgt, sg, i)
		__free_pages(sg_page(sg), compound_order(sg_page(sg)));
	sg_free_table(&m->sgt);
	kfree(m);
}

static const struct smaf_allocator_ops smaf_system_ops = {
	.allocate = smaf_system_allocate,
	.release = smaf_system_release,
};

static struct smaf_allocator smaf_system_allocator = {
	.name = "smaf-system",
	.ranking = 10,
	.contiguous = false,
	/* Set at init: the DMA address of the top of RAM. */
	.min_dma_limit = U64_MAX,
	.max_size = 0,
	/*
	 * A memory firewall protects a few large ranges; a buffer of
	 * scattered 4 KiB to 1 MiB chunks would need one region per chunk
	 * and exhaust it. Secure buffers go to a contiguous allocator.
	 */
	.secure_capable = false,
	.ops = &smaf_system_ops,
	.owner = THIS_MODULE,
};

/*
 * The lowest DMA limit that still reaches every page the allocator may
 * return, i.e. all of RAM. max_pfn is not exported to modules, so ask the
 * DMA API, as a driver sizing its mask would: dma_get_required_mask() on a
 * bare platform device is dma-direct's answer, DMA_BIT_MASK(n) covering
 * the last page frame after phys_to_dma() (memory encryption bit and bus
 * offsets included), in the DMA address space device limits are in. A
 * device with a DMA_BIT_MASK() limit reaches all of RAM exactly when its
 * mask is at least that. Under dma_map_ops without get_required_mask (Xen
 * PV) the answer is a 32-bit guess: if it does not even cover the direct
 * map, claim nothing below U64_MAX. RAM hot-added later is not counted;
 * the core still checks each device against the pages it gets.
 */
static int __init smaf_system_dma_limit(u64 *limit)
{
	struct platform_device *pdev;

	pdev = platform_device_register_simple("smaf-system", -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	*limit = dma_get_required_mask(&pdev->dev);
	platform_device_unregister(pdev);
	if (*limit < virt_to_phys(high_memory - 1))
		*limit = U64_MAX;
	return 0;
}

static int __init smaf_system_init(void)
{
	int ret;

	ret = smaf_system_dma_limit(&smaf_system_allocator.min_dma_limit);
	if (ret)
		return ret;
	return smaf_register_allocator(&smaf_system_allocator);
}

static void __exit smaf_system_exit(void)
{
	smaf_unregister_allocator(&smaf_system_allocator);
}

module_init(smaf_system_init);
module_exit(smaf_system_exit);

MODULE_DESCRIPTION("SMAF allocator of scattered pages, largest chunks first");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMAF_VERSION);
