/* SPDX-License-Identifier: GPL-2.0 */
/* SMAF core, top layer: the /dev/smaf ioctls. Not an API. */
#ifndef _SMAF_IOCTL_H
#define _SMAF_IOCTL_H

#include <linux/fs.h>

long smaf_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _SMAF_IOCTL_H */
