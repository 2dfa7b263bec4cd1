// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-cma: SMAF allocator of physically contiguous memory from the DMA
 * API (the CMA area where the kernel has one, the page allocator else).
 *
 * It serves any set of devices that can all reach the memory it hands
 * out: it allocates for the lowest DMA limit among them, so it needs only
 * that limit to cover the low 4 GiB. Without CMA the page allocator caps a
 * contiguous block at 4 MiB, which it declares as its largest buffer. With
 * CMA, dma_get_sgtable() describes a block in one scatterlist entry, whose
 * length is an unsigned int: a buffer stops short of 4 GiB.
 */

#define pr_fmt(fmt) "smaf-cma: " fmt

#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/smaf.h>

/**
 * struct smaf_cma_mem - one contiguous block
 * @mem: what SMAF sees
 * @sgt: a single entry covering the block
 * @vaddr: kernel address from dma_alloc_attrs()
 * @dma: DMA address for smaf_cma_pdev (not used by devices)
 * @size: bytes
 */
struct smaf_cma_mem {
	struct smaf_mem mem;
	struct sg_table sgt;
	void *vaddr;
	dma_addr_t dma;
	size_t size;
};

/* The device the memory is allocated for; its coherent mask is the limit. */
static struct platform_device *smaf_cma_pdev;
/* Serialises setting smaf_cma_pdev's coherent mask and allocating. */
static DEFINE_MUTEX(smaf_cma_lock);

/* The largest DMA_BIT_MASK() not above @limit. */
static u64 smaf_cma_mask(u64 limit)
{
	if (limit == U64_MAX)
		return DMA_BIT_MASK(64);
	return DMA_BIT_MASK(ilog2(limit + 1));
}

static struct smaf_mem *smaf_cma_allocate(struct smaf_allocator *alloc,
					  const struct smaf_request *req)
{
	struct device *dev = &smaf_cma_pdev->dev;
	struct smaf_cma_mem *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->size = req->size;

	mutex_lock(&smaf_cma_lock);
	ret = dma_set_coherent_mask(dev,
				    smaf_cma_mask(req->constraints.dma_limit));
	if (!ret) {
		/* dma_alloc_attrs() returns zeroed memory. */
		m->vaddr = dma_alloc_attrs(dev, m->size, &m->dma,
					   GFP_KERNEL | __GFP_NOWARN, 0);
		if (!m->vaddr)
			ret = -ENOMEM;
	}
	mutex_unlock(&smaf_cma_lock);
	if (ret)
		goto out_free_mem;

	ret = dma_get_sgtable(dev, &m->sgt, m->vaddr, m->dma, m->size);
	if (ret)
		goto out_free_dma;
	m->mem.sgt = &m->sgt;
	return &m->mem;

out_free_dma:
	dma_free_attrs(dev, m->size, m->vaddr, m->dma, 0);
out_free_mem:
	kfree(m);
	return ERR_PTR(ret);
}

static void smaf_cma_release(struct smaf_allocator *alloc,
			     struct smaf_mem *mem)
{
	struct smaf_cma_mem *m = container_of(mem, struct smaf_cma_mem, mem);

	sg_free_table(&m->sgt);
	dma_free_attrs(&smaf_cma_pdev->dev, m->size, m->vaddr, m->dma, 0);
	kfree(m);
}

static const struct smaf_allocator_ops smaf_cma_ops = {
	.allocate = smaf_cma_allocate,
	.release = smaf_cma_release,
};

static struct smaf_allocator smaf_cma_allocator = {
	.name = "smaf-cma",
	.ranking = 0,
	.contiguous = true,
	/* ZONE_DMA (16 MiB on x86) is left to legacy devices. */
	.min_dma_limit = DMA_BIT_MASK(32),
	.secure_capable = true,
	.ops = &smaf_cma_ops,
	.owner = THIS_MODULE,
};

static int __init smaf_cma_init(void)
{
	int ret;

	smaf_cma_pdev = platform_device_register_simple("smaf-cma", -1,
							NULL, 0);
	if (IS_ERR(smaf_cma_pdev))
		return PTR_ERR(smaf_cma_pdev);
	ret = dma_set_mask_and_coherent(&smaf_cma_pdev->dev,
					DMA_BIT_MASK(64));
	if (ret)
		goto out_unregister_pdev;
	/*
	 * Without CMA, the page allocator's largest block caps a buffer; with
	 * it, the largest length one scatterlist entry can describe.
	 */
	if (!IS_ENABLED(CONFIG_DMA_CMA))
		smaf_cma_allocator.max_size = PAGE_SIZE << (MAX_ORDER - 1);
	else
		smaf_cma_allocator.max_size = rounddown(UINT_MAX, PAGE_SIZE);
	ret = smaf_register_allocator(&smaf_cma_allocator);
	if (ret)
		goto out_unregister_pdev;
	return 0;

out_unregister_pdev:
	platform_device_unregister(smaf_cma_pdev);
	return ret;
}

static void __exit smaf_cma_exit(void)
{
	smaf_unregister_allocator(&smaf_cma_allocator);
	platform_device_unregister(smaf_cma_pdev);
}

module_init(smaf_cma_init);
module_exit(smaf_cma_exit);

MODULE_DESCRIPTION("SMAF allocator of contiguous memory from the DMA API");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMAF_VERSION);
