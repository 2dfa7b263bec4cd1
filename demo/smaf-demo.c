// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-demo: shows, in plain words, what SMAF does.
 *
 * Each step does something real and prints what the kernel reports back:
 * BUFFER_INFO of the buffer, SMAF's counters in debugfs, DMA addresses and
 * checksums computed by the test devices and by the CPU, the constraints
 * table, the kernel log, the firewall's regions and counters. It also
 * checks that the kernel keeps SMAF's promises (no memory before it is
 * needed, memory every user can reach, content kept when memory moves,
 * secure memory reached only by who is allowed, nothing left behind) and
 * exits with status 1 on any failure or broken promise, so the VM harness
 * reports it.
 *
 * "smaf-demo" runs the tour: it needs the smaf, smaf-cma, smaf-system and
 * smaf-testdev modules, vivid loaded with allocators=1 (dma-contig buffers)
 * and vgem. "smaf-demo secure" runs the secure video path: it needs
 * smaf-firewall loaded (in place of smaf-secure-dummy) with
 * allowlist=smaf-testdev.0,smaf-testdev.3 and allow_cpu off. Runs as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "libsmaf.h"
#include "smaf-testdev.h"

#define MIB			(1024u * 1024u)
#define FOUR_GIB		0x100000000ULL
#define STATS_PATH		"/sys/kernel/debug/smaf/stats"
#define TESTDEV_PATH		"/dev/smaf-testdev"
#define PATTERN_SEED		0x5eed1e55u
#define NR_VIDEO_BUFS		4
#define NR_FRAMES		8
#define FRAME_TIMEOUT_MS	60000	/* qemu without KVM is slow */
#define MAX_FRAME_SIZE		(4u * MIB)	/* smaf-cma's limit here */
#define PREVIEW_W		32
#define PREVIEW_H		8
#define FRAMES_PER_LINE		4

/* Step 5: memory for a pipeline. */
#define CONSTRAINTS_PATH	"/sys/class/misc/smaf/constraints"
#define DMA32_DEV_NAME		"platform:smaf-testdev.1"
#define DISPLAY_DEV_NAME	"platform:smaf-testdev.3"
#define PIPE_SIZE		(MIB + MIB / 2)
#define PIPE_SEED		0xc0ffee00u

/* Step 9: the secure video path. */
#define FW_DEBUGFS		"/sys/kernel/debug/smaf-firewall"
#define FW_PARAMS		"/sys/module/smaf_firewall/parameters"
#define FW_ALLOWLIST		"smaf-testdev.0,smaf-testdev.3"
#define NR_SECURE_FRAMES	3
#define SECURE_FRAME_SIZE	(MIB / 2)
#define SECURE_SEED		0x5ec0de00u

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* printf-style format checking, the kernel's __printf() */
#define PRINTF_FMT(fmt, args)	__attribute__((format(printf, fmt, args)))

/* ---- failing loudly ---- */

static noreturn PRINTF_FMT(1, 2) void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("\nsmaf-demo: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* @ret is 0 or a negative errno; dies with @what on an error. */
static void check(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, strerror(-ret));
}

/* A promise SMAF makes that the kernel did not keep. */
static void expect(bool ok, const char *promise)
{
	if (!ok)
		die("the kernel broke a promise: %s", promise);
}

/* ioctl() that retries on EINTR and returns 0 or a negative errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	return fd;
}

static void close_or_die(int fd, const char *what)
{
	if (close(fd) < 0)
		die("closing %s: %s", what, strerror(errno));
}

static PRINTF_FMT(1, 2) void say(const char *fmt, ...);

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void step(int n, const char *title)
{
	putchar('\n');
	say("== %d. %s", n, title);
}

/* ---- checksums (the test devices' FNV-1a, from smaf-testdev.h) ---- */

static uint64_t cksum_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT;
	size_t i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, b[i]);
	return sum;
}

static uint64_t cksum_pattern(uint32_t seed, uint64_t len)
{
	uint64_t sum = SMAF_TESTDEV_CHECKSUM_INIT, i;

	for (i = 0; i < len; i++)
		sum = smaf_testdev_checksum(sum, smaf_testdev_pattern(seed, i));
	return sum;
}

/* ---- what SMAF reports ---- */

struct stats {
	long long buffers;
	long long allocated_buffers;
	long long allocated_bytes;
	long long attachments;
	long long device_mappings;
	long long cpu_mappings;
};

/* One "key value" line of a debugfs counters file, stored at @off. */
struct counter_key {
	const char *key;
	size_t off;
};

static const struct counter_key stat_keys[] = {
	{ "buffers", offsetof(struct stats, buffers) },
	{ "allocated_buffers", offsetof(struct stats, allocated_buffers) },
	{ "allocated_bytes", offsetof(struct stats, allocated_bytes) },
	{ "attachments", offsetof(struct stats, attachments) },
	{ "device_mappings", offsetof(struct stats, device_mappings) },
	{ "cpu_mappings", offsetof(struct stats, cpu_mappings) },
};

/* Stores @val at the field of @key in @out; returns whether @key is known. */
static bool store_counter(const struct counter_key *keys, size_t n,
			  void *out, const char *key, long long val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(key, keys[i].key) == 0) {
			*(long long *)((char *)out + keys[i].off) = val;
			return true;
		}
	}
	return false;
}

/* Reads every counter of @keys from the debugfs file @path into @out. */
static void read_counters(const char *path, const struct counter_key *keys,
			  size_t n, void *out)
{
	char key[64];
	long long val;
	size_t found = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		die("cannot read %s (is debugfs mounted?): %s", path,
		    strerror(errno));
	while (fscanf(f, "%63s %lld", key, &val) == 2)
		found += store_counter(keys, n, out, key, val);
	fclose(f);
	if (found != n)
		die("%s lacks some of the counters the demo reads", path);
}

/* SMAF's global counters, from debugfs. */
static struct stats read_stats(void)
{
	struct stats s;

	memset(&s, 0, sizeof(s));
	read_counters(STATS_PATH, stat_keys, ARRAY_SIZE(stat_keys), &s);
	return s;
}

static void show_stats(const char *indent)
{
	struct stats s = read_stats();

	say("%sSMAF totals: %lld buffer(s), %lld with memory, %lld bytes allocated",
	    indent, s.buffers, s.allocated_buffers, s.allocated_bytes);
}

static struct smaf_buffer_info buffer_info(int fd)
{
	struct smaf_buffer_info info;

	memset(&info, 0, sizeof(info));
	check(smaf_buffer_info(fd, &info), "SMAF_IOC_BUFFER_INFO");
	return info;
}

/*
 * One line: what BUFFER_INFO says about buffer @fd. Declared consumers,
 * moves and the secure flag are shown only when there are some.
 */
static struct smaf_buffer_info show_buffer(const char *indent, int fd)
{
	struct smaf_buffer_info i = buffer_info(fd);
	char alloc[SMAF_NAME_LEN] = "none", extra[64] = "";
	size_t n = 0;

	if (i.allocated)
		snprintf(alloc, sizeof(alloc), "%s", (char *)i.allocator);
	if (i.consumers)
		n += snprintf(extra + n, sizeof(extra) - n, ", declared: %u",
			      i.consumers);
	if (i.migrations)
		n += snprintf(extra + n, sizeof(extra) - n, ", moves: %u",
			      i.migrations);
	if (i.secure)
		snprintf(extra + n, sizeof(extra) - n, ", secure");
	say("%skernel: memory: %s, devices: %u, device maps: %u, CPU maps: %u%s",
	    indent, alloc, i.attachments, i.device_mappings, i.cpu_mappings,
	    extra);
	return i;
}

/* ---- files in sysfs and debugfs ---- */

/* The whole of a small text file, NUL-terminated. */
static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open_or_die(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	do {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("reading %s: %s", path, strerror(errno));
		got += (size_t)n;
	} while (n > 0 && got < len - 1);
	buf[got] = '\0';
	close_or_die(fd, path);
}

static void write_file(const char *path, const char *text)
{
	int fd = open_or_die(path, O_WRONLY);
	ssize_t n = write(fd, text, strlen(text));

	if (n < 0)
		die("writing \"%s\" to %s: %s", text, path, strerror(errno));
	if ((size_t)n != strlen(text))
		die("writing \"%s\" to %s: short write", text, path);
	close_or_die(fd, path);
}

/* Prints each line of @text after @indent. */
static void say_lines(const char *indent, const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		say("%s%.*s", indent, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* ---- the test devices (smaf-testdev) ---- */

static const char *const testdev_desc[SMAF_TESTDEV_COUNT] = {
	[SMAF_TESTDEV_DMA64] = "A \"decoder\" that can reach all memory (64-bit)",
	[SMAF_TESTDEV_DMA32] = "A device that only reaches the first 4 GiB (32-bit)",
	[SMAF_TESTDEV_DMA30] = "A device that only reaches the first 1 GiB (30-bit)",
	[SMAF_TESTDEV_DMA64B] = "A 64-bit \"display\"",
};

static uint32_t td_attach(int tfd, int buf_fd, unsigned int dev)
{
	struct smaf_testdev_attach a;

	memset(&a, 0, sizeof(a));
	a.fd = buf_fd;
	a.dev = dev;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_ATTACH, &a), "test device attach");
	return a.handle;
}

/* MAP in direction @dir (SMAF_TESTDEV_*); 0 or a negative errno. */
static int td_map_dir(int tfd, uint32_t handle, uint32_t dir,
		      struct smaf_testdev_map *m)
{
	memset(m, 0, sizeof(*m));
	m->handle = handle;
	m->dir = dir;
	return xioctl(tfd, SMAF_TESTDEV_IOC_MAP, m);
}

/* MAP for reading and writing; 0 or a negative errno. */
static int td_map(int tfd, uint32_t handle, struct smaf_testdev_map *m)
{
	return td_map_dir(tfd, handle, SMAF_TESTDEV_BIDIRECTIONAL, m);
}

static void td_unmap(int tfd, uint32_t handle)
{
	struct smaf_testdev_map m;

	memset(&m, 0, sizeof(m));
	m.handle = handle;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_UNMAP, &m), "test device unmap");
}

static void td_release(int tfd, uint32_t handle, bool mapped)
{
	struct smaf_testdev_map m;

	if (mapped)
		td_unmap(tfd, handle);
	memset(&m, 0, sizeof(m));
	m.handle = handle;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_DETACH, &m), "test device detach");
}

static void td_write(int tfd, uint32_t handle, uint32_t seed, uint64_t len)
{
	struct smaf_testdev_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.seed = seed;
	rw.length = len;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_WRITE, &rw), "test device write");
}

static uint64_t td_checksum(int tfd, uint32_t handle, uint64_t len)
{
	struct smaf_testdev_rw rw;

	memset(&rw, 0, sizeof(rw));
	rw.handle = handle;
	rw.length = len;
	check(xioctl(tfd, SMAF_TESTDEV_IOC_CHECKSUM, &rw),
	      "test device checksum");
	return rw.checksum;
}

/* ---- the CPU's view of a dma-buf ---- */

static void *map_buffer(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap of a SMAF buffer: %s", strerror(errno));
	return p;
}

static void unmap_buffer(void *p, size_t len)
{
	if (munmap(p, len) < 0)
		die("munmap: %s", strerror(errno));
}

/* Brackets CPU reads: caches are made coherent with what devices wrote. */
static void cpu_read_begin(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

	check(xioctl(fd, DMA_BUF_IOCTL_SYNC, &s), "DMA_BUF_IOCTL_SYNC start");
}

static void cpu_read_end(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

	check(xioctl(fd, DMA_BUF_IOCTL_SYNC, &s), "DMA_BUF_IOCTL_SYNC end");
}

static uint64_t cpu_checksum(int fd, size_t len)
{
	void *p = map_buffer(fd, len, PROT_READ);
	uint64_t sum;

	cpu_read_begin(fd);
	sum = cksum_bytes(p, len);
	cpu_read_end(fd);
	unmap_buffer(p, len);
	return sum;
}

static int create_buffer(uint64_t len)
{
	int fd;

	check(smaf_create_buffer64(len, SMAF_RDWR | SMAF_CLOEXEC, NULL, &fd),
	      "SMAF_IOC_CREATE");
	return fd;
}

/* ---- 1. /dev/smaf and its allocators ---- */

/* Address bits a device needs to reach @limit (the highest address). */
static unsigned int dma_bits(uint64_t limit)
{
	return limit ? 64 - (unsigned int)__builtin_clzll(limit) : 0;
}

static struct smaf_allocator_info allocator_info(int index)
{
	struct smaf_allocator_info a;

	memset(&a, 0, sizeof(a));
	check(smaf_allocator_info(index, &a), "SMAF_IOC_ALLOCATOR_INFO");
	return a;
}

static void step_open(void)
{
	bool system = false, cma = false;
	int i, n;

	step(1, "Opening /dev/smaf");
	check(smaf_open(), "opening /dev/smaf");
	n = smaf_allocator_count();
	check(n, "SMAF_IOC_GET_INFO");
	expect(n > 0, "at least one allocator is registered");
	say("SMAF gets memory from %d allocator(s), best ranked first (ALLOCATOR_INFO):",
	    n);
	for (i = 0; i < n; i++) {
		struct smaf_allocator_info a = allocator_info(i);
		char max[32] = "";

		if (a.max_size)
			snprintf(max, sizeof(max), ", up to %llu MiB",
				 (unsigned long long)(a.max_size / MIB));
		say("    #%d %s, rank %d: %s%s, for devices of %u+ DMA bits%s",
		    i, (char *)a.name, a.ranking,
		    (a.caps & SMAF_CAP_CONTIGUOUS) ? "contiguous" :
						    "scattered pages",
		    (a.caps & SMAF_CAP_SECURE) ? ", secure-capable" : "",
		    dma_bits(a.min_dma_limit), max);
		system |= !strcmp((char *)a.name, "smaf-system") &&
			  !(a.caps & (SMAF_CAP_CONTIGUOUS | SMAF_CAP_SECURE));
		cma |= !strcmp((char *)a.name, "smaf-cma") &&
		       (a.caps & SMAF_CAP_CONTIGUOUS) &&
		       (a.caps & SMAF_CAP_SECURE) &&
		       dma_bits(a.min_dma_limit) == 32;
	}
	expect(system && cma,
	       "smaf-system (scattered) and smaf-cma (contiguous, secure) are registered");
}

/* ---- 2. a buffer without memory ---- */

static int step_create(void)
{
	struct stats before = read_stats(), after;
	struct smaf_buffer_info info;
	int fd;

	step(2, "A 1 MiB buffer, with no memory yet");
	fd = create_buffer(MIB);
	say("SMAF_IOC_CREATE returned fd %d: a \"dma-buf\", the kernel's handle",
	    fd);
	say("for a buffer that devices and programs can share.");
	info = show_buffer("    ", fd);
	after = read_stats();
	say("    SMAF totals: %lld buffer(s), %lld bytes allocated (before: %lld)",
	    after.buffers, after.allocated_bytes, before.allocated_bytes);
	expect(info.size == MIB && !info.allocated,
	       "CREATE gives a buffer of the asked size and no memory");
	expect(after.allocated_bytes == before.allocated_bytes &&
	       after.buffers == before.buffers + 1,
	       "CREATE allocates no memory");
	say("Nothing is spent yet: SMAF waits to learn which devices will use it.");
	return fd;
}

/* ---- 3. devices join; memory arrives at the first mapping ---- */

static void attach_and_show(int tfd, int fd, unsigned int dev, uint32_t *h)
{
	struct smaf_buffer_info info;

	*h = td_attach(tfd, fd, dev);
	say("%s attaches:", testdev_desc[dev]);
	info = show_buffer("    ", fd);
	expect(!info.allocated, "attaching alone allocates no memory");
}

static uint64_t map_and_show(int tfd, uint32_t h, const char *who)
{
	struct smaf_testdev_map m;

	check(td_map(tfd, h, &m), "test device map");
	say("    %s's DMA address: 0x%llx (%llu MiB into memory), %u piece(s)",
	    who, (unsigned long long)m.dma_addr,
	    (unsigned long long)(m.dma_addr / MIB), m.nents);
	return m.dma_addr;
}

static void show_sum(const char *who, uint64_t sum)
{
	say("    checksum %-26s %016llx", who, (unsigned long long)sum);
}

static void share_and_verify(int tfd, int fd, uint32_t dec, uint32_t d32)
{
	uint64_t want = cksum_pattern(PATTERN_SEED, MIB), dev_sum, cpu_sum;

	say("The decoder writes a test pattern into the whole buffer; then the");
	say("32-bit device and the CPU (through mmap) each read it back:");
	td_write(tfd, dec, PATTERN_SEED, MIB);
	dev_sum = td_checksum(tfd, d32, MIB);
	cpu_sum = cpu_checksum(fd, MIB);
	show_sum("expected from the pattern:", want);
	show_sum("read by the 32-bit device:", dev_sum);
	show_sum("read by the CPU:", cpu_sum);
	expect(dev_sum == want && cpu_sum == want,
	       "device and CPU see the same memory");
	say("All three agree: one piece of memory, shared, never copied.");
}

static void step_devices(int tfd, int fd)
{
	struct smaf_buffer_info info;
	uint32_t dec, d32;
	uint64_t addr;

	step(3, "Devices join; memory arrives when one first needs it");
	say("(\"attach\": a device says it will use the buffer; \"map\": it asks for");
	say("the address to read and write it at, by DMA, without the CPU.)");
	attach_and_show(tfd, fd, SMAF_TESTDEV_DMA64, &dec);
	attach_and_show(tfd, fd, SMAF_TESTDEV_DMA32, &d32);
	say("The decoder maps the buffer (asks where in memory to do DMA):");
	addr = map_and_show(tfd, dec, "decoder");
	info = show_buffer("    ", fd);
	expect(info.allocated && !strcmp((char *)info.allocator, "smaf-cma"),
	       "the first device mapping allocates, with smaf-cma");
	expect(addr + info.size <= FOUR_GIB,
	       "memory lies below 4 GiB when a 32-bit device is attached");
	say("It lies below 4 GiB, from smaf-cma: the 32-bit device, which smaf-system");
	say("cannot serve, had attached before the memory existed.");
	say("The 32-bit device maps it too:");
	expect(map_and_show(tfd, d32, "32-bit device") == addr,
	       "both devices map the same memory");
	share_and_verify(tfd, fd, dec, d32);
	td_release(tfd, d32, true);
	td_release(tfd, dec, true);
	close_or_die(fd, "the 1 MiB buffer");
}

/* ---- 4. a device no allocator can serve ---- */

static void step_refusal(int tfd)
{
	struct smaf_testdev_map m;
	struct smaf_buffer_info info;
	long long before;
	uint32_t h;
	int fd, ret;

	step(4, "A device SMAF cannot serve");
	fd = create_buffer(MIB);
	h = td_attach(tfd, fd, SMAF_TESTDEV_DMA30);
	say("A new 1 MiB buffer. A device that only reaches the first 1 GiB (30-bit)");
	say("attaches, then maps it:");
	before = read_stats().allocated_bytes;
	ret = td_map(tfd, h, &m);
	if (ret == 0)
		die("the 30-bit device's map succeeded; SMAF promises ENODEV");
	say("    map failed: %s (%s)", -ret == ENODEV ? "ENODEV" : "unexpected error",
	    strerror(-ret));
	info = show_buffer("    ", fd);
	expect(ret == -ENODEV,
	       "a map for a device no allocator serves gives ENODEV");
	expect(!info.allocated && read_stats().allocated_bytes == before,
	       "a refused mapping allocates nothing");
	say("No allocator can serve memory that low (smaf-cma needs 32 bits), so");
	say("SMAF refuses rather than hand out memory the device cannot reach.");
	td_release(tfd, h, false);
	close_or_die(fd, "the refused buffer");
}

/* ---- 5. memory for a whole pipeline: constraints ---- */

/* Set while the demo's rule is in the constraints table. */
static bool display_rule_set;

static void remove_display_rule(void)
{
	int fd;

	if (!display_rule_set)
		return;
	fd = open(CONSTRAINTS_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "-" DISPLAY_DEV_NAME, strlen("-" DISPLAY_DEV_NAME)) > 0)
		display_rule_set = false;
	close(fd);
}

/* /dev/kmsg, positioned after every record logged so far. */
static int kmsg_open(void)
{
	int fd = open_or_die("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (lseek(fd, 0, SEEK_END) < 0)
		die("seeking /dev/kmsg: %s", strerror(errno));
	return fd;
}

/* Copies to @out, from @from on, the first new log message holding @needle. */
static bool kmsg_find(int fd, const char *needle, const char *from,
		      char *out, size_t len)
{
	char rec[2048], *msg, *end;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: records were overwritten */
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0)
			die("reading /dev/kmsg: %s", strerror(errno));
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		end = strchr(++msg, '\n');
		if (end)
			*end = '\0';
		if (strstr(msg, needle)) {
			snprintf(out, len, "%s",
				 strstr(msg, from) ? strstr(msg, from) : msg);
			return true;
		}
	}
}

/* Reads the constraints table into @table and shows it. */
static void show_constraints(char *table, size_t len)
{
	const char *nl;

	read_file(CONSTRAINTS_PATH, table, len);
	nl = strchr(table, '\n');
	if (!*table) {
		say("    The table is empty.");
	} else if (nl && !nl[1]) {
		say("    The table now reads: %.*s", (int)(nl - table), table);
	} else {
		say("    The table now reads:");
		say_lines("        ", table);
	}
}

/* Only 64-bit devices: the best-ranked allocator, scattered pages. */
static int pipeline_scattered(int tfd, uint32_t *dec)
{
	struct smaf_buffer_info info;
	int fd = create_buffer(PIPE_SIZE);

	*dec = td_attach(tfd, fd, SMAF_TESTDEV_DMA64);
	say("A 1.5 MiB buffer that only the 64-bit decoder uses. The decoder maps it:");
	map_and_show(tfd, *dec, "decoder");
	info = show_buffer("    ", fd);
	expect(info.allocated && !strcmp((char *)info.allocator, "smaf-system"),
	       "memory only 64-bit devices use comes from smaf-system, ranked first");
	say("smaf-system, ranked first, gives it scattered pages. The decoder writes");
	say("a pattern into the buffer, then unmaps it (it stays attached).");
	td_write(tfd, *dec, PIPE_SEED, PIPE_SIZE);
	td_unmap(tfd, *dec);
	return fd;
}

/* A consumer declared before the memory exists shapes the allocation. */
static void pipeline_declared(int tfd)
{
	uint64_t want = cksum_pattern(PATTERN_SEED, MIB), addr, sum;
	struct smaf_buffer_info info;
	struct smaf_testdev_map m;
	uint32_t dec, d32;
	int fd = create_buffer(MIB);

	check(smaf_add_consumer(fd, DMA32_DEV_NAME), "SMAF_IOC_ADD_CONSUMER");
	say("A second buffer, 1 MiB. Before it has memory, we declare that the 32-bit");
	say("device will use it (SMAF_IOC_ADD_CONSUMER \"%s\"):", DMA32_DEV_NAME);
	info = show_buffer("    ", fd);
	expect(info.consumers == 1 && !info.allocated && !info.attachments,
	       "declaring a consumer records it, without attaching or allocating");
	dec = td_attach(tfd, fd, SMAF_TESTDEV_DMA64);
	say("The decoder attaches and maps it at once, as camera drivers do:");
	addr = map_and_show(tfd, dec, "decoder");
	info = show_buffer("    ", fd);
	expect(info.allocated && !strcmp((char *)info.allocator, "smaf-cma") &&
	       addr + info.size <= FOUR_GIB,
	       "a declared 32-bit consumer gets smaf-cma memory below 4 GiB");
	td_write(tfd, dec, PATTERN_SEED, MIB);
	d32 = td_attach(tfd, fd, SMAF_TESTDEV_DMA32);
	check(td_map(tfd, d32, &m), "test device map");
	expect(m.dma_addr == addr, "the declared device maps the same memory");
	sum = td_checksum(tfd, d32, MIB);
	info = buffer_info(fd);
	say("smaf-cma, below 4 GiB, though only a 64-bit device has mapped it. The");
	say("32-bit device joins and reads what the decoder wrote, with no move:");
	say("    pattern %016llx, read by the 32-bit device %016llx, moves: %u",
	    (unsigned long long)want, (unsigned long long)sum, info.migrations);
	expect(sum == want && info.migrations == 0,
	       "the declared device uses the memory as it is: same bytes, no move");
	td_release(tfd, d32, true);
	td_release(tfd, dec, true);
	close_or_die(fd, "the declared-consumer buffer");
}

/* A device that needs contiguous memory attaches to scattered memory. */
static void pipeline_late_attach(int tfd, int fd, uint32_t dec)
{
	uint64_t want = cksum_pattern(PIPE_SEED, PIPE_SIZE), sum;
	struct smaf_buffer_info info;
	struct smaf_testdev_map m;
	char table[1024], line[512];
	uint32_t disp;
	int kmsg;

	say("Back to the 1.5 MiB buffer. Root declares that the display needs");
	say("physically contiguous memory:");
	say("    # echo \"%s contiguous\" > %s", DISPLAY_DEV_NAME,
	    CONSTRAINTS_PATH);
	display_rule_set = true;
	write_file(CONSTRAINTS_PATH, DISPLAY_DEV_NAME " contiguous");
	show_constraints(table, sizeof(table));
	expect(strstr(table, DISPLAY_DEV_NAME " contiguous\n") != NULL,
	       "the constraints table holds the rule root wrote");
	kmsg = kmsg_open();
	disp = td_attach(tfd, fd, SMAF_TESTDEV_DMA64B);
	say("The display attaches. Scattered pages do not suit it, and nothing has");
	say("the buffer mapped, so SMAF moves it to contiguous memory:");
	if (!kmsg_find(kmsg, "moved from", "buffer ", line, sizeof(line)))
		die("the kernel logged no move of the buffer");
	close_or_die(kmsg, "/dev/kmsg");
	say("    kernel log: %s", line);
	info = show_buffer("    ", fd);
	expect(info.migrations == 1 &&
	       !strcmp((char *)info.allocator, "smaf-cma") &&
	       info.attachments == 2,
	       "a late attach that needs contiguous memory moves the buffer to smaf-cma");
	check(td_map_dir(tfd, disp, SMAF_TESTDEV_TO_DEVICE, &m), "display map");
	sum = td_checksum(tfd, disp, PIPE_SIZE);
	say("The display maps it and reads the decoder's pattern; the move kept it:");
	say("    pattern %016llx, read by the display %016llx",
	    (unsigned long long)want, (unsigned long long)sum);
	expect(sum == want, "a move keeps the buffer's content");
	td_release(tfd, disp, true);
	td_release(tfd, dec, false);
	close_or_die(fd, "the 1.5 MiB buffer");
	write_file(CONSTRAINTS_PATH, "-" DISPLAY_DEV_NAME);
	display_rule_set = false;
	read_file(CONSTRAINTS_PATH, table, sizeof(table));
	say("Root removes the rule (\"-%s\"): the table is %s.",
	    DISPLAY_DEV_NAME, *table ? "not empty" : "empty again");
	expect(strstr(table, DISPLAY_DEV_NAME) == NULL,
	       "a removed rule leaves the constraints table");
}

static void step_pipeline(int tfd)
{
	uint32_t dec;
	int fd;

	step(5, "Choosing memory for a whole pipeline");
	if (atexit(remove_display_rule))
		die("atexit failed");
	fd = pipeline_scattered(tfd, &dec);
	pipeline_declared(tfd);
	pipeline_late_attach(tfd, fd, dec);
}

/* ---- 6. vivid, a virtual camera, captures into SMAF buffers ---- */

struct capture {
	int fd;
	char path[32];
	struct v4l2_pix_format pix;
	unsigned int count;
	int bufs[NR_VIDEO_BUFS];
	void *maps[NR_VIDEO_BUFS];
	size_t size;	/* of each SMAF buffer, page-rounded */
};

static bool is_vivid_capture(int fd)
{
	struct v4l2_capability cap;
	uint32_t caps;

	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return false;
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							   cap.capabilities;
	return strcmp((char *)cap.driver, "vivid") == 0 &&
	       (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

static void find_vivid(struct capture *c)
{
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(c->path, sizeof(c->path), "/dev/video%d", i);
		fd = open(c->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vivid_capture(fd)) {
			c->fd = fd;
			return;
		}
		close(fd);
	}
	die("no vivid capture device in /dev/video* (load vivid with allocators=1)");
}

static void get_format(struct capture *c)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	check(xioctl(c->fd, VIDIOC_G_FMT, &f), "VIDIOC_G_FMT");
	if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV) {
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
		check(xioctl(c->fd, VIDIOC_S_FMT, &f), "VIDIOC_S_FMT YUYV");
		if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV)
			die("vivid does not capture YUYV");
	}
	c->pix = f.fmt.pix;
	if (c->pix.sizeimage == 0 || c->pix.sizeimage > MAX_FRAME_SIZE)
		die("frame size %u is not in (0, %u]", c->pix.sizeimage,
		    MAX_FRAME_SIZE);
	say("%s is vivid's camera: %ux%u pixels, YUYV (2 bytes a pixel),",
	    c->path, c->pix.width, c->pix.height);
	say("so %u bytes a picture.", c->pix.sizeimage);
}

static void request_buffers(struct capture *c, unsigned int count)
{
	struct v4l2_requestbuffers rb;

	memset(&rb, 0, sizeof(rb));
	rb.count = count;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	check(xioctl(c->fd, VIDIOC_REQBUFS, &rb), "VIDIOC_REQBUFS");
	c->count = rb.count;
}

static void create_video_buffers(struct capture *c)
{
	unsigned int i;

	for (i = 0; i < c->count; i++) {
		struct smaf_buffer_info info;

		c->bufs[i] = create_buffer(c->pix.sizeimage);
		info = buffer_info(c->bufs[i]);
		expect(!info.allocated, "CREATE allocates no memory");
		c->size = info.size;
	}
	say("We create %u SMAF buffers of %zu bytes: none has memory yet.",
	    c->count, c->size);
	show_stats("    ");
}

static void queue_buffer(struct capture *c, unsigned int i)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = i;
	b.m.fd = c->bufs[i];
	b.length = (uint32_t)c->size;	/* <= MAX_FRAME_SIZE, page-rounded */
	check(xioctl(c->fd, VIDIOC_QBUF, &b), "VIDIOC_QBUF");
}

static void start_capture(struct capture *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	char indent[16];
	unsigned int i;

	for (i = 0; i < c->count; i++)
		queue_buffer(c, i);
	say("We hand them to vivid (VIDIOC_QBUF). vivid maps each one for its DMA,");
	say("and that is when SMAF allocates; vivid's DMA reaches only the first");
	say("4 GiB (32 bits), so smaf-cma serves it (the same for each buffer):");
	for (i = 0; i < c->count; i++) {
		struct smaf_buffer_info info = buffer_info(c->bufs[i]);

		expect(info.allocated && info.attachments == 1 &&
		       info.device_mappings == 1 && !info.cpu_mappings,
		       "vivid's mapping allocates the buffer");
		expect(!strcmp((char *)info.allocator, "smaf-cma"),
		       "vivid's 32-bit DMA gets smaf-cma memory");
	}
	snprintf(indent, sizeof(indent), "    #0-#%u ", c->count - 1);
	show_buffer(indent, c->bufs[0]);
	for (i = 0; i < c->count; i++)
		c->maps[i] = map_buffer(c->bufs[i], c->size, PROT_READ);
	show_stats("    ");
	check(xioctl(c->fd, VIDIOC_STREAMON, &type), "VIDIOC_STREAMON");
	say("The camera starts (VIDIOC_STREAMON).");
}

static struct v4l2_buffer dequeue_frame(struct capture *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct v4l2_buffer b;
	int ret;

	do {
		ret = poll(&pfd, 1, FRAME_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		die("poll on %s: %s", c->path, strerror(errno));
	if (ret == 0)
		die("no frame from vivid within %d s", FRAME_TIMEOUT_MS / 1000);
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	check(xioctl(c->fd, VIDIOC_DQBUF, &b), "VIDIOC_DQBUF");
	if (b.index >= c->count || b.bytesused > c->size)
		die("VIDIOC_DQBUF returned buffer %u with %u bytes", b.index,
		    b.bytesused);
	return b;
}

/* Mean luma of one preview cell of a YUYV picture. */
static unsigned int cell_luma(const struct capture *c, const uint8_t *p,
			      unsigned int cx, unsigned int cy)
{
	unsigned int x0 = cx * c->pix.width / PREVIEW_W;
	unsigned int x1 = (cx + 1) * c->pix.width / PREVIEW_W;
	unsigned int y0 = cy * c->pix.height / PREVIEW_H;
	unsigned int y1 = (cy + 1) * c->pix.height / PREVIEW_H;
	unsigned long sum = 0, n = 0;
	unsigned int x, y;

	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++, n++)
			sum += p[(size_t)y * c->pix.bytesperline + 2 * x];
	return n ? (unsigned int)(sum / n) : 0;
}

/* Draws the picture with the darkest cell as ' ' and the brightest as '@'. */
static void render_preview(const struct capture *c, const uint8_t *p,
			   char out[PREVIEW_H][PREVIEW_W + 1])
{
	static const char ramp[] = " .:-=+*#%@";
	const unsigned int levels = sizeof(ramp) - 1;
	unsigned int luma[PREVIEW_H][PREVIEW_W], lo = 255, hi = 0, x, y;

	for (y = 0; y < PREVIEW_H; y++) {
		for (x = 0; x < PREVIEW_W; x++) {
			luma[y][x] = cell_luma(c, p, x, y);
			lo = luma[y][x] < lo ? luma[y][x] : lo;
			hi = luma[y][x] > hi ? luma[y][x] : hi;
		}
	}
	for (y = 0; y < PREVIEW_H; y++) {
		for (x = 0; x < PREVIEW_W; x++)
			out[y][x] = ramp[(luma[y][x] - lo) * (levels - 1) /
					 (hi > lo ? hi - lo : 1)];
		out[y][PREVIEW_W] = '\0';
	}
}

/* Hashes a captured frame through the CPU mapping of its SMAF buffer. */
static uint64_t read_frame(struct capture *c, const struct v4l2_buffer *b,
			   char preview[PREVIEW_H][PREVIEW_W + 1])
{
	int fd = c->bufs[b->index];
	uint64_t sum;

	cpu_read_begin(fd);
	sum = cksum_bytes(c->maps[b->index], b->bytesused);
	if (preview)
		render_preview(c, c->maps[b->index], preview);
	cpu_read_end(fd);
	return sum;
}

static void capture_frames(struct capture *c,
			   char preview[PREVIEW_H][PREVIEW_W + 1])
{
	uint64_t sums[NR_FRAMES];
	unsigned int n, k, distinct = 0;
	char line[160];
	size_t used = 0;

	say("Capturing %d frames of %u bytes; the CPU reads each through its SMAF",
	    NR_FRAMES, c->pix.sizeimage);
	say("buffer (frame number: buffer #, hash of the picture):");
	for (n = 0; n < NR_FRAMES; n++) {
		struct v4l2_buffer b = dequeue_frame(c);
		bool last = n == NR_FRAMES - 1;

		if (b.bytesused != c->pix.sizeimage)
			die("frame %u has %u bytes, not %u", b.sequence,
			    b.bytesused, c->pix.sizeimage);
		sums[n] = read_frame(c, &b, last ? preview : NULL);
		used += snprintf(line + used, sizeof(line) - used,
				 "%s%u: #%u %08llx", used ? ", " : "    ",
				 b.sequence, b.index,
				 (unsigned long long)(sums[n] >> 32));
		if (last || n % FRAMES_PER_LINE == FRAMES_PER_LINE - 1) {
			say("%s", line);
			used = 0;
		}
		if (!last)
			queue_buffer(c, b.index);
	}
	for (n = 0; n < NR_FRAMES; n++) {
		for (k = 0; k < n && sums[k] != sums[n]; k++)
			;
		distinct += k == n;
	}
	say("%u of %d frames are different pictures (vivid stamps a counter on each).",
	    distinct, NR_FRAMES);
	expect(distinct == NR_FRAMES, "every captured frame is a new picture");
}

static void print_preview(char preview[PREVIEW_H][PREVIEW_W + 1])
{
	unsigned int y;

	say("The last frame as the CPU reads it, in %dx%d characters (dark ' ' to",
	    PREVIEW_W, PREVIEW_H);
	say("bright '@'): vivid draws colour bars with lines of text on top.");
	for (y = 0; y < PREVIEW_H; y++)
		say("    |%s|", preview[y]);
}

static void stop_capture(struct capture *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	check(xioctl(c->fd, VIDIOC_STREAMOFF, &type), "VIDIOC_STREAMOFF");
}

static void step_vivid(struct capture *c)
{
	char preview[PREVIEW_H][PREVIEW_W + 1];

	step(6, "A virtual camera (vivid) captures into SMAF buffers");
	find_vivid(c);
	get_format(c);
	request_buffers(c, NR_VIDEO_BUFS);
	if (c->count < 2 || c->count > NR_VIDEO_BUFS)
		die("vivid accepted %u buffers", c->count);
	create_video_buffers(c);
	start_capture(c);
	capture_frames(c, preview);
	stop_capture(c);
	print_preview(preview);
}

/* ---- 7. vgem, a virtual GPU, imports a captured picture ---- */

static bool is_vgem(int fd)
{
	struct drm_version v;
	char name[32] = "";

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	return xioctl(fd, DRM_IOCTL_VERSION, &v) == 0 &&
	       strcmp(name, "vgem") == 0;
}

static int open_vgem(char *path, size_t len)
{
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, len, "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vgem(fd))
			return fd;
		close(fd);
	}
	die("no vgem device in /dev/dri (load vgem)");
}

static void step_vgem(const struct capture *c)
{
	struct drm_prime_handle ph;
	struct drm_gem_close gc;
	struct smaf_buffer_info before, in, out;
	char path[32];
	int drm = open_vgem(path, sizeof(path));

	step(7, "A virtual GPU (vgem) imports a captured picture");
	say("Buffer #0 before (CPU maps: our mmap plus vivid's kernel mapping):");
	before = show_buffer("    ", c->bufs[0]);
	memset(&ph, 0, sizeof(ph));
	ph.fd = c->bufs[0];
	check(xioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph),
	      "DRM_IOCTL_PRIME_FD_TO_HANDLE");
	say("vgem (%s) imports it, as a GPU would to show or process", path);
	say("the picture (DRM_IOCTL_PRIME_FD_TO_HANDLE): GPU object %u.",
	    ph.handle);
	in = show_buffer("    ", c->bufs[0]);
	expect(in.attachments == before.attachments + 1,
	       "an import adds an attachment");
	expect(in.allocated, "the buffer keeps its memory");
	memset(&gc, 0, sizeof(gc));
	gc.handle = ph.handle;
	check(xioctl(drm, DRM_IOCTL_GEM_CLOSE, &gc), "DRM_IOCTL_GEM_CLOSE");
	say("The GPU drops its object (DRM_IOCTL_GEM_CLOSE):");
	out = show_buffer("    ", c->bufs[0]);
	expect(out.attachments == before.attachments,
	       "closing the GEM object removes its attachment");
	say("Camera and GPU shared the same memory: no copy, no second allocation.");
	close_or_die(drm, path);
}

/* ---- 8. clean up ---- */

static void release_capture(struct capture *c)
{
	unsigned int i, count = c->count;

	request_buffers(c, 0);
	say("vivid lets go of its buffers (VIDIOC_REQBUFS, count 0); buffer #0 keeps");
	say("its memory while our own mmap still uses it:");
	show_buffer("    #0 ", c->bufs[0]);
	for (i = 0; i < count; i++) {
		unmap_buffer(c->maps[i], c->size);
		close_or_die(c->bufs[i], "a video buffer");
	}
	close_or_die(c->fd, c->path);
}

static void step_cleanup(struct capture *c, int tfd)
{
	struct stats s;

	step(8, "Cleaning up");
	release_capture(c);
	close_or_die(tfd, TESTDEV_PATH);
	smaf_close();
	say("We unmap and close every buffer and device. SMAF's counters (debugfs):");
	s = read_stats();
	say("    buffers %lld, allocated_buffers %lld, allocated_bytes %lld,",
	    s.buffers, s.allocated_buffers, s.allocated_bytes);
	say("    attachments %lld, device_mappings %lld, cpu_mappings %lld",
	    s.attachments, s.device_mappings, s.cpu_mappings);
	expect(!s.buffers && !s.allocated_buffers && !s.allocated_bytes &&
	       !s.attachments && !s.device_mappings && !s.cpu_mappings,
	       "everything is freed once the last user is gone");
	say("All zero: every byte SMAF allocated went back to the system.");
}

/* ---- 9. a secure video path (smaf-demo secure) ---- */

struct fw_counters {
	long long grants;
	long long revokes;
	long long denials;
	long long scrubbed_bytes;
	long long active_grants;
	long long regions_used;
	long long regions_total;
	long long contexts;
};

#define FW_KEY(k)	{ #k, offsetof(struct fw_counters, k) }
static const struct counter_key fw_keys[] = {
	FW_KEY(grants), FW_KEY(revokes), FW_KEY(denials),
	FW_KEY(scrubbed_bytes), FW_KEY(active_grants), FW_KEY(regions_used),
	FW_KEY(regions_total), FW_KEY(contexts),
};

static struct fw_counters fw_counters(void)
{
	struct fw_counters c;

	memset(&c, 0, sizeof(c));
	read_counters(FW_DEBUGFS "/counters", fw_keys, ARRAY_SIZE(fw_keys),
		      &c);
	return c;
}

static struct fw_counters show_fw_counters(const char *indent)
{
	struct fw_counters c = fw_counters();

	say("%sgrants %lld, revokes %lld, denials %lld, scrubbed_bytes %lld, contexts %lld",
	    indent, c.grants, c.revokes, c.denials, c.scrubbed_bytes,
	    c.contexts);
	return c;
}

/* One programmed slot of the firewall's region table. */
struct fw_region {
	unsigned long long base, len, ctx;
	char line[256];
};

/* Prints the region table; returns the number of slots in use. */
static unsigned int show_regions(struct fw_region *r, unsigned int max)
{
	char table[8192], *line, *save = NULL;
	unsigned int used = 0, total = 0, slot;

	read_file(FW_DEBUGFS "/regions", table, sizeof(table));
	for (line = strtok_r(table, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		total++;
		if (strstr(line, " free"))
			continue;
		if (used >= max ||
		    sscanf(line, "%u base=%llx len=%llx ctx=%llu", &slot,
			   &r[used].base, &r[used].len, &r[used].ctx) != 4)
			die("unexpected line in the firewall's regions: %s",
			    line);
		snprintf(r[used].line, sizeof(r[used].line), "%u base=%#llx%s",
			 slot, r[used].base, strstr(line, " len="));
		used++;
	}
	say("    firewall regions (debugfs smaf-firewall/regions): %u of %u slots used",
	    used, total);
	for (slot = 0; slot < used; slot++)
		say("      %s", r[slot].line);
	return used;
}

/* Reads one module parameter of smaf-firewall, without its newline. */
static void fw_param(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), FW_PARAMS "/%s", name);
	read_file(path, buf, len);
	buf[strcspn(buf, "\n")] = '\0';
}

static void secure_setup(void)
{
	char allow[256], cpu[8], slots[16];

	step(9, "A secure video path");
	if (access("/sys/module/smaf_firewall", F_OK) ||
	    !access("/sys/module/smaf_secure_dummy", F_OK))
		die("smaf-firewall must be loaded instead of smaf-secure-dummy");
	fw_param("allowlist", allow, sizeof(allow));
	fw_param("allow_cpu", cpu, sizeof(cpu));
	fw_param("nr_regions", slots, sizeof(slots));
	say("smaf-firewall guards secure buffers as a hardware memory firewall would:");
	say("a device, or the CPU, reaches their memory only through a region it");
	say("programs for it. Its settings (decoder: smaf-testdev.0, display: .3):");
	say("    allowlist \"%s\", allow_cpu %s, %s region slots", allow, cpu,
	    slots);
	expect(!strcmp(allow, FW_ALLOWLIST) && !strcmp(cpu, "N"),
	       "the firewall lets in the decoder and the display, not the CPU");
}

struct secure_frame {
	int fd;
	uint32_t dec, disp;
	uint64_t dec_addr;
	struct smaf_buffer_info info;
};

static void secure_create(int tfd, struct secure_frame *f, uint32_t *rogue)
{
	struct fw_counters before = fw_counters(), after;
	unsigned int i;

	say("%d secure frame buffers of %u KiB, each flagged secure before it has",
	    NR_SECURE_FRAMES, SECURE_FRAME_SIZE / 1024);
	say("memory (SMAF_IOC_SET_SECURE_FLAG); decoder and display attach:");
	for (i = 0; i < NR_SECURE_FRAMES; i++) {
		struct smaf_buffer_info info;

		f[i].fd = create_buffer(SECURE_FRAME_SIZE);
		check(smaf_set_secure(f[i].fd, 1), "SMAF_IOC_SET_SECURE_FLAG");
		f[i].dec = td_attach(tfd, f[i].fd, SMAF_TESTDEV_DMA64);
		f[i].disp = td_attach(tfd, f[i].fd, SMAF_TESTDEV_DMA64B);
		info = buffer_info(f[i].fd);
		expect(info.secure && !info.allocated && info.attachments == 2,
		       "SET_SECURE_FLAG marks a buffer without memory secure");
	}
	show_buffer("    #0 ", f[0].fd);
	*rogue = td_attach(tfd, f[0].fd, SMAF_TESTDEV_DMA32);
	say("The 32-bit device, not on the allowlist, attaches to frame #0 too:");
	say("attaching only records a device; it reaches nothing yet.");
	after = fw_counters();
	expect(after.contexts == before.contexts + NR_SECURE_FRAMES,
	       "each secure buffer has a context in the firewall");
}

/* Decoder writes each frame, display maps it; checks the regions. */
static void secure_play(int tfd, struct secure_frame *f)
{
	struct fw_region r[NR_SECURE_FRAMES + 1];
	struct smaf_testdev_map m;
	unsigned int i, k, n;
	uint64_t want, sum;
	char line[160];
	size_t used = 0;

	n = show_regions(r, NR_SECURE_FRAMES + 1);
	expect(n == 0, "no region is programmed before a device maps");
	say("The decoder maps each frame to write it (FROM_DEVICE) and decodes a");
	say("picture into it (a test pattern); the display maps it to read (TO_DEVICE):");
	for (i = 0; i < NR_SECURE_FRAMES; i++) {
		check(td_map_dir(tfd, f[i].dec, SMAF_TESTDEV_FROM_DEVICE, &m),
		      "decoder map of a secure frame");
		f[i].dec_addr = m.dma_addr;
		td_write(tfd, f[i].dec, SECURE_SEED + i, SECURE_FRAME_SIZE);
		check(td_map_dir(tfd, f[i].disp, SMAF_TESTDEV_TO_DEVICE, &m),
		      "display map of a secure frame");
		expect(m.dma_addr == f[i].dec_addr,
		       "decoder and display map the same memory");
		f[i].info = buffer_info(f[i].fd);
		expect(f[i].info.device_mappings == 2, "both devices map the frame");
		expect(f[i].info.allocated && f[i].info.secure &&
		       !strcmp((char *)f[i].info.allocator, "smaf-cma"),
		       "secure memory comes from smaf-cma, the secure-capable allocator");
	}
	show_buffer("    #0 ", f[0].fd);
	say("smaf-cma holds them (smaf-system cannot hold secure memory). The firewall");
	say("programmed one region per frame, exactly its memory (ctx: the buffer's");
	say("id), open to the decoder to write (-w) and the display to read (r-):");
	n = show_regions(r, NR_SECURE_FRAMES + 1);
	expect(n == NR_SECURE_FRAMES, "one region per secure frame");
	for (i = 0; i < NR_SECURE_FRAMES; i++) {
		for (k = 0; k < n && r[k].ctx != f[i].info.id; k++)
			;
		expect(k < n && r[k].base == f[i].dec_addr &&
		       r[k].len == f[i].info.size &&
		       strstr(r[k].line, " smaf-testdev.0=-w/0/1") &&
		       strstr(r[k].line, " smaf-testdev.3=r-/1/0") &&
		       !strstr(r[k].line, "smaf-testdev.1"),
		       "a frame's region covers its memory, for decoder and display only");
	}
	say("The display reads each frame (checksums: decoder's picture / display's):");
	for (i = 0; i < NR_SECURE_FRAMES; i++) {
		want = cksum_pattern(SECURE_SEED + i, SECURE_FRAME_SIZE);
		sum = td_checksum(tfd, f[i].disp, SECURE_FRAME_SIZE);
		used += snprintf(line + used, sizeof(line) - used,
				 "%s#%u %08llx/%08llx", i ? ", " : "    ", i,
				 (unsigned long long)(want >> 32),
				 (unsigned long long)(sum >> 32));
		expect(sum == want, "the display reads what the decoder wrote");
	}
	say("%s", line);
}

/* One "deny" line of the firewall's event log, without its address. */
static void say_event(const char *line)
{
	char name[64], acc[8], reason[128];
	unsigned long long ctx;
	int err;

	if (sscanf(line, "%*u deny %63s %*s %7s ctx=%llu err=%d reason=\"%127[^\"]",
		   name, acc, &ctx, &err, reason) != 5)
		die("unexpected line in the firewall's events: %s", line);
	say("    denied: %s, %s access to buffer %llu: %s (%d)", name, acc, ctx,
	    reason, err);
}

/* The CPU and the rogue device are refused. */
static void secure_refusals(int tfd, struct secure_frame *f, uint32_t rogue)
{
	struct fw_counters before = fw_counters(), after;
	struct smaf_buffer_info info;
	struct smaf_testdev_map m;
	char events[8192], ctx[32], *line, *save = NULL;
	unsigned int denies = 0;
	void *p;
	int ret;

	p = mmap(NULL, SECURE_FRAME_SIZE, PROT_READ, MAP_SHARED, f[0].fd, 0);
	if (p != MAP_FAILED)
		die("the CPU could mmap a secure frame; the firewall must refuse");
	ret = errno;
	say("The CPU tries to read frame #0 (mmap): %s (%s).",
	    ret == EACCES ? "EACCES" : "unexpected error", strerror(ret));
	expect(ret == EACCES, "the firewall refuses the CPU with EACCES");
	say("To the firewall the CPU is one more requester, like any device, and");
	say("allow_cpu is off: a player cannot copy the decoded pictures.");
	ret = td_map_dir(tfd, rogue, SMAF_TESTDEV_TO_DEVICE, &m);
	if (ret == 0)
		die("the 32-bit device mapped a secure frame; the firewall must refuse");
	say("The 32-bit device tries to map frame #0: %s (%s).",
	    ret == -EACCES ? "EACCES" : "unexpected error", strerror(-ret));
	expect(ret == -EACCES,
	       "the firewall refuses a device off the allowlist with EACCES");
	info = buffer_info(f[0].fd);
	expect(info.cpu_mappings == 0 && info.device_mappings == 2,
	       "a refused access leaves no mapping behind");
	say("The firewall's log of its refusals (debugfs smaf-firewall/events) and its");
	say("counters (smaf-firewall/counters):");
	read_file(FW_DEBUGFS "/events", events, sizeof(events));
	snprintf(ctx, sizeof(ctx), " ctx=%llu ", (unsigned long long)info.id);
	for (line = strtok_r(events, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, " deny ") || !strstr(line, ctx))
			continue;
		say_event(line);
		denies++;
	}
	after = show_fw_counters("    ");
	expect(denies == 2 && after.denials == before.denials + 2 &&
	       after.grants == before.grants &&
	       after.active_grants == 2 * NR_SECURE_FRAMES,
	       "two refusals, no new grant: decoder and display hold one each per frame");
}

static void secure_cleanup(int tfd, struct secure_frame *f, uint32_t rogue)
{
	struct fw_counters before = fw_counters(), after;
	struct fw_region r[NR_SECURE_FRAMES + 1];
	unsigned int i;
	struct stats s;

	td_release(tfd, rogue, false);
	for (i = 0; i < NR_SECURE_FRAMES; i++) {
		td_release(tfd, f[i].disp, true);
		td_release(tfd, f[i].dec, true);
		close_or_die(f[i].fd, "a secure frame");
	}
	close_or_die(tfd, TESTDEV_PATH);
	smaf_close();
	after = fw_counters();
	say("Every device lets go and the frames are closed. The firewall zeroes");
	say("(scrubs) secure memory before it goes back: %lld bytes, %d x %u.",
	    after.scrubbed_bytes - before.scrubbed_bytes, NR_SECURE_FRAMES,
	    SECURE_FRAME_SIZE);
	show_fw_counters("    ");
	expect(after.scrubbed_bytes - before.scrubbed_bytes ==
	       (long long)NR_SECURE_FRAMES * SECURE_FRAME_SIZE,
	       "every byte of secure memory is scrubbed before it is freed");
	expect(after.grants == after.revokes && !after.active_grants &&
	       !after.contexts,
	       "every grant is revoked exactly once and every context goes");
	expect(show_regions(r, NR_SECURE_FRAMES + 1) == 0,
	       "the firewall's regions are free once nobody maps the frames");
	s = read_stats();
	expect(!s.buffers && !s.allocated_bytes && !s.attachments &&
	       !s.device_mappings && !s.cpu_mappings,
	       "everything is freed once the last user is gone");
	say("Grants and revokes balance, the regions are free, SMAF holds nothing.");
}

static int secure_main(void)
{
	struct secure_frame f[NR_SECURE_FRAMES];
	uint32_t rogue;
	int tfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	secure_setup();
	check(smaf_open(), "opening /dev/smaf");
	tfd = open_or_die(TESTDEV_PATH, O_RDWR);
	memset(f, 0, sizeof(f));
	secure_create(tfd, f, &rogue);
	secure_play(tfd, f);
	secure_refusals(tfd, f, rogue);
	secure_cleanup(tfd, f, rogue);
	return 0;
}

int main(int argc, char **argv)
{
	struct capture cap;
	int tfd, fd;

	if (argc == 2 && !strcmp(argv[1], "secure"))
		return secure_main();
	if (argc != 1)
		die("usage: smaf-demo [secure]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&cap, 0, sizeof(cap));
	say("SMAF hands out buffers now and decides where their memory comes from");
	say("later, once it knows which devices will use them.");
	step_open();
	fd = step_create();
	tfd = open_or_die(TESTDEV_PATH, O_RDWR);
	step_devices(tfd, fd);
	step_refusal(tfd);
	step_pipeline(tfd);
	step_vivid(&cap);
	step_vgem(&cap);
	step_cleanup(&cap, tfd);
	return 0;
}
