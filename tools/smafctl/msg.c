// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl's messages on stderr, "smafctl: CMD: MESSAGE": a usage error
 * adds a hint (exit status 2), an operational error the errno's name
 * (exit status 1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include "smafctl.h"

static void msg_vprint(const char *fmt, va_list ap)
{
	fputs("smafctl: ", stderr);
	if (smafctl_cmd)
		fprintf(stderr, "%s: ", smafctl_cmd->name);
	vfprintf(stderr, fmt, ap);
}

/* A usage error: the message, a hint, and EXIT_USAGE to return. */
int msg_usage_err(const char *fmt, ...)
{
	const char *name = smafctl_cmd ? smafctl_cmd->name : NULL;
	va_list ap;

	va_start(ap, fmt);
	msg_vprint(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'smafctl %s%s--help'.\n",
		name ? name : "", name ? " " : "");
	return EXIT_USAGE;
}

static const char *msg_errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "unknown errno";
}

/*
 * An operational error: one line, "smafctl: CMD: MESSAGE (ENAME)", and
 * EXIT_OPERR to return. @err is a positive or negative errno.
 */
int msg_op_err(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	msg_vprint(fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", msg_errno_name(err));
	return EXIT_OPERR;
}

/* Explains a failure to open the debugfs file @path; EXIT_OPERR. */
int msg_debugfs_err(int err, const char *path)
{
	struct statfs sfs;

	if (err == -ENOENT || err == -EACCES || err == -EPERM) {
		if (statfs(DEBUGFS_DIR, &sfs) && errno == EACCES)
			return msg_op_err(err, "cannot read %s: needs root",
					  path);
		if (statfs(DEBUGFS_DIR, &sfs) ||
		    sfs.f_type != DEBUGFS_MAGIC) {
			msg_op_err(err, "debugfs is not mounted on %s (mount -t debugfs none %s)",
				   DEBUGFS_DIR, DEBUGFS_DIR);
			return EXIT_OPERR;
		}
	}
	if (err == -ENOENT)
		return msg_op_err(err, "no %s: is smaf loaded?", path);
	if (err == -EACCES || err == -EPERM)
		return msg_op_err(err, "cannot open %s: debugfs needs root",
				  path);
	return msg_op_err(err, "cannot read %s", path);
}
