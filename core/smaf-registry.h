/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core, bottom layer: the registered allocators and secure module.
 * Calls nothing else of SMAF. Not an API.
 */
#ifndef _SMAF_REGISTRY_H
#define _SMAF_REGISTRY_H

#include <linux/smaf.h>

struct smaf_allocator *smaf_allocator_get(const char *name);
void smaf_allocator_put(struct smaf_allocator *alloc);
bool smaf_allocator_serves(struct smaf_allocator *alloc,
			   const struct smaf_request *req);
struct smaf_allocator **
smaf_allocator_candidates(const struct smaf_request *req, unsigned int *count);
int smaf_allocator_describe(struct smaf_allocator_info *info);
struct smaf_secure *smaf_secure_get(void);
void smaf_secure_put(struct smaf_secure *sec);

#endif /* _SMAF_REGISTRY_H */
