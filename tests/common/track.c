// SPDX-License-Identifier: GPL-2.0
/* Buffer fds and mappings a test made, released by its teardown. */

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/smaf_test.h"
#include "common/testdev.h"
#include "common/track.h"

int track_fd(struct track *t, int fd)
{
	if (t->nfds >= TRACK_MAX)
		return -ENOSPC;
	t->fds[t->nfds++] = fd;
	return 0;
}

int track_map(struct track *t, void *p, size_t len)
{
	if (t->nmaps >= TRACK_MAX)
		return -ENOSPC;
	t->maps[t->nmaps].p = p;
	t->maps[t->nmaps].len = len;
	t->nmaps++;
	return 0;
}

int track_create(struct track *t, int dev, uint64_t size, uint32_t flags,
		 const char *alloc, int *fd)
{
	int ret;

	*fd = -1;
	if (t->nfds >= TRACK_MAX)
		return -ENOSPC;
	ret = smaf_raw_create(dev, size, flags, alloc, fd);
	if (ret)
		return ret;
	return track_fd(t, *fd);
}

int track_mmap(struct track *t, int fd, size_t len, off_t off, bool writable,
	       void **p)
{
	int ret;

	*p = NULL;
	if (t->nmaps >= TRACK_MAX)
		return -ENOSPC;
	ret = dmabuf_mmap(fd, len, off, writable, p);
	if (ret)
		return ret;
	return track_map(t, *p, len);
}

void track_close(struct track *t, int fd)
{
	int i;

	for (i = 0; i < t->nfds; i++)
		if (t->fds[i] == fd)
			t->fds[i] = -1;
	while (t->nfds > 0 && t->fds[t->nfds - 1] < 0)
		t->nfds--;
	close(fd);
}

void track_munmap(struct track *t, void *p)
{
	int i;

	for (i = 0; i < t->nmaps; i++) {
		if (t->maps[i].p == p) {
			munmap(p, t->maps[i].len);
			t->maps[i].p = NULL;
			break;
		}
	}
	while (t->nmaps > 0 && !t->maps[t->nmaps - 1].p)
		t->nmaps--;
}

void track_moved(struct track *t, void *from, void *to, size_t len)
{
	int i;

	for (i = 0; i < t->nmaps; i++) {
		if (t->maps[i].p == from) {
			t->maps[i].p = to;
			t->maps[i].len = len;
			return;
		}
	}
}

void track_unmap_all(struct track *t)
{
	int i;

	for (i = 0; i < t->nmaps; i++)
		if (t->maps[i].p)
			munmap(t->maps[i].p, t->maps[i].len);
	t->nmaps = 0;
}

void track_close_all(struct track *t)
{
	int i;

	for (i = 0; i < t->nfds; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	t->nfds = 0;
}
