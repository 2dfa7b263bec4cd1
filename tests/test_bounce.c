// SPDX-License-Identifier: GPL-2.0
/*
 * Forced bouncing (swiotlb=force, as on SEV and TDX guests): the DMA API
 * maps every buffer through the swiotlb pool, memory shared by everyone,
 * copied in at map time and back at sync and unmap time.
 *
 *  - A secure buffer is never bounced: its device map is refused with
 *    EOPNOTSUPP before anything is copied, and no grant is left.
 *  - An ordinary buffer stays correct: what a device writes reaches the
 *    buffer (the CPU and another device read it), what the CPU writes
 *    reaches the device, and each segment fits one bounce slot (a 1 MiB
 *    smaf-system chunk is split).
 *
 * Runs only in the VM booted with swiotlb=force (skips otherwise). Needs
 * root, smaf, smaf-system, smaf-cma, smaf-testdev and smaf-secure-dummy.
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

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define DUMMY_PARAMS	"/sys/module/smaf_secure_dummy/parameters/"

FIXTURE(bounce) {
	bool off;		/* not booted with swiotlb=force */
	int dev;
	int td;
	struct smaf_stats base;
	struct track t;
};

static bool swiotlb_forced(void)
{
	char cmdline[4096];

	if (smaf_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return false;
	return strstr(cmdline, "swiotlb=force") != NULL;
}

FIXTURE_SETUP(bounce)
{
	self->td = -1;
	self->off = !swiotlb_forced();
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(bounce)
{
	char msg[2 * SMAF_STATS_STRLEN];

	track_unmap_all(&self->t);
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

/* In each test: the harness runs a test even when its setup skipped. */
#define NEED_BOUNCE() do {						\
	if (self->off)							\
		SKIP(return, "not booted with swiotlb=force");		\
} while (0)

static int new_buf(struct __test_metadata *_metadata,
		   FIXTURE_DATA(bounce) *self, uint64_t size)
{
	int fd, ret;

	ret = track_create(&self->t, self->dev, size, SMAF_RDWR, NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	return fd;
}

static long dummy_counter(const char *name)
{
	char path[256], v[32];

	snprintf(path, sizeof(path), DUMMY_PARAMS "%s", name);
	if (smaf_read_file(path, v, sizeof(v)) < 0)
		return -1;
	return strtol(v, NULL, 10);
}

TEST_F(bounce, secure_map_refused)
{
	long grants = dummy_counter("grants");
	uint32_t h;
	int fd, ret;

	NEED_BOUNCE();
	fd = new_buf(_metadata, self, 256 * KiB);
	ret = smaf_raw_set_secure(self->dev, fd, 1);
	if (ret == -ENODEV)
		SKIP(return, "no secure module");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-EOPNOTSUPP, ret) TH_LOG("secure map: %s", strerror(-ret));
	EXPECT_EQ(grants, dummy_counter("grants"));
	ASSERT_EQ(0, testdev_detach(self->td, h));
}

/* Device A writes, unmaps; the CPU and device B read what A wrote. */
TEST_F(bounce, device_write_reaches_buffer)
{
	const uint64_t size = 2 * MiB;
	uint32_t ha, hb, nents;
	uint64_t sum;
	void *p;
	int fd;

	NEED_BOUNCE();
	fd = new_buf(_metadata, self, size);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &ha));
	ASSERT_EQ(0, testdev_map(self->td, ha, SMAF_TESTDEV_FROM_DEVICE, &nents,
				 NULL));
	EXPECT_LE(size / (256 * KiB), nents) TH_LOG("segments of one bounce slot");
	ASSERT_EQ(0, testdev_write(self->td, ha, 0xb0, 0, size));
	ASSERT_EQ(0, testdev_unmap(self->td, ha));

	ASSERT_EQ(0, track_mmap(&self->t, fd, size, 0, false, &p));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, 0xb0, 0, size))
		TH_LOG("the CPU does not read what the device wrote");
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64B, &hb));
	ASSERT_EQ(0, testdev_map(self->td, hb, SMAF_TESTDEV_TO_DEVICE, NULL,
				 NULL));
	ASSERT_EQ(0, testdev_checksum(self->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0xb0, 0, size), sum)
		TH_LOG("device B does not read what device A wrote");
	ASSERT_EQ(0, testdev_unmap_detach(self->td, hb));
	ASSERT_EQ(0, testdev_detach(self->td, ha));
}

/* While mapped: a SYNC bracket brings the device's writes to the CPU. */
TEST_F(bounce, sync_while_mapped)
{
	const uint64_t size = 1 * MiB;
	uint64_t sum;
	uint32_t h;
	void *p;
	int fd;

	NEED_BOUNCE();
	fd = new_buf(_metadata, self, size);
	ASSERT_EQ(0, track_mmap(&self->t, fd, size, 0, true, &p));
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ASSERT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	ASSERT_EQ(0, testdev_write(self->td, h, 0x5a, 0, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, pattern_mismatch(p, 0x5a, 0, size));
	pattern_fill(p, 0xa5, 0, size);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, testdev_checksum(self->td, h, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0xa5, 0, size), sum)
		TH_LOG("the device does not read what the CPU wrote");
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
}

TEST_HARNESS_MAIN
