// SPDX-License-Identifier: GPL-2.0
/*
 * Who may change a buffer's protection, and what each kind of access is
 * granted, with the permissive test module smaf-secure-dummy counting the
 * grants and revokes the core asks for:
 *
 *  - Only the process that created a buffer may set or clear its secure
 *    flag (EPERM for another holder of the fd); anyone may read it.
 *  - DMA_BUF_IOCTL_SYNC asking for CPU writes on a read-only dma-buf file
 *    is refused with EACCES and asks the module nothing; reads are granted.
 *  - A dynamic importer (as GPU drivers import) is mapped bidirectionally
 *    by 6.1's dma-buf core at attach time, because SMAF is not a dynamic
 *    exporter: the buffer is allocated then, one read-write grant covers
 *    the whole attachment, the importer's own map and unmap calls change
 *    nothing, and the grant is revoked at detach.
 *
 * Needs root, smaf, smaf-cma, smaf-testdev and smaf-secure-dummy loaded (as
 * /init loads them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define DUMMY_PARAMS	"/sys/module/smaf_secure_dummy/parameters/"

FIXTURE(access) {
	bool no_dummy;	/* smaf-secure-dummy is not loaded */
	int dev;
	int td;
	struct smaf_stats base;
	struct track t;
};

/* In each test: the harness runs a test even when its setup skipped. */
#define NEED_DUMMY() do {						\
	if (self->no_dummy)						\
		SKIP(return, "smaf-secure-dummy is not the secure module"); \
} while (0)

static long counter(struct __test_metadata *_metadata, const char *name)
{
	char path[256], v[32];
	ssize_t n;

	snprintf(path, sizeof(path), DUMMY_PARAMS "%s", name);
	n = smaf_read_file(path, v, sizeof(v));
	ASSERT_LT(0, n) TH_LOG("read %s: %s", path, strerror((int)-n));
	return strtol(v, NULL, 10);
}

FIXTURE_SETUP(access)
{
	self->td = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH,
				       strerror(-self->dev));
	self->td = testdev_open();
	ASSERT_LE(0, self->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH,
				      strerror(-self->td));
	self->no_dummy = !smaf_module_loaded("smaf_secure_dummy");
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(access)
{
	char msg[2 * SMAF_STATS_STRLEN];

	if (self->td >= 0)
		close(self->td);
	track_close_all(&self->t);
	if (self->dev >= 0)
		close(self->dev);
	if (!smaf_stats_back(&self->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

static int new_buf(struct __test_metadata *_metadata,
		   FIXTURE_DATA(access) *self, uint32_t flags)
{
	int fd, ret;

	ret = track_create(&self->t, self->dev, 64 * KiB, flags, NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	return fd;
}

/*
 * In a child process (same fds, another thread group): the results of
 * SET_SECURE_FLAG 1, SET 0 and GET on @fd, as exit status bits.
 */
static int child_tries(int dev, int fd, int expect_flag)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int bad = 0;

		bad |= smaf_raw_set_secure(dev, fd, 1) != -EPERM;
		bad |= (smaf_raw_set_secure(dev, fd, 0) != -EPERM) << 1;
		bad |= (smaf_raw_get_secure(dev, fd) != expect_flag) << 2;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(access, only_creator_changes_flag)
{
	int fd;

	NEED_DUMMY();
	fd = new_buf(_metadata, self, SMAF_RDWR);
	EXPECT_EQ(0, child_tries(self->dev, fd, 0))
		TH_LOG("another process changed the flag (bits: set1, set0, get)");
	ASSERT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	EXPECT_EQ(0, child_tries(self->dev, fd, 1))
		TH_LOG("another process changed the flag (bits: set1, set0, get)");
	EXPECT_EQ(1, smaf_raw_get_secure(self->dev, fd));
	/* The creator itself still may, before memory exists. */
	EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 0));
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	EXPECT_EQ(1, smaf_raw_get_secure(self->dev, fd));
}

TEST_F(access, readonly_file_gets_no_write_grant)
{
	long grants, revokes;
	int ro, rw, ret;

	NEED_DUMMY();
	grants = counter(_metadata, "grants");
	revokes = counter(_metadata, "revokes");
	ro = new_buf(_metadata, self, 0);
	ASSERT_EQ(0, smaf_raw_set_secure(self->dev, ro, 1));
	ret = dmabuf_sync(ro, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	EXPECT_EQ(-EACCES, ret) TH_LOG("write sync, read-only: %s",
				       strerror(-ret));
	ret = dmabuf_sync(ro, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	EXPECT_EQ(-EACCES, ret) TH_LOG("rw sync, read-only: %s", strerror(-ret));
	EXPECT_EQ(grants, counter(_metadata, "grants"));
	ASSERT_EQ(0, dmabuf_sync(ro, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(grants + 1, counter(_metadata, "grants"));
	ASSERT_EQ(0, dmabuf_sync(ro, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	EXPECT_EQ(revokes + 1, counter(_metadata, "revokes"));

	rw = new_buf(_metadata, self, SMAF_RDWR);
	ASSERT_EQ(0, smaf_raw_set_secure(self->dev, rw, 1));
	ASSERT_EQ(0, dmabuf_sync(rw, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, dmabuf_sync(rw, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(grants + 2, counter(_metadata, "grants"));
	EXPECT_EQ(revokes + 2, counter(_metadata, "revokes"));
}

TEST_F(access, dynamic_importer_grant_lasts_the_attachment)
{
	struct smaf_buffer_info bi;
	uint32_t h, nents;
	long grants, revokes;
	uint64_t sum;
	int fd;

	NEED_DUMMY();
	grants = counter(_metadata, "grants");
	revokes = counter(_metadata, "revokes");
	fd = new_buf(_metadata, self, SMAF_RDWR);
	ASSERT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	ASSERT_EQ(0, testdev_attach_dynamic(self->td, fd, SMAF_TESTDEV_DMA64,
					    &h));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(1, bi.allocated) TH_LOG("the attach maps, so allocates");
	EXPECT_EQ(1, bi.device_mappings);
	EXPECT_EQ(grants + 1, counter(_metadata, "grants"));

	/* The importer's map and unmap reuse the core's mapping. */
	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_TO_DEVICE, &nents,
				 NULL));
	ASSERT_EQ(0, testdev_checksum(self->td, h, 0, 64 * KiB, &sum));
	EXPECT_EQ(cksum_zeroes(64 * KiB), sum);
	ASSERT_EQ(0, testdev_unmap(self->td, h));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(1, bi.device_mappings);
	EXPECT_EQ(grants + 1, counter(_metadata, "grants"));
	EXPECT_EQ(revokes, counter(_metadata, "revokes"));

	ASSERT_EQ(0, testdev_detach(self->td, h));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0, bi.device_mappings);
	EXPECT_EQ(0, bi.attachments);
	EXPECT_EQ(revokes + 1, counter(_metadata, "revokes"));
}

TEST_HARNESS_MAIN
