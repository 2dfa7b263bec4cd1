// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-secure-dummy: test-only secure module that allows everything.
 *
 * Its init registers it as SMAF's secure module and returns what
 * smaf_register_secure() returned, so insmod fails with EBUSY while another
 * secure module (smaf-firewall) is registered, and succeeds, registering a
 * permissive module, when none is. It grants every request, checks nothing
 * and still erases memory in scrub, as the contract requires.
 *
 * For the quarantine tests, the root-only parameter fail_scrub makes the
 * next fail_scrub scrubs fail with -EIO without touching the memory. For
 * the tests of what the core does when a secure module refuses: after
 * fail_grant_after more successful grants the next one fails with -EACCES
 * (-1, the default, never), and fail_protect makes the next protects fail
 * with -ENOSPC. The read-only counters grants, revokes and protects count
 * the successful calls.
 *
 * Not for production kernels: it protects nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/smaf.h>
#include <linux/spinlock.h>

/*
 * DOC: locking
 *
 * The only state is the failure budgets and the counters, which
 * smaf_dummy_lock makes the callbacks consume and update one at a time.
 */

static DEFINE_SPINLOCK(smaf_dummy_lock);
static int smaf_dummy_fail_scrub;
module_param_named(fail_scrub, smaf_dummy_fail_scrub, int, 0600);
MODULE_PARM_DESC(fail_scrub,
		 "Number of next scrubs that fail with -EIO (test only; default 0)");

static int smaf_dummy_fail_grant_after = -1;
module_param_named(fail_grant_after, smaf_dummy_fail_grant_after, int, 0600);
MODULE_PARM_DESC(fail_grant_after,
		 "Grants that succeed before one fails with -EACCES (-1: none)");

static int smaf_dummy_fail_protect;
module_param_named(fail_protect, smaf_dummy_fail_protect, int, 0600);
MODULE_PARM_DESC(fail_protect,
		 "Number of next protects that fail with -ENOSPC (default 0)");

static unsigned int smaf_dummy_grants, smaf_dummy_revokes;
static unsigned int smaf_dummy_protects;
module_param_named(grants, smaf_dummy_grants, uint, 0400);
MODULE_PARM_DESC(grants, "Successful grants since load");
module_param_named(revokes, smaf_dummy_revokes, uint, 0400);
MODULE_PARM_DESC(revokes, "Revokes since load");
module_param_named(protects, smaf_dummy_protects, uint, 0400);
MODULE_PARM_DESC(protects, "Successful protects since load");

/* Consume one unit of a failure budget: true when this call must fail. */
static bool smaf_dummy_fail(int *budget)
{
	bool fail;

	spin_lock(&smaf_dummy_lock);
	fail = *budget > 0;
	if (fail)
		(*budget)--;
	spin_unlock(&smaf_dummy_lock);
	return fail;
}

static void smaf_dummy_count(unsigned int *counter)
{
	spin_lock(&smaf_dummy_lock);
	(*counter)++;
	spin_unlock(&smaf_dummy_lock);
}

/* Every buffer gets this context; the callbacks never dereference it. */
static int smaf_dummy_ctx;

static void *smaf_dummy_create_ctx(struct smaf_secure *sec, u64 id,
				   size_t size)
{
	return &smaf_dummy_ctx;
}

static void smaf_dummy_destroy_ctx(struct smaf_secure *sec, void *ctx)
{
}

static int smaf_dummy_protect(struct smaf_secure *sec, void *ctx,
			      const struct smaf_range *ranges, unsigned int nr)
{
	if (smaf_dummy_fail(&smaf_dummy_fail_protect))
		return -ENOSPC;
	smaf_dummy_count(&smaf_dummy_protects);
	return 0;
}

static int smaf_dummy_grant(struct smaf_secure *sec, void *ctx,
			    const struct smaf_access *acc)
{
	bool fail;

	spin_lock(&smaf_dummy_lock);
	fail = !smaf_dummy_fail_grant_after;
	if (smaf_dummy_fail_grant_after >= 0)
		smaf_dummy_fail_grant_after--;
	if (!fail)
		smaf_dummy_grants++;
	spin_unlock(&smaf_dummy_lock);
	return fail ? -EACCES : 0;
}

static void smaf_dummy_revoke(struct smaf_secure *sec, void *ctx,
			      const struct smaf_access *acc)
{
	smaf_dummy_count(&smaf_dummy_revokes);
}

static int smaf_dummy_scrub(struct smaf_secure *sec, void *ctx,
			    struct sg_table *sgt)
{
	struct sg_page_iter piter;

	if (smaf_dummy_fail(&smaf_dummy_fail_scrub))
		return -EIO;

	for_each_sgtable_page(sgt, &piter, 0) {
		void *va = kmap_local_page(sg_page_iter_page(&piter));

		memset(va, 0, PAGE_SIZE);
		kunmap_local(va);
		cond_resched();
	}
	return 0;
}

static bool smaf_dummy_check(struct smaf_secure *sec,
			     const struct smaf_access *acc)
{
	return true;
}

static const struct smaf_secure_ops smaf_dummy_ops = {
	.create_ctx = smaf_dummy_create_ctx,
	.destroy_ctx = smaf_dummy_destroy_ctx,
	.protect = smaf_dummy_protect,
	.grant = smaf_dummy_grant,
	.revoke = smaf_dummy_revoke,
	.scrub = smaf_dummy_scrub,
	.check = smaf_dummy_check,
};

static struct smaf_secure smaf_dummy_secure = {
	.name = "smaf-secure-dummy",
	.ops = &smaf_dummy_ops,
	.owner = THIS_MODULE,
};

static int __init smaf_dummy_init(void)
{
	return smaf_register_secure(&smaf_dummy_secure);
}

static void __exit smaf_dummy_exit(void)
{
	smaf_unregister_secure(&smaf_dummy_secure);
}

module_init(smaf_dummy_init);
module_exit(smaf_dummy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMAF test-only permissive secure module");
