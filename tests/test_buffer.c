// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF buffers as seen by devices and by the CPU: deferred allocation, the
 * exporter's counters, data shared between test devices and the CPU,
 * zeroing, unservable devices, late attach, allocation races, mmap bounds,
 * the size limit and module pinning.
 *
 * Needs smaf, smaf-cma and smaf-testdev loaded, root, and a VM booted with
 * init_on_alloc=0 and more than 4 GiB of RAM (for the late-attach test).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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
#define MiB		(1024ULL * 1024)
#define GiB		(1024ULL * MiB)
#define FOUR_GIB	(4ULL * GiB)
#define CMA_NAME	"smaf-cma"

#define DUMMY_MOD	"smaf_secure_dummy"
#define FAIL_SCRUB	"/sys/module/smaf_secure_dummy/parameters/fail_scrub"

/* State shared by every fixture: what the teardown must release. */
struct ctx {
	int dev;			/* /dev/smaf */
	int td;				/* /dev/smaf-testdev */
	struct smaf_stats base;		/* counters at setup */
	const char *gen;		/* allocator for 64-bit devices, CPU */
	struct track t;			/* buffer fds and mappings */
};

static size_t pg;

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c)
{
	char s[SMAF_STATS_STRLEN];
	int ret;

	pg = smaf_page_size();
	c->dev = smaf_dev_open();
	ASSERT_LE(0, c->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH, strerror(-c->dev));
	c->td = testdev_open();
	ASSERT_LE(0, c->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH, strerror(-c->td));
	ret = smaf_stats_read(&c->base);
	ASSERT_EQ(0, ret) TH_LOG("read %s: %s", SMAF_STATS_PATH, strerror(-ret));
	c->gen = general_allocator(c->dev);
	ASSERT_STRNE("", c->gen) TH_LOG("neither smaf-system nor smaf-cma is registered");
	if (!smaf_stats_idle(&c->base))
		TH_LOG("note: counters not idle at start: %s",
		       smaf_stats_str(&c->base, s, sizeof(s)));
}

/* Releases everything still tracked, then checks the counters. */
static void ctx_teardown(struct __test_metadata *_metadata, struct ctx *c)
{
	char msg[2 * SMAF_STATS_STRLEN];
	struct smaf_stats now;

	track_unmap_all(&c->t);
	track_close_all(&c->t);
	if (c->td > 0)
		close(c->td);
	c->td = -1;
	if (c->dev > 0)
		close(c->dev);
	c->dev = -1;
	/* After a failed quarantine test: scrub what it left quarantined. */
	if (!access(FAIL_SCRUB, W_OK)) {
		smaf_write_str(FAIL_SCRUB, "0\n");
		if (smaf_stats_read(&now) == 0 &&
		    now.quarantined_buffers != c->base.quarantined_buffers)
			smaf_write_str(SMAF_QUARANTINE_PATH, "scrub\n");
	}
	/* Explicit if: a failed ASSERT leaves the harness's log trigger set. */
	if (!smaf_stats_back(&c->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

/* Creates a tracked buffer; fails the test on error. */
static int new_buf(struct __test_metadata *_metadata, struct ctx *c,
		   uint64_t size, uint32_t flags)
{
	int fd, ret;

	ret = track_create(&c->t, c->dev, size, flags, NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create %llu bytes: %s",
				 (unsigned long long)size, strerror(-ret));
	return fd;
}

static void close_buf(struct ctx *c, int fd)
{
	track_close(&c->t, fd);
}

/* Tracked shared mapping; fails the test on error. */
static void *map_buf(struct __test_metadata *_metadata, struct ctx *c, int fd,
		     size_t len, off_t off, bool writable)
{
	void *p;
	int ret;

	ret = track_mmap(&c->t, fd, len, off, writable, &p);
	ASSERT_EQ(0, ret) TH_LOG("mmap fd %d len %zu off %lld: %s", fd, len,
				 (long long)off, strerror(-ret));
	return p;
}

static void unmap_buf(struct ctx *c, void *p)
{
	track_munmap(&c->t, p);
}

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       struct ctx *c, int fd)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = smaf_raw_buffer_info(c->dev, fd, &bi);
	ASSERT_EQ(0, ret) TH_LOG("BUFFER_INFO fd %d: %s", fd, strerror(-ret));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

/*
 * Expects the global counters to be the baseline plus these deltas.
 */
static void expect_stats(struct __test_metadata *_metadata, struct ctx *c,
			 int64_t buffers, int64_t abufs, int64_t abytes,
			 int64_t att, int64_t dmaps, int64_t cmaps)
{
	struct smaf_stats s;
	char str[SMAF_STATS_STRLEN];

	ASSERT_EQ(0, smaf_stats_read(&s));
	EXPECT_EQ(c->base.buffers + buffers, s.buffers);
	EXPECT_EQ(c->base.allocated_buffers + abufs, s.allocated_buffers);
	EXPECT_EQ(c->base.allocated_bytes + abytes, s.allocated_bytes);
	EXPECT_EQ(c->base.attachments + att, s.attachments);
	EXPECT_EQ(c->base.device_mappings + dmaps, s.device_mappings);
	EXPECT_EQ(c->base.cpu_mappings + cmaps, s.cpu_mappings);
	if (!_metadata->passed)
		TH_LOG("stats now: %s", smaf_stats_str(&s, str, sizeof(str)));
}

/* Expects BUFFER_INFO's counters. */
#define EXPECT_INFO(bi, alloc, att, dmaps, cmaps) do {			\
	EXPECT_EQ((alloc), (bi).allocated);				\
	EXPECT_EQ((att), (bi).attachments);				\
	EXPECT_EQ((dmaps), (bi).device_mappings);			\
	EXPECT_EQ((cmaps), (bi).cpu_mappings);				\
} while (0)

/* ------------------------------------------------------------------ */

FIXTURE(buf) {
	struct ctx c;
};

FIXTURE_SETUP(buf)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(buf)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * Create, attach, map, second device, unmap, detach, close: the counters of
 * BUFFER_INFO and of the stats file follow every step, memory appears at the
 * first map only.
 */
TEST_F(buf, lifecycle)
{
	struct ctx *c = &self->c;
	const uint64_t size = MiB;
	struct smaf_buffer_info bi;
	uint32_t ha, hb, nents = 0;
	uint64_t dma = 0;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR | SMAF_CLOEXEC);
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(size, bi.size);
	EXPECT_INFO(bi, 0, 0, 0, 0);
	EXPECT_STREQ("", (char *)bi.allocator);
	EXPECT_EQ(0, bi.secure);
	EXPECT_EQ(0, bi.migrations);
	expect_stats(_metadata, c, 1, 0, 0, 0, 0, 0);

	/* Attach alone allocates nothing. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64, &ha));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 0, 1, 0, 0);
	EXPECT_STREQ("", (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 0, 0, 1, 0, 0);

	/* First map allocates, by smaf-cma. */
	ASSERT_EQ(0, testdev_map(c->td, ha, SMAF_TESTDEV_BIDIRECTIONAL, &nents, &dma));
	EXPECT_LE(1, nents);
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 1, 1, 0);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);

	/* A second device shares the same memory: no second allocation. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64B, &hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 2, 1, 0);
	ASSERT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 2, 2, 0);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);
	EXPECT_EQ(0, bi.migrations);
	expect_stats(_metadata, c, 1, 1, size, 2, 2, 0);

	/* And back down. */
	ASSERT_EQ(0, testdev_unmap(c->td, hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(2, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	ASSERT_EQ(0, testdev_detach(c->td, hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	ASSERT_EQ(0, testdev_unmap(c->td, ha));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(0, bi.device_mappings);
	ASSERT_EQ(0, testdev_detach(c->td, ha));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(0, bi.attachments);
	EXPECT_EQ(0, bi.device_mappings);
	EXPECT_EQ(0, bi.cpu_mappings);
	expect_stats(_metadata, c, 1, bi.allocated, bi.allocated ? size : 0,
		     0, 0, 0);

	close_buf(c, fd);
	expect_stats(_metadata, c, 0, 0, 0, 0, 0, 0);
}

/* Closing the testdev control file detaches whatever it still holds. */
TEST_F(buf, testdev_close_detaches)
{
	struct ctx *c = &self->c;
	struct smaf_buffer_info bi;
	int fd;

	fd = new_buf(_metadata, c, 64 * KiB, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, NULL, NULL));
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64B, NULL));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 2, 1, 0);
	close(c->td);
	c->td = -1;
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 0, 0, 0);
	expect_stats(_metadata, c, 1, 1, 64 * KiB, 0, 0, 0);
}

/*
 * Device A writes, device B and the CPU read the same bytes; the CPU writes,
 * a device reads what the CPU computed.
 */
TEST_F(buf, device_and_cpu_share_data)
{
	struct ctx *c = &self->c;
	const uint64_t size = 2 * MiB + 3 * 4096;
	const uint32_t seed_a = 0x5eed0001, seed_cpu = 0xc0ffee42;
	uint64_t sum = 0;
	uint32_t ha, hb;
	uint8_t *p;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &ha, NULL));
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64B, &hb, NULL));

	/* Fresh memory is zero for the device too. */
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_zeroes(size), sum);

	ASSERT_EQ(0, testdev_write(c->td, ha, seed_a, 0, size));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed_a, 0, size), sum);
	ASSERT_EQ(0, testdev_checksum(c->td, ha, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed_a, 0, size), sum);

	p = map_buf(_metadata, c, fd, size, 0, true);
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(-1, pattern_mismatch(p, seed_a, 0, size));
	ASSERT_EQ(0, dmabuf_sync_end(fd));

	/* CPU writes, devices read. */
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	pattern_fill(p, seed_cpu, 0, size);
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	ASSERT_EQ(0, testdev_checksum(c->td, ha, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed_cpu, 0, size), sum);
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed_cpu, 0, size), sum);

	/* The data outlives every mapping and attachment. */
	unmap_buf(c, p);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, ha));
	ASSERT_EQ(0, testdev_unmap_detach(c->td, hb));
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &ha, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, ha, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed_cpu, 0, size), sum);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
}

/* Sub-ranges at odd offsets, device writes and CPU mappings at offsets. */
TEST_F(buf, partial_ranges)
{
	struct ctx *c = &self->c;
	const uint64_t size = 16 * 4096;
	static const struct { uint64_t off, len; } r[] = {
		{ 1, 4095 }, { 4095, 2 }, { 3 * 4096 + 17, 10000 },
		{ 8 * 4096, 4096 }, { 16 * 4096 - 1, 1 }, { 0, 1 },
	};
	const uint32_t base_seed = 0xabcdef01;
	uint8_t *shadow, *p, *q;
	uint64_t sum;
	uint32_t ha, hb;
	unsigned int i;
	int fd;

	shadow = malloc(size);
	ASSERT_NE(NULL, shadow);
	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &ha, NULL));
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64B, &hb, NULL));

	ASSERT_EQ(0, testdev_write(c->td, ha, base_seed, 0, size));
	pattern_fill(shadow, base_seed, 0, size);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint32_t seed = base_seed + 1 + i;

		ASSERT_EQ(0, testdev_write(c->td, ha, seed, r[i].off, r[i].len));
		pattern_fill(shadow + r[i].off, seed, r[i].off, r[i].len);
		ASSERT_EQ(0, testdev_checksum(c->td, hb, r[i].off, r[i].len, &sum));
		EXPECT_EQ(cksum_pattern(seed, r[i].off, r[i].len), sum)
			TH_LOG("range %u: off %llu len %llu", i,
			       (unsigned long long)r[i].off,
			       (unsigned long long)r[i].len);
	}
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_bytes(shadow, size), sum);

	/* The whole buffer through the CPU. */
	p = map_buf(_metadata, c, fd, size, 0, false);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, memcmp(p, shadow, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	/* A mapping at page offset 3, 5 pages long, sees bytes 3..8 pages. */
	q = map_buf(_metadata, c, fd, 5 * pg, 3 * pg, true);
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(0, memcmp(q, shadow + 3 * pg, 5 * pg));
	/* Writing through it lands at the right place for the device. */
	pattern_fill(q + 100, 0x77, 3 * pg + 100, 3000);
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	pattern_fill(shadow + 3 * pg + 100, 0x77, 3 * pg + 100, 3000);
	ASSERT_EQ(0, testdev_checksum(c->td, ha, 3 * pg + 100, 3000, &sum));
	EXPECT_EQ(cksum_pattern(0x77, 3 * pg + 100, 3000), sum);
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_bytes(shadow, size), sum);
	EXPECT_EQ(2, info_of(_metadata, c, fd).cpu_mappings);

	/* Ranges past the end are refused by the device. */
	EXPECT_EQ(-EINVAL, testdev_checksum(c->td, ha, size - 10, 11, &sum));
	EXPECT_EQ(-EINVAL, testdev_write(c->td, ha, 1, size, 1));
	free(shadow);
}

/* mmap of an unallocated buffer allocates it; munmap drops the count. */
TEST_F(buf, cpu_first_mmap)
{
	struct ctx *c = &self->c;
	const uint64_t size = 256 * KiB;
	struct smaf_buffer_info bi;
	uint64_t sum;
	uint32_t h;
	uint8_t *p;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	p = map_buf(_metadata, c, fd, size, 0, true);
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 0, 0, 1);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 1, size, 0, 0, 1);

	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(-1, bytes_mismatch(p, 0, size));
	pattern_fill(p, 99, 0, size);
	ASSERT_EQ(0, dmabuf_sync_end(fd));

	/* A device attaching later sees the CPU's data. */
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &h, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, h, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(99, 0, size), sum);
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 1, 1, 1);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));

	unmap_buf(c, p);
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 0, 0, 0);
	expect_stats(_metadata, c, 1, 1, size, 0, 0, 0);
}

/* Two mappings count twice; a read-only mapping of an RDWR buffer works. */
TEST_F(buf, cpu_mappings_count)
{
	struct ctx *c = &self->c;
	void *p1, *p2;
	int fd;

	fd = new_buf(_metadata, c, 8 * pg, SMAF_RDWR);
	p1 = map_buf(_metadata, c, fd, 8 * pg, 0, true);
	p2 = map_buf(_metadata, c, fd, 2 * pg, 4 * pg, false);
	EXPECT_EQ(2, info_of(_metadata, c, fd).cpu_mappings);
	expect_stats(_metadata, c, 1, 1, 8 * pg, 0, 0, 2);
	((volatile uint8_t *)p1)[4 * pg + 5] = 0x5a;
	EXPECT_EQ(0x5a, ((volatile uint8_t *)p2)[5]);
	unmap_buf(c, p1);
	EXPECT_EQ(1, info_of(_metadata, c, fd).cpu_mappings);
	unmap_buf(c, p2);
	EXPECT_EQ(0, info_of(_metadata, c, fd).cpu_mappings);
}

/* DMA_BUF_IOCTL_SYNC start on an unallocated buffer allocates it. */
TEST_F(buf, cpu_first_sync)
{
	struct ctx *c = &self->c;
	const uint64_t size = 128 * KiB;
	struct smaf_buffer_info bi;
	uint64_t sum;
	uint32_t h;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 0, 0, 0);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 1, size, 0, 0, 0);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	/* Still allocated once, and zeroed. */
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &h, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, h, 0, size, &sum));
	EXPECT_EQ(cksum_zeroes(size), sum);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
}

/* Closing the fd while a mapping and an attachment live keeps the buffer. */
TEST_F(buf, close_fd_keeps_users)
{
	struct ctx *c = &self->c;
	const uint64_t size = 64 * KiB;
	uint64_t sum;
	uint32_t h;
	uint8_t *p;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	p = map_buf(_metadata, c, fd, size, 0, true);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &h, NULL));
	ASSERT_EQ(0, testdev_write(c->td, h, 1234, 0, size));
	close_buf(c, fd);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 1);
	EXPECT_EQ(-1, pattern_mismatch(p, 1234, 0, size));
	pattern_fill(p, 4321, 0, size);
	ASSERT_EQ(0, testdev_checksum(c->td, h, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(4321, 0, size), sum);
	unmap_buf(c, p);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
	expect_stats(_metadata, c, 0, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Zeroing: fill, free, reallocate, check (the VM boots init_on_alloc=0). */

#define ZERO_NBUF	32

FIXTURE(zero) {
	struct ctx c;
};

/*
 * @dev is attached before any allocation, so it picks the allocator:
 * dma64 the general one (smaf-system when loaded), dma32 smaf-cma.
 */
FIXTURE_VARIANT(zero) {
	uint64_t size;
	bool fill_by_device;
	unsigned int dev;
};

#define ZERO_VARIANTS(dname, d)						\
FIXTURE_VARIANT_ADD(zero, cpu_4k_##dname) { .size = 4 * KiB, .dev = d };	\
FIXTURE_VARIANT_ADD(zero, cpu_1m_##dname) { .size = MiB, .dev = d };	\
FIXTURE_VARIANT_ADD(zero, cpu_4m_##dname) { .size = 4 * MiB, .dev = d };	\
FIXTURE_VARIANT_ADD(zero, dev_4k_##dname) {				\
	.size = 4 * KiB, .fill_by_device = true, .dev = d };		\
FIXTURE_VARIANT_ADD(zero, dev_1m_##dname) {				\
	.size = MiB, .fill_by_device = true, .dev = d };		\
FIXTURE_VARIANT_ADD(zero, dev_4m_##dname) {				\
	.size = 4 * MiB, .fill_by_device = true, .dev = d }

ZERO_VARIANTS(dma64, SMAF_TESTDEV_DMA64);
ZERO_VARIANTS(dma32, SMAF_TESTDEV_DMA32);

FIXTURE_SETUP(zero)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(zero)
{
	ctx_teardown(_metadata, &self->c);
}

TEST_F_TIMEOUT(zero, refill, 600)
{
	struct ctx *c = &self->c;
	const uint64_t size = variant->size;
	const char *alloc = variant->dev == SMAF_TESTDEV_DMA32 ? CMA_NAME : c->gen;
	uint64_t zsum = cksum_zeroes(size), sum;
	int fds[ZERO_NBUF];
	uint32_t h;
	uint8_t *p;
	int i;

	/*
	 * Dirty ZERO_NBUF buffers, all alive at once, then free them: with 0xff
	 * through the CPU, or with a device-written pattern.
	 */
	for (i = 0; i < ZERO_NBUF; i++) {
		fds[i] = new_buf(_metadata, c, size, SMAF_RDWR);
		ASSERT_EQ(0, testdev_attach(c->td, fds[i], variant->dev, &h));
		if (variant->fill_by_device) {
			ASSERT_EQ(0, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
						 NULL, NULL));
			ASSERT_EQ(0, testdev_write(c->td, h, 0xffff0000 + i, 0, size));
			ASSERT_EQ(0, testdev_unmap(c->td, h));
		} else {
			p = map_buf(_metadata, c, fds[i], size, 0, true);
			ASSERT_EQ(0, dmabuf_sync_start(fds[i]));
			memset(p, 0xff, size);
			ASSERT_EQ(0, dmabuf_sync_end(fds[i]));
			unmap_buf(c, p);
		}
		ASSERT_EQ(0, testdev_detach(c->td, h));
		EXPECT_STREQ(alloc, (char *)info_of(_metadata, c, fds[i]).allocator);
	}
	expect_stats(_metadata, c, ZERO_NBUF, ZERO_NBUF, ZERO_NBUF * size, 0, 0, 0);
	for (i = 0; i < ZERO_NBUF; i++)
		close_buf(c, fds[i]);
	expect_stats(_metadata, c, 0, 0, 0, 0, 0, 0);

	/*
	 * New buffers: even ones allocated by a device map, odd ones by mmap
	 * (with the device attached, so the same allocator serves them); every
	 * one checked by the device and by the CPU.
	 */
	for (i = 0; i < ZERO_NBUF; i++) {
		fds[i] = new_buf(_metadata, c, size, SMAF_RDWR);
		ASSERT_EQ(0, testdev_attach(c->td, fds[i], variant->dev, &h));
		if (i % 2 == 0) {
			ASSERT_EQ(0, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
						 NULL, NULL));
			p = map_buf(_metadata, c, fds[i], size, 0, false);
		} else {
			p = map_buf(_metadata, c, fds[i], size, 0, false);
			ASSERT_EQ(0, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
						 NULL, NULL));
		}
		EXPECT_STREQ(alloc, (char *)info_of(_metadata, c, fds[i]).allocator);
		ASSERT_EQ(0, testdev_checksum(c->td, h, 0, size, &sum));
		EXPECT_EQ(zsum, sum) TH_LOG("buffer %d (%s first): device sees non-zero data",
					    i, i % 2 ? "mmap" : "device");
		ASSERT_EQ(0, dmabuf_sync(fds[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		EXPECT_EQ(-1, bytes_mismatch(p, 0, size))
			TH_LOG("buffer %d (%s first): CPU sees non-zero byte at %lld",
			       i, i % 2 ? "mmap" : "device",
			       (long long)bytes_mismatch(p, 0, size));
		ASSERT_EQ(0, dmabuf_sync(fds[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
		unmap_buf(c, p);
	}
	expect_stats(_metadata, c, ZERO_NBUF, ZERO_NBUF, ZERO_NBUF * size, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Devices no allocator can serve, and devices attaching late. */

TEST_F(buf, unservable_device)
{
	struct ctx *c = &self->c;
	const uint64_t size = 64 * KiB;
	struct smaf_buffer_info bi;
	uint32_t h64, h30;
	uint64_t sum;
	int fd, ret;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);

	/* dma30 alone. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA30, &h30));
	ret = testdev_map(c->td, h30, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENODEV, ret);

	/* dma30 with dma64: the whole set cannot be served. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64, &h64));
	ret = testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENODEV, ret);
	ret = testdev_map(c->td, h30, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENODEV, ret);
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 0, 2, 0, 0);
	EXPECT_STREQ("", (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 0, 0, 2, 0, 0);

	/* Without dma30, dma64 maps. */
	ASSERT_EQ(0, testdev_detach(c->td, h30));
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 1, 1, 0);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
	ASSERT_EQ(0, testdev_checksum(c->td, h64, 0, size, &sum));
	EXPECT_EQ(cksum_zeroes(size), sum);

	/*
	 * Now memory exists: no allocator serves dma30, so it cannot join.
	 * (Not mapped if accepted: a dma30 swiotlb bounce WARNs, and the VM
	 * runs with panic_on_warn.)
	 */
	ret = testdev_attach(c->td, fd, SMAF_TESTDEV_DMA30, &h30);
	EXPECT_EQ(-EBUSY, ret);
	if (ret == 0)
		testdev_detach(c->td, h30);
}

/* Allocated for dma32 first: below 4 GiB, and dma64 can join. */
TEST_F(buf, late_attach_low)
{
	struct ctx *c = &self->c;
	const uint64_t size = MiB;
	uint32_t h32, h64, nents = 0;
	uint64_t dma = 0, sum;
	int fd;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA32, &h32));
	ASSERT_EQ(0, testdev_map(c->td, h32, SMAF_TESTDEV_BIDIRECTIONAL, &nents, &dma));
	TH_LOG("dma32 mapping at %#llx, %u segment(s)", (unsigned long long)dma, nents);
	/*
	 * Only smaf-cma serves a 32-bit device here. Its memory is contiguous
	 * (though the mapping may be split into the device's maximum segment
	 * size), so it ends at dma + size.
	 */
	EXPECT_STREQ(CMA_NAME, (char *)info_of(_metadata, c, fd).allocator);
	EXPECT_LE(1, nents);
	EXPECT_LE(dma + size, FOUR_GIB);
	ASSERT_EQ(0, testdev_write(c->td, h32, 0x32, 0, size));

	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64, &h64));
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, h64, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x32, 0, size), sum);
	EXPECT_EQ(0, info_of(_metadata, c, fd).migrations);
	expect_stats(_metadata, c, 1, 1, size, 2, 2, 0);
}

/* Allocated for dma64 above 4 GiB: dma32 is refused, the data untouched. */
TEST_F(buf, late_attach_high)
{
	struct ctx *c = &self->c;
	const uint64_t size = MiB;
	struct smaf_buffer_info bi;
	int fd = -1, i, ret;
	uint32_t h64 = 0, h32, hb, nents = 0;
	uint64_t dma = 0, dma2 = 0, sum;
	bool high = false;
	uint8_t *p;

	/*
	 * Keep trying buffers (all kept alive) until one is known to be out of
	 * a 32-bit device's reach: its first segment starts at or above 4 GiB,
	 * or it is one contiguous segment that ends above 4 GiB.
	 */
	for (i = 0; i < 48 && !high; i++) {
		fd = new_buf(_metadata, c, size, SMAF_RDWR);
		ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64, &h64));
		ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL,
					 &nents, &dma));
		high = dma >= FOUR_GIB || (nents == 1 && dma + size > FOUR_GIB);
	}
	if (!high)
		SKIP(return, "no buffer landed above 4 GiB in %d tries", i);
	TH_LOG("buffer %d at %#llx, %u segment(s)", i - 1,
	       (unsigned long long)dma, nents);

	ASSERT_EQ(0, testdev_write(c->td, h64, 0x64, 0, size));
	ret = testdev_attach(c->td, fd, SMAF_TESTDEV_DMA32, &h32);
	EXPECT_EQ(-EBUSY, ret);
	if (ret == 0)
		testdev_detach(c->td, h32);

	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 1, 1, 0);
	EXPECT_EQ(0, bi.migrations);
	EXPECT_STREQ(c->gen, (char *)bi.allocator);

	/* Untouched: same place, same data, for devices and the CPU. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64B, &hb));
	ASSERT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x64, 0, size), sum);
	p = map_buf(_metadata, c, fd, size, 0, false);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, 0x64, 0, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, testdev_unmap(c->td, h64));
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, &dma2));
	EXPECT_EQ(dma, dma2) TH_LOG("memory moved after a refused attach");
}

/* ------------------------------------------------------------------ */
/* Two importers mapping at the same moment allocate once. */

struct racer {
	int td;
	int buf;
	unsigned int dev;	/* testdev index, or ~0u: CPU mmap */
	size_t size;
	pthread_barrier_t *bar;
	int attach_ret, map_ret;
	uint32_t h;
	uint64_t dma;
	void *cpu;
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	if (r->dev != ~0u)
		r->attach_ret = testdev_attach(r->td, r->buf, r->dev, &r->h);
	pthread_barrier_wait(r->bar);
	if (r->dev == ~0u)
		r->map_ret = dmabuf_mmap(r->buf, r->size, 0, true, &r->cpu);
	else if (r->attach_ret == 0)
		r->map_ret = testdev_map(r->td, r->h, SMAF_TESTDEV_BIDIRECTIONAL,
					 NULL, &r->dma);
	return NULL;
}

static void race_once(struct __test_metadata *_metadata, struct ctx *c,
		      unsigned int dev_a, unsigned int dev_b, int iter)
{
	const size_t size = 64 * KiB;
	struct racer r[2];
	pthread_barrier_t bar;
	pthread_t t[2];
	struct smaf_stats s;
	struct smaf_buffer_info bi;
	char str[SMAF_STATS_STRLEN];
	int fd, i;

	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 2));
	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].td = testdev_open();
		ASSERT_LE(0, r[i].td);
		r[i].buf = fd;
		r[i].dev = i ? dev_b : dev_a;
		r[i].size = size;
		r[i].bar = &bar;
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, racer_fn, &r[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, r[i].attach_ret) TH_LOG("iter %d racer %d", iter, i);
		EXPECT_EQ(0, r[i].map_ret) TH_LOG("iter %d racer %d (%s)", iter, i,
						  r[i].dev == ~0u ? "mmap" :
						  testdev_name(r[i].dev));
	}
	ASSERT_EQ(0, smaf_stats_read(&s));
	EXPECT_EQ(c->base.allocated_buffers + 1, s.allocated_buffers)
		TH_LOG("iter %d: %s", iter, smaf_stats_str(&s, str, sizeof(str)));
	EXPECT_EQ(c->base.allocated_bytes + size, s.allocated_bytes)
		TH_LOG("iter %d: %s", iter, smaf_stats_str(&s, str, sizeof(str)));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ((dev_a != ~0u) + (dev_b != ~0u), bi.device_mappings);
	/* Only smaf-cma serves a 32-bit device here; contiguous memory. */
	if (dev_a == SMAF_TESTDEV_DMA32 || dev_b == SMAF_TESTDEV_DMA32)
		EXPECT_STREQ(CMA_NAME, (char *)bi.allocator) TH_LOG("iter %d", iter);
	/* Memory valid for every racer: dma32 mappings stay below 4 GiB. */
	for (i = 0; i < 2; i++)
		if (r[i].dev == SMAF_TESTDEV_DMA32 && r[i].map_ret == 0)
			EXPECT_LE(r[i].dma + size, FOUR_GIB) TH_LOG("iter %d", iter);

	for (i = 0; i < 2; i++) {
		if (r[i].cpu)
			munmap(r[i].cpu, size);
		close(r[i].td);
	}
	close_buf(c, fd);
	ASSERT_EQ(0, smaf_stats_read(&s));
	ASSERT_TRUE(smaf_stats_equal(&c->base, &s))
		TH_LOG("iter %d: not back to baseline: %s", iter,
		       smaf_stats_str(&s, str, sizeof(str)));
}

TEST_F_TIMEOUT(buf, concurrent_map_allocates_once, 600)
{
	int i;

	for (i = 0; i < 200 && _metadata->passed; i++)
		race_once(_metadata, &self->c, SMAF_TESTDEV_DMA64,
			  SMAF_TESTDEV_DMA64B, i);
}

TEST_F_TIMEOUT(buf, concurrent_map_dma32_dma64, 600)
{
	int i;

	for (i = 0; i < 100 && _metadata->passed; i++)
		race_once(_metadata, &self->c, SMAF_TESTDEV_DMA64,
			  SMAF_TESTDEV_DMA32, i);
}

TEST_F_TIMEOUT(buf, concurrent_map_and_mmap, 600)
{
	int i;

	for (i = 0; i < 100 && _metadata->passed; i++)
		race_once(_metadata, &self->c, SMAF_TESTDEV_DMA64, ~0u, i);
}

/* ------------------------------------------------------------------ */
/* mmap bounds and modes. */

TEST_F(buf, mmap_offset_past_end)
{
	struct ctx *c = &self->c;
	void *p;
	int fd;

	fd = new_buf(_metadata, c, 4 * pg, SMAF_RDWR);
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, pg, 4 * pg, true, &p));
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, pg, 5 * pg, true, &p));
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, pg, 1ULL << 40, false, &p));
	EXPECT_EQ(0, info_of(_metadata, c, fd).cpu_mappings);
	/* The last page itself is fine. */
	p = map_buf(_metadata, c, fd, pg, 3 * pg, true);
	unmap_buf(c, p);
}

TEST_F(buf, mmap_length_past_end)
{
	struct ctx *c = &self->c;
	void *p;
	int fd;

	fd = new_buf(_metadata, c, 4 * pg, SMAF_RDWR);
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, 5 * pg, 0, true, &p));
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, 2 * pg, 3 * pg, true, &p));
	EXPECT_EQ(-EINVAL, dmabuf_mmap(fd, 4 * pg + 1, 0, false, &p));
	EXPECT_EQ(0, info_of(_metadata, c, fd).cpu_mappings);
}

TEST_F(buf, mmap_private_refused)
{
	struct ctx *c = &self->c;
	void *p;
	int fd;

	fd = new_buf(_metadata, c, 4 * pg, SMAF_RDWR);
	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, 4 * pg);
	p = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, 4 * pg);
	EXPECT_EQ(0, info_of(_metadata, c, fd).cpu_mappings);
}

static sigjmp_buf sigbus_env;
static volatile sig_atomic_t sigbus_seen;

static void sigbus_handler(int sig)
{
	sigbus_seen = 1;
	siglongjmp(sigbus_env, 1);
}

/*
 * mremap growth fails, or the grown part faults with SIGBUS: never another
 * page (the CMA heap fault off-by-one class of bug).
 */
TEST_F(buf, mremap_grow)
{
	struct ctx *c = &self->c;
	struct sigaction sa, old;
	volatile uint8_t v = 0;
	uint8_t *p, *q;
	int fd, other;

	/* A neighbour buffer with recognisable data. */
	other = new_buf(_metadata, c, 4 * pg, SMAF_RDWR);
	q = map_buf(_metadata, c, other, 4 * pg, 0, true);
	memset(q, 0xa5, 4 * pg);

	fd = new_buf(_metadata, c, 2 * pg, SMAF_RDWR);
	p = map_buf(_metadata, c, fd, 2 * pg, 0, true);
	pattern_fill(p, 7, 0, 2 * pg);

	q = mremap(p, 2 * pg, 4 * pg, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		TH_LOG("mremap growth refused: %s", strerror(errno));
		/* The original mapping is intact. */
		EXPECT_EQ(-1, pattern_mismatch(p, 7, 0, 2 * pg));
		return;
	}
	TH_LOG("mremap growth accepted: the grown part must fault");
	/* p's mapping moved to q: track it under its new size. */
	track_moved(&c->t, p, q, 4 * pg);
	EXPECT_EQ(-1, pattern_mismatch(q, 7, 0, 2 * pg));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigbus_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, &old));
	sigbus_seen = 0;
	if (sigsetjmp(sigbus_env, 1) == 0)
		v = q[2 * pg];
	EXPECT_EQ(1, sigbus_seen) TH_LOG("read past the end gave %#x", v);
	sigbus_seen = 0;
	if (sigsetjmp(sigbus_env, 1) == 0)
		v = q[4 * pg - 1];
	EXPECT_EQ(1, sigbus_seen) TH_LOG("read past the end gave %#x", v);
	sigaction(SIGBUS, &old, NULL);
}

/* Without SMAF_RDWR the file is read-only: no writable shared mapping. */
TEST_F(buf, rdonly_buffer_no_write_map)
{
	struct ctx *c = &self->c;
	struct smaf_buffer_info bi;
	uint8_t *p;
	void *w;
	int fd;

	fd = new_buf(_metadata, c, 4 * pg, 0);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EACCES, dmabuf_mmap(fd, 4 * pg, 0, true, &w));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(0, bi.cpu_mappings);
	/* Read-only works, and it cannot be made writable. */
	p = map_buf(_metadata, c, fd, 4 * pg, 0, false);
	EXPECT_EQ(-1, bytes_mismatch(p, 0, 4 * pg));
	EXPECT_EQ(-1, mprotect(p, 4 * pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(1, info_of(_metadata, c, fd).cpu_mappings);
}

/* ------------------------------------------------------------------ */
/* The max_total_size limit. */

FIXTURE(limit) {
	struct ctx c;
	uint64_t saved;
	bool have_saved;
};

FIXTURE_SETUP(limit)
{
	int ret;

	ctx_setup(_metadata, &self->c);
	ret = smaf_param_read("max_total_size", &self->saved);
	ASSERT_EQ(0, ret) TH_LOG("max_total_size: %s", strerror(-ret));
	self->have_saved = true;
}

FIXTURE_TEARDOWN(limit)
{
	uint64_t now = 0;

	if (self->have_saved) {
		EXPECT_EQ(0, smaf_param_write("max_total_size", self->saved));
		EXPECT_EQ(0, smaf_param_read("max_total_size", &now));
		EXPECT_EQ(self->saved, now);
	}
	ctx_teardown(_metadata, &self->c);
}

TEST_F(limit, map_beyond_limit)
{
	struct ctx *c = &self->c;
	const uint64_t size = 2 * MiB;
	struct smaf_buffer_info bi;
	uint32_t h;
	void *p;
	int fd;

	ASSERT_EQ(0, smaf_param_write("max_total_size",
				      c->base.allocated_bytes + MiB));
	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach(c->td, fd, SMAF_TESTDEV_DMA64, &h));
	EXPECT_EQ(-ENOMEM, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	EXPECT_EQ(-ENOMEM, dmabuf_mmap(fd, size, 0, true, &p));
	EXPECT_EQ(-ENOMEM, dmabuf_sync_start(fd));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 0, 1, 0, 0);
	expect_stats(_metadata, c, 1, 0, 0, 1, 0, 0);

	ASSERT_EQ(0, smaf_param_write("max_total_size", self->saved));
	EXPECT_EQ(0, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	bi = info_of(_metadata, c, fd);
	EXPECT_INFO(bi, 1, 1, 1, 0);
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
}

TEST_F(limit, freed_memory_counts_again)
{
	struct ctx *c = &self->c;
	const uint64_t size = MiB;
	uint32_t ha, hb;
	int a, b;

	ASSERT_EQ(0, smaf_param_write("max_total_size",
				      c->base.allocated_bytes + size));
	a = new_buf(_metadata, c, size, SMAF_RDWR);
	b = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, a, SMAF_TESTDEV_DMA64, &ha, NULL));
	ASSERT_EQ(0, testdev_attach(c->td, b, SMAF_TESTDEV_DMA64, &hb));
	EXPECT_EQ(-ENOMEM, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	EXPECT_EQ(0, info_of(_metadata, c, b).allocated);
	expect_stats(_metadata, c, 2, 1, size, 2, 1, 0);

	ASSERT_EQ(0, testdev_unmap_detach(c->td, ha));
	close_buf(c, a);
	expect_stats(_metadata, c, 1, 0, 0, 1, 0, 0);
	EXPECT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	expect_stats(_metadata, c, 1, 1, size, 1, 1, 0);
}

/* ------------------------------------------------------------------ */
/*
 * Module pinning. Runs last: it unloads and reloads allocator modules (from
 * where module_find() finds them; the teardown reloads whatever is missing).
 */

FIXTURE(pin) {
	struct ctx c;
	char path[512];
	bool have_path;
};

FIXTURE_VARIANT(pin) {
	const char *mod;	/* as /proc/modules names it */
	const char *ko;		/* file name without .ko */
	const char *name;	/* allocator name */
	unsigned int dev;	/* a device this allocator is chosen for */
};

/* smaf-cma is chosen for a 32-bit device (smaf-system leaves it those). */
FIXTURE_VARIANT_ADD(pin, smaf_cma) {
	.mod = "smaf_cma", .ko = "smaf-cma", .name = "smaf-cma",
	.dev = SMAF_TESTDEV_DMA32,
};

/* smaf-system, when built, for a device reaching all of RAM. */
FIXTURE_VARIANT_ADD(pin, smaf_system) {
	.mod = "smaf_system", .ko = "smaf-system", .name = "smaf-system",
	.dev = SMAF_TESTDEV_DMA64,
};

FIXTURE_SETUP(pin)
{
	ctx_setup(_metadata, &self->c);
	if (!smaf_module_loaded(variant->mod))
		SKIP(return, "%s is not loaded", variant->mod);
	self->have_path = module_find(variant->ko, self->path,
				      sizeof(self->path)) == 0;
}

FIXTURE_TEARDOWN(pin)
{
	int ret;

	ctx_teardown(_metadata, &self->c);
	if (self->have_path && !smaf_module_loaded(variant->mod)) {
		ret = module_load(self->path, "");
		if (ret) {
			TH_LOG("reload %s: %s", self->path, strerror(-ret));
			_metadata->passed = 0;
		}
	}
}

static long module_refcnt(const char *name)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A buffer an allocator module backs pins that module. */
TEST_F(pin, allocator_pinned_by_buffer)
{
	struct ctx *c = &self->c;
	struct smaf_buffer_info bi;
	char name[SMAF_NAME_LEN];
	uint32_t h;
	uint8_t *p;
	int fd, ret;

	if (!self->have_path)
		SKIP(return, "no %s.ko found to reload (set SMAF_MODULE_DIR)",
		     variant->ko);
	fd = new_buf(_metadata, c, MiB, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, variant->dev, &h, NULL));
	ASSERT_EQ(0, testdev_write(c->td, h, 3, 0, MiB));
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
	bi = info_of(_metadata, c, fd);
	ASSERT_EQ(1, bi.allocated);
	ASSERT_STREQ(variant->name, (char *)bi.allocator)
		TH_LOG("a buffer mapped by %s", testdev_name(variant->dev));

	ret = module_delete(variant->mod);
	TH_LOG("delete_module(%s) with a live buffer: %s", variant->mod,
	       ret ? strerror(-ret) : "succeeded");
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN);
	ASSERT_TRUE(smaf_module_loaded(variant->mod));

	/* Still usable. */
	p = map_buf(_metadata, c, fd, MiB, 0, false);
	EXPECT_EQ(-1, pattern_mismatch(p, 3, 0, MiB));
	unmap_buf(c, p);

	close_buf(c, fd);
	ret = module_delete(variant->mod);
	EXPECT_EQ(0, ret) TH_LOG("delete_module(%s) with no buffer: %s",
				 variant->mod, strerror(-ret));
	EXPECT_FALSE(smaf_module_loaded(variant->mod));
	EXPECT_EQ(-ENOENT, smaf_find_allocator(c->dev, variant->name));

	ret = module_load(self->path, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", self->path, strerror(-ret));
	EXPECT_LE(0, smaf_find_allocator(c->dev, variant->name));

	/* And it allocates again. */
	fd = new_buf(_metadata, c, MiB, SMAF_RDWR);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, variant->dev, &h, NULL));
	snprintf(name, sizeof(name), "%s", (char *)info_of(_metadata, c, fd).allocator);
	EXPECT_STREQ(variant->name, name);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
	close_buf(c, fd);
}

/*
 * The core is pinned by any live buffer, allocated or not (its fd's file
 * ops belong to smaf): with /dev/smaf closed, a buffer alone holds a
 * reference on smaf, and delete_module(smaf) fails.
 */
TEST(core_pinned_by_buffer)
{
	struct smaf_stats base, now;
	long r1, r2;
	int dev, fd = -1, ret;

	ASSERT_EQ(0, smaf_stats_read(&base));
	dev = smaf_dev_open();
	ASSERT_LE(0, dev);
	ret = smaf_raw_create(dev, MiB, SMAF_RDWR, NULL, &fd);
	ASSERT_EQ(0, ret);
	close(dev);

	r1 = module_refcnt("smaf");
	ret = module_delete("smaf");
	TH_LOG("delete_module(smaf) with a live buffer: %s (refcnt %ld)",
	       ret ? strerror(-ret) : "succeeded", r1);
	ASSERT_TRUE(ret == -EBUSY || ret == -EAGAIN);

	close(fd);
	r2 = module_refcnt("smaf");
	TH_LOG("smaf refcnt %ld with the buffer, %ld without", r1, r2);
	EXPECT_LE(1, r1 - r2) TH_LOG("the buffer did not hold a reference on smaf");
	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&base, &now));
}

/* The quarantine's lines that name buffer @id; -errno if unreadable. */
static int quarantine_lines(uint64_t id, char *line, size_t len)
{
	char buf[4096], key[64], *l, *save = NULL;
	ssize_t n;
	int found = 0;

	n = smaf_read_file(SMAF_QUARANTINE_PATH, buf, sizeof(buf));
	if (n < 0)
		return n;
	snprintf(key, sizeof(key), "id=%llu ", (unsigned long long)id);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, key, strlen(key)))
			continue;
		snprintf(line, len, "%s", l);
		found++;
	}
	return found;
}

/*
 * A secure buffer whose memory cannot be scrubbed is quarantined when
 * freed, never handed out again: the buffer is gone for userspace, its
 * memory stays allocated and counted (quarantined_buffers/_bytes), and it
 * pins its allocator and secure module; a retry that fails again leaves it
 * there (EIO); one that succeeds frees everything. Scrubs fail on demand
 * with smaf-secure-dummy's fail_scrub.
 */
TEST_F(buf, scrub_failure_quarantines)
{
	struct ctx *c = &self->c;
	const uint64_t size = 64 * KiB;
	char line[256], want[256], mod[SMAF_NAME_LEN], s[SMAF_STATS_STRLEN];
	struct smaf_buffer_info bi;
	struct smaf_stats now;
	uint32_t h;
	int fd, ret;
	size_t i;

	if (access(FAIL_SCRUB, W_OK))
		SKIP(return, "smaf-secure-dummy is not the secure module");
	fd = new_buf(_metadata, c, size, SMAF_RDWR);
	ASSERT_EQ(0, smaf_raw_set_secure(c->dev, fd, 1));
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, SMAF_TESTDEV_DMA64, &h,
					NULL));
	ASSERT_EQ(0, testdev_write(c->td, h, 0x9a, 0, size));
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
	bi = info_of(_metadata, c, fd);
	ASSERT_EQ(1, bi.allocated);

	/* Freed, but not scrubbed: quarantined. */
	ASSERT_EQ(0, smaf_write_str(FAIL_SCRUB, "2\n"));
	close_buf(c, fd);
	ASSERT_EQ(0, smaf_stats_read(&now));
	TH_LOG("after close: %s", smaf_stats_str(&now, s, sizeof(s)));
	EXPECT_EQ(c->base.buffers, now.buffers);
	EXPECT_EQ(c->base.quarantined_buffers + 1, now.quarantined_buffers);
	EXPECT_EQ(c->base.quarantined_bytes + size, now.quarantined_bytes);
	EXPECT_EQ(c->base.allocated_buffers + 1, now.allocated_buffers);
	EXPECT_EQ(c->base.allocated_bytes + size, now.allocated_bytes);
	snprintf(want, sizeof(want), "id=%llu size=%llu allocator=%s secure=smaf-secure-dummy",
		 (unsigned long long)bi.id, (unsigned long long)size,
		 (char *)bi.allocator);
	ASSERT_EQ(1, quarantine_lines(bi.id, line, sizeof(line)));
	EXPECT_STREQ(want, line);

	/* It pins the memory's allocator and the secure module. */
	snprintf(mod, sizeof(mod), "%s", (char *)bi.allocator);
	for (i = 0; mod[i]; i++)
		if (mod[i] == '-')
			mod[i] = '_';
	ret = module_delete(mod);
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN)
		TH_LOG("delete_module(%s) with quarantined memory: %s", mod,
		       ret ? strerror(-ret) : "succeeded");
	ret = module_delete(DUMMY_MOD);
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN)
		TH_LOG("delete_module(%s) with quarantined memory: %s",
		       DUMMY_MOD, ret ? strerror(-ret) : "succeeded");

	/* A retry that fails again changes nothing. */
	EXPECT_EQ(-EIO, smaf_write_str(SMAF_QUARANTINE_PATH, "scrub\n"));
	EXPECT_EQ(1, quarantine_lines(bi.id, line, sizeof(line)));
	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_EQ(c->base.quarantined_buffers + 1, now.quarantined_buffers);
	EXPECT_EQ(-EINVAL, smaf_write_str(SMAF_QUARANTINE_PATH, "free\n"));

	/* One that succeeds frees it. */
	EXPECT_EQ(0, smaf_write_str(SMAF_QUARANTINE_PATH, "scrub\n"));
	EXPECT_EQ(0, quarantine_lines(bi.id, line, sizeof(line)));
	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&c->base, &now))
		TH_LOG("after the scrub: %s", smaf_stats_str(&now, s, sizeof(s)));
}

TEST_HARNESS_MAIN
