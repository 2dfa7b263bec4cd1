/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF in-kernel API: allocator plugins and the secure module.
 *
 * An allocator module supplies memory, never dma-bufs: the SMAF core exports
 * one dma-buf per buffer, maps it for every attached device, maps it for the
 * CPU and decides when and from which allocator memory is taken.
 *
 * The secure module (at most one) drives the platform's memory firewall:
 * the core asks it to grant every device, and the CPU, access to a secure
 * buffer's memory before the access can happen, and to revoke it after.
 */
#ifndef _LINUX_SMAF_H
#define _LINUX_SMAF_H

#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <uapi/linux/smaf.h>

/**
 * struct smaf_constraints - what memory must be like for its users
 * @dma_limit: highest physical address every user can reach; U64_MAX when
 *	nothing limits it
 * @contiguous: some user needs the whole buffer in one physically
 *	contiguous range
 * @scatter_gather: in a declaration (smaf_declare_constraints()): the
 *	device follows scatter-gather lists, so scattered memory serves it
 *	although no IOMMU translates its DMA; elsewhere, the opposite of
 *	@contiguous
 *
 * A device's constraints come from what the kernel knows of it (DMA and
 * coherent masks, bus limit, whether an IOMMU translates its DMA) and from
 * what the platform declares (smaf_declare_constraints(), or the table root
 * edits at run time). A device whose DMA is not translated needs memory
 * that is contiguous in its DMA address space unless it is declared
 * @scatter_gather. A buffer's constraints merge those of its attached and
 * declared devices: the lowest limit, and contiguity if any of them needs
 * it. Maximum segment size and segment boundary are not allocation
 * constraints: the core splits each device's copy of the page list to
 * respect them.
 */
struct smaf_constraints {
	u64 dma_limit;
	bool contiguous;
	bool scatter_gather;
};

/**
 * struct smaf_request - what one allocation must satisfy
 * @size: bytes to allocate, a non-zero multiple of PAGE_SIZE
 * @constraints: the merged constraints of every device using the buffer
 * @devs: the devices attached to or declared for the buffer
 * @nr_devs: number of entries in @devs (0 when the CPU allocates first)
 * @secure: the memory will hold a secure buffer
 *
 * Built by the core under the buffer's lock; valid only during the call
 * that receives it.
 */
struct smaf_request {
	size_t size;
	struct smaf_constraints constraints;
	struct device * const *devs;
	unsigned int nr_devs;
	bool secure;
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
 * @match: optional. Called only for requests the allocator's declared
 *	capabilities (&struct smaf_allocator) already cover; returns false to
 *	refuse one for a reason of its own. Process context, called with the
 *	buffer's lock held; must not allocate the memory.
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
 * @contiguous: every buffer is one physically contiguous range
 * @min_dma_limit: the lowest device DMA limit it can serve: it hands out
 *	memory below any limit at or above this one
 * @max_size: largest buffer it can allocate, in bytes; 0 for no limit
 * @secure_capable: its memory can be protected by the secure module (few,
 *	large ranges a memory firewall can cover)
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
	bool contiguous;
	u64 min_dma_limit;
	size_t max_size;
	bool secure_capable;
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
void smaf_device_constraints(struct device *dev, struct smaf_constraints *c);
int smaf_declare_constraints(struct device *dev,
			     const struct smaf_constraints *c);
void smaf_forget_constraints(struct device *dev);

/* Kinds of access, from the requester's point of view. */
#define SMAF_ACCESS_READ	0x1	/* the requester reads the memory */
#define SMAF_ACCESS_WRITE	0x2	/* the requester writes the memory */

/**
 * struct smaf_access - one requester's access to one physical range
 * @dev: the requesting device, or NULL for the CPU
 * @addr: physical address of the first byte
 * @len: length in bytes
 * @access: SMAF_ACCESS_READ and/or SMAF_ACCESS_WRITE
 */
struct smaf_access {
	struct device *dev;
	phys_addr_t addr;
	size_t len;
	unsigned int access;
};

/**
 * struct smaf_range - a physically contiguous part of a buffer's memory
 * @addr: physical address
 * @len: bytes
 */
struct smaf_range {
	phys_addr_t addr;
	size_t len;
};

struct smaf_secure;

/**
 * struct smaf_secure_ops - callbacks of the secure module
 * @create_ctx: required. The buffer @id (its &smaf_buffer_info.id) of
 *	@size bytes became secure, before it has memory. Returns a context
 *	for the other callbacks, never NULL, or an ERR_PTR() that makes
 *	SMAF_IOC_SET_SECURE_FLAG fail with its errno. Process context.
 * @destroy_ctx: required. The buffer was freed, or its flag cleared before
 *	allocation. Every grant made in @ctx has been revoked and its memory
 *	scrubbed; ranges @protect closed may open again. Process context.
 * @protect: optional. The buffer just received its memory, the @nr
 *	physically contiguous @ranges every later @grant asks for: close
 *	them to every requester, from now until @destroy_ctx (after @scrub),
 *	whether anyone is granted access or not, as a hardware firewall keeps
 *	secure memory closed. All or nothing: on error nothing stays closed.
 *	Returns 0 or a negative errno (-ENOSPC when the firewall has no room)
 *	that fails the allocation. Process context, may sleep, under the
 *	buffer's lock.
 * @grant: required. Allow @acc's requester to reach @acc's range, before
 *	it does. Asked once per physically contiguous range of the buffer's
 *	memory: by every device map, and for the CPU (&smaf_access.dev NULL)
 *	by every mmap() and CPU access bracket (DMA_BUF_IOCTL_SYNC start).
 *	Secure buffers cannot be vmap()ed by the kernel at all. Returns 0,
 *	or a negative errno (-EACCES for a policy refusal, -ENOSPC when the
 *	firewall is full) that fails the access; the ranges already granted
 *	for it are then revoked.
 *	Process context, may sleep, under the buffer's lock.
 * @revoke: required. Undo exactly one earlier successful @grant with the
 *	same @acc. Cannot fail. Process context, under the buffer's lock.
 * @scrub: required. Make the memory described by @sgt safe to hand out
 *	again (erase it), before the allocator frees it. Returns 0 or a
 *	negative errno; on error the buffer is quarantined with its memory
 *	and @ctx, and scrub may be called again for them later (when root
 *	asks, through debugfs smaf/quarantine) until it succeeds; only then
 *	is @ctx destroyed. Process context.
 * @check: optional. May @acc's requester reach @acc's range right now?
 *	Returns true or false; does not change any state. Used by device
 *	models (smaf_secure_check()) to refuse an access the way a hardware
 *	firewall stops a bus master. Process context, without SMAF locks.
 */
struct smaf_secure_ops {
	void *(*create_ctx)(struct smaf_secure *sec, u64 id, size_t size);
	void (*destroy_ctx)(struct smaf_secure *sec, void *ctx);
	int (*protect)(struct smaf_secure *sec, void *ctx,
		       const struct smaf_range *ranges, unsigned int nr);
	int (*grant)(struct smaf_secure *sec, void *ctx,
		     const struct smaf_access *acc);
	void (*revoke)(struct smaf_secure *sec, void *ctx,
		       const struct smaf_access *acc);
	int (*scrub)(struct smaf_secure *sec, void *ctx, struct sg_table *sgt);
	bool (*check)(struct smaf_secure *sec, const struct smaf_access *acc);
};

/**
 * struct smaf_secure - the secure module
 * @name: for logs
 * @ops: callbacks
 * @owner: the module providing @ops (THIS_MODULE); pinned while any
 *	secure buffer exists
 */
struct smaf_secure {
	const char *name;
	const struct smaf_secure_ops *ops;
	struct module *owner;
};

int smaf_register_secure(struct smaf_secure *sec);
void smaf_unregister_secure(struct smaf_secure *sec);
bool smaf_secure_check(const struct smaf_access *acc);

#endif /* _LINUX_SMAF_H */
