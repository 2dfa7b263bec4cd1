// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: what each device needs from memory.
 *
 * The kernel knows a device's DMA masks, bus limit and whether an IOMMU
 * translates its DMA; it does not know whether the device can follow a
 * scatter-gather list or must stay below some address for a reason of its
 * own. A device whose DMA is not translated is therefore given memory that
 * is contiguous in its DMA address space, unless it is known to take
 * scattered memory. The platform says so through declarations and rules:
 * drivers declare what their devices need with smaf_declare_constraints(),
 * and root keeps a table of rules at /sys/class/misc/smaf/constraints that
 * override the declarations field by field.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>

#include "smaf-common.h"
#include "smaf-constraints.h"

#define SMAF_MAX_RULES	64

/**
 * enum smaf_layout - how a rule or declaration lays out a device's memory
 * @SMAF_LAYOUT_DEFAULT: not said: contiguous unless an IOMMU translates
 *	the device's DMA
 * @SMAF_LAYOUT_CONTIGUOUS: one contiguous range ("contiguous")
 * @SMAF_LAYOUT_SG: scattered memory is fine ("sg")
 */
enum smaf_layout {
	SMAF_LAYOUT_DEFAULT,
	SMAF_LAYOUT_CONTIGUOUS,
	SMAF_LAYOUT_SG,
};

/**
 * struct smaf_rule - what is said of one device: a root rule or a driver's
 *	declaration
 * @node: entry in smaf_rules or smaf_decls
 * @name: "bus:device"
 * @dma_limit: highest address the device may be given; U64_MAX for none
 * @layout: contiguous, scattered, or not said
 */
struct smaf_rule {
	struct list_head node;
	char name[SMAF_DEVICE_NAME_LEN];
	u64 dma_limit;
	enum smaf_layout layout;
};

/**
 * struct smaf_rule_list - root's rules, or the drivers' declarations
 * @head: the entries, oldest first
 * @count: entries in @head, at most SMAF_MAX_RULES
 *
 * Protected by smaf_rules_lock.
 */
struct smaf_rule_list {
	struct list_head head;
	unsigned int count;
};

/* Protects smaf_rules and smaf_decls; a leaf lock. */
static DEFINE_MUTEX(smaf_rules_lock);
/* Root's table: /sys/class/misc/smaf/constraints. */
static struct smaf_rule_list smaf_rules = {
	.head = LIST_HEAD_INIT(smaf_rules.head),
};

/* The drivers' declarations: smaf_declare_constraints(). */
static struct smaf_rule_list smaf_decls = {
	.head = LIST_HEAD_INIT(smaf_decls.head),
};

/**
 * smaf_dev_translated() - does an IOMMU translate a device's DMA?
 * @dev: the device
 *
 * True only when the DMA API maps @dev's buffers through a translating
 * IOMMU domain. Being in an IOMMU group is not enough: under iommu=pt the
 * group's identity domain keeps dma-direct, and the device then reaches
 * only what its masks cover, in one range per physically contiguous run.
 *
 * Context: Process context.
 * Return: true if every page can be made contiguous in @dev's DMA space.
 */
bool smaf_dev_translated(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	return dom && iommu_is_dma_domain(dom);
}

/**
 * smaf_dev_bounces() - would the DMA API copy a device's mappings?
 * @dev: the device
 *
 * Under swiotlb=force, on memory-encrypted guests (SEV, TDX) and for
 * untrusted PCI devices, the DMA API maps through bounce buffers: memory
 * shared with everything else, copied at map and sync time. Memory SMAF
 * chooses is always within reach, so addressing never bounces.
 *
 * Context: Process context.
 * Return: true if mapping for @dev copies the memory elsewhere.
 */
bool smaf_dev_bounces(struct device *dev)
{
	if (smaf_dev_translated(dev))
		return dev_is_pci(dev) && to_pci_dev(dev)->untrusted;
	return is_swiotlb_force_bounce(dev);
}

/**
 * smaf_device_name() - the "bus:device" name SMAF knows a device by
 * @dev: the device
 * @buf: SMAF_DEVICE_NAME_LEN bytes
 *
 * Context: Any context.
 */
void smaf_device_name(struct device *dev, char *buf)
{
	const char *bus = dev->bus ? dev->bus->name :
			  dev->class ? dev->class->name : "none";

	snprintf(buf, SMAF_DEVICE_NAME_LEN, "%s:%s", bus, dev_name(dev));
}

static struct smaf_rule *smaf_rule_find(struct smaf_rule_list *list,
					const char *name)
{
	struct smaf_rule *r;

	lockdep_assert_held(&smaf_rules_lock);
	list_for_each_entry(r, &list->head, node)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* Add or replace the entry named @name in @list. */
static int smaf_rule_set(struct smaf_rule_list *list, const char *name,
			 u64 dma_limit, enum smaf_layout layout)
{
	struct smaf_rule *r;
	int ret = 0;

	mutex_lock(&smaf_rules_lock);
	r = smaf_rule_find(list, name);
	if (!r) {
		if (list->count >= SMAF_MAX_RULES) {
			smaf_refuse("constraints: table full (%d rules)\n",
				    SMAF_MAX_RULES);
			ret = -ENOSPC;
			goto out_unlock;
		}
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		strscpy(r->name, name, sizeof(r->name));
		list_add_tail(&r->node, &list->head);
		list->count++;
	}
	r->dma_limit = dma_limit;
	r->layout = layout;
out_unlock:
	mutex_unlock(&smaf_rules_lock);
	return ret;
}

static int smaf_rule_del(struct smaf_rule_list *list, const char *name)
{
	struct smaf_rule *r;

	mutex_lock(&smaf_rules_lock);
	r = smaf_rule_find(list, name);
	if (r) {
		list_del(&r->node);
		list->count--;
		kfree(r);
	}
	mutex_unlock(&smaf_rules_lock);
	return r ? 0 : -ENOENT;
}

static void smaf_rule_clear(struct smaf_rule_list *list)
{
	struct smaf_rule *r, *tmp;

	mutex_lock(&smaf_rules_lock);
	list_for_each_entry_safe(r, tmp, &list->head, node) {
		list_del(&r->node);
		kfree(r);
	}
	list->count = 0;
	mutex_unlock(&smaf_rules_lock);
}

/**
 * smaf_device_dma_limit() - highest address a device can reach
 * @dev: the device
 *
 * Context: Any context.
 * Return: the lowest of @dev's streaming mask, coherent mask and bus limit;
 * U64_MAX when an IOMMU translates its DMA; 0 for a device that cannot do
 * DMA.
 */
static u64 smaf_device_dma_limit(struct device *dev)
{
	u64 limit;

	if (smaf_dev_translated(dev))
		return U64_MAX;
	if (!dev->dma_mask)
		return 0;
	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	return min_not_zero(limit, dev->coherent_dma_mask);
}

/* Narrow *@limit and fill in *@layout from one rule or declaration. */
static void smaf_rule_apply(struct smaf_rule_list *list, const char *name,
			    u64 *limit, enum smaf_layout *layout)
{
	struct smaf_rule *r = smaf_rule_find(list, name);

	if (!r)
		return;
	*limit = min(*limit, r->dma_limit);
	if (r->layout != SMAF_LAYOUT_DEFAULT)
		*layout = r->layout;
}

/**
 * smaf_device_constraints() - what a device needs from memory
 * @dev: the device
 * @c: set to its constraints: what the kernel knows of @dev, narrowed by
 *	its driver's declaration and root's rule, if any
 *
 * A limit is the lowest of the kernel's, the declaration's and the rule's.
 * Contiguity is root's word if the rule says it, else the driver's, else
 * the default: a device whose DMA no IOMMU translates needs contiguous
 * memory, since nothing says it can follow a scatter-gather list. Behind a
 * translating IOMMU any pages are contiguous to the device.
 *
 * Context: Process context. Takes and releases the rules lock.
 */
void smaf_device_constraints(struct device *dev, struct smaf_constraints *c)
{
	enum smaf_layout layout = SMAF_LAYOUT_DEFAULT;
	char name[SMAF_DEVICE_NAME_LEN];
	u64 limit = smaf_device_dma_limit(dev);

	smaf_device_name(dev, name);
	mutex_lock(&smaf_rules_lock);
	smaf_rule_apply(&smaf_decls, name, &limit, &layout);
	smaf_rule_apply(&smaf_rules, name, &limit, &layout);
	mutex_unlock(&smaf_rules_lock);
	c->dma_limit = limit;
	c->contiguous = !smaf_dev_translated(dev) && layout != SMAF_LAYOUT_SG;
	c->scatter_gather = !c->contiguous;
}
EXPORT_SYMBOL_GPL(smaf_device_constraints);

/**
 * smaf_declare_constraints() - a driver declares what its device needs
 * @dev: the device
 * @c: its needs beyond what the kernel knows: a lower limit, and either
 *	&smaf_constraints.contiguous or &smaf_constraints.scatter_gather
 *
 * Replaces the driver's earlier declaration for @dev. A rule root writes
 * for @dev overrides it, field by field, while that rule exists.
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: 0, -EINVAL when @c says both contiguous and scatter-gather,
 * -ENOSPC when the declarations are full, or -ENOMEM.
 */
int smaf_declare_constraints(struct device *dev,
			     const struct smaf_constraints *c)
{
	enum smaf_layout layout = SMAF_LAYOUT_DEFAULT;
	char name[SMAF_DEVICE_NAME_LEN];

	if (c->contiguous && c->scatter_gather)
		return -EINVAL;
	if (c->contiguous)
		layout = SMAF_LAYOUT_CONTIGUOUS;
	else if (c->scatter_gather)
		layout = SMAF_LAYOUT_SG;
	smaf_device_name(dev, name);
	return smaf_rule_set(&smaf_decls, name, c->dma_limit, layout);
}
EXPORT_SYMBOL_GPL(smaf_declare_constraints);

/**
 * smaf_forget_constraints() - withdraw the declaration for a device
 * @dev: the device
 *
 * Context: Process context. Takes and releases the rules lock.
 */
void smaf_forget_constraints(struct device *dev)
{
	char name[SMAF_DEVICE_NAME_LEN];

	smaf_device_name(dev, name);
	smaf_rule_del(&smaf_decls, name);
}
EXPORT_SYMBOL_GPL(smaf_forget_constraints);

/**
 * smaf_constraints_merge() - add one device's needs to a buffer's
 * @c: the merged constraints so far
 * @dev: the device
 *
 * Context: Process context.
 */
void smaf_constraints_merge(struct smaf_constraints *c, struct device *dev)
{
	struct smaf_constraints d;

	smaf_device_constraints(dev, &d);
	c->dma_limit = min(c->dma_limit, d.dma_limit);
	c->contiguous |= d.contiguous;
	c->scatter_gather = !c->contiguous;
}

/**
 * smaf_constraints_describe() - a device's constraints, for a log line
 * @dev: the device
 * @buf: filled with a short description
 * @len: size of @buf
 *
 * Context: Process context.
 */
void smaf_constraints_describe(struct device *dev, char *buf, size_t len)
{
	struct smaf_constraints c;

	smaf_device_constraints(dev, &c);
	snprintf(buf, len, "DMA limit %#llx, %s", c.dma_limit,
		 c.contiguous ? "needs contiguous memory" :
				"takes scattered memory");
}

/**
 * smaf_device_find() - find a device by its "bus:device" name
 * @name: NUL-terminated, as smaf_device_name() writes it
 *
 * Context: Process context.
 * Return: the device with a reference held (put_device() it), or
 * ERR_PTR(-ENOENT).
 */
struct device *smaf_device_find(const char *name)
{
	struct bus_type *bus = NULL;
	const char *sep = strchr(name, ':');
	struct device *dev;

	if (!sep)
		return ERR_PTR(-ENOENT);
	if (!strncmp(name, "platform:", sep - name + 1))
		bus = &platform_bus_type;
#ifdef CONFIG_PCI
	else if (!strncmp(name, "pci:", sep - name + 1))
		bus = &pci_bus_type;
#endif
	if (!bus)
		return ERR_PTR(-ENOENT);
	dev = bus_find_device_by_name(bus, NULL, sep + 1);
	return dev ? dev : ERR_PTR(-ENOENT);
}

static ssize_t smaf_rule_list_show(struct smaf_rule_list *list, char *buf,
				   size_t len)
{
	struct smaf_rule *r;
	ssize_t n = 0;

	mutex_lock(&smaf_rules_lock);
	list_for_each_entry(r, &list->head, node) {
		n += scnprintf(buf + n, len - n, "%s", r->name);
		if (r->layout == SMAF_LAYOUT_CONTIGUOUS)
			n += scnprintf(buf + n, len - n, " contiguous");
		else if (r->layout == SMAF_LAYOUT_SG)
			n += scnprintf(buf + n, len - n, " sg");
		if (r->dma_limit != U64_MAX)
			n += scnprintf(buf + n, len - n, " dma-bits=%d",
				       fls64(r->dma_limit));
		n += scnprintf(buf + n, len - n, "\n");
	}
	mutex_unlock(&smaf_rules_lock);
	return n;
}

/**
 * smaf_rules_show() - print root's table of rules, one rule a line
 * @buf: output
 * @len: size of @buf
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: bytes written.
 */
ssize_t smaf_rules_show(char *buf, size_t len)
{
	return smaf_rule_list_show(&smaf_rules, buf, len);
}

/**
 * smaf_decls_show() - print the drivers' declarations, in the rules' format
 * @buf: output
 * @len: size of @buf
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: bytes written.
 */
ssize_t smaf_decls_show(char *buf, size_t len)
{
	return smaf_rule_list_show(&smaf_decls, buf, len);
}

/* One word of a rule: "contiguous", "sg" or "dma-bits=N". */
static int smaf_rules_parse_word(const char *tok, u64 *limit,
				 enum smaf_layout *layout)
{
	unsigned int bits;

	if (!strcmp(tok, "contiguous") || !strcmp(tok, "sg")) {
		if (*layout != SMAF_LAYOUT_DEFAULT)
			return -EINVAL;
		*layout = tok[0] == 'c' ? SMAF_LAYOUT_CONTIGUOUS :
					  SMAF_LAYOUT_SG;
		return 0;
	}
	if (str_has_prefix(tok, "dma-bits=") &&
	    !kstrtouint(tok + strlen("dma-bits="), 10, &bits) &&
	    bits >= 12 && bits <= 64) {
		*limit = DMA_BIT_MASK(bits);
		return 0;
	}
	return -EINVAL;
}

/* Parse "bus:device [contiguous|sg] [dma-bits=N]" and set that rule. */
static int smaf_rules_parse_set(char *line)
{
	char *name = strsep(&line, " \t"), *tok;
	enum smaf_layout layout = SMAF_LAYOUT_DEFAULT;
	u64 limit = U64_MAX;
	int ret;

	if (!name || !strchr(name, ':') ||
	    strlen(name) >= SMAF_DEVICE_NAME_LEN)
		return -EINVAL;
	while ((tok = strsep(&line, " \t"))) {
		if (!*tok)
			continue;
		ret = smaf_rules_parse_word(tok, &limit, &layout);
		if (ret)
			return ret;
	}
	return smaf_rule_set(&smaf_rules, name, limit, layout);
}

/**
 * smaf_rules_store() - apply one command to root's table of rules
 * @text: "bus:device [contiguous|sg] [dma-bits=N]" sets a rule,
 *	"-bus:device" removes it, "clear" removes every rule; drivers'
 *	declarations are never touched
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: 0, -EINVAL for a malformed command, -ENOENT when removing a rule
 * that does not exist, -ENOSPC when the table is full.
 */
int smaf_rules_store(const char *text)
{
	char *line, *cmd;
	int ret = 0;

	line = kstrdup(text, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	cmd = strim(line);
	if (!strcmp(cmd, "clear"))
		smaf_rule_clear(&smaf_rules);
	else if (cmd[0] == '-')
		ret = smaf_rule_del(&smaf_rules, cmd + 1);
	else
		ret = smaf_rules_parse_set(cmd);
	if (ret)
		smaf_refuse("constraints: cannot apply \"%s\": %d\n", cmd, ret);
	kfree(line);
	return ret;
}

/**
 * smaf_rules_free() - drop every rule and declaration, at module exit
 *
 * Context: Process context.
 */
void smaf_rules_free(void)
{
	smaf_rule_clear(&smaf_rules);
	smaf_rule_clear(&smaf_decls);
}
