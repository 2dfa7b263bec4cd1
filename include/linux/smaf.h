/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF in-kernel API: allocator plugins.
 *
 * An allocator module supplies memory, never dma-bufs: the SMAF core exports
 * one dma-buf per buffer, maps it for every attached device, maps it for the
 * CPU and decides when and from which allocator memory is taken.
 */
#ifndef _LINUX_SMAF_H
#define _LINUX_SMAF_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <uapi/linux/smaf.h>

/**
 * struct smaf_request - what one allocation must satisfy
 * @size: bytes to allocate, a non-zero multiple of PAGE_SIZE
 * @dma_limit: highest physical address every device using the buffer can
 *	reach through its DMA mask; U64_MAX when nothing limits it
 * @devs: the devices attached to the buffer when it is allocated
 * @nr_devs: number of entries in @devs (0 when the CPU allocates first)
 *
 * Built by the core under the buffer's lock; valid only during the call
 * that receives it.
 */
struct smaf_request {
	size_t size;
	u64 dma_limit;
	struct device * const *devs;
	unsigned int nr_devs;
};

/**
 * struct smaf_mem - memory backing one buffer
 * @sgt: the memory as CPU pages (sg_page() valid on every entry), covering
 *	exactly &smaf_request.size bytes, not DMA-mapped: the core copies and
 *	maps it for each device and maps its pages for the CPU
 *
 * Returned by &smaf_allocator_ops.allocate, which usually embeds it in a
 * private struct, and given back to &smaf_allocator_ops.release.
 */
struct smaf_mem {
	struct sg_table *sgt;
};

struct smaf_allocator;

/**
 * struct smaf_allocator_ops - callbacks of an allocator plugin
 * @match: required. Returns true when the allocator can serve @req: every
 *	device in &smaf_request.devs must be able to reach the memory it would
 *	hand out. Process context, called with the buffer's lock held; must
 *	not allocate the memory.
 * @allocate: required. Allocates &smaf_request.size bytes of zeroed memory
 *	that every device of @req can reach. Returns the memory or an
 *	ERR_PTR(), never NULL. Process context, may sleep, called with the
 *	buffer's lock held; should stop with -EINTR on a fatal signal.
 * @release: required. Frees memory returned by @allocate. Process context,
 *	may sleep; no device or CPU mapping of the memory remains.
 */
struct smaf_allocator_ops {
	bool (*match)(struct smaf_allocator *alloc,
		      const struct smaf_request *req);
	struct smaf_mem *(*allocate)(struct smaf_allocator *alloc,
				     const struct smaf_request *req);
	void (*release)(struct smaf_allocator *alloc, struct smaf_mem *mem);
};

/**
 * struct smaf_allocator - an allocator plugin
 * @name: unique name, shorter than SMAF_NAME_LEN; userspace forces an
 *	allocator by this name
 * @ranking: larger is tried first when SMAF chooses
 * @ops: callbacks
 * @owner: the module providing @ops (THIS_MODULE); pinned while a buffer
 *	may use the allocator
 * @node: private to the core; protected by the core's registry mutex
 * @buffers: private to the core; buffers holding memory from this allocator
 * @bytes: private to the core; bytes held by those buffers
 * @peak_bytes: private to the core; highest value @bytes reached
 * @failures: private to the core; failed allocations
 *
 * The statistics are atomic and need no lock.
 */
struct smaf_allocator {
	const char *name;
	int ranking;
	const struct smaf_allocator_ops *ops;
	struct module *owner;

	struct list_head node;
	atomic_t buffers;
	atomic64_t bytes;
	atomic64_t peak_bytes;
	atomic_t failures;
};

int smaf_register_allocator(struct smaf_allocator *alloc);
void smaf_unregister_allocator(struct smaf_allocator *alloc);
u64 smaf_device_dma_limit(struct device *dev);

#endif /* _LINUX_SMAF_H */
