/* SPDX-License-Identifier: GPL-2.0 */
/* SMAF core, top layer: debugfs. Not an API. */
#ifndef _SMAF_DEBUGFS_H
#define _SMAF_DEBUGFS_H

void smaf_debugfs_init(void);
void smaf_debugfs_exit(void);

#endif /* _SMAF_DEBUGFS_H */
