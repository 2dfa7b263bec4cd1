/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test made and its teardown must release: buffer fds and CPU
 * mappings. The helpers return 0 or -errno and never fail the test
 * themselves: each test keeps thin wrappers that ASSERT on the result, so
 * that failures point at the test's own lines.
 */
#ifndef SMAF_TESTS_TRACK_H
#define SMAF_TESTS_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACK_MAX	96

/* Zero-initialized is empty. */
struct track {
	int fds[TRACK_MAX];		/* -1: closed already */
	int nfds;
	struct {
		void *p;		/* NULL: unmapped already */
		size_t len;
	} maps[TRACK_MAX];
	int nmaps;
};

/* Remembers @fd for track_close_all(). 0, or -ENOSPC when full. */
int track_fd(struct track *t, int fd);

/* Remembers a mapping for track_unmap_all(). 0, or -ENOSPC when full. */
int track_map(struct track *t, void *p, size_t len);

/*
 * SMAF_IOC_CREATE on @dev (@alloc forces an allocator; NULL: none), the fd
 * tracked and stored in *@fd. 0 or -errno.
 */
int track_create(struct track *t, int dev, uint64_t size, uint32_t flags,
		 const char *alloc, int *fd);

/* dmabuf_mmap() of @fd, the mapping tracked and stored in *@p. 0 or -errno. */
int track_mmap(struct track *t, int fd, size_t len, off_t off, bool writable,
	       void **p);

/* Closes @fd and forgets it. */
void track_close(struct track *t, int fd);

/* munmap()s the tracked mapping at @p and forgets it. */
void track_munmap(struct track *t, void *p);

/* The mapping at @from moved to @to (mremap), now @len bytes long. */
void track_moved(struct track *t, void *from, void *to, size_t len);

/* munmap()s every mapping still tracked. */
void track_unmap_all(struct track *t);

/* Closes every fd still tracked. */
void track_close_all(struct track *t);

#endif /* SMAF_TESTS_TRACK_H */
