// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-test-scatter: a test-only SMAF allocator whose memory is never
 * physically contiguous, and which declares itself secure-capable, so that
 * a secure buffer spans one firewall range per page. It exists to test
 * the core's multi-range paths that the reference allocators cannot reach
 * (smaf-cma's secure memory is one range; smaf-system is not
 * secure-capable): a grant refused on a later range revokes the earlier
 * ones, and scrubbing walks every entry of the table.
 *
 * Every page comes from its own order-1 block, split, of which the second
 * page is freed at once: the page kept has an even frame number, so no two
 * pages of a buffer are ever adjacent. Pages are zeroed, below 4 GiB
 * (GFP_DMA32) so that every test device reaches them. It ranks below every
 * real allocator and the tests force it by name; the VM loads it only for
 * the tests that use it (never through modules.list).
 *
 * The parameter short_pages makes it a broken allocator, for the core's
 * check of every allocator's table: its tables then describe that many
 * pages less than asked.
 */

#define pr_fmt(fmt) "smaf-test-scatter: " fmt

#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/smaf.h>

#define SMAF_SCATTER_GFP	(GFP_KERNEL | GFP_DMA32 | __GFP_ZERO | \
				 __GFP_NOWARN)

static unsigned int smaf_scatter_short_pages;
module_param_named(short_pages, smaf_scatter_short_pages, uint, 0644);
MODULE_PARM_DESC(short_pages,
		 "Describe this many pages less than asked (a broken allocator)");

/**
 * struct smaf_scatter_mem - the pages of one buffer
 * @mem: what SMAF sees; its sgt points at @sgt
 * @sgt: one PAGE_SIZE entry per page, none adjacent to another
 */
struct smaf_scatter_mem {
	struct smaf_mem mem;
	struct sg_table sgt;
};

static void smaf_scatter_free_pages(struct sg_table *sgt, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgt->sgl, sg, n, i)
		__free_page(sg_page(sg));
}

/* An order-0 page with an even frame number, or NULL. */
static struct page *smaf_scatter_alloc_page(void)
{
	struct page *page = alloc_pages(SMAF_SCATTER_GFP, 1);

	if (!page)
		return NULL;
	split_page(page, 1);
	__free_page(page + 1);
	return page;
}

static struct smaf_mem *smaf_scatter_allocate(struct smaf_allocator *alloc,
					      const struct smaf_request *req)
{
	unsigned int n = req->size >> PAGE_SHIFT, i;
	unsigned int short_pages = READ_ONCE(smaf_scatter_short_pages);
	struct smaf_scatter_mem *m;
	struct scatterlist *sg;
	struct page *page;
	int ret;

	if (short_pages < n)
		n -= short_pages;

	m = kzalloc(sizeof(*m), GFP_KERNEL | __GFP_NOWARN);
	if (!m)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(&m->sgt, n, GFP_KERNEL | __GFP_NOWARN);
	if (ret)
		goto out_free_mem;
	for_each_sgtable_sg(&m->sgt, sg, i) {
		page = smaf_scatter_alloc_page();
		if (!page) {
			ret = -ENOMEM;
			goto out_free_pages;
		}
		sg_set_page(sg, page, PAGE_SIZE, 0);
	}
	m->mem.sgt = &m->sgt;
	return &m->mem;

out_free_pages:
	smaf_scatter_free_pages(&m->sgt, i);
	sg_free_table(&m->sgt);
out_free_mem:
	kfree(m);
	return ERR_PTR(ret);
}

static void smaf_scatter_release(struct smaf_allocator *alloc,
				 struct smaf_mem *mem)
{
	struct smaf_scatter_mem *m = container_of(mem, struct smaf_scatter_mem,
						  mem);

	smaf_scatter_free_pages(&m->sgt, m->sgt.orig_nents);
	sg_free_table(&m->sgt);
	kfree(m);
}

static const struct smaf_allocator_ops smaf_scatter_ops = {
	.allocate = smaf_scatter_allocate,
	.release = smaf_scatter_release,
};

static struct smaf_allocator smaf_scatter_allocator = {
	.name = "smaf-test-scatter",
	.ranking = -100,
	.contiguous = false,
	.min_dma_limit = DMA_BIT_MASK(32),
	/* One sg entry per page: keep tables small. */
	.max_size = SZ_1M,
	.secure_capable = true,
	.ops = &smaf_scatter_ops,
	.owner = THIS_MODULE,
};

static int __init smaf_scatter_init(void)
{
	return smaf_register_allocator(&smaf_scatter_allocator);
}

static void __exit smaf_scatter_exit(void)
{
	smaf_unregister_allocator(&smaf_scatter_allocator);
}

module_init(smaf_scatter_init);
module_exit(smaf_scatter_exit);

MODULE_DESCRIPTION("SMAF test allocator of never-adjacent, secure-capable pages");
MODULE_LICENSE("GPL");
