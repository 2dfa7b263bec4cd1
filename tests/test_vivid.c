// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF buffers as V4L2_MEMORY_DMABUF capture buffers of a real V4L2
 * driver, vivid.
 *
 *  - vivid allocators=1 (videobuf2-dma-contig, 32-bit DMA mask): QBUF maps
 *    the buffer with dma_buf_map_attachment(), which allocates it, below
 *    4 GiB.
 *  - vivid allocators=0, the default (videobuf2-vmalloc): QBUF imports it
 *    with dma_buf_vmap() only (no attachment): SMAF's kernel CPU mapping,
 *    which exists only for a buffer that already has memory (on 6.1 a vmap
 *    that fails is a WARN, so SMAF never allocates in one): a fresh buffer
 *    is refused (EFAULT) and stays unallocated; one given memory first
 *    (here with DMA_BUF_IOCTL_SYNC) is captured into.
 *
 * Usage: test_vivid [allocators=0|1]  (or SMAF_VIVID_ALLOCATORS=0|1): the
 * mode the suite loaded vivid with; the test fails when vivid runs in the
 * other one. Without it, the mode is read from
 * /sys/module/vivid/parameters/allocators.
 *
 * Needs smaf, smaf-cma, smaf-testdev and vivid loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "common/vivid.h"

#define CMA_NAME	"smaf-cma"
#define MAX_SIZEIMAGE	(4U * 1024 * 1024)
#define NBUF		4
#define NFRAMES		8
#define FRAME_POLL_MS	20000	/* TCG is slow */
#define STREAM_MS	300000

static int expected_mode = -1;	/* from argv or the environment */

static uint64_t fnv(const uint8_t *p, size_t len)
{
	return cksum_bytes(p, len);
}

FIXTURE(vivid) {
	int dev;		/* /dev/smaf */
	int vfd;		/* vivid capture node */
	int mode;		/* vivid allocators: 0 vmalloc, 1 dma-contig */
	struct smaf_stats base;
	struct v4l2_format fmt;
	size_t size;		/* SMAF buffer size */
	int fds[NBUF];
	unsigned int nbuf;
	bool streaming;
	const char *alloc;	/* the allocator SMAF must pick for vivid */
};

FIXTURE_SETUP(vivid)
{
	struct v4l2_format *f = &self->fmt;
	char path[32];
	int ret, i;

	for (i = 0; i < NBUF; i++)
		self->fds[i] = -1;
	self->vfd = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open " SMAF_DEV_PATH ": %s",
				       strerror(-self->dev));
	ASSERT_EQ(0, smaf_stats_read(&self->base));

	self->mode = vivid_mode();
	ASSERT_LE(0, self->mode) TH_LOG("vivid not loaded: %s", strerror(-self->mode));
	if (expected_mode >= 0)
		ASSERT_EQ(expected_mode, self->mode)
			TH_LOG("vivid runs with allocators=%d, the suite asked for %d",
			       self->mode, expected_mode);
	TH_LOG("vivid allocators=%d (%s)", self->mode,
	       self->mode == 1 ? "dma-contig: dma_buf_map_attachment" :
				 "vmalloc: dma_buf_vmap");

	/*
	 * dma-contig vivid has a 32-bit DMA mask: only smaf-cma serves it
	 * (the VM has more than 4 GiB). vmalloc vivid attaches no device.
	 */
	self->alloc = self->mode == 1 ? CMA_NAME : general_allocator(self->dev);
	ASSERT_STRNE("", self->alloc);

	self->vfd = vivid_open_capture(path, sizeof(path));
	ASSERT_LE(0, self->vfd) TH_LOG("no vivid capture node");

	memset(f, 0, sizeof(*f));
	f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ret = smaf_xioctl(self->vfd, VIDIOC_G_FMT, f);
	ASSERT_EQ(0, ret) TH_LOG("G_FMT: %s", strerror(-ret));
	if (f->fmt.pix.sizeimage == 0 || f->fmt.pix.sizeimage > MAX_SIZEIMAGE) {
		f->fmt.pix.width = 640;
		f->fmt.pix.height = 360;
		f->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
		f->fmt.pix.field = V4L2_FIELD_NONE;
		ret = smaf_xioctl(self->vfd, VIDIOC_S_FMT, f);
		ASSERT_EQ(0, ret) TH_LOG("S_FMT: %s", strerror(-ret));
	}
	ASSERT_LT(0, f->fmt.pix.sizeimage);
	ASSERT_GE(MAX_SIZEIMAGE, f->fmt.pix.sizeimage);
	self->size = (f->fmt.pix.sizeimage + smaf_page_size() - 1) &
		     ~(smaf_page_size() - 1);
	TH_LOG("%s: %ux%u %.4s sizeimage %u, buffers of %zu bytes", path,
	       f->fmt.pix.width, f->fmt.pix.height,
	       (char *)&f->fmt.pix.pixelformat, f->fmt.pix.sizeimage, self->size);
}

FIXTURE_TEARDOWN(vivid)
{
	char s1[SMAF_STATS_STRLEN], s2[SMAF_STATS_STRLEN];
	struct v4l2_requestbuffers rb;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct smaf_stats now;
	int i;

	if (self->vfd >= 0) {
		if (self->streaming)
			smaf_xioctl(self->vfd, VIDIOC_STREAMOFF, &type);
		memset(&rb, 0, sizeof(rb));
		rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		rb.memory = V4L2_MEMORY_DMABUF;
		smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb);
		close(self->vfd);
	}
	for (i = 0; i < NBUF; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (self->dev >= 0)
		close(self->dev);
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
	ASSERT_EQ(0, ret) TH_LOG("BUFFER_INFO: %s", strerror(-ret));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

/*
 * videobuf2-vmalloc needs a buffer with memory: QBUF of a fresh one fails
 * with EFAULT (the dma-buf core's -EINVAL, as vb2 reports it), leaves it
 * unallocated and attaches nothing; a SYNC bracket then gives it memory.
 */
static void vmalloc_ready(struct __test_metadata *_metadata, int vfd,
			  int dev, unsigned int i, int fd, size_t size)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = vivid_qbuf(vfd, i, fd, size);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("QBUF %u of a fresh buffer: %s", i,
				       strerror(-ret));
	bi = info_of(_metadata, dev, fd);
	EXPECT_EQ(0, bi.allocated) TH_LOG("buffer %u", i);
	EXPECT_EQ(0, bi.cpu_mappings) TH_LOG("buffer %u", i);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(1, info_of(_metadata, dev, fd).allocated) TH_LOG("buffer %u", i);
}

/* What vivid's import must show on a queued buffer. */
static void expect_imported(struct __test_metadata *_metadata, int mode,
			    const char *alloc, const struct smaf_buffer_info *bi,
			    unsigned int i)
{
	EXPECT_EQ(1, bi->allocated) TH_LOG("buffer %u", i);
	EXPECT_STREQ(alloc, (char *)bi->allocator) TH_LOG("buffer %u", i);
	if (mode == 1) {
		EXPECT_EQ(1, bi->attachments) TH_LOG("buffer %u", i);
		EXPECT_EQ(1, bi->device_mappings) TH_LOG("buffer %u", i);
	} else {
		/* videobuf2-vmalloc does not attach, it vmaps. */
		EXPECT_EQ(0, bi->attachments) TH_LOG("buffer %u", i);
		EXPECT_EQ(0, bi->device_mappings) TH_LOG("buffer %u", i);
		EXPECT_LE(1, bi->cpu_mappings) TH_LOG("buffer %u", i);
	}
}

TEST_F_TIMEOUT(vivid, capture_into_smaf, 900)
{
	struct v4l2_requestbuffers rb;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint64_t hashes[NFRAMES];
	struct smaf_buffer_info bi;
	unsigned int i, frames = 0, errors = 0;
	uint64_t deadline;
	int ret;

	memset(&rb, 0, sizeof(rb));
	rb.count = NBUF;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ret = smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb);
	ASSERT_EQ(0, ret) TH_LOG("REQBUFS DMABUF: %s", strerror(-ret));
	ASSERT_LE(2, rb.count);
	ASSERT_GE(NBUF, rb.count);
	self->nbuf = rb.count;

	for (i = 0; i < self->nbuf; i++) {
		ret = smaf_raw_create(self->dev, self->size, SMAF_RDWR | SMAF_CLOEXEC,
				      NULL, &self->fds[i]);
		ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
		EXPECT_EQ(0, info_of(_metadata, self->dev, self->fds[i]).allocated);
	}
	for (i = 0; i < self->nbuf; i++) {
		if (self->mode == 0)
			vmalloc_ready(_metadata, self->vfd, self->dev, i,
				      self->fds[i], self->size);
		ret = vivid_qbuf(self->vfd, i, self->fds[i], self->size);
		ASSERT_EQ(0, ret) TH_LOG("QBUF %u: %s", i, strerror(-ret));
		bi = info_of(_metadata, self->dev, self->fds[i]);
		expect_imported(_metadata, self->mode, self->alloc, &bi, i);
	}

	ret = smaf_xioctl(self->vfd, VIDIOC_STREAMON, &type);
	ASSERT_EQ(0, ret) TH_LOG("STREAMON: %s", strerror(-ret));
	self->streaming = true;

	deadline = now_ms() + STREAM_MS;
	while (frames < NFRAMES) {
		struct pollfd pfd = { .fd = self->vfd, .events = POLLIN };
		struct v4l2_buffer b;
		uint8_t *p;
		uint64_t h;
		unsigned int k;

		ASSERT_GT(deadline, now_ms()) TH_LOG("only %u frames in %d s",
						     frames, STREAM_MS / 1000);
		ret = poll(&pfd, 1, FRAME_POLL_MS);
		ASSERT_LE(0, ret);
		ASSERT_LT(0, ret) TH_LOG("no frame within %d ms (%u so far)",
					 FRAME_POLL_MS, frames);
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_DMABUF;
		ret = smaf_xioctl(self->vfd, VIDIOC_DQBUF, &b);
		if (ret == -EAGAIN)
			continue;
		ASSERT_EQ(0, ret) TH_LOG("DQBUF: %s", strerror(-ret));
		ASSERT_GT(self->nbuf, b.index);
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			ASSERT_GT(8, ++errors) TH_LOG("too many error frames");
			ASSERT_EQ(0, vivid_qbuf(self->vfd, b.index, self->fds[b.index],
					  self->size));
			continue;
		}
		ASSERT_LT(0, b.bytesused);
		ASSERT_GE(self->size, b.bytesused);

		/* While vivid holds the buffer: still imported as at QBUF. */
		bi = info_of(_metadata, self->dev, self->fds[b.index]);
		expect_imported(_metadata, self->mode, self->alloc, &bi, b.index);

		/* The frame, read through SMAF's own mapping. */
		p = mmap(NULL, self->size, PROT_READ, MAP_SHARED,
			 self->fds[b.index], 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, dmabuf_sync(self->fds[b.index],
					 DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		EXPECT_NE(-1, bytes_mismatch(p, 0, b.bytesused))
			TH_LOG("frame %u (buffer %u, seq %u) is all zero",
			       frames, b.index, b.sequence);
		h = fnv(p, b.bytesused);
		ASSERT_EQ(0, dmabuf_sync(self->fds[b.index],
					 DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		munmap(p, self->size);
		for (k = 0; k < frames; k++)
			EXPECT_NE(hashes[k], h)
				TH_LOG("frame %u (seq %u) equals frame %u",
				       frames, b.sequence, k);
		hashes[frames++] = h;
		TH_LOG("frame %u: buffer %u seq %u bytesused %u hash %016llx",
		       frames - 1, b.index, b.sequence, b.bytesused,
		       (unsigned long long)h);

		ret = vivid_qbuf(self->vfd, b.index, self->fds[b.index], self->size);
		ASSERT_EQ(0, ret) TH_LOG("re-QBUF %u: %s", b.index, strerror(-ret));
	}

	ret = smaf_xioctl(self->vfd, VIDIOC_STREAMOFF, &type);
	ASSERT_EQ(0, ret) TH_LOG("STREAMOFF: %s", strerror(-ret));
	self->streaming = false;
	memset(&rb, 0, sizeof(rb));
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ret = smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb);
	ASSERT_EQ(0, ret) TH_LOG("REQBUFS 0: %s", strerror(-ret));

	/* vivid let go: no attachment, no mapping, memory still there. */
	for (i = 0; i < self->nbuf; i++) {
		bi = info_of(_metadata, self->dev, self->fds[i]);
		EXPECT_EQ(1, bi.allocated);
		EXPECT_EQ(0, bi.attachments) TH_LOG("buffer %u", i);
		EXPECT_EQ(0, bi.device_mappings) TH_LOG("buffer %u", i);
		EXPECT_EQ(0, bi.cpu_mappings) TH_LOG("buffer %u", i);
	}

	/*
	 * dma-contig vivid has a 32-bit DMA mask: memory allocated for it lies
	 * below 4 GiB, so the dma32 test device may join; and it reads what
	 * the CPU reads.
	 */
	if (self->mode == 1) {
		int td = testdev_open();
		uint64_t sum = 0, dma = 0;
		uint32_t h;
		uint8_t *p;

		ASSERT_LE(0, td);
		ret = testdev_attach(td, self->fds[0], SMAF_TESTDEV_DMA32, &h);
		EXPECT_EQ(0, ret) TH_LOG("dma32 attach to vivid's memory: %s",
					 strerror(-ret));
		if (ret == 0) {
			ASSERT_EQ(0, testdev_map(td, h, SMAF_TESTDEV_BIDIRECTIONAL,
						 NULL, &dma));
			EXPECT_GE(4ULL << 30, dma + self->size);
			ASSERT_EQ(0, testdev_checksum(td, h, 0, self->size, &sum));
			p = mmap(NULL, self->size, PROT_READ, MAP_SHARED,
				 self->fds[0], 0);
			ASSERT_NE(MAP_FAILED, p);
			EXPECT_EQ(cksum_bytes(p, self->size), sum);
			munmap(p, self->size);
		}
		close(td);
	}

	close(self->vfd);
	self->vfd = -1;
	for (i = 0; i < self->nbuf; i++) {
		close(self->fds[i]);
		self->fds[i] = -1;
	}
}

/* REQBUFS 0 without streaming releases every import too. */
TEST_F_TIMEOUT(vivid, queue_and_release, 300)
{
	struct v4l2_requestbuffers rb;
	struct smaf_buffer_info bi;
	unsigned int i;
	int ret;

	memset(&rb, 0, sizeof(rb));
	rb.count = NBUF;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb));
	self->nbuf = rb.count;
	for (i = 0; i < self->nbuf; i++) {
		ASSERT_EQ(0, smaf_raw_create(self->dev, self->size, SMAF_RDWR,
					     NULL, &self->fds[i]));
		if (self->mode == 0)
			vmalloc_ready(_metadata, self->vfd, self->dev, i,
				      self->fds[i], self->size);
		ret = vivid_qbuf(self->vfd, i, self->fds[i], self->size);
		ASSERT_EQ(0, ret) TH_LOG("QBUF %u: %s", i, strerror(-ret));
		bi = info_of(_metadata, self->dev, self->fds[i]);
		expect_imported(_metadata, self->mode, self->alloc, &bi, i);
	}
	memset(&rb, 0, sizeof(rb));
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb));
	for (i = 0; i < self->nbuf; i++) {
		bi = info_of(_metadata, self->dev, self->fds[i]);
		EXPECT_EQ(0, bi.attachments);
		EXPECT_EQ(0, bi.device_mappings);
		EXPECT_EQ(0, bi.cpu_mappings);
	}
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *env = getenv("SMAF_VIVID_ALLOCATORS");
	int i;

	if (env && *env)
		expected_mode = atoi(env);
	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "allocators=", 11) == 0)
			expected_mode = atoi(argv[i] + 11);
	}
	return test_harness_run(argc, argv);
}
