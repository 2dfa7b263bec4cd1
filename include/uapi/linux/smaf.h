/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * SMAF: Secure Memory Allocation Framework, userspace API.
 *
 * /dev/smaf hands out dma-buf file descriptors whose memory is allocated
 * only when a device (or the CPU) first needs it, by the allocator that can
 * serve every device using the buffer.
 *
 * Ioctls 0 to 3 are binary compatible with the SMAF RFC's final ABI
 * (v8 to v10): same magic, numbers, layouts and sizes.
 */
#ifndef _UAPI_LINUX_SMAF_H
#define _UAPI_LINUX_SMAF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: SMAF userspace API
 *
 * General rules, true of every ioctl on /dev/smaf:
 *
 * - Every struct starts (or, for the RFC structs, continues) with fixed-width
 *   fields only, naturally aligned, with explicit padding.
 * - ``version`` (RFC structs) must be 0, every ``reserved`` byte must be 0,
 *   and unknown flag bits are refused: all give -EINVAL.
 * - Output fields of the RFC structs (nr 0 to 3) are ignored on input, as
 *   the RFC did, so a program that reuses a struct keeps working. Output
 *   fields of newer structs must be 0 on input (-EINVAL).
 * - The kernel dispatches on the ioctl number and copies the size that the
 *   caller's command encodes: a shorter struct reads its missing trailing
 *   fields as 0, a longer struct must have its extra bytes zeroed (-E2BIG
 *   otherwise), and only the caller's size is copied back. A struct must
 *   reach at least the end of: CREATE's fd, the secure flag's secure,
 *   GET_INFO's count, BUFFER_INFO's size, ADD_CONSUMER's flags,
 *   ALLOCATOR_INFO's count, LIST_BUFFERS's last; a shorter one gives
 *   -EINVAL.
 * - An ioctl with another magic or an unknown number fails with -ENOTTY.
 * - 32-bit programs use the same layouts through compat_ioctl.
 * - A fd that should name a SMAF buffer fails with -EBADF when it is not an
 *   open file, and -EINVAL when it is a file SMAF did not export.
 */

/** SMAF_NAME_LEN - size of every name array, terminating NUL included */
#define SMAF_NAME_LEN		64
#ifndef MAX_NAME_LENGTH
/* The RFC's spelling, kept so that RFC-era programs build unchanged. */
#define MAX_NAME_LENGTH		SMAF_NAME_LEN
#endif

/*
 * Buffer flags. The values are the RFC's (O_RDWR and O_CLOEXEC as most
 * architectures define them, x86 and arm64 included), fixed here so that
 * they do not depend on the architecture's <fcntl.h>.
 */
/** SMAF_RDWR - the dma-buf file is writable (shared writable mmap) */
#define SMAF_RDWR		0x00000002
/** SMAF_CLOEXEC - the new fd is close-on-exec */
#define SMAF_CLOEXEC		0x00080000
/** SMAF_CREATE_VALID_FLAGS - every flag SMAF_IOC_CREATE accepts */
#define SMAF_CREATE_VALID_FLAGS	(SMAF_RDWR | SMAF_CLOEXEC)

/**
 * struct smaf_create_data - argument of SMAF_IOC_CREATE
 * @version: in; must be 0
 * @length: in; size in bytes, rounded up to a multiple of the page size;
 *	0 gives -EINVAL, more than the smaf module's max_buffer_size gives
 *	-E2BIG
 * @flags: in; SMAF_RDWR and SMAF_CLOEXEC; any other bit gives -EINVAL
 * @reserved1: must be 0
 * @fd: out; the new dma-buf fd (ignored on input)
 * @reserved2: must be 0
 * @name: in; allocator to force, NUL-terminated (-ENAMETOOLONG when no NUL
 *	lies inside the array); empty lets SMAF choose at allocation time; a
 *	name no registered allocator has gives -ENOENT
 * @reserved3: must be 0
 *
 * No memory is allocated by this call: see SMAF_IOC_CREATE.
 */
struct smaf_create_data {
	__u64 version;
	__u64 length;
	__u32 flags;
	__u32 reserved1;
	__s32 fd;
	__u32 reserved2;
	__u8 name[SMAF_NAME_LEN];
	__u8 reserved3[32];
};

/**
 * struct smaf_secure_flag - argument of SMAF_IOC_{GET,SET}_SECURE_FLAG
 * @version: in; must be 0
 * @fd: in; a SMAF buffer fd
 * @reserved1: must be 0
 * @secure: in for SET (0 or 1; other values give -EINVAL), out for GET
 * @reserved2: must be 0
 */
struct smaf_secure_flag {
	__u64 version;
	__s32 fd;
	__u32 reserved1;
	__u32 secure;
	__u8 reserved2[44];
};

/**
 * struct smaf_info - argument of SMAF_IOC_GET_INFO
 * @version: in; must be 0
 * @index: in; position in the allocator list, highest ranking first
 * @reserved1: must be 0
 * @count: out; number of registered allocators
 * @reserved2: must be 0
 * @name: out; NUL-terminated name of the allocator at @index
 * @reserved3: must be 0
 */
struct smaf_info {
	__u64 version;
	__u32 index;
	__u32 reserved1;
	__u32 count;
	__u32 reserved2;
	__u8 name[SMAF_NAME_LEN];
	__u8 reserved3[40];
};

/**
 * struct smaf_buffer_info - argument of SMAF_IOC_BUFFER_INFO
 * @fd: in; a SMAF buffer fd
 * @flags: in; must be 0
 * @size: out; size in bytes (a multiple of the page size)
 * @allocated: out; 1 once memory backs the buffer, else 0
 * @secure: out; the secure flag
 * @attachments: out; devices attached through dma_buf_attach()
 * @device_mappings: out; active dma_buf_map_attachment() mappings
 * @cpu_mappings: out; active CPU mappings: mmap()ed areas plus kernel
 *	vmap() users
 * @migrations: out; times the memory was moved to new memory because a
 *	device that attached later could not use it
 * @allocator: out; NUL-terminated name of the allocator holding the
 *	memory, or of the allocator forced at creation while none is held yet,
 *	else empty
 * @consumers: out; devices declared with SMAF_IOC_ADD_CONSUMER
 * @reserved: must be 0
 * @id: out; the buffer's id, as debugfs smaf/buffers and the dma-buf's
 *	inode number (/proc/PID/fdinfo "ino") show it
 *
 * Output fields must be 0 on input.
 */
struct smaf_buffer_info {
	__s32 fd;
	__u32 flags;
	__u64 size;
	__u32 allocated;
	__u32 secure;
	__u32 attachments;
	__u32 device_mappings;
	__u32 cpu_mappings;
	__u32 migrations;
	__u8 allocator[SMAF_NAME_LEN];
	__u32 consumers;
	__u32 reserved;
	__u64 id;
};

/** SMAF_DEVICE_NAME_LEN - size of a "bus:device" name, NUL included */
#define SMAF_DEVICE_NAME_LEN	128

/**
 * struct smaf_consumer - argument of SMAF_IOC_ADD_CONSUMER
 * @fd: in; a SMAF buffer fd
 * @flags: in; must be 0
 * @device: in; NUL-terminated "bus:device" name of a device that will use
 *	the buffer: "platform:vivid.0", "pci:0000:00:02.0" (the buses
 *	"platform" and "pci" are known)
 */
struct smaf_consumer {
	__s32 fd;
	__u32 flags;
	__u8 device[SMAF_DEVICE_NAME_LEN];
};

/* Capabilities of an allocator, in &smaf_allocator_info.caps. */
/** SMAF_CAP_CONTIGUOUS - every buffer is one physically contiguous range */
#define SMAF_CAP_CONTIGUOUS	(1U << 0)
/** SMAF_CAP_SECURE - can hold secure buffers */
#define SMAF_CAP_SECURE		(1U << 1)

/**
 * struct smaf_allocator_info - argument of SMAF_IOC_ALLOCATOR_INFO
 * @index: in; position in the allocator list, highest ranking first
 * @count: out; number of registered allocators
 * @name: out; NUL-terminated name
 * @ranking: out; larger is preferred
 * @caps: out; SMAF_CAP_* bits
 * @max_size: out; largest buffer it can allocate, 0 for no limit of its own
 * @min_dma_limit: out; lowest device DMA limit (highest reachable address)
 *	it can serve
 * @buffers: out; buffers holding its memory now
 * @bytes: out; bytes of its memory held now
 * @peak_bytes: out; highest @bytes since it was registered
 * @failures: out; allocations it was asked for and failed (a request
 *	it cannot serve is never asked of it, and is not counted)
 *
 * Output fields must be 0 on input.
 */
struct smaf_allocator_info {
	__u32 index;
	__u32 count;
	__u8 name[SMAF_NAME_LEN];
	__s32 ranking;
	__u32 caps;
	__u64 max_size;
	__u64 min_dma_limit;
	__u64 buffers;
	__u64 bytes;
	__u64 peak_bytes;
	__u64 failures;
};

/* &smaf_buffer_record.state */
/** SMAF_BUFFER_STATE_EMPTY - no memory yet */
#define SMAF_BUFFER_STATE_EMPTY		0
/** SMAF_BUFFER_STATE_ALLOCATED - memory backs the buffer */
#define SMAF_BUFFER_STATE_ALLOCATED	1

/** SMAF_BUFFER_NAME_LEN - size of &smaf_buffer_record.name, the dma-buf's */
#define SMAF_BUFFER_NAME_LEN	32
/** SMAF_COMM_LEN - size of &smaf_buffer_record.comm */
#define SMAF_COMM_LEN		16

/**
 * struct smaf_buffer_record - one buffer in SMAF_IOC_LIST_BUFFERS's output
 * @reclen: bytes of this record, names included, a multiple of 8: the
 *	next record starts @reclen bytes after this one
 * @state: SMAF_BUFFER_STATE_*
 * @serial: the buffer's place in creation order, never reused: what
 *	&smaf_buffer_list.after takes
 * @id: the buffer's id, as SMAF_IOC_BUFFER_INFO reports it
 * @size: size in bytes
 * @secure: the secure flag
 * @attachments: devices attached
 * @device_mappings: active device mappings
 * @cpu_mappings: mmap()ed areas plus kernel vmap users
 * @migrations: times its memory moved
 * @nr_attached: names in @names of the attached devices, first
 * @nr_declared: names in @names of the declared consumers, after those
 * @pid: the creating process, in the caller's pid namespace; 0 when it is
 *	not visible there (or exited and its pid not held any more)
 * @allocator: NUL-terminated name of the allocator holding the memory, or
 *	of the one forced at creation, else empty
 * @comm: NUL-terminated command name of the creator at creation
 * @name: NUL-terminated dma-buf name (DMA_BUF_SET_NAME), else empty
 * @names: @nr_attached then @nr_declared NUL-terminated "bus:device"
 *	names, then zero padding up to @reclen
 */
struct smaf_buffer_record {
	__u32 reclen;
	__u32 state;
	__u64 serial;
	__u64 id;
	__u64 size;
	__u32 secure;
	__u32 attachments;
	__u32 device_mappings;
	__u32 cpu_mappings;
	__u32 migrations;
	__u32 nr_attached;
	__u32 nr_declared;
	__s32 pid;
	__u8 allocator[SMAF_NAME_LEN];
	__u8 comm[SMAF_COMM_LEN];
	__u8 name[SMAF_BUFFER_NAME_LEN];
	__u8 names[];
};

/**
 * struct smaf_buffer_list - argument of SMAF_IOC_LIST_BUFFERS
 * @after: in; list the buffers whose &smaf_buffer_record.serial is greater
 *	(0 to start at the first)
 * @buf: in; user address where the records are written
 * @len: in; bytes at @buf (at most 1 MiB are used)
 * @flags: in; must be 0
 * @count: out; records written
 * @more: out; 1 when buffers remain after the last record written (call
 *	again with @after set to @last), else 0
 * @last: out; serial of the last record written, or @after when none
 *
 * Output fields must be 0 on input.
 */
struct smaf_buffer_list {
	__u64 after;
	__u64 buf;
	__u32 len;
	__u32 flags;
	__u32 count;
	__u32 more;
	__u64 last;
};

#define SMAF_IOC_MAGIC		'S'

/**
 * DOC: SMAF_IOC_CREATE
 *
 * Creates a buffer and returns a dma-buf fd for it in &smaf_create_data.fd.
 * The file is opened read-write with SMAF_RDWR (else read-only, so writable
 * shared mappings are refused) and the fd is close-on-exec with
 * SMAF_CLOEXEC. No memory is allocated: that happens exactly once, when the
 * first device maps the buffer (dma_buf_map_attachment()) or the CPU first
 * needs it (mmap() or DMA_BUF_IOCTL_SYNC start). The allocator is the one
 * named here, else the highest-ranked one that can serve every attached
 * device; a device that no IOMMU translates gets contiguous memory unless
 * it is known to take scatter-gather lists. Memory is zeroed when
 * allocated. A kernel vmap (a software importer such as videobuf2-vmalloc)
 * is possible only once the buffer has memory and is not secure; before,
 * the dma-buf core refuses it with -EINVAL.
 *
 * A device that attaches once memory exists and cannot use it (cannot
 * reach it, or needs it contiguous) makes SMAF move the buffer to memory
 * every user can use, content preserved, when no device mapping or kernel
 * vmap holds it and it is not secure; otherwise the attach fails with
 * -EBUSY. mmap() must be shared (-EINVAL otherwise), stay inside the
 * buffer (-EINVAL) and cannot be grown with mremap().
 *
 * Errors: -EINVAL (bad version, flags, reserved bytes or zero length),
 * -E2BIG (length above max_buffer_size), -ENAMETOOLONG (name without NUL),
 * -ENOENT (no allocator of that name), -EMFILE/-ENFILE (no fd), -ENOMEM,
 * -EFAULT. On any error no fd and no memory are left behind.
 */
#define SMAF_IOC_CREATE \
	_IOWR(SMAF_IOC_MAGIC, 0, struct smaf_create_data)

/**
 * DOC: SMAF_IOC_GET_SECURE_FLAG
 *
 * Reads a buffer's secure flag into &smaf_secure_flag.secure.
 */
#define SMAF_IOC_GET_SECURE_FLAG \
	_IOWR(SMAF_IOC_MAGIC, 1, struct smaf_secure_flag)

/**
 * DOC: SMAF_IOC_SET_SECURE_FLAG
 *
 * Sets (secure = 1) or clears (secure = 0) a buffer's secure flag. Only
 * the process that created the buffer may (-EPERM for any other), and only
 * while the buffer has no memory: -EBUSY afterwards. -ENODEV when no secure
 * module is registered.
 */
#define SMAF_IOC_SET_SECURE_FLAG \
	_IOWR(SMAF_IOC_MAGIC, 2, struct smaf_secure_flag)

/**
 * DOC: SMAF_IOC_GET_INFO
 *
 * Reports the number of allocators and the name of the one at
 * &smaf_info.index; an index past the end gives -EINVAL. Enumerate from 0
 * to count - 1.
 */
#define SMAF_IOC_GET_INFO	_IOWR(SMAF_IOC_MAGIC, 3, struct smaf_info)

/**
 * DOC: SMAF_IOC_BUFFER_INFO
 *
 * Reports the state of one SMAF buffer (&struct smaf_buffer_info). The
 * struct may grow: older, shorter structs keep working.
 */
#define SMAF_IOC_BUFFER_INFO \
	_IOWR(SMAF_IOC_MAGIC, 4, struct smaf_buffer_info)

/**
 * DOC: SMAF_IOC_ADD_CONSUMER
 *
 * Declares, before the buffer has memory, that a device will use it: the
 * allocation then serves that device's constraints as well as those of the
 * attached devices, so a pipeline whose importers attach and map at once
 * still gets memory every stage can use. -EBUSY once memory exists,
 * -ENOENT for an unknown bus or device, -ENAMETOOLONG for a name without
 * NUL, -EEXIST when already declared, -ENOSPC past 16 consumers.
 */
#define SMAF_IOC_ADD_CONSUMER \
	_IOWR(SMAF_IOC_MAGIC, 5, struct smaf_consumer)

/**
 * DOC: SMAF_IOC_ALLOCATOR_INFO
 *
 * Describes the allocator at &smaf_allocator_info.index: what it can serve
 * and its live statistics. An index past the end gives -EINVAL.
 */
#define SMAF_IOC_ALLOCATOR_INFO \
	_IOWR(SMAF_IOC_MAGIC, 6, struct smaf_allocator_info)

/**
 * DOC: SMAF_IOC_LIST_BUFFERS
 *
 * Lists live buffers, oldest first, as variable-length records (&struct
 * smaf_buffer_record, each followed by the names of its devices) written
 * one after another at &smaf_buffer_list.buf, as many as fit. The stable
 * interface to what debugfs smaf/buffers shows people. A caller with
 * CAP_SYS_ADMIN sees every buffer; any other caller, the buffers created
 * by processes of its effective user id. A record that does not fit in
 * an empty output gives -ENOSPC; -EFAULT for an unwritable output.
 */
#define SMAF_IOC_LIST_BUFFERS \
	_IOWR(SMAF_IOC_MAGIC, 7, struct smaf_buffer_list)

#endif /* _UAPI_LINUX_SMAF_H */
