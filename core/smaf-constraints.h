/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMAF core, bottom layer: what each device needs from memory, from what
 * the kernel knows, drivers declare and root rules. Calls nothing else of
 * SMAF. Not an API (the exported part is in <linux/smaf.h>).
 */
#ifndef _SMAF_CONSTRAINTS_H
#define _SMAF_CONSTRAINTS_H

#include <linux/device.h>
#include <linux/smaf.h>

bool smaf_dev_translated(struct device *dev);
bool smaf_dev_bounces(struct device *dev);
void smaf_device_name(struct device *dev, char *buf);
void smaf_constraints_merge(struct smaf_constraints *c, struct device *dev);
void smaf_constraints_describe(struct device *dev, char *buf, size_t len);
struct device *smaf_device_find(const char *name);
ssize_t smaf_rules_show(char *buf, size_t len);
ssize_t smaf_decls_show(char *buf, size_t len);
int smaf_rules_store(const char *text);
void smaf_rules_free(void);

#endif /* _SMAF_CONSTRAINTS_H */
