// SPDX-License-Identifier: GPL-2.0
/*
 * What a program using the installed libsmaf does, built in the debian VM
 * lane by an unprivileged user with
 *	cc alloc-test.c $(pkg-config --cflags --libs libsmaf)
 * It allocates a buffer, maps it, checks that it comes zeroed, writes a
 * pattern between DMA_BUF_IOCTL_SYNC start and end, maps it again and reads
 * the pattern back, and checks what SMAF_IOC_BUFFER_INFO says. Prints
 * "alloc-test: ok ..." and exits 0, or says what failed and exits 1.
 */
#include <errno.h>
#include <libsmaf.h>
#include <linux/dma-buf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define SIZE	(64 * 1024)

static int fail(const char *what, int err)
{
	fprintf(stderr, "alloc-test: %s: %s\n", what, strerror(err));
	return 1;
}

static int sync_cpu(int fd, unsigned long long flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_RW };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? errno : 0;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

int main(void)
{
	struct smaf_buffer_info info;
	unsigned char *p;
	int fd, ret;
	size_t i;

	ret = smaf_open();
	if (ret < 0)
		return fail("smaf_open", -ret);
	ret = smaf_allocator_count();
	if (ret <= 0)
		return fail("smaf_allocator_count", ret ? -ret : ENODEV);
	ret = smaf_create_buffer(SIZE, SMAF_RDWR | SMAF_CLOEXEC, NULL, &fd);
	if (ret < 0)
		return fail("smaf_create_buffer", -ret);

	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap", errno);
	ret = sync_cpu(fd, DMA_BUF_SYNC_START);
	if (ret)
		return fail("DMA_BUF_IOCTL_SYNC start", ret);
	for (i = 0; i < SIZE; i++)
		if (p[i]) {
			fprintf(stderr, "alloc-test: byte %zu is %#x, not 0\n",
				i, p[i]);
			return 1;
		}
	for (i = 0; i < SIZE; i++)
		p[i] = pattern(i);
	ret = sync_cpu(fd, DMA_BUF_SYNC_END);
	if (ret)
		return fail("DMA_BUF_IOCTL_SYNC end", ret);
	if (munmap(p, SIZE))
		return fail("munmap", errno);

	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap again", errno);
	for (i = 0; i < SIZE; i++)
		if (p[i] != pattern(i)) {
			fprintf(stderr, "alloc-test: byte %zu reads %#x, not %#x\n",
				i, p[i], pattern(i));
			return 1;
		}

	ret = smaf_buffer_info(fd, &info);
	if (ret < 0)
		return fail("smaf_buffer_info", -ret);
	if (info.size != SIZE || info.allocated != 1 || !info.allocator[0] ||
	    info.cpu_mappings != 1) {
		fprintf(stderr, "alloc-test: buffer info: size %llu allocated %u allocator '%s' cpu_mappings %u\n",
			(unsigned long long)info.size, info.allocated,
			(char *)info.allocator, info.cpu_mappings);
		return 1;
	}
	printf("alloc-test: ok: %d bytes from %s, zeroed, written and read back\n",
	       SIZE, (char *)info.allocator);
	munmap(p, SIZE);
	close(fd);
	smaf_close();
	return 0;
}
