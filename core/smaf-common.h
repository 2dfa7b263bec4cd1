/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: what every layer of the core shares, the counters of what SMAF
 * holds and the log line of a refusal. Not an API.
 */
#ifndef _SMAF_COMMON_H
#define _SMAF_COMMON_H

#include <linux/atomic.h>
#include <linux/printk.h>

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
 * All atomic; no lock. Defined in smaf-memory.c, the lowest layer that
 * counts into it.
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

/* Refusals userspace can cause: one rate-limited line each. */
#define smaf_refuse(fmt, ...) pr_err_ratelimited(fmt, ##__VA_ARGS__)

#endif /* _SMAF_COMMON_H */
