/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: the memory layer, memory chosen for a request and checked,
 * over the registry and the constraints. Not an API.
 */
#ifndef _SMAF_MEMORY_H
#define _SMAF_MEMORY_H

#include <linux/device.h>
#include <linux/scatterlist.h>
#include <linux/smaf.h>

/**
 * struct smaf_backing - the memory of one buffer and where it came from
 * @alloc: the allocator holding @mem, pinned (a module reference) while
 *	@mem exists; NULL while there is none
 * @mem: the memory, or NULL
 * @size: bytes of @mem; set by smaf_backing_alloc()
 *
 * Protected by the lock of the buffer it backs.
 */
struct smaf_backing {
	struct smaf_allocator *alloc;
	struct smaf_mem *mem;
	size_t size;
};

extern u64 smaf_max_total_size;

bool smaf_mem_reachable(struct sg_table *sgt, struct device *dev);
bool smaf_mem_contiguous(struct sg_table *sgt);
bool smaf_mem_serves(struct sg_table *sgt, struct device *dev,
		     const char **why);
void smaf_request_init(struct smaf_request *req, size_t size, bool secure,
		       struct device * const *devs, unsigned int nr_devs);
int smaf_backing_alloc(struct smaf_backing *b, const struct smaf_request *req,
		       struct smaf_allocator *forced, unsigned long id);
void smaf_backing_free(struct smaf_backing *b);
void smaf_backing_copy(struct smaf_backing *dst,
		       const struct smaf_backing *src);

#endif /* _SMAF_MEMORY_H */
