// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel vmap importers (videobuf2-vmalloc: vivid allocators=0, uvcvideo)
 * can never reach a WARN through SMAF. Linux 6.1's dma_buf_vmap() turns a
 * failing exporter vmap into WARN_ON_ONCE (a panic with panic_on_warn, as
 * this VM boots), and reads the ops' vmap twice, unlocked then locked. So
 * SMAF never allocates in vmap and never takes vmap away from a buffer:
 * a buffer's ops gain vmap once it has memory that is not secure.
 *
 *  - A fresh buffer is refused by the dma-buf core (-EINVAL; QBUF reports
 *    EFAULT) and stays unallocated, whatever would have made an allocation
 *    fail: a declared consumer no allocator serves, max_total_size, or the
 *    queueing process being killed. Each cause is then met where memory is
 *    allocated (SYNC, mmap, a device map) with its own errno.
 *  - A buffer given memory first is vmapped and captured into.
 *  - A secure buffer is never vmapped, before or after it has memory.
 *  - Two threads queue the same fresh fd to two vivid instances while a
 *    third sets the secure flag and a fourth may give it memory: in a loop,
 *    every outcome is consistent and the kernel never warns.
 *
 * Needs root, smaf, smaf-system, smaf-cma, smaf-testdev, smaf-secure-dummy
 * and vivid loaded with n_devs=2 allocators=0,0 (tests/vm/suites.d).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
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
#define NR_VIVID	2

FIXTURE(vmap) {
	int dev;
	int td;
	int vfd[NR_VIVID];	/* capture nodes of two vivid instances */
	size_t size;		/* their sizeimage, page-aligned */
	bool lib;
	struct smaf_stats base;
	struct track t;
};

/* The capture node of vivid instance @n ("platform:vivid-00n"). */
static int open_vivid(unsigned int n)
{
	struct v4l2_capability cap;
	char name[32], bus[32];
	int i, fd;

	snprintf(bus, sizeof(bus), "platform:vivid-%03u", n);
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "/dev/video%d", i);
		fd = open(name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!smaf_xioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.bus_info, bus) &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    !(cap.device_caps & V4L2_CAP_TOUCH))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

FIXTURE_SETUP(vmap)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned int i;

	self->td = -1;
	for (i = 0; i < NR_VIVID; i++)
		self->vfd[i] = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH,
				       strerror(-self->dev));
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_open());
	self->lib = true;
	ASSERT_EQ(0, vivid_mode()) TH_LOG("vivid must run with allocators=0");
	for (i = 0; i < NR_VIVID; i++) {
		self->vfd[i] = open_vivid(i);
		ASSERT_LE(0, self->vfd[i]) TH_LOG("no capture node of vivid %u", i);
	}
	ASSERT_EQ(0, smaf_xioctl(self->vfd[0], VIDIOC_G_FMT, &f));
	self->size = (f.fmt.pix.sizeimage + smaf_page_size() - 1) &
		     ~(smaf_page_size() - 1);
	/* One buffer asked for (vivid rounds the count up); index 0 used. */
	for (i = 0; i < NR_VIVID; i++)
		ASSERT_LE(1, vivid_reqbufs(self->vfd[i], 1));
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

FIXTURE_TEARDOWN(vmap)
{
	char msg[2 * SMAF_STATS_STRLEN];
	unsigned int i;

	for (i = 0; i < NR_VIVID; i++) {
		if (self->vfd[i] < 0)
			continue;
		vivid_reqbufs(self->vfd[i], 0);
		close(self->vfd[i]);
	}
	if (self->td >= 0)
		close(self->td);
	track_unmap_all(&self->t);
	track_close_all(&self->t);
	if (self->lib)
		smaf_close();
	if (self->dev >= 0)
		close(self->dev);
	if (!smaf_stats_back(&self->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

static int new_buf(struct __test_metadata *_metadata,
		   FIXTURE_DATA(vmap) *self, uint64_t size)
{
	int fd, ret;

	ret = track_create(&self->t, self->dev, size, SMAF_RDWR | SMAF_CLOEXEC,
			   NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	return fd;
}

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       FIXTURE_DATA(vmap) *self, int fd)
{
	struct smaf_buffer_info bi;

	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	return bi;
}

/* vivid @n gives its buffer back, so that index 0 can be queued again. */
static void vivid_release(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vmap) *self, unsigned int n)
{
	ASSERT_EQ(0, vivid_reqbufs(self->vfd[n], 0));
	ASSERT_LE(1, vivid_reqbufs(self->vfd[n], 1));
}

/* QBUF of @fd refused cleanly: EFAULT, no memory, no mapping. */
static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(vmap) *self, int fd, const char *what)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = vivid_qbuf(self->vfd[0], 0, fd, self->size);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("%s: QBUF: %s", what, strerror(-ret));
	bi = info_of(_metadata, self, fd);
	EXPECT_EQ(0, bi.allocated) TH_LOG("%s", what);
	EXPECT_EQ(0, bi.cpu_mappings) TH_LOG("%s", what);
}

TEST_F(vmap, fresh_buffer_refused)
{
	int fd = new_buf(_metadata, self, self->size);

	expect_refused(_metadata, self, fd, "fresh buffer");
	expect_refused(_metadata, self, fd, "fresh buffer, again");
}

TEST_F(vmap, populated_buffer_vmapped)
{
	struct smaf_buffer_info bi;
	int fd = new_buf(_metadata, self, self->size);

	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, vivid_qbuf(self->vfd[0], 0, fd, self->size));
	bi = info_of(_metadata, self, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(1, bi.cpu_mappings) TH_LOG("vivid's vmap");
	vivid_release(_metadata, self, 0);
	EXPECT_EQ(0, info_of(_metadata, self, fd).cpu_mappings);
}

/* A consumer no allocator serves (30 bits): ENODEV where memory is made. */
TEST_F(vmap, unservable_consumer)
{
	int fd = new_buf(_metadata, self, self->size), ret;

	ASSERT_EQ(0, smaf_add_consumer(fd, "platform:smaf-testdev.2"));
	expect_refused(_metadata, self, fd, "30-bit consumer");
	ret = dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("sync: %s", strerror(-ret));
	expect_refused(_metadata, self, fd, "30-bit consumer, after SYNC");
}

/* max_total_size reached: ENOMEM where memory is made. */
TEST_F(vmap, total_size_reached)
{
	uint64_t saved;
	int fd = new_buf(_metadata, self, self->size), ret;

	ASSERT_EQ(0, smaf_param_read("max_total_size", &saved));
	ASSERT_EQ(0, smaf_param_write("max_total_size", 0));
	expect_refused(_metadata, self, fd, "max_total_size 0");
	ret = dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	smaf_param_write("max_total_size", saved);
	EXPECT_EQ(-ENOMEM, ret) TH_LOG("sync: %s", strerror(-ret));
	EXPECT_EQ(0, info_of(_metadata, self, fd).allocated);
}

/*
 * The queueing process is killed while it queues a large fresh buffer,
 * again and again: nothing is allocated for it, nothing is left mapped.
 */
TEST_F(vmap, killed_while_queueing)
{
	int fd = new_buf(_metadata, self, 32 * MiB), i, st;
	pid_t pid;

	for (i = 0; i < 20; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			for (;;)
				vivid_qbuf(self->vfd[0], 0, fd, 32 * MiB);
		}
		usleep(1000 * (i % 5));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
	}
	expect_refused(_metadata, self, fd, "after the kills");
}

/* A secure buffer has no kernel vmap, with memory or without. */
TEST_F(vmap, secure_never_vmapped)
{
	int fd = new_buf(_metadata, self, self->size);
	uint32_t h;

	ASSERT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	expect_refused(_metadata, self, fd, "secure, no memory");
	ASSERT_EQ(0, testdev_attach_map(self->td, fd, SMAF_TESTDEV_DMA64, &h,
					NULL));
	EXPECT_EQ(1, info_of(_metadata, self, fd).allocated);
	EXPECT_EQ(-EFAULT, vivid_qbuf(self->vfd[0], 0, fd, self->size));
	EXPECT_EQ(0, info_of(_metadata, self, fd).cpu_mappings);
	ASSERT_EQ(0, testdev_unmap_detach(self->td, h));
}

/* ---- the race of the review: queue, queue, secure, maybe populate ---- */

struct racer {
	pthread_barrier_t *go;
	int (*fn)(struct racer *r);
	int vfd;		/* queue: vivid node */
	int dev;		/* secure: /dev/smaf */
	int fd;			/* the buffer */
	size_t size;
	int ret;
};

static int race_queue(struct racer *r)
{
	return vivid_qbuf(r->vfd, 0, r->fd, r->size);
}

static int race_secure(struct racer *r)
{
	return smaf_raw_set_secure(r->dev, r->fd, 1);
}

static int race_populate(struct racer *r)
{
	int ret = dmabuf_sync(r->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);

	if (!ret)
		dmabuf_sync(r->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return ret;
}

static void *racer_run(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->ret = r->fn(r);
	return NULL;
}

TEST_F_TIMEOUT(vmap, queue_while_securing, 600)
{
	int iters = strcmp(getenv("SMAF_LANE") ?: "stock", "debug") ? 150 : 40;
	struct smaf_buffer_info bi;
	struct racer r[4];
	pthread_barrier_t go;
	pthread_t th[4];
	int i, k, n, fd, queued = 0, secured = 0;

	for (i = 0; i < iters; i++) {
		fd = new_buf(_metadata, self, self->size);
		n = i % 2 ? 4 : 3;
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, n));
		for (k = 0; k < n; k++) {
			r[k] = (struct racer) {
				.go = &go, .fd = fd, .dev = self->dev,
				.size = self->size,
				.vfd = self->vfd[k % NR_VIVID],
				.fn = k < 2 ? race_queue :
				      k == 2 ? race_secure : race_populate,
			};
			ASSERT_EQ(0, pthread_create(&th[k], NULL, racer_run,
						    &r[k]));
		}
		for (k = 0; k < n; k++)
			pthread_join(th[k], NULL);
		pthread_barrier_destroy(&go);

		bi = info_of(_metadata, self, fd);
		/* The flag is set unless memory came first. */
		EXPECT_TRUE(r[2].ret == 0 || (r[2].ret == -EBUSY && n == 4))
			TH_LOG("iter %d: SET: %s", i, strerror(-r[2].ret));
		EXPECT_EQ(r[2].ret == 0, bi.secure) TH_LOG("iter %d", i);
		for (k = 0; k < 2; k++) {
			/* A queue succeeds only with memory that is not secure. */
			EXPECT_TRUE(r[k].ret == -EFAULT ||
				    (r[k].ret == 0 && !bi.secure && bi.allocated))
				TH_LOG("iter %d: QBUF %d: %s (secure %u, allocated %u)",
				       i, k, strerror(-r[k].ret), bi.secure,
				       bi.allocated);
			queued += r[k].ret == 0;
		}
		if (n == 4 && bi.secure)
			EXPECT_TRUE(r[3].ret == 0 || r[3].ret == -EACCES ||
				    r[3].ret == -ENODEV)
				TH_LOG("iter %d: SYNC: %s", i, strerror(-r[3].ret));
		secured += bi.secure;
		vivid_release(_metadata, self, 0);
		vivid_release(_metadata, self, 1);
		track_close(&self->t, fd);
	}
	TH_LOG("%d iterations: %d secured, %d queues succeeded", iters,
	       secured, queued);
	printf("# REPORT races_run=%d\n", iters);
}

TEST_HARNESS_MAIN
