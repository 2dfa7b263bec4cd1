// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the buffer lifecycle.
 *
 * A buffer is created without memory (EMPTY) and receives it, once, from
 * the memory layer when the exporter first needs it (ALLOCATED), for every
 * device attached to it or declared for it. A device that attaches later
 * and cannot use the memory makes it move, content included, when nothing
 * holds it. At release the memory goes back; secure memory is scrubbed
 * first, and kept out of use (QUARANTINED) when it cannot be. Each change
 * of state is one function below, under the buffer's lock.
 *
 * This layer calls the memory and secure layers and the constraints; the
 * exporter above it calls in here.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "smaf-buffer.h"
#include "smaf-common.h"
#include "smaf-constraints.h"
#include "smaf-registry.h"

/* Protects smaf_buffers; see DOC: locking in smaf-main.c. */
static DEFINE_MUTEX(smaf_buffers_lock);
/* Every live buffer, oldest first. */
static LIST_HEAD(smaf_buffers);

/*
 * Freed secure buffers whose memory could not be scrubbed. Protected by
 * smaf_quarantine_lock, which is taken with no other SMAF lock held (the
 * secure module's scrub and destroy_ctx run under it).
 */
static LIST_HEAD(smaf_quarantine);
static DEFINE_MUTEX(smaf_quarantine_lock);

/**
 * smaf_buffer_new() - a buffer without memory, not exported yet
 * @size: size in bytes, a non-zero multiple of PAGE_SIZE
 * @forced: allocator to use, pinned by the caller, or NULL; the reference
 *	passes to the buffer, also on failure
 *
 * Context: Process context.
 * Return: the buffer, or ERR_PTR(-ENOMEM).
 */
struct smaf_buffer *smaf_buffer_new(size_t size, struct smaf_allocator *forced)
{
	struct smaf_buffer *buf;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		smaf_allocator_put(forced);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	INIT_LIST_HEAD(&buf->node);
	buf->size = size;
	buf->state = SMAF_BUFFER_EMPTY;
	buf->forced = forced;
	buf->creator = get_pid(task_tgid(current));
	buf->uid = current_euid();
	get_task_comm(buf->comm, current);
	return buf;
}

/* Frees a buffer whose memory is gone and whose secure life is over. */
static void smaf_buffer_free(struct smaf_buffer *buf)
{
	smaf_backing_free(&buf->backing);
	put_pid(buf->creator);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

/**
 * smaf_buffer_discard() - free a buffer that was never exported
 * @buf: from smaf_buffer_new()
 *
 * Context: Process context.
 */
void smaf_buffer_discard(struct smaf_buffer *buf)
{
	smaf_allocator_put(buf->forced);
	smaf_buffer_free(buf);
}

/**
 * smaf_buffer_exported() - a buffer's dma-buf exists: it is live
 * @buf: from smaf_buffer_new()
 * @dmabuf: its dma-buf, which owns @buf from now on
 *
 * Context: Process context. Takes the buffer list lock.
 */
void smaf_buffer_exported(struct smaf_buffer *buf, struct dma_buf *dmabuf)
{
	static atomic64_t serial = ATOMIC64_INIT(0);

	buf->serial = atomic64_inc_return(&serial);
	buf->dmabuf = dmabuf;
	buf->id = file_inode(dmabuf->file)->i_ino;
	atomic64_inc(&smaf_stats.buffers);
	mutex_lock(&smaf_buffers_lock);
	list_add_tail(&buf->node, &smaf_buffers);
	mutex_unlock(&smaf_buffers_lock);
}

/*
 * The devices a buffer's memory must serve: the attached ones, the
 * declared ones, and @extra if not NULL; kfree() the array.
 */
static struct device **smaf_buffer_users(struct smaf_buffer *buf,
					 struct device *extra,
					 unsigned int *nr)
{
	struct smaf_attachment *a;
	struct device **devs;
	unsigned int i, n = 0;

	lockdep_assert_held(&buf->lock);
	*nr = buf->nr_attachments + buf->nr_consumers + !!extra;
	devs = kcalloc(*nr ? *nr : 1, sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return NULL;
	list_for_each_entry(a, &buf->attachments, node)
		devs[n++] = a->dev;
	for (i = 0; i < buf->nr_consumers; i++)
		devs[n++] = buf->consumers[i];
	if (extra)
		devs[n++] = extra;
	return devs;
}

/* Memory for every user of @buf and @extra, into @b. */
static int smaf_buffer_alloc(struct smaf_buffer *buf, struct device *extra,
			     struct smaf_backing *b)
{
	struct smaf_request req;
	struct device **devs;
	unsigned int n;
	int ret;

	devs = smaf_buffer_users(buf, extra, &n);
	if (!devs)
		return -ENOMEM;
	smaf_request_init(&req, buf->size, smaf_buffer_secure(buf), devs, n);
	ret = smaf_backing_alloc(b, &req, buf->forced, buf->id);
	kfree(devs);
	return ret;
}

/**
 * smaf_buffer_populate() - EMPTY to ALLOCATED: give a buffer its memory
 * @buf: the buffer; nothing happens when it has memory already
 *
 * Called by every path that needs memory; the buffer lock makes racing
 * first users allocate once. A secure buffer's memory is closed by the
 * secure module before anyone can reach it; if that fails, the memory goes
 * back and the buffer stays EMPTY.
 *
 * Context: Process context, buffer lock held.
 * Return: 0, or the memory layer's or the secure module's error.
 */
int smaf_buffer_populate(struct smaf_buffer *buf)
{
	int ret;

	lockdep_assert_held(&buf->lock);
	if (buf->state != SMAF_BUFFER_EMPTY)
		return 0;
	ret = smaf_buffer_alloc(buf, NULL, &buf->backing);
	if (ret)
		return ret;
	if (smaf_buffer_secure(buf)) {
		ret = smaf_secure_protect(&buf->secure, buf->id,
					  buf->backing.mem->sgt);
		if (ret) {
			smaf_backing_free(&buf->backing);
			return ret;
		}
	}
	buf->state = SMAF_BUFFER_ALLOCATED;
	return 0;
}

/* Why the memory of @buf cannot move now, or NULL if it can. */
static const char *smaf_buffer_pinned(struct smaf_buffer *buf)
{
	if (smaf_buffer_secure(buf))
		return "the buffer is secure";
	if (buf->nr_device_maps)
		return "a device has it mapped";
	if (buf->vmap_count)
		return "the kernel has it mapped";
	return NULL;
}

/*
 * ALLOCATED to ALLOCATED: move the memory so that one more device, @dev,
 * can use it; only when no device or kernel mapping holds it and the
 * buffer is not secure. CPU mmap()s follow: their page tables are zapped
 * before the copy and fault in the new pages. -EBUSY when the memory
 * cannot move or no allocator can serve every user.
 */
static int smaf_buffer_migrate(struct smaf_buffer *buf, struct device *dev,
			       const char *why)
{
	const char *pinned = smaf_buffer_pinned(buf);
	struct smaf_backing new = {};
	char old_name[SMAF_NAME_LEN];
	int ret;

	lockdep_assert_held(&buf->lock);
	if (pinned) {
		dev_err_ratelimited(dev, "smaf: cannot attach buffer %lu: %s, and %s\n",
				    buf->id, why, pinned);
		return -EBUSY;
	}
	ret = smaf_buffer_alloc(buf, dev, &new);
	if (ret) {
		ret = ret == -ENODEV ? -EBUSY : ret;
		dev_err_ratelimited(dev, "smaf: cannot attach buffer %lu: %s, and no memory serves every user: %d\n",
				    buf->id, why, ret);
		return ret;
	}
	/* CPU users fault on the old pages' absence until the swap is done. */
	unmap_mapping_range(buf->dmabuf->file->f_mapping, 0, 0, 1);
	smaf_backing_copy(&new, &buf->backing);
	strscpy(old_name, buf->backing.alloc->name, sizeof(old_name));
	smaf_backing_free(&buf->backing);
	buf->backing = new;
	buf->migrations++;
	dev_info(dev, "smaf: buffer %lu moved from %s to %s memory: %s\n",
		 buf->id, old_name, new.alloc->name, why);
	return 0;
}

/**
 * smaf_buffer_attach() - a device attaches to a buffer
 * @buf: the buffer
 * @dev: the device
 *
 * Before memory exists this only records the device. After, the device
 * must be able to use the memory; if it cannot, the memory moves or the
 * attach is refused.
 *
 * Context: Process context. Takes and releases the buffer lock.
 * Return: the attachment, or an ERR_PTR(): -ENOMEM, -EBUSY when the memory
 * cannot serve @dev and cannot move, or an allocation error.
 */
struct smaf_attachment *smaf_buffer_attach(struct smaf_buffer *buf,
					   struct device *dev)
{
	struct smaf_attachment *a;
	const char *why;
	int ret = 0;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	a->dev = dev;
	INIT_LIST_HEAD(&a->mappings);

	mutex_lock(&buf->lock);
	if (buf->state == SMAF_BUFFER_ALLOCATED &&
	    !smaf_mem_serves(buf->backing.mem->sgt, dev, &why))
		ret = smaf_buffer_migrate(buf, dev, why);
	if (!ret) {
		list_add_tail(&a->node, &buf->attachments);
		buf->nr_attachments++;
		atomic64_inc(&smaf_stats.attachments);
	}
	mutex_unlock(&buf->lock);
	if (ret) {
		kfree(a);
		return ERR_PTR(ret);
	}
	return a;
}

/**
 * smaf_buffer_detach() - a device detaches
 * @buf: the buffer
 * @a: its attachment, without mappings any more; freed
 *
 * Context: Process context, buffer lock held.
 */
void smaf_buffer_detach(struct smaf_buffer *buf, struct smaf_attachment *a)
{
	lockdep_assert_held(&buf->lock);
	list_del(&a->node);
	buf->nr_attachments--;
	atomic64_dec(&smaf_stats.attachments);
	kfree(a);
}

/* To QUARANTINED: memory, context and modules kept, counted apart. */
static void smaf_buffer_quarantine(struct smaf_buffer *buf)
{
	pr_err("buffer %lu: scrubbing failed: quarantining %zu bytes\n",
	       buf->id, buf->size);
	buf->state = SMAF_BUFFER_QUARANTINED;
	buf->dmabuf = NULL;	/* freed by the dma-buf core */
	mutex_lock(&smaf_quarantine_lock);
	list_add_tail(&buf->node, &smaf_quarantine);
	atomic64_inc(&smaf_stats.quarantined_buffers);
	atomic64_add(buf->size, &smaf_stats.quarantined_bytes);
	mutex_unlock(&smaf_quarantine_lock);
}

/**
 * smaf_buffer_release() - the last reference to a buffer's dma-buf went
 * @buf: the buffer, unreachable by anyone else
 *
 * The declared consumers and the forced allocator are released. Secure
 * memory is scrubbed (the CPU brackets userspace left open are closed
 * first); if that fails, the buffer goes to the quarantine with its
 * memory, its secure context and the modules they pin. Otherwise the
 * secure context is destroyed and the memory goes back.
 *
 * Context: Process context.
 */
void smaf_buffer_release(struct smaf_buffer *buf)
{
	unsigned int i;

	mutex_lock(&smaf_buffers_lock);
	list_del(&buf->node);
	mutex_unlock(&smaf_buffers_lock);
	atomic64_dec(&smaf_stats.buffers);

	for (i = 0; i < buf->nr_consumers; i++)
		put_device(buf->consumers[i]);
	buf->nr_consumers = 0;
	smaf_allocator_put(buf->forced);
	buf->forced = NULL;

	if (smaf_buffer_secure(buf) && buf->state == SMAF_BUFFER_ALLOCATED) {
		smaf_secure_cpu_end_all(&buf->secure);
		if (smaf_secure_scrub(&buf->secure, buf->backing.mem->sgt)) {
			smaf_buffer_quarantine(buf);
			return;
		}
	}
	smaf_secure_disable(&buf->secure);
	smaf_buffer_free(buf);
}

/**
 * smaf_buffer_quarantine_scrub() - QUARANTINED to freed, where it works
 *
 * Asks each quarantined buffer's secure module to scrub it again; every
 * buffer it now scrubs is freed for good: its memory goes back to its
 * allocator and its modules are unpinned.
 *
 * Context: Process context. Takes smaf_quarantine_lock.
 * Return: how many buffers stay quarantined.
 */
unsigned int smaf_buffer_quarantine_scrub(void)
{
	struct smaf_buffer *buf, *tmp;
	unsigned int left = 0;
	int ret;

	mutex_lock(&smaf_quarantine_lock);
	list_for_each_entry_safe(buf, tmp, &smaf_quarantine, node) {
		ret = smaf_secure_scrub(&buf->secure, buf->backing.mem->sgt);
		if (ret) {
			pr_err("buffer %lu: scrubbing failed again (%d): %zu bytes stay quarantined\n",
			       buf->id, ret, buf->size);
			left++;
			continue;
		}
		list_del(&buf->node);
		atomic64_dec(&smaf_stats.quarantined_buffers);
		atomic64_sub(buf->size, &smaf_stats.quarantined_bytes);
		pr_info("buffer %lu: scrubbed, %zu bytes leave the quarantine\n",
			buf->id, buf->size);
		smaf_secure_disable(&buf->secure);
		smaf_buffer_free(buf);
	}
	mutex_unlock(&smaf_quarantine_lock);
	return left;
}

/**
 * smaf_buffer_set_secure() - set or clear a buffer's secure flag
 * @buf: the buffer
 * @secure: the new flag
 *
 * Only the process that created the buffer may change its flag, and only
 * while the buffer is EMPTY: a consumer holding the fd cannot turn a
 * protected buffer into ordinary memory before the producer fills it.
 *
 * Context: Process context. Takes and releases the buffer lock.
 * Return: 0, -EPERM for another process, -EBUSY once memory backs the
 * buffer, -ENODEV without a secure module, or the secure module's error.
 */
int smaf_buffer_set_secure(struct smaf_buffer *buf, bool secure)
{
	struct smaf_secure *sec;
	int ret = 0;

	if (buf->creator != task_tgid(current)) {
		smaf_refuse("buffer %lu: not its creator (pid %d)\n", buf->id,
			    pid_nr(buf->creator));
		return -EPERM;
	}
	sec = smaf_secure_get();
	if (!sec) {
		smaf_refuse("buffer %lu: no secure module is registered\n",
			    buf->id);
		return -ENODEV;
	}
	smaf_secure_put(sec);
	mutex_lock(&buf->lock);
	if (buf->state != SMAF_BUFFER_EMPTY) {
		smaf_refuse("buffer %lu: secure flag fixed once allocated\n",
			    buf->id);
		ret = -EBUSY;
	} else if (secure && !smaf_buffer_secure(buf)) {
		ret = smaf_secure_enable(&buf->secure, buf->id, buf->size);
	} else if (!secure) {
		smaf_secure_disable(&buf->secure);
	}
	mutex_unlock(&buf->lock);
	return ret;
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
	if (buf->state != SMAF_BUFFER_EMPTY) {
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
	info->allocated = buf->state != SMAF_BUFFER_EMPTY;
	info->secure = smaf_buffer_secure(buf);
	info->attachments = buf->nr_attachments;
	info->device_mappings = buf->nr_device_maps;
	info->cpu_mappings = buf->nr_vmas + buf->vmap_count;
	info->migrations = buf->migrations;
	alloc = buf->backing.alloc ? buf->backing.alloc : buf->forced;
	if (alloc)
		strscpy_pad(info->allocator, alloc->name, SMAF_NAME_LEN);
	info->consumers = buf->nr_consumers;
	info->id = buf->id;
	mutex_unlock(&buf->lock);
}

/**
 * smaf_buffers_for_each() - call @fn for every live buffer, oldest first
 * @fn: called with the buffer list lock held, not the buffer's; a non-zero
 *	return stops the walk
 * @arg: passed to @fn
 *
 * Context: Process context. Takes and releases the buffer list lock.
 * Return: what the last @fn returned, or 0.
 */
int smaf_buffers_for_each(int (*fn)(struct smaf_buffer *buf, void *arg),
			  void *arg)
{
	struct smaf_buffer *buf;
	int ret = 0;

	mutex_lock(&smaf_buffers_lock);
	list_for_each_entry(buf, &smaf_buffers, node) {
		ret = fn(buf, arg);
		if (ret)
			break;
	}
	mutex_unlock(&smaf_buffers_lock);
	return ret;
}

/**
 * smaf_quarantine_for_each() - call @fn for every quarantined buffer
 * @fn: called with smaf_quarantine_lock held; a non-zero return stops
 * @arg: passed to @fn
 *
 * Context: Process context. Takes and releases smaf_quarantine_lock.
 * Return: what the last @fn returned, or 0.
 */
int smaf_quarantine_for_each(int (*fn)(struct smaf_buffer *buf, void *arg),
			     void *arg)
{
	struct smaf_buffer *buf;
	int ret = 0;

	mutex_lock(&smaf_quarantine_lock);
	list_for_each_entry(buf, &smaf_quarantine, node) {
		ret = fn(buf, arg);
		if (ret)
			break;
	}
	mutex_unlock(&smaf_quarantine_lock);
	return ret;
}
