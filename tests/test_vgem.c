// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF buffers imported by a real DRM driver, vgem, through PRIME, as the
 * dma-buf heaps selftest does (tools/testing/selftests/dmabuf-heaps/).
 *
 * vgem (drm_gem_shmem_prime_import_sg_table) attaches and maps a dma-buf at
 * import time, so an import allocates an unallocated SMAF buffer. In 6.1 vgem
 * will not mmap an imported object: DRM_IOCTL_MODE_MAP_DUMB refuses imports
 * with EINVAL (drm_gem_dumb_map_offset), so what the import holds is read
 * back through the SMAF mapping, through the dma-buf vgem re-exports, and
 * through a test device's checksum.
 *
 * vgem follows scatter-gather lists (drm_gem_shmem imports any sg_table),
 * but no IOMMU translates its DMA, so SMAF would give it contiguous memory
 * by default (tests/test_contig.c checks that); these tests declare it the
 * way a platform integrator would, with the rule "platform:vgem sg", and
 * remove the rule after each test.
 *
 * Needs smaf, smaf-cma, smaf-testdev and vgem loaded.
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

#define KiB		1024ULL
#define MiB		(1024ULL * 1024)
#define ONE_MEG		MiB
#define RULES_PATH	"/sys/class/misc/smaf/constraints"
#define VGEM_SG_RULE	"platform:vgem sg\n"
#define VGEM_NO_RULE	"-platform:vgem\n"

FIXTURE(vgem) {
	int dev;
	int drm;
	int td;
	struct smaf_stats base;
};

FIXTURE_SETUP(vgem)
{
	int ret;

	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open " SMAF_DEV_PATH ": %s",
				       strerror(-self->dev));
	self->drm = smaf_vgem_open();
	ASSERT_LE(0, self->drm) TH_LOG("no vgem card: %s (is vgem loaded?)",
				       strerror(-self->drm));
	self->td = testdev_open();
	ASSERT_LE(0, self->td) TH_LOG("open " SMAF_TESTDEV_PATH ": %s",
				      strerror(-self->td));
	ret = smaf_write_str(RULES_PATH, VGEM_SG_RULE);
	ASSERT_EQ(0, ret) TH_LOG("rule %s: %s", VGEM_SG_RULE, strerror(-ret));
	ret = smaf_stats_read(&self->base);
	ASSERT_EQ(0, ret) TH_LOG("stats: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(vgem)
{
	char s1[SMAF_STATS_STRLEN], s2[SMAF_STATS_STRLEN];
	struct smaf_stats now;

	if (self->td > 0)
		close(self->td);
	if (self->drm > 0)
		close(self->drm);
	if (self->dev > 0)
		close(self->dev);
	if (smaf_write_str(RULES_PATH, VGEM_NO_RULE)) {
		TH_LOG("cannot remove the rule %s", VGEM_SG_RULE);
		_metadata->passed = 0;
	}
	if (smaf_stats_read(&now) == 0 && !smaf_stats_equal(&self->base, &now)) {
		TH_LOG("counters not back to baseline: before %s, after %s",
		       smaf_stats_str(&self->base, s1, sizeof(s1)),
		       smaf_stats_str(&now, s2, sizeof(s2)));
		_metadata->passed = 0;
	}
}

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       int dev, int fd)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = smaf_raw_buffer_info(dev, fd, &bi);
	ASSERT_EQ(0, ret) TH_LOG("BUFFER_INFO fd %d: %s", fd, strerror(-ret));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

static int create(struct __test_metadata *_metadata, int dev, uint64_t size)
{
	int fd = -1, ret;

	ret = smaf_raw_create(dev, size, SMAF_RDWR | SMAF_CLOEXEC, NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	return fd;
}

static void expect_stats(struct __test_metadata *_metadata,
			 const struct smaf_stats *base, int64_t buffers,
			 int64_t abufs, int64_t abytes, int64_t att,
			 int64_t dmaps, int64_t cmaps)
{
	char str[SMAF_STATS_STRLEN];
	struct smaf_stats s;

	ASSERT_EQ(0, smaf_stats_read(&s));
	EXPECT_EQ(base->buffers + buffers, s.buffers);
	EXPECT_EQ(base->allocated_buffers + abufs, s.allocated_buffers);
	EXPECT_EQ(base->allocated_bytes + abytes, s.allocated_bytes);
	EXPECT_EQ(base->attachments + att, s.attachments);
	EXPECT_EQ(base->device_mappings + dmaps, s.device_mappings);
	EXPECT_EQ(base->cpu_mappings + cmaps, s.cpu_mappings);
	if (!_metadata->passed)
		TH_LOG("stats now: %s", smaf_stats_str(&s, str, sizeof(str)));
}

/* What a test device reads from the buffer behind @fd. */
static uint64_t device_checksum(struct __test_metadata *_metadata, int td,
				int fd, uint64_t size)
{
	uint64_t sum = 0;
	uint32_t h;

	ASSERT_EQ(0, testdev_attach_map(td, fd, SMAF_TESTDEV_DMA64, &h, NULL));
	ASSERT_EQ(0, testdev_checksum(td, h, 0, size, &sum));
	ASSERT_EQ(0, testdev_unmap_detach(td, h));
	return sum;
}

/*
 * The heaps selftest's sequence: allocate 1 MiB, mmap, write between SYNC
 * start and end, import into vgem, sync again, close the handle.
 */
TEST_F(vgem, import_allocated)
{
	struct smaf_buffer_info bi;
	uint64_t off = 0;
	uint32_t handle;
	uint8_t *p;
	int fd, ret;

	fd = create(_metadata, self->dev, ONE_MEG);
	p = mmap(NULL, ONE_MEG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	pattern_fill(p, 0x1eaf, 0, ONE_MEG);
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(0, bi.attachments);
	EXPECT_EQ(1, bi.cpu_mappings);

	ret = smaf_vgem_import(self->drm, fd, &handle);
	ASSERT_EQ(0, ret) TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-ret));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	EXPECT_EQ(1, bi.cpu_mappings);
	EXPECT_STREQ(general_allocator(self->dev), (char *)bi.allocator);
	EXPECT_EQ(0, bi.migrations);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 1, 1, 1);

	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(-1, pattern_mismatch(p, 0x1eaf, 0, ONE_MEG));
	ASSERT_EQ(0, dmabuf_sync_end(fd));

	/* 6.1's vgem does not mmap imports (drm_gem_dumb_map_offset). */
	ret = drm_map_dumb(self->drm, handle, &off);
	TH_LOG("MODE_MAP_DUMB of the vgem import: %s",
	       ret ? strerror(-ret) : "offset given");
	if (ret == 0) {
		uint8_t *q = mmap(NULL, ONE_MEG, PROT_READ, MAP_SHARED,
				  self->drm, off);

		ASSERT_NE(MAP_FAILED, q);
		EXPECT_EQ(-1, pattern_mismatch(q, 0x1eaf, 0, ONE_MEG));
		munmap(q, ONE_MEG);
	} else {
		EXPECT_EQ(-EINVAL, ret);
	}
	/* What another device reads is what the CPU wrote. */
	EXPECT_EQ(cksum_pattern(0x1eaf, 0, ONE_MEG),
		  device_checksum(_metadata, self->td, fd, ONE_MEG));

	ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handle));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(0, bi.attachments);
	EXPECT_EQ(0, bi.device_mappings);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 0, 0, 1);
	munmap(p, ONE_MEG);
	close(fd);
	expect_stats(_metadata, &self->base, 0, 0, 0, 0, 0, 0);
}

/* Importing an unallocated buffer allocates it (vgem maps at import). */
TEST_F(vgem, import_allocates)
{
	struct smaf_buffer_info bi;
	uint32_t handle, h2;
	int fd, re, ret;
	uint8_t *p;

	fd = create(_metadata, self->dev, ONE_MEG);
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(0, bi.allocated);
	expect_stats(_metadata, &self->base, 1, 0, 0, 0, 0, 0);

	ret = smaf_vgem_import(self->drm, fd, &handle);
	ASSERT_EQ(0, ret) TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-ret));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	EXPECT_EQ(0, bi.cpu_mappings);
	EXPECT_STREQ(general_allocator(self->dev), (char *)bi.allocator);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 1, 1, 0);

	/* A second import of the same dma-buf is the same GEM object. */
	ASSERT_EQ(0, smaf_vgem_import(self->drm, fd, &h2));
	EXPECT_EQ(handle, h2);
	EXPECT_EQ(1, info_of(_metadata, self->dev, fd).attachments);

	/* The memory vgem got is zeroed; the CPU writes, a device reads. */
	p = mmap(NULL, ONE_MEG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(-1, bytes_mismatch(p, 0, ONE_MEG));
	pattern_fill(p, 0xbeef, 0, ONE_MEG);
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	munmap(p, ONE_MEG);
	EXPECT_EQ(cksum_pattern(0xbeef, 0, ONE_MEG),
		  device_checksum(_metadata, self->td, fd, ONE_MEG));

	/* vgem re-exports an import as the very same SMAF dma-buf. */
	ret = drm_prime_export(self->drm, handle, &re);
	ASSERT_EQ(0, ret) TH_LOG("PRIME_HANDLE_TO_FD: %s", strerror(-ret));
	bi = info_of(_metadata, self->dev, re);
	EXPECT_EQ(ONE_MEG, bi.size);
	EXPECT_EQ(1, bi.attachments);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 1, 1, 0);
	p = mmap(NULL, ONE_MEG, PROT_READ, MAP_SHARED, re, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, dmabuf_sync(re, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, 0xbeef, 0, ONE_MEG));
	ASSERT_EQ(0, dmabuf_sync(re, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, ONE_MEG);
	close(re);

	ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handle));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(0, bi.attachments);
	EXPECT_EQ(0, bi.device_mappings);
	close(fd);
	expect_stats(_metadata, &self->base, 0, 0, 0, 0, 0, 0);
}

/* The import keeps the buffer alive after the exporter's fd is closed. */
TEST_F(vgem, close_exporter_fd_then_use_import)
{
	uint32_t handle;
	int fd, re;
	uint8_t *p;

	fd = create(_metadata, self->dev, ONE_MEG);
	p = mmap(NULL, ONE_MEG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	pattern_fill(p, 0xf00d, 0, ONE_MEG);
	munmap(p, ONE_MEG);
	ASSERT_EQ(0, smaf_vgem_import(self->drm, fd, &handle));
	close(fd);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 1, 1, 0);

	ASSERT_EQ(0, drm_prime_export(self->drm, handle, &re));
	EXPECT_EQ(1, info_of(_metadata, self->dev, re).attachments);
	p = mmap(NULL, ONE_MEG, PROT_READ, MAP_SHARED, re, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, pattern_mismatch(p, 0xf00d, 0, ONE_MEG));
	munmap(p, ONE_MEG);
	EXPECT_EQ(cksum_pattern(0xf00d, 0, ONE_MEG),
		  device_checksum(_metadata, self->td, re, ONE_MEG));
	close(re);
	expect_stats(_metadata, &self->base, 1, 1, ONE_MEG, 1, 1, 0);

	ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handle));
	expect_stats(_metadata, &self->base, 0, 0, 0, 0, 0, 0);
}

/* No allocator serves vgem plus dma30: the import fails, nothing leaks. */
TEST_F(vgem, import_unservable)
{
	struct smaf_buffer_info bi;
	uint32_t h30, handle;
	int fd, ret;

	fd = create(_metadata, self->dev, ONE_MEG);
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA30, &h30));
	ret = smaf_vgem_import(self->drm, fd, &handle);
	EXPECT_EQ(-ENODEV, ret);
	if (ret == 0)
		smaf_vgem_close_handle(self->drm, handle);
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(0, bi.allocated);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(0, bi.device_mappings);
	expect_stats(_metadata, &self->base, 1, 0, 0, 1, 0, 0);

	ASSERT_EQ(0, testdev_detach(self->td, h30));
	ret = smaf_vgem_import(self->drm, fd, &handle);
	ASSERT_EQ(0, ret) TH_LOG("import after dma30 left: %s", strerror(-ret));
	bi = info_of(_metadata, self->dev, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(1, bi.attachments);
	ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handle));
	close(fd);
}

/* A dma-buf vgem exported is not a SMAF buffer. */
TEST_F(vgem, vgem_buffer_is_not_smaf)
{
	struct smaf_buffer_info bi;
	uint32_t handle;
	int vfd, ret;

	ret = smaf_vgem_export(self->drm, ONE_MEG, &handle, &vfd);
	ASSERT_EQ(0, ret) TH_LOG("vgem dumb export: %s", strerror(-ret));
	EXPECT_EQ(-EINVAL, smaf_raw_buffer_info(self->dev, vfd, &bi));
	EXPECT_EQ(-EINVAL, smaf_raw_get_secure(self->dev, vfd));
	close(vfd);
	smaf_vgem_close_handle(self->drm, handle);
	expect_stats(_metadata, &self->base, 0, 0, 0, 0, 0, 0);
}

/* Zeroing, as the heaps selftest checks it, with memory vgem allocated. */
#define ZERO_NBUF	32

FIXTURE(vzero) {
	int dev;
	int drm;
	int td;
	struct smaf_stats base;
};

FIXTURE_VARIANT(vzero) {
	uint64_t size;
};

FIXTURE_VARIANT_ADD(vzero, size_4k) { .size = 4 * KiB };
FIXTURE_VARIANT_ADD(vzero, size_1m) { .size = MiB };
FIXTURE_VARIANT_ADD(vzero, size_4m) { .size = 4 * MiB };

FIXTURE_SETUP(vzero)
{
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->drm = smaf_vgem_open();
	ASSERT_LE(0, self->drm) TH_LOG("no vgem card: %s", strerror(-self->drm));
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_write_str(RULES_PATH, VGEM_SG_RULE));
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(vzero)
{
	struct smaf_stats now;

	close(self->td);
	close(self->drm);
	close(self->dev);
	if (smaf_write_str(RULES_PATH, VGEM_NO_RULE)) {
		TH_LOG("cannot remove the rule %s", VGEM_SG_RULE);
		_metadata->passed = 0;
	}
	if (smaf_stats_read(&now) == 0 && !smaf_stats_equal(&self->base, &now)) {
		TH_LOG("counters not back to baseline");
		_metadata->passed = 0;
	}
}

TEST_F_TIMEOUT(vzero, refill_import, 600)
{
	const uint64_t size = variant->size;
	const uint64_t zsum = cksum_zeroes(size);
	uint32_t handles[ZERO_NBUF];
	int fds[ZERO_NBUF];
	uint8_t *p;
	int i, ret;

	/* Dirty: 0xff through the CPU, half of them while vgem holds them. */
	for (i = 0; i < ZERO_NBUF; i++) {
		fds[i] = create(_metadata, self->dev, size);
		if (i % 2) {
			ASSERT_EQ(0, smaf_vgem_import(self->drm, fds[i], &handles[i]));
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, dmabuf_sync_start(fds[i]));
		memset(p, 0xff, size);
		ASSERT_EQ(0, dmabuf_sync_end(fds[i]));
		munmap(p, size);
	}
	for (i = 0; i < ZERO_NBUF; i++) {
		if (i % 2)
			ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handles[i]));
		close(fds[i]);
	}
	expect_stats(_metadata, &self->base, 0, 0, 0, 0, 0, 0);

	/* New buffers, allocated by the vgem import, must read as zeroes. */
	for (i = 0; i < ZERO_NBUF; i++) {
		fds[i] = create(_metadata, self->dev, size);
		ret = smaf_vgem_import(self->drm, fds[i], &handles[i]);
		ASSERT_EQ(0, ret) TH_LOG("import %d: %s", i, strerror(-ret));
		ASSERT_EQ(1, info_of(_metadata, self->dev, fds[i]).allocated);
	}
	for (i = 0; i < ZERO_NBUF; i++) {
		EXPECT_EQ(zsum, device_checksum(_metadata, self->td, fds[i], size))
			TH_LOG("buffer %d: a device sees non-zero data", i);
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, fds[i], 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, dmabuf_sync(fds[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		EXPECT_EQ(-1, bytes_mismatch(p, 0, size))
			TH_LOG("buffer %d: non-zero byte at %lld", i,
			       (long long)bytes_mismatch(p, 0, size));
		ASSERT_EQ(0, dmabuf_sync(fds[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		munmap(p, size);
	}
	expect_stats(_metadata, &self->base, ZERO_NBUF, ZERO_NBUF,
		     ZERO_NBUF * size, ZERO_NBUF, ZERO_NBUF, 0);
	for (i = 0; i < ZERO_NBUF; i++) {
		ASSERT_EQ(0, smaf_vgem_close_handle(self->drm, handles[i]));
		close(fds[i]);
	}
}

TEST_HARNESS_MAIN
