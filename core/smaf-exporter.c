// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the dma-buf exporter.
 *
 * One dma-buf is exported per buffer at creation, with no memory behind
 * it. Its ops give the buffer's memory to importers and to the CPU: the
 * first device map or CPU access asks the lifecycle for memory; each
 * device mapping gets its own copy of the page list, mapped for that
 * device with dma_map_sgtable(); CPU mappings insert the pages at fault
 * time; a secure buffer's every access is granted by the secure layer
 * first. This layer calls the lifecycle, the secure layer and the
 * constraints; the ioctls above it call smaf_export() and
 * smaf_exporter_get().
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "smaf-buffer.h"
#include "smaf-common.h"
#include "smaf-constraints.h"
#include "smaf-exporter.h"

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
static unsigned int smaf_exp_dev_access(enum dma_data_direction dir)
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
static unsigned int smaf_exp_cpu_access(enum dma_data_direction dir)
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

static const struct dma_buf_ops smaf_exp_ops;
static const struct dma_buf_ops smaf_exp_vmap_ops;

/**
 * DOC: kernel vmap
 *
 * Linux 6.1's dma_buf_vmap() treats an exporter's failing vmap as a kernel
 * bug (WARN_ON_ONCE), and it reads &dma_buf_ops.vmap twice: without a lock,
 * to refuse with -EINVAL when there is none, then under &dma_buf.lock to
 * call it. So the op must never fail, which rules out allocating memory in
 * it, and a buffer's ops must never lose their vmap, which rules out taking
 * it away when a buffer becomes secure.
 *
 * A buffer is therefore exported with ops that have no vmap: a kernel
 * importer that maps before anyone else (videobuf2-vmalloc) is refused by
 * the dma-buf core with -EINVAL, whatever could have made an allocation
 * fail. Once the buffer has memory that is not secure, which is for good
 * (the secure flag is fixed once memory exists, and memory never goes
 * away before release), the ops pointer is switched once to the same
 * table plus vmap and vunmap; a reader sees either the old table (no vmap:
 * -EINVAL) or the new one, on both reads, since the switch never goes
 * back. smaf_exp_vmap() then only maps memory that exists, and secure memory
 * is never mapped into the kernel.
 */

/* Once @buf has memory that is not secure, let the kernel vmap it. */
static void smaf_exp_allow_vmap(struct smaf_buffer *buf)
{
	lockdep_assert_held(&buf->lock);
	if (buf->state == SMAF_BUFFER_ALLOCATED && !smaf_buffer_secure(buf) &&
	    buf->dmabuf->ops != &smaf_exp_vmap_ops)
		WRITE_ONCE(buf->dmabuf->ops, &smaf_exp_vmap_ops);
}

/* smaf_buffer_populate(), and the vmap op for memory that may have it. */
static int smaf_exp_populate(struct smaf_buffer *buf)
{
	int ret = smaf_buffer_populate(buf);

	if (!ret)
		smaf_exp_allow_vmap(buf);
	return ret;
}

static int smaf_exp_attach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attachment)
{
	struct smaf_attachment *a;

	a = smaf_buffer_attach(dmabuf->priv, attachment->dev);
	if (IS_ERR(a))
		return PTR_ERR(a);
	attachment->priv = a;
	return 0;
}

static void smaf_exp_mapping_destroy(struct smaf_buffer *buf,
				     struct smaf_attachment *a,
				     struct smaf_mapping *m)
{
	lockdep_assert_held(&buf->lock);
	if (!smaf_buffer_secure(buf))
		dma_sync_sgtable_for_cpu(a->dev, &m->sgt, m->dir);
	dma_unmap_sgtable(a->dev, &m->sgt, m->dir, m->attrs);
	if (smaf_buffer_secure(buf))
		smaf_secure_revoke(&buf->secure, a->dev,
				   smaf_exp_dev_access(m->dir));
	sg_free_table(&m->sgt);
	list_del(&m->node);
	kfree(m);
	buf->nr_device_maps--;
	atomic64_dec(&smaf_stats.device_mappings);
}

static void smaf_exp_detach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attachment)
{
	struct smaf_buffer *buf = dmabuf->priv;
	struct smaf_attachment *a = attachment->priv;
	struct smaf_mapping *m, *tmp;

	mutex_lock(&buf->lock);
	list_for_each_entry_safe(m, tmp, &a->mappings, node) {
		dev_err(a->dev, "smaf: detached without unmapping\n");
		smaf_exp_mapping_destroy(buf, a, m);
	}
	smaf_buffer_detach(buf, a);
	mutex_unlock(&buf->lock);
}

/**
 * struct smaf_seg_limits - what one device's segments may be
 * @max: longest segment
 * @boundary: a segment never crosses a multiple of @boundary + 1
 */
struct smaf_seg_limits {
	unsigned int max;
	unsigned long boundary;
};

static void smaf_exp_seg_limits_init(struct smaf_seg_limits *l,
				     struct device *dev)
{
	if (smaf_dev_translated(dev)) {
		/* The IOMMU maps any segment anywhere. */
		l->max = UINT_MAX;
		l->boundary = ULONG_MAX;
		return;
	}
	l->max = dma_get_max_seg_size(dev);
	l->boundary = dma_get_seg_boundary(dev);
	/* Each segment is copied through one bounce slot. */
	if (smaf_dev_bounces(dev))
		l->max = min_t(size_t, l->max,
			       rounddown(dma_max_mapping_size(dev), PAGE_SIZE));
}

/*
 * Cut one entry of the buffer's page list into segments a device can take
 * (@l), writing them from @d on, or only counting them when @d is NULL.
 */
static unsigned int smaf_exp_sgt_split(struct scatterlist *s,
				       struct scatterlist **d,
				       const struct smaf_seg_limits *l)
{
	phys_addr_t addr = sg_phys(s);
	size_t off = 0, len;
	unsigned int n = 0;

	while (off < s->length) {
		len = min_t(size_t, s->length - off, l->max);
		if (l->boundary != ULONG_MAX)
			len = min_t(size_t, len, l->boundary -
				    ((addr + off) & l->boundary) + 1);
		if (*d) {
			size_t pos = s->offset + off;

			sg_set_page(*d, nth_page(sg_page(s), pos >> PAGE_SHIFT),
				    len, pos & ~PAGE_MASK);
			*d = sg_next(*d);
		}
		off += len;
		n++;
	}
	return n;
}

/* Copy the buffer's page list for @dev, cut to what @dev can take. */
static int smaf_exp_sgt_copy(struct sg_table *dst, struct sg_table *src,
			     struct device *dev)
{
	struct scatterlist *s, *d = NULL;
	struct smaf_seg_limits l;
	unsigned int n = 0;
	int ret, i;

	smaf_exp_seg_limits_init(&l, dev);
	for_each_sgtable_sg(src, s, i)
		n += smaf_exp_sgt_split(s, &d, &l);
	ret = sg_alloc_table(dst, n, GFP_KERNEL);
	if (ret)
		return ret;
	d = dst->sgl;
	for_each_sgtable_sg(src, s, i)
		smaf_exp_sgt_split(s, &d, &l);
	return 0;
}

/*
 * Secure memory is never bounced: the bounce buffers are memory any device
 * and the kernel share, the copy at map time would take the secrets there
 * whatever the attributes say, and a device's writes would land in them,
 * not in the protected ranges the secure module granted.
 */
static int smaf_exp_map_secure_check(struct smaf_buffer *buf,
				     struct device *dev)
{
	lockdep_assert_held(&buf->lock);
	if (!smaf_dev_bounces(dev))
		return 0;
	smaf_refuse("buffer %lu: %s bounces: no secure map\n", buf->id,
		    dev_name(dev));
	return -EOPNOTSUPP;
}

static struct sg_table *
smaf_exp_map_dma_buf(struct dma_buf_attachment *attachment,
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
	ret = smaf_exp_populate(buf);
	if (ret)
		goto out_unlock;
	if (smaf_buffer_secure(buf)) {
		ret = smaf_exp_map_secure_check(buf, a->dev);
		if (ret)
			goto out_unlock;
	}
	ret = smaf_exp_sgt_copy(&m->sgt, buf->backing.mem->sgt, a->dev);
	if (ret)
		goto out_unlock;
	if (smaf_buffer_secure(buf)) {
		ret = smaf_secure_grant(&buf->secure, buf->id, a->dev,
					smaf_exp_dev_access(dir));
		if (ret)
			goto out_free_table;
	}
	/*
	 * Mapped without cache maintenance, which is done explicitly below
	 * (never for secure memory: the CPU does not touch it): several
	 * devices map one buffer at once, and smaf-cma's memory is also its
	 * own device's coherent allocation, overlapping mappings that the
	 * DMA API (CONFIG_DMA_API_DEBUG) accepts only without a CPU sync.
	 */
	m->attrs = DMA_ATTR_SKIP_CPU_SYNC;
	ret = dma_map_sgtable(a->dev, &m->sgt, dir, m->attrs);
	if (ret) {
		dev_err_ratelimited(a->dev, "smaf: cannot map buffer %lu: %d\n",
				    buf->id, ret);
		goto out_revoke;
	}
	if (!smaf_buffer_secure(buf))
		dma_sync_sgtable_for_device(a->dev, &m->sgt, dir);
	list_add_tail(&m->node, &a->mappings);
	buf->nr_device_maps++;
	atomic64_inc(&smaf_stats.device_mappings);
	mutex_unlock(&buf->lock);
	return &m->sgt;

out_revoke:
	if (smaf_buffer_secure(buf))
		smaf_secure_revoke(&buf->secure, a->dev,
				   smaf_exp_dev_access(dir));
out_free_table:
	sg_free_table(&m->sgt);
out_unlock:
	mutex_unlock(&buf->lock);
	kfree(m);
	return ERR_PTR(ret);
}

static void smaf_exp_unmap_dma_buf(struct dma_buf_attachment *attachment,
				   struct sg_table *sgt,
				   enum dma_data_direction dir)
{
	struct smaf_buffer *buf = attachment->dmabuf->priv;
	struct smaf_mapping *m = container_of(sgt, struct smaf_mapping, sgt);

	mutex_lock(&buf->lock);
	smaf_exp_mapping_destroy(buf, attachment->priv, m);
	mutex_unlock(&buf->lock);
}

static void smaf_exp_sync_mappings(struct smaf_buffer *buf, bool for_cpu)
{
	struct smaf_attachment *a;
	struct smaf_mapping *m;

	lockdep_assert_held(&buf->lock);
	if (smaf_buffer_secure(buf))
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

static int smaf_exp_begin_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	struct smaf_buffer *buf = dmabuf->priv;
	int ret;

	mutex_lock(&buf->lock);
	ret = smaf_exp_populate(buf);
	if (ret)
		goto out_unlock;
	if (smaf_buffer_secure(buf)) {
		ret = smaf_secure_cpu_begin(&buf->secure, buf->id,
					    smaf_exp_cpu_access(dir),
					    dmabuf->file->f_mode & FMODE_WRITE);
		goto out_unlock;
	}
	if (buf->vaddr && is_vmalloc_addr(buf->vaddr))
		invalidate_kernel_vmap_range(buf->vaddr, buf->size);
	smaf_exp_sync_mappings(buf, true);
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static int smaf_exp_end_cpu_access(struct dma_buf *dmabuf,
				   enum dma_data_direction dir)
{
	struct smaf_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (smaf_buffer_secure(buf)) {
		smaf_secure_cpu_end(&buf->secure, smaf_exp_cpu_access(dir));
	} else if (buf->state == SMAF_BUFFER_ALLOCATED) {
		if (buf->vaddr && is_vmalloc_addr(buf->vaddr))
			flush_kernel_vmap_range(buf->vaddr, buf->size);
		smaf_exp_sync_mappings(buf, false);
	}
	mutex_unlock(&buf->lock);
	return 0;
}

static void smaf_exp_vm_open(struct vm_area_struct *vma)
{
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;

	mutex_lock(&buf->lock);
	cm->vmas++;
	buf->nr_vmas++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
}

static void smaf_exp_vm_close(struct vm_area_struct *vma)
{
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;

	mutex_lock(&buf->lock);
	buf->nr_vmas--;
	atomic64_dec(&smaf_stats.cpu_mappings);
	if (--cm->vmas == 0) {
		if (smaf_buffer_secure(buf))
			smaf_secure_revoke(&buf->secure, NULL, cm->access);
		kfree(cm);
	}
	mutex_unlock(&buf->lock);
}

/* Pages mapped by one CPU fault: a page fault per 1 MiB, not per page. */
#define SMAF_FAULT_AROUND	256

/*
 * mmap() installs no page: every page is mapped here, once the VMA is
 * linked to the dma-buf's file, under the buffer lock. A migration, which
 * zaps the file's mappings under the same lock, therefore never misses a
 * page table entry, and the VMA never carries remap_pfn_range()'s PAT
 * tracking, which a zap racing with a VMA split would leave inconsistent.
 */
static vm_fault_t smaf_exp_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;
	unsigned long addr = vmf->address, n = 0;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct sg_page_iter piter;

	mutex_lock(&buf->lock);
	if (buf->state != SMAF_BUFFER_ALLOCATED ||
	    vmf->pgoff >= buf->size >> PAGE_SHIFT)
		goto out_unlock;
	for_each_sgtable_page(buf->backing.mem->sgt, &piter, vmf->pgoff) {
		vm_fault_t r = vmf_insert_pfn(vma, addr,
				page_to_pfn(sg_page_iter_page(&piter)));

		if (!n)
			ret = r;
		addr += PAGE_SIZE;
		if (r != VM_FAULT_NOPAGE || ++n == SMAF_FAULT_AROUND ||
		    addr >= vma->vm_end)
			break;
	}
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static const struct vm_operations_struct smaf_exp_vm_ops = {
	.open = smaf_exp_vm_open,
	.close = smaf_exp_vm_close,
	.fault = smaf_exp_vm_fault,
};

static int smaf_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct smaf_buffer *buf = dmabuf->priv;
	unsigned long pages = buf->size >> PAGE_SHIFT;
	struct smaf_cpu_map *cm;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE)) {
		smaf_refuse("buffer %lu: private mappings are refused\n",
			    buf->id);
		return -EINVAL;
	}
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff) {
		smaf_refuse("buffer %lu: mapping past its end\n",
			    buf->id);
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
	ret = smaf_exp_populate(buf);
	if (ret)
		goto out_unlock;
	if (smaf_buffer_secure(buf)) {
		/* Grant what is asked; mprotect() cannot add writes later. */
		if (!(vma->vm_flags & VM_WRITE))
			vma->vm_flags &= ~VM_MAYWRITE;
		ret = smaf_secure_grant(&buf->secure, buf->id, NULL,
					cm->access);
		if (ret)
			goto out_unlock;
	}
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &smaf_exp_vm_ops;
	vma->vm_private_data = cm;
	buf->nr_vmas++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
	return 0;

out_unlock:
	mutex_unlock(&buf->lock);
	kfree(cm);
	return ret;
}

/*
 * A kernel mapping of the buffer's memory. Contiguous memory in the linear
 * map is already mapped; anything else is vmap()ed. The page array is
 * allocated with __GFP_NOFAIL (vmalloc gives up on a fatal signal
 * otherwise, which here would be a WARN): only the kernel running out of
 * page tables for vmap() itself can fail this, as for every exporter.
 */
static void *smaf_exp_vmap_pages(struct smaf_buffer *buf)
{
	unsigned int npages = buf->size >> PAGE_SHIFT, n = 0;
	struct page *first = sg_page(buf->backing.mem->sgt->sgl);
	struct sg_page_iter piter;
	struct page **pages;
	void *vaddr;

	if (smaf_mem_contiguous(buf->backing.mem->sgt) && !PageHighMem(first))
		return page_address(first) + buf->backing.mem->sgt->sgl->offset;
	pages = kvmalloc_array(npages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOFAIL);
	for_each_sgtable_page(buf->backing.mem->sgt, &piter, 0) {
		if (n == npages)
			break;
		pages[n++] = sg_page_iter_page(&piter);
	}
	vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

/* Reached only through smaf_exp_vmap_ops: see DOC: kernel vmap. */
static int smaf_exp_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct smaf_buffer *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmap_count) {
		buf->vaddr = smaf_exp_vmap_pages(buf);
		if (!buf->vaddr) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	buf->vmap_count++;
	atomic64_inc(&smaf_stats.cpu_mappings);
	iosys_map_set_vaddr(map, buf->vaddr);
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static void smaf_exp_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct smaf_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!--buf->vmap_count) {
		if (is_vmalloc_addr(buf->vaddr))
			vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	atomic64_dec(&smaf_stats.cpu_mappings);
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

static void smaf_exp_release(struct dma_buf *dmabuf)
{
	smaf_buffer_release(dmabuf->priv);
}

/* Every buffer's ops until it has memory that is not secure. */
static const struct dma_buf_ops smaf_exp_ops = {
	.attach = smaf_exp_attach,
	.detach = smaf_exp_detach,
	.map_dma_buf = smaf_exp_map_dma_buf,
	.unmap_dma_buf = smaf_exp_unmap_dma_buf,
	.release = smaf_exp_release,
	.begin_cpu_access = smaf_exp_begin_cpu_access,
	.end_cpu_access = smaf_exp_end_cpu_access,
	.mmap = smaf_exp_mmap,
};

/* The same, plus kernel vmap: see DOC: kernel vmap. */
static const struct dma_buf_ops smaf_exp_vmap_ops = {
	.attach = smaf_exp_attach,
	.detach = smaf_exp_detach,
	.map_dma_buf = smaf_exp_map_dma_buf,
	.unmap_dma_buf = smaf_exp_unmap_dma_buf,
	.release = smaf_exp_release,
	.begin_cpu_access = smaf_exp_begin_cpu_access,
	.end_cpu_access = smaf_exp_end_cpu_access,
	.mmap = smaf_exp_mmap,
	.vmap = smaf_exp_vmap,
	.vunmap = smaf_exp_vunmap,
};

/**
 * smaf_export() - create a buffer and its dma-buf, without memory
 * @size: size in bytes, a non-zero multiple of PAGE_SIZE
 * @flags: SMAF_CREATE_VALID_FLAGS bits
 * @forced: allocator to use, pinned by the caller, or NULL; the reference
 *	passes to the buffer, also on failure
 *
 * Context: Process context.
 * Return: the buffer, whose &smaf_buffer.dmabuf holds the only reference,
 * or an ERR_PTR().
 */
struct smaf_buffer *smaf_export(size_t size, u32 flags,
				struct smaf_allocator *forced)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;

	buf = smaf_buffer_new(size, forced);
	if (IS_ERR(buf))
		return buf;
	exp_info.exp_name = "smaf";
	exp_info.owner = THIS_MODULE;
	exp_info.ops = &smaf_exp_ops;
	exp_info.size = size;
	exp_info.flags = (flags & SMAF_RDWR) ? O_RDWR : O_RDONLY;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		smaf_buffer_discard(buf);
		return ERR_CAST(dmabuf);
	}
	/*
	 * From here on the dma-buf owns @buf: smaf_exp_release() frees it
	 * when the last reference goes, so later failures only call
	 * dma_buf_put().
	 */
	smaf_buffer_exported(buf, dmabuf);
	return buf;
}

/**
 * smaf_exporter_get() - look up the SMAF buffer behind a fd
 * @fd: the fd
 * @dmabuf: set to the dma-buf, referenced: release with dma_buf_put()
 *
 * Context: Process context.
 * Return: the buffer, ERR_PTR(-EBADF) for a bad fd, ERR_PTR(-EINVAL) for a
 * file SMAF did not export.
 */
struct smaf_buffer *smaf_exporter_get(int fd, struct dma_buf **dmabuf)
{
	struct dma_buf *d = dma_buf_get(fd);

	if (IS_ERR(d))
		return ERR_CAST(d);
	if (d->ops != &smaf_exp_ops && d->ops != &smaf_exp_vmap_ops) {
		dma_buf_put(d);
		return ERR_PTR(-EINVAL);
	}
	*dmabuf = d;
	return d->priv;
}
