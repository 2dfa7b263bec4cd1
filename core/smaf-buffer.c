// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: buffers and their dma-buf operations.
 *
 * One dma-buf is exported per buffer at creation, with no memory behind
 * it. The first device map or CPU access allocates the memory, once, from
 * the allocator forced at creation or else the highest-ranked allocator
 * that can serve every attached device. Each device mapping gets its own
 * copy of the page list, mapped for that device with dma_map_sgtable().
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "smaf-internal.h"

/**
 * struct smaf_attachment - one device attached to a buffer
 * @dev: the attached device
 * @node: entry in &smaf_buffer.attachments; protected by &smaf_buffer.lock
 * @mappings: &struct smaf_mapping list; protected by &smaf_buffer.lock
 */
struct smaf_attachment {
	struct device *dev;
	struct list_head node;
	struct list_head mappings;
};

/**
 * struct smaf_mapping - one active device mapping
 * @sgt: the buffer's pages, DMA-mapped for the attachment's device
 * @node: entry in &smaf_attachment.mappings
 * @dir: direction of the mapping
 * @attrs: DMA attributes of the mapping
 */
struct smaf_mapping {
	struct sg_table sgt;
	struct list_head node;
	enum dma_data_direction dir;
	unsigned long attrs;
};

/**
 * struct smaf_cpu_map - one mmap() of a buffer, shared by the VMAs it
 *	splits into
 * @buf: the buffer
 * @vmas: VMAs still using it; protected by &smaf_buffer.lock
 * @access: SMAF_ACCESS_* bits granted to the CPU (secure buffers)
 */
struct smaf_cpu_map {
	struct smaf_buffer *buf;
	unsigned int vmas;
	unsigned int access;
};

/* What a device does to memory it maps in direction @dir. */
static unsigned int smaf_dev_access(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return SMAF_ACCESS_READ;
	case DMA_FROM_DEVICE:
		return SMAF_ACCESS_WRITE;
	default:
		return SMAF_ACCESS_READ | SMAF_ACCESS_WRITE;
	}
}

/* What the CPU does to memory in a begin/end_cpu_access() bracket. */
static unsigned int smaf_cpu_access(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return SMAF_ACCESS_WRITE;
	case DMA_FROM_DEVICE:
		return SMAF_ACCESS_READ;
	default:
		return SMAF_ACCESS_READ | SMAF_ACCESS_WRITE;
	}
}

static const struct dma_buf_ops smaf_dmabuf_ops;

static void smaf_log_devices(struct smaf_buffer *buf, const char *what)
{
	struct smaf_attachment *a;

	list_for_each_entry(a, &buf->attachments, node)
		pr_err("buffer %lu: %s: %s (DMA limit %#llx)\n",
		       file_inode(buf->dmabuf->file)->i_ino, what,
		       dev_name(a->dev), smaf_device_dma_limit(a->dev));
}

/* Can @dev reach every byte of @sgt through dma-direct (or an IOMMU)? */
static bool smaf_reachable(struct sg_table *sgt, struct device *dev)
{
	struct scatterlist *sg;
	int i;

	if (device_iommu_mapped(dev))
		return true;
	if (!dev->dma_mask)
		return false;
	for_each_sgtable_sg(sgt, sg, i)
		if (!dma_capable(dev, phys_to_dma(dev, sg_phys(sg)),
				 sg->length, true))
			return false;
	return true;
}

static int smaf_request_init(struct smaf_buffer *buf,
			     struct smaf_request *req)
{
	struct smaf_attachment *a;
	struct device **devs;
	unsigned int n = 0;

	lockdep_assert_held(&buf->lock);
	req->size = buf->size;
	req->secure = buf->secure;
	req->dma_limit = U64_MAX;
	req->nr_devs = buf->nr_attachments;
	req->devs = NULL;
	if (!req->nr_devs)
		return 0;

	devs = kcalloc(req->nr_devs, sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return -ENOMEM;
	list_for_each_entry(a, &buf->attachments, node) {
		devs[n++] = a->dev;
		req->dma_limit = min(req->dma_limit,
				     smaf_device_dma_limit(a->dev));
	}
	req->devs = devs;
	return 0;
}

/* Check that an allocator kept its promise to every attached device. */
static bool smaf_mem_serves_all(struct smaf_buffer *buf, struct smaf_mem *mem)
{
	struct smaf_attachment *a;

	list_for_each_entry(a, &buf->attachments, node)
		if (!smaf_reachable(mem->sgt, a->dev))
			return false;
	return true;
}

static bool smaf_reserve_bytes(size_t size)
{
	u64 total = atomic64_add_return(size, &smaf_stats.allocated_bytes);

	if (total <= READ_ONCE(smaf_max_total_size))
		return true;
	atomic64_sub(size, &smaf_stats.allocated_bytes);
	return false;
}

/*
 * Try one pinned allocator. On success the buffer owns the memory and the
 * module reference; on failure the caller still owns the reference.
 */
static int smaf_try_allocator(struct smaf_buffer *buf,
			      struct smaf_allocator *alloc,
			      const struct smaf_request *req)
{
	struct smaf_mem *mem;
	u64 bytes;

	mem = alloc->ops->allocate(alloc, req);
	if (IS_ERR(mem)) {
		atomic_inc(&alloc->failures);
		return PTR_ERR(mem);
	}
	if (!smaf_mem_serves_all(buf, mem)) {
		pr_err("allocator %s returned memory a device cannot reach\n",
		       alloc->name);
		alloc->ops->release(alloc, mem);
		atomic_inc(&alloc->failures);
		return -EIO;
	}
	buf->mem = mem;
	buf->alloc = alloc;
	atomic_inc(&alloc->buffers);
	bytes = atomic64_add_return(buf->size, &alloc->bytes);
	if (bytes > atomic64_read(&alloc->peak_bytes))
		atomic64_set(&alloc->peak_bytes, bytes);
	atomic64_inc(&smaf_stats.allocated_buffers);
	return 0;
}

static int smaf_alloc_forced(struct smaf_buffer *buf,
			     const struct smaf_request *req)
{
	struct smaf_allocator *alloc = buf->forced;
	int ret;

	if (req->secure && !alloc->secure_capable) {
		pr_err("buffer %lu: allocator %s cannot hold secure memory\n",
		       file_inode(buf->dmabuf->file)->i_ino, alloc->name);
		return -ENODEV;
	}
	if (!alloc->ops->match(alloc, req)) {
		pr_err("buffer %lu: allocator %s cannot serve its devices\n",
		       file_inode(buf->dmabuf->file)->i_ino, alloc->name);
		smaf_log_devices(buf, "attached");
		return -ENODEV;
	}
	/* The buffer already pins @alloc through @forced: take one more. */
	__module_get(alloc->owner);
	ret = smaf_try_allocator(buf, alloc, req);
	if (ret)
		module_put(alloc->owner);
	return ret;
}

static int smaf_alloc_best(struct smaf_buffer *buf,
			   const struct smaf_request *req)
{
	struct smaf_allocator **cands;
	unsigned int i, n;
	int ret = -ENODEV;

	cands = smaf_allocator_candidates(req, &n);
	if (IS_ERR(cands))
		return PTR_ERR(cands);
	for (i = 0; i < n; i++) {
		if (ret != -ENODEV && ret != -ENOMEM && ret != -EIO)
			break;
		ret = smaf_try_allocator(buf, cands[i], req);
		if (!ret)
			cands[i] = NULL;
	}
	for (i = 0; i < n; i++)
		smaf_allocator_put(cands[i]);
	kfree(cands);

	if (!n) {
		pr_err("buffer %lu: no allocator can serve %zu bytes for its devices\n",
		       file_inode(buf->dmabuf->file)->i_ino, buf->size);
		smaf_log_devices(buf, "attached");
	}
	return ret;
}

static void smaf_buffer_depopulate(struct smaf_buffer *buf)
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

/*
 * Give the buffer memory if it has none yet. Called by every path that
 * needs memory; the buffer lock makes two racing first users allocate once.
 */
static int smaf_buffer_populate(struct smaf_buffer *buf)
{
	struct smaf_request req;
	int ret;

	lockdep_assert_held(&buf->lock);
	if (buf->mem)
		return 0;

	ret = smaf_request_init(buf, &req);
	if (ret)
		return ret;
	if (!smaf_reserve_bytes(buf->size)) {
		pr_err("buffer %lu: %zu bytes would pass max_total_size (%llu)\n",
		       file_inode(buf->dmabuf->file)->i_ino, buf->size,
		       READ_ONCE(smaf_max_total_size));
		ret = -ENOMEM;
		goto out_free_devs;
	}

	if (buf->forced)
		ret = smaf_alloc_forced(buf, &req);
	else
		ret = smaf_alloc_best(buf, &req);
	if (ret) {
		atomic64_sub(buf->size, &smaf_stats.allocated_bytes);
		goto out_free_devs;
	}
	if (buf->secure) {
		ret = smaf_secure_ranges_init(buf);
		if (ret)
			smaf_buffer_depopulate(buf);
	}
out_free_devs:
	kfree(req.devs);
	return ret;
}

static int smaf_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attachment)
{
	struct smaf_buffer *buf = dmabuf->priv;
	struct smaf_attachment *a;
	int ret = 0;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->mappings);

	mutex_lock(&buf->lock);
	if (buf->mem && !smaf_reachable(buf->mem->sgt, a->dev)) {
		dev_err(a->dev, "smaf: cannot attach buffer %lu: its %s memory lies beyond the device's DMA limit %#llx\n",
			file_inode(dmabuf->file)->i_ino, buf->alloc->name,
			smaf_device_dma_limit(a->dev));
		ret = -EBUSY;
		goto out_unlock;
	}
	list_add_tail(&a->node, &buf->attachments);
	buf->nr_attachments++;
	atomic64_inc(&smaf_stats.attachments);
	attachment->priv = a;
	a = NULL;
out_unlock:
	mutex_unlock(&buf->lock);
	kfree(a);
	return ret;
}

static void smaf_mapping_destroy(struct smaf_buffer *buf,
				 struct smaf_attachment *a,
				 struct smaf_mapping *m)
{
	lockdep_assert_held(&buf->lock);
	dma_unmap_sgtable(a->dev, &m->sgt, m->dir, m->attrs);
	if (buf->secure)
		smaf_secure_revoke(buf, a->dev, smaf_dev_access(m->dir));
	sg_free_table(&m->sgt);
	list_del(&m->node);
	kfree(m);
	buf->nr_device_maps--;
	atomic64_dec(&smaf_stats.device_mappings);
}

static void smaf_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attachment)
{
	struct smaf_buffer *buf = dmabuf->priv;
	struct smaf_attachment *a = attachment->priv;
	struct smaf_mapping *m, *tmp;

	mutex_lock(&buf->lock);
	list_for_each_entry_safe(m, tmp, &a->mappings, node) {
		dev_err(a->dev, "smaf: detached without unmapping\n");
		smaf_mapping_destroy(buf, a, m);
	}
	list_del(&a->node);
	buf->nr_attachments--;
	atomic64_dec(&smaf_stats.attachments);
	mutex_unlock(&buf->lock);
	kfree(a);
}

static int smaf_sgt_copy(struct sg_table *dst, struct sg_table *src)
{
	struct scatterlist *s, *d;
	int ret, i;

	ret = sg_alloc_table(dst, src->orig_nents, GFP_KERNEL);
	if (ret)
		return ret;
	d = dst->sgl;
	for_each_sgtable_sg(src, s, i) {
		sg_set_page(d, sg_page(s), s->length, s->offset);
		d = sg_next(d);
	}
	return 0;
}

static struct sg_table *smaf_map_dma_buf(struct dma_buf_attachment *attachment,
					 enum dma_data_direction dir)
{
	struct smaf_buffer *buf = attachment->dmabuf->priv;
	struct smaf_attachment *a = attachment->priv;
	struct smaf_mapping *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->dir = dir;

	mutex_lock(&buf->lock);
	ret = smaf_buffer_populate(buf);
	if (ret)
		goto out_unlock;
	ret = smaf_sgt_copy(&m->sgt, buf->mem->sgt);
	if (ret)
		goto out_unlock;
	if (buf->secure) {
		/* Secure memory is never touched by the CPU: no cache work. */
		m->attrs = DMA_ATTR_SKIP_CPU_SYNC;
		ret = smaf_secure_grant(buf, a->dev, smaf_dev_access(dir));
		if (ret)
			goto out_free_table;
	}
	ret = dma_map_sgtable(a->dev, &m->sgt, dir, m->attrs);
	if (ret) {
		dev_err(a->dev, "smaf: cannot map buffer %lu: %d\n",
			file_inode(buf->dmabuf->file)->i_ino, ret);
		goto out_revoke;
	}
	list_add_tail(&m->node, &a->mappings);
	buf->nr_device_maps++;
	atomic64_inc(&smaf_stats.device_mappings);
	mutex_unlock(&buf->lock);
	return &m->sgt;

out_revoke:
	if (buf->secure)
		smaf_secure_revoke(buf, a->dev, smaf_dev_access(dir));
out_free_table:
	sg_free_table(&m->sgt);
out_unlock:
	mutex_unlock(&buf->lock);
	kfree(m);
	return ERR_PTR(ret);
}

static void smaf_unmap_dma_buf(struct dma_buf_attachment *attachment,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct smaf_buffer *buf = attachment->dmabuf->priv;
	struct smaf_mapping *m = container_of(sgt, struct smaf_mapping, sgt);

	mutex_lock(&buf->lock);
	smaf_mapping_destroy(buf, attachment->priv, m);
	mutex_unlock(&buf->lock);
}

static void smaf_sync_mappings(struct smaf_buffer *buf, bool for_cpu)
{
	struct smaf_attachment *a;
	struct smaf_mapping *m;

	lockdep_assert_held(&buf->lock);
	if (buf->secure)
		return;
	list_for_each_entry(a, &buf->attachments, node)
		list_for_each_entry(m, &a->mappings, node) {
			if (for_cpu)
				dma_sync_sgtable_for_cpu(a->dev, &m->sgt,
							 m->dir);
			else
				dma_sync_sgtable_for_device(a->dev, &m->sgt,
							    m->dir);
		}
}

static int smaf_begin_cpu_access(struct dma_buf *dmabuf,
				 enum dma_data_direction dir)
{
	struct smaf_buffer *buf = dmabuf->priv;
	int ret;

	mutex_lock(&buf->lock);
	ret = smaf_buffer_populate(buf);
	if (ret)
		goto out_unlock;
	if (buf->secure) {
		ret = smaf_secure_cpu_begin(buf, smaf_cpu_access(dir));
		goto out_unlock;
	}
	if (buf->vaddr)
		invalidate_kernel_vmap_range(buf->vaddr, buf->size);
	smaf_sync_mappings(buf, true);
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static int smaf_end_cpu_access(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	struct smaf_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (buf->secure) {
		smaf_secure_cpu_end(buf, smaf_cpu_access(dir));
	} else if (buf->mem) {
		if (buf->vaddr)
			flush_kernel_vmap_range(buf->vaddr, buf->size);
		smaf_sync_mappings(buf, false);
	}
	mutex_unlock(&buf->lock);
	return 0;
}

static void smaf_vm_open(struct vm_area_struct *vma)
{
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;

	mutex_lock(&buf->lock);
	cm->vmas++;
	buf->nr_vmas++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
}

static void smaf_vm_close(struct vm_area_struct *vma)
{
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;

	mutex_lock(&buf->lock);
	buf->nr_vmas--;
	atomic64_dec(&smaf_stats.cpu_mappings);
	if (--cm->vmas == 0) {
		if (buf->secure)
			smaf_secure_revoke(buf, NULL, cm->access);
		kfree(cm);
	}
	mutex_unlock(&buf->lock);
}

static const struct vm_operations_struct smaf_vm_ops = {
	.open = smaf_vm_open,
	.close = smaf_vm_close,
};

/* Map the pages from page offset @pgoff on into @vma, entry by entry. */
static int smaf_remap(struct sg_table *sgt, struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start, skip = vma->vm_pgoff;
	struct scatterlist *sg;
	int i, ret;

	for_each_sgtable_sg(sgt, sg, i) {
		unsigned long npages = sg->length >> PAGE_SHIFT;
		unsigned long len;

		if (skip >= npages) {
			skip -= npages;
			continue;
		}
		len = min((npages - skip) << PAGE_SHIFT, vma->vm_end - addr);
		ret = remap_pfn_range(vma, addr,
				      page_to_pfn(sg_page(sg)) + skip, len,
				      vma->vm_page_prot);
		if (ret)
			return ret;
		addr += len;
		skip = 0;
		if (addr >= vma->vm_end)
			break;
	}
	return 0;
}

static int smaf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct smaf_buffer *buf = dmabuf->priv;
	unsigned long pages = buf->size >> PAGE_SHIFT;
	struct smaf_cpu_map *cm;
	int ret;

	if (!(vma->vm_flags & VM_SHARED)) {
		smaf_refuse("buffer %lu: private mappings are refused\n",
			    file_inode(dmabuf->file)->i_ino);
		return -EINVAL;
	}
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff) {
		smaf_refuse("buffer %lu: mapping past its end\n",
			    file_inode(dmabuf->file)->i_ino);
		return -EINVAL;
	}

	cm = kzalloc(sizeof(*cm), GFP_KERNEL);
	if (!cm)
		return -ENOMEM;
	cm->buf = buf;
	cm->vmas = 1;
	cm->access = SMAF_ACCESS_READ;
	if (vma->vm_flags & VM_WRITE)
		cm->access |= SMAF_ACCESS_WRITE;

	mutex_lock(&buf->lock);
	ret = smaf_buffer_populate(buf);
	if (ret)
		goto out_unlock;
	if (buf->secure) {
		/* Grant what is asked; mprotect() cannot add writes later. */
		if (!(vma->vm_flags & VM_WRITE))
			vma->vm_flags &= ~VM_MAYWRITE;
		ret = smaf_secure_grant(buf, NULL, cm->access);
		if (ret)
			goto out_unlock;
	}
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &smaf_vm_ops;
	vma->vm_private_data = cm;
	ret = smaf_remap(buf->mem->sgt, vma);
	if (ret)
		goto out_revoke;
	buf->nr_vmas++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
	return 0;

out_revoke:
	if (buf->secure)
		smaf_secure_revoke(buf, NULL, cm->access);
out_unlock:
	mutex_unlock(&buf->lock);
	kfree(cm);
	return ret;
}

static void *smaf_vmap_pages(struct smaf_buffer *buf)
{
	unsigned int npages = buf->size >> PAGE_SHIFT, n = 0;
	struct sg_page_iter piter;
	struct page **pages;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for_each_sgtable_page(buf->mem->sgt, &piter, 0) {
		if (n == npages)
			break;
		pages[n++] = sg_page_iter_page(&piter);
	}
	vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

static int smaf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct smaf_buffer *buf = dmabuf->priv;
	int ret;

	mutex_lock(&buf->lock);
	ret = smaf_buffer_populate(buf);
	if (ret)
		goto out_unlock;
	if (buf->secure) {
		ret = smaf_secure_grant(buf, NULL,
					SMAF_ACCESS_READ | SMAF_ACCESS_WRITE);
		if (ret)
			goto out_unlock;
	}
	if (!buf->vmap_count) {
		buf->vaddr = smaf_vmap_pages(buf);
		if (!buf->vaddr) {
			ret = -ENOMEM;
			goto out_revoke;
		}
	}
	buf->vmap_count++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	iosys_map_set_vaddr(map, buf->vaddr);
	mutex_unlock(&buf->lock);
	return 0;

out_revoke:
	if (buf->secure)
		smaf_secure_revoke(buf, NULL,
				   SMAF_ACCESS_READ | SMAF_ACCESS_WRITE);
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static void smaf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct smaf_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (buf->secure)
		smaf_secure_revoke(buf, NULL,
				   SMAF_ACCESS_READ | SMAF_ACCESS_WRITE);
	if (!--buf->vmap_count) {
		vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	atomic64_dec(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

static void smaf_release(struct dma_buf *dmabuf)
{
	struct smaf_buffer *buf = dmabuf->priv;

	if (smaf_secure_release(buf))
		smaf_buffer_depopulate(buf);
	smaf_allocator_put(buf->forced);
	mutex_destroy(&buf->lock);
	kfree(buf);
	atomic64_dec(&smaf_stats.buffers);
}

static const struct dma_buf_ops smaf_dmabuf_ops = {
	.attach = smaf_attach,
	.detach = smaf_detach,
	.map_dma_buf = smaf_map_dma_buf,
	.unmap_dma_buf = smaf_unmap_dma_buf,
	.release = smaf_release,
	.begin_cpu_access = smaf_begin_cpu_access,
	.end_cpu_access = smaf_end_cpu_access,
	.mmap = smaf_mmap,
	.vmap = smaf_vmap,
	.vunmap = smaf_vunmap,
};

/**
 * smaf_buffer_create() - create a buffer and its dma-buf, without memory
 * @size: size in bytes, a non-zero multiple of PAGE_SIZE
 * @flags: SMAF_CREATE_VALID_FLAGS bits
 * @forced: allocator to use, pinned by the caller, or NULL; the reference
 *	passes to the buffer, also on failure
 *
 * Context: Process context.
 * Return: the buffer, whose &smaf_buffer.dmabuf holds the only reference,
 * or an ERR_PTR().
 */
struct smaf_buffer *smaf_buffer_create(size_t size, u32 flags,
				       struct smaf_allocator *forced)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		smaf_allocator_put(forced);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->size = size;
	buf->forced = forced;

	exp_info.exp_name = "smaf";
	exp_info.owner = THIS_MODULE;
	exp_info.ops = &smaf_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = (flags & SMAF_RDWR) ? O_RDWR : O_RDONLY;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		mutex_destroy(&buf->lock);
		kfree(buf);
		smaf_allocator_put(forced);
		return ERR_CAST(dmabuf);
	}
	/*
	 * From here on the dma-buf owns @buf: smaf_release() frees it when the
	 * last reference goes, so later failures only call dma_buf_put().
	 */
	buf->dmabuf = dmabuf;
	atomic64_inc(&smaf_stats.buffers);
	return buf;
}

/**
 * smaf_buffer_get() - look up the SMAF buffer behind a fd
 * @fd: the fd
 * @dmabuf: set to the dma-buf, referenced: release with dma_buf_put()
 *
 * Context: Process context.
 * Return: the buffer, ERR_PTR(-EBADF) for a bad fd, ERR_PTR(-EINVAL) for a
 * file SMAF did not export.
 */
struct smaf_buffer *smaf_buffer_get(int fd, struct dma_buf **dmabuf)
{
	struct dma_buf *d = dma_buf_get(fd);

	if (IS_ERR(d))
		return ERR_CAST(d);
	if (d->ops != &smaf_dmabuf_ops) {
		dma_buf_put(d);
		return ERR_PTR(-EINVAL);
	}
	*dmabuf = d;
	return d->priv;
}

/**
 * smaf_buffer_fill_info() - report a buffer's state
 * @buf: the buffer
 * @info: filled, except &smaf_buffer_info.fd and &smaf_buffer_info.flags
 *
 * Context: Process context. Takes and releases the buffer lock.
 */
void smaf_buffer_fill_info(struct smaf_buffer *buf,
			   struct smaf_buffer_info *info)
{
	struct smaf_allocator *alloc;

	mutex_lock(&buf->lock);
	info->size = buf->size;
	info->allocated = !!buf->mem;
	info->secure = buf->secure;
	info->attachments = buf->nr_attachments;
	info->device_mappings = buf->nr_device_maps;
	info->cpu_mappings = buf->nr_vmas + buf->vmap_count;
	info->migrations = 0;
	alloc = buf->alloc ? buf->alloc : buf->forced;
	if (alloc)
		strscpy_pad(info->allocator, alloc->name, SMAF_NAME_LEN);
	mutex_unlock(&buf->lock);
}
