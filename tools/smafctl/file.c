// SPDX-License-Identifier: GPL-2.0
/*
 * The files smafctl opens: /dev/smaf through libsmaf, and whole text
 * files of sysfs, debugfs and procfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsmaf.h"
#include "smafctl.h"

/* Opens /dev/smaf for libsmaf; 0, or EXIT_OPERR after the message. */
int file_open_smaf(void)
{
	int ret = smaf_open();

	if (ret == -ENOENT)
		return msg_op_err(ret, "cannot open %s: is smaf loaded?",
				  SMAF_NODE);
	if (ret)
		return msg_op_err(ret, "cannot open %s: %s", SMAF_NODE,
				  strerror(-ret));
	return 0;
}

/*
 * Reads a whole (sysfs, debugfs) file into a NUL-terminated malloc()ed
 * string. Returns 0 or -errno.
 */
int file_read(const char *path, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd, err;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		if (cap - len < 2) {
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

/* Writes one command to a sysfs file in a single write(). 0 or -errno. */
int file_write(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}
