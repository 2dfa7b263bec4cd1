// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-firewall: the reference SMAF secure module. It emulates a hardware
 * memory firewall with a fixed number of region slots, each protecting one
 * physical range and listing the requesters (devices, or the CPU) that may
 * read or write it.
 *
 * Policy:
 * - A device is granted access only when its dev_name() is on the
 *   allowlist (module parameter "allowlist", comma-separated, empty by
 *   default, writable by root at run time); otherwise -EACCES.
 * - The CPU is granted access only while the module parameter "allow_cpu"
 *   is set (root-only, default off); otherwise -EACCES.
 * - When a secure buffer receives its memory, protect() programs one slot
 *   per physically contiguous range, with no requester: from then on the
 *   memory is closed to every device and the CPU. All or nothing: -ENOSPC
 *   when the slots run out, with nothing programmed. A range that
 *   intersects a programmed slot is refused with -EACCES: regions never
 *   merge or overlap.
 * - A grant adds its requester to the slot programmed for the same buffer
 *   context and exactly the same range (the core asks once per coalesced
 *   contiguous range, the ranges protect() was given); a range with no
 *   such slot is refused with -EACCES.
 * - A revoke undoes one grant of the same requester, range and access.
 *   The slot stays programmed, closed, when its last requester goes: the
 *   memory is secret until scrubbed. destroy_ctx(), which SMAF calls only
 *   after scrub() (never for a quarantined buffer), frees the slots.
 * - Changing the allowlist or allow_cpu affects later grants only, as
 *   reprogramming a real firewall's policy would not touch live regions.
 * - check() allows an access to memory no region covers (non-secure memory
 *   is open), and an access to covered memory only when every region it
 *   touches lists the requester with every access bit it needs: a device
 *   that kept a DMA address after its unmap is stopped.
 * - scrub() zeroes the memory itself; real hardware would ask the secure
 *   world to do it.
 *
 * Every refusal is counted, logged with one rate-limited line (without
 * physical addresses) and recorded in the debugfs event log. debugfs
 * (root only): smaf-firewall/regions, smaf-firewall/counters and
 * smaf-firewall/events.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smaf.h>
#include <linux/string.h>

/**
 * DOC: locking
 *
 * One mutex, &smaf_fw_state.lock, protects the whole firewall: the region
 * table, the requesters of every region, the buffer contexts' grant counts,
 * the allowlist, the counters and the event log. It is a leaf lock: nothing
 * is called with it held that could take another SMAF lock.
 *
 * The core calls grant, revoke, create_ctx and destroy_ctx under its
 * buffer lock, so the order is "SMAF buffer lock, then the firewall lock".
 * check() is called without SMAF locks (from smaf-testdev under its own
 * file lock), so "smaf-testdev file lock, then the firewall lock". The
 * allowlist parameter's set and get run under the kernel's module
 * parameter lock, then take the firewall lock. No path takes any of those
 * locks while holding the firewall lock.
 *
 * Because it is a mutex, every callback, check() included, must be called
 * in process context.
 */

#define SMAF_FW_MAX_REGIONS	64
#define SMAF_FW_NR_EVENTS	64
#define SMAF_FW_NAME_LEN	32	/* displayed name, truncated */
#define SMAF_FW_ALLOWLIST_MAX	1024	/* bytes of the normalized list */
#define SMAF_FW_ACCESS_MASK	(SMAF_ACCESS_READ | SMAF_ACCESS_WRITE)
#define SMAF_FW_CPU_NAME	"cpu"
#define SMAF_FW_NOBODY		"-"	/* protect and release events */

/**
 * struct smaf_fw_req - one requester allowed into one region
 * @node: entry in &smaf_fw_region.reqs
 * @dev: the device, or NULL for the CPU; identity only, never dereferenced
 *	(a device with an outstanding grant has a live DMA mapping)
 * @name: dev_name() of @dev or "cpu", truncated, for display
 * @nr_read: outstanding grants that include SMAF_ACCESS_READ
 * @nr_write: outstanding grants that include SMAF_ACCESS_WRITE
 *
 * Protected by &smaf_fw_state.lock. Freed when both counts are 0.
 */
struct smaf_fw_req {
	struct list_head node;
	const struct device *dev;
	char name[SMAF_FW_NAME_LEN];
	unsigned int nr_read;
	unsigned int nr_write;
};

/**
 * struct smaf_fw_region - one firewall region slot
 * @base: physical address of the first protected byte
 * @len: protected bytes; 0 when the slot is free
 * @ctx_id: id of the buffer context that programmed the slot
 * @reqs: the &struct smaf_fw_req allowed in; empty while nobody is
 *	granted, when the region is closed to everyone
 *
 * Protected by &smaf_fw_state.lock.
 */
struct smaf_fw_region {
	phys_addr_t base;
	size_t len;
	u64 ctx_id;
	struct list_head reqs;
};

/**
 * struct smaf_fw_ctx - the firewall's view of one secure buffer
 * @id: the buffer's id (SMAF_IOC_BUFFER_INFO's id), shown in debugfs
 *	and logs
 * @size: buffer size given to create_ctx
 * @grants: outstanding grants made in this context.
 *	Protected by &smaf_fw_state.lock.
 */
struct smaf_fw_ctx {
	u64 id;
	size_t size;
	unsigned int grants;
};

/**
 * enum smaf_fw_event_kind - what an event log entry records
 * @SMAF_FW_EV_GRANT: a successful grant
 * @SMAF_FW_EV_REVOKE: a revoke
 * @SMAF_FW_EV_DENY: a refused grant or protect, or a failed check
 * @SMAF_FW_EV_PROTECT: a slot programmed, closed, for new secure memory
 * @SMAF_FW_EV_RELEASE: a slot freed once its memory was scrubbed
 */
enum smaf_fw_event_kind {
	SMAF_FW_EV_GRANT,
	SMAF_FW_EV_REVOKE,
	SMAF_FW_EV_DENY,
	SMAF_FW_EV_PROTECT,
	SMAF_FW_EV_RELEASE,
};

/**
 * struct smaf_fw_event - one entry of the event log
 * @seq: sequence number, from 1; 0 marks an unused entry
 * @kind: grant, revoke or denial
 * @name: the requester, as &smaf_fw_req.name; "-" for protect and
 *	release, which no requester asks for
 * @addr: physical address of the range
 * @len: length of the range
 * @access: SMAF_ACCESS_* bits asked for
 * @ctx_id: the buffer context, or 0 (check() has none)
 * @slot: region slot (grant, revoke); -1 when none
 * @err: negative errno (denial)
 * @reason: why it was denied (static string)
 */
struct smaf_fw_event {
	u64 seq;
	enum smaf_fw_event_kind kind;
	char name[SMAF_FW_NAME_LEN];
	phys_addr_t addr;
	size_t len;
	unsigned int access;
	u64 ctx_id;
	int slot;
	int err;
	const char *reason;
};

/**
 * struct smaf_fw_counters - statistics shown in debugfs
 * @grants: successful grants, ever
 * @revokes: revokes, ever
 * @denials: refused grants and failed checks, ever
 * @scrubbed_bytes: bytes erased by scrub, ever
 * @active_grants: grants not revoked yet
 * @regions_used: slots in use
 * @contexts: live buffer contexts
 *
 * Protected by &smaf_fw_state.lock.
 */
struct smaf_fw_counters {
	u64 grants;
	u64 revokes;
	u64 denials;
	u64 scrubbed_bytes;
	u64 active_grants;
	unsigned int regions_used;
	unsigned int contexts;
};

/**
 * struct smaf_fw_state - the whole firewall
 * @lock: see DOC: locking
 * @regions: @nr_regions slots, allocated at load time.
 *	Protected by @lock.
 * @nr_regions: number of slots; fixed after load
 * @allowlist: normalized allowlist ("a,b,c", maybe empty), or NULL when
 *	never set. Protected by @lock.
 * @events: ring of the last SMAF_FW_NR_EVENTS events. Protected by @lock.
 * @next_seq: sequence number of the next event. Protected by @lock.
 * @stats: counters. Protected by @lock.
 * @dir: debugfs directory
 */
struct smaf_fw_state {
	struct mutex lock; /* see DOC: locking */
	struct smaf_fw_region *regions;
	unsigned int nr_regions;
	char *allowlist;
	struct smaf_fw_event events[SMAF_FW_NR_EVENTS];
	u64 next_seq;
	struct smaf_fw_counters stats;
	struct dentry *dir;
};

static struct smaf_fw_state smaf_fw = {
	.lock = __MUTEX_INITIALIZER(smaf_fw.lock),
	.next_seq = 1,
};

static unsigned int smaf_fw_nr_regions = 8;
module_param_named(nr_regions, smaf_fw_nr_regions, uint, 0444);
MODULE_PARM_DESC(nr_regions,
		 "Number of firewall region slots, 1 to 64 (load time only)");

static bool smaf_fw_allow_cpu;
module_param_named(allow_cpu, smaf_fw_allow_cpu, bool, 0644);
MODULE_PARM_DESC(allow_cpu,
		 "Let the CPU map secure buffers (root only; later grants)");

/* ---- allowlist parameter ---- */

/* Appends the tokens of @src to @dst, comma-separated, bounded. */
static int smaf_fw_allowlist_normalize(char *dst, char *src)
{
	size_t used = 0;
	char *tok;

	while ((tok = strsep(&src, ", \t\n")) != NULL) {
		size_t n = strlen(tok);

		if (!n)
			continue;
		if (used + !!used + n >= SMAF_FW_ALLOWLIST_MAX)
			return -EINVAL;
		if (used)
			dst[used++] = ',';
		memcpy(dst + used, tok, n);
		used += n;
	}
	dst[used] = '\0';
	return 0;
}

static char *smaf_fw_allowlist_parse(const char *val)
{
	char *copy, *list;
	int ret;

	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return ERR_PTR(-ENOMEM);
	list = kzalloc(SMAF_FW_ALLOWLIST_MAX, GFP_KERNEL);
	if (!list) {
		ret = -ENOMEM;
		goto out_free_copy;
	}
	ret = smaf_fw_allowlist_normalize(list, copy);
	if (ret)
		goto out_free_list;
	kfree(copy);
	return list;

out_free_list:
	kfree(list);
out_free_copy:
	kfree(copy);
	return ERR_PTR(ret);
}

static int smaf_fw_allowlist_set(const char *val, const struct kernel_param *kp)
{
	char *list = smaf_fw_allowlist_parse(val);

	if (IS_ERR(list))
		return PTR_ERR(list);
	mutex_lock(&smaf_fw.lock);
	swap(smaf_fw.allowlist, list);
	mutex_unlock(&smaf_fw.lock);
	kfree(list);
	return 0;
}

static int smaf_fw_allowlist_get(char *buffer, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&smaf_fw.lock);
	n = scnprintf(buffer, PAGE_SIZE, "%s\n", smaf_fw.allowlist ?: "");
	mutex_unlock(&smaf_fw.lock);
	return n;
}

/* Called by the module loader after the parameter files are gone. */
static void smaf_fw_allowlist_free(void *arg)
{
	kfree(smaf_fw.allowlist);
	smaf_fw.allowlist = NULL;
}

static const struct kernel_param_ops smaf_fw_allowlist_ops = {
	.set = smaf_fw_allowlist_set,
	.get = smaf_fw_allowlist_get,
	.free = smaf_fw_allowlist_free,
};
module_param_cb(allowlist, &smaf_fw_allowlist_ops, NULL, 0644);
__MODULE_PARM_TYPE(allowlist, "charp");
MODULE_PARM_DESC(allowlist,
		 "Comma-separated device names allowed into secure buffers");

static bool smaf_fw_allowlisted(const char *name)
{
	const char *p = smaf_fw.allowlist;
	size_t n = strlen(name);

	lockdep_assert_held(&smaf_fw.lock);
	while (p && *p) {
		size_t tok = strchrnul(p, ',') - p;

		if (tok == n && !memcmp(p, name, n))
			return true;
		p += tok;
		if (*p)
			p++;
	}
	return false;
}

/* ---- events, logging ---- */

static const char *smaf_fw_name(const struct device *dev)
{
	return dev ? dev_name(dev) : SMAF_FW_CPU_NAME;
}

static const char *smaf_fw_access_str(unsigned int access)
{
	static const char * const str[] = { "--", "r-", "-w", "rw" };

	return str[access & SMAF_FW_ACCESS_MASK];
}

static struct smaf_fw_event *smaf_fw_event_new(enum smaf_fw_event_kind kind,
					       const struct smaf_access *acc,
					       const char *who, u64 ctx_id)
{
	u64 seq = smaf_fw.next_seq++;
	struct smaf_fw_event *ev = &smaf_fw.events[seq % SMAF_FW_NR_EVENTS];

	lockdep_assert_held(&smaf_fw.lock);
	*ev = (struct smaf_fw_event) {
		.seq = seq,
		.kind = kind,
		.addr = acc->addr,
		.len = acc->len,
		.access = acc->access,
		.ctx_id = ctx_id,
		.slot = -1,
	};
	strscpy(ev->name, who, sizeof(ev->name));
	return ev;
}

static void smaf_fw_record(enum smaf_fw_event_kind kind,
			   const struct smaf_access *acc, u64 ctx_id,
			   unsigned int slot)
{
	bool req = kind == SMAF_FW_EV_GRANT || kind == SMAF_FW_EV_REVOKE;
	const char *who = req ? smaf_fw_name(acc->dev) : SMAF_FW_NOBODY;
	struct smaf_fw_event *ev = smaf_fw_event_new(kind, acc, who, ctx_id);

	ev->slot = slot;
}

/*
 * Counts, logs and records one refusal, of @who (a requester's name, or
 * SMAF_FW_NOBODY for protect). The log line leaves physical addresses out;
 * the root-only debugfs event log has them.
 */
static void smaf_fw_deny(const struct smaf_access *acc, const char *who,
			 u64 ctx_id, int err, const char *reason)
{
	struct smaf_fw_event *ev = smaf_fw_event_new(SMAF_FW_EV_DENY, acc, who,
						     ctx_id);

	ev->err = err;
	ev->reason = reason;
	smaf_fw.stats.denials++;
	pr_err_ratelimited("denied %s %s access to %zu bytes (ctx %llu): %s (%d)\n",
			   who, smaf_fw_access_str(acc->access), acc->len,
			   ctx_id, reason, err);
}

/* ---- regions ---- */

/* Last byte of @acc's range, saturated. */
static phys_addr_t smaf_fw_last(phys_addr_t addr, size_t len)
{
	phys_addr_t last;

	if (check_add_overflow(addr, (phys_addr_t)len - 1, &last))
		return (phys_addr_t)-1;
	return last;
}

static bool smaf_fw_intersects(const struct smaf_fw_region *r,
			       const struct smaf_access *acc)
{
	return r->len && acc->addr <= smaf_fw_last(r->base, r->len) &&
	       r->base <= smaf_fw_last(acc->addr, acc->len);
}

/*
 * The slot a grant or revoke of @acc in context @ctx_id belongs to: the
 * one with the same context and range. Returns NULL when no slot
 * intersects the range, ERR_PTR(-EACCES) when one intersects without
 * matching.
 */
static struct smaf_fw_region *smaf_fw_find(const struct smaf_access *acc,
					   u64 ctx_id)
{
	unsigned int i;

	lockdep_assert_held(&smaf_fw.lock);
	for (i = 0; i < smaf_fw.nr_regions; i++) {
		struct smaf_fw_region *r = &smaf_fw.regions[i];

		if (!smaf_fw_intersects(r, acc))
			continue;
		if (r->ctx_id == ctx_id && r->base == acc->addr &&
		    r->len == acc->len)
			return r;
		return ERR_PTR(-EACCES);
	}
	return NULL;
}

static struct smaf_fw_region *smaf_fw_free_slot(void)
{
	unsigned int i;

	lockdep_assert_held(&smaf_fw.lock);
	for (i = 0; i < smaf_fw.nr_regions; i++)
		if (!smaf_fw.regions[i].len)
			return &smaf_fw.regions[i];
	return NULL;
}

static unsigned int smaf_fw_slot(const struct smaf_fw_region *r)
{
	return r - smaf_fw.regions;
}

static struct smaf_fw_req *smaf_fw_find_req(struct smaf_fw_region *r,
					    const struct device *dev)
{
	struct smaf_fw_req *req;

	lockdep_assert_held(&smaf_fw.lock);
	list_for_each_entry(req, &r->reqs, node)
		if (req->dev == dev)
			return req;
	return NULL;
}

static unsigned int smaf_fw_req_access(const struct smaf_fw_req *req)
{
	return (req->nr_read ? SMAF_ACCESS_READ : 0) |
	       (req->nr_write ? SMAF_ACCESS_WRITE : 0);
}

static void smaf_fw_release_slot(struct smaf_fw_region *r)
{
	struct smaf_access acc = { .addr = r->base, .len = r->len };
	struct smaf_fw_req *req, *tmp;

	lockdep_assert_held(&smaf_fw.lock);
	smaf_fw_record(SMAF_FW_EV_RELEASE, &acc, r->ctx_id, smaf_fw_slot(r));
	list_for_each_entry_safe(req, tmp, &r->reqs, node) {
		list_del(&req->node);
		kfree(req);
	}
	r->base = 0;
	r->len = 0;
	r->ctx_id = 0;
	smaf_fw.stats.regions_used--;
}

/* Policy: may @acc's requester be granted anything at all? */
static int smaf_fw_policy(const struct smaf_access *acc, const char **reason)
{
	lockdep_assert_held(&smaf_fw.lock);
	if (!acc->dev) {
		if (READ_ONCE(smaf_fw_allow_cpu))
			return 0;
		*reason = "cpu access not allowed";
		return -EACCES;
	}
	if (smaf_fw_allowlisted(dev_name(acc->dev)))
		return 0;
	*reason = "device not on the allowlist";
	return -EACCES;
}

/*
 * Adds one grant of @acc to the slot protect() programmed for the same
 * context and range. Returns the slot, or an ERR_PTR() with *@reason set.
 */
static struct smaf_fw_region *smaf_fw_program(const struct smaf_access *acc,
					      u64 ctx_id, const char **reason)
{
	struct smaf_fw_region *r = smaf_fw_find(acc, ctx_id);
	struct smaf_fw_req *req;

	if (IS_ERR(r)) {
		*reason = "range overlaps another region";
		return r;
	}
	if (!r) {
		*reason = "range not protected";
		return ERR_PTR(-EACCES);
	}
	req = smaf_fw_find_req(r, acc->dev);
	if (!req) {
		req = kzalloc(sizeof(*req), GFP_KERNEL);
		if (!req) {
			*reason = "out of memory";
			return ERR_PTR(-ENOMEM);
		}
		req->dev = acc->dev;
		strscpy(req->name, smaf_fw_name(acc->dev), sizeof(req->name));
		list_add_tail(&req->node, &r->reqs);
	}
	req->nr_read += !!(acc->access & SMAF_ACCESS_READ);
	req->nr_write += !!(acc->access & SMAF_ACCESS_WRITE);
	return r;
}

static bool smaf_fw_valid(const struct smaf_access *acc)
{
	return acc->len && acc->access &&
	       !(acc->access & ~SMAF_FW_ACCESS_MASK);
}

/* ---- secure ops ---- */

static void *smaf_fw_create_ctx(struct smaf_secure *sec, u64 id, size_t size)
{
	struct smaf_fw_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->id = id;
	ctx->size = size;
	mutex_lock(&smaf_fw.lock);
	smaf_fw.stats.contexts++;
	mutex_unlock(&smaf_fw.lock);
	return ctx;
}

/* Frees the slots a context holds, its memory scrubbed or never exposed. */
static void smaf_fw_release_ctx(struct smaf_fw_ctx *ctx)
{
	unsigned int i;

	lockdep_assert_held(&smaf_fw.lock);
	if (ctx->grants) {
		pr_err("ctx %llu destroyed with %u grants outstanding\n",
		       ctx->id, ctx->grants);
		smaf_fw.stats.active_grants -= ctx->grants;
		ctx->grants = 0;
	}
	for (i = 0; i < smaf_fw.nr_regions; i++)
		if (smaf_fw.regions[i].len &&
		    smaf_fw.regions[i].ctx_id == ctx->id)
			smaf_fw_release_slot(&smaf_fw.regions[i]);
}

static void smaf_fw_destroy_ctx(struct smaf_secure *sec, void *ctxp)
{
	struct smaf_fw_ctx *ctx = ctxp;

	mutex_lock(&smaf_fw.lock);
	smaf_fw_release_ctx(ctx);
	smaf_fw.stats.contexts--;
	mutex_unlock(&smaf_fw.lock);
	kfree(ctx);
}

/* Programs a free slot, closed to everyone, for one range of @ctx. */
static int smaf_fw_close_range(struct smaf_fw_ctx *ctx,
			       const struct smaf_range *range,
			       const char **reason)
{
	struct smaf_access acc = { .addr = range->addr, .len = range->len };
	struct smaf_fw_region *r;
	unsigned int i;

	lockdep_assert_held(&smaf_fw.lock);
	if (!acc.len) {
		*reason = "empty range";
		return -EINVAL;
	}
	for (i = 0; i < smaf_fw.nr_regions; i++)
		if (smaf_fw_intersects(&smaf_fw.regions[i], &acc)) {
			*reason = "range overlaps another region";
			return -EACCES;
		}
	r = smaf_fw_free_slot();
	if (!r) {
		*reason = "no free region";
		return -ENOSPC;
	}
	r->base = range->addr;
	r->len = range->len;
	r->ctx_id = ctx->id;
	smaf_fw.stats.regions_used++;
	smaf_fw_record(SMAF_FW_EV_PROTECT, &acc, ctx->id, smaf_fw_slot(r));
	return 0;
}

static int smaf_fw_protect(struct smaf_secure *sec, void *ctxp,
			   const struct smaf_range *ranges, unsigned int nr)
{
	struct smaf_fw_ctx *ctx = ctxp;
	const char *reason = NULL;
	unsigned int i;
	int ret = 0;

	might_sleep();
	mutex_lock(&smaf_fw.lock);
	for (i = 0; i < nr; i++) {
		ret = smaf_fw_close_range(ctx, &ranges[i], &reason);
		if (ret)
			break;
	}
	if (ret) {
		struct smaf_access acc = {
			.addr = ranges[i].addr,
			.len = ranges[i].len,
		};

		smaf_fw_release_ctx(ctx);
		smaf_fw_deny(&acc, SMAF_FW_NOBODY, ctx->id, ret, reason);
	}
	mutex_unlock(&smaf_fw.lock);
	return ret;
}

static int smaf_fw_grant(struct smaf_secure *sec, void *ctxp,
			 const struct smaf_access *acc)
{
	struct smaf_fw_ctx *ctx = ctxp;
	const char *reason = NULL;
	struct smaf_fw_region *r;
	int ret;

	might_sleep();
	if (!smaf_fw_valid(acc))
		return -EINVAL;
	mutex_lock(&smaf_fw.lock);
	ret = smaf_fw_policy(acc, &reason);
	if (ret)
		goto out_deny;
	r = smaf_fw_program(acc, ctx->id, &reason);
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
		goto out_deny;
	}
	ctx->grants++;
	smaf_fw.stats.grants++;
	smaf_fw.stats.active_grants++;
	smaf_fw_record(SMAF_FW_EV_GRANT, acc, ctx->id, smaf_fw_slot(r));
	mutex_unlock(&smaf_fw.lock);
	return 0;

out_deny:
	smaf_fw_deny(acc, smaf_fw_name(acc->dev), ctx->id, ret, reason);
	mutex_unlock(&smaf_fw.lock);
	return ret;
}

/* The requester entry a revoke of @acc undoes, or NULL. */
static struct smaf_fw_req *smaf_fw_revoked_req(struct smaf_fw_region *r,
					       const struct smaf_access *acc)
{
	struct smaf_fw_req *req;

	if (IS_ERR_OR_NULL(r))
		return NULL;
	req = smaf_fw_find_req(r, acc->dev);
	if (!req || !smaf_fw_valid(acc))
		return NULL;
	if ((acc->access & SMAF_ACCESS_READ) && !req->nr_read)
		return NULL;
	if ((acc->access & SMAF_ACCESS_WRITE) && !req->nr_write)
		return NULL;
	return req;
}

static void smaf_fw_revoke(struct smaf_secure *sec, void *ctxp,
			   const struct smaf_access *acc)
{
	struct smaf_fw_ctx *ctx = ctxp;
	struct smaf_fw_region *r;
	struct smaf_fw_req *req;

	mutex_lock(&smaf_fw.lock);
	r = smaf_fw_find(acc, ctx->id);
	req = smaf_fw_revoked_req(r, acc);
	if (!req || !ctx->grants) {
		pr_err("ctx %llu: %s revokes %s access it was not granted\n",
		       ctx->id, smaf_fw_name(acc->dev),
		       smaf_fw_access_str(acc->access));
		goto out_unlock;
	}
	req->nr_read -= !!(acc->access & SMAF_ACCESS_READ);
	req->nr_write -= !!(acc->access & SMAF_ACCESS_WRITE);
	smaf_fw_record(SMAF_FW_EV_REVOKE, acc, ctx->id, smaf_fw_slot(r));
	if (!req->nr_read && !req->nr_write) {
		list_del(&req->node);
		kfree(req);
	}
	/* The slot stays, closed, until the memory is scrubbed. */
	ctx->grants--;
	smaf_fw.stats.revokes++;
	smaf_fw.stats.active_grants--;
out_unlock:
	mutex_unlock(&smaf_fw.lock);
}

static int smaf_fw_scrub(struct smaf_secure *sec, void *ctxp,
			 struct sg_table *sgt)
{
	struct smaf_fw_ctx *ctx = ctxp;
	struct sg_page_iter piter;
	u64 bytes = 0;

	might_sleep();
	for_each_sgtable_page(sgt, &piter, 0) {
		void *va = kmap_local_page(sg_page_iter_page(&piter));

		memset(va, 0, PAGE_SIZE);
		kunmap_local(va);
		bytes += PAGE_SIZE;
		cond_resched();
	}
	mutex_lock(&smaf_fw.lock);
	if (ctx->grants)
		pr_err("ctx %llu scrubbed with %u grants outstanding\n",
		       ctx->id, ctx->grants);
	smaf_fw.stats.scrubbed_bytes += bytes;
	mutex_unlock(&smaf_fw.lock);
	return 0;
}

static bool smaf_fw_check(struct smaf_secure *sec,
			  const struct smaf_access *acc)
{
	struct smaf_fw_req *req;
	unsigned int i, have;
	bool ok = true;

	might_sleep();
	if (!acc->len)
		return true;
	mutex_lock(&smaf_fw.lock);
	for (i = 0; ok && i < smaf_fw.nr_regions; i++) {
		struct smaf_fw_region *r = &smaf_fw.regions[i];

		if (!smaf_fw_intersects(r, acc))
			continue;
		req = smaf_fw_find_req(r, acc->dev);
		have = req ? smaf_fw_req_access(req) : 0;
		ok = (acc->access & ~have) == 0;
	}
	if (!ok)
		smaf_fw_deny(acc, smaf_fw_name(acc->dev), 0, -EACCES,
			     "access outside its grants");
	mutex_unlock(&smaf_fw.lock);
	return ok;
}

static const struct smaf_secure_ops smaf_fw_ops = {
	.create_ctx = smaf_fw_create_ctx,
	.destroy_ctx = smaf_fw_destroy_ctx,
	.protect = smaf_fw_protect,
	.grant = smaf_fw_grant,
	.revoke = smaf_fw_revoke,
	.scrub = smaf_fw_scrub,
	.check = smaf_fw_check,
};

static struct smaf_secure smaf_fw_secure = {
	.name = "smaf-firewall",
	.ops = &smaf_fw_ops,
	.owner = THIS_MODULE,
};

/* ---- debugfs ---- */

static void smaf_fw_show_region(struct seq_file *s, unsigned int i)
{
	struct smaf_fw_region *r = &smaf_fw.regions[i];
	struct smaf_fw_req *req;

	if (!r->len) {
		seq_printf(s, "%u free\n", i);
		return;
	}
	seq_printf(s, "%u base=%pa len=%#zx ctx=%llu", i, &r->base, r->len,
		   r->ctx_id);
	list_for_each_entry(req, &r->reqs, node)
		seq_printf(s, " %s=%s/%u/%u", req->name,
			   smaf_fw_access_str(smaf_fw_req_access(req)),
			   req->nr_read, req->nr_write);
	seq_putc(s, '\n');
}

static int smaf_fw_regions_show(struct seq_file *s, void *unused)
{
	unsigned int i;

	mutex_lock(&smaf_fw.lock);
	for (i = 0; i < smaf_fw.nr_regions; i++)
		smaf_fw_show_region(s, i);
	mutex_unlock(&smaf_fw.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_fw_regions);

static int smaf_fw_counters_show(struct seq_file *s, void *unused)
{
	struct smaf_fw_counters c;

	mutex_lock(&smaf_fw.lock);
	c = smaf_fw.stats;
	mutex_unlock(&smaf_fw.lock);
	seq_printf(s, "grants %llu\n", c.grants);
	seq_printf(s, "revokes %llu\n", c.revokes);
	seq_printf(s, "denials %llu\n", c.denials);
	seq_printf(s, "scrubbed_bytes %llu\n", c.scrubbed_bytes);
	seq_printf(s, "active_grants %llu\n", c.active_grants);
	seq_printf(s, "regions_used %u\n", c.regions_used);
	seq_printf(s, "regions_total %u\n", smaf_fw.nr_regions);
	seq_printf(s, "contexts %u\n", c.contexts);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_fw_counters);

static void smaf_fw_show_event(struct seq_file *s,
			       const struct smaf_fw_event *ev)
{
	static const char * const kind[] = {
		[SMAF_FW_EV_GRANT] = "grant",
		[SMAF_FW_EV_REVOKE] = "revoke",
		[SMAF_FW_EV_DENY] = "deny",
		[SMAF_FW_EV_PROTECT] = "protect",
		[SMAF_FW_EV_RELEASE] = "release",
	};

	seq_printf(s, "%llu %s %s %pa+%#zx %s ctx=%llu", ev->seq,
		   kind[ev->kind], ev->name, &ev->addr, ev->len,
		   smaf_fw_access_str(ev->access), ev->ctx_id);
	if (ev->kind == SMAF_FW_EV_DENY)
		seq_printf(s, " err=%d reason=\"%s\"\n", ev->err, ev->reason);
	else
		seq_printf(s, " slot=%d\n", ev->slot);
}

static int smaf_fw_events_show(struct seq_file *s, void *unused)
{
	u64 seq, first;

	mutex_lock(&smaf_fw.lock);
	first = smaf_fw.next_seq > SMAF_FW_NR_EVENTS ?
		smaf_fw.next_seq - SMAF_FW_NR_EVENTS : 1;
	for (seq = first; seq < smaf_fw.next_seq; seq++)
		smaf_fw_show_event(s, &smaf_fw.events[seq % SMAF_FW_NR_EVENTS]);
	mutex_unlock(&smaf_fw.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smaf_fw_events);

static void smaf_fw_debugfs_init(void)
{
	smaf_fw.dir = debugfs_create_dir("smaf-firewall", NULL);
	debugfs_create_file("regions", 0400, smaf_fw.dir, NULL,
			    &smaf_fw_regions_fops);
	debugfs_create_file("counters", 0400, smaf_fw.dir, NULL,
			    &smaf_fw_counters_fops);
	debugfs_create_file("events", 0400, smaf_fw.dir, NULL,
			    &smaf_fw_events_fops);
}

/* ---- module ---- */

static int smaf_fw_alloc_regions(void)
{
	unsigned int i;

	if (!smaf_fw_nr_regions || smaf_fw_nr_regions > SMAF_FW_MAX_REGIONS) {
		pr_err("nr_regions=%u is outside 1..%u\n", smaf_fw_nr_regions,
		       SMAF_FW_MAX_REGIONS);
		return -EINVAL;
	}
	smaf_fw.regions = kcalloc(smaf_fw_nr_regions,
				  sizeof(*smaf_fw.regions), GFP_KERNEL);
	if (!smaf_fw.regions)
		return -ENOMEM;
	for (i = 0; i < smaf_fw_nr_regions; i++)
		INIT_LIST_HEAD(&smaf_fw.regions[i].reqs);
	smaf_fw.nr_regions = smaf_fw_nr_regions;
	return 0;
}

/* No secure buffer exists any more (they pin the module): slots are free. */
static void smaf_fw_free_regions(void)
{
	unsigned int i;

	mutex_lock(&smaf_fw.lock);
	for (i = 0; i < smaf_fw.nr_regions; i++) {
		if (!smaf_fw.regions[i].len)
			continue;
		pr_err("region %u still programmed at unload\n", i);
		smaf_fw_release_slot(&smaf_fw.regions[i]);
	}
	smaf_fw.nr_regions = 0;
	mutex_unlock(&smaf_fw.lock);
	kfree(smaf_fw.regions);
	smaf_fw.regions = NULL;
}

static int __init smaf_fw_init(void)
{
	int ret;

	ret = smaf_fw_alloc_regions();
	if (ret)
		return ret;
	smaf_fw_debugfs_init();
	ret = smaf_register_secure(&smaf_fw_secure);
	if (ret) {
		pr_err("cannot register as the secure module: %d\n", ret);
		goto out_remove_debugfs;
	}
	return 0;

out_remove_debugfs:
	debugfs_remove_recursive(smaf_fw.dir);
	smaf_fw_free_regions();
	return ret;
}

static void __exit smaf_fw_exit(void)
{
	smaf_unregister_secure(&smaf_fw_secure);
	debugfs_remove_recursive(smaf_fw.dir);
	smaf_fw_free_regions();
}

module_init(smaf_fw_init);
module_exit(smaf_fw_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(SMAF_VERSION);
MODULE_DESCRIPTION("SMAF reference secure module: emulated memory firewall");
