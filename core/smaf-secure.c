// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the secure layer.
 *
 * A secure buffer has a context in the secure module from the moment it is
 * flagged until it is freed. When it receives its memory, the module
 * closes the memory's physically contiguous ranges to everyone; every
 * requester, the CPU included, must then be granted access before it can
 * reach them: devices when they map the buffer, the CPU when it mmap()s it
 * or opens a DMA_BUF_IOCTL_SYNC bracket. Grants go per range, and every
 * successful grant is revoked exactly once. Before the memory goes back,
 * the module scrubs it; only then is the context destroyed, and the ranges
 * opened again.
 *
 * This layer works on a buffer's &struct smaf_secure_state and calls only
 * the registry (to pin the module) and the secure module; the buffer's
 * lifecycle decides when each of these happens, and serializes them with
 * the buffer's lock.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/err.h>
#include <linux/slab.h>

#include "smaf-common.h"
#include "smaf-registry.h"
#include "smaf-secure.h"

/**
 * smaf_secure_enable() - make a buffer secure: a context in the module
 * @st: the buffer's secure state, not secure yet
 * @id: the buffer's id
 * @size: its size
 *
 * Context: Process context, the buffer's lock held.
 * Return: 0, -ENODEV without a secure module, or the module's error.
 */
int smaf_secure_enable(struct smaf_secure_state *st, unsigned long id,
		       size_t size)
{
	struct smaf_secure *sec = smaf_secure_get();
	void *ctx;
	int ret;

	if (!sec) {
		smaf_refuse("buffer %lu: no secure module is registered\n", id);
		return -ENODEV;
	}
	ctx = sec->ops->create_ctx(sec, id, size);
	if (IS_ERR_OR_NULL(ctx)) {
		ret = ctx ? PTR_ERR(ctx) : -ENOMEM;
		smaf_refuse("buffer %lu: %s refused a context: %d\n", id,
			    sec->name, ret);
		smaf_secure_put(sec);
		return ret;
	}
	st->sec = sec;
	st->ctx = ctx;
	return 0;
}

/**
 * smaf_secure_disable() - end a buffer's secure life
 * @st: a secure state whose memory is scrubbed, or that has none
 *
 * Frees the ranges, destroys the context (which opens the ranges again)
 * and unpins the module. Nothing happens for an ordinary buffer.
 *
 * Context: Process context, the buffer's lock held or the buffer
 * unreachable.
 */
void smaf_secure_disable(struct smaf_secure_state *st)
{
	if (!st->sec)
		return;
	kfree(st->ranges);
	st->ranges = NULL;
	st->nr_ranges = 0;
	st->sec->ops->destroy_ctx(st->sec, st->ctx);
	smaf_secure_put(st->sec);
	st->sec = NULL;
	st->ctx = NULL;
}

/* The physically contiguous ranges of some memory. */
static int smaf_secure_ranges_init(struct smaf_secure_state *st,
				   struct sg_table *sgt)
{
	struct smaf_range *r;
	struct scatterlist *sg;
	unsigned int n = 0;
	int i;

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
	st->ranges = r;
	st->nr_ranges = n;
	return 0;
}

/**
 * smaf_secure_protect() - close a secure buffer's new memory to everyone
 * @st: a secure state without ranges
 * @id: the buffer's id
 * @sgt: the memory the buffer just received
 *
 * Finds the memory's physically contiguous ranges, which every grant will
 * ask for, and has the secure module close them until the context is
 * destroyed. On failure @st keeps no ranges and nothing is closed; the
 * memory was never reachable and may go back as it is.
 *
 * Context: Process context, the buffer's lock held.
 * Return: 0, -ENOMEM, or the secure module's error.
 */
int smaf_secure_protect(struct smaf_secure_state *st, unsigned long id,
			struct sg_table *sgt)
{
	int ret;

	ret = smaf_secure_ranges_init(st, sgt);
	if (ret)
		return ret;
	if (!st->sec->ops->protect)
		return 0;
	ret = st->sec->ops->protect(st->sec, st->ctx, st->ranges,
				    st->nr_ranges);
	if (!ret)
		return 0;
	smaf_refuse("buffer %lu: %s cannot protect %u ranges: %d\n", id,
		    st->sec->name, st->nr_ranges, ret);
	kfree(st->ranges);
	st->ranges = NULL;
	st->nr_ranges = 0;
	return ret;
}

static void smaf_secure_revoke_n(struct smaf_secure_state *st,
				 struct device *dev, unsigned int access,
				 unsigned int n)
{
	struct smaf_access acc = { .dev = dev, .access = access };

	while (n--) {
		acc.addr = st->ranges[n].addr;
		acc.len = st->ranges[n].len;
		st->sec->ops->revoke(st->sec, st->ctx, &acc);
	}
}

/**
 * smaf_secure_grant() - ask for a requester's access to a secure buffer
 * @st: a secure state with ranges
 * @id: the buffer's id
 * @dev: the device, or NULL for the CPU
 * @access: SMAF_ACCESS_* bits
 *
 * Either every range is granted, or none is.
 *
 * Context: Process context, the buffer's lock held.
 * Return: 0 or the secure module's refusal.
 */
int smaf_secure_grant(struct smaf_secure_state *st, unsigned long id,
		      struct device *dev, unsigned int access)
{
	struct smaf_access acc = { .dev = dev, .access = access };
	unsigned int i;
	int ret;

	for (i = 0; i < st->nr_ranges; i++) {
		acc.addr = st->ranges[i].addr;
		acc.len = st->ranges[i].len;
		ret = st->sec->ops->grant(st->sec, st->ctx, &acc);
		if (ret) {
			smaf_refuse("buffer %lu: %s refused %s access: %d\n",
				    id, st->sec->name,
				    dev ? dev_name(dev) : "CPU", ret);
			smaf_secure_revoke_n(st, dev, access, i);
			return ret;
		}
	}
	return 0;
}

/**
 * smaf_secure_revoke() - undo one smaf_secure_grant()
 * @st: the secure state
 * @dev: as granted
 * @access: as granted
 *
 * Context: Process context, the buffer's lock held.
 */
void smaf_secure_revoke(struct smaf_secure_state *st, struct device *dev,
			unsigned int access)
{
	smaf_secure_revoke_n(st, dev, access, st->nr_ranges);
}

/**
 * smaf_secure_cpu_begin() - open a CPU access bracket on a secure buffer
 * @st: a secure state with ranges
 * @id: the buffer's id
 * @access: SMAF_ACCESS_* bits
 * @writable: the dma-buf file is open for writing
 *
 * A read-only file never obtains a write grant: whoever holds it could
 * not write through a mapping either.
 *
 * Context: Process context, the buffer's lock held.
 * Return: 0, -EACCES for a write through a read-only file, or the secure
 * module's refusal.
 */
int smaf_secure_cpu_begin(struct smaf_secure_state *st, unsigned long id,
			  unsigned int access, bool writable)
{
	int ret;

	if ((access & SMAF_ACCESS_WRITE) && !writable) {
		smaf_refuse("buffer %lu: CPU write, read-only file\n", id);
		return -EACCES;
	}
	ret = smaf_secure_grant(st, id, NULL, access);
	if (!ret)
		st->cpu_sync_grants[access]++;
	return ret;
}

/**
 * smaf_secure_cpu_end() - close a bracket opened by smaf_secure_cpu_begin()
 * @st: the secure state
 * @access: as opened; nothing happens when no such bracket is open
 *
 * Context: Process context, the buffer's lock held.
 */
void smaf_secure_cpu_end(struct smaf_secure_state *st, unsigned int access)
{
	if (!st->cpu_sync_grants[access])
		return;
	st->cpu_sync_grants[access]--;
	smaf_secure_revoke(st, NULL, access);
}

/**
 * smaf_secure_cpu_end_all() - close the brackets userspace left open
 * @st: the secure state of a buffer being released
 *
 * Context: Process context.
 */
void smaf_secure_cpu_end_all(struct smaf_secure_state *st)
{
	unsigned int access;

	for (access = 0; access < ARRAY_SIZE(st->cpu_sync_grants); access++)
		while (st->cpu_sync_grants[access])
			smaf_secure_cpu_end(st, access);
}

/**
 * smaf_secure_scrub() - have the secure module erase a buffer's memory
 * @st: a secure state whose brackets and grants are all closed
 * @sgt: the memory
 *
 * Context: Process context, the buffer unreachable.
 * Return: 0 when the memory may be handed out again, or the module's error.
 */
int smaf_secure_scrub(struct smaf_secure_state *st, struct sg_table *sgt)
{
	return st->sec->ops->scrub(st->sec, st->ctx, sgt);
}
