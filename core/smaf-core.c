// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF: Secure Memory Allocation Framework, core module.
 *
 * /dev/smaf creates dma-bufs whose memory is allocated only when a device
 * maps them or the CPU first touches them, by the best registered allocator
 * for every device using the buffer. This file holds the allocator
 * registry, the module parameters, the counters and the misc device.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "smaf-internal.h"

/**
 * DOC: locking
 *
 * Locks are always taken in this order:
 *
 * 1. smaf_buffers_lock (smaf-buffer.c): the list of live buffers, for
 *    debugfs.
 * 2. &smaf_buffer.lock, one per buffer: its memory, attachments, declared
 *    consumers, mappings and secure state. The dma-buf core's own locks
 *    (dmabuf->lock around vmap, the mmap lock) are taken before it.
 * 3. &smaf_registry_lock (allocators and secure module) or
 *    smaf_rules_lock (smaf-constraints.c), never both.
 *
 * smaf_quarantine_lock (smaf-secure.c), the list of freed buffers whose
 * memory could not be scrubbed, is taken with no other SMAF lock held;
 * only the secure module's scrub and destroy_ctx and the allocator's
 * release run under it, for buffers nobody else can reach.
 *
 * Allocator and secure module callbacks run under a buffer lock (or the
 * quarantine lock) and must not call back into SMAF. Counters in
 * &smaf_stats and allocator statistics are atomic.
 */

u64 smaf_max_buffer_size = 64ULL << 20;
module_param_named(max_buffer_size, smaf_max_buffer_size, ullong, 0644);
MODULE_PARM_DESC(max_buffer_size,
		 "Largest buffer SMAF_IOC_CREATE accepts, in bytes (default 64 MiB)");

u64 smaf_max_total_size = 1ULL << 30;
module_param_named(max_total_size, smaf_max_total_size, ullong, 0644);
MODULE_PARM_DESC(max_total_size,
		 "Most bytes of memory all SMAF buffers may hold at once (default 1 GiB)");

struct smaf_stats smaf_stats;

/* Protects smaf_allocators and smaf_secure_module; see DOC: locking. */
DEFINE_MUTEX(smaf_registry_lock);
/* Registered allocators, highest ranking first, then by name. */
static LIST_HEAD(smaf_allocators);
/* The registered secure module, or NULL. */
static struct smaf_secure *smaf_secure_module;

static struct dentry *smaf_debugfs;

static struct smaf_allocator *smaf_allocator_find(const char *name)
{
	struct smaf_allocator *alloc;

	lockdep_assert_held(&smaf_registry_lock);
	list_for_each_entry(alloc, &smaf_allocators, node)
		if (!strcmp(alloc->name, name))
			return alloc;
	return NULL;
}

/**
 * smaf_register_allocator() - make an allocator available to SMAF
 * @alloc: the allocator; must stay valid until smaf_unregister_allocator()
 *
 * Context: Process context. Takes and releases the registry lock.
 * Return: 0, -EINVAL if a callback or the name is missing or the name does
 * not fit in SMAF_NAME_LEN, -EEXIST if the name is taken.
 */
int smaf_register_allocator(struct smaf_allocator *alloc)
{
	struct smaf_allocator *pos;
	int ret = 0;

	if (!alloc || !alloc->name || !alloc->name[0] ||
	    strnlen(alloc->name, SMAF_NAME_LEN) >= SMAF_NAME_LEN ||
	    !alloc->ops || !alloc->ops->allocate || !alloc->ops->release) {
		pr_err("refusing an allocator without name or callbacks\n");
		return -EINVAL;
	}

	atomic_set(&alloc->buffers, 0);
	atomic64_set(&alloc->bytes, 0);
	atomic64_set(&alloc->peak_bytes, 0);
	atomic_set(&alloc->failures, 0);

	mutex_lock(&smaf_registry_lock);
	if (smaf_allocator_find(alloc->name)) {
		pr_err("allocator %s is already registered\n", alloc->name);
		ret = -EEXIST;
		goto out_unlock;
	}
	list_for_each_entry(pos, &smaf_allocators, node)
		if (alloc->ranking > pos->ranking ||
		    (alloc->ranking == pos->ranking &&
		     strcmp(alloc->name, pos->name) < 0))
			break;
	list_add_tail(&alloc->node, &pos->node);
	pr_info("allocator %s registered (ranking %d)\n", alloc->name,
		alloc->ranking);
out_unlock:
	mutex_unlock(&smaf_registry_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(smaf_register_allocator);

/**
 * smaf_unregister_allocator() - withdraw an allocator
 * @alloc: an allocator registered with smaf_register_allocator()
 *
 * No buffer can still use @alloc: each one holds a reference on
 * &smaf_allocator.owner, so the owner's exit cannot run before they are
 * gone.
 *
 * Context: Process context. Takes and releases the registry lock.
 */
void smaf_unregister_allocator(struct smaf_allocator *alloc)
{
	mutex_lock(&smaf_registry_lock);
	list_del(&alloc->node);
	mutex_unlock(&smaf_registry_lock);
	pr_info("allocator %s unregistered\n", alloc->name);
}
EXPORT_SYMBOL_GPL(smaf_unregister_allocator);

/**
 * smaf_allocator_get() - find an allocator by name and pin its module
 * @name: NUL-terminated name
 *
 * Context: Process context. Takes and releases the registry lock.
 * Return: the allocator, or ERR_PTR(-ENOENT).
 */
struct smaf_allocator *smaf_allocator_get(const char *name)
{
	struct smaf_allocator *alloc;

	mutex_lock(&smaf_registry_lock);
	alloc = smaf_allocator_find(name);
	if (alloc && !try_module_get(alloc->owner))
		alloc = NULL;
	mutex_unlock(&smaf_registry_lock);
	return alloc ? alloc : ERR_PTR(-ENOENT);
}

/**
 * smaf_allocator_put() - unpin an allocator from smaf_allocator_get()
 * @alloc: the allocator, or NULL
 *
 * Context: Any context.
 */
void smaf_allocator_put(struct smaf_allocator *alloc)
{
	if (alloc)
		module_put(alloc->owner);
}

/**
 * smaf_allocator_serves() - can an allocator serve a request?
 * @alloc: the allocator
 * @req: the request
 *
 * Its declared capabilities must cover the request, then its own match()
 * (if any) must accept it.
 *
 * Context: Process context.
 * Return: true if it can.
 */
bool smaf_allocator_serves(struct smaf_allocator *alloc,
			   const struct smaf_request *req)
{
	if (req->secure && !alloc->secure_capable)
		return false;
	if (req->constraints.contiguous && !alloc->contiguous)
		return false;
	if (req->constraints.dma_limit < alloc->min_dma_limit)
		return false;
	if (alloc->max_size && req->size > alloc->max_size)
		return false;
	return !alloc->ops->match || alloc->ops->match(alloc, req);
}

/**
 * smaf_allocator_candidates() - allocators that accept a request
 * @req: the request
 * @count: set to the number of entries returned
 *
 * Every returned allocator is pinned: release each entry with
 * smaf_allocator_put() and the array with kfree().
 *
 * Context: Process context; takes and releases the registry lock, so the
 * caller may hold a buffer lock but not the registry lock.
 * Return: an array in ranking order (possibly empty), or an ERR_PTR().
 */
struct smaf_allocator **
smaf_allocator_candidates(const struct smaf_request *req, unsigned int *count)
{
	struct smaf_allocator **out;
	struct smaf_allocator *alloc;
	unsigned int n = 0, max = 0;

	mutex_lock(&smaf_registry_lock);
	list_for_each_entry(alloc, &smaf_allocators, node)
		max++;
	out = kmalloc_array(max ? max : 1, sizeof(*out), GFP_KERNEL);
	if (!out) {
		mutex_unlock(&smaf_registry_lock);
		return ERR_PTR(-ENOMEM);
	}
	list_for_each_entry(alloc, &smaf_allocators, node)
		if (smaf_allocator_serves(alloc, req) &&
		    try_module_get(alloc->owner))
			out[n++] = alloc;
	mutex_unlock(&smaf_registry_lock);
	*count = n;
	return out;
}

static void smaf_allocator_fill(struct smaf_allocator *alloc,
				struct smaf_allocator_info *info)
{
	strscpy_pad(info->name, alloc->name, SMAF_NAME_LEN);
	info->ranking = alloc->ranking;
	info->caps = (alloc->contiguous ? SMAF_CAP_CONTIGUOUS : 0) |
		     (alloc->secure_capable ? SMAF_CAP_SECURE : 0);
	info->max_size = alloc->max_size;
	info->min_dma_limit = alloc->min_dma_limit;
	info->buffers = atomic_read(&alloc->buffers);
	info->bytes = atomic64_read(&alloc->bytes);
	info->peak_bytes = atomic64_read(&alloc->peak_bytes);
	info->failures = atomic_read(&alloc->failures);
}

/**
 * smaf_allocator_describe() - describe the allocator at a list position
 * @info: &smaf_allocator_info.index selects the allocator; every other
 *	field is set
 *
 * Context: Process context. Takes and releases the registry lock.
 * Return: 0, or -EINVAL when the index is past the end (count is set).
 */
int smaf_allocator_describe(struct smaf_allocator_info *info)
{
	struct smaf_allocator *alloc;
	u32 n = 0;
	int ret = -EINVAL;

	mutex_lock(&smaf_registry_lock);
	list_for_each_entry(alloc, &smaf_allocators, node) {
		if (n == info->index) {
			smaf_allocator_fill(alloc, info);
			ret = 0;
		}
		n++;
	}
	mutex_unlock(&smaf_registry_lock);
	info->count = n;
	return ret;
}

static int smaf_allocators_show(struct seq_file *s, void *unused)
{
	struct smaf_allocator_info info = {};
	struct smaf_allocator *alloc;

	mutex_lock(&smaf_registry_lock);
	list_for_each_entry(alloc, &smaf_allocators, node) {
		smaf_allocator_fill(alloc, &info);
		seq_printf(s, "name=%s ranking=%d contiguous=%d secure=%d max_size=%llu min_dma_limit=%#llx buffers=%llu bytes=%llu peak_bytes=%llu failures=%llu\n",
			   info.name, info.ranking,
			   !!(info.caps & SMAF_CAP_CONTIGUOUS),
			   !!(info.caps & SMAF_CAP_SECURE), info.max_size,
			   info.min_dma_limit, info.buffers, info.bytes,
			   info.peak_bytes, info.failures);
	}
	mutex_unlock(&smaf_registry_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_allocators);

/* Prints what @show writes into a page, for the rules tables. */
static int smaf_seq_page(struct seq_file *s, ssize_t (*show)(char *, size_t))
{
	char *buf = kzalloc(PAGE_SIZE, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	show(buf, PAGE_SIZE);
	seq_puts(s, buf);
	kfree(buf);
	return 0;
}

static int smaf_constraints_show(struct seq_file *s, void *unused)
{
	return smaf_seq_page(s, smaf_rules_show);
}
DEFINE_SHOW_ATTRIBUTE(smaf_constraints);

static int smaf_declarations_show(struct seq_file *s, void *unused)
{
	return smaf_seq_page(s, smaf_decls_show);
}
DEFINE_SHOW_ATTRIBUTE(smaf_declarations);

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

/**
 * smaf_register_secure() - register the secure module
 * @sec: the module's description; must stay valid until
 *	smaf_unregister_secure()
 *
 * Context: Process context. Takes and releases the registry lock.
 * Return: 0, -EINVAL if a required callback is missing, -EBUSY if a secure
 * module is already registered (there is one per platform).
 */
int smaf_register_secure(struct smaf_secure *sec)
{
	const struct smaf_secure_ops *ops = sec ? sec->ops : NULL;
	int ret = 0;

	if (!ops || !ops->create_ctx || !ops->destroy_ctx || !ops->grant ||
	    !ops->revoke || !ops->scrub || !sec->name) {
		pr_err("refusing a secure module without name or callbacks\n");
		return -EINVAL;
	}
	mutex_lock(&smaf_registry_lock);
	if (smaf_secure_module) {
		pr_err("cannot register secure module %s: %s is registered\n",
		       sec->name, smaf_secure_module->name);
		ret = -EBUSY;
	} else {
		smaf_secure_module = sec;
		pr_info("secure module %s registered\n", sec->name);
	}
	mutex_unlock(&smaf_registry_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(smaf_register_secure);

/**
 * smaf_unregister_secure() - withdraw the secure module
 * @sec: the module registered with smaf_register_secure()
 *
 * No secure buffer can exist: each pins &smaf_secure.owner.
 *
 * Context: Process context. Takes and releases the registry lock.
 */
void smaf_unregister_secure(struct smaf_secure *sec)
{
	mutex_lock(&smaf_registry_lock);
	if (smaf_secure_module == sec)
		smaf_secure_module = NULL;
	mutex_unlock(&smaf_registry_lock);
	pr_info("secure module %s unregistered\n", sec->name);
}
EXPORT_SYMBOL_GPL(smaf_unregister_secure);

/**
 * smaf_secure_get() - pin the registered secure module
 *
 * Context: Process context. Takes and releases the registry lock.
 * Return: the module, pinned (release with smaf_secure_put()), or NULL.
 */
struct smaf_secure *smaf_secure_get(void)
{
	struct smaf_secure *sec;

	mutex_lock(&smaf_registry_lock);
	sec = smaf_secure_module;
	if (sec && !try_module_get(sec->owner))
		sec = NULL;
	mutex_unlock(&smaf_registry_lock);
	return sec;
}

/**
 * smaf_secure_put() - unpin a module from smaf_secure_get()
 * @sec: the module, or NULL
 *
 * Context: Any context.
 */
void smaf_secure_put(struct smaf_secure *sec)
{
	if (sec)
		module_put(sec->owner);
}

/**
 * smaf_secure_check() - may a requester reach a physical range now?
 * @acc: the requester, range and kind of access
 *
 * For device models that emulate a bus master behind the memory firewall:
 * they ask before every access and fail it when refused.
 *
 * Context: Process context; no SMAF lock may be held.
 * Return: the secure module's answer; true when no secure module, or none
 * with a check callback, is registered.
 */
bool smaf_secure_check(const struct smaf_access *acc)
{
	struct smaf_secure *sec = smaf_secure_get();
	bool ok = true;

	if (sec && sec->ops->check)
		ok = sec->ops->check(sec, acc);
	smaf_secure_put(sec);
	return ok;
}
EXPORT_SYMBOL_GPL(smaf_secure_check);

DEFINE_SHOW_ATTRIBUTE(smaf_buffers);

static int smaf_stats_show(struct seq_file *s, void *unused)
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
DEFINE_SHOW_ATTRIBUTE(smaf_stats);

static int smaf_quarantine_open(struct inode *inode, struct file *file)
{
	return single_open(file, smaf_secure_quarantine_show, NULL);
}

/* "scrub" asks for every quarantined buffer to be scrubbed again. */
static ssize_t smaf_quarantine_write(struct file *file,
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
	if (smaf_secure_quarantine_scrub())
		return -EIO;
	return len;
}

static const struct file_operations smaf_quarantine_fops = {
	.owner = THIS_MODULE,
	.open = smaf_quarantine_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = smaf_quarantine_write,
	.release = single_release,
};

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

	smaf_debugfs = debugfs_create_dir("smaf", NULL);
	debugfs_create_file("stats", 0400, smaf_debugfs, NULL,
			    &smaf_stats_fops);
	debugfs_create_file("allocators", 0400, smaf_debugfs, NULL,
			    &smaf_allocators_fops);
	debugfs_create_file("buffers", 0400, smaf_debugfs, NULL,
			    &smaf_buffers_fops);
	debugfs_create_file("constraints", 0400, smaf_debugfs, NULL,
			    &smaf_constraints_fops);
	debugfs_create_file("declarations", 0400, smaf_debugfs, NULL,
			    &smaf_declarations_fops);
	debugfs_create_file("quarantine", 0600, smaf_debugfs, NULL,
			    &smaf_quarantine_fops);

	/* Userspace can reach SMAF from here on: everything else is ready. */
	ret = misc_register(&smaf_misc);
	if (ret) {
		pr_err("cannot register /dev/smaf: %d\n", ret);
		debugfs_remove_recursive(smaf_debugfs);
	}
	return ret;
}

static void __exit smaf_exit(void)
{
	misc_deregister(&smaf_misc);
	debugfs_remove_recursive(smaf_debugfs);
	smaf_rules_free();
}

module_init(smaf_init);
module_exit(smaf_exit);

MODULE_DESCRIPTION("SMAF: Secure Memory Allocation Framework core");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMAF_VERSION);
MODULE_IMPORT_NS(DMA_BUF);
