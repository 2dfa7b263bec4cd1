// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-demo: shows, in plain words, what SMAF does.
 *
 * Each step does something real and prints what the kernel reports back:
 * BUFFER_INFO of the buffer, SMAF's counters in debugfs, DMA addresses and
 * checksums computed by the test devices and by the CPU. It also checks
 * that the kernel keeps SMAF's promises (no memory before it is needed,
 * memory every user can reach, nothing left behind) and exits with status 1
 * on any failure or broken promise, so the VM harness reports it.
 *
 * Needs the smaf, smaf-cma and smaf-testdev modules, vivid loaded with
 * allocators=1 (dma-contig buffers) and vgem, and runs as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "libsmaf.h"
#include "smaf-testdev.h"

#define MIB			(1024u * 1024u)
#define FOUR_GIB		0x100000000ULL
#define STATS_PATH		"/sys/kernel/debug/smaf/stats"
#define TESTDEV_PATH		"/dev/smaf-testdev"
#define PATTERN_SEED		0x5eed1e55u
#define NR_VIDEO_BUFS		4
#define NR_FRAMES		8
#define FRAME_TIMEOUT_MS	60000	/* qemu without KVM is slow */
#define MAX_FRAME_SIZE		(4u * MIB)	/* smaf-cma's limit here */
#define PREVIEW_W		32
#define PREVIEW_H		8

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* printf-style format checking, the kernel's __printf() */
#define PRINTF_FMT(fmt, args)	__attribute__((format(printf, fmt, args)))

/* ---- failing loudly ---- */

static noreturn PRINTF_FMT(1, 2) void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("\nsmaf-demo: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* @ret is 0 or a negative errno; dies with @what on an error. */
static void check(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, strerror(-ret));
}

/* A promise SMAF makes that the kernel did not keep. */
static void expect(bool ok, const char *promise)
{
	if (!ok)
		die("the kernel broke a promise: %s", promise);
}

/* ioctl() that retries on EINTR and returns 0 or a negative errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	return fd;
}

static void close_or_die(int fd, const char *what)
{
	if (close(fd) < 0)
		die("closing %s: %s", what, strerror(errno));
}

static PRINTF_FMT(1, 2) void say(const char *fmt, ...);

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void step(int n, const char *title)
{
	putchar('\n');
	say("== %d. %s", n, title);
}

/* ---- checksums (the test devices' FNV-1a, from smaf-testdev.h) ---- */

static uint64_t cksum_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT;
	size_t i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, b[i]);
	return sum;
}

static uint64_t cksum_pattern(uint32_t seed, uint64_t len)
{
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT, i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, smaf_testdev_pattern(seed, i));
	return sum;
}

/* ---- what SMAF reports ---- */

struct stats {
	long long buffers;
	long long allocated_buffers;
	long long allocated_bytes;
	long long attachments;
	long long device_mappings;
	long long cpu_mappings;
};

static const struct {
	const char *key;
	size_t off;
} stat_keys[] = {
	{ "buffers", offsetof(struct stats, buffers) },
	{ "allocated_buffers", offsetof(struct stats, allocated_buffers) },
	{ "allocated_bytes", offsetof(struct stats, allocated_bytes) },
	{ "attachments", offsetof(struct stats, attachments) },
	{ "device_mappings", offsetof(struct stats, device_mappings) },
	{ "cpu_mappings", offsetof(struct stats, cpu_mappings) },
};

/* Stores the value of @key in @s; returns whether @key is one we know. */
static bool store_stat(struct stats *s, const char *key, long long val)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		if (strcmp(key, stat_keys[i].key) == 0) {
			*(long long *)((char *)s + stat_keys[i].off) = val;
			return true;
		}
	}
	return false;
}

/* SMAF's global counters, from debugfs. */
static struct stats read_stats(void)
{
	struct stats s;
	char key[64];
	long long val;
	size_t found = 0;
	FILE *f;

	memset(&s, 0, sizeof(s));
	f = fopen(STATS_PATH, "re");
	if (!f)
		die("cannot read %s (is debugfs mounted?): %s", STATS_PATH,
		    strerror(errno));
	while (fscanf(f, "%63s %lld", key, &val) == 2)
		found += store_stat(&s, key, val);
	fclose(f);
	if (found != ARRAY_SIZE(stat_keys))
		die("%s lacks some of the counters the demo reads", STATS_PATH);
	return s;
}

static void show_stats(const char *indent)
{
	struct stats s = read_stats();

	say("%sSMAF totals: %lld buffer(s), %lld with memory, %lld bytes allocated",
	    indent, s.buffers, s.allocated_buffers, s.allocated_bytes);
}

static struct smaf_buffer_info buffer_info(int fd)
{
	struct smaf_buffer_info info;

	memset(&info, 0, sizeof(info));
	check(smaf_buffer_info(fd, &info), "SMAF_IOC_BUFFER_INFO");
	return info;
}

/* One line: what BUFFER_INFO says about buffer @fd. */
static struct smaf_buffer_info show_buffer(const char *indent, int fd)
{
	struct smaf_buffer_info i = buffer_info(fd);
	char alloc[SMAF_NAME_LEN + 16] = "no";

	if (i.allocated)
		snprintf(alloc, sizeof(alloc), "yes (%s)", (char *)i.allocator);
	say("%skernel: allocated: %s, devices: %u, device maps: %u, CPU maps: %u",
	    indent, alloc, i.attachments, i.device_mappings, i.cpu_mappings);
	return i;
}

/* ---- the test devices (smaf-testdev) ---- */

static const char *const testdev_desc[SMAF_TESTDEV_COUNT] = {
	[SMAF_TESTDEV_DMA64] = "A \"decoder\" that can reach all memory (64-bit)",
	[SMAF_TESTDEV_DMA32] = "A device that only reaches the first 4 GiB (32-bit)",
	[SMAF_TESTDEV_DMA30] = "A device that only reaches the first 1 GiB (30-bit)",
	[SMAF_TESTDEV_DMA64B] = "A 64-bit \"display\"",
};

static uint32_t td_attach(int tfd, int buf_fd, unsigned int dev)
{
	struct smaf_testdev_attach a;

	memset(&a, 0, sizeof(a));
	a.fd = buf_fd;
	a.dev = dev;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_ATTACH, &a), "test device attach");
	return a.handle;
}

/* MAP for reading and writing; 0 or a negative errno. */
static int td_map(int tfd, uint32_t handle, struct smaf_testdev_map *m)
{
	memset(m, 0, sizeof(*m));
	m->handle = handle;
	m->dir = SMAF_TESTDEV_BIDIRECTIONAL;
	return xioctl(tfd, SMAF_TESTDEV_IOC_MAP, m);
}

static void td_release(int tfd, uint32_t handle, bool mapped)
{
	struct smaf_testdev_map m;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	if (mapped)
		check(xioctl(tfd, SMAF_TESTDEV_IOC_UNMAP, &m),
		      "test device unmap");
	check(xioctl(tfd, SMAF_TESTDEV_IOC_DETACH, &m), "test device detach");
}

static void td_write(int tfd, uint32_t handle, uint32_t seed, uint64_t len)
{
	struct smaf_testdev_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.seed = seed;
	rw.length = len;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_WRITE, &rw), "test device write");
}

static uint64_t td_checksum(int tfd, uint32_t handle, uint64_t len)
{
	struct smaf_testdev_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.length = len;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_CHECKSUM, &rw),
	      "test device checksum");
	return rw.checksum;
}

/* ---- the CPU's view of a dma-buf ---- */

static void *map_buffer(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap of a SMAF buffer: %s", strerror(errno));
	return p;
}

static void unmap_buffer(void *p, size_t len)
{
	if (munmap(p, len) < 0)
		die("munmap: %s", strerror(errno));
}

/* Brackets CPU reads: caches are made coherent with what devices wrote. */
static void cpu_read_begin(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

	check(xioctl(fd, DMA_BUF_IOCTL_SYNC, &s), "DMA_BUF_IOCTL_SYNC start");
}

static void cpu_read_end(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

	check(xioctl(fd, DMA_BUF_IOCTL_SYNC, &s), "DMA_BUF_IOCTL_SYNC end");
}

static uint64_t cpu_checksum(int fd, size_t len)
{
	void *p = map_buffer(fd, len, PROT_READ);
	uint64_t sum;

	cpu_read_begin(fd);
	sum = cksum_bytes(p, len);
	cpu_read_end(fd);
	unmap_buffer(p, len);
	return sum;
}

static int create_buffer(uint64_t len)
{
	int fd;

	check(smaf_create_buffer64(len, SMAF_RDWR | SMAF_CLOEXEC, NULL, &fd),
	      "SMAF_IOC_CREATE");
	return fd;
}

/* ---- 1. /dev/smaf and its allocators ---- */

static void step_open(void)
{
	int i, n;

	step(1, "Opening /dev/smaf");
	check(smaf_open(), "opening /dev/smaf");
	n = smaf_allocator_count();
	check(n, "SMAF_IOC_GET_INFO");
	expect(n > 0, "at least one allocator is registered");
	say("SMAF can get memory from %d allocator(s) (SMAF_IOC_GET_INFO):", n);
	for (i = 0; i < n; i++) {
		char *name = smaf_get_allocator_name(i);

		if (!name)
			die("SMAF_IOC_GET_INFO index %d: %s", i,
			    strerror(errno));
		say("    #%d %s%s", i, name, strcmp(name, "smaf-cma") ? "" :
		    ": physically contiguous memory, for 32-bit devices and up");
		free(name);
	}
	show_stats("");
}

/* ---- 2. a buffer without memory ---- */

static int step_create(void)
{
	struct stats before = read_stats(), after;
	struct smaf_buffer_info info;
	int fd;

	step(2, "A 1 MiB buffer, with no memory yet");
	fd = create_buffer(MIB);
	say("SMAF_IOC_CREATE returned fd %d: a \"dma-buf\", the kernel's handle",
	    fd);
	say("for a buffer that devices and programs can share.");
	info = show_buffer("    ", fd);
	after = read_stats();
	say("    SMAF totals: %lld buffer(s), %lld bytes allocated (before: %lld)",
	    after.buffers, after.allocated_bytes, before.allocated_bytes);
	expect(info.size == MIB && !info.allocated,
	       "CREATE gives a buffer of the asked size and no memory");
	expect(after.allocated_bytes == before.allocated_bytes &&
	       after.buffers == before.buffers + 1,
	       "CREATE allocates no memory");
	say("Nothing is spent yet: SMAF waits to learn which devices will use it.");
	return fd;
}

/* ---- 3. devices join; memory arrives at the first mapping ---- */

static void attach_and_show(int tfd, int fd, unsigned int dev, uint32_t *h)
{
	struct smaf_buffer_info info;

	*h = td_attach(tfd, fd, dev);
	say("%s attaches:", testdev_desc[dev]);
	info = show_buffer("    ", fd);
	expect(!info.allocated, "attaching alone allocates no memory");
}

static uint64_t map_and_show(int tfd, uint32_t h, const char *who)
{
	struct smaf_testdev_map m;

	check(td_map(tfd, h, &m), "test device map");
	say("    %s's DMA address: 0x%llx (%llu MiB into memory), %u piece(s)",
	    who, (unsigned long long)m.dma_addr,
	    (unsigned long long)(m.dma_addr / MIB), m.nents);
	return m.dma_addr;
}

static void show_sum(const char *who, uint64_t sum)
{
	say("    checksum %-26s %016llx", who, (unsigned long long)sum);
}

static void share_and_verify(int tfd, int fd, uint32_t dec, uint32_t d32)
{
	uint64_t want = cksum_pattern(PATTERN_SEED, MIB), dev_sum, cpu_sum;

	say("The decoder writes a test pattern into the whole buffer; then the");
	say("32-bit device and the CPU (through mmap) each read it back:");
	td_write(tfd, dec, PATTERN_SEED, MIB);
	dev_sum = td_checksum(tfd, d32, MIB);
	cpu_sum = cpu_checksum(fd, MIB);
	show_sum("expected from the pattern:", want);
	show_sum("read by the 32-bit device:", dev_sum);
	show_sum("read by the CPU:", cpu_sum);
	expect(dev_sum == want && cpu_sum == want,
	       "device and CPU see the same memory");
	say("All three agree: one piece of memory, shared, never copied.");
}

static void step_devices(int tfd, int fd)
{
	struct smaf_buffer_info info;
	uint32_t dec, d32;
	uint64_t addr;

	step(3, "Devices join; memory arrives when one first needs it");
	say("(\"attach\": a device says it will use the buffer; \"map\": it asks for");
	say("the address to read and write it at, by DMA, without the CPU.)");
	attach_and_show(tfd, fd, SMAF_TESTDEV_DMA64, &dec);
	attach_and_show(tfd, fd, SMAF_TESTDEV_DMA32, &d32);
	say("The decoder maps the buffer (asks where in memory to do DMA):");
	addr = map_and_show(tfd, dec, "decoder");
	info = show_buffer("    ", fd);
	show_stats("    ");
	expect(info.allocated && !strcmp((char *)info.allocator, "smaf-cma"),
	       "the first device mapping allocates, with smaf-cma");
	expect(addr + info.size <= FOUR_GIB,
	       "memory lies below 4 GiB when a 32-bit device is attached");
	say("It all lies below 4 GiB: SMAF chose memory the 32-bit device can reach,");
	say("because that device had attached before the memory existed.");
	say("The 32-bit device maps it too:");
	expect(map_and_show(tfd, d32, "32-bit device") == addr,
	       "both devices map the same memory");
	share_and_verify(tfd, fd, dec, d32);
	td_release(tfd, d32, true);
	td_release(tfd, dec, true);
	close_or_die(fd, "the 1 MiB buffer");
	say("Both devices let go and the buffer is closed:");
	show_stats("    ");
}

/* ---- 4. a device no allocator can serve ---- */

static void step_refusal(int tfd)
{
	struct smaf_testdev_map m;
	struct smaf_buffer_info info;
	long long before;
	uint32_t h;
	int fd, ret;

	step(4, "A device SMAF cannot serve");
	fd = create_buffer(MIB);
	h = td_attach(tfd, fd, SMAF_TESTDEV_DMA30);
	say("A new 1 MiB buffer. A device that only reaches the first 1 GiB (30-bit)");
	say("attaches, then maps it:");
	before = read_stats().allocated_bytes;
	ret = td_map(tfd, h, &m);
	if (ret == 0)
		die("the 30-bit device's map succeeded; SMAF promises ENODEV");
	say("    map failed: %s (%s)", -ret == ENODEV ? "ENODEV" : "unexpected error",
	    strerror(-ret));
	info = show_buffer("    ", fd);
	expect(ret == -ENODEV,
	       "a map for a device no allocator serves gives ENODEV");
	expect(!info.allocated && read_stats().allocated_bytes == before,
	       "a refused mapping allocates nothing");
	say("No allocator can serve memory that low (smaf-cma needs 32 bits), so");
	say("SMAF refuses rather than hand out memory the device cannot reach.");
	td_release(tfd, h, false);
	close_or_die(fd, "the refused buffer");
}

/* ---- 5. vivid, a virtual camera, captures into SMAF buffers ---- */

struct capture {
	int fd;
	char path[32];
	struct v4l2_pix_format pix;
	unsigned int count;
	int bufs[NR_VIDEO_BUFS];
	void *maps[NR_VIDEO_BUFS];
	size_t size;	/* of each SMAF buffer, page-rounded */
};

static bool is_vivid_capture(int fd)
{
	struct v4l2_capability cap;
	uint32_t caps;

	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return false;
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							   cap.capabilities;
	return strcmp((char *)cap.driver, "vivid") == 0 &&
	       (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

static void find_vivid(struct capture *c)
{
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(c->path, sizeof(c->path), "/dev/video%d", i);
		fd = open(c->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vivid_capture(fd)) {
			c->fd = fd;
			return;
		}
		close(fd);
	}
	die("no vivid capture device in /dev/video* (load vivid with allocators=1)");
}

static void get_format(struct capture *c)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	check(xioctl(c->fd, VIDIOC_G_FMT, &f), "VIDIOC_G_FMT");
	if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV) {
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
		check(xioctl(c->fd, VIDIOC_S_FMT, &f), "VIDIOC_S_FMT YUYV");
		if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV)
			die("vivid does not capture YUYV");
	}
	c->pix = f.fmt.pix;
	if (c->pix.sizeimage == 0 || c->pix.sizeimage > MAX_FRAME_SIZE)
		die("frame size %u is not in (0, %u]", c->pix.sizeimage,
		    MAX_FRAME_SIZE);
	say("%s is vivid's camera: %ux%u pixels, YUYV (2 bytes a pixel),",
	    c->path, c->pix.width, c->pix.height);
	say("so %u bytes a picture.", c->pix.sizeimage);
}

static void request_buffers(struct capture *c, unsigned int count)
{
	struct v4l2_requestbuffers rb;

	memset(&rb, 0, sizeof(rb));
	rb.count = count;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	check(xioctl(c->fd, VIDIOC_REQBUFS, &rb), "VIDIOC_REQBUFS");
	c->count = rb.count;
}

static void create_video_buffers(struct capture *c)
{
	unsigned int i;

	for (i = 0; i < c->count; i++) {
		struct smaf_buffer_info info;

		c->bufs[i] = create_buffer(c->pix.sizeimage);
		info = buffer_info(c->bufs[i]);
		expect(!info.allocated, "CREATE allocates no memory");
		c->size = info.size;
	}
	say("We create %u SMAF buffers of %zu bytes: none has memory yet.",
	    c->count, c->size);
	show_stats("    ");
}

static void queue_buffer(struct capture *c, unsigned int i)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = i;
	b.m.fd = c->bufs[i];
	b.length = (uint32_t)c->size;	/* <= MAX_FRAME_SIZE, page-rounded */
	check(xioctl(c->fd, VIDIOC_QBUF, &b), "VIDIOC_QBUF");
}

static void start_capture(struct capture *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	for (i = 0; i < c->count; i++)
		queue_buffer(c, i);
	say("We hand them to vivid (VIDIOC_QBUF). vivid maps each one for its DMA,");
	say("and that is when SMAF allocates:");
	for (i = 0; i < c->count; i++) {
		struct smaf_buffer_info info;
		char indent[16];

		snprintf(indent, sizeof(indent), "    #%u ", i);
		info = show_buffer(indent, c->bufs[i]);
		expect(info.allocated && info.attachments == 1,
		       "vivid's mapping allocates the buffer");
		c->maps[i] = map_buffer(c->bufs[i], c->size, PROT_READ);
	}
	show_stats("    ");
	check(xioctl(c->fd, VIDIOC_STREAMON, &type), "VIDIOC_STREAMON");
	say("The camera starts (VIDIOC_STREAMON).");
}

static struct v4l2_buffer dequeue_frame(struct capture *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct v4l2_buffer b;
	int ret;

	do {
		ret = poll(&pfd, 1, FRAME_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		die("poll on %s: %s", c->path, strerror(errno));
	if (ret == 0)
		die("no frame from vivid within %d s", FRAME_TIMEOUT_MS / 1000);
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	check(xioctl(c->fd, VIDIOC_DQBUF, &b), "VIDIOC_DQBUF");
	if (b.index >= c->count || b.bytesused > c->size)
		die("VIDIOC_DQBUF returned buffer %u with %u bytes", b.index,
		    b.bytesused);
	return b;
}

/* Mean luma of one preview cell of a YUYV picture. */
static unsigned int cell_luma(const struct capture *c, const uint8_t *p,
			      unsigned int cx, unsigned int cy)
{
	unsigned int x0 = cx * c->pix.width / PREVIEW_W;
	unsigned int x1 = (cx + 1) * c->pix.width / PREVIEW_W;
	unsigned int y0 = cy * c->pix.height / PREVIEW_H;
	unsigned int y1 = (cy + 1) * c->pix.height / PREVIEW_H;
	unsigned long sum = 0, n = 0;
	unsigned int x, y;

	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++, n++)
			sum += p[(size_t)y * c->pix.bytesperline + 2 * x];
	return n ? (unsigned int)(sum / n) : 0;
}

/* Draws the picture with the darkest cell as ' ' and the brightest as '@'. */
static void render_preview(const struct capture *c, const uint8_t *p,
			   char out[PREVIEW_H][PREVIEW_W + 1])
{
	static const char ramp[] = " .:-=+*#%@";
	const unsigned int levels = sizeof(ramp) - 1;
	unsigned int luma[PREVIEW_H][PREVIEW_W], lo = 255, hi = 0, x, y;

	for (y = 0; y < PREVIEW_H; y++) {
		for (x = 0; x < PREVIEW_W; x++) {
			luma[y][x] = cell_luma(c, p, x, y);
			lo = luma[y][x] < lo ? luma[y][x] : lo;
			hi = luma[y][x] > hi ? luma[y][x] : hi;
		}
	}
	for (y = 0; y < PREVIEW_H; y++) {
		for (x = 0; x < PREVIEW_W; x++)
			out[y][x] = ramp[(luma[y][x] - lo) * (levels - 1) /
					 (hi > lo ? hi - lo : 1)];
		out[y][PREVIEW_W] = '\0';
	}
}

/* Hashes a captured frame through the CPU mapping of its SMAF buffer. */
static uint64_t read_frame(struct capture *c, const struct v4l2_buffer *b,
			   char preview[PREVIEW_H][PREVIEW_W + 1])
{
	int fd = c->bufs[b->index];
	uint64_t sum;

	cpu_read_begin(fd);
	sum = cksum_bytes(c->maps[b->index], b->bytesused);
	if (preview)
		render_preview(c, c->maps[b->index], preview);
	cpu_read_end(fd);
	return sum;
}

static void capture_frames(struct capture *c,
			   char preview[PREVIEW_H][PREVIEW_W + 1])
{
	uint64_t sums[NR_FRAMES];
	unsigned int n, k, distinct = 0;

	say("Capturing %d frames; the CPU reads each through its SMAF buffer:",
	    NR_FRAMES);
	for (n = 0; n < NR_FRAMES; n++) {
		struct v4l2_buffer b = dequeue_frame(c);
		bool last = n == NR_FRAMES - 1;

		if (b.bytesused != c->pix.sizeimage)
			die("frame %u has %u bytes, not %u", b.sequence,
			    b.bytesused, c->pix.sizeimage);
		sums[n] = read_frame(c, &b, last ? preview : NULL);
		say("    frame %u: buffer #%u, %u bytes, hash %08llx",
		    b.sequence, b.index, b.bytesused,
		    (unsigned long long)(sums[n] >> 32));
		if (!last)
			queue_buffer(c, b.index);
	}
	for (n = 0; n < NR_FRAMES; n++) {
		for (k = 0; k < n && sums[k] != sums[n]; k++)
			;
		distinct += k == n;
	}
	say("%u of %d frames are different pictures (vivid stamps a counter on each).",
	    distinct, NR_FRAMES);
	expect(distinct == NR_FRAMES, "every captured frame is a new picture");
}

static void print_preview(char preview[PREVIEW_H][PREVIEW_W + 1])
{
	unsigned int y;

	say("The last frame as the CPU reads it, in %dx%d characters (dark ' ' to",
	    PREVIEW_W, PREVIEW_H);
	say("bright '@'): vivid draws colour bars with lines of text on top.");
	for (y = 0; y < PREVIEW_H; y++)
		say("    |%s|", preview[y]);
}

static void stop_capture(struct capture *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	check(xioctl(c->fd, VIDIOC_STREAMOFF, &type), "VIDIOC_STREAMOFF");
}

static void step_vivid(struct capture *c)
{
	char preview[PREVIEW_H][PREVIEW_W + 1];

	step(5, "A virtual camera (vivid) captures into SMAF buffers");
	find_vivid(c);
	get_format(c);
	request_buffers(c, NR_VIDEO_BUFS);
	if (c->count < 2 || c->count > NR_VIDEO_BUFS)
		die("vivid accepted %u buffers", c->count);
	create_video_buffers(c);
	start_capture(c);
	capture_frames(c, preview);
	stop_capture(c);
	print_preview(preview);
}

/* ---- 6. vgem, a virtual GPU, imports a captured picture ---- */

static bool is_vgem(int fd)
{
	struct drm_version v;
	char name[32] = "";

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	return xioctl(fd, DRM_IOCTL_VERSION, &v) == 0 &&
	       strcmp(name, "vgem") == 0;
}

static int open_vgem(char *path, size_t len)
{
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, len, "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vgem(fd))
			return fd;
		close(fd);
	}
	die("no vgem device in /dev/dri (load vgem)");
}

static void step_vgem(const struct capture *c)
{
	struct drm_prime_handle ph;
	struct drm_gem_close gc;
	struct smaf_buffer_info before, in, out;
	char path[32];
	int drm = open_vgem(path, sizeof(path));

	step(6, "A virtual GPU (vgem) imports a captured picture");
	say("Buffer #0 before (CPU maps: our mmap plus vivid's kernel mapping):");
	before = show_buffer("    ", c->bufs[0]);
	memset(&ph, 0, sizeof(ph));
	ph.fd = c->bufs[0];
	check(xioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph),
	      "DRM_IOCTL_PRIME_FD_TO_HANDLE");
	say("vgem (%s) imports it, as a GPU would to show or process", path);
	say("the picture (DRM_IOCTL_PRIME_FD_TO_HANDLE): GPU object %u.",
	    ph.handle);
	in = show_buffer("    ", c->bufs[0]);
	expect(in.attachments == before.attachments + 1,
	       "an import adds an attachment");
	expect(in.allocated, "the buffer keeps its memory");
	memset(&gc, 0, sizeof(gc));
	gc.handle = ph.handle;
	check(xioctl(drm, DRM_IOCTL_GEM_CLOSE, &gc), "DRM_IOCTL_GEM_CLOSE");
	say("The GPU drops its object (DRM_IOCTL_GEM_CLOSE):");
	out = show_buffer("    ", c->bufs[0]);
	expect(out.attachments == before.attachments,
	       "closing the GEM object removes its attachment");
	say("Camera and GPU shared the same memory: no copy, no second allocation.");
	close_or_die(drm, path);
}

/* ---- 7. clean up ---- */

static void release_capture(struct capture *c)
{
	unsigned int i, count = c->count;

	request_buffers(c, 0);
	say("vivid lets go of its buffers (VIDIOC_REQBUFS, count 0); buffer #0 keeps");
	say("its memory while our own mmap still uses it:");
	show_buffer("    #0 ", c->bufs[0]);
	for (i = 0; i < count; i++) {
		unmap_buffer(c->maps[i], c->size);
		close_or_die(c->bufs[i], "a video buffer");
	}
	close_or_die(c->fd, c->path);
}

static void step_cleanup(struct capture *c, int tfd)
{
	struct stats s;

	step(7, "Cleaning up");
	release_capture(c);
	close_or_die(tfd, TESTDEV_PATH);
	smaf_close();
	say("We unmap and close every buffer and device. SMAF's counters (debugfs):");
	s = read_stats();
	say("    buffers %lld, allocated_buffers %lld, allocated_bytes %lld,",
	    s.buffers, s.allocated_buffers, s.allocated_bytes);
	say("    attachments %lld, device_mappings %lld, cpu_mappings %lld",
	    s.attachments, s.device_mappings, s.cpu_mappings);
	expect(!s.buffers && !s.allocated_buffers && !s.allocated_bytes &&
	       !s.attachments && !s.device_mappings && !s.cpu_mappings,
	       "everything is freed once the last user is gone");
	say("All zero: every byte SMAF allocated went back to the system.");
}

int main(void)
{
	struct capture cap;
	int tfd, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&cap, 0, sizeof(cap));
	say("SMAF hands out buffers now and decides where their memory comes from");
	say("later, once it knows which devices will use them.");
	step_open();
	fd = step_create();
	tfd = open_or_die(TESTDEV_PATH, O_RDWR);
	step_devices(tfd, fd);
	step_refusal(tfd);
	step_vivid(&cap);
	step_vgem(&cap);
	step_cleanup(&cap, tfd);
	return 0;
}
