// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-testdev: test-only simulated DMA devices.
 *
 * Creates SMAF_TESTDEV_COUNT platform devices with different DMA masks and
 * a control node, /dev/smaf-testdev. Through it a test makes one of the
 * devices import a dma-buf (attach, map), then write a pattern into it or
 * checksum it "as the device": every byte is reached through the DMA
 * addresses of that device's own mapping, translated back to physical
 * addresses the way dma-direct does, never through the exporter's vmap or
 * the page pointers of the sg_table. Before every access the registered
 * SMAF secure module is asked (smaf_secure_check()) whether the device may
 * reach that memory; a refusal fails the WRITE or CHECKSUM with EACCES, as
 * a bus error would. See smaf-testdev.h for the ABI.
 *
 * The module declares dma64 and dma64b to SMAF as scatter-gather devices;
 * the other devices get SMAF's default for devices without an IOMMU,
 * contiguous memory. ATTACH_DYNAMIC imports as a dynamic importer does,
 * PROBE asks the firewall about a stale DMA address.
 *
 * Not for production kernels: root-only, no IOMMU support (DMA addresses
 * are assumed to be dma-direct addresses).
 */

#include <linux/compiler.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/smaf.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "smaf-testdev.h"

static_assert(sizeof(struct smaf_testdev_attach) == 16);
static_assert(sizeof(struct smaf_testdev_map) == 24);
static_assert(sizeof(struct smaf_testdev_rw) == 32);
static_assert(sizeof(struct smaf_testdev_probe) == 24);
static_assert(SMAF_TESTDEV_BIDIRECTIONAL == DMA_BIDIRECTIONAL);
static_assert(SMAF_TESTDEV_TO_DEVICE == DMA_TO_DEVICE);
static_assert(SMAF_TESTDEV_FROM_DEVICE == DMA_FROM_DEVICE);

/* Attachments per open file; handle 0 is never valid. */
#define SMAF_TESTDEV_MAX_HANDLES	4096

/**
 * DOC: locking
 *
 * One lock: &smaf_testdev_file.lock, per open file of the control node. It
 * is taken around every use of the file's handles and never nests with
 * another lock of this module. Exporter callbacks (attach, map, unmap,
 * detach) may run under it and take the exporter's own locks; the exporter
 * never calls back into this module (its attachments are not dynamic), so
 * there is no reverse order. smaf_secure_check() is called under it too,
 * and takes only SMAF's registry lock and the secure module's own locks.
 */

static const u64 smaf_testdev_masks[SMAF_TESTDEV_COUNT] = {
	[SMAF_TESTDEV_DMA64] = DMA_BIT_MASK(64),
	[SMAF_TESTDEV_DMA32] = DMA_BIT_MASK(32),
	[SMAF_TESTDEV_DMA30] = DMA_BIT_MASK(30),
	[SMAF_TESTDEV_DMA64B] = DMA_BIT_MASK(64),
	[SMAF_TESTDEV_DMA64C] = DMA_BIT_MASK(64),
};

/* Devices that follow scatter-gather lists, as their driver tells SMAF. */
static const bool smaf_testdev_sg[SMAF_TESTDEV_COUNT] = {
	[SMAF_TESTDEV_DMA64] = true,
	[SMAF_TESTDEV_DMA64B] = true,
};

static struct platform_device *smaf_testdev_pdevs[SMAF_TESTDEV_COUNT];

/**
 * struct smaf_testdev_file - state of one open file of /dev/smaf-testdev
 * @lock: protects @handles and every &struct smaf_testdev_handle in it
 * @handles: handle number to &struct smaf_testdev_handle. Protected by @lock.
 */
struct smaf_testdev_file {
	struct mutex lock; /* see the kernel-doc above and DOC: locking */
	struct xarray handles;
};

/**
 * struct smaf_testdev_handle - one dma-buf imported by one simulated device
 * @dmabuf: the imported buffer; holds the reference from dma_buf_get()
 * @attach: attachment of @dmabuf to the device
 * @sgt: the device's mapping, or NULL when not mapped.
 *	Protected by &smaf_testdev_file.lock.
 * @dynamic: attached with dma_buf_dynamic_attach(): map and unmap under
 *	the buffer's reservation lock; constant
 * @dir: direction of @sgt; meaningless when @sgt is NULL.
 *	Protected by &smaf_testdev_file.lock.
 */
struct smaf_testdev_handle {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	enum dma_data_direction dir;
	bool dynamic;
};

/**
 * struct smaf_testdev_access - one simulated device access (WRITE/CHECKSUM)
 * @dev: the accessing device; its DMA addresses are translated
 * @write: true for WRITE (the device writes), false for CHECKSUM
 * @seed: pattern seed (WRITE)
 * @pos: buffer offset of the next byte to access
 * @sum: running checksum (CHECKSUM)
 */
struct smaf_testdev_access {
	struct device *dev;
	bool write;
	u32 seed;
	u64 pos;
	u64 sum;
};

static void smaf_testdev_unmap(struct smaf_testdev_handle *h)
{
	if (!h->sgt)
		return;
	if (h->dynamic)
		dma_resv_lock(h->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(h->attach, h->sgt, h->dir);
	if (h->dynamic)
		dma_resv_unlock(h->dmabuf->resv);
	h->sgt = NULL;
}

/* A dynamic importer's buffer never moves: SMAF is not a dynamic exporter. */
static void smaf_testdev_move_notify(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops smaf_testdev_dynamic_ops = {
	.move_notify = smaf_testdev_move_notify,
};

/* Undoes everything ATTACH and MAP did; @h must be unreachable already. */
static void smaf_testdev_destroy(struct smaf_testdev_handle *h)
{
	smaf_testdev_unmap(h);
	dma_buf_detach(h->dmabuf, h->attach);
	dma_buf_put(h->dmabuf);
	kfree(h);
}

static struct smaf_testdev_handle *
smaf_testdev_lookup(struct smaf_testdev_file *f, u32 handle)
{
	lockdep_assert_held(&f->lock);
	return xa_load(&f->handles, handle);
}

static void smaf_testdev_access_bytes(struct smaf_testdev_access *acc,
				      u8 *va, size_t len)
{
	size_t i;

	if (acc->write) {
		for (i = 0; i < len; i++)
			va[i] = smaf_testdev_pattern(acc->seed, acc->pos + i);
	} else {
		for (i = 0; i < len; i++)
			acc->sum = smaf_testdev_checksum(acc->sum, va[i]);
	}
	acc->pos += len;
}

/*
 * Asks SMAF's secure module whether the device may reach [@phys, @phys +
 * @len) now, as a hardware memory firewall would decide for a bus master.
 * A refusal fails the access the way a bus error would.
 */
static int smaf_testdev_firewall(struct smaf_testdev_access *acc,
				 phys_addr_t phys, u64 len)
{
	struct smaf_access sa = {
		.dev = acc->dev,
		.addr = phys,
		.len = len,
		.access = acc->write ? SMAF_ACCESS_WRITE : SMAF_ACCESS_READ,
	};

	if (smaf_secure_check(&sa))
		return 0;
	dev_err_ratelimited(acc->dev,
			    "%s of %llu bytes stopped by the memory firewall\n",
			    acc->write ? "write" : "read", len);
	return -EACCES;
}

/*
 * The device accesses [@addr, @addr + @len) of its DMA address space: each
 * page is found through dma_to_phys(), as dma-direct would translate it.
 * dma-direct translates linearly, so the range is physically contiguous and
 * the secure module is asked once for all of it, before any byte moves.
 */
static int smaf_testdev_access_range(struct smaf_testdev_access *acc,
				     dma_addr_t addr, u64 len)
{
	int ret;

	ret = smaf_testdev_firewall(acc, dma_to_phys(acc->dev, addr), len);
	if (ret)
		return ret;
	while (len) {
		phys_addr_t phys = dma_to_phys(acc->dev, addr);
		size_t in_page = offset_in_page(phys);
		size_t chunk = min_t(u64, len, PAGE_SIZE - in_page);
		unsigned long pfn = PHYS_PFN(phys);
		u8 *va;

		if (!pfn_valid(pfn))
			return -EFAULT;
		va = kmap_local_page(pfn_to_page(pfn));
		smaf_testdev_access_bytes(acc, va + in_page, chunk);
		kunmap_local(va);
		addr += chunk;
		len -= chunk;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Walks the DMA segments of @sgt and accesses bytes [@offset, @offset +
 * @length) of the buffer they map, one call of smaf_testdev_access_range()
 * per segment (or part of one).
 */
static int smaf_testdev_access_sgt(struct smaf_testdev_access *acc,
				   struct sg_table *sgt, u64 offset,
				   u64 length)
{
	struct scatterlist *sg;
	u64 seg_start = 0;
	int i, ret;

	acc->pos = offset;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg_len = sg_dma_len(sg);
		u64 skip, len;

		if (!length)
			break;
		if (offset >= seg_start + seg_len) {
			seg_start += seg_len;
			continue;
		}
		skip = offset - seg_start;
		len = min(seg_len - skip, length);
		ret = smaf_testdev_access_range(acc, sg_dma_address(sg) + skip,
						len);
		if (ret)
			return ret;
		offset += len;
		length -= len;
		seg_start += seg_len;
	}
	/* The mapping is shorter than the dma-buf: an exporter bug. */
	return length ? -EIO : 0;
}

static long smaf_testdev_attach(struct smaf_testdev_file *f,
				void __user *uarg, bool dynamic)
{
	struct smaf_testdev_attach arg;
	struct smaf_testdev_handle *h;
	struct device *dev;
	u32 id;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.dev >= SMAF_TESTDEV_COUNT)
		return -EINVAL;
	dev = &smaf_testdev_pdevs[array_index_nospec(arg.dev,
						     SMAF_TESTDEV_COUNT)]->dev;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(h->dmabuf)) {
		ret = PTR_ERR(h->dmabuf);
		goto out_free_handle;
	}
	h->dynamic = dynamic;
	if (dynamic)
		h->attach = dma_buf_dynamic_attach(h->dmabuf, dev,
						   &smaf_testdev_dynamic_ops,
						   h);
	else
		h->attach = dma_buf_attach(h->dmabuf, dev);
	if (IS_ERR(h->attach)) {
		ret = PTR_ERR(h->attach);
		dev_err(dev, "cannot attach dma-buf: %d\n", ret);
		goto out_put_dmabuf;
	}

	/* Reserve the number, tell userspace, and only then publish @h. */
	mutex_lock(&f->lock);
	ret = xa_alloc(&f->handles, &id, NULL,
		       XA_LIMIT(1, SMAF_TESTDEV_MAX_HANDLES), GFP_KERNEL);
	mutex_unlock(&f->lock);
	if (ret)
		goto out_detach;
	arg.handle = id;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto out_release_id;
	}
	mutex_lock(&f->lock);
	ret = xa_err(xa_store(&f->handles, id, h, GFP_KERNEL));
	mutex_unlock(&f->lock);
	if (ret)
		goto out_release_id;
	return 0;

out_release_id:
	mutex_lock(&f->lock);
	xa_erase(&f->handles, id);
	mutex_unlock(&f->lock);
out_detach:
	dma_buf_detach(h->dmabuf, h->attach);
out_put_dmabuf:
	dma_buf_put(h->dmabuf);
out_free_handle:
	kfree(h);
	return ret;
}

static long smaf_testdev_detach(struct smaf_testdev_file *f,
				void __user *uarg)
{
	struct smaf_testdev_map arg;
	struct smaf_testdev_handle *h;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad)
		return -EINVAL;

	mutex_lock(&f->lock);
	h = smaf_testdev_lookup(f, arg.handle);
	if (h)
		xa_erase(&f->handles, arg.handle);
	mutex_unlock(&f->lock);
	if (!h)
		return -ENOENT;
	smaf_testdev_destroy(h);
	return 0;
}

static int smaf_testdev_do_map(struct smaf_testdev_file *f,
			       struct smaf_testdev_map *arg)
{
	struct smaf_testdev_handle *h;
	struct sg_table *sgt;

	lockdep_assert_held(&f->lock);
	h = smaf_testdev_lookup(f, arg->handle);
	if (!h)
		return -ENOENT;
	if (h->sgt)
		return -EBUSY;
	/* 6.1: only a dynamic attachment maps under the reservation lock. */
	if (h->dynamic)
		dma_resv_lock(h->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(h->attach, arg->dir);
	if (h->dynamic)
		dma_resv_unlock(h->dmabuf->resv);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	h->sgt = sgt;
	h->dir = arg->dir;
	arg->nents = sgt->nents;
	arg->dma_addr = sgt->nents ? sg_dma_address(sgt->sgl) : 0;
	return 0;
}

static long smaf_testdev_map(struct smaf_testdev_file *f, void __user *uarg)
{
	struct smaf_testdev_map arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.dir > SMAF_TESTDEV_FROM_DEVICE)
		return -EINVAL;

	mutex_lock(&f->lock);
	ret = smaf_testdev_do_map(f, &arg);
	mutex_unlock(&f->lock);
	if (ret)
		return ret;
	/* On -EFAULT the handle stays mapped; UNMAP or close undoes it. */
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long smaf_testdev_unmap_ioctl(struct smaf_testdev_file *f,
				     void __user *uarg)
{
	struct smaf_testdev_map arg;
	struct smaf_testdev_handle *h;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad)
		return -EINVAL;

	mutex_lock(&f->lock);
	h = smaf_testdev_lookup(f, arg.handle);
	if (!h)
		ret = -ENOENT;
	else if (!h->sgt)
		ret = -EINVAL;
	else
		smaf_testdev_unmap(h);
	mutex_unlock(&f->lock);
	return ret;
}

/* Checks a WRITE or CHECKSUM request against handle @h and runs it. */
static int smaf_testdev_do_rw(struct smaf_testdev_handle *h,
			      struct smaf_testdev_rw *arg, bool write)
{
	struct smaf_testdev_access acc = {
		.dev = h->attach->dev,
		.write = write,
		.seed = arg->seed,
		.sum = SMAF_TESTDEV_CHECKSUM_INIT,
	};
	u64 end;
	int ret;

	if (check_add_overflow(arg->offset, arg->length, &end) ||
	    end > h->dmabuf->size)
		return -EINVAL;
	if (!h->sgt)
		return -EINVAL;
	if (h->dir != DMA_BIDIRECTIONAL &&
	    h->dir != (write ? DMA_FROM_DEVICE : DMA_TO_DEVICE))
		return -EPERM;
	ret = smaf_testdev_access_sgt(&acc, h->sgt, arg->offset, arg->length);
	arg->checksum = write ? 0 : acc.sum;
	return ret;
}

static long smaf_testdev_rw(struct smaf_testdev_file *f, void __user *uarg,
			    bool write)
{
	struct smaf_testdev_rw arg;
	struct smaf_testdev_handle *h;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	mutex_lock(&f->lock);
	h = smaf_testdev_lookup(f, arg.handle);
	ret = h ? smaf_testdev_do_rw(h, &arg, write) : -ENOENT;
	mutex_unlock(&f->lock);
	if (ret || write)
		return ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* A bus master that kept a DMA address: would the firewall let it in? */
static long smaf_testdev_probe(void __user *uarg)
{
	struct smaf_testdev_probe arg;
	struct smaf_testdev_access acc = {};
	u64 end;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.dev >= SMAF_TESTDEV_COUNT || arg.write > 1 || !arg.length ||
	    check_add_overflow(arg.dma_addr, arg.length, &end))
		return -EINVAL;
	arg.dev = array_index_nospec(arg.dev, SMAF_TESTDEV_COUNT);
	acc.dev = &smaf_testdev_pdevs[arg.dev]->dev;
	acc.write = arg.write;
	return smaf_testdev_firewall(&acc, dma_to_phys(acc.dev, arg.dma_addr),
				     arg.length);
}

static long smaf_testdev_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct smaf_testdev_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SMAF_TESTDEV_IOC_ATTACH:
		return smaf_testdev_attach(f, uarg, false);
	case SMAF_TESTDEV_IOC_ATTACH_DYNAMIC:
		return smaf_testdev_attach(f, uarg, true);
	case SMAF_TESTDEV_IOC_DETACH:
		return smaf_testdev_detach(f, uarg);
	case SMAF_TESTDEV_IOC_MAP:
		return smaf_testdev_map(f, uarg);
	case SMAF_TESTDEV_IOC_UNMAP:
		return smaf_testdev_unmap_ioctl(f, uarg);
	case SMAF_TESTDEV_IOC_WRITE:
		return smaf_testdev_rw(f, uarg, true);
	case SMAF_TESTDEV_IOC_CHECKSUM:
		return smaf_testdev_rw(f, uarg, false);
	case SMAF_TESTDEV_IOC_PROBE:
		return smaf_testdev_probe(uarg);
	default:
		return -ENOTTY;
	}
}

static int smaf_testdev_open(struct inode *inode, struct file *file)
{
	struct smaf_testdev_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init_flags(&f->handles, XA_FLAGS_ALLOC1);
	file->private_data = f;
	return 0;
}

static int smaf_testdev_release(struct inode *inode, struct file *file)
{
	struct smaf_testdev_file *f = file->private_data;
	struct smaf_testdev_handle *h;
	unsigned long id;

	/* Last reference to the file: nobody else can reach @f. */
	xa_for_each(&f->handles, id, h) {
		xa_erase(&f->handles, id);
		smaf_testdev_destroy(h);
	}
	xa_destroy(&f->handles);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations smaf_testdev_fops = {
	.owner = THIS_MODULE,
	.open = smaf_testdev_open,
	.release = smaf_testdev_release,
	.unlocked_ioctl = smaf_testdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice smaf_testdev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smaf-testdev",
	.fops = &smaf_testdev_fops,
	.mode = 0600,
};

static void smaf_testdev_remove_devices(void)
{
	int i;

	for (i = SMAF_TESTDEV_COUNT - 1; i >= 0; i--) {
		if (!smaf_testdev_pdevs[i])
			continue;
		if (smaf_testdev_sg[i])
			smaf_forget_constraints(&smaf_testdev_pdevs[i]->dev);
		platform_device_unregister(smaf_testdev_pdevs[i]);
		smaf_testdev_pdevs[i] = NULL;
	}
}

/* What a driver of a scatter-gather DMA engine tells SMAF. */
static int smaf_testdev_declare(struct platform_device *pdev)
{
	const struct smaf_constraints sg = {
		.dma_limit = U64_MAX,
		.scatter_gather = true,
	};

	return smaf_declare_constraints(&pdev->dev, &sg);
}

static int smaf_testdev_add_devices(void)
{
	struct platform_device_info info = { .name = "smaf-testdev" };
	struct platform_device *pdev;
	int i;

	for (i = 0; i < SMAF_TESTDEV_COUNT; i++) {
		info.id = i;
		info.dma_mask = smaf_testdev_masks[i];
		pdev = platform_device_register_full(&info);
		if (IS_ERR(pdev)) {
			smaf_testdev_remove_devices();
			return PTR_ERR(pdev);
		}
		if (smaf_testdev_sg[i]) {
			int ret = smaf_testdev_declare(pdev);

			if (ret) {
				platform_device_unregister(pdev);
				smaf_testdev_remove_devices();
				return ret;
			}
		}
		smaf_testdev_pdevs[i] = pdev;
	}
	return 0;
}

static int __init smaf_testdev_init(void)
{
	int ret;

	ret = smaf_testdev_add_devices();
	if (ret)
		return ret;
	ret = misc_register(&smaf_testdev_misc);
	if (ret)
		goto out_remove_devices;
	return 0;

out_remove_devices:
	smaf_testdev_remove_devices();
	return ret;
}

static void __exit smaf_testdev_exit(void)
{
	misc_deregister(&smaf_testdev_misc);
	smaf_testdev_remove_devices();
}

module_init(smaf_testdev_init);
module_exit(smaf_testdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMAF test-only simulated DMA devices");
MODULE_IMPORT_NS(DMA_BUF);
