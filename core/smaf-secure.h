/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: the secure layer, one secure buffer's context in the secure
 * module, its protected ranges, grants and revokes, the CPU's access
 * brackets and the scrub. Over the registry. Not an API.
 */
#ifndef _SMAF_SECURE_H
#define _SMAF_SECURE_H

#include <linux/device.h>
#include <linux/scatterlist.h>
#include <linux/smaf.h>

/**
 * struct smaf_secure_state - the secure side of one buffer
 * @sec: the secure module, pinned, while the buffer is secure; NULL for an
 *	ordinary buffer: the buffer is secure exactly when @sec is set
 * @ctx: @sec's context for the buffer
 * @ranges: the physically contiguous ranges of the buffer's memory, closed
 *	by @sec (&smaf_secure_ops.protect) once it has memory; NULL before
 * @nr_ranges: entries in @ranges
 * @cpu_sync_grants: CPU access brackets (DMA_BUF_IOCTL_SYNC start) still
 *	open, by SMAF_ACCESS_* bits
 *
 * Protected by the buffer's lock, or unreachable once the buffer is
 * released.
 */
struct smaf_secure_state {
	struct smaf_secure *sec;
	void *ctx;
	struct smaf_range *ranges;
	unsigned int nr_ranges;
	unsigned int cpu_sync_grants[SMAF_ACCESS_READ + SMAF_ACCESS_WRITE + 1];
};

static inline bool smaf_secure_on(const struct smaf_secure_state *st)
{
	return st->sec;
}

int smaf_secure_enable(struct smaf_secure_state *st, unsigned long id,
		       size_t size);
void smaf_secure_disable(struct smaf_secure_state *st);
int smaf_secure_protect(struct smaf_secure_state *st, unsigned long id,
			struct sg_table *sgt);
int smaf_secure_grant(struct smaf_secure_state *st, unsigned long id,
		      struct device *dev, unsigned int access);
void smaf_secure_revoke(struct smaf_secure_state *st, struct device *dev,
			unsigned int access);
int smaf_secure_cpu_begin(struct smaf_secure_state *st, unsigned long id,
			  unsigned int access, bool writable);
void smaf_secure_cpu_end(struct smaf_secure_state *st, unsigned int access);
void smaf_secure_cpu_end_all(struct smaf_secure_state *st);
int smaf_secure_scrub(struct smaf_secure_state *st, struct sg_table *sgt);

#endif /* _SMAF_SECURE_H */
