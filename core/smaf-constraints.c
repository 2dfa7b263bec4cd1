// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF core: what each device needs from memory.
 *
 * The kernel knows a device's DMA masks, bus limit and IOMMU; it does not
 * know whether the driver needs physically contiguous memory or must stay
 * below some address for a reason of its own. The platform says so through
 * rules: drivers declare them with smaf_declare_constraints(), and root
 * edits them at run time through /sys/class/misc/smaf/constraints.
 */

#define pr_fmt(fmt) "smaf: " fmt

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "smaf-internal.h"

#define SMAF_MAX_RULES	64

/**
 * struct smaf_rule - declared constraints of one device
 * @node: entry in smaf_rules
 * @name: "bus:device"
 * @dma_limit: highest address the device may be given; U64_MAX for none
 * @contiguous: the device needs physically contiguous memory
 * @by_driver: declared by a driver rather than by root
 */
struct smaf_rule {
	struct list_head node;
	char name[SMAF_DEVICE_NAME_LEN];
	u64 dma_limit;
	bool contiguous;
	bool by_driver;
};

/* Protects smaf_rules and smaf_nr_rules; a leaf lock. */
static DEFINE_MUTEX(smaf_rules_lock);
static LIST_HEAD(smaf_rules);
static unsigned int smaf_nr_rules;

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

static struct smaf_rule *smaf_rule_find(const char *name)
{
	struct smaf_rule *r;

	lockdep_assert_held(&smaf_rules_lock);
	list_for_each_entry(r, &smaf_rules, node)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* Add or replace the rule named @name. */
static int smaf_rule_set(const char *name, u64 dma_limit, bool contiguous,
			 bool by_driver)
{
	struct smaf_rule *r;
	int ret = 0;

	mutex_lock(&smaf_rules_lock);
	r = smaf_rule_find(name);
	if (!r) {
		if (smaf_nr_rules >= SMAF_MAX_RULES) {
			pr_err("constraints: table full (%d rules)\n",
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
		list_add_tail(&r->node, &smaf_rules);
		smaf_nr_rules++;
	}
	r->dma_limit = dma_limit;
	r->contiguous = contiguous;
	r->by_driver = by_driver;
out_unlock:
	mutex_unlock(&smaf_rules_lock);
	return ret;
}

static int smaf_rule_del(const char *name)
{
	struct smaf_rule *r;

	mutex_lock(&smaf_rules_lock);
	r = smaf_rule_find(name);
	if (r) {
		list_del(&r->node);
		smaf_nr_rules--;
		kfree(r);
	}
	mutex_unlock(&smaf_rules_lock);
	return r ? 0 : -ENOENT;
}

/**
 * smaf_device_dma_limit() - highest address a device can reach
 * @dev: the device
 *
 * Context: Any context.
 * Return: the lowest of @dev's streaming mask, coherent mask and bus limit;
 * U64_MAX behind an IOMMU; 0 for a device that cannot do DMA.
 */
static u64 smaf_device_dma_limit(struct device *dev)
{
	u64 limit;

	if (device_iommu_mapped(dev))
		return U64_MAX;
	if (!dev->dma_mask)
		return 0;
	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	return min_not_zero(limit, dev->coherent_dma_mask);
}

/**
 * smaf_device_constraints() - what a device needs from memory
 * @dev: the device
 * @c: set to its constraints: what the kernel knows of @dev, narrowed by
 *	the rule declared for it, if any
 *
 * Context: Process context. Takes and releases the rules lock.
 */
void smaf_device_constraints(struct device *dev, struct smaf_constraints *c)
{
	char name[SMAF_DEVICE_NAME_LEN];
	struct smaf_rule *r;

	c->dma_limit = smaf_device_dma_limit(dev);
	c->contiguous = false;
	smaf_device_name(dev, name);
	mutex_lock(&smaf_rules_lock);
	r = smaf_rule_find(name);
	if (r) {
		c->dma_limit = min(c->dma_limit, r->dma_limit);
		c->contiguous = r->contiguous;
	}
	mutex_unlock(&smaf_rules_lock);
	/* Behind an IOMMU any pages look contiguous to the device. */
	if (device_iommu_mapped(dev))
		c->contiguous = false;
}
EXPORT_SYMBOL_GPL(smaf_device_constraints);

/**
 * smaf_declare_constraints() - a driver declares what its device needs
 * @dev: the device
 * @c: its needs beyond what the kernel knows (contiguity, a lower limit)
 *
 * Replaces any rule for @dev, root's included; root can change it later.
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: 0, -ENOSPC when the table is full, or -ENOMEM.
 */
int smaf_declare_constraints(struct device *dev,
			     const struct smaf_constraints *c)
{
	char name[SMAF_DEVICE_NAME_LEN];

	smaf_device_name(dev, name);
	return smaf_rule_set(name, c->dma_limit, c->contiguous, true);
}
EXPORT_SYMBOL_GPL(smaf_declare_constraints);

/**
 * smaf_forget_constraints() - withdraw the rule declared for a device
 * @dev: the device
 *
 * Context: Process context. Takes and releases the rules lock.
 */
void smaf_forget_constraints(struct device *dev)
{
	char name[SMAF_DEVICE_NAME_LEN];

	smaf_device_name(dev, name);
	smaf_rule_del(name);
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
	snprintf(buf, len, "DMA limit %#llx%s", c.dma_limit,
		 c.contiguous ? ", needs contiguous memory" : "");
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

/**
 * smaf_rules_show() - print the rules table, one rule a line
 * @buf: output
 * @len: size of @buf
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: bytes written.
 */
ssize_t smaf_rules_show(char *buf, size_t len)
{
	struct smaf_rule *r;
	ssize_t n = 0;

	mutex_lock(&smaf_rules_lock);
	list_for_each_entry(r, &smaf_rules, node) {
		n += scnprintf(buf + n, len - n, "%s", r->name);
		if (r->contiguous)
			n += scnprintf(buf + n, len - n, " contiguous");
		if (r->dma_limit != U64_MAX)
			n += scnprintf(buf + n, len - n, " dma-bits=%d",
				       fls64(r->dma_limit));
		n += scnprintf(buf + n, len - n, "%s\n",
			       r->by_driver ? " driver" : "");
	}
	mutex_unlock(&smaf_rules_lock);
	return n;
}

/* Parse "bus:device [contiguous] [dma-bits=N]" and set that rule. */
static int smaf_rules_parse_set(char *line)
{
	char *name = strsep(&line, " \t"), *tok;
	bool contiguous = false;
	u64 limit = U64_MAX;
	unsigned int bits;

	if (!name || !strchr(name, ':') ||
	    strlen(name) >= SMAF_DEVICE_NAME_LEN)
		return -EINVAL;
	while ((tok = strsep(&line, " \t"))) {
		if (!*tok)
			continue;
		if (!strcmp(tok, "contiguous")) {
			contiguous = true;
		} else if (str_has_prefix(tok, "dma-bits=") &&
			   !kstrtouint(tok + strlen("dma-bits="), 10, &bits) &&
			   bits >= 12 && bits <= 64) {
			limit = DMA_BIT_MASK(bits);
		} else {
			return -EINVAL;
		}
	}
	return smaf_rule_set(name, limit, contiguous, false);
}

/**
 * smaf_rules_store() - apply one command to the rules table
 * @text: "bus:device [contiguous] [dma-bits=N]" sets a rule,
 *	"-bus:device" removes it, "clear" removes every rule
 *
 * Context: Process context. Takes and releases the rules lock.
 * Return: 0, -EINVAL for a malformed command, -ENOENT when removing a rule
 * that does not exist, -ENOSPC when the table is full.
 */
int smaf_rules_store(const char *text)
{
	struct smaf_rule *r, *tmp;
	char *line, *cmd;
	int ret;

	line = kstrdup(text, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	cmd = strim(line);
	if (!strcmp(cmd, "clear")) {
		mutex_lock(&smaf_rules_lock);
		list_for_each_entry_safe(r, tmp, &smaf_rules, node) {
			list_del(&r->node);
			kfree(r);
		}
		smaf_nr_rules = 0;
		mutex_unlock(&smaf_rules_lock);
		ret = 0;
	} else if (cmd[0] == '-') {
		ret = smaf_rule_del(cmd + 1);
	} else {
		ret = smaf_rules_parse_set(cmd);
	}
	if (ret)
		pr_err("constraints: cannot apply \"%s\": %d\n", cmd, ret);
	kfree(line);
	return ret;
}

/**
 * smaf_rules_free() - drop every rule, at module exit
 *
 * Context: Process context.
 */
void smaf_rules_free(void)
{
	smaf_rules_store("clear");
}
