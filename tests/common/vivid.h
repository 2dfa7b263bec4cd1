/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that import SMAF buffers into vivid, the V4L2 test
 * driver, with V4L2_MEMORY_DMABUF.
 */
#ifndef SMAF_TEST_VIVID_H
#define SMAF_TEST_VIVID_H

#include <stddef.h>

/* ioctl() retried on EINTR; returns its result or -errno. */
int smaf_xioctl(int fd, unsigned long cmd, void *arg);

/* vivid's allocators parameter for instance 0 (1: dma-contig), or -errno. */
int vivid_mode(void);

/*
 * Opens vivid's video capture node (not its touch node), O_NONBLOCK, and
 * stores its path in @path (@len bytes) when @path is not NULL. Returns the
 * fd or -ENODEV.
 */
int vivid_open_capture(char *path, size_t len);

/* VIDIOC_REQBUFS of @count DMABUF capture buffers: the count or -errno. */
int vivid_reqbufs(int vfd, unsigned int count);

/* VIDIOC_QBUF of dma-buf @fd of @size bytes as buffer @index: 0 or -errno. */
int vivid_qbuf(int vfd, unsigned int index, int fd, size_t size);

#endif /* SMAF_TEST_VIVID_H */
