// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF: Secure Memory Allocation Framework, core module.
 *
 * /dev/smaf creates dma-bufs whose memory is allocated only when a device
 * maps them or the CPU first touches them, by the best registered allocator
 * for every device using the buffer. This file is the top of the core: the
 * module's init and exit, the misc device and its sysfs file. The layers,
 * each calling only those below it:
 *
 *	smaf-main.c, smaf-ioctl.c, smaf-debugfs.c	the interfaces
 *	smaf-exporter.c			the dma-buf exporter
 *	smaf-buffer.c			the buffer lifecycle
 *	smaf-memory.c, smaf-secure.c	memory for a request; the secure side
 *	smaf-registry.c, smaf-constraints.c	plugins; what devices need
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "smaf-constraints.h"
#include "smaf-debugfs.h"
#include "smaf-ioctl.h"

/**
 * DOC: locking
 *
 * Locks are always taken in this order:
 *
 * 1. smaf_buffers_lock (smaf-buffer.c): the list of live buffers.
 * 2. &smaf_buffer.lock, one per buffer: its state, memory, attachments,
 *    declared consumers, mappings and secure state. The dma-buf core's own
 *    locks (dmabuf->lock around vmap, the reservation lock of a dynamic
 *    attachment, the mmap lock) are taken before it.
 * 3. smaf_registry_lock (smaf-registry.c: allocators and secure module) or
 *    smaf_rules_lock (smaf-constraints.c), never both; allocators' and the
 *    secure module's own locks nest inside the buffer lock, never inside
 *    these.
 *
 * smaf_quarantine_lock (smaf-buffer.c), the list of freed buffers whose
 * memory could not be scrubbed, is taken with no other SMAF lock held;
 * only the secure module's scrub and destroy_ctx and the allocator's
 * release run under it, for buffers nobody else can reach.
 *
 * Allocator and secure module callbacks run under a buffer lock (or the
 * quarantine lock) and must not call back into SMAF. Counters in
 * &smaf_stats and allocator statistics are atomic.
 */

static ssize_t constraints_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return smaf_rules_show(buf, PAGE_SIZE);
}

static ssize_t constraints_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	int ret = smaf_rules_store(buf);

	return ret ? ret : count;
}
static DEVICE_ATTR_RW(constraints);

static struct attribute *smaf_attrs[] = {
	&dev_attr_constraints.attr,
	NULL,
};
ATTRIBUTE_GROUPS(smaf);

static const struct file_operations smaf_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = smaf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice smaf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smaf",
	.fops = &smaf_fops,
	.mode = 0600,
	.groups = smaf_groups,
};

static int __init smaf_init(void)
{
	int ret;

	smaf_debugfs_init();

	/* Userspace can reach SMAF from here on: everything else is ready. */
	ret = misc_register(&smaf_misc);
	if (ret) {
		pr_err("cannot register /dev/smaf: %d\n", ret);
		smaf_debugfs_exit();
	}
	return ret;
}

static void __exit smaf_exit(void)
{
	misc_deregister(&smaf_misc);
	smaf_debugfs_exit();
	smaf_rules_free();
}

module_init(smaf_init);
module_exit(smaf_exit);

MODULE_DESCRIPTION("SMAF: Secure Memory Allocation Framework core");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMAF_VERSION);
MODULE_IMPORT_NS(DMA_BUF);
