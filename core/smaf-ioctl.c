// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: the /dev/smaf ioctls.
 *
 * The dispatcher matches the ioctl number, copies in the size the caller's
 * command encodes (shorter structs read as zero-extended, longer ones must
 * be zero past the kernel's size), runs the handler and copies back the
 * caller's size. A handler that creates a fd only reserves it: the fd is
 * installed after the copy back succeeded, so a fault leaves nothing.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/build_bug.h>
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "smaf-internal.h"

static_assert(sizeof(struct smaf_create_data) == 128);
static_assert(sizeof(struct smaf_secure_flag) == 64);
static_assert(sizeof(struct smaf_info) == 128);
static_assert(sizeof(struct smaf_buffer_info) == 120);
static_assert(sizeof(struct smaf_consumer) == 136);
static_assert(sizeof(struct smaf_allocator_info) == 128);

/**
 * struct smaf_ioctl_out - a fd a handler reserved, to publish last
 * @dmabuf: the dma-buf behind the fd; its reference passes to the fd
 * @fd: the reserved fd number
 */
struct smaf_ioctl_out {
	struct dma_buf *dmabuf;
	int fd;
};

static int smaf_ioctl_create(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_create_data *d = kdata;
	struct smaf_allocator *forced = NULL;
	struct smaf_buffer *buf;
	size_t size;
	int fd;

	if (d->version || d->reserved1 || d->reserved2 ||
	    memchr_inv(d->reserved3, 0, sizeof(d->reserved3))) {
		smaf_refuse("create: version and reserved fields must be 0\n");
		return -EINVAL;
	}
	if (d->flags & ~SMAF_CREATE_VALID_FLAGS) {
		smaf_refuse("create: unknown flags %#x\n",
			    d->flags & ~SMAF_CREATE_VALID_FLAGS);
		return -EINVAL;
	}
	if (!d->length) {
		smaf_refuse("create: length 0\n");
		return -EINVAL;
	}
	size = PAGE_ALIGN(d->length);
	if (d->length > READ_ONCE(smaf_max_buffer_size) || !size) {
		smaf_refuse("create: %llu bytes > max_buffer_size %llu\n",
			    d->length, READ_ONCE(smaf_max_buffer_size));
		return -E2BIG;
	}
	if (!memchr(d->name, 0, SMAF_NAME_LEN)) {
		smaf_refuse("create: allocator name is not NUL-terminated\n");
		return -ENAMETOOLONG;
	}
	if (d->name[0]) {
		forced = smaf_allocator_get(d->name);
		if (IS_ERR(forced)) {
			smaf_refuse("create: no allocator named %s\n", d->name);
			return PTR_ERR(forced);
		}
	}

	buf = smaf_buffer_create(size, d->flags, forced);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	fd = get_unused_fd_flags((d->flags & SMAF_CLOEXEC) ? O_CLOEXEC : 0);
	if (fd < 0) {
		dma_buf_put(buf->dmabuf);
		return fd;
	}
	d->fd = fd;
	out->dmabuf = buf->dmabuf;
	out->fd = fd;
	return 0;
}

static int smaf_ioctl_secure_valid(struct smaf_secure_flag *s)
{
	if (s->version || s->reserved1 ||
	    memchr_inv(s->reserved2, 0, sizeof(s->reserved2))) {
		smaf_refuse("secure flag: nonzero version or reserved field\n");
		return -EINVAL;
	}
	return 0;
}

static int smaf_ioctl_get_secure(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_secure_flag *s = kdata;
	struct smaf_buffer_info info = {};
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;
	int ret;

	ret = smaf_ioctl_secure_valid(s);
	if (ret)
		return ret;
	buf = smaf_buffer_get(s->fd, &dmabuf);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	smaf_buffer_fill_info(buf, &info);
	s->secure = info.secure;
	dma_buf_put(dmabuf);
	return 0;
}

static int smaf_ioctl_set_secure(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_secure_flag *s = kdata;
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;
	int ret;

	ret = smaf_ioctl_secure_valid(s);
	if (ret)
		return ret;
	if (s->secure > 1) {
		smaf_refuse("secure flag: %u is neither 0 nor 1\n", s->secure);
		return -EINVAL;
	}
	buf = smaf_buffer_get(s->fd, &dmabuf);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = smaf_secure_set(buf, s->secure);
	dma_buf_put(dmabuf);
	return ret;
}

static int smaf_ioctl_get_info(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_info *info = kdata;
	struct smaf_allocator_info ai = {};
	int ret;

	if (info->version || info->reserved1 || info->reserved2 ||
	    memchr_inv(info->reserved3, 0, sizeof(info->reserved3))) {
		smaf_refuse("info: version and reserved fields must be 0\n");
		return -EINVAL;
	}
	ai.index = info->index;
	ret = smaf_allocator_describe(&ai);
	info->count = ai.count;
	if (ret) {
		smaf_refuse("info: no allocator at index %u\n", info->index);
		return ret;
	}
	memcpy(info->name, ai.name, SMAF_NAME_LEN);
	return 0;
}

static int smaf_ioctl_buffer_info(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_buffer_info *info = kdata;
	size_t outs = offsetof(struct smaf_buffer_info, size);
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;

	if (info->flags || memchr_inv(&info->size, 0, sizeof(*info) - outs)) {
		smaf_refuse("buffer info: flags and output fields must be 0\n");
		return -EINVAL;
	}
	buf = smaf_buffer_get(info->fd, &dmabuf);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	smaf_buffer_fill_info(buf, info);
	dma_buf_put(dmabuf);
	return 0;
}

static int smaf_ioctl_add_consumer(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_consumer *c = kdata;
	struct smaf_buffer *buf;
	struct dma_buf *dmabuf;
	int ret;

	if (c->flags) {
		smaf_refuse("add consumer: flags must be 0\n");
		return -EINVAL;
	}
	if (!memchr(c->device, 0, sizeof(c->device))) {
		smaf_refuse("add consumer: device name lacks a NUL\n");
		return -ENAMETOOLONG;
	}
	buf = smaf_buffer_get(c->fd, &dmabuf);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = smaf_buffer_add_consumer(buf, c->device);
	dma_buf_put(dmabuf);
	return ret;
}

static int smaf_ioctl_allocator_info(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_allocator_info *info = kdata;
	size_t outs = offsetof(struct smaf_allocator_info, count);
	int ret;

	if (memchr_inv(&info->count, 0, sizeof(*info) - outs)) {
		smaf_refuse("allocator info: output fields must be 0\n");
		return -EINVAL;
	}
	ret = smaf_allocator_describe(info);
	if (ret)
		smaf_refuse("allocator info: no allocator at index %u\n",
			    info->index);
	return ret;
}

/**
 * struct smaf_ioctl_desc - one ioctl
 * @cmd: the command as this kernel defines it (its size is the kernel's)
 * @min_size: smallest struct a caller may pass: up to the first output
 *	field every caller needs (the new fd, the count), or the inputs
 * @fn: the handler
 */
struct smaf_ioctl_desc {
	unsigned int cmd;
	unsigned int min_size;
	int (*fn)(void *kdata, struct smaf_ioctl_out *out);
};

static const struct smaf_ioctl_desc smaf_ioctls[] = {
	{ SMAF_IOC_CREATE, offsetofend(struct smaf_create_data, fd),
	  smaf_ioctl_create },
	{ SMAF_IOC_GET_SECURE_FLAG,
	  offsetofend(struct smaf_secure_flag, secure),
	  smaf_ioctl_get_secure },
	{ SMAF_IOC_SET_SECURE_FLAG,
	  offsetofend(struct smaf_secure_flag, secure),
	  smaf_ioctl_set_secure },
	{ SMAF_IOC_GET_INFO, offsetofend(struct smaf_info, count),
	  smaf_ioctl_get_info },
	{ SMAF_IOC_BUFFER_INFO, offsetofend(struct smaf_buffer_info, size),
	  smaf_ioctl_buffer_info },
	{ SMAF_IOC_ADD_CONSUMER, offsetofend(struct smaf_consumer, flags),
	  smaf_ioctl_add_consumer },
	{ SMAF_IOC_ALLOCATOR_INFO,
	  offsetofend(struct smaf_allocator_info, count),
	  smaf_ioctl_allocator_info },
};

/* Publish or drop a fd reserved by a handler, after the copy back. */
static void smaf_ioctl_finish(struct smaf_ioctl_out *out, bool publish)
{
	if (!out->dmabuf)
		return;
	if (publish) {
		fd_install(out->fd, out->dmabuf->file);
	} else {
		put_unused_fd(out->fd);
		dma_buf_put(out->dmabuf);
	}
}

/**
 * smaf_ioctl() - ioctl handler of /dev/smaf, native and compat
 * @file: the open /dev/smaf
 * @ucmd: the command as the caller encoded it
 * @arg: user pointer to the argument struct
 *
 * Context: Process context.
 * Return: 0 or a negative errno; -ENOTTY for an unknown command.
 */
long smaf_ioctl(struct file *file, unsigned int ucmd, unsigned long arg)
{
	u64 kdata[sizeof(struct smaf_consumer) / sizeof(u64)];
	const struct smaf_ioctl_desc *desc;
	void __user *uarg = (void __user *)arg;
	struct smaf_ioctl_out out = {};
	unsigned int nr = _IOC_NR(ucmd);
	size_t usize = _IOC_SIZE(ucmd), ksize;
	int ret;

	if (_IOC_TYPE(ucmd) != SMAF_IOC_MAGIC ||
	    _IOC_DIR(ucmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr >= ARRAY_SIZE(smaf_ioctls))
		return -ENOTTY;
	desc = &smaf_ioctls[array_index_nospec(nr, ARRAY_SIZE(smaf_ioctls))];
	ksize = _IOC_SIZE(desc->cmd);
	BUILD_BUG_ON(sizeof(kdata) < sizeof(struct smaf_create_data) ||
		     sizeof(kdata) < sizeof(struct smaf_allocator_info));
	if (usize < desc->min_size) {
		smaf_refuse("ioctl %u: %zu bytes is too short\n", nr, usize);
		return -EINVAL;
	}

	ret = copy_struct_from_user(kdata, ksize, uarg, usize);
	if (ret)
		return ret;
	ret = desc->fn(kdata, &out);
	if (ret)
		return ret;
	if (copy_to_user(uarg, kdata, min(usize, ksize)))
		ret = -EFAULT;
	smaf_ioctl_finish(&out, !ret);
	return ret;
}
