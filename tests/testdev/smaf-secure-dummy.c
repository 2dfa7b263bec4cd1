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
 * next fail_scrub scrubs fail with -EIO without touching the memory.
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
 * The only state is the fail_scrub budget, which smaf_dummy_lock makes
 * scrubs consume one at a time. Every other callback is a pure function of
 * its arguments.
 */

static DEFINE_SPINLOCK(smaf_dummy_lock);
static int smaf_dummy_fail_scrub;
module_param_named(fail_scrub, smaf_dummy_fail_scrub, int, 0600);
MODULE_PARM_DESC(fail_scrub,
		 "Number of next scrubs that fail with -EIO (test only; default 0)");

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

static int smaf_dummy_grant(struct smaf_secure *sec, void *ctx,
			    const struct smaf_access *acc)
{
	return 0;
}

static void smaf_dummy_revoke(struct smaf_secure *sec, void *ctx,
			      const struct smaf_access *acc)
{
}

static int smaf_dummy_scrub(struct smaf_secure *sec, void *ctx,
			    struct sg_table *sgt)
{
	struct sg_page_iter piter;
	bool fail;

	spin_lock(&smaf_dummy_lock);
	fail = smaf_dummy_fail_scrub > 0;
	if (fail)
		smaf_dummy_fail_scrub--;
	spin_unlock(&smaf_dummy_lock);
	if (fail)
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
