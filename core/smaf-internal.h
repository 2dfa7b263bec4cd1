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
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
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
 * @quarantined_buffers: freed secure buffers whose memory could not be
 *	scrubbed, kept out of use (their memory is still in @allocated_*)
 * @quarantined_bytes: bytes those hold
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
	atomic64_t quarantined_buffers;
	atomic64_t quarantined_bytes;
};

extern struct smaf_stats smaf_stats;

/* Most devices one buffer can have declared with SMAF_IOC_ADD_CONSUMER. */
#define SMAF_MAX_CONSUMERS	16
extern u64 smaf_max_buffer_size;
extern u64 smaf_max_total_size;

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
 * struct smaf_buffer - one SMAF buffer, the private data of its dma-buf
 * @dmabuf: the dma-buf exported for this buffer; no reference is held (the
 *	dma-buf owns the buffer and frees it from its release op)
 * @id: the dma-buf's inode number, for logs and userspace; constant
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
 * @secure: the secure flag; fixed once @mem exists
 * @sec: the secure module, pinned while @secure is set
 * @sec_ctx: @sec's context for this buffer while @secure is set
 * @ranges: physically contiguous ranges of @mem, for grants (secure only)
 * @nr_ranges: entries in @ranges
 * @cpu_sync_grants: CPU access brackets (DMA_BUF_IOCTL_SYNC start) still
 *	open on a secure buffer, by SMAF_ACCESS_* bits
 * @consumers: devices declared with SMAF_IOC_ADD_CONSUMER, referenced
 * @nr_consumers: entries in @consumers
 * @migrations: times the memory moved
 * @node: entry in the list of live buffers, or, once freed with memory
 *	that could not be scrubbed, in the quarantine; protected by that
 *	list's lock
 * @creator: thread group that created the buffer, referenced; the only
 *	one that may change the secure flag; constant
 * @comm: its command name then; constant
 */
struct smaf_buffer {
	struct dma_buf *dmabuf;
	unsigned long id;
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
	struct smaf_secure *sec;
	void *sec_ctx;
	struct smaf_range *ranges;
	unsigned int nr_ranges;
	unsigned int cpu_sync_grants[SMAF_ACCESS_READ + SMAF_ACCESS_WRITE + 1];
	struct device *consumers[SMAF_MAX_CONSUMERS];
	unsigned int nr_consumers;
	unsigned int migrations;
	struct list_head node;
	struct pid *creator;
	char comm[TASK_COMM_LEN];
};

/* smaf-core.c: allocator registry */
extern struct mutex smaf_registry_lock;
struct smaf_allocator *smaf_allocator_get(const char *name);
void smaf_allocator_put(struct smaf_allocator *alloc);
struct smaf_secure *smaf_secure_get(void);
void smaf_secure_put(struct smaf_secure *sec);
bool smaf_allocator_serves(struct smaf_allocator *alloc,
			   const struct smaf_request *req);
struct smaf_allocator **
smaf_allocator_candidates(const struct smaf_request *req, unsigned int *count);
int smaf_allocator_describe(struct smaf_allocator_info *info);

/* smaf-constraints.c: what devices need */
bool smaf_dev_translated(struct device *dev);
bool smaf_dev_bounces(struct device *dev);
void smaf_device_name(struct device *dev, char *buf);
void smaf_constraints_merge(struct smaf_constraints *c, struct device *dev);
void smaf_constraints_describe(struct device *dev, char *buf, size_t len);
struct device *smaf_device_find(const char *name);
ssize_t smaf_rules_show(char *buf, size_t len);
ssize_t smaf_decls_show(char *buf, size_t len);
int smaf_rules_store(const char *text);
void smaf_rules_free(void);

/* smaf-buffer.c: buffers */
struct smaf_buffer *smaf_buffer_create(size_t size, u32 flags,
				       struct smaf_allocator *forced);
struct smaf_buffer *smaf_buffer_get(int fd, struct dma_buf **dmabuf);
void smaf_buffer_free(struct smaf_buffer *buf);

/* smaf-secure.c: the secure side of buffers */
int smaf_secure_set(struct smaf_buffer *buf, bool secure);
int smaf_secure_protect(struct smaf_buffer *buf);
int smaf_secure_grant(struct smaf_buffer *buf, struct device *dev,
		      unsigned int access);
void smaf_secure_revoke(struct smaf_buffer *buf, struct device *dev,
			unsigned int access);
int smaf_secure_cpu_begin(struct smaf_buffer *buf, unsigned int access,
			  bool writable);
void smaf_secure_cpu_end(struct smaf_buffer *buf, unsigned int access);
bool smaf_secure_release(struct smaf_buffer *buf);
void smaf_secure_destroy(struct smaf_buffer *buf);
void smaf_secure_quarantine(struct smaf_buffer *buf);
unsigned int smaf_secure_quarantine_scrub(void);
int smaf_secure_quarantine_show(struct seq_file *s, void *unused);
void smaf_buffer_fill_info(struct smaf_buffer *buf,
			   struct smaf_buffer_info *info);
int smaf_buffer_add_consumer(struct smaf_buffer *buf, const char *name);
int smaf_buffers_show(struct seq_file *s, void *unused);

/* smaf-alloc.c: giving buffers memory, and moving it */
bool smaf_mem_reachable(struct sg_table *sgt, struct device *dev);
bool smaf_mem_contiguous(struct sg_table *sgt);
bool smaf_mem_serves(struct smaf_buffer *buf, struct device *dev,
		     const char **why);
int smaf_mem_populate(struct smaf_buffer *buf);
void smaf_mem_depopulate(struct smaf_buffer *buf);
int smaf_mem_migrate(struct smaf_buffer *buf, struct device *dev,
		     const char *why);

/* smaf-ioctl.c */
long smaf_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* Refusals caused by userspace input: one rate-limited line each. */
#define smaf_refuse(fmt, ...) pr_err_ratelimited(fmt, ##__VA_ARGS__)

#endif /* _SMAF_INTERNAL_H */
