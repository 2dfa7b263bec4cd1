/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the smaf-testdev control node (tests/testdev/smaf-testdev.h),
 * for CPU access to dma-bufs (mmap, DMA_BUF_IOCTL_SYNC) and for the pattern
 * and checksum the test devices use, so that a test can compare what a
 * device saw with what the CPU computed.
 *
 * Same conventions as smaf_test.h: functions return 0 (or a non-negative
 * value) or a negative errno, never print and never exit. The vgem helpers
 * that open the card and import/export live in smaf_test.h; only what those
 * lack (dumb map offsets) is here.
 */
#ifndef SMAF_TESTDEV_HELPERS_H
#define SMAF_TESTDEV_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smaf-testdev.h"

#define SMAF_TESTDEV_PATH	"/dev/smaf-testdev"

/* Name of test device @dev ("dma64", ...), for logs. */
const char *testdev_name(unsigned int dev);

/* open(SMAF_TESTDEV_PATH, O_RDWR | O_CLOEXEC): the fd or -errno. */
int testdev_open(void);

/* SMAF_TESTDEV_IOC_ATTACH: device @dev imports @buf_fd. 0 or -errno. */
int testdev_attach(int tfd, int buf_fd, unsigned int dev, uint32_t *handle);

/* SMAF_TESTDEV_IOC_ATTACH_DYNAMIC: as a dynamic importer. 0 or -errno. */
int testdev_attach_dynamic(int tfd, int buf_fd, unsigned int dev,
			   uint32_t *handle);
/*
 * SMAF_TESTDEV_IOC_PROBE: would the firewall let device @dev read (or
 * write) [@dma_addr, @dma_addr + @len) of its DMA space now? 0 or -EACCES.
 */
int testdev_probe(int tfd, unsigned int dev, bool write, uint64_t dma_addr,
		  uint64_t len);
/* SMAF_TESTDEV_IOC_DETACH. 0 or -errno. */
int testdev_detach(int tfd, uint32_t handle);

/*
 * SMAF_TESTDEV_IOC_MAP with direction @dir. On success stores the number of
 * DMA segments in *@nents and the first segment's DMA address in *@dma_addr
 * (both may be NULL). 0 or -errno.
 */
int testdev_map(int tfd, uint32_t handle, uint32_t dir, uint32_t *nents,
		uint64_t *dma_addr);

/* SMAF_TESTDEV_IOC_UNMAP. 0 or -errno. */
int testdev_unmap(int tfd, uint32_t handle);

/* Attach then map bidirectionally; detaches again if the map fails. */
int testdev_attach_map(int tfd, int buf_fd, unsigned int dev,
		       uint32_t *handle, uint64_t *dma_addr);

/* Unmap then detach (both attempted); the first error or 0. */
int testdev_unmap_detach(int tfd, uint32_t handle);

/* SMAF_TESTDEV_IOC_WRITE: pattern @seed over [@off, @off + @len). */
int testdev_write(int tfd, uint32_t handle, uint32_t seed, uint64_t off,
		  uint64_t len);

/* SMAF_TESTDEV_IOC_CHECKSUM of [@off, @off + @len) into *@sum. */
int testdev_checksum(int tfd, uint32_t handle, uint64_t off, uint64_t len,
		     uint64_t *sum);

/* ---- what the devices compute, computed by the CPU ---- */

/* Checksum a device reports for @len bytes at @p. */
uint64_t cksum_bytes(const void *p, size_t len);

/* Checksum of @len zero bytes. */
uint64_t cksum_zeroes(uint64_t len);

/* Checksum of the pattern of @seed over [@off, @off + @len). */
uint64_t cksum_pattern(uint32_t seed, uint64_t off, uint64_t len);

/*
 * Stores pattern @seed's bytes [@off, @off + @len) at @p (p[0] gets byte
 * @off of the pattern).
 */
void pattern_fill(void *p, uint32_t seed, uint64_t off, uint64_t len);

/*
 * Compares @p against pattern @seed's bytes [@off, @off + @len): returns the
 * index (relative to @p) of the first differing byte, or -1 if all match.
 */
int64_t pattern_mismatch(const void *p, uint32_t seed, uint64_t off,
			 uint64_t len);

/* Index of the first byte of @p[0..len) that differs from @c, or -1. */
int64_t bytes_mismatch(const void *p, int c, size_t len);

/* ---- dma-buf CPU access ---- */

/* DMA_BUF_IOCTL_SYNC with @flags (DMA_BUF_SYNC_*). 0 or -errno. */
int dmabuf_sync(int fd, uint64_t flags);

/* SYNC_START | SYNC_RW and SYNC_END | SYNC_RW. */
int dmabuf_sync_start(int fd);
int dmabuf_sync_end(int fd);

/*
 * mmap(NULL, @len, PROT_READ | PROT_WRITE (or PROT_READ when !@writable),
 * MAP_SHARED, @fd, @off). Stores the address in *@addr. 0 or -errno.
 */
int dmabuf_mmap(int fd, size_t len, off_t off, bool writable, void **addr);

/* ---- vgem extras (see smaf_test.h for open/import/export) ---- */

/* DRM_IOCTL_MODE_MAP_DUMB: the fake mmap offset of @handle. 0 or -errno. */
int drm_map_dumb(int drm_fd, uint32_t handle, uint64_t *offset);

/* DRM_IOCTL_PRIME_HANDLE_TO_FD (O_RDWR | O_CLOEXEC). 0 or -errno. */
int drm_prime_export(int drm_fd, uint32_t handle, int *dmabuf_fd);

/* ---- modules ---- */

/*
 * delete_module(2) of @name with O_NONBLOCK (rmmod's default). 0 or -errno.
 */
int module_delete(const char *name);

/*
 * finit_module(2) of the file at @path with @params. 0 or -errno (-EEXIST:
 * already loaded).
 */
int module_load(const char *path, const char *params);

/*
 * Finds a loadable .ko for module @name (dashes or underscores), searching
 * recursively: $SMAF_MODULE_DIR if set, /lib/smaf/ (where the test VM puts
 * SMAF's modules), /smaf/, /modules/, then /lib/modules/$(uname -r)/.
 * Writes the path to @path. 0 or -ENOENT.
 */
int module_find(const char *name, char *path, size_t len);

/* ---- allocators ---- */

/*
 * The allocator SMAF should pick for a buffer whose devices all reach the
 * whole of RAM, or that only the CPU uses: the highest-ranked registered
 * one (GET_INFO order) of "smaf-system" (scattered pages) and "smaf-cma"
 * (contiguous). A 32-bit device in a VM with more than 4 GiB leaves only
 * smaf-cma. Returns the name, or "" when neither is registered.
 */
const char *general_allocator(int dev_fd);

/* ---- misc ---- */

/* Monotonic time in milliseconds. */
uint64_t now_ms(void);

#endif /* SMAF_TESTDEV_HELPERS_H */
