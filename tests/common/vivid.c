// SPDX-License-Identifier: GPL-2.0
/* Helpers for tests that import SMAF buffers into vivid. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "vivid.h"

int smaf_xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int vivid_mode(void)
{
	char buf[64];
	int fd, n;

	fd = open("/sys/module/vivid/parameters/allocators",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return atoi(buf);	/* "1,0,0,..." */
}

static int vivid_is_capture(int fd)
{
	struct v4l2_capability cap;
	__u32 caps;

	memset(&cap, 0, sizeof(cap));
	if (smaf_xioctl(fd, VIDIOC_QUERYCAP, &cap) ||
	    strcmp((char *)cap.driver, "vivid"))
		return 0;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
		cap.device_caps : cap.capabilities;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) &&
	       (caps & V4L2_CAP_STREAMING) && !(caps & V4L2_CAP_TOUCH);
}

int vivid_open_capture(char *path, size_t len)
{
	char name[32];
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "/dev/video%d", i);
		fd = open(name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (vivid_is_capture(fd)) {
			if (path)
				snprintf(path, len, "%s", name);
			return fd;
		}
		close(fd);
	}
	return -ENODEV;
}

int vivid_reqbufs(int vfd, unsigned int count)
{
	struct v4l2_requestbuffers rb;
	int ret;

	memset(&rb, 0, sizeof(rb));
	rb.count = count;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ret = smaf_xioctl(vfd, VIDIOC_REQBUFS, &rb);
	return ret < 0 ? ret : (int)rb.count;
}

int vivid_qbuf(int vfd, unsigned int index, int fd, size_t size)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = index;
	b.m.fd = fd;
	b.length = size;
	return smaf_xioctl(vfd, VIDIOC_QBUF, &b);
}
