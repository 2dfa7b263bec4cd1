// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core, top layer: debugfs, /sys/kernel/debug/smaf/, for people (no
 * program may parse it: smafctl uses the ioctls). stats, allocators,
 * buffers, constraints, declarations, and quarantine, which root writes
 * "scrub" to. It calls the layers below and is called by nothing but the
 * module's init and exit.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "smaf-buffer.h"
#include "smaf-common.h"
#include "smaf-constraints.h"
#include "smaf-debugfs.h"
#include "smaf-registry.h"

static struct dentry *smaf_dbg_dir;

static int smaf_dbg_stats_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "buffers %lld\n",
		   atomic64_read(&smaf_stats.buffers));
	seq_printf(s, "allocated_buffers %lld\n",
		   atomic64_read(&smaf_stats.allocated_buffers));
	seq_printf(s, "allocated_bytes %lld\n",
		   atomic64_read(&smaf_stats.allocated_bytes));
	seq_printf(s, "attachments %lld\n",
		   atomic64_read(&smaf_stats.attachments));
	seq_printf(s, "device_mappings %lld\n",
		   atomic64_read(&smaf_stats.device_mappings));
	seq_printf(s, "cpu_mappings %lld\n",
		   atomic64_read(&smaf_stats.cpu_mappings));
	seq_printf(s, "quarantined_buffers %lld\n",
		   atomic64_read(&smaf_stats.quarantined_buffers));
	seq_printf(s, "quarantined_bytes %lld\n",
		   atomic64_read(&smaf_stats.quarantined_bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_dbg_stats);

static int smaf_dbg_allocators_show(struct seq_file *s, void *unused)
{
	struct smaf_allocator_info info = {};

	for (info.index = 0; !smaf_allocator_describe(&info); info.index++)
		seq_printf(s, "name=%s ranking=%d contiguous=%d secure=%d max_size=%llu min_dma_limit=%#llx buffers=%llu bytes=%llu peak_bytes=%llu failures=%llu\n",
			   info.name, info.ranking,
			   !!(info.caps & SMAF_CAP_CONTIGUOUS),
			   !!(info.caps & SMAF_CAP_SECURE), info.max_size,
			   info.min_dma_limit, info.buffers, info.bytes,
			   info.peak_bytes, info.failures);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_dbg_allocators);

/* Prints what @show writes into a page, for the rules tables. */
static int smaf_dbg_page(struct seq_file *s, ssize_t (*show)(char *, size_t))
{
	char *buf = kzalloc(PAGE_SIZE, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	show(buf, PAGE_SIZE);
	seq_puts(s, buf);
	kfree(buf);
	return 0;
}

static int smaf_dbg_constraints_show(struct seq_file *s, void *unused)
{
	return smaf_dbg_page(s, smaf_rules_show);
}
DEFINE_SHOW_ATTRIBUTE(smaf_dbg_constraints);

static int smaf_dbg_declarations_show(struct seq_file *s, void *unused)
{
	return smaf_dbg_page(s, smaf_decls_show);
}
DEFINE_SHOW_ATTRIBUTE(smaf_dbg_declarations);

static void smaf_dbg_buffer_devs(struct seq_file *s, struct smaf_buffer *buf)
{
	char name[SMAF_DEVICE_NAME_LEN];
	struct smaf_attachment *a;
	unsigned int i;

	seq_puts(s, " attached=");
	list_for_each_entry(a, &buf->attachments, node) {
		smaf_device_name(a->dev, name);
		seq_printf(s, "%s%s", name,
			   list_is_last(&a->node, &buf->attachments) ?
			   "" : ",");
	}
	if (list_empty(&buf->attachments))
		seq_puts(s, "-");
	seq_puts(s, " declared=");
	for (i = 0; i < buf->nr_consumers; i++) {
		smaf_device_name(buf->consumers[i], name);
		seq_printf(s, "%s%s", i ? "," : "", name);
	}
	if (!buf->nr_consumers)
		seq_puts(s, "-");
}

static int smaf_dbg_buffer(struct smaf_buffer *buf, void *arg)
{
	struct seq_file *s = arg;
	struct smaf_allocator *alloc;

	mutex_lock(&buf->lock);
	alloc = buf->backing.alloc ? buf->backing.alloc : buf->forced;
	seq_printf(s, "id=%lu size=%zu state=%s allocator=%s secure=%d",
		   buf->id, buf->size,
		   buf->state == SMAF_BUFFER_EMPTY ? "unallocated" :
						     "allocated",
		   alloc ? alloc->name : "-", smaf_buffer_secure(buf));
	smaf_dbg_buffer_devs(s, buf);
	seq_printf(s, " device_maps=%u cpu_maps=%u migrations=%u pid=%d comm=",
		   buf->nr_device_maps, buf->nr_vmas + buf->vmap_count,
		   buf->migrations, pid_nr(buf->creator));
	/* Userspace picks both names: a newline must not fake a line. */
	seq_escape(s, buf->comm, "\n\\");
	mutex_unlock(&buf->lock);
	seq_puts(s, " name=");
	spin_lock(&buf->dmabuf->name_lock);
	seq_escape(s, buf->dmabuf->name ? buf->dmabuf->name : "-", "\n\\");
	spin_unlock(&buf->dmabuf->name_lock);
	seq_putc(s, '\n');
	return 0;
}

static int smaf_dbg_buffers_show(struct seq_file *s, void *unused)
{
	return smaf_buffers_for_each(smaf_dbg_buffer, s);
}
DEFINE_SHOW_ATTRIBUTE(smaf_dbg_buffers);

static int smaf_dbg_quarantined(struct smaf_buffer *buf, void *arg)
{
	seq_printf(arg, "id=%lu size=%zu allocator=%s secure=%s\n", buf->id,
		   buf->size, buf->backing.alloc->name, buf->secure.sec->name);
	return 0;
}

static int smaf_dbg_quarantine_show(struct seq_file *s, void *unused)
{
	return smaf_quarantine_for_each(smaf_dbg_quarantined, s);
}

static int smaf_dbg_quarantine_open(struct inode *inode, struct file *file)
{
	return single_open(file, smaf_dbg_quarantine_show, NULL);
}

/* "scrub" asks for every quarantined buffer to be scrubbed again. */
static ssize_t smaf_dbg_quarantine_write(struct file *file,
					 const char __user *ubuf, size_t len,
					 loff_t *ppos)
{
	char cmd[8] = "";

	if (len < sizeof(cmd) && copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	if (len >= sizeof(cmd) || !sysfs_streq(cmd, "scrub")) {
		pr_err("quarantine: the only command is \"scrub\"\n");
		return -EINVAL;
	}
	if (smaf_buffer_quarantine_scrub())
		return -EIO;
	return len;
}

static const struct file_operations smaf_dbg_quarantine_fops = {
	.owner = THIS_MODULE,
	.open = smaf_dbg_quarantine_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = smaf_dbg_quarantine_write,
	.release = single_release,
};

/**
 * smaf_debugfs_init() - create /sys/kernel/debug/smaf/
 *
 * Context: Process context, module init.
 */
void smaf_debugfs_init(void)
{
	smaf_dbg_dir = debugfs_create_dir("smaf", NULL);
	debugfs_create_file("stats", 0400, smaf_dbg_dir, NULL,
			    &smaf_dbg_stats_fops);
	debugfs_create_file("allocators", 0400, smaf_dbg_dir, NULL,
			    &smaf_dbg_allocators_fops);
	debugfs_create_file("buffers", 0400, smaf_dbg_dir, NULL,
			    &smaf_dbg_buffers_fops);
	debugfs_create_file("constraints", 0400, smaf_dbg_dir, NULL,
			    &smaf_dbg_constraints_fops);
	debugfs_create_file("declarations", 0400, smaf_dbg_dir, NULL,
			    &smaf_dbg_declarations_fops);
	debugfs_create_file("quarantine", 0600, smaf_dbg_dir, NULL,
			    &smaf_dbg_quarantine_fops);
}

/**
 * smaf_debugfs_exit() - remove /sys/kernel/debug/smaf/
 *
 * Context: Process context, module exit.
 */
void smaf_debugfs_exit(void)
{
	debugfs_remove_recursive(smaf_dbg_dir);
}
