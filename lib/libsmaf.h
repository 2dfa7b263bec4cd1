/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsmaf: userspace library for /dev/smaf.
 *
 * The first seven functions keep the names and signatures of the SMAF RFC's
 * libsmaf, so programs written for it build and link unchanged. Unlike the
 * RFC library, every function reports failure as a negative errno value
 * (for example -ENOENT), never as -1 with errno set, and
 * smaf_get_secure() does not hide an ioctl failure.
 */
#ifndef LIBSMAF_H
#define LIBSMAF_H

/* The RFC library exposed O_CLOEXEC and O_RDWR through this header. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <linux/smaf.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Opens /dev/smaf (once; later calls count references). Returns 0 or a
 * negative errno (-ENOENT: smaf not loaded, -EACCES: no permission).
 */
int smaf_open(void);

/* Drops one smaf_open() reference; the device closes at zero. */
void smaf_close(void);

/*
 * Creates a buffer of @length bytes (rounded up to the page size). @flags:
 * SMAF_RDWR and SMAF_CLOEXEC (equal to O_RDWR and O_CLOEXEC). @name: an
 * allocator to force, or NULL/"" to let SMAF choose. Stores the dma-buf fd
 * in *@fd. Returns 0 or a negative errno (see SMAF_IOC_CREATE).
 */
int smaf_create_buffer(unsigned int length, unsigned int flags, char *name,
		       int *fd);

/* As smaf_create_buffer(), for lengths of 4 GiB and more. */
int smaf_create_buffer64(uint64_t length, unsigned int flags,
			 const char *name, int *fd);

/* Sets (1) or clears (0) the secure flag. Returns 0 or a negative errno. */
int smaf_set_secure(int fd, int secure);

/* Returns the secure flag (0 or 1), or a negative errno. */
int smaf_get_secure(int fd);

/* Returns the number of registered allocators, or a negative errno. */
int smaf_allocator_count(void);

/*
 * Returns the name of the allocator at @index (highest ranking first) in a
 * newly allocated string the caller must free(), or NULL with errno set.
 */
char *smaf_get_allocator_name(int index);

/*
 * Fills *@info with the state of the SMAF buffer @fd (size, allocation,
 * allocator, secure flag, attachments, mappings). Returns 0 or a negative
 * errno: -EBADF for a bad fd, -EINVAL for a fd SMAF did not export.
 */
int smaf_buffer_info(int fd, struct smaf_buffer_info *info);

/*
 * Declares, before @fd has memory, that @device ("platform:vivid.0",
 * "pci:0000:00:02.0") will use the buffer, so that the allocation also
 * serves that device's constraints. Returns 0 or a negative errno: -EBUSY
 * once memory exists, -ENOENT for an unknown bus or device, -ENAMETOOLONG
 * for a name of SMAF_DEVICE_NAME_LEN bytes or more (without calling the
 * kernel), -EEXIST when already declared, -ENOSPC past 16 consumers.
 */
int smaf_add_consumer(int fd, const char *device);

/*
 * Fills *@info with the description and live statistics of the allocator
 * at @index (highest ranking first; info->count is the number of
 * allocators). Returns 0 or a negative errno (-EINVAL past the end).
 */
int smaf_allocator_info(int index, struct smaf_allocator_info *info);

/*
 * Lists live SMAF buffers created after the one of serial @after (0: from
 * the first), oldest first: as many struct smaf_buffer_record as fit in
 * @buf (@len bytes), each record->reclen bytes long and followed by the
 * names of its devices. *@list receives how many were written, whether
 * more remain (call again with list->last) and the last serial. Root sees
 * every buffer, others those created under their effective uid. Returns 0
 * or a negative errno: -ENOSPC when not even one record fits, -EFAULT,
 * -EINVAL for a NULL @list.
 */
int smaf_list_buffers(uint64_t after, void *buf, size_t len,
		      struct smaf_buffer_list *list);

/*
 * Resolves @path to the "bus:device" name SMAF knows a device by and
 * writes it, NUL-terminated, to @out (@len bytes). @path is one of:
 *  - a "bus:device" name ("platform:vivid.0"), copied as is;
 *  - a character or block device node ("/dev/video0", "/dev/dri/card0"):
 *    the device behind /sys/dev/{char,block}/MAJ:MIN, that is the class
 *    device's parent on a bus;
 *  - a sysfs device directory ("/sys/devices/platform/vivid.0",
 *    "/sys/bus/platform/devices/vivid.0", "/sys/class/video4linux/video0").
 * A class device stands for the bus device it hangs from; the bus is the
 * name of the device's "subsystem" link under /sys/bus. Whether SMAF knows
 * that bus is up to the kernel (SMAF_IOC_ADD_CONSUMER). Returns 0 or a
 * negative errno: -ENOENT when @path does not exist, -ENODEV when it is
 * not a device on a bus (/dev/null, a regular file, a directory outside
 * /sys/devices), -ENAMETOOLONG when the name does not fit in @len bytes,
 * -EINVAL for a NULL or empty argument.
 */
int smaf_resolve_device(const char *path, char *out, size_t len);

/*
 * smaf_add_consumer() for a device given as smaf_resolve_device() accepts
 * it: a "bus:device" name, a device node or a sysfs device path. Returns 0
 * or a negative errno: those of smaf_resolve_device(), then those of
 * smaf_add_consumer().
 */
int smaf_add_consumer_path(int fd, const char *path);

#if defined(__cplusplus)
}
#endif

#endif /* LIBSMAF_H */
