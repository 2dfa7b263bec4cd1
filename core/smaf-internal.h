/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: declarations shared by the core's files. Not an API.
 */
#ifndef _SMAF_INTERNAL_H
#define _SMAF_INTERNAL_H

#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/smaf.h>

/**
 * struct smaf_stats - counters of everything SMAF holds, for leak checks
 * @buffers: live SMAF buffers (exported dma-bufs)
 * @allocated_buffers: buffers that hold memory
 * @allocated_bytes: bytes of memory held; bounded by the max_total_size
 *	module parameter
 * @attachments: device attachments
 * @device_mappings: active device mappings
 * @cpu_mappings: live mmap()ed areas plus kernel vmap() users
 *
 * All atomic; no lock.
 */
struct smaf_stats {
	atomic64_t buffers;
	atomic64_t allocated_buffers;
	atomic64_t allocated_bytes;
	atomic64_t attachments;
	atomic64_t device_mappings;
	atomic64_t cpu_mappings;
};

extern struct smaf_stats smaf_stats;
extern u64 smaf_max_buffer_size;
extern u64 smaf_max_total_size;

/**
 * struct smaf_buffer - one SMAF buffer, the private data of its dma-buf
 * @dmabuf: the dma-buf exported for this buffer; no reference is held (the
 *	dma-buf owns the buffer and frees it from its release op)
 * @lock: protects every member below it; nests inside the dma-buf core's
 *	own locks and outside &smaf_registry_lock
 * @size: size in bytes, a multiple of PAGE_SIZE; constant
 * @forced: allocator named at creation, or NULL; a module reference is
 *	held on it; constant
 * @alloc: allocator holding @mem, NULL while unallocated; a module
 *	reference is held on it while @mem exists
 * @mem: the memory, NULL until the first device or CPU access needs it
 * @attachments: &struct smaf_attachment list
 * @nr_attachments: entries in @attachments
 * @nr_device_maps: active device mappings over all attachments
 * @nr_vmas: live VMAs of mmap()
 * @vmap_count: kernel vmap() users of @vaddr
 * @vaddr: kernel mapping of @mem while @vmap_count is non-zero
 * @secure: the secure flag
 */
struct smaf_buffer {
	struct dma_buf *dmabuf;
	struct mutex lock; /* see the kerneldoc above */
	size_t size;
	struct smaf_allocator *forced;
	struct smaf_allocator *alloc;
	struct smaf_mem *mem;
	struct list_head attachments;
	unsigned int nr_attachments;
	unsigned int nr_device_maps;
	unsigned int nr_vmas;
	unsigned int vmap_count;
	void *vaddr;
	bool secure;
};

/* smaf-core.c: allocator registry */
extern struct mutex smaf_registry_lock;
struct smaf_allocator *smaf_allocator_get(const char *name);
void smaf_allocator_put(struct smaf_allocator *alloc);
struct smaf_allocator **
smaf_allocator_candidates(const struct smaf_request *req, unsigned int *count);
int smaf_allocator_info(u32 index, u32 *count, u8 *name);

/* smaf-buffer.c: buffers */
struct smaf_buffer *smaf_buffer_create(size_t size, u32 flags,
				       struct smaf_allocator *forced);
struct smaf_buffer *smaf_buffer_get(int fd, struct dma_buf **dmabuf);
int smaf_buffer_set_secure(struct smaf_buffer *buf, bool secure);
void smaf_buffer_fill_info(struct smaf_buffer *buf,
			   struct smaf_buffer_info *info);

/* smaf-ioctl.c */
long smaf_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* Refusals caused by userspace input: one rate-limited line each. */
#define smaf_refuse(fmt, ...) pr_err_ratelimited(fmt, ##__VA_ARGS__)

#endif /* _SMAF_INTERNAL_H */
