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
#include <linux/dma-buf.h>
#include <uapi/linux/dma-buf.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "smaf-buffer.h"
#include "smaf-common.h"
#include "smaf-constraints.h"
#include "smaf-exporter.h"
#include "smaf-ioctl.h"
#include "smaf-registry.h"

static u64 smaf_max_buffer_size = 64ULL << 20;
module_param_named(max_buffer_size, smaf_max_buffer_size, ullong, 0644);
MODULE_PARM_DESC(max_buffer_size,
		 "Largest buffer SMAF_IOC_CREATE accepts, in bytes (default 64 MiB)");

static_assert(sizeof(struct smaf_create_data) == 128);
static_assert(sizeof(struct smaf_secure_flag) == 64);
static_assert(sizeof(struct smaf_info) == 128);
static_assert(sizeof(struct smaf_buffer_info) == 120);
static_assert(sizeof(struct smaf_consumer) == 136);
static_assert(sizeof(struct smaf_allocator_info) == 128);
static_assert(sizeof(struct smaf_buffer_record) == 176);
static_assert(sizeof(struct smaf_buffer_list) == 40);
static_assert(SMAF_COMM_LEN == TASK_COMM_LEN);
static_assert(SMAF_BUFFER_NAME_LEN == DMA_BUF_NAME_LEN);

/* Most bytes of records one SMAF_IOC_LIST_BUFFERS writes. */
#define SMAF_LIST_MAX		SZ_1M

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

	buf = smaf_export(size, d->flags, forced);
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
	buf = smaf_exporter_get(s->fd, &dmabuf);
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
	buf = smaf_exporter_get(s->fd, &dmabuf);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = smaf_buffer_set_secure(buf, s->secure);
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
	buf = smaf_exporter_get(info->fd, &dmabuf);
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
	buf = smaf_exporter_get(c->fd, &dmabuf);
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
 * struct smaf_list_ctx - one SMAF_IOC_LIST_BUFFERS walk
 * @after: serials up to this one are skipped
 * @all: the caller may see every buffer
 * @uid: else, only those of this creator's effective uid
 * @out: kernel copy of the records
 * @len: bytes at @out
 * @used: bytes written at @out
 * @count: records written
 * @last: serial of the last record written
 * @more: a buffer did not fit
 */
struct smaf_list_ctx {
	u64 after;
	bool all;
	kuid_t uid;
	u8 *out;
	size_t len;
	size_t used;
	u32 count;
	u64 last;
	bool more;
};

/* Bytes of @buf's record, names included. */
static size_t smaf_list_reclen(struct smaf_buffer *buf)
{
	char name[SMAF_DEVICE_NAME_LEN];
	struct smaf_attachment *a;
	size_t len = sizeof(struct smaf_buffer_record);
	unsigned int i;

	lockdep_assert_held(&buf->lock);
	list_for_each_entry(a, &buf->attachments, node) {
		smaf_device_name(a->dev, name);
		len += strlen(name) + 1;
	}
	for (i = 0; i < buf->nr_consumers; i++) {
		smaf_device_name(buf->consumers[i], name);
		len += strlen(name) + 1;
	}
	return ALIGN(len, 8);
}

/* Writes @buf's device names at @p; returns where they end. */
static char *smaf_list_names(struct smaf_buffer *buf, char *p)
{
	struct smaf_attachment *a;
	unsigned int i;

	list_for_each_entry(a, &buf->attachments, node) {
		smaf_device_name(a->dev, p);
		p += strlen(p) + 1;
	}
	for (i = 0; i < buf->nr_consumers; i++) {
		smaf_device_name(buf->consumers[i], p);
		p += strlen(p) + 1;
	}
	return p;
}

static void smaf_list_fill(struct smaf_buffer *buf,
			   struct smaf_buffer_record *r, size_t reclen)
{
	struct smaf_allocator *alloc;

	lockdep_assert_held(&buf->lock);
	r->reclen = reclen;
	r->state = buf->state == SMAF_BUFFER_EMPTY ?
		   SMAF_BUFFER_STATE_EMPTY : SMAF_BUFFER_STATE_ALLOCATED;
	r->serial = buf->serial;
	r->id = buf->id;
	r->size = buf->size;
	r->secure = smaf_buffer_secure(buf);
	r->attachments = buf->nr_attachments;
	r->device_mappings = buf->nr_device_maps;
	r->cpu_mappings = buf->nr_vmas + buf->vmap_count;
	r->migrations = buf->migrations;
	r->nr_attached = buf->nr_attachments;
	r->nr_declared = buf->nr_consumers;
	r->pid = pid_nr_ns(buf->creator, task_active_pid_ns(current));
	alloc = buf->backing.alloc ? buf->backing.alloc : buf->forced;
	if (alloc)
		strscpy(r->allocator, alloc->name, SMAF_NAME_LEN);
	memcpy(r->comm, buf->comm, SMAF_COMM_LEN);
	smaf_list_names(buf, r->names);
	spin_lock(&buf->dmabuf->name_lock);
	if (buf->dmabuf->name)
		strscpy(r->name, buf->dmabuf->name, SMAF_BUFFER_NAME_LEN);
	spin_unlock(&buf->dmabuf->name_lock);
}

/* One buffer of the walk: its record, if the caller may see it. */
static int smaf_list_one(struct smaf_buffer *buf, void *arg)
{
	struct smaf_list_ctx *c = arg;
	size_t reclen;

	if (buf->serial <= c->after || (!c->all && !uid_eq(buf->uid, c->uid)))
		return 0;
	mutex_lock(&buf->lock);
	reclen = smaf_list_reclen(buf);
	if (c->used + reclen > c->len) {
		mutex_unlock(&buf->lock);
		c->more = true;
		return 1;
	}
	smaf_list_fill(buf, (void *)(c->out + c->used), reclen);
	mutex_unlock(&buf->lock);
	c->used += reclen;
	c->count++;
	c->last = buf->serial;
	return 0;
}

/*
 * The records are made in kernel memory under the buffers' locks, then
 * copied out with no lock held: a fault on the output may be one on an
 * mmap() of a SMAF buffer, whose fault handler takes that buffer's lock.
 */
static int smaf_ioctl_list_buffers(void *kdata, struct smaf_ioctl_out *out)
{
	struct smaf_buffer_list *l = kdata;
	struct smaf_list_ctx c = {
		.after = l->after,
		.all = capable(CAP_SYS_ADMIN),
		.uid = current_euid(),
		.len = min_t(u32, l->len, SMAF_LIST_MAX),
	};
	int ret = 0;

	if (l->flags || l->count || l->more || l->last) {
		smaf_refuse("list buffers: flags, output fields must be 0\n");
		return -EINVAL;
	}
	c.out = kvzalloc(max_t(size_t, c.len, 1), GFP_KERNEL);
	if (!c.out)
		return -ENOMEM;
	smaf_buffers_for_each(smaf_list_one, &c);
	if (c.more && !c.count) {
		smaf_refuse("list buffers: %u bytes cannot hold a record\n",
			    l->len);
		ret = -ENOSPC;
	} else if (copy_to_user(u64_to_user_ptr(l->buf), c.out, c.used)) {
		ret = -EFAULT;
	}
	kvfree(c.out);
	l->count = c.count;
	l->more = c.more;
	l->last = c.count ? c.last : l->after;
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

/* The shared argument buffer: as large as the largest argument. */
#define SMAF_IOCTL_ARG_MAX	sizeof(struct smaf_consumer)

static const struct smaf_ioctl_desc smaf_ioctls[] = {
	[_IOC_NR(SMAF_IOC_CREATE)] = {
		.cmd = SMAF_IOC_CREATE,
		.min_size = offsetofend(struct smaf_create_data, fd),
		.fn = smaf_ioctl_create,
	},
	[_IOC_NR(SMAF_IOC_GET_SECURE_FLAG)] = {
		.cmd = SMAF_IOC_GET_SECURE_FLAG,
		.min_size = offsetofend(struct smaf_secure_flag, secure),
		.fn = smaf_ioctl_get_secure,
	},
	[_IOC_NR(SMAF_IOC_SET_SECURE_FLAG)] = {
		.cmd = SMAF_IOC_SET_SECURE_FLAG,
		.min_size = offsetofend(struct smaf_secure_flag, secure),
		.fn = smaf_ioctl_set_secure,
	},
	[_IOC_NR(SMAF_IOC_GET_INFO)] = {
		.cmd = SMAF_IOC_GET_INFO,
		.min_size = offsetofend(struct smaf_info, count),
		.fn = smaf_ioctl_get_info,
	},
	[_IOC_NR(SMAF_IOC_BUFFER_INFO)] = {
		.cmd = SMAF_IOC_BUFFER_INFO,
		.min_size = offsetofend(struct smaf_buffer_info, size),
		.fn = smaf_ioctl_buffer_info,
	},
	[_IOC_NR(SMAF_IOC_ADD_CONSUMER)] = {
		.cmd = SMAF_IOC_ADD_CONSUMER,
		.min_size = offsetofend(struct smaf_consumer, flags),
		.fn = smaf_ioctl_add_consumer,
	},
	[_IOC_NR(SMAF_IOC_ALLOCATOR_INFO)] = {
		.cmd = SMAF_IOC_ALLOCATOR_INFO,
		.min_size = offsetofend(struct smaf_allocator_info, count),
		.fn = smaf_ioctl_allocator_info,
	},
	[_IOC_NR(SMAF_IOC_LIST_BUFFERS)] = {
		.cmd = SMAF_IOC_LIST_BUFFERS,
		.min_size = offsetofend(struct smaf_buffer_list, last),
		.fn = smaf_ioctl_list_buffers,
	},
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
	u64 kdata[SMAF_IOCTL_ARG_MAX / sizeof(u64)];
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
	/* Every command's argument fits kdata; no number is left out. */
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_CREATE) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_GET_SECURE_FLAG) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_SET_SECURE_FLAG) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_GET_INFO) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_BUFFER_INFO) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_ADD_CONSUMER) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_ALLOCATOR_INFO) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(_IOC_SIZE(SMAF_IOC_LIST_BUFFERS) > SMAF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(ARRAY_SIZE(smaf_ioctls) !=
		     _IOC_NR(SMAF_IOC_LIST_BUFFERS) + 1);
	desc = &smaf_ioctls[array_index_nospec(nr, ARRAY_SIZE(smaf_ioctls))];
	ksize = _IOC_SIZE(desc->cmd);
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
