/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smaf-testdev: test-only simulated DMA devices, userspace API.
 *
 * The module creates platform devices with different DMA constraints and a
 * control node, /dev/smaf-testdev, through which a test makes one of them
 * import a dma-buf (attach, map), write a pattern into it and read back a
 * checksum "as the device" (through the DMA addresses of its own mapping),
 * then unmap and detach. Every attachment belongs to the open file of the
 * control node and is torn down when that file is closed.
 *
 * Handles start at 1 (0 is never valid); a handle the file does not hold
 * fails with ENOENT. Output fields are ignored on input.
 */
#ifndef _UAPI_SMAF_TESTDEV_H
#define _UAPI_SMAF_TESTDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Devices, by index (the platform device is "smaf-testdev.<index>"). None
 * is behind an IOMMU. The module declares to SMAF (smaf_declare_constraints())
 * that dma64 and dma64b follow scatter-gather lists; the others get SMAF's
 * default for such devices, contiguous memory.
 *  0  dma64   64-bit DMA and coherent masks, scatter-gather (a "decoder")
 *  1  dma32   32-bit DMA and coherent masks, contiguous only
 *  2  dma30   30-bit masks: no SMAF allocator can serve it
 *  3  dma64b  a second 64-bit scatter-gather device (a "display")
 *  4  dma64c  64-bit, contiguous only (a DMA engine without scatter-gather)
 */
#define SMAF_TESTDEV_DMA64	0
#define SMAF_TESTDEV_DMA32	1
#define SMAF_TESTDEV_DMA30	2
#define SMAF_TESTDEV_DMA64B	3
#define SMAF_TESTDEV_DMA64C	4
#define SMAF_TESTDEV_COUNT	5

/* Directions, as enum dma_data_direction numbers them. */
#define SMAF_TESTDEV_BIDIRECTIONAL	0
#define SMAF_TESTDEV_TO_DEVICE		1
#define SMAF_TESTDEV_FROM_DEVICE	2

/**
 * struct smaf_testdev_attach - SMAF_TESTDEV_IOC_ATTACH, _ATTACH_DYNAMIC
 * @fd: in; the dma-buf to import
 * @dev: in; device index
 * @handle: out; names the attachment in later calls
 * @pad: must be 0
 */
struct smaf_testdev_attach {
	__s32 fd;
	__u32 dev;
	__u32 handle;
	__u32 pad;
};

/**
 * struct smaf_testdev_map - SMAF_TESTDEV_IOC_MAP / _UNMAP / _DETACH
 * @handle: in; from SMAF_TESTDEV_IOC_ATTACH
 * @dir: in; SMAF_TESTDEV_* direction (MAP only; ignored otherwise)
 * @nents: out (MAP); number of DMA segments of the mapping
 * @pad: must be 0
 * @dma_addr: out (MAP); DMA address of the first segment
 */
struct smaf_testdev_map {
	__u32 handle;
	__u32 dir;
	__u32 nents;
	__u32 pad;
	__u64 dma_addr;
};

/**
 * struct smaf_testdev_rw - SMAF_TESTDEV_IOC_WRITE / _CHECKSUM
 * @handle: in; a mapped attachment
 * @seed: in; WRITE stores smaf_testdev_pattern(seed, i) at byte i of the
 *	buffer for every i in [offset, offset + length)
 * @offset: in; byte offset in the buffer
 * @length: in; byte count; offset + length must not pass the buffer's end
 * @checksum: out (CHECKSUM); smaf_testdev_checksum() of those bytes
 */
struct smaf_testdev_rw {
	__u32 handle;
	__u32 seed;
	__u64 offset;
	__u64 length;
	__u64 checksum;
};

#define SMAF_TESTDEV_IOC_MAGIC	0xB6
#define SMAF_TESTDEV_IOC_ATTACH \
	_IOWR(SMAF_TESTDEV_IOC_MAGIC, 0, struct smaf_testdev_attach)
#define SMAF_TESTDEV_IOC_DETACH \
	_IOW(SMAF_TESTDEV_IOC_MAGIC, 1, struct smaf_testdev_map)
#define SMAF_TESTDEV_IOC_MAP \
	_IOWR(SMAF_TESTDEV_IOC_MAGIC, 2, struct smaf_testdev_map)
#define SMAF_TESTDEV_IOC_UNMAP \
	_IOW(SMAF_TESTDEV_IOC_MAGIC, 3, struct smaf_testdev_map)
#define SMAF_TESTDEV_IOC_WRITE \
	_IOW(SMAF_TESTDEV_IOC_MAGIC, 4, struct smaf_testdev_rw)
#define SMAF_TESTDEV_IOC_CHECKSUM \
	_IOWR(SMAF_TESTDEV_IOC_MAGIC, 5, struct smaf_testdev_rw)

/*
 * ATTACH_DYNAMIC attaches as a dynamic importer (dma_buf_dynamic_attach()
 * with move_notify), the way GPU drivers import: 6.1's dma-buf core then
 * maps the buffer bidirectionally at attach time, for the attachment's
 * whole life, since SMAF is not a dynamic exporter. MAP returns that
 * mapping, in any direction.
 */
#define SMAF_TESTDEV_IOC_ATTACH_DYNAMIC \
	_IOWR(SMAF_TESTDEV_IOC_MAGIC, 6, struct smaf_testdev_attach)

/**
 * struct smaf_testdev_probe - SMAF_TESTDEV_IOC_PROBE
 * @dev: in; device index
 * @write: in; 1 to probe a write, 0 a read
 * @dma_addr: in; an address in the device's DMA space (dma-direct)
 * @length: in; bytes
 *
 * Asks the secure module whether the device could reach those bytes now,
 * the way a bus master that kept an address after its unmap would try: 0
 * when the firewall lets it through, EACCES when it stops it. No byte is
 * read or written.
 */
struct smaf_testdev_probe {
	__u32 dev;
	__u32 write;
	__u64 dma_addr;
	__u64 length;
};

#define SMAF_TESTDEV_IOC_PROBE \
	_IOW(SMAF_TESTDEV_IOC_MAGIC, 7, struct smaf_testdev_probe)

/* Byte i of the pattern of @seed. */
static inline __u8 smaf_testdev_pattern(__u32 seed, __u64 i)
{
	__u32 x = seed ^ (__u32)(i * 2654435761u) ^ (__u32)(i >> 32);

	x ^= x >> 15;
	x *= 0x2c1b3c6dU;
	x ^= x >> 12;
	return (__u8)(x ^ (x >> 8) ^ (x >> 16) ^ (x >> 24));
}

#define SMAF_TESTDEV_CHECKSUM_INIT	0xcbf29ce484222325ULL

/* FNV-1a: fold one more byte into a running checksum. */
static inline __u64 smaf_testdev_checksum(__u64 sum, __u8 byte)
{
	return (sum ^ byte) * 0x100000001b3ULL;
}

#endif /* _UAPI_SMAF_TESTDEV_H */
