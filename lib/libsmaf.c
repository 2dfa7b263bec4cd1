// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsmaf: userspace library for /dev/smaf (see libsmaf.h).
 *
 * One process-wide /dev/smaf fd, opened by the first smaf_open() and closed
 * by the last smaf_close(). A read-write lock makes the library thread-safe:
 * ioctls share it for reading, so they run concurrently, while open and close
 * take it for writing, so the fd can never be closed (and its number reused)
 * under an ioctl in flight.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Everything libsmaf.h declares is the exported API; the rest is hidden. */
#pragma GCC visibility push(default)
#include "libsmaf.h"
#pragma GCC visibility pop

#define SMAF_DEVICE	"/dev/smaf"

/*
 * The RFC ABI (ioctls 0 to 3): binary compatible with the RFC's v8 to v10,
 * never to change.
 */
static_assert(sizeof(struct smaf_create_data) == 128, "smaf_create_data");
static_assert(sizeof(struct smaf_secure_flag) == 64, "smaf_secure_flag");
static_assert(sizeof(struct smaf_info) == 128, "smaf_info");
static_assert(SMAF_IOC_CREATE == 0xC0805300u, "SMAF_IOC_CREATE");
static_assert(SMAF_IOC_GET_SECURE_FLAG == 0xC0405301u, "GET_SECURE_FLAG");
static_assert(SMAF_IOC_SET_SECURE_FLAG == 0xC0405302u, "SET_SECURE_FLAG");
static_assert(SMAF_IOC_GET_INFO == 0xC0805303u, "SMAF_IOC_GET_INFO");

/*
 * BUFFER_INFO grows by appending: its first version (104 bytes, up to and
 * including @allocator) must stay as it is, so that older programs keep
 * working through the size-delta dispatcher. Every version is a multiple
 * of 8 bytes, the same for 32-bit and 64-bit programs.
 */
static_assert(offsetof(struct smaf_buffer_info, allocator) +
	      SMAF_NAME_LEN == 104, "smaf_buffer_info v1 prefix");
static_assert(offsetof(struct smaf_buffer_info, size) == 8,
	      "smaf_buffer_info.size");
static_assert(sizeof(struct smaf_buffer_info) % 8 == 0,
	      "smaf_buffer_info padding");
static_assert(_IOC_NR(SMAF_IOC_BUFFER_INFO) == 4 &&
	      _IOC_SIZE(SMAF_IOC_BUFFER_INFO) ==
	      sizeof(struct smaf_buffer_info), "SMAF_IOC_BUFFER_INFO");
static_assert(sizeof(struct smaf_consumer) == 136, "smaf_consumer");
static_assert(sizeof(struct smaf_allocator_info) == 128,
	      "smaf_allocator_info");
static_assert(sizeof(struct smaf_buffer_list) == 40, "smaf_buffer_list");
/* The RFC defined the flags as the open(2) flags; keep that true here. */
static_assert(SMAF_RDWR == O_RDWR, "SMAF_RDWR");
static_assert(SMAF_CLOEXEC == O_CLOEXEC, "SMAF_CLOEXEC");

static pthread_rwlock_t smaf_lock = PTHREAD_RWLOCK_INITIALIZER;
static int smaf_fd = -1;
static unsigned int smaf_refs;

int smaf_open(void)
{
	int ret = 0, fd;

	pthread_rwlock_wrlock(&smaf_lock);
	if (smaf_refs == 0) {
		fd = open(SMAF_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			goto out;
		}
		smaf_fd = fd;
	} else if (smaf_refs == ~0u) {
		ret = -EOVERFLOW;
		goto out;
	}
	smaf_refs++;
out:
	pthread_rwlock_unlock(&smaf_lock);
	return ret;
}

void smaf_close(void)
{
	pthread_rwlock_wrlock(&smaf_lock);
	if (smaf_refs && --smaf_refs == 0) {
		close(smaf_fd);
		smaf_fd = -1;
	}
	pthread_rwlock_unlock(&smaf_lock);
}

/*
 * Issues one ioctl on the shared /dev/smaf fd. -EBADF when smaf_open() has
 * not succeeded (no reference held).
 */
static int smaf_ioctl(unsigned long cmd, void *arg)
{
	int ret;

	pthread_rwlock_rdlock(&smaf_lock);
	if (smaf_fd < 0) {
		ret = -EBADF;
	} else {
		ret = ioctl(smaf_fd, cmd, arg);
		if (ret < 0)
			ret = -errno;
	}
	pthread_rwlock_unlock(&smaf_lock);
	return ret;
}

int smaf_create_buffer64(uint64_t length, unsigned int flags,
			 const char *name, int *fd)
{
	struct smaf_create_data cd;
	size_t len = 0;
	int ret;

	if (!fd)
		return -EINVAL;
	if (name) {
		len = strnlen(name, SMAF_NAME_LEN);
		if (len >= SMAF_NAME_LEN)
			return -ENAMETOOLONG;
	}
	memset(&cd, 0, sizeof(cd));
	cd.length = length;
	cd.flags = flags;
	if (len)
		memcpy(cd.name, name, len);
	ret = smaf_ioctl(SMAF_IOC_CREATE, &cd);
	if (ret < 0)
		return ret;
	*fd = cd.fd;
	return 0;
}

int smaf_create_buffer(unsigned int length, unsigned int flags, char *name,
		       int *fd)
{
	return smaf_create_buffer64(length, flags, name, fd);
}

int smaf_set_secure(int fd, int secure)
{
	struct smaf_secure_flag sf;

	memset(&sf, 0, sizeof(sf));
	sf.fd = fd;
	/* Passed as is: the kernel refuses anything but 0 and 1. */
	sf.secure = (__u32)secure;
	return smaf_ioctl(SMAF_IOC_SET_SECURE_FLAG, &sf);
}

int smaf_get_secure(int fd)
{
	struct smaf_secure_flag sf;
	int ret;

	memset(&sf, 0, sizeof(sf));
	sf.fd = fd;
	ret = smaf_ioctl(SMAF_IOC_GET_SECURE_FLAG, &sf);
	if (ret < 0)
		return ret;
	return sf.secure ? 1 : 0;
}

static int smaf_get_info(__u32 index, struct smaf_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	return smaf_ioctl(SMAF_IOC_GET_INFO, info);
}

int smaf_allocator_count(void)
{
	struct smaf_info info;
	int ret;

	ret = smaf_get_info(0, &info);
	/*
	 * Version and reserved fields are 0, so -EINVAL can only mean that
	 * index 0 is past the end: no allocator is registered.
	 */
	if (ret == -EINVAL)
		return 0;
	if (ret < 0)
		return ret;
	if (info.count > (__u32)INT32_MAX)
		return -EOVERFLOW;
	return (int)info.count;
}

char *smaf_get_allocator_name(int index)
{
	struct smaf_info info;
	char *name;
	int ret;

	if (index < 0) {
		errno = EINVAL;
		return NULL;
	}
	ret = smaf_get_info((__u32)index, &info);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	name = malloc(SMAF_NAME_LEN);
	if (!name) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(name, info.name, SMAF_NAME_LEN);
	name[SMAF_NAME_LEN - 1] = '\0';
	return name;
}

int smaf_buffer_info(int fd, struct smaf_buffer_info *info)
{
	if (!info)
		return -EINVAL;
	/* Output fields must be 0 on input. */
	memset(info, 0, sizeof(*info));
	info->fd = fd;
	return smaf_ioctl(SMAF_IOC_BUFFER_INFO, info);
}

int smaf_add_consumer(int fd, const char *device)
{
	struct smaf_consumer c;
	size_t len;

	if (!device)
		return -EINVAL;
	len = strnlen(device, SMAF_DEVICE_NAME_LEN);
	if (len >= SMAF_DEVICE_NAME_LEN)
		return -ENAMETOOLONG;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	memcpy(c.device, device, len);
	return smaf_ioctl(SMAF_IOC_ADD_CONSUMER, &c);
}

int smaf_allocator_info(int index, struct smaf_allocator_info *info)
{
	if (!info || index < 0)
		return -EINVAL;
	/* Output fields must be 0 on input. */
	memset(info, 0, sizeof(*info));
	info->index = (__u32)index;
	return smaf_ioctl(SMAF_IOC_ALLOCATOR_INFO, info);
}

int smaf_list_buffers(uint64_t after, void *buf, size_t len,
		      struct smaf_buffer_list *list)
{
	if (!list || (len && !buf))
		return -EINVAL;
	memset(list, 0, sizeof(*list));
	list->after = after;
	list->buf = (uintptr_t)buf;
	list->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	return smaf_ioctl(SMAF_IOC_LIST_BUFFERS, list);
}

/* How many class devices may stand between a path and its bus device. */
#define SMAF_RESOLVE_DEPTH	8

#define SYSFS_DEVICES		"/sys/devices/"
#define SYSFS_BUS		"/sys/bus/"

/*
 * @dir: the real path of a sysfs device directory (overwritten). Walks up
 * from a class device to the bus device it hangs from ("device" link) and
 * writes "bus:name" to @out.
 */
static int smaf_sysfs_name(char *dir, char *out, size_t len)
{
	char link[PATH_MAX], sub[PATH_MAX];
	const char *dev;
	int depth, n;

	for (depth = 0; depth < SMAF_RESOLVE_DEPTH; depth++) {
		if (strncmp(dir, SYSFS_DEVICES, strlen(SYSFS_DEVICES)))
			return -ENODEV;
		n = snprintf(link, sizeof(link), "%s/subsystem", dir);
		if (n < 0 || (size_t)n >= sizeof(link))
			return -ENAMETOOLONG;
		if (realpath(link, sub) &&
		    !strncmp(sub, SYSFS_BUS, strlen(SYSFS_BUS)) &&
		    !strchr(sub + strlen(SYSFS_BUS), '/')) {
			dev = strrchr(dir, '/') + 1;
			n = snprintf(out, len, "%s:%s",
				     sub + strlen(SYSFS_BUS), dev);
			if (n < 0 || (size_t)n >= len)
				return -ENAMETOOLONG;
			return 0;
		}
		/* A class device (or none): the device it belongs to. */
		n = snprintf(link, sizeof(link), "%s/device", dir);
		if (n < 0 || (size_t)n >= sizeof(link))
			return -ENAMETOOLONG;
		if (!realpath(link, dir))
			return -ENODEV;
	}
	return -ENODEV;
}

int smaf_resolve_device(const char *path, char *out, size_t len)
{
	char node[64], dir[PATH_MAX];
	const char *colon;
	struct stat st;
	size_t n;

	if (!path || !*path || !out || !len)
		return -EINVAL;
	colon = strchr(path, ':');
	if (colon && path[0] != '/' && path[0] != '.') {
		/* Already "bus:device". */
		if (colon == path || !colon[1])
			return -EINVAL;
		n = strlen(path);
		if (n >= len)
			return -ENAMETOOLONG;
		memcpy(out, path, n + 1);
		return 0;
	}
	if (stat(path, &st))
		return -errno;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		snprintf(node, sizeof(node), "/sys/dev/%s/%u:%u",
			 S_ISCHR(st.st_mode) ? "char" : "block",
			 major(st.st_rdev), minor(st.st_rdev));
		/* No sysfs entry: a node without a device (a stale one). */
		if (!realpath(node, dir))
			return errno == ENOENT ? -ENODEV : -errno;
	} else if (S_ISDIR(st.st_mode)) {
		if (!realpath(path, dir))
			return -errno;
	} else {
		return -ENODEV;
	}
	return smaf_sysfs_name(dir, out, len);
}

int smaf_add_consumer_path(int fd, const char *path)
{
	char name[SMAF_DEVICE_NAME_LEN];
	int ret;

	ret = smaf_resolve_device(path, name, sizeof(name));
	if (ret < 0)
		return ret;
	return smaf_add_consumer(fd, name);
}
