// SPDX-License-Identifier: GPL-2.0
/*
 * Contiguous by default: a device whose DMA no IOMMU translates gets memory
 * that is contiguous in its DMA address space, unless its driver declares
 * (or root's rule says, "sg") that it follows scatter-gather lists. The
 * answer must not depend on the machine's RAM: the suite runs these tests
 * in the 6 GiB VM and in the 2 GiB one (RAM all below 4 GiB, where
 * smaf-system reaches every byte a 32-bit device can address).
 *
 * smaf-testdev declares dma64 and dma64b scatter-gather; dma32, dma30 and
 * dma64c are left to the default. vgem is a platform device without IOMMU
 * and no declaration.
 *
 *  - The selection matrix: who gets contiguous memory, who does not.
 *  - Late attach: a contiguous-only device attaching to scattered memory
 *    moves the buffer when nothing holds it, is refused while a device
 *    maps it.
 *  - No contiguous allocator for the size: the map fails with ENODEV and
 *    one log line naming the device and the size, never scattered memory.
 *  - vivid in dma-contig mode with an "sg" rule: the documented failure,
 *    where scattered memory can reach vivid at all.
 *
 * Needs root, smaf, smaf-system, smaf-cma, smaf-testdev and vgem loaded;
 * vivid with allocators=1 for the vivid test (skipped otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

/* kselftest_harness.h compares int literals with unsigned fields. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"
#include "common/track.h"
#include "common/vivid.h"
#include "libsmaf.h"

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define SYSTEM		"smaf-system"
#define CMA		"smaf-cma"
#define RULES_PATH	"/sys/class/misc/smaf/constraints"
#define TD(n)		"platform:smaf-testdev." #n
#define B(n)		(1U << (n))
#define D64		SMAF_TESTDEV_DMA64
#define D32		SMAF_TESTDEV_DMA32
#define D64B		SMAF_TESTDEV_DMA64B
#define D64C		SMAF_TESTDEV_DMA64C

struct ctx {
	int dev;			/* /dev/smaf */
	int td;				/* /dev/smaf-testdev */
	int kmsg;			/* /dev/kmsg, positioned at its end */
	bool lib;			/* smaf_open() done */
	struct smaf_stats base;
	struct track t;
};

static int rules_write(const char *line)
{
	return smaf_write_str(RULES_PATH, line);
}

/* RAM entirely below 4 GiB: the 2 GiB VM, and most boards. */
static bool ram_below_4g(void)
{
	char buf[4096], *p;
	unsigned long long kb = 0;

	if (smaf_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return false;
	p = strstr(buf, "MemTotal:");
	if (p)
		kb = strtoull(p + 9, NULL, 10);
	return kb && kb < 3ULL * 1024 * 1024;
}

/* Reads every log record since the last call; 1 if one has @a and @b. */
static int kmsg_find(int fd, char *out, size_t len, const char *a,
		     const char *b)
{
	char rec[2048], *msg, *nl;
	int found = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (found || (a && !strstr(msg, a)) || (b && !strstr(msg, b)))
			continue;
		found = 1;
		if (out)
			snprintf(out, len, "%.*s", (int)len - 1, msg);
	}
	return found;
}

/*
 * Before an action whose log line a test looks for: SMAF rate-limits the
 * lines userspace can cause (10 per 5 s per call site), so let the window
 * of earlier refusals pass, then skip what is logged.
 */
static void kmsg_mark(int fd)
{
	usleep(5200 * 1000);
	kmsg_find(fd, NULL, 0, NULL, NULL);
}

FIXTURE(contig) {
	struct ctx c;
};

FIXTURE_SETUP(contig)
{
	struct ctx *c = &self->c;

	c->dev = c->td = c->kmsg = -1;
	ASSERT_EQ(0, rules_write("clear\n"));
	c->dev = smaf_dev_open();
	ASSERT_LE(0, c->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH, strerror(-c->dev));
	c->td = testdev_open();
	ASSERT_LE(0, c->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH, strerror(-c->td));
	c->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, c->kmsg);
	lseek(c->kmsg, 0, SEEK_END);
	ASSERT_EQ(0, smaf_open());
	c->lib = true;
	ASSERT_EQ(0, smaf_stats_read(&c->base));
}

FIXTURE_TEARDOWN(contig)
{
	struct ctx *c = &self->c;
	char msg[2 * SMAF_STATS_STRLEN];

	track_unmap_all(&c->t);
	if (c->td >= 0)
		close(c->td);
	track_close_all(&c->t);
	if (c->lib)
		smaf_close();
	if (c->dev >= 0)
		close(c->dev);
	if (c->kmsg >= 0)
		close(c->kmsg);
	if (rules_write("clear\n")) {
		TH_LOG("cannot clear the constraints table");
		_metadata->passed = 0;
	}
	if (!smaf_stats_back(&c->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

static int new_buf(struct __test_metadata *_metadata, struct ctx *c,
		   uint64_t size)
{
	int fd, ret;

	ret = track_create(&c->t, c->dev, size, SMAF_RDWR | SMAF_CLOEXEC, NULL,
			   &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	return fd;
}

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       struct ctx *c, int fd)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = smaf_raw_buffer_info(c->dev, fd, &bi);
	ASSERT_EQ(0, ret) TH_LOG("BUFFER_INFO: %s", strerror(-ret));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

/*
 * Is the buffer's memory contiguous? Probed the way a device meets it,
 * while @h (a mapping) holds the memory so that nothing moves: dma64b with
 * a "contiguous" rule attaches only to contiguous memory.
 */
static bool probe_contiguous(struct __test_metadata *_metadata,
			     struct ctx *c, int fd)
{
	uint32_t hp;
	int ret;

	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	ret = testdev_attach(c->td, fd, D64B, &hp);
	if (ret == 0)
		testdev_detach(c->td, hp);
	ASSERT_EQ(0, rules_write("-" TD(3) "\n"));
	ASSERT_TRUE(ret == 0 || ret == -EBUSY) TH_LOG("probe: %s", strerror(-ret));
	return ret == 0;
}

/*
 * The selection matrix: first use by @mapper (-1: the CPU) with devices
 * @attach attached and @declare declared; the allocator SMAF chose and,
 * when @contiguous, that the memory is contiguous (probed while dma64
 * holds it mapped). Scattered pages may happen to be adjacent: that a
 * scatter-gather buffer is not contiguous is never asserted.
 */
static void expect_choice(struct __test_metadata *_metadata, struct ctx *c,
			  const char *what, unsigned int attach,
			  unsigned int declare, int mapper, const char *want,
			  bool contiguous)
{
	uint32_t h[SMAF_TESTDEV_COUNT] = { 0 }, hold;
	char name[64];
	unsigned int i;
	int fd, ret;
	void *p;

	fd = new_buf(_metadata, c, 256 * KiB);
	for (i = 0; i < SMAF_TESTDEV_COUNT; i++) {
		if (declare & B(i)) {
			snprintf(name, sizeof(name), "platform:smaf-testdev.%u", i);
			ASSERT_EQ(0, smaf_add_consumer(fd, name));
		}
		if (attach & B(i))
			ASSERT_EQ(0, testdev_attach(c->td, fd, i, &h[i]));
	}
	if (mapper < 0) {
		ret = track_mmap(&c->t, fd, 256 * KiB, 0, true, &p);
	} else {
		ret = testdev_map(c->td, h[mapper], SMAF_TESTDEV_BIDIRECTIONAL,
				  NULL, NULL);
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: first use: %s", what, strerror(-ret));
	EXPECT_STREQ(want, (char *)info_of(_metadata, c, fd).allocator)
		TH_LOG("%s", what);
	if (contiguous) {
		ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, &hold, NULL));
		EXPECT_TRUE(probe_contiguous(_metadata, c, fd))
			TH_LOG("%s: not contiguous", what);
		ASSERT_EQ(0, testdev_unmap_detach(c->td, hold));
	}
	track_close(&c->t, fd);
	for (i = 0; i < SMAF_TESTDEV_COUNT; i++)
		if (h[i])
			testdev_unmap_detach(c->td, h[i]);
}

TEST_F(contig, selection_matrix)
{
	struct ctx *c = &self->c;

	TH_LOG("RAM %s 4 GiB", ram_below_4g() ? "all below" : "also above");
	/* Declared scatter-gather, and the CPU: scattered pages. */
	expect_choice(_metadata, c, "dma64", B(D64), 0, D64, SYSTEM, false);
	expect_choice(_metadata, c, "dma64 + dma64b", B(D64) | B(D64B), 0, D64,
		      SYSTEM, false);
	expect_choice(_metadata, c, "CPU only", 0, 0, -1, SYSTEM, false);
	/* Nothing declared, no IOMMU: contiguous, whatever the RAM size. */
	expect_choice(_metadata, c, "dma64c", B(D64C), 0, D64C, CMA, true);
	expect_choice(_metadata, c, "dma64 + dma64c", B(D64) | B(D64C), 0, D64,
		      CMA, true);
	expect_choice(_metadata, c, "dma64 + declared dma64c", B(D64), B(D64C),
		      D64, CMA, true);
	expect_choice(_metadata, c, "CPU first, dma64c attached", B(D64C), 0, -1,
		      CMA, true);
	expect_choice(_metadata, c, "dma32", B(D32), 0, D32, CMA, true);
	expect_choice(_metadata, c, "dma64 + declared dma32", B(D64), B(D32),
		      D64, CMA, true);
	/* Root says dma64c follows scatter-gather lists. */
	ASSERT_EQ(0, rules_write(TD(4) " sg\n"));
	expect_choice(_metadata, c, "dma64c, rule sg", B(D64C), 0, D64C, SYSTEM,
		      false);
	ASSERT_EQ(0, rules_write("clear\n"));
	/* And root overrides dma64's declaration. */
	ASSERT_EQ(0, rules_write(TD(0) " contiguous\n"));
	expect_choice(_metadata, c, "dma64, rule contiguous", B(D64), 0, D64,
		      CMA, true);
	/* A limit alone keeps the declaration's scatter-gather. */
	ASSERT_EQ(0, rules_write(TD(0) " dma-bits=40\n"));
	expect_choice(_metadata, c, "dma64, rule dma-bits=40", B(D64), 0, D64,
		      SYSTEM, false);
}

/* vgem, a platform device without IOMMU or declaration, imports. */
TEST_F(contig, vgem_contiguous_unless_sg)
{
	struct ctx *c = &self->c;
	uint32_t handle;
	int drm, fd, ret, i;

	drm = smaf_vgem_open();
	ASSERT_LE(0, drm) TH_LOG("no vgem: %s", strerror(-drm));
	for (i = 0; i < 2; i++) {
		if (i)
			ASSERT_EQ(0, rules_write("platform:vgem sg\n"));
		fd = new_buf(_metadata, c, 512 * KiB);
		ret = smaf_vgem_import(drm, fd, &handle);
		ASSERT_EQ(0, ret) TH_LOG("import: %s", strerror(-ret));
		EXPECT_STREQ(i ? SYSTEM : CMA,
			     (char *)info_of(_metadata, c, fd).allocator);
		EXPECT_EQ(0, smaf_vgem_close_handle(drm, handle));
		track_close(&c->t, fd);
	}
	close(drm);
}

/* The rule words: "sg" and "contiguous" exclude each other. */
TEST_F(contig, rule_words)
{
	char got[4096];

	EXPECT_EQ(-EINVAL, rules_write(TD(4) " sg contiguous\n"));
	EXPECT_EQ(-EINVAL, rules_write(TD(4) " contiguous sg\n"));
	EXPECT_EQ(-EINVAL, rules_write(TD(4) " sg sg\n"));
	EXPECT_EQ(-EINVAL, rules_write(TD(4) " sg=1\n"));
	ASSERT_EQ(0, rules_write(TD(4) " sg dma-bits=36\n"));
	ASSERT_LE(0, smaf_read_file(RULES_PATH, got, sizeof(got)));
	EXPECT_STREQ(TD(4) " sg dma-bits=36\n", got);
	/* Drivers' declarations are not root's rules: clear keeps them. */
	ASSERT_EQ(0, rules_write("clear\n"));
	ASSERT_LE(0, smaf_read_file(RULES_PATH, got, sizeof(got)));
	EXPECT_STREQ("", got);
	ASSERT_LE(0, smaf_read_file("/sys/kernel/debug/smaf/declarations", got,
				    sizeof(got)));
	EXPECT_NE(NULL, strstr(got, TD(0) " sg\n")) TH_LOG("%s", got);
	EXPECT_NE(NULL, strstr(got, TD(3) " sg\n")) TH_LOG("%s", got);
	EXPECT_EQ(NULL, strstr(got, TD(4))) TH_LOG("%s", got);
}

/*
 * Late attach: scattered memory the CPU got first moves, content kept, to
 * contiguous memory when dma64c attaches and nothing holds it; while dma64
 * maps it, dma64c is refused with EBUSY and one log line.
 */
TEST_F(contig, late_attach_moves_to_contiguous)
{
	struct ctx *c = &self->c;
	const uint64_t size = 1 * MiB + 68 * KiB;
	struct smaf_buffer_info bi;
	char line[1024], id[48];
	uint32_t h64, hc;
	uint64_t sum;
	int fd, ret, i;
	void *p;

	/*
	 * Mapped by dma64: the attach is refused and nothing moves. Scattered
	 * chunks may happen to be adjacent: take a buffer whose are not.
	 */
	for (i = 0, fd = -1; i < 8; i++) {
		if (fd >= 0) {
			testdev_unmap_detach(c->td, h64);
			track_close(&c->t, fd);
		}
		fd = new_buf(_metadata, c, size);
		ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, &h64, NULL));
		if (!probe_contiguous(_metadata, c, fd))
			break;
	}
	if (i == 8)
		SKIP(return, "smaf-system gave contiguous pages 8 times");
	ASSERT_EQ(0, testdev_write(c->td, h64, 0xc0, 0, size));
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	kmsg_mark(c->kmsg);
	ret = testdev_attach(c->td, fd, D64C, &hc);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("attach while mapped: %s", strerror(-ret));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "it needs contiguous memory"));
	TH_LOG("log: %s", line);
	ASSERT_EQ(0, testdev_unmap(c->td, h64));

	/* Nothing holds it: it moves, the CPU mapping follows. */
	ASSERT_EQ(0, track_mmap(&c->t, fd, size, 0, true, &p));
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64C, &hc));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.migrations);
	EXPECT_STREQ(CMA, (char *)bi.allocator);
	ASSERT_EQ(0, testdev_map(c->td, hc, SMAF_TESTDEV_TO_DEVICE, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, hc, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0xc0, 0, size), sum);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, 0xc0, 0, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	EXPECT_TRUE(probe_contiguous(_metadata, c, fd));
}

/*
 * No contiguous allocator: with smaf-cma unloaded, a map by a device that
 * needs contiguous memory fails with ENODEV and one log line naming the
 * device and the size; nothing is allocated, never scattered memory; the
 * same buffer maps once smaf-cma is back.
 */
TEST_F(contig, no_contiguous_allocator)
{
	struct ctx *c = &self->c;
	const uint64_t size = 1 * MiB;
	char path[512], line[1024], id[48];
	uint32_t h;
	int fd, ret;

	ASSERT_EQ(0, module_find("smaf-cma", path, sizeof(path)));
	ret = module_delete("smaf_cma");
	ASSERT_EQ(0, ret) TH_LOG("rmmod smaf-cma: %s", strerror(-ret));
	fd = new_buf(_metadata, c, size);
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64C, &h));
	kmsg_mark(c->kmsg);
	ret = testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("map: %s", strerror(-ret));
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id, "1048576 bytes"));
	EXPECT_NE(NULL, strstr(line, "smaf-testdev.4")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "needs contiguous memory")) TH_LOG("%s", line);
	TH_LOG("log: %s", line);
	ret = module_load(path, "");
	ASSERT_EQ(0, ret) TH_LOG("insmod smaf-cma: %s", strerror(-ret));
	ASSERT_EQ(0, testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	EXPECT_STREQ(CMA, (char *)info_of(_metadata, c, fd).allocator);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
}

/*
 * Without CMA (Debian's kernel) a contiguous block is at most 4 MiB: an
 * 8 MiB buffer for dma64c is refused with ENODEV, never scattered.
 */
TEST_F(contig, too_big_for_contiguous)
{
	struct ctx *c = &self->c;
	struct smaf_allocator_info ai;
	uint32_t h;
	int fd, ret, i;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, smaf_allocator_info(i, &ai));
		ai.name[SMAF_NAME_LEN - 1] = 0;
		if (!strcmp((char *)ai.name, CMA))
			break;
	}
	if (!ai.max_size || ai.max_size >= 64 * MiB)
		SKIP(return, "smaf-cma serves %llu bytes (CMA)",
		     (unsigned long long)ai.max_size);
	fd = new_buf(_metadata, c, ai.max_size + 4 * KiB);
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64C, &h));
	ret = testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("map: %s", strerror(-ret));
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	ASSERT_EQ(0, testdev_detach(c->td, h));
}

/*
 * vivid in dma-contig mode (videobuf2-dma-contig) with a wrong "sg" rule:
 * where scattered memory reaches it (RAM below 4 GiB) SMAF hands it
 * smaf-system pages and QBUF fails with EFAULT, videobuf2 logging
 * "contiguous chunk is too small"; with RAM above 4 GiB smaf-system cannot
 * reach the 32-bit device, smaf-cma serves it and QBUF succeeds.
 */
TEST_F(contig, vivid_with_sg_rule)
{
	struct ctx *c = &self->c;
	struct v4l2_requestbuffers rb = {
		.count = 1,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	char path[32], line[512];
	bool low = ram_below_4g();
	int vfd, fd, ret;
	size_t size;

	if (vivid_mode() != 1)
		SKIP(return, "vivid not loaded with allocators=1");
	vfd = vivid_open_capture(path, sizeof(path));
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, smaf_xioctl(vfd, VIDIOC_G_FMT, &f));
	size = (f.fmt.pix.sizeimage + 4095) & ~4095UL;
	ASSERT_EQ(0, smaf_xioctl(vfd, VIDIOC_REQBUFS, &rb));
	ASSERT_EQ(0, rules_write("platform:vivid.0 sg\n"));
	fd = new_buf(_metadata, c, size);
	kmsg_mark(c->kmsg);
	ret = vivid_qbuf(vfd, 0, fd, size);
	if (low) {
		EXPECT_EQ(-EFAULT, ret) TH_LOG("QBUF: %s", strerror(-ret));
		EXPECT_STREQ(SYSTEM, (char *)info_of(_metadata, c, fd).allocator);
		EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line),
				      "contiguous chunk is too small", NULL));
	} else {
		EXPECT_EQ(0, ret) TH_LOG("QBUF: %s", strerror(-ret));
		EXPECT_STREQ(CMA, (char *)info_of(_metadata, c, fd).allocator);
	}
	rb.count = 0;
	ASSERT_EQ(0, smaf_xioctl(vfd, VIDIOC_REQBUFS, &rb));
	close(vfd);
}

TEST_HARNESS_MAIN
