/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core: the dma-buf exporter, over the buffer lifecycle. Not an API.
 */
#ifndef _SMAF_EXPORTER_H
#define _SMAF_EXPORTER_H

#include <linux/dma-buf.h>

#include "smaf-buffer.h"

struct smaf_buffer *smaf_export(size_t size, u32 flags,
				struct smaf_allocator *forced);
struct smaf_buffer *smaf_exporter_get(int fd, struct dma_buf **dmabuf);

#endif /* _SMAF_EXPORTER_H */
