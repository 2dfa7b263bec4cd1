// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the SMAF userspace tests: see smaf_test.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smaf_test.h"

/* ---- counters ---- */

static void smaf_try_mount_debugfs(void)
{
	struct stat st;

	if (stat("/sys/kernel/debug/smaf", &st) == 0)
		return;
	/* Fails harmlessly when already mounted or not root. */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

int smaf_stats_read(struct smaf_stats *st)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "buffers", offsetof(struct smaf_stats, buffers) },
		{ "allocated_buffers",
		  offsetof(struct smaf_stats, allocated_buffers) },
		{ "allocated_bytes",
		  offsetof(struct smaf_stats, allocated_bytes) },
		{ "attachments", offsetof(struct smaf_stats, attachments) },
		{ "device_mappings",
		  offsetof(struct smaf_stats, device_mappings) },
		{ "cpu_mappings", offsetof(struct smaf_stats, cpu_mappings) },
		{ "quarantined_buffers",
		  offsetof(struct smaf_stats, quarantined_buffers) },
		{ "quarantined_bytes",
		  offsetof(struct smaf_stats, quarantined_bytes) },
	};
	char key[64];
	unsigned long long val;
	FILE *f;
	size_t i;

	memset(st, 0, sizeof(*st));
	f = fopen(SMAF_STATS_PATH, "re");
	if (!f && errno == ENOENT) {
		smaf_try_mount_debugfs();
		f = fopen(SMAF_STATS_PATH, "re");
	}
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %llu", key, &val) == 2) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(key, keys[i].key) == 0)
				*(uint64_t *)((char *)st + keys[i].off) = val;
		}
	}
	fclose(f);
	return 0;
}

bool smaf_stats_equal(const struct smaf_stats *a, const struct smaf_stats *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool smaf_stats_idle(const struct smaf_stats *st)
{
	static const struct smaf_stats zero;

	return smaf_stats_equal(st, &zero);
}

const char *smaf_stats_str(const struct smaf_stats *st, char *buf, size_t len)
{
	snprintf(buf, len,
		 "buffers=%" PRIu64 " allocated_buffers=%" PRIu64
		 " allocated_bytes=%" PRIu64 " attachments=%" PRIu64
		 " device_mappings=%" PRIu64 " cpu_mappings=%" PRIu64
		 " quarantined_buffers=%" PRIu64 " quarantined_bytes=%" PRIu64,
		 st->buffers, st->allocated_buffers, st->allocated_bytes,
		 st->attachments, st->device_mappings, st->cpu_mappings,
		 st->quarantined_buffers, st->quarantined_bytes);
	return buf;
}

bool smaf_stats_back(const struct smaf_stats *base, char *msg, size_t len)
{
	char s1[SMAF_STATS_STRLEN], s2[SMAF_STATS_STRLEN];
	struct smaf_stats now;

	if (smaf_stats_read(&now) || smaf_stats_equal(base, &now))
		return true;
	snprintf(msg, len, "before %s, after %s",
		 smaf_stats_str(base, s1, sizeof(s1)),
		 smaf_stats_str(&now, s2, sizeof(s2)));
	return false;
}

/* ---- file descriptors ---- */

int smaf_list_fds(int *fds, int max)
{
	struct dirent *de;
	int n = 0, self, fd, i, j;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	self = dirfd(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == self)
			continue;
		if (fds && n < max) {
			/* insertion sort: the lists are short */
			for (i = 0; i < n && fds[i] < fd; i++)
				;
			for (j = n; j > i; j--)
				fds[j] = fds[j - 1];
			fds[i] = fd;
		}
		n++;
	}
	closedir(d);
	return n;
}

int smaf_count_fds(void)
{
	return smaf_list_fds(NULL, 0);
}

bool smaf_fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* ---- /dev/smaf and raw ioctls ---- */

int smaf_dev_open(void)
{
	int fd = open(SMAF_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int smaf_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int smaf_raw_create(int dev_fd, uint64_t length, uint32_t flags,
		    const char *name, int *buf_fd)
{
	struct smaf_create_data cd;
	int ret;

	memset(&cd, 0, sizeof(cd));
	cd.length = length;
	cd.flags = flags;
	if (name)
		strncpy((char *)cd.name, name, SMAF_NAME_LEN - 1);
	ret = smaf_ioctl(dev_fd, SMAF_IOC_CREATE, &cd);
	if (ret < 0)
		return ret;
	*buf_fd = cd.fd;
	return 0;
}

int smaf_raw_buffer_info(int dev_fd, int buf_fd, struct smaf_buffer_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->fd = buf_fd;
	return smaf_ioctl(dev_fd, SMAF_IOC_BUFFER_INFO, bi);
}

int smaf_raw_get_info(int dev_fd, uint32_t index, struct smaf_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	return smaf_ioctl(dev_fd, SMAF_IOC_GET_INFO, info);
}

int smaf_raw_get_secure(int dev_fd, int buf_fd)
{
	struct smaf_secure_flag sf;
	int ret;

	memset(&sf, 0, sizeof(sf));
	sf.fd = buf_fd;
	ret = smaf_ioctl(dev_fd, SMAF_IOC_GET_SECURE_FLAG, &sf);
	return ret < 0 ? ret : (int)sf.secure;
}

int smaf_raw_set_secure(int dev_fd, int buf_fd, uint32_t secure)
{
	struct smaf_secure_flag sf;

	memset(&sf, 0, sizeof(sf));
	sf.fd = buf_fd;
	sf.secure = secure;
	return smaf_ioctl(dev_fd, SMAF_IOC_SET_SECURE_FLAG, &sf);
}

int smaf_find_allocator(int dev_fd, const char *name)
{
	struct smaf_info info;
	uint32_t i, count;
	int ret;

	ret = smaf_raw_get_info(dev_fd, 0, &info);
	if (ret == -EINVAL)
		return -ENOENT;		/* no allocator at all */
	if (ret < 0)
		return ret;
	count = info.count;
	for (i = 0; i < count; i++) {
		ret = smaf_raw_get_info(dev_fd, i, &info);
		if (ret < 0)
			return ret;
		if (strncmp((char *)info.name, name, SMAF_NAME_LEN) == 0)
			return (int)i;
	}
	return -ENOENT;
}

/* ---- module parameters ---- */

int smaf_param_read(const char *name, uint64_t *val)
{
	char path[256];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), SMAF_PARAM_DIR "/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1)
		return -EINVAL;
	*val = v;
	return 0;
}

int smaf_write_str(const char *path, const char *str)
{
	size_t len = strlen(str);
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, str, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int smaf_param_write(const char *name, uint64_t val)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), SMAF_PARAM_DIR "/%s", name);
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)val);
	return smaf_write_str(path, buf);
}

/* ---- misc ---- */

size_t smaf_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

bool smaf_module_loaded(const char *name)
{
	char line[512], mod[128];
	bool found = false;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s", mod) == 1 && strcmp(mod, name) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* ---- vgem ---- */

/*
 * The few DRM ioctls we need, spelled out because Debian's linux-libc-dev
 * does not ship <drm/drm.h> (libdrm-dev would). Layouts are the kernel's
 * include/uapi/drm/drm.h and drm_mode.h; DRM_IOCTL_VERSION has a compat
 * translation, so native long/pointer types are right for -m32 too.
 */
struct smaf_t_drm_version {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct smaf_t_drm_mode_create_dumb {
	uint32_t height;
	uint32_t width;
	uint32_t bpp;
	uint32_t flags;
	uint32_t handle;
	uint32_t pitch;
	uint64_t size;
};

struct smaf_t_drm_prime_handle {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};

struct smaf_t_drm_gem_close {
	uint32_t handle;
	uint32_t pad;
};

#define SMAF_T_DRM_IOCTL_VERSION \
	_IOWR('d', 0x00, struct smaf_t_drm_version)
#define SMAF_T_DRM_IOCTL_GEM_CLOSE \
	_IOW('d', 0x09, struct smaf_t_drm_gem_close)
#define SMAF_T_DRM_IOCTL_PRIME_HANDLE_TO_FD \
	_IOWR('d', 0x2d, struct smaf_t_drm_prime_handle)
#define SMAF_T_DRM_IOCTL_PRIME_FD_TO_HANDLE \
	_IOWR('d', 0x2e, struct smaf_t_drm_prime_handle)
#define SMAF_T_DRM_IOCTL_MODE_CREATE_DUMB \
	_IOWR('d', 0xB2, struct smaf_t_drm_mode_create_dumb)

int smaf_vgem_open(void)
{
	struct smaf_t_drm_version v;
	char path[64], name[32];
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, SMAF_T_DRM_IOCTL_VERSION, &v) == 0 &&
		    strcmp(name, "vgem") == 0)
			return fd;
		close(fd);
	}
	return -ENODEV;
}

int smaf_vgem_export(int drm_fd, uint64_t size, uint32_t *handle,
		     int *dmabuf_fd)
{
	struct smaf_t_drm_mode_create_dumb cd;
	struct smaf_t_drm_prime_handle ph;
	int ret;

	memset(&cd, 0, sizeof(cd));
	cd.width = (uint32_t)((size + 3) / 4);
	cd.height = 1;
	cd.bpp = 32;
	ret = smaf_ioctl(drm_fd, SMAF_T_DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	if (ret < 0)
		return ret;
	memset(&ph, 0, sizeof(ph));
	ph.handle = cd.handle;
	ph.flags = O_RDWR | O_CLOEXEC;
	ret = smaf_ioctl(drm_fd, SMAF_T_DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
	if (ret < 0) {
		smaf_vgem_close_handle(drm_fd, cd.handle);
		return ret;
	}
	*dmabuf_fd = ph.fd;
	if (handle)
		*handle = cd.handle;
	else
		smaf_vgem_close_handle(drm_fd, cd.handle);
	return 0;
}

int smaf_vgem_import(int drm_fd, int dmabuf_fd, uint32_t *handle)
{
	struct smaf_t_drm_prime_handle ph;
	int ret;

	memset(&ph, 0, sizeof(ph));
	ph.fd = dmabuf_fd;
	ret = smaf_ioctl(drm_fd, SMAF_T_DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);
	if (ret < 0)
		return ret;
	*handle = ph.handle;
	return 0;
}

int smaf_vgem_close_handle(int drm_fd, uint32_t handle)
{
	struct smaf_t_drm_gem_close gc;

	memset(&gc, 0, sizeof(gc));
	gc.handle = handle;
	return smaf_ioctl(drm_fd, SMAF_T_DRM_IOCTL_GEM_CLOSE, &gc);
}

ssize_t smaf_read_file(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	return n;
}
