// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the smaf-testdev control node, dma-buf CPU access, the test
 * devices' pattern/checksum, a few DRM ioctls and module (un)loading.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/types.h>

#include "smaf_test.h"
#include "testdev.h"
#include "vivid.h"

/*
 * The few DRM ioctls needed here, as include/uapi/drm/drm.h and drm_mode.h
 * define them (libdrm-dev is not a build dependency).
 */
struct testdev_drm_prime_handle {
	__u32 handle;
	__u32 flags;
	__s32 fd;
};

struct testdev_drm_mode_map_dumb {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

#define TESTDEV_DRM_IOCTL_PRIME_HANDLE_TO_FD \
	_IOWR('d', 0x2d, struct testdev_drm_prime_handle)
#define TESTDEV_DRM_IOCTL_MODE_MAP_DUMB \
	_IOWR('d', 0xB3, struct testdev_drm_mode_map_dumb)

const char *testdev_name(unsigned int dev)
{
	static const char *const names[SMAF_TESTDEV_COUNT] = {
		[SMAF_TESTDEV_DMA64] = "dma64",
		[SMAF_TESTDEV_DMA32] = "dma32",
		[SMAF_TESTDEV_DMA30] = "dma30",
		[SMAF_TESTDEV_DMA64B] = "dma64b",
		[SMAF_TESTDEV_DMA64C] = "dma64c",
	};

	return dev < SMAF_TESTDEV_COUNT ? names[dev] : "?";
}

int testdev_open(void)
{
	int fd = open(SMAF_TESTDEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int testdev_do_attach(int tfd, unsigned long cmd, int buf_fd,
			     unsigned int dev, uint32_t *handle)
{
	struct smaf_testdev_attach a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.fd = buf_fd;
	a.dev = dev;
	ret = smaf_xioctl(tfd, cmd, &a);
	if (ret < 0)
		return ret;
	if (handle)
		*handle = a.handle;
	return 0;
}

int testdev_attach(int tfd, int buf_fd, unsigned int dev, uint32_t *handle)
{
	return testdev_do_attach(tfd, SMAF_TESTDEV_IOC_ATTACH, buf_fd, dev,
				 handle);
}

int testdev_attach_dynamic(int tfd, int buf_fd, unsigned int dev,
			   uint32_t *handle)
{
	return testdev_do_attach(tfd, SMAF_TESTDEV_IOC_ATTACH_DYNAMIC, buf_fd,
				 dev, handle);
}

int testdev_probe(int tfd, unsigned int dev, bool write, uint64_t dma_addr,
		  uint64_t len)
{
	struct smaf_testdev_probe p = {
		.dev = dev,
		.write = write,
		.dma_addr = dma_addr,
		.length = len,
	};

	return smaf_xioctl(tfd, SMAF_TESTDEV_IOC_PROBE, &p);
}

int testdev_detach(int tfd, uint32_t handle)
{
	struct smaf_testdev_map m;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	return smaf_xioctl(tfd, SMAF_TESTDEV_IOC_DETACH, &m);
}

int testdev_map(int tfd, uint32_t handle, uint32_t dir, uint32_t *nents,
		uint64_t *dma_addr)
{
	struct smaf_testdev_map m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	m.dir = dir;
	ret = smaf_xioctl(tfd, SMAF_TESTDEV_IOC_MAP, &m);
	if (ret < 0)
		return ret;
	if (nents)
		*nents = m.nents;
	if (dma_addr)
		*dma_addr = m.dma_addr;
	return 0;
}

int testdev_unmap(int tfd, uint32_t handle)
{
	struct smaf_testdev_map m;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	return smaf_xioctl(tfd, SMAF_TESTDEV_IOC_UNMAP, &m);
}

int testdev_attach_map(int tfd, int buf_fd, unsigned int dev,
		       uint32_t *handle, uint64_t *dma_addr)
{
	uint32_t h;
	int ret;

	ret = testdev_attach(tfd, buf_fd, dev, &h);
	if (ret < 0)
		return ret;
	ret = testdev_map(tfd, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, dma_addr);
	if (ret < 0) {
		testdev_detach(tfd, h);
		return ret;
	}
	if (handle)
		*handle = h;
	return 0;
}

int testdev_unmap_detach(int tfd, uint32_t handle)
{
	int r1 = testdev_unmap(tfd, handle);
	int r2 = testdev_detach(tfd, handle);

	return r1 < 0 ? r1 : r2;
}

int testdev_write(int tfd, uint32_t handle, uint32_t seed, uint64_t off,
		  uint64_t len)
{
	struct smaf_testdev_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.seed = seed;
	rw.offset = off;
	rw.length = len;
	return smaf_xioctl(tfd, SMAF_TESTDEV_IOC_WRITE, &rw);
}

int testdev_checksum(int tfd, uint32_t handle, uint64_t off, uint64_t len,
		     uint64_t *sum)
{
	struct smaf_testdev_rw rw;
	int ret;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.offset = off;
	rw.length = len;
	ret = smaf_xioctl(tfd, SMAF_TESTDEV_IOC_CHECKSUM, &rw);
	if (ret < 0)
		return ret;
	if (sum)
		*sum = rw.checksum;
	return 0;
}

uint64_t cksum_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT;
	size_t i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, b[i]);
	return sum;
}

uint64_t cksum_zeroes(uint64_t len)
{
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT;
	uint64_t i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, 0);
	return sum;
}

uint64_t cksum_pattern(uint32_t seed, uint64_t off, uint64_t len)
{
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT;
	uint64_t i;

	for (i = off; i < off + len; i++)
		sum = smaf_testdev_checksum(sum, smaf_testdev_pattern(seed, i));
	return sum;
}

void pattern_fill(void *p, uint32_t seed, uint64_t off, uint64_t len)
{
	volatile uint8_t *b = p;
	uint64_t i;

	for (i = 0; i < len; i++)
		b[i] = smaf_testdev_pattern(seed, off + i);
}

int64_t pattern_mismatch(const void *p, uint32_t seed, uint64_t off,
			 uint64_t len)
{
	const volatile uint8_t *b = p;
	uint64_t i;

	for (i = 0; i < len; i++)
		if (b[i] != smaf_testdev_pattern(seed, off + i))
			return (int64_t)i;
	return -1;
}

int64_t bytes_mismatch(const void *p, int c, size_t len)
{
	const volatile uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (uint8_t)c)
			return (int64_t)i;
	return -1;
}

int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return smaf_xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

int dmabuf_sync_start(int fd)
{
	return dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
}

int dmabuf_sync_end(int fd)
{
	return dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

int dmabuf_mmap(int fd, size_t len, off_t off, bool writable, void **addr)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

int drm_map_dumb(int drm_fd, uint32_t handle, uint64_t *offset)
{
	struct testdev_drm_mode_map_dumb m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	ret = smaf_xioctl(drm_fd, TESTDEV_DRM_IOCTL_MODE_MAP_DUMB, &m);
	if (ret < 0)
		return ret;
	*offset = m.offset;
	return 0;
}

int drm_prime_export(int drm_fd, uint32_t handle, int *dmabuf_fd)
{
	struct testdev_drm_prime_handle h;
	int ret;

	memset(&h, 0, sizeof(h));
	h.handle = handle;
	h.flags = O_RDWR | O_CLOEXEC;
	ret = smaf_xioctl(drm_fd, TESTDEV_DRM_IOCTL_PRIME_HANDLE_TO_FD, &h);
	if (ret < 0)
		return ret;
	*dmabuf_fd = h.fd;
	return 0;
}

int module_delete(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) < 0 ? -errno : 0;
}

int module_load(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params ? params : "", 0);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* nftw() has no user pointer: the search state lives here. */
static char find_dash[256], find_under[256];
static char *find_out;
static size_t find_len;

static int find_cb(const char *fpath, const struct stat *sb, int type,
		   struct FTW *ftw)
{
	const char *base = fpath + ftw->base;

	if (type != FTW_F)
		return 0;
	if (strcmp(base, find_dash) && strcmp(base, find_under))
		return 0;
	snprintf(find_out, find_len, "%s", fpath);
	return 1;
}

int module_find(const char *name, char *path, size_t len)
{
	const char *env = getenv("SMAF_MODULE_DIR");
	const char *fixed[] = { "/lib/smaf", "/smaf", "/modules", NULL };
	struct utsname u;
	char dir[512];
	size_t i;

	if (strlen(name) + 4 >= sizeof(find_dash))
		return -ENAMETOOLONG;
	snprintf(find_dash, sizeof(find_dash), "%s.ko", name);
	snprintf(find_under, sizeof(find_under), "%s.ko", name);
	for (i = 0; find_dash[i]; i++) {
		if (find_dash[i] == '_')
			find_dash[i] = '-';
		if (find_under[i] == '-')
			find_under[i] = '_';
	}
	find_out = path;
	find_len = len;

	if (env && nftw(env, find_cb, 8, FTW_PHYS) == 1)
		return 0;
	for (i = 0; fixed[i]; i++)
		if (nftw(fixed[i], find_cb, 8, FTW_PHYS) == 1)
			return 0;
	if (uname(&u) == 0) {
		snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
		if (nftw(dir, find_cb, 8, FTW_PHYS) == 1)
			return 0;
	}
	return -ENOENT;
}

const char *general_allocator(int dev_fd)
{
	static const char *const known[] = { "smaf-system", "smaf-cma" };
	struct smaf_info info;
	unsigned int i, k;

	for (i = 0; i < 64; i++) {
		if (smaf_raw_get_info(dev_fd, i, &info) < 0)
			break;
		info.name[SMAF_NAME_LEN - 1] = 0;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp((char *)info.name, known[k]) == 0)
				return known[k];
	}
	return "";
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
