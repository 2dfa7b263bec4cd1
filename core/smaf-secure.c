// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the secure side of buffers.
 *
 * A secure buffer has a context in the secure module from the moment it is
 * flagged until it is freed. Every requester, the CPU included, must be
 * granted access to the buffer's memory before it can reach it: devices
 * when they map it, the CPU when it mmap()s it or opens a
 * DMA_BUF_IOCTL_SYNC bracket. Kernel vmap() of secure memory does not
 * exist: secure buffers have no vmap op. Grants go per physically
 * contiguous range, and every successful grant is revoked exactly once.
 *
 * When a freed secure buffer's memory cannot be scrubbed, it is never
 * handed out again: the buffer goes to the quarantine with its memory, its
 * secure context and the modules they pin, until root asks for another
 * scrub (debugfs smaf/quarantine) and it succeeds.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "smaf-internal.h"

/*
 * Freed secure buffers whose memory could not be scrubbed, linked through
 * their node. Protected by smaf_quarantine_lock, which is taken before any
 * secure module lock (scrub is called under it) and never with a buffer
 * lock held.
 */
static LIST_HEAD(smaf_quarantine);
static DEFINE_MUTEX(smaf_quarantine_lock);

/**
 * smaf_secure_set() - set or clear the secure flag of a buffer
 * @buf: the buffer
 * @secure: the new flag
 *
 * Only the process that created the buffer may change its flag, and only
 * while the buffer has no memory: a consumer holding the fd cannot turn a
 * protected buffer into ordinary memory before the producer fills it.
 *
 * Context: Process context. Takes and releases the buffer lock.
 * Return: 0, -EPERM for another process, -ENODEV without a secure module,
 * -EBUSY once memory backs the buffer, or the secure module's error from
 * creating a context.
 */
int smaf_secure_set(struct smaf_buffer *buf, bool secure)
{
	struct smaf_secure *sec;
	void *ctx;
	int ret = 0;

	if (buf->creator != task_tgid(current)) {
		smaf_refuse("buffer %lu: not its creator (pid %d)\n",
			    buf->id, pid_nr(buf->creator));
		return -EPERM;
	}
	sec = smaf_secure_get();
	if (!sec) {
		smaf_refuse("buffer %lu: no secure module is registered\n",
			    buf->id);
		return -ENODEV;
	}
	mutex_lock(&buf->lock);
	if (buf->mem) {
		smaf_refuse("buffer %lu: secure flag fixed once allocated\n",
			    buf->id);
		ret = -EBUSY;
	} else if (secure && !buf->secure) {
		ctx = sec->ops->create_ctx(sec, buf->id, buf->size);
		if (IS_ERR_OR_NULL(ctx)) {
			ret = ctx ? PTR_ERR(ctx) : -ENOMEM;
			smaf_refuse("buffer %lu: %s refused a context: %d\n",
				    buf->id, sec->name, ret);
		} else {
			buf->sec = sec;
			buf->sec_ctx = ctx;
			buf->secure = true;
			sec = NULL;	/* the buffer keeps the reference */
		}
	} else if (!secure && buf->secure) {
		buf->sec->ops->destroy_ctx(buf->sec, buf->sec_ctx);
		smaf_secure_put(buf->sec);
		buf->sec = NULL;
		buf->sec_ctx = NULL;
		buf->secure = false;
	}
	mutex_unlock(&buf->lock);
	smaf_secure_put(sec);
	return ret;
}

/* The physically contiguous ranges of a secure buffer's new memory. */
static int smaf_secure_ranges_init(struct smaf_buffer *buf)
{
	struct sg_table *sgt = buf->mem->sgt;
	struct smaf_range *r;
	struct scatterlist *sg;
	unsigned int n = 0;
	int i;

	lockdep_assert_held(&buf->lock);
	r = kcalloc(sgt->orig_nents, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	for_each_sgtable_sg(sgt, sg, i) {
		if (n && r[n - 1].addr + r[n - 1].len == sg_phys(sg)) {
			r[n - 1].len += sg->length;
			continue;
		}
		r[n].addr = sg_phys(sg);
		r[n].len = sg->length;
		n++;
	}
	buf->ranges = r;
	buf->nr_ranges = n;
	return 0;
}

/**
 * smaf_secure_protect() - close a secure buffer's new memory to everyone
 * @buf: a secure buffer that just received its memory
 *
 * Finds the memory's physically contiguous ranges, which every grant will
 * ask for, and has the secure module close them until the buffer's context
 * is destroyed. On failure the buffer keeps no ranges and nothing is
 * closed; its memory was never reachable and may go back as it is.
 *
 * Context: Process context, buffer lock held.
 * Return: 0, -ENOMEM, or the secure module's error.
 */
int smaf_secure_protect(struct smaf_buffer *buf)
{
	int ret;

	lockdep_assert_held(&buf->lock);
	ret = smaf_secure_ranges_init(buf);
	if (ret)
		return ret;
	if (!buf->sec->ops->protect)
		return 0;
	ret = buf->sec->ops->protect(buf->sec, buf->sec_ctx, buf->ranges,
				     buf->nr_ranges);
	if (!ret)
		return 0;
	smaf_refuse("buffer %lu: %s cannot protect %u ranges: %d\n", buf->id,
		    buf->sec->name, buf->nr_ranges, ret);
	kfree(buf->ranges);
	buf->ranges = NULL;
	buf->nr_ranges = 0;
	return ret;
}

static void smaf_secure_revoke_n(struct smaf_buffer *buf, struct device *dev,
				 unsigned int access, unsigned int n)
{
	struct smaf_access acc = { .dev = dev, .access = access };

	while (n--) {
		acc.addr = buf->ranges[n].addr;
		acc.len = buf->ranges[n].len;
		buf->sec->ops->revoke(buf->sec, buf->sec_ctx, &acc);
	}
}

/**
 * smaf_secure_grant() - ask for a requester's access to a secure buffer
 * @buf: a secure buffer with memory
 * @dev: the device, or NULL for the CPU
 * @access: SMAF_ACCESS_* bits
 *
 * Either every range is granted, or none is.
 *
 * Context: Process context, buffer lock held.
 * Return: 0 or the secure module's refusal.
 */
int smaf_secure_grant(struct smaf_buffer *buf, struct device *dev,
		      unsigned int access)
{
	struct smaf_access acc = { .dev = dev, .access = access };
	unsigned int i;
	int ret;

	lockdep_assert_held(&buf->lock);
	for (i = 0; i < buf->nr_ranges; i++) {
		acc.addr = buf->ranges[i].addr;
		acc.len = buf->ranges[i].len;
		ret = buf->sec->ops->grant(buf->sec, buf->sec_ctx, &acc);
		if (ret) {
			smaf_refuse("buffer %lu: %s refused %s access: %d\n",
				    buf->id, buf->sec->name,
				    dev ? dev_name(dev) : "CPU", ret);
			smaf_secure_revoke_n(buf, dev, access, i);
			return ret;
		}
	}
	return 0;
}

/**
 * smaf_secure_revoke() - undo one smaf_secure_grant()
 * @buf: the buffer
 * @dev: as granted
 * @access: as granted
 *
 * Context: Process context, buffer lock held.
 */
void smaf_secure_revoke(struct smaf_buffer *buf, struct device *dev,
			unsigned int access)
{
	lockdep_assert_held(&buf->lock);
	smaf_secure_revoke_n(buf, dev, access, buf->nr_ranges);
}

/**
 * smaf_secure_cpu_begin() - open a CPU access bracket on a secure buffer
 * @buf: a secure buffer with memory
 * @access: SMAF_ACCESS_* bits
 * @writable: the dma-buf file is open for writing
 *
 * A read-only file never obtains a write grant: whoever holds it could
 * not write through a mapping either.
 *
 * Context: Process context, buffer lock held.
 * Return: 0, -EACCES for a write through a read-only file, or the secure
 * module's refusal.
 */
int smaf_secure_cpu_begin(struct smaf_buffer *buf, unsigned int access,
			  bool writable)
{
	int ret;

	lockdep_assert_held(&buf->lock);
	if ((access & SMAF_ACCESS_WRITE) && !writable) {
		smaf_refuse("buffer %lu: CPU write, read-only file\n",
			    buf->id);
		return -EACCES;
	}
	ret = smaf_secure_grant(buf, NULL, access);
	if (!ret)
		buf->cpu_sync_grants[access]++;
	return ret;
}

/**
 * smaf_secure_cpu_end() - close a bracket opened by smaf_secure_cpu_begin()
 * @buf: the buffer
 * @access: as opened; nothing happens when no such bracket is open
 *
 * Context: Process context, buffer lock held.
 */
void smaf_secure_cpu_end(struct smaf_buffer *buf, unsigned int access)
{
	if (!buf->cpu_sync_grants[access])
		return;
	buf->cpu_sync_grants[access]--;
	smaf_secure_revoke(buf, NULL, access);
}

/**
 * smaf_secure_release() - end a buffer's secure life, before its memory
 *	goes back to the allocator
 * @buf: the buffer, unreachable by anyone else
 *
 * Closes the CPU brackets userspace left open and scrubs the memory, then
 * destroys the secure context. When scrubbing fails, the context, the
 * ranges and the secure module stay with the buffer, for
 * smaf_secure_quarantine().
 *
 * Context: Process context.
 * Return: true when the memory may be freed; false when scrubbing failed
 * and the memory must not be handed out again.
 */
bool smaf_secure_release(struct smaf_buffer *buf)
{
	unsigned int access;
	int ret;

	if (!buf->secure)
		return true;
	if (buf->mem) {
		mutex_lock(&buf->lock);
		for (access = 0; access < ARRAY_SIZE(buf->cpu_sync_grants);
		     access++)
			while (buf->cpu_sync_grants[access])
				smaf_secure_cpu_end(buf, access);
		mutex_unlock(&buf->lock);
		ret = buf->sec->ops->scrub(buf->sec, buf->sec_ctx,
					   buf->mem->sgt);
		if (ret) {
			pr_err("buffer %lu: scrubbing failed (%d): quarantining %zu bytes\n",
			       buf->id, ret, buf->size);
			return false;
		}
	}
	smaf_secure_destroy(buf);
	return true;
}

/**
 * smaf_secure_destroy() - free a buffer's ranges and secure context, and
 *	unpin its secure module
 * @buf: a secure buffer whose memory is scrubbed, or that has none
 *
 * Context: Process context, the buffer unreachable.
 */
void smaf_secure_destroy(struct smaf_buffer *buf)
{
	kfree(buf->ranges);
	buf->ranges = NULL;
	buf->sec->ops->destroy_ctx(buf->sec, buf->sec_ctx);
	smaf_secure_put(buf->sec);
	buf->sec = NULL;
	buf->sec_ctx = NULL;
}

/**
 * smaf_secure_quarantine() - keep a freed buffer whose memory could not be
 *	scrubbed
 * @buf: the buffer, after smaf_secure_release() returned false
 *
 * The buffer keeps its memory (still counted in allocated_bytes, against
 * max_total_size), its allocator and its secure module pinned, and is
 * counted in quarantined_buffers and quarantined_bytes until
 * smaf_secure_quarantine_scrub() succeeds on it.
 *
 * Context: Process context, the buffer unreachable.
 */
void smaf_secure_quarantine(struct smaf_buffer *buf)
{
	buf->dmabuf = NULL;	/* freed by the dma-buf core */
	mutex_lock(&smaf_quarantine_lock);
	list_add_tail(&buf->node, &smaf_quarantine);
	atomic64_inc(&smaf_stats.quarantined_buffers);
	atomic64_add(buf->size, &smaf_stats.quarantined_bytes);
	mutex_unlock(&smaf_quarantine_lock);
}

/**
 * smaf_secure_quarantine_scrub() - scrub the quarantined buffers again
 *
 * Every buffer whose memory its secure module now scrubs is freed for
 * good: its memory goes back to its allocator and its modules are
 * unpinned.
 *
 * Context: Process context. Takes smaf_quarantine_lock.
 * Return: how many buffers stay quarantined.
 */
unsigned int smaf_secure_quarantine_scrub(void)
{
	struct smaf_buffer *buf, *tmp;
	unsigned int left = 0;
	int ret;

	mutex_lock(&smaf_quarantine_lock);
	list_for_each_entry_safe(buf, tmp, &smaf_quarantine, node) {
		ret = buf->sec->ops->scrub(buf->sec, buf->sec_ctx,
					   buf->mem->sgt);
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
		smaf_secure_destroy(buf);
		smaf_buffer_free(buf);
	}
	mutex_unlock(&smaf_quarantine_lock);
	return left;
}

/**
 * smaf_secure_quarantine_show() - list the quarantined buffers (debugfs)
 * @s: the seq_file
 * @unused: unused
 *
 * One line per buffer: its id, size, allocator and secure module.
 *
 * Context: Process context. Takes smaf_quarantine_lock.
 * Return: 0.
 */
int smaf_secure_quarantine_show(struct seq_file *s, void *unused)
{
	struct smaf_buffer *buf;

	mutex_lock(&smaf_quarantine_lock);
	list_for_each_entry(buf, &smaf_quarantine, node)
		seq_printf(s, "id=%lu size=%zu allocator=%s secure=%s\n",
			   buf->id, buf->size, buf->alloc->name,
			   buf->sec->name);
	mutex_unlock(&smaf_quarantine_lock);
	return 0;
}
