/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the SMAF userspace tests (tests/test_*.c).
 *
 * Small and stable on purpose: every test binary links every .c file of
 * tests/common.
 * Conventions:
 *  - Functions that can fail return 0 (or a non-negative value) on success
 *    and a negative errno on failure; they never print and never exit.
 *  - Nothing here depends on kselftest_harness.h, so a test can include
 *    this header before or after it.
 *  - Raw wrappers issue exactly one ioctl and touch nothing else, so tests
 *    can pin exact errno values; libsmaf (lib/libsmaf.h) is the normal API.
 */
#ifndef SMAF_TEST_H
#define SMAF_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/smaf.h>

#define SMAF_DEV_PATH		"/dev/smaf"
#define SMAF_STATS_PATH		"/sys/kernel/debug/smaf/stats"
#define SMAF_QUARANTINE_PATH	"/sys/kernel/debug/smaf/quarantine"
#define SMAF_PARAM_DIR		"/sys/module/smaf/parameters"

/* ---- counters (/sys/kernel/debug/smaf/stats) ---- */

/**
 * struct smaf_stats - the core's global counters, one per stats line.
 * Every field is 0 when no buffer exists (after a test freed everything).
 */
struct smaf_stats {
	uint64_t buffers;		/* live SMAF buffers */
	uint64_t allocated_buffers;	/* buffers with memory behind them */
	uint64_t allocated_bytes;	/* bytes those hold */
	uint64_t attachments;		/* dma_buf_attach()ed devices */
	uint64_t device_mappings;	/* active map_attachment mappings */
	uint64_t cpu_mappings;		/* mmap VMAs + kernel vmap users */
	uint64_t quarantined_buffers;	/* freed, unscrubbed, kept out of use */
	uint64_t quarantined_bytes;	/* bytes those hold */
};

/*
 * Reads SMAF_STATS_PATH into *@st (unknown keys are ignored; keys missing
 * from the file read as 0). Mounts debugfs on /sys/kernel/debug first when
 * the file is missing and nothing is mounted there. Returns 0 or -errno
 * (-ENOENT: smaf not loaded or no debugfs).
 */
int smaf_stats_read(struct smaf_stats *st);

/* True when both snapshots are identical. */
bool smaf_stats_equal(const struct smaf_stats *a, const struct smaf_stats *b);

/* True when every counter is 0. */
bool smaf_stats_idle(const struct smaf_stats *st);

/* Formats @st as "buffers=N allocated_buffers=N ..." into @buf (for logs). */
const char *smaf_stats_str(const struct smaf_stats *st, char *buf, size_t len);
#define SMAF_STATS_STRLEN	384

/*
 * For teardowns: false, with "before <base>, after <now>" in @msg (at
 * least 2 * SMAF_STATS_STRLEN bytes), when the counters now differ from
 * @base; true when they are back (or cannot be read).
 */
bool smaf_stats_back(const struct smaf_stats *base, char *msg, size_t len);

/* ---- file descriptors ---- */

/*
 * Number of open fds of this process, counted in /proc/self/fd (the fd
 * used to read the directory is not counted). Returns >= 0 or -errno.
 */
int smaf_count_fds(void);

/*
 * Writes the open fd numbers (ascending) into @fds, at most @max of them;
 * returns how many are open (may exceed @max) or -errno. Lets a test show
 * which fd leaked.
 */
int smaf_list_fds(int *fds, int max);

/* True when @fd is an open file descriptor (fcntl(F_GETFD) succeeds). */
bool smaf_fd_is_open(int fd);

/* ---- /dev/smaf and raw ioctls ---- */

/* open(SMAF_DEV_PATH, O_RDWR | O_CLOEXEC): the fd or -errno. */
int smaf_dev_open(void);

/* ioctl(@fd, @cmd, @arg): 0 (or the ioctl's positive value) or -errno. */
int smaf_ioctl(int fd, unsigned long cmd, void *arg);

/*
 * One SMAF_IOC_CREATE with version 0 and every reserved byte 0. @name may
 * be NULL or "" (SMAF chooses); it is copied bounded to SMAF_NAME_LEN - 1
 * bytes. Stores the new fd in *@buf_fd. Returns 0 or -errno.
 */
int smaf_raw_create(int dev_fd, uint64_t length, uint32_t flags,
		    const char *name, int *buf_fd);

/* SMAF_IOC_BUFFER_INFO on @buf_fd (struct zeroed first). 0 or -errno. */
int smaf_raw_buffer_info(int dev_fd, int buf_fd, struct smaf_buffer_info *bi);

/* SMAF_IOC_GET_INFO at @index (struct zeroed first). 0 or -errno. */
int smaf_raw_get_info(int dev_fd, uint32_t index, struct smaf_info *info);

/* SMAF_IOC_GET_SECURE_FLAG: 0/1 or -errno. */
int smaf_raw_get_secure(int dev_fd, int buf_fd);

/* SMAF_IOC_SET_SECURE_FLAG with @secure (any value). 0 or -errno. */
int smaf_raw_set_secure(int dev_fd, int buf_fd, uint32_t secure);

/*
 * Index of the allocator called @name in the GET_INFO list, or -errno
 * (-ENOENT when no registered allocator has that name).
 */
int smaf_find_allocator(int dev_fd, const char *name);

/* ---- files, and module parameters (/sys/module/smaf/parameters/) ---- */

/* Reads a whole (small) file into @buf, NUL-terminated: bytes or -errno. */
ssize_t smaf_read_file(const char *path, char *buf, size_t len);

/* Writes @str to the file at @path in one write(). 0 or -errno. */
int smaf_write_str(const char *path, const char *str);

/* Reads the unsigned parameter @name into *@val. 0 or -errno. */
int smaf_param_read(const char *name, uint64_t *val);

/* Writes @val to parameter @name (root only). 0 or -errno. */
int smaf_param_write(const char *name, uint64_t val);

/* ---- misc ---- */

/* sysconf(_SC_PAGESIZE). */
size_t smaf_page_size(void);

/* True when a module called @name (as in /proc/modules) is loaded. */
bool smaf_module_loaded(const char *name);

/* ---- vgem (DRM PRIME importer/exporter used as a foreign device) ---- */

/*
 * Opens the first /dev/dri/card* whose driver (DRM_IOCTL_VERSION) is
 * "vgem", O_RDWR | O_CLOEXEC. The fd or -errno (-ENODEV: no vgem).
 */
int smaf_vgem_open(void);

/*
 * Creates a vgem dumb buffer of at least @size bytes (width @size / 4
 * rounded up, height 1, 32 bpp) and exports it as a dma-buf with
 * DRM_IOCTL_PRIME_HANDLE_TO_FD (O_RDWR | O_CLOEXEC). Stores the GEM handle
 * in *@handle (may be NULL: then closed after export) and the dma-buf fd in
 * *@dmabuf_fd. 0 or -errno.
 */
int smaf_vgem_export(int drm_fd, uint64_t size, uint32_t *handle,
		     int *dmabuf_fd);

/*
 * Imports @dmabuf_fd into the DRM device (DRM_IOCTL_PRIME_FD_TO_HANDLE);
 * stores the GEM handle in *@handle. 0 or -errno.
 */
int smaf_vgem_import(int drm_fd, int dmabuf_fd, uint32_t *handle);

/* DRM_IOCTL_GEM_CLOSE on @handle. 0 or -errno. */
int smaf_vgem_close_handle(int drm_fd, uint32_t handle);

#endif /* SMAF_TEST_H */
