/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: the buffer lifecycle. Creation, allocation, migration,
 * release and quarantine of SMAF buffers, over the memory and secure
 * layers. Not an API.
 */
#ifndef _SMAF_BUFFER_H
#define _SMAF_BUFFER_H

#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/smaf.h>

#include "smaf-memory.h"
#include "smaf-secure.h"

/* Most devices one buffer can have declared with SMAF_IOC_ADD_CONSUMER. */
#define SMAF_MAX_CONSUMERS	16

/**
 * enum smaf_buffer_state - where a buffer is in its life
 * @SMAF_BUFFER_EMPTY: exported, no memory yet: its secure flag may change
 *	and declared consumers may be added
 * @SMAF_BUFFER_ALLOCATED: memory in &smaf_buffer.backing, for good
 *	(migration replaces it, never removes it); the secure flag is fixed
 * @SMAF_BUFFER_QUARANTINED: released, its secure memory could not be
 *	scrubbed: kept, with its secure context, out of every other use
 *
 * A buffer goes from EMPTY to ALLOCATED (smaf_buffer_populate()), and is
 * freed at release from either, or else QUARANTINED until
 * smaf_buffer_quarantine_scrub() succeeds on it.
 */
enum smaf_buffer_state {
	SMAF_BUFFER_EMPTY,
	SMAF_BUFFER_ALLOCATED,
	SMAF_BUFFER_QUARANTINED,
};

/**
 * struct smaf_attachment - one device attached to a buffer
 * @dev: the attached device
 * @node: entry in &smaf_buffer.attachments; protected by &smaf_buffer.lock
 * @mappings: the exporter's mappings for @dev; protected by
 *	&smaf_buffer.lock
 */
struct smaf_attachment {
	struct device *dev;
	struct list_head node;
	struct list_head mappings;
};

/**
 * struct smaf_buffer - one SMAF buffer, the private data of its dma-buf
 * @dmabuf: the dma-buf exported for this buffer; no reference is held (the
 *	dma-buf owns the buffer and frees it from its release op); NULL once
 *	quarantined
 * @id: the dma-buf's inode number, for logs and userspace; constant
 * @lock: protects every member below it; nests inside the dma-buf core's
 *	own locks and outside the registry's and the rules' locks
 * @size: size in bytes, a multiple of PAGE_SIZE; constant
 * @state: see &enum smaf_buffer_state
 * @forced: allocator named at creation, or NULL; a module reference is
 *	held on it until release; constant
 * @backing: the memory, while ALLOCATED or QUARANTINED
 * @attachments: &struct smaf_attachment list
 * @nr_attachments: entries in @attachments
 * @nr_device_maps: active device mappings over all attachments
 * @nr_vmas: live VMAs of mmap()
 * @vmap_count: kernel vmap() users of @vaddr
 * @vaddr: kernel mapping of the memory while @vmap_count is non-zero
 * @secure: the secure side; the buffer is secure when smaf_secure_on()
 * @consumers: devices declared with SMAF_IOC_ADD_CONSUMER, referenced
 * @nr_consumers: entries in @consumers
 * @migrations: times the memory moved
 * @node: entry in the list of live buffers, or, once quarantined, in the
 *	quarantine; protected by that list's lock
 * @serial: place in creation order, never reused: the cursor of
 *	SMAF_IOC_LIST_BUFFERS; constant once exported
 * @creator: thread group that created the buffer, referenced; the only
 *	one that may change the secure flag; constant
 * @uid: its effective user id then: who, besides an administrator, may
 *	list the buffer; constant
 * @comm: its command name then; constant
 */
struct smaf_buffer {
	struct dma_buf *dmabuf;
	unsigned long id;
	struct mutex lock; /* see the kerneldoc above */
	size_t size;
	enum smaf_buffer_state state;
	struct smaf_allocator *forced;
	struct smaf_backing backing;
	struct list_head attachments;
	unsigned int nr_attachments;
	unsigned int nr_device_maps;
	unsigned int nr_vmas;
	unsigned int vmap_count;
	void *vaddr;
	struct smaf_secure_state secure;
	struct device *consumers[SMAF_MAX_CONSUMERS];
	unsigned int nr_consumers;
	unsigned int migrations;
	struct list_head node;
	u64 serial;
	struct pid *creator;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
};

static inline bool smaf_buffer_secure(const struct smaf_buffer *buf)
{
	return smaf_secure_on(&buf->secure);
}

struct smaf_buffer *smaf_buffer_new(size_t size, struct smaf_allocator *forced);
void smaf_buffer_discard(struct smaf_buffer *buf);
void smaf_buffer_exported(struct smaf_buffer *buf, struct dma_buf *dmabuf);
int smaf_buffer_populate(struct smaf_buffer *buf);
struct smaf_attachment *smaf_buffer_attach(struct smaf_buffer *buf,
					   struct device *dev);
void smaf_buffer_detach(struct smaf_buffer *buf, struct smaf_attachment *a);
void smaf_buffer_release(struct smaf_buffer *buf);
int smaf_buffer_set_secure(struct smaf_buffer *buf, bool secure);
int smaf_buffer_add_consumer(struct smaf_buffer *buf, const char *name);
void smaf_buffer_fill_info(struct smaf_buffer *buf,
			   struct smaf_buffer_info *info);
int smaf_buffers_for_each(int (*fn)(struct smaf_buffer *buf, void *arg),
			  void *arg);
int smaf_quarantine_for_each(int (*fn)(struct smaf_buffer *buf, void *arg),
			     void *arg);
unsigned int smaf_buffer_quarantine_scrub(void);

#endif /* _SMAF_BUFFER_H */
