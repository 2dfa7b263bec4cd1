// SPDX-License-Identifier: GPL-2.0
/*
 * What the SMAF core enforces on its plugins, with test plugins that break
 * their contracts on purpose:
 *
 *  - An allocator whose table describes less than it was asked for
 *    (smaf-test-scatter short_pages=1) is refused: every first use fails
 *    with EIO, the allocator's failures count rises, nothing stays
 *    allocated; the same buffer gets memory once the allocator behaves.
 *  - smaf-cma never takes a size one scatterlist entry cannot describe:
 *    its max_size stays below 4 GiB, and a 4 GiB buffer forced on it is
 *    refused with ENODEV before any allocation.
 *  - A secure module that cannot close new memory (smaf-secure-dummy
 *    fail_protect) fails the allocation with its errno and the memory goes
 *    back; the next first use allocates and protects.
 *  - A grant refused on a later range (fail_grant_after) revokes the ranges
 *    already granted for that access, the map fails with the module's
 *    errno, and grants and revokes balance.
 *
 * Needs root, smaf, smaf-cma, smaf-testdev and smaf-secure-dummy loaded (as
 * /init loads them), smaf-test-scatter.ko under SMAF_MODULE_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

/* kselftest_harness.h compares int literals with unsigned fields. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"
#include "common/track.h"
#include "libsmaf.h"

#define KiB		1024ULL
#define GiB		(1024ULL * 1024 * 1024)
#define SCATTER		"smaf-test-scatter"
#define SCATTER_MOD	"smaf_test_scatter"
#define CMA		"smaf-cma"
#define DUMMY_PARAMS	"/sys/module/smaf_secure_dummy/parameters/"

FIXTURE(plugins) {
	bool no_dummy;	/* smaf-secure-dummy is not loaded */
	int dev;
	int td;
	bool lib;
	bool scatter;		/* loaded by the fixture */
	struct smaf_stats base;
	struct track t;
};

/* In each test: the harness runs a test even when its setup skipped. */
#define NEED_DUMMY() do {						\
	if (self->no_dummy)						\
		SKIP(return, "smaf-secure-dummy is not the secure module"); \
} while (0)

static int param_write(const char *name, long val)
{
	char path[256], v[32];

	snprintf(path, sizeof(path), DUMMY_PARAMS "%s", name);
	snprintf(v, sizeof(v), "%ld\n", val);
	return smaf_write_str(path, v);
}

static long param_read(struct __test_metadata *_metadata, const char *name)
{
	char path[256], v[32];
	ssize_t n;

	snprintf(path, sizeof(path), DUMMY_PARAMS "%s", name);
	n = smaf_read_file(path, v, sizeof(v));
	ASSERT_LT(0, n) TH_LOG("read %s: %s", path, strerror((int)-n));
	return strtol(v, NULL, 10);
}

/* Loads smaf-test-scatter with @params. */
static void scatter_load(struct __test_metadata *_metadata,
			 FIXTURE_DATA(plugins) *self, const char *params)
{
	char path[512];
	int ret;

	ASSERT_EQ(0, module_find("smaf-test-scatter", path, sizeof(path)))
		TH_LOG("smaf-test-scatter.ko not found (SMAF_MODULE_DIR)");
	ret = module_load(path, params);
	ASSERT_EQ(0, ret) TH_LOG("insmod smaf-test-scatter %s: %s", params,
				 strerror(-ret));
	self->scatter = true;
}

FIXTURE_SETUP(plugins)
{
	self->td = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH,
				       strerror(-self->dev));
	self->td = testdev_open();
	ASSERT_LE(0, self->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH,
				      strerror(-self->td));
	ASSERT_EQ(0, smaf_open());
	self->lib = true;
	self->no_dummy = !smaf_module_loaded("smaf_secure_dummy");
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(plugins)
{
	char msg[2 * SMAF_STATS_STRLEN];

	if (self->td >= 0)
		close(self->td);
	track_close_all(&self->t);
	if (self->lib)
		smaf_close();
	if (self->dev >= 0)
		close(self->dev);
	param_write("fail_grant_after", -1);
	param_write("fail_protect", 0);
	if (self->scatter && module_delete(SCATTER_MOD)) {
		TH_LOG("cannot unload smaf-test-scatter");
		_metadata->passed = 0;
	}
	if (!smaf_stats_back(&self->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

static struct smaf_allocator_info ainfo(struct __test_metadata *_metadata,
					const char *name)
{
	struct smaf_allocator_info ai;
	int i;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, smaf_allocator_info(i, &ai))
			TH_LOG("allocator %s not registered", name);
		ai.name[SMAF_NAME_LEN - 1] = 0;
		if (!strcmp((char *)ai.name, name))
			break;
	}
	return ai;
}

static int new_buf(struct __test_metadata *_metadata,
		   FIXTURE_DATA(plugins) *self, uint64_t size, const char *name,
		   bool secure)
{
	int fd, ret;

	ret = track_create(&self->t, self->dev, size, SMAF_RDWR, name, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	if (secure)
		ASSERT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	return fd;
}

static uint32_t allocated(struct __test_metadata *_metadata,
			  FIXTURE_DATA(plugins) *self, int fd)
{
	struct smaf_buffer_info bi;

	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	return bi.allocated;
}

TEST_F(plugins, short_table_refused)
{
	const size_t pg = smaf_page_size();
	uint64_t fails, sum;
	uint32_t h;
	void *p;
	int fd, ret;

	NEED_DUMMY();
	scatter_load(_metadata, self, "short_pages=1");
	fails = ainfo(_metadata, SCATTER).failures;
	fd = new_buf(_metadata, self, 4 * pg, SCATTER, false);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-EIO, ret) TH_LOG("device map: %s", strerror(-ret));
	ret = dmabuf_mmap(fd, 4 * pg, 0, true, &p);
	EXPECT_EQ(-EIO, ret) TH_LOG("mmap: %s", strerror(-ret));
	ret = dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-EIO, ret) TH_LOG("sync: %s", strerror(-ret));
	EXPECT_EQ(0, allocated(_metadata, self, fd));
	EXPECT_EQ(fails + 3, ainfo(_metadata, SCATTER).failures);
	EXPECT_EQ(0, ainfo(_metadata, SCATTER).buffers);

	/* Fixed, the allocator serves the same buffer, every byte of it. */
	ASSERT_EQ(0, smaf_write_str("/sys/module/" SCATTER_MOD
				    "/parameters/short_pages", "0\n"));
	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	ASSERT_EQ(0, testdev_write(self->td, h, 7, 0, 4 * pg));
	ASSERT_EQ(0, testdev_checksum(self->td, h, 0, 4 * pg, &sum));
	EXPECT_EQ(cksum_pattern(7, 0, 4 * pg), sum);
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
}

TEST_F(plugins, cma_size_fits_one_entry)
{
	struct smaf_allocator_info ai;
	uint64_t saved_buf, saved_total;
	uint32_t h;
	int fd, ret;

	NEED_DUMMY();
	ai = ainfo(_metadata, CMA);
	EXPECT_NE(0, ai.max_size) TH_LOG("smaf-cma declares no maximum");
	EXPECT_GT(4 * GiB, ai.max_size);
	/* Limits that let a 4 GiB buffer reach the allocator choice. */
	ASSERT_EQ(0, smaf_param_read("max_buffer_size", &saved_buf));
	ASSERT_EQ(0, smaf_param_read("max_total_size", &saved_total));
	ASSERT_EQ(0, smaf_param_write("max_buffer_size", 4 * GiB));
	ASSERT_EQ(0, smaf_param_write("max_total_size", 8 * GiB));
	ret = track_create(&self->t, self->dev, 4 * GiB, SMAF_RDWR, CMA, &fd);
	smaf_param_write("max_buffer_size", saved_buf);
	if (ret == 0) {
		ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64,
					    &h));
		ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
				  NULL, NULL);
		EXPECT_EQ(-ENODEV, ret) TH_LOG("map of 4 GiB on smaf-cma: %s",
					       strerror(-ret));
		EXPECT_EQ(0, allocated(_metadata, self, fd));
		ASSERT_EQ(0, testdev_detach(self->td, h));
		ret = 0;
	}
	smaf_param_write("max_total_size", saved_total);
	ASSERT_EQ(0, ret) TH_LOG("create 4 GiB: %s", strerror(-ret));
}

TEST_F(plugins, protect_failure_gives_memory_back)
{
	struct smaf_stats mid;
	long protects;
	uint32_t h;
	int fd, ret;

	NEED_DUMMY();
	protects = param_read(_metadata, "protects");
	fd = new_buf(_metadata, self, 64 * KiB, NULL, true);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ASSERT_EQ(0, param_write("fail_protect", 1));
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENOSPC, ret) TH_LOG("map: %s", strerror(-ret));
	EXPECT_EQ(0, allocated(_metadata, self, fd));
	ASSERT_EQ(0, smaf_stats_read(&mid));
	EXPECT_EQ(self->base.allocated_bytes, mid.allocated_bytes);
	EXPECT_EQ(protects, param_read(_metadata, "protects"));

	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	EXPECT_EQ(1, allocated(_metadata, self, fd));
	EXPECT_EQ(protects + 1, param_read(_metadata, "protects"));
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
}

TEST_F(plugins, grant_rollback_on_later_range)
{
	const size_t pg = smaf_page_size();
	long grants, revokes;
	uint32_t h;
	int fd, ret;

	NEED_DUMMY();
	scatter_load(_metadata, self, "");
	fd = new_buf(_metadata, self, 3 * pg, SCATTER, true);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	grants = param_read(_metadata, "grants");
	revokes = param_read(_metadata, "revokes");
	/* Three ranges: the third grant is refused, the first two undone. */
	ASSERT_EQ(0, param_write("fail_grant_after", 2));
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-EACCES, ret) TH_LOG("map: %s", strerror(-ret));
	EXPECT_EQ(grants + 2, param_read(_metadata, "grants"));
	EXPECT_EQ(revokes + 2, param_read(_metadata, "revokes"));
	EXPECT_EQ(-1, param_read(_metadata, "fail_grant_after"));

	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	EXPECT_EQ(grants + 5, param_read(_metadata, "grants"));
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
	EXPECT_EQ(revokes + 5, param_read(_metadata, "revokes"));
}

TEST_HARNESS_MAIN
