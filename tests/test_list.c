// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF_IOC_LIST_BUFFERS, the stable listing of live buffers that smafctl
 * buffers reads (debugfs smaf/buffers is for people only):
 *
 *  - every field of a record, the device names that follow it, the
 *    dma-buf name, reclen and its padding;
 *  - creation order, the serial cursor and paging through a small output;
 *  - -ENOSPC when not one record fits, -EINVAL for flags or output fields,
 *    -EFAULT for an unwritable output, with nothing changed;
 *  - an unprivileged caller sees only what its effective uid created.
 *
 * Needs root, smaf, smaf-testdev.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

/* kselftest_harness.h compares int literals with unsigned fields. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"
#include "common/track.h"

#define KiB		1024ULL
#define OUT_LEN		(256 * 1024)

FIXTURE(list) {
	int dev;
	int td;
	uint8_t *out;
	struct smaf_stats base;
	struct track t;
};

FIXTURE_SETUP(list)
{
	self->td = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	self->out = malloc(OUT_LEN);
	ASSERT_NE(NULL, self->out);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(list)
{
	char msg[2 * SMAF_STATS_STRLEN];

	if (self->td >= 0)
		close(self->td);
	track_close_all(&self->t);
	if (self->dev >= 0)
		close(self->dev);
	free(self->out);
	if (!smaf_stats_back(&self->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

static int list(int dev, uint64_t after, void *out, uint32_t len,
		struct smaf_buffer_list *l)
{
	memset(l, 0, sizeof(*l));
	l->after = after;
	l->buf = (uintptr_t)out;
	l->len = len;
	return smaf_ioctl(dev, SMAF_IOC_LIST_BUFFERS, l);
}

/* The record of buffer @id in @out (@l->count records), or NULL. */
static const struct smaf_buffer_record *
find(const uint8_t *out, const struct smaf_buffer_list *l, uint64_t id)
{
	const struct smaf_buffer_record *r;
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < l->count; i++, off += r->reclen) {
		r = (const void *)(out + off);
		if (r->id == id)
			return r;
	}
	return NULL;
}

static int add_consumer(int dev, int fd, const char *name)
{
	struct smaf_consumer c = { .fd = fd };

	snprintf((char *)c.device, sizeof(c.device), "%s", name);
	return smaf_ioctl(dev, SMAF_IOC_ADD_CONSUMER, &c);
}

static uint64_t id_of(struct __test_metadata *_metadata, int dev, int fd)
{
	struct smaf_buffer_info bi;

	ASSERT_EQ(0, smaf_raw_buffer_info(dev, fd, &bi));
	return bi.id;
}

TEST_F(list, record_fields)
{
	const struct smaf_buffer_record *r;
	struct smaf_buffer_list l;
	const char *names;
	uint32_t h;
	int fd, ret;

	ASSERT_EQ(0, track_create(&self->t, self->dev, 100 * KiB, SMAF_RDWR,
				  NULL, &fd));
	ASSERT_EQ(0, ioctl(fd, DMA_BUF_SET_NAME_B, "cam0"));
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64B, &h));
	ret = list(self->dev, 0, self->out, OUT_LEN, &l);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(0, l.more);
	r = find(self->out, &l, id_of(_metadata, self->dev, fd));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(SMAF_BUFFER_STATE_EMPTY, r->state);
	EXPECT_EQ(100 * KiB, r->size);
	EXPECT_EQ(0, r->secure);
	EXPECT_EQ(1, r->attachments);
	EXPECT_EQ(1, r->nr_attached);
	EXPECT_EQ(0, r->nr_declared);
	EXPECT_EQ(getpid(), r->pid);
	EXPECT_STREQ("", (char *)r->allocator);
	EXPECT_STREQ("cam0", (char *)r->name);
	EXPECT_EQ(0, strncmp((char *)r->comm, "test_list", 9));
	names = (const char *)r->names;
	EXPECT_STREQ("platform:smaf-testdev.3", names);
	EXPECT_EQ(0, r->reclen % 8);
	EXPECT_LE(sizeof(*r) + strlen(names) + 1, r->reclen);

	/* Allocated by dma64b's map: the state and allocator follow. */
	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	ASSERT_EQ(0, list(self->dev, 0, self->out, OUT_LEN, &l));
	r = find(self->out, &l, id_of(_metadata, self->dev, fd));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(SMAF_BUFFER_STATE_ALLOCATED, r->state);
	EXPECT_EQ(1, r->device_mappings);
	EXPECT_STRNE("", (char *)r->allocator);
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
}

TEST_F(list, declared_consumers_follow_attached)
{
	const struct smaf_buffer_record *r;
	struct smaf_buffer_list l;
	const char *p;
	uint32_t h;
	int fd;

	ASSERT_EQ(0, track_create(&self->t, self->dev, 64 * KiB, SMAF_RDWR,
				  NULL, &fd));
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ASSERT_EQ(0, add_consumer(self->dev, fd, "platform:smaf-testdev.1"));
	ASSERT_EQ(0, add_consumer(self->dev, fd, "platform:smaf-testdev.3"));
	ASSERT_EQ(0, list(self->dev, 0, self->out, OUT_LEN, &l));
	r = find(self->out, &l, id_of(_metadata, self->dev, fd));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(1, r->nr_attached);
	EXPECT_EQ(2, r->nr_declared);
	p = (const char *)r->names;
	EXPECT_STREQ("platform:smaf-testdev.0", p);
	p += strlen(p) + 1;
	EXPECT_STREQ("platform:smaf-testdev.1", p);
	p += strlen(p) + 1;
	EXPECT_STREQ("platform:smaf-testdev.3", p);
	p += strlen(p) + 1;
	EXPECT_GE((const char *)r + r->reclen, p);
	while (p < (const char *)r + r->reclen)
		EXPECT_EQ(0, *p++) TH_LOG("padding not zeroed");
	ASSERT_EQ(0, testdev_detach(self->td, h));
}

/* Paging with room for one record at a time visits each buffer once. */
TEST_F(list, pages_in_creation_order)
{
	const struct smaf_buffer_record *r;
	struct smaf_buffer_list l;
	uint64_t ids[5], after = 0, serial = 0;
	int fd, i, seen = 0, calls = 0, ret;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, track_create(&self->t, self->dev, 4 * KiB,
					  SMAF_RDWR, NULL, &fd));
		ids[i] = id_of(_metadata, self->dev, fd);
	}
	do {
		ret = list(self->dev, after, self->out,
			   sizeof(*r) + 64, &l);
		ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
		ASSERT_GE(1, l.count);
		if (l.count) {
			r = (const void *)self->out;
			EXPECT_LT(serial, r->serial);
			serial = r->serial;
			EXPECT_EQ(serial, l.last);
			if (seen < 5 && r->id == ids[seen])
				seen++;
		} else {
			EXPECT_EQ(after, l.last);
		}
		after = l.last;
		calls++;
	} while (l.more && calls < 10000);
	EXPECT_EQ(5, seen) TH_LOG("our buffers in creation order");
}

TEST_F(list, refusals)
{
	struct smaf_buffer_list l;
	int fd, ret;

	ASSERT_EQ(0, track_create(&self->t, self->dev, 4 * KiB, SMAF_RDWR,
				  NULL, &fd));
	/* An error copies nothing back: only the errno tells. */
	ret = list(self->dev, 0, self->out, 16, &l);
	EXPECT_EQ(-ENOSPC, ret);
	memset(&l, 0, sizeof(l));
	l.buf = (uintptr_t)self->out;
	l.len = OUT_LEN;
	l.flags = 1;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_IOC_LIST_BUFFERS, &l));
	l.flags = 0;
	l.count = 1;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_IOC_LIST_BUFFERS, &l));
	l.count = 0;
	l.last = 3;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_IOC_LIST_BUFFERS, &l));
	EXPECT_EQ(-EFAULT, list(self->dev, 0, (void *)8, OUT_LEN, &l));
	/* No output at all: nothing written, the count of what did not fit. */
	EXPECT_EQ(-ENOSPC, list(self->dev, 0, NULL, 0, &l));
}

/* An ordinary user sees the buffers its uid created, none of root's. */
TEST_F(list, others_see_their_own)
{
	uint64_t root_id;
	pid_t pid;
	int fd, st;

	ASSERT_EQ(0, track_create(&self->t, self->dev, 4 * KiB, SMAF_RDWR,
				  NULL, &fd));
	root_id = id_of(_metadata, self->dev, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct smaf_create_data cd = { .length = 4096 };
		struct smaf_buffer_list l;
		struct smaf_buffer_info bi = {};
		int bad = 0;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(99);
		if (ioctl(self->dev, SMAF_IOC_CREATE, &cd))
			_exit(98);
		bi.fd = cd.fd;
		if (ioctl(self->dev, SMAF_IOC_BUFFER_INFO, &bi))
			_exit(97);
		if (list(self->dev, 0, self->out, OUT_LEN, &l))
			_exit(96);
		bad |= (find(self->out, &l, root_id) != NULL) << 0;
		bad |= (find(self->out, &l, bi.id) == NULL) << 1;
		bad |= (l.count != 1) << 2;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st))
		TH_LOG("bits: saw root's buffer, missed its own, count not 1");
}

TEST_HARNESS_MAIN
