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
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "smaf-internal.h"

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
static const struct dma_buf_ops smaf_dmabuf_vmap_ops;

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
 * back. smaf_vmap() then only maps memory that exists, and secure memory
 * is never mapped into the kernel.
 */

/* Once @buf has memory that is not secure, let the kernel vmap it. */
static void smaf_buffer_allow_vmap(struct smaf_buffer *buf)
{
	lockdep_assert_held(&buf->lock);
	if (buf->mem && !buf->secure &&
	    buf->dmabuf->ops != &smaf_dmabuf_vmap_ops)
		WRITE_ONCE(buf->dmabuf->ops, &smaf_dmabuf_vmap_ops);
}

/* smaf_mem_populate(), and the vmap op for memory that may have it. */
static int smaf_buffer_populate(struct smaf_buffer *buf)
{
	int ret = smaf_mem_populate(buf);

	if (!ret)
		smaf_buffer_allow_vmap(buf);
	return ret;
}

/* Protects smaf_buffers; see DOC: locking in smaf-core.c. */
static DEFINE_MUTEX(smaf_buffers_lock);
/* Every live buffer, oldest first, for debugfs. */
static LIST_HEAD(smaf_buffers);

static int smaf_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attachment)
{
	struct smaf_buffer *buf = dmabuf->priv;
	struct smaf_attachment *a;
	const char *why;
	int ret = 0;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->mappings);

	mutex_lock(&buf->lock);
	if (buf->mem && !smaf_mem_serves(buf, a->dev, &why)) {
		ret = smaf_mem_migrate(buf, a->dev, why);
		if (ret)
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
	if (!buf->secure)
		dma_sync_sgtable_for_cpu(a->dev, &m->sgt, m->dir);
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

/**
 * struct smaf_seg_limits - what one device's segments may be
 * @max: longest segment
 * @boundary: a segment never crosses a multiple of @boundary + 1
 */
struct smaf_seg_limits {
	unsigned int max;
	unsigned long boundary;
};

static void smaf_seg_limits_init(struct smaf_seg_limits *l, struct device *dev)
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
static unsigned int smaf_sgt_split(struct scatterlist *s,
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
static int smaf_sgt_copy(struct sg_table *dst, struct sg_table *src,
			 struct device *dev)
{
	struct scatterlist *s, *d = NULL;
	struct smaf_seg_limits l;
	unsigned int n = 0;
	int ret, i;

	smaf_seg_limits_init(&l, dev);
	for_each_sgtable_sg(src, s, i)
		n += smaf_sgt_split(s, &d, &l);
	ret = sg_alloc_table(dst, n, GFP_KERNEL);
	if (ret)
		return ret;
	d = dst->sgl;
	for_each_sgtable_sg(src, s, i)
		smaf_sgt_split(s, &d, &l);
	return 0;
}

/*
 * Secure memory is never bounced: the bounce buffers are memory any device
 * and the kernel share, the copy at map time would take the secrets there
 * whatever the attributes say, and a device's writes would land in them,
 * not in the protected ranges the secure module granted.
 */
static int smaf_map_secure_check(struct smaf_buffer *buf, struct device *dev)
{
	lockdep_assert_held(&buf->lock);
	if (!smaf_dev_bounces(dev))
		return 0;
	smaf_refuse("buffer %lu: %s bounces: no secure map\n", buf->id,
		    dev_name(dev));
	return -EOPNOTSUPP;
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
	if (buf->secure) {
		ret = smaf_map_secure_check(buf, a->dev);
		if (ret)
			goto out_unlock;
	}
	ret = smaf_sgt_copy(&m->sgt, buf->mem->sgt, a->dev);
	if (ret)
		goto out_unlock;
	if (buf->secure) {
		ret = smaf_secure_grant(buf, a->dev, smaf_dev_access(dir));
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
	if (!buf->secure)
		dma_sync_sgtable_for_device(a->dev, &m->sgt, dir);
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
		ret = smaf_secure_cpu_begin(buf, smaf_cpu_access(dir),
					    dmabuf->file->f_mode & FMODE_WRITE);
		goto out_unlock;
	}
	if (buf->vaddr && is_vmalloc_addr(buf->vaddr))
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
		if (buf->vaddr && is_vmalloc_addr(buf->vaddr))
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

/* Pages mapped by one CPU fault: a page fault per 1 MiB, not per page. */
#define SMAF_FAULT_AROUND	256

/*
 * mmap() installs no page: every page is mapped here, once the VMA is
 * linked to the dma-buf's file, under the buffer lock. A migration, which
 * zaps the file's mappings under the same lock, therefore never misses a
 * page table entry, and the VMA never carries remap_pfn_range()'s PAT
 * tracking, which a zap racing with a VMA split would leave inconsistent.
 */
static vm_fault_t smaf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct smaf_cpu_map *cm = vma->vm_private_data;
	struct smaf_buffer *buf = cm->buf;
	unsigned long addr = vmf->address, n = 0;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct sg_page_iter piter;

	mutex_lock(&buf->lock);
	if (!buf->mem || vmf->pgoff >= buf->size >> PAGE_SHIFT)
		goto out_unlock;
	for_each_sgtable_page(buf->mem->sgt, &piter, vmf->pgoff) {
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

static const struct vm_operations_struct smaf_vm_ops = {
	.open = smaf_vm_open,
	.close = smaf_vm_close,
	.fault = smaf_vm_fault,
};

static int smaf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
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
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &smaf_vm_ops;
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
static void *smaf_vmap_pages(struct smaf_buffer *buf)
{
	unsigned int npages = buf->size >> PAGE_SHIFT, n = 0;
	struct page *first = sg_page(buf->mem->sgt->sgl);
	struct sg_page_iter piter;
	struct page **pages;
	void *vaddr;

	if (smaf_mem_contiguous(buf->mem->sgt) && !PageHighMem(first))
		return page_address(first) + buf->mem->sgt->sgl->offset;
	pages = kvmalloc_array(npages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOFAIL);
	for_each_sgtable_page(buf->mem->sgt, &piter, 0) {
		if (n == npages)
			break;
		pages[n++] = sg_page_iter_page(&piter);
	}
	vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

/* Reached only through smaf_dmabuf_vmap_ops: see DOC: kernel vmap. */
static int smaf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct smaf_buffer *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmap_count) {
		buf->vaddr = smaf_vmap_pages(buf);
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

static void smaf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
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

/**
 * smaf_buffer_free() - give a released buffer's memory back and free it
 * @buf: the buffer, unreachable, its secure life over
 *
 * Context: Process context.
 */
void smaf_buffer_free(struct smaf_buffer *buf)
{
	smaf_mem_depopulate(buf);
	put_pid(buf->creator);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

static void smaf_release(struct dma_buf *dmabuf)
{
	struct smaf_buffer *buf = dmabuf->priv;
	unsigned int i;

	mutex_lock(&smaf_buffers_lock);
	list_del(&buf->node);
	mutex_unlock(&smaf_buffers_lock);

	for (i = 0; i < buf->nr_consumers; i++)
		put_device(buf->consumers[i]);
	buf->nr_consumers = 0;
	smaf_allocator_put(buf->forced);
	buf->forced = NULL;
	atomic64_dec(&smaf_stats.buffers);

	if (smaf_secure_release(buf))
		smaf_buffer_free(buf);
	else
		smaf_secure_quarantine(buf);
}

/* Every buffer's ops until it has memory that is not secure. */
static const struct dma_buf_ops smaf_dmabuf_ops = {
	.attach = smaf_attach,
	.detach = smaf_detach,
	.map_dma_buf = smaf_map_dma_buf,
	.unmap_dma_buf = smaf_unmap_dma_buf,
	.release = smaf_release,
	.begin_cpu_access = smaf_begin_cpu_access,
	.end_cpu_access = smaf_end_cpu_access,
	.mmap = smaf_mmap,
};

/* The same, plus kernel vmap: see DOC: kernel vmap. */
static const struct dma_buf_ops smaf_dmabuf_vmap_ops = {
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
	buf->creator = get_pid(task_tgid(current));
	get_task_comm(buf->comm, current);

	exp_info.exp_name = "smaf";
	exp_info.owner = THIS_MODULE;
	exp_info.ops = &smaf_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = (flags & SMAF_RDWR) ? O_RDWR : O_RDONLY;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		put_pid(buf->creator);
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
	buf->id = file_inode(dmabuf->file)->i_ino;
	atomic64_inc(&smaf_stats.buffers);
	mutex_lock(&smaf_buffers_lock);
	list_add_tail(&buf->node, &smaf_buffers);
	mutex_unlock(&smaf_buffers_lock);
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
	if (d->ops != &smaf_dmabuf_ops && d->ops != &smaf_dmabuf_vmap_ops) {
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
	info->migrations = buf->migrations;
	alloc = buf->alloc ? buf->alloc : buf->forced;
	if (alloc)
		strscpy_pad(info->allocator, alloc->name, SMAF_NAME_LEN);
	info->consumers = buf->nr_consumers;
	info->id = buf->id;
	mutex_unlock(&buf->lock);
}

/**
 * smaf_buffer_add_consumer() - declare a device that will use a buffer
 * @buf: the buffer
 * @name: the device's "bus:device" name
 *
 * Context: Process context. Takes and releases the buffer lock.
 * Return: 0, -ENOENT for an unknown device, -EBUSY once memory exists,
 * -EEXIST when already declared, -ENOSPC when the list is full.
 */
int smaf_buffer_add_consumer(struct smaf_buffer *buf, const char *name)
{
	struct device *dev = smaf_device_find(name);
	unsigned int i;
	int ret = 0;

	if (IS_ERR(dev)) {
		smaf_refuse("buffer %lu: no device %s\n", buf->id, name);
		return PTR_ERR(dev);
	}
	mutex_lock(&buf->lock);
	if (buf->mem) {
		smaf_refuse("buffer %lu: consumer declared after allocation\n",
			    buf->id);
		ret = -EBUSY;
		goto out_unlock;
	}
	for (i = 0; i < buf->nr_consumers; i++)
		if (buf->consumers[i] == dev)
			ret = -EEXIST;
	if (!ret && buf->nr_consumers == SMAF_MAX_CONSUMERS)
		ret = -ENOSPC;
	if (ret) {
		smaf_refuse("buffer %lu: cannot add consumer %s: %d\n",
			    buf->id, name, ret);
		goto out_unlock;
	}
	buf->consumers[buf->nr_consumers++] = dev;
	dev = NULL;	/* the buffer keeps the reference */
out_unlock:
	mutex_unlock(&buf->lock);
	put_device(dev);
	return ret;
}

static void smaf_buffer_show_devs(struct seq_file *s, struct smaf_buffer *buf)
{
	char name[SMAF_DEVICE_NAME_LEN];
	struct smaf_attachment *a;
	unsigned int i;

	seq_puts(s, " attached=");
	list_for_each_entry(a, &buf->attachments, node) {
		smaf_device_name(a->dev, name);
		seq_printf(s, "%s%s", name,
			   list_is_last(&a->node, &buf->attachments) ?
			   "" : ",");
	}
	if (list_empty(&buf->attachments))
		seq_puts(s, "-");
	seq_puts(s, " declared=");
	for (i = 0; i < buf->nr_consumers; i++) {
		smaf_device_name(buf->consumers[i], name);
		seq_printf(s, "%s%s", i ? "," : "", name);
	}
	if (!buf->nr_consumers)
		seq_puts(s, "-");
}

static void smaf_buffer_show(struct seq_file *s, struct smaf_buffer *buf)
{
	struct smaf_allocator *alloc;

	mutex_lock(&buf->lock);
	alloc = buf->alloc ? buf->alloc : buf->forced;
	seq_printf(s, "id=%lu size=%zu state=%s allocator=%s secure=%d",
		   buf->id, buf->size,
		   buf->mem ? "allocated" : "unallocated",
		   alloc ? alloc->name : "-", buf->secure);
	smaf_buffer_show_devs(s, buf);
	seq_printf(s, " device_maps=%u cpu_maps=%u migrations=%u pid=%d comm=",
		   buf->nr_device_maps, buf->nr_vmas + buf->vmap_count,
		   buf->migrations, pid_nr(buf->creator));
	/* Userspace picks both names: a newline must not fake a line. */
	seq_escape(s, buf->comm, "\n\\");
	mutex_unlock(&buf->lock);
	seq_puts(s, " name=");
	spin_lock(&buf->dmabuf->name_lock);
	seq_escape(s, buf->dmabuf->name ? buf->dmabuf->name : "-", "\n\\");
	spin_unlock(&buf->dmabuf->name_lock);
	seq_putc(s, '\n');
}

/**
 * smaf_buffers_show() - debugfs smaf/buffers: one line per live buffer
 * @s: the seq_file
 * @unused: unused
 *
 * Context: Process context. Takes the buffer list lock, then each
 * buffer's lock in turn.
 * Return: 0.
 */
int smaf_buffers_show(struct seq_file *s, void *unused)
{
	struct smaf_buffer *buf;

	mutex_lock(&smaf_buffers_lock);
	list_for_each_entry(buf, &smaf_buffers, node)
		smaf_buffer_show(s, buf);
	mutex_unlock(&smaf_buffers_lock);
	return 0;
}
