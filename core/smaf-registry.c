// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core, bottom layer: the registry of allocators and of the secure
 * module. Registration, lookup by name, pinning (a module reference on the
 * plugin's owner), the choice of candidates for a request, and what
 * ALLOCATOR_INFO reports. It calls nothing else of SMAF: every other layer
 * may call it.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "smaf-registry.h"

/*
 * Protects smaf_allocators and smaf_secure_module; the innermost SMAF lock
 * (see DOC: locking in smaf-main.c).
 */
static DEFINE_MUTEX(smaf_registry_lock);
/* Registered allocators, highest ranking first, then by name. */
static LIST_HEAD(smaf_allocators);
/* The registered secure module, or NULL. */
static struct smaf_secure *smaf_secure_module;

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
