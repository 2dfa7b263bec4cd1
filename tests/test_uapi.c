// SPDX-License-Identifier: GPL-2.0
/*
 * SMAF UAPI matrix: every ioctl of include/uapi/linux/smaf.h with exact
 * errno values, the size-delta dispatcher, unknown commands, fd flags and fd
 * hygiene. Built twice: bin/test_uapi (native) and bin/test_uapi32 (-m32, so
 * the same matrix runs through compat_ioctl).
 *
 * Every test runs in the "uapi" fixture, whose teardown closes the buffers a
 * test tracked and then checks that /proc/self/fd and the core's counters
 * (/sys/kernel/debug/smaf/stats) are back to what they were before the test.
 * Runs as root with smaf, smaf-cma and vgem loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <linux/smaf.h>

#include "kselftest_harness.h"
#include "common/smaf_test.h"

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define BUF_SIZE	(16 * KiB)
#define RW_FLAGS	((uint32_t)(SMAF_RDWR | SMAF_CLOEXEC))
#define CMA_NAME	"smaf-cma"
#define MAX_TRACKED	64
/* Largest size an ioctl command can encode. */
#define IOC_SIZE_MAX	((1U << _IOC_SIZEBITS) - 1)
#define CANARY		0x5a

/* A command with our magic, number @nr and an argument of @size bytes. */
#define SMAF_CMD(nr, size) \
	_IOC(_IOC_READ | _IOC_WRITE, SMAF_IOC_MAGIC, (nr), (size))

FIXTURE(uapi) {
	int dev;
	size_t page;
	uint64_t max_size;
	int nfds;
	struct smaf_stats base;
	int tracked[MAX_TRACKED];
	int ntracked;
};

FIXTURE_SETUP(uapi)
{
	int ret;

	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev)
		TH_LOG("open " SMAF_DEV_PATH ": %s", strerror(-self->dev));
	self->page = smaf_page_size();
	ret = smaf_param_read("max_buffer_size", &self->max_size);
	ASSERT_EQ(0, ret)
		TH_LOG("read max_buffer_size: %s", strerror(-ret));
	ret = smaf_stats_read(&self->base);
	ASSERT_EQ(0, ret)
		TH_LOG("read " SMAF_STATS_PATH ": %s", strerror(-ret));
	self->nfds = smaf_count_fds();
	ASSERT_LE(0, self->nfds);
}

FIXTURE_TEARDOWN(uapi)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;
	int i, n;

	/* EXPECT only: an ASSERT here would jump back into the test. */
	for (i = 0; i < self->ntracked; i++)
		close(self->tracked[i]);
	n = smaf_count_fds();
	EXPECT_EQ(self->nfds, n)
		TH_LOG("fd leak: %d open fds, %d before the test", n,
		       self->nfds);
	EXPECT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&self->base, &now))
		TH_LOG("counters not back to baseline:\n  before %s\n  after  %s",
		       smaf_stats_str(&self->base, a, sizeof(a)),
		       smaf_stats_str(&now, b, sizeof(b)));
	close(self->dev);
}

/* Remembers @fd so teardown closes it even when an ASSERT fails. */
static void track(FIXTURE_DATA(uapi) *self, int fd)
{
	if (fd >= 0 && self->ntracked < MAX_TRACKED)
		self->tracked[self->ntracked++] = fd;
}

/* Closes a tracked fd now. */
static void untrack_close(FIXTURE_DATA(uapi) *self, int fd)
{
	int i;

	for (i = 0; i < self->ntracked; i++) {
		if (self->tracked[i] == fd) {
			self->tracked[i] = self->tracked[--self->ntracked];
			break;
		}
	}
	close(fd);
}

static uint64_t round_page(uint64_t len, size_t page)
{
	return (len + page - 1) / page * page;
}

static void init_create(struct smaf_create_data *cd, uint64_t length,
			uint32_t flags, const char *name)
{
	memset(cd, 0, sizeof(*cd));
	cd->length = length;
	cd->flags = flags;
	if (name)
		memcpy(cd->name, name, strnlen(name, SMAF_NAME_LEN - 1));
}

/*
 * Issues CREATE with @cd; on success tracks the fd. Returns 0 or -errno.
 */
static int do_create(FIXTURE_DATA(uapi) *self, struct smaf_create_data *cd)
{
	int ret = smaf_ioctl(self->dev, SMAF_IOC_CREATE, cd);

	if (ret == 0)
		track(self, cd->fd);
	return ret;
}

/*
 * SKIP() marks the test passed; only skip when nothing failed so far, so a
 * failed EXPECT before the skip is still reported.
 */
#define SKIP_UNLESS_FAILED(fmt, ...) do { \
	if (_metadata->passed) \
		SKIP(return, fmt, ##__VA_ARGS__); \
	return; \
} while (0)

/* Returns a number that is not an open fd (a dup()ed then closed fd). */
static int closed_fd(int dev)
{
	int fd = dup(dev);

	close(fd);
	return fd;
}

/*
 * A private anonymous page, read-write: the caller fills a struct in it and
 * then makes it PROT_READ, so the kernel's copy-in works and its copy-out
 * faults.
 */
static void *ro_page(size_t page)
{
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* CREATE                                                               */
/* ------------------------------------------------------------------ */

TEST_F(uapi, create_basic)
{
	struct smaf_buffer_info bi;
	struct stat sb;
	struct smaf_create_data cd;
	struct smaf_stats st;

	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	cd.fd = -1;
	ASSERT_EQ(0, do_create(self, &cd));
	ASSERT_LE(0, cd.fd);
	ASSERT_TRUE(smaf_fd_is_open(cd.fd));
	ASSERT_EQ(self->nfds + 1, smaf_count_fds());
	/* Inputs are left as they were; reserved bytes come back 0. */
	EXPECT_EQ(0U, cd.version);
	EXPECT_EQ(BUF_SIZE, cd.length);
	EXPECT_EQ(RW_FLAGS, cd.flags);
	EXPECT_EQ(0U, cd.reserved1);
	EXPECT_EQ(0U, cd.reserved2);

	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers + 1, st.buffers);
	/* No memory at create. */
	EXPECT_EQ(self->base.allocated_buffers, st.allocated_buffers);
	EXPECT_EQ(self->base.allocated_bytes, st.allocated_bytes);

	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd.fd, &bi));
	EXPECT_EQ(cd.fd, bi.fd);
	EXPECT_EQ(0U, bi.flags);
	EXPECT_EQ(BUF_SIZE, bi.size);
	EXPECT_EQ(0U, bi.allocated);
	EXPECT_EQ(0U, bi.secure);
	EXPECT_EQ(0U, bi.attachments);
	EXPECT_EQ(0U, bi.device_mappings);
	EXPECT_EQ(0U, bi.cpu_mappings);
	EXPECT_EQ(0U, bi.migrations);
	EXPECT_STREQ("", (char *)bi.allocator);
#ifdef SMAF_IOC_ADD_CONSUMER
	EXPECT_EQ(0U, bi.consumers);
	EXPECT_EQ(0U, bi.reserved);
	ASSERT_EQ(0, fstat(cd.fd, &sb));
	EXPECT_NE(0U, bi.id);
	EXPECT_EQ((uint64_t)sb.st_ino, bi.id)
		TH_LOG("id is the dma-buf's inode number");
#endif

	untrack_close(self, cd.fd);
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers, st.buffers);
}

/* The RFC ignored the fd field on input; so do we. */
TEST_F(uapi, create_fd_ignored_on_input)
{
	static const int32_t inputs[] = { -1, 0, 1, 12345, INT32_MIN,
					  INT32_MAX };
	struct smaf_create_data cd;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
		cd.fd = inputs[i];
		ASSERT_EQ(0, do_create(self, &cd))
			TH_LOG("fd %d on input", inputs[i]);
		ASSERT_LE(0, cd.fd);
		ASSERT_TRUE(smaf_fd_is_open(cd.fd));
		untrack_close(self, cd.fd);
	}
}

TEST_F(uapi, create_version)
{
	static const uint64_t versions[] = { 1, 2, 8, 10, 1ULL << 32,
					     1ULL << 63, UINT64_MAX };
	struct smaf_create_data cd;
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
		cd.version = versions[i];
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("version %#llx",
			       (unsigned long long)versions[i]);
	}
}

TEST_F(uapi, create_reserved)
{
	struct smaf_create_data cd;
	int bit;
	size_t i;

	for (bit = 0; bit < 32; bit++) {
		init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
		cd.reserved1 = 1U << bit;
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("reserved1 bit %d", bit);
		init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
		cd.reserved2 = 1U << bit;
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("reserved2 bit %d", bit);
	}
	for (i = 0; i < sizeof(cd.reserved3); i++) {
		init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
		cd.reserved3[i] = 1;
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("reserved3[%zu] = 1", i);
		init_create(&cd, BUF_SIZE, RW_FLAGS, CMA_NAME);
		cd.reserved3[i] = 0x80;
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("named, reserved3[%zu] = 0x80", i);
	}
}

TEST_F(uapi, create_unknown_flags)
{
	struct smaf_create_data cd;
	uint32_t f;
	int bit;

	for (bit = 0; bit < 32; bit++) {
		f = 1U << bit;
		if (f & SMAF_CREATE_VALID_FLAGS)
			continue;
		init_create(&cd, BUF_SIZE, f, NULL);
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("flags %#x", f);
		init_create(&cd, BUF_SIZE, RW_FLAGS | f, NULL);
		EXPECT_EQ(-EINVAL, do_create(self, &cd))
			TH_LOG("flags %#x", RW_FLAGS | f);
	}
	init_create(&cd, BUF_SIZE, ~0U, NULL);
	EXPECT_EQ(-EINVAL, do_create(self, &cd));
	init_create(&cd, BUF_SIZE, ~SMAF_CREATE_VALID_FLAGS, NULL);
	EXPECT_EQ(-EINVAL, do_create(self, &cd));
	/* O_WRONLY (1) and O_ACCMODE (3) are not valid either. */
	init_create(&cd, BUF_SIZE, 1, NULL);
	EXPECT_EQ(-EINVAL, do_create(self, &cd));
	init_create(&cd, BUF_SIZE, 3, NULL);
	EXPECT_EQ(-EINVAL, do_create(self, &cd));
}

/* Every valid flag combination, with its effect on the file and the fd. */
TEST_F(uapi, create_flags_effect)
{
	static const uint32_t combos[] = { 0, SMAF_RDWR, SMAF_CLOEXEC,
					   SMAF_RDWR | SMAF_CLOEXEC };
	struct smaf_create_data cd;
	int fl, fdfl;
	size_t i;

	for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		init_create(&cd, BUF_SIZE, combos[i], NULL);
		ASSERT_EQ(0, do_create(self, &cd))
			TH_LOG("flags %#x", combos[i]);
		fl = fcntl(cd.fd, F_GETFL);
		fdfl = fcntl(cd.fd, F_GETFD);
		ASSERT_LE(0, fl);
		ASSERT_LE(0, fdfl);
		EXPECT_EQ((combos[i] & SMAF_RDWR) ? O_RDWR : O_RDONLY,
			  fl & O_ACCMODE)
			TH_LOG("flags %#x: F_GETFL %#x", combos[i], fl);
		EXPECT_EQ((combos[i] & SMAF_CLOEXEC) ? FD_CLOEXEC : 0,
			  fdfl & FD_CLOEXEC)
			TH_LOG("flags %#x: F_GETFD %#x", combos[i], fdfl);
		untrack_close(self, cd.fd);
	}
}

/* Without SMAF_RDWR the file is read-only: no writable shared mapping. */
TEST_F(uapi, create_readonly_mmap)
{
	struct smaf_create_data cd;
	unsigned char *p;
	size_t i;

	init_create(&cd, BUF_SIZE, SMAF_CLOEXEC, NULL);
	ASSERT_EQ(0, do_create(self, &cd));
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, cd.fd, 0);
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(EACCES, errno);
	if (p != MAP_FAILED)
		munmap(p, BUF_SIZE);
	p = mmap(NULL, BUF_SIZE, PROT_WRITE, MAP_SHARED, cd.fd, 0);
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(EACCES, errno);
	if (p != MAP_FAILED)
		munmap(p, BUF_SIZE);

	/* A read-only shared mapping works and reads zeroes. */
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, cd.fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("read-only mmap: %s", strerror(errno));
	for (i = 0; i < BUF_SIZE; i++)
		if (p[i])
			break;
	EXPECT_EQ(BUF_SIZE, i) TH_LOG("byte %zu is %#x, not 0", i, p[i]);
	/* ... and cannot be made writable. */
	EXPECT_EQ(-1, mprotect(p, BUF_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, BUF_SIZE);
	untrack_close(self, cd.fd);
}

/* The allocation matrix: each size, unnamed and naming every allocator. */
TEST_F(uapi, create_sizes)
{
	struct size_case {
		uint64_t len;
		int err;
	} cases[] = {
		{ 0, -EINVAL },
		{ 1, 0 },
		{ self->page - 1, 0 },
		{ self->page, 0 },
		{ self->page + 1, 0 },
		{ BUF_SIZE + 1, 0 },
		{ 1 * MiB, 0 },
		{ self->max_size, 0 },
		{ self->max_size + 1, -E2BIG },
		{ round_page(self->max_size, self->page) + self->page,
		  -E2BIG },
		{ 1ULL << 32, -E2BIG },
		{ (1ULL << 32) + 1, -E2BIG },
		{ 1ULL << 63, -E2BIG },
		{ UINT64_MAX - self->page + 2, -E2BIG },
		{ UINT64_MAX, -E2BIG },
	};
	char names[8][SMAF_NAME_LEN];
	struct smaf_buffer_info bi;
	struct smaf_create_data cd;
	struct smaf_info info;
	int count, n, ret;
	size_t i;

	ASSERT_LT(0U, self->max_size);
	ASSERT_GT(1ULL << 32, self->max_size)
		TH_LOG("max_buffer_size %llu: matrix assumes < 4 GiB",
		       (unsigned long long)self->max_size);
	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &info));
	count = info.count;
	ASSERT_LT(0, count);
	if (count > 7)
		count = 7;
	strcpy(names[0], "");
	for (n = 0; n < count; n++) {
		ASSERT_EQ(0, smaf_raw_get_info(self->dev, n, &info));
		memcpy(names[n + 1], info.name, SMAF_NAME_LEN);
		names[n + 1][SMAF_NAME_LEN - 1] = '\0';
	}

	for (n = 0; n <= count; n++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			init_create(&cd, cases[i].len, RW_FLAGS, names[n]);
			ret = do_create(self, &cd);
			EXPECT_EQ(cases[i].err, ret)
				TH_LOG("allocator \"%s\" length %llu: got %d (%s)",
				       names[n],
				       (unsigned long long)cases[i].len, ret,
				       strerror(-ret));
			if (ret)
				continue;
			ret = smaf_raw_buffer_info(self->dev, cd.fd, &bi);
			EXPECT_EQ(0, ret);
			EXPECT_EQ(round_page(cases[i].len, self->page), bi.size)
				TH_LOG("length %llu",
				       (unsigned long long)cases[i].len);
			EXPECT_EQ(0U, bi.allocated);
			EXPECT_STREQ(names[n], (char *)bi.allocator);
			untrack_close(self, cd.fd);
		}
	}
}

TEST_F(uapi, create_names)
{
	struct smaf_buffer_info bi;
	struct smaf_create_data cd;
	int ret;

	/* A registered allocator is forced but not allocated from yet. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, CMA_NAME);
	ASSERT_EQ(0, do_create(self, &cd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd.fd, &bi));
	EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
	EXPECT_EQ(0U, bi.allocated);
	untrack_close(self, cd.fd);

	/* Unknown names. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, "deadbeef");
	EXPECT_EQ(-ENOENT, do_create(self, &cd));
	init_create(&cd, BUF_SIZE, RW_FLAGS, "smaf-cm");
	EXPECT_EQ(-ENOENT, do_create(self, &cd));
	init_create(&cd, BUF_SIZE, RW_FLAGS, "smaf-cmaa");
	EXPECT_EQ(-ENOENT, do_create(self, &cd));
	init_create(&cd, BUF_SIZE, RW_FLAGS, "SMAF-CMA");
	EXPECT_EQ(-ENOENT, do_create(self, &cd));

	/* 63 characters and the NUL in the last byte: a name, unknown. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	memset(cd.name, 'a', SMAF_NAME_LEN - 1);
	EXPECT_EQ(-ENOENT, do_create(self, &cd));

	/* No NUL in the 64 bytes. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	memset(cd.name, 'a', SMAF_NAME_LEN);
	EXPECT_EQ(-ENAMETOOLONG, do_create(self, &cd));
	/* ... also when the first 63 bytes are a registered name's prefix. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	memset(cd.name, 'x', SMAF_NAME_LEN);
	memcpy(cd.name, CMA_NAME, strlen(CMA_NAME));
	EXPECT_EQ(-ENAMETOOLONG, do_create(self, &cd));
	/* ENAMETOOLONG wins over the length check (both are the input). */
	init_create(&cd, 0, RW_FLAGS, NULL);
	memset(cd.name, 'a', SMAF_NAME_LEN);
	ret = do_create(self, &cd);
	EXPECT_TRUE(ret == -ENAMETOOLONG || ret == -EINVAL)
		TH_LOG("length 0 and no NUL: %d", ret);

	/*
	 * Bytes after the NUL are not looked at (the RFC compared up to the
	 * NUL), so a reused name array keeps working.
	 */
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	memset(cd.name, 'z', SMAF_NAME_LEN);
	memcpy(cd.name, CMA_NAME, strlen(CMA_NAME) + 1);
	ASSERT_EQ(0, do_create(self, &cd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd.fd, &bi));
	EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
	untrack_close(self, cd.fd);
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	memset(cd.name + 1, 'z', SMAF_NAME_LEN - 1);
	ASSERT_EQ(0, do_create(self, &cd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd.fd, &bi));
	EXPECT_STREQ("", (char *)bi.allocator);
	untrack_close(self, cd.fd);
}

/*
 * The copy-out of the new fd faults (struct on a read-only page): the
 * copy-in works, CREATE fails with EFAULT and leaves no fd and no buffer.
 */
TEST_F(uapi, create_efault_copy_out)
{
	struct smaf_create_data *cd;
	struct smaf_stats st;
	void *page;
	int before, fds[256], nfds, i, next;

	page = ro_page(self->page);
	ASSERT_TRUE(page != NULL);
	cd = page;
	init_create(cd, BUF_SIZE, RW_FLAGS, NULL);
	cd->fd = -1;
	ASSERT_EQ(0, mprotect(page, self->page, PROT_READ));

	before = smaf_count_fds();
	next = closed_fd(self->dev);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_CREATE, cd));
		nfds = smaf_list_fds(fds, 256);
		EXPECT_EQ(before, nfds);
		ASSERT_EQ(0, smaf_stats_read(&st));
		EXPECT_EQ(self->base.buffers, st.buffers)
			TH_LOG("a buffer outlived the failed CREATE");
	}
	/* A named one too. */
	ASSERT_EQ(0, mprotect(page, self->page, PROT_READ | PROT_WRITE));
	init_create(cd, BUF_SIZE, RW_FLAGS, CMA_NAME);
	ASSERT_EQ(0, mprotect(page, self->page, PROT_READ));
	EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_CREATE, cd));
	EXPECT_EQ(before, smaf_count_fds());
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers, st.buffers);
	munmap(page, self->page);

	/* The next fd number the process gets is the one it got before. */
	EXPECT_EQ(next, closed_fd(self->dev));
}

/* The copy-in faults: unmapped and NULL arguments. */
TEST_F(uapi, efault_copy_in)
{
	unsigned long cmds[] = { SMAF_IOC_CREATE, SMAF_IOC_GET_SECURE_FLAG,
				 SMAF_IOC_SET_SECURE_FLAG, SMAF_IOC_GET_INFO,
				 SMAF_IOC_BUFFER_INFO };
	size_t i;
	void *p;

	p = mmap(NULL, self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, cmds[i], NULL))
			TH_LOG("cmd %#lx with NULL", cmds[i]);
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, cmds[i], p))
			TH_LOG("cmd %#lx with a PROT_NONE page", cmds[i]);
	}
	munmap(p, self->page);
}

/* RLIMIT_NOFILE exhausted: CREATE fails with EMFILE and leaves nothing. */
TEST_F(uapi, create_emfile)
{
	struct smaf_create_data cd;
	struct rlimit old, lim;
	struct smaf_stats st;
	int dups[512], ndup = 0, fd, ret, before, open_fds[512], n;

	n = smaf_list_fds(open_fds, 512);
	ASSERT_LT(0, n);
	ASSERT_GE(512, n);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	/* Room for a few dups above the highest open fd. */
	lim.rlim_cur = open_fds[n - 1] + 8;
	if (lim.rlim_cur > old.rlim_max)
		lim.rlim_cur = old.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	for (;;) {
		fd = dup(self->dev);
		if (fd < 0)
			break;
		ASSERT_GT(512, ndup);
		dups[ndup++] = fd;
	}
	ASSERT_EQ(EMFILE, errno);
	ASSERT_LT(1, ndup);
	/* No fd left to count /proc/self/fd with: n were open, plus dups. */
	before = n + ndup;

	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	ret = smaf_ioctl(self->dev, SMAF_IOC_CREATE, &cd);
	if (ret == 0)
		track(self, cd.fd);
	EXPECT_EQ(-EMFILE, ret);
	init_create(&cd, BUF_SIZE, RW_FLAGS, CMA_NAME);
	ret = smaf_ioctl(self->dev, SMAF_IOC_CREATE, &cd);
	if (ret == 0)
		track(self, cd.fd);
	EXPECT_EQ(-EMFILE, ret);
	/*
	 * Counting fds and reading the counters need an fd each: free two
	 * slots, then nothing but our own dups may be open.
	 */
	close(dups[--ndup]);
	close(dups[--ndup]);
	EXPECT_EQ(before - 2, smaf_count_fds());
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers, st.buffers);

	/* With a free fd, CREATE works again. */
	init_create(&cd, BUF_SIZE, RW_FLAGS, NULL);
	EXPECT_EQ(0, do_create(self, &cd));
	if (cd.fd >= 0)
		untrack_close(self, cd.fd);

	while (ndup)
		close(dups[--ndup]);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
}

/* ------------------------------------------------------------------ */
/* GET_SECURE_FLAG / SET_SECURE_FLAG                                    */
/* ------------------------------------------------------------------ */

static int create_buf(FIXTURE_DATA(uapi) *self, uint64_t len, const char *name)
{
	int fd = -1, ret;

	ret = smaf_raw_create(self->dev, len, RW_FLAGS, name, &fd);
	if (ret)
		return ret;
	track(self, fd);
	return fd;
}

/* Is a secure module registered? SET 1 on a fresh buffer tells. */
static int secure_module_present(FIXTURE_DATA(uapi) *self)
{
	int fd = create_buf(self, BUF_SIZE, NULL), ret;

	if (fd < 0)
		return fd;
	ret = smaf_raw_set_secure(self->dev, fd, 1);
	untrack_close(self, fd);
	if (ret == 0)
		return 1;
	return ret == -ENODEV ? 0 : ret;
}

TEST_F(uapi, secure_get_default)
{
	int fd = create_buf(self, BUF_SIZE, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, secure_bad_fds)
{
	unsigned long cmds[2] = { SMAF_IOC_GET_SECURE_FLAG,
				  SMAF_IOC_SET_SECURE_FLAG };
	struct smaf_secure_flag sf;
	int null_fd, vgem, dmabuf = -1, closed, i, ret, present;

	present = secure_module_present(self);
	ASSERT_LE(0, present);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	track(self, null_fd);
	vgem = smaf_vgem_open();
	if (vgem >= 0) {
		track(self, vgem);
		ASSERT_EQ(0, smaf_vgem_export(vgem, BUF_SIZE, NULL, &dmabuf));
		track(self, dmabuf);
	} else {
		ASSERT_FALSE(smaf_module_loaded("vgem"))
			TH_LOG("vgem is loaded but no vgem card found");
	}
	closed = closed_fd(self->dev);

	for (i = 0; i < 2; i++) {
		/*
		 * Arguments are checked before the secure module: SET with
		 * a bad fd says so even when no secure module is registered.
		 */
		memset(&sf, 0, sizeof(sf));
		sf.fd = -1;
		EXPECT_EQ(-EBADF, smaf_ioctl(self->dev, cmds[i], &sf))
			TH_LOG("cmd %#lx fd -1", cmds[i]);
		memset(&sf, 0, sizeof(sf));
		sf.fd = closed;
		EXPECT_EQ(-EBADF, smaf_ioctl(self->dev, cmds[i], &sf))
			TH_LOG("cmd %#lx closed fd %d", cmds[i], closed);
		memset(&sf, 0, sizeof(sf));
		sf.fd = INT32_MAX;
		EXPECT_EQ(-EBADF, smaf_ioctl(self->dev, cmds[i], &sf))
			TH_LOG("cmd %#lx fd INT32_MAX", cmds[i]);
		memset(&sf, 0, sizeof(sf));
		sf.fd = null_fd;
		EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf))
			TH_LOG("cmd %#lx /dev/null", cmds[i]);
		memset(&sf, 0, sizeof(sf));
		sf.fd = self->dev;
		EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf))
			TH_LOG("cmd %#lx /dev/smaf itself", cmds[i]);
		if (dmabuf >= 0) {
			memset(&sf, 0, sizeof(sf));
			sf.fd = dmabuf;
			ret = smaf_ioctl(self->dev, cmds[i], &sf);
			EXPECT_EQ(-EINVAL, ret)
				TH_LOG("cmd %#lx vgem dma-buf: %d", cmds[i],
				       ret);
		}
	}
	if (dmabuf < 0)
		SKIP_UNLESS_FAILED("vgem not loaded: foreign dma-buf case skipped");
}

TEST_F(uapi, secure_version_reserved)
{
	unsigned long cmds[2] = { SMAF_IOC_GET_SECURE_FLAG,
				  SMAF_IOC_SET_SECURE_FLAG };
	struct smaf_secure_flag sf;
	int fd, i, bit;
	size_t b;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		memset(&sf, 0, sizeof(sf));
		sf.fd = fd;
		sf.version = 1;
		EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf));
		sf.version = UINT64_MAX;
		EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf));
		for (bit = 0; bit < 32; bit++) {
			memset(&sf, 0, sizeof(sf));
			sf.fd = fd;
			sf.reserved1 = 1U << bit;
			EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf))
				TH_LOG("cmd %#lx reserved1 bit %d", cmds[i],
				       bit);
		}
		for (b = 0; b < sizeof(sf.reserved2); b++) {
			memset(&sf, 0, sizeof(sf));
			sf.fd = fd;
			sf.reserved2[b] = 1;
			EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, cmds[i], &sf))
				TH_LOG("cmd %#lx reserved2[%zu]", cmds[i], b);
		}
	}
	/* secure is an output of GET: ignored on input (RFC struct). */
	memset(&sf, 0, sizeof(sf));
	sf.fd = fd;
	sf.secure = 0xdeadbeef;
	EXPECT_EQ(0, smaf_ioctl(self->dev, SMAF_IOC_GET_SECURE_FLAG, &sf));
	EXPECT_EQ(0U, sf.secure);
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	untrack_close(self, fd);
}

/* SET values other than 0 and 1 are refused, secure module or not. */
TEST_F(uapi, secure_set_bad_value)
{
	static const uint32_t values[] = { 2, 3, 0x100, 0x80000000u,
					   UINT32_MAX };
	int fd;
	size_t i;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		EXPECT_EQ(-EINVAL, smaf_raw_set_secure(self->dev, fd,
						       values[i]))
			TH_LOG("secure = %#x", values[i]);
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, secure_set_get)
{
	struct smaf_buffer_info bi;
	int fd, ret, present;

	present = secure_module_present(self);
	ASSERT_LE(0, present);
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	ret = smaf_raw_set_secure(self->dev, fd, 1);
	if (!present) {
		EXPECT_EQ(-ENODEV, ret);
		EXPECT_EQ(-ENODEV, smaf_raw_set_secure(self->dev, fd, 0));
		EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
		untrack_close(self, fd);
		TH_LOG("no secure module registered: checked ENODEV only");
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(1, smaf_raw_get_secure(self->dev, fd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(1U, bi.secure);
	EXPECT_EQ(0U, bi.allocated);
	/* Idempotent, then back. */
	EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	EXPECT_EQ(1, smaf_raw_get_secure(self->dev, fd));
	EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 0));
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0U, bi.secure);
	untrack_close(self, fd);
}

/* Once memory exists the flag is frozen: EBUSY. */
TEST_F(uapi, secure_set_after_alloc)
{
	struct smaf_buffer_info bi;
	int fd, present;
	void *p;

	present = secure_module_present(self);
	ASSERT_LE(0, present);
	if (!present)
		SKIP(return, "no secure module registered");
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	ASSERT_EQ(1U, bi.allocated);
	EXPECT_EQ(-EBUSY, smaf_raw_set_secure(self->dev, fd, 1));
	EXPECT_EQ(-EBUSY, smaf_raw_set_secure(self->dev, fd, 0));
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	munmap(p, BUF_SIZE);
	/* Still allocated after munmap: still frozen. */
	EXPECT_EQ(-EBUSY, smaf_raw_set_secure(self->dev, fd, 1));
	untrack_close(self, fd);
}

/* ------------------------------------------------------------------ */
/* GET_INFO                                                             */
/* ------------------------------------------------------------------ */

TEST_F(uapi, info_enumerate)
{
	char names[32][SMAF_NAME_LEN];
	struct smaf_info info;
	uint32_t count, i, j;
	bool cma = false;
	size_t len, b;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &info));
	count = info.count;
	ASSERT_LE(1U, count);
	ASSERT_GE(32U, count);
	for (i = 0; i < count; i++) {
		memset(&info, 0, sizeof(info));
		info.index = i;
		/* Make stale bytes visible: the name must come back padded. */
		memset(info.name, 0xa5, sizeof(info.name));
		ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info));
		EXPECT_EQ(count, info.count);
		EXPECT_EQ(i, info.index);
		EXPECT_EQ(0U, info.version);
		EXPECT_EQ(0U, info.reserved1);
		EXPECT_EQ(0U, info.reserved2);
		for (b = 0; b < sizeof(info.reserved3); b++)
			EXPECT_EQ(0U, info.reserved3[b]);
		len = strnlen((char *)info.name, SMAF_NAME_LEN);
		ASSERT_GT((size_t)SMAF_NAME_LEN, len) TH_LOG("name %u has no NUL", i);
		EXPECT_LT(0U, len) TH_LOG("allocator %u has an empty name", i);
		for (b = len; b < SMAF_NAME_LEN; b++) {
			unsigned int c = info.name[b];

			EXPECT_EQ(0U, c)
				TH_LOG("name[%zu] = %#x after the NUL", b, c);
		}
		memcpy(names[i], info.name, SMAF_NAME_LEN);
		for (j = 0; j < i; j++)
			EXPECT_STRNE(names[j], names[i]);
		if (!strcmp(names[i], CMA_NAME))
			cma = true;
	}
	EXPECT_TRUE(cma) TH_LOG(CMA_NAME " not registered");
}

TEST_F(uapi, info_bad_index)
{
	static const uint32_t extra[] = { 1, 2, 100, 0x7fffffff, 0x80000000u,
					  UINT32_MAX - 1, UINT32_MAX };
	struct smaf_info info;
	uint32_t count;
	size_t i;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &info));
	count = info.count;
	EXPECT_EQ(-EINVAL, smaf_raw_get_info(self->dev, count, &info));
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (extra[i] < count)
			continue;
		EXPECT_EQ(-EINVAL, smaf_raw_get_info(self->dev, extra[i], &info))
			TH_LOG("index %u", extra[i]);
	}
}

TEST_F(uapi, info_version_reserved)
{
	struct smaf_info info;
	size_t b;
	int bit;

	memset(&info, 0, sizeof(info));
	info.version = 1;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info));
	info.version = UINT64_MAX;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info));
	for (bit = 0; bit < 32; bit++) {
		memset(&info, 0, sizeof(info));
		info.reserved1 = 1U << bit;
		EXPECT_EQ(-EINVAL,
			  smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info))
			TH_LOG("reserved1 bit %d", bit);
		memset(&info, 0, sizeof(info));
		info.reserved2 = 1U << bit;
		EXPECT_EQ(-EINVAL,
			  smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info))
			TH_LOG("reserved2 bit %d", bit);
	}
	for (b = 0; b < sizeof(info.reserved3); b++) {
		memset(&info, 0, sizeof(info));
		info.reserved3[b] = 1;
		EXPECT_EQ(-EINVAL,
			  smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info))
			TH_LOG("reserved3[%zu]", b);
	}
}

/* count and name are outputs of an RFC struct: ignored on input. */
TEST_F(uapi, info_outputs_ignored)
{
	struct smaf_info info, ref;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &ref));
	memset(&info, 0, sizeof(info));
	info.count = 0xdeadbeef;
	memset(info.name, 'q', sizeof(info.name));
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, &info));
	EXPECT_EQ(ref.count, info.count);
	EXPECT_EQ(0, memcmp(ref.name, info.name, sizeof(ref.name)));
}

/* ------------------------------------------------------------------ */
/* BUFFER_INFO                                                          */
/* ------------------------------------------------------------------ */

TEST_F(uapi, buffer_info_bad_fds)
{
	struct smaf_buffer_info bi;
	int null_fd, vgem, dmabuf = -1, closed;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	track(self, null_fd);
	closed = closed_fd(self->dev);
	EXPECT_EQ(-EBADF, smaf_raw_buffer_info(self->dev, -1, &bi));
	EXPECT_EQ(-EBADF, smaf_raw_buffer_info(self->dev, closed, &bi));
	EXPECT_EQ(-EBADF, smaf_raw_buffer_info(self->dev, INT32_MAX, &bi));
	EXPECT_EQ(-EBADF, smaf_raw_buffer_info(self->dev, INT32_MIN, &bi));
	EXPECT_EQ(-EINVAL, smaf_raw_buffer_info(self->dev, null_fd, &bi));
	EXPECT_EQ(-EINVAL, smaf_raw_buffer_info(self->dev, self->dev, &bi));
	vgem = smaf_vgem_open();
	if (vgem < 0) {
		ASSERT_FALSE(smaf_module_loaded("vgem"))
			TH_LOG("vgem is loaded but no vgem card found");
		SKIP_UNLESS_FAILED("vgem not loaded: foreign dma-buf case skipped");
	}
	track(self, vgem);
	ASSERT_EQ(0, smaf_vgem_export(vgem, BUF_SIZE, NULL, &dmabuf));
	track(self, dmabuf);
	EXPECT_EQ(-EINVAL, smaf_raw_buffer_info(self->dev, dmabuf, &bi));
}

TEST_F(uapi, buffer_info_flags_outputs)
{
	struct smaf_buffer_info bi;
	size_t b;
	int fd, bit;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	for (bit = 0; bit < 32; bit++) {
		memset(&bi, 0, sizeof(bi));
		bi.fd = fd;
		bi.flags = 1U << bit;
		EXPECT_EQ(-EINVAL,
			  smaf_ioctl(self->dev, SMAF_IOC_BUFFER_INFO, &bi))
			TH_LOG("flags bit %d", bit);
	}
#define OUT_FIELD(field, val) do { \
		memset(&bi, 0, sizeof(bi)); \
		bi.fd = fd; \
		bi.field = (val); \
		EXPECT_EQ(-EINVAL, \
			  smaf_ioctl(self->dev, SMAF_IOC_BUFFER_INFO, &bi)) \
			TH_LOG("output " #field " = %#llx on input", \
			       (unsigned long long)(val)); \
	} while (0)
	OUT_FIELD(size, 1);
	OUT_FIELD(size, 1ULL << 63);
	OUT_FIELD(size, BUF_SIZE);
	OUT_FIELD(allocated, 1);
	OUT_FIELD(secure, 1);
	OUT_FIELD(attachments, 1);
	OUT_FIELD(device_mappings, 1);
	OUT_FIELD(cpu_mappings, 1);
	OUT_FIELD(migrations, 1);
	OUT_FIELD(migrations, 0x80000000u);
	for (b = 0; b < sizeof(bi.allocator); b++)
		OUT_FIELD(allocator[b], 1);
#ifdef SMAF_IOC_ADD_CONSUMER
	OUT_FIELD(consumers, 1);
	OUT_FIELD(id, 1);
	OUT_FIELD(id, 1ULL << 63);
	for (bit = 0; bit < 32; bit++)
		OUT_FIELD(reserved, 1U << bit);
#endif
#undef OUT_FIELD
	untrack_close(self, fd);
}

/* The counters follow a CPU mapping; memory appears on mmap, zeroed. */
TEST_F(uapi, buffer_info_mmap)
{
	struct smaf_buffer_info bi;
	struct smaf_stats st;
	unsigned char *p, *q;
	size_t i, b;
	int fd;

	fd = create_buf(self, BUF_SIZE + 1, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(round_page(BUF_SIZE + 1, self->page), bi.size);
	EXPECT_EQ(0U, bi.allocated);
	EXPECT_EQ(0U, bi.cpu_mappings);

	p = mmap(NULL, bi.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(1U, bi.allocated);
	EXPECT_EQ(1U, bi.cpu_mappings);
	EXPECT_EQ(0U, bi.attachments);
	EXPECT_EQ(0U, bi.device_mappings);
	EXPECT_EQ(0U, bi.migrations);
	EXPECT_LT(0U, strlen((char *)bi.allocator))
		TH_LOG("allocated but no allocator name");
	for (b = strnlen((char *)bi.allocator, SMAF_NAME_LEN);
	     b < SMAF_NAME_LEN; b++)
		EXPECT_EQ(0U, bi.allocator[b]);
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.allocated_buffers + 1, st.allocated_buffers);
	EXPECT_EQ(self->base.allocated_bytes + bi.size, st.allocated_bytes);
	EXPECT_EQ(self->base.cpu_mappings + 1, st.cpu_mappings);
	for (i = 0; i < bi.size; i++)
		if (p[i])
			break;
	EXPECT_EQ(bi.size, i) TH_LOG("byte %zu not zeroed", i);

	q = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, self->page);
	ASSERT_TRUE(q != MAP_FAILED) TH_LOG("second mmap: %s", strerror(errno));
	p[self->page] = 0x42;
	EXPECT_EQ(0x42, q[0]);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(2U, bi.cpu_mappings);
	munmap(q, self->page);
	munmap(p, bi.size);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0U, bi.cpu_mappings);
	EXPECT_EQ(1U, bi.allocated);
	untrack_close(self, fd);
}

TEST_F(uapi, buffer_info_efault_copy_out)
{
	struct smaf_buffer_info *bi;
	void *page, *page2;
	int fd;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	page = ro_page(self->page);
	ASSERT_TRUE(page != NULL);
	bi = page;
	bi->fd = fd;
	ASSERT_EQ(0, mprotect(page, self->page, PROT_READ));
	EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_BUFFER_INFO, bi));
	munmap(page, self->page);
	/* GET_INFO of index 0 (a zeroed struct) on a read-only page. */
	page2 = ro_page(self->page);
	ASSERT_TRUE(page2 != NULL);
	ASSERT_EQ(0, mprotect(page2, self->page, PROT_READ));
	EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_GET_INFO, page2));
	munmap(page2, self->page);
	untrack_close(self, fd);
}

/* ------------------------------------------------------------------ */
/* Unknown commands                                                     */
/* ------------------------------------------------------------------ */

/* The ioctl numbers include/uapi/linux/smaf.h defines. */
static bool known_nr(unsigned int nr)
{
	static const unsigned long cmds[] = {
		SMAF_IOC_CREATE, SMAF_IOC_GET_SECURE_FLAG,
		SMAF_IOC_SET_SECURE_FLAG, SMAF_IOC_GET_INFO,
		SMAF_IOC_BUFFER_INFO,
#ifdef SMAF_IOC_ADD_CONSUMER
		SMAF_IOC_ADD_CONSUMER,
#endif
#ifdef SMAF_IOC_ALLOCATOR_INFO
		SMAF_IOC_ALLOCATOR_INFO,
#endif
#ifdef SMAF_IOC_LIST_BUFFERS
		SMAF_IOC_LIST_BUFFERS,
#endif
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (_IOC_NR(cmds[i]) == nr)
			return true;
	return false;
}

TEST_F(uapi, unknown_nr)
{
	unsigned char arg[256];
	unsigned int nr;

	for (nr = 0; nr < 256; nr++) {
		if (known_nr(nr))
			continue;
		memset(arg, 0, sizeof(arg));
		EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev, SMAF_CMD(nr, 128), arg))
			TH_LOG("nr %u size 128", nr);
		EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev, SMAF_CMD(nr, 8), arg))
			TH_LOG("nr %u size 8", nr);
		EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev,
					      _IO(SMAF_IOC_MAGIC, nr), arg))
			TH_LOG("_IO nr %u", nr);
	}
}

TEST_F(uapi, other_magic)
{
	static const unsigned int magics[] = { 0, 's', 'T', 'R', 'd', 0xff };
	unsigned char arg[256];
	unsigned int nr;
	size_t m;

	for (m = 0; m < sizeof(magics) / sizeof(magics[0]); m++) {
		for (nr = 0; nr < 8; nr++) {
			memset(arg, 0, sizeof(arg));
			EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev,
				_IOC(_IOC_READ | _IOC_WRITE, magics[m], nr, 128),
				arg))
				TH_LOG("magic %#x nr %u", magics[m], nr);
		}
	}
	/* Plain numbers, as a confused program might pass. */
	EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev, 0, arg));
	EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev, 1, arg));
}

/* ------------------------------------------------------------------ */
/* Size-delta dispatcher                                                */
/* ------------------------------------------------------------------ */

/*
 * A struct of @size bytes at the start of @buf (@buf holds IOC_SIZE_MAX + 64
 * bytes), the rest filled with CANARY so that any copy-back beyond the
 * caller's size shows.
 */
static unsigned char *dispatch_buf(void)
{
	return malloc(IOC_SIZE_MAX + 64);
}

static bool canary_intact(const unsigned char *buf, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (buf[i] != CANARY)
			return false;
	return true;
}

TEST_F(uapi, dispatch_create_shorter)
{
	const size_t fd_end = offsetof(struct smaf_create_data, reserved2) + 4;
	const size_t no_res3 = offsetof(struct smaf_create_data, reserved3);
	struct smaf_create_data *cd;
	struct smaf_buffer_info bi;
	unsigned char *buf;

	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	cd = (struct smaf_create_data *)buf;

	/* Without name and reserved3 (32 bytes): unnamed buffer. */
	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, fd_end);
	cd->length = BUF_SIZE;
	cd->flags = RW_FLAGS;
	cd->fd = -1;
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(0, fd_end), buf));
	ASSERT_LE(0, cd->fd);
	track(self, cd->fd);
	EXPECT_TRUE(canary_intact(buf, fd_end, IOC_SIZE_MAX + 64))
		TH_LOG("copied back past the caller's %zu bytes", fd_end);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd->fd, &bi));
	EXPECT_EQ(BUF_SIZE, bi.size);
	EXPECT_STREQ("", (char *)bi.allocator);
	EXPECT_EQ(O_RDWR, fcntl(cd->fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(FD_CLOEXEC, fcntl(cd->fd, F_GETFD) & FD_CLOEXEC);
	untrack_close(self, cd->fd);

	/* Without reserved3 (96 bytes), named. */
	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, no_res3);
	cd->length = BUF_SIZE;
	cd->flags = RW_FLAGS;
	strcpy((char *)cd->name, CMA_NAME);
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(0, no_res3), buf));
	ASSERT_LE(0, cd->fd);
	track(self, cd->fd);
	EXPECT_TRUE(canary_intact(buf, no_res3, IOC_SIZE_MAX + 64));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, cd->fd, &bi));
	EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
	untrack_close(self, cd->fd);

	/* A shorter struct is still validated: nonzero reserved2. */
	memset(buf, 0, fd_end);
	cd->length = BUF_SIZE;
	cd->reserved2 = 1;
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_CMD(0, fd_end), buf));
	/* ... and length 0. */
	memset(buf, 0, fd_end);
	EXPECT_EQ(-EINVAL, smaf_ioctl(self->dev, SMAF_CMD(0, fd_end), buf));
	free(buf);
}

TEST_F(uapi, dispatch_create_longer)
{
	const size_t sizes[] = { sizeof(struct smaf_create_data) + 8,
				 sizeof(struct smaf_create_data) + 24,
				 1024, 4096, IOC_SIZE_MAX };
	const size_t base = sizeof(struct smaf_create_data);
	struct smaf_create_data *cd;
	unsigned char *buf;
	size_t s, b;
	int ret;

	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	cd = (struct smaf_create_data *)buf;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		/* Zero tail: works, the tail stays zero. */
		memset(buf, CANARY, IOC_SIZE_MAX + 64);
		memset(buf, 0, sizes[s]);
		cd->length = BUF_SIZE;
		cd->flags = RW_FLAGS;
		ret = smaf_ioctl(self->dev, SMAF_CMD(0, sizes[s]), buf);
		ASSERT_EQ(0, ret) TH_LOG("size %zu: %s", sizes[s],
					 strerror(-ret));
		ASSERT_LE(0, cd->fd);
		track(self, cd->fd);
		for (b = base; b < sizes[s]; b++)
			if (buf[b])
				break;
		EXPECT_EQ(sizes[s], b) TH_LOG("tail byte %zu changed", b);
		EXPECT_TRUE(canary_intact(buf, sizes[s], IOC_SIZE_MAX + 64));
		untrack_close(self, cd->fd);
	}
	/* Nonzero tail: E2BIG, wherever the nonzero byte lies. */
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (b = base; b < sizes[s];
		     b += (sizes[s] - base > 64 ? 61 : 1)) {
			memset(buf, 0, sizes[s]);
			cd->length = BUF_SIZE;
			cd->flags = RW_FLAGS;
			buf[b] = 0x01;
			ret = smaf_ioctl(self->dev, SMAF_CMD(0, sizes[s]), buf);
			if (ret == 0)
				track(self, cd->fd);
			EXPECT_EQ(-E2BIG, ret)
				TH_LOG("size %zu, byte %zu set", sizes[s], b);
		}
		memset(buf, 0, sizes[s]);
		cd->length = BUF_SIZE;
		buf[sizes[s] - 1] = 0x80;
		ret = smaf_ioctl(self->dev, SMAF_CMD(0, sizes[s]), buf);
		if (ret == 0)
			track(self, cd->fd);
		EXPECT_EQ(-E2BIG, ret) TH_LOG("size %zu, last byte", sizes[s]);
	}
	free(buf);
}

TEST_F(uapi, dispatch_secure_flag)
{
	const size_t shorter = offsetof(struct smaf_secure_flag, reserved2);
	const size_t base = sizeof(struct smaf_secure_flag);
	const size_t longer[] = { base + 8, base + 64, IOC_SIZE_MAX };
	struct smaf_secure_flag *sf;
	unsigned char *buf;
	size_t s;
	int fd, ret;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	sf = (struct smaf_secure_flag *)buf;

	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, shorter);
	sf->fd = fd;
	sf->secure = 7;
	EXPECT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(1, shorter), buf));
	EXPECT_EQ(0U, sf->secure);
	EXPECT_TRUE(canary_intact(buf, shorter, IOC_SIZE_MAX + 64));

	for (s = 0; s < sizeof(longer) / sizeof(longer[0]); s++) {
		memset(buf, CANARY, IOC_SIZE_MAX + 64);
		memset(buf, 0, longer[s]);
		sf->fd = fd;
		ret = smaf_ioctl(self->dev, SMAF_CMD(1, longer[s]), buf);
		EXPECT_EQ(0, ret) TH_LOG("GET size %zu", longer[s]);
		EXPECT_TRUE(canary_intact(buf, longer[s], IOC_SIZE_MAX + 64));
		buf[longer[s] - 1] = 1;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev,
					     SMAF_CMD(1, longer[s]), buf))
			TH_LOG("GET size %zu nonzero tail", longer[s]);
		/* SET: the tail is checked before anything else happens. */
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev,
					     SMAF_CMD(2, longer[s]), buf))
			TH_LOG("SET size %zu nonzero tail", longer[s]);
	}
	EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
	free(buf);
	untrack_close(self, fd);
}

TEST_F(uapi, dispatch_info)
{
	const size_t shorter = offsetof(struct smaf_info, reserved3);
	const size_t base = sizeof(struct smaf_info);
	const size_t longer[] = { base + 8, base + 200, IOC_SIZE_MAX };
	struct smaf_info *info, ref;
	unsigned char *buf;
	size_t s;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &ref));
	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	info = (struct smaf_info *)buf;

	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, shorter);
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(3, shorter), buf));
	EXPECT_EQ(ref.count, info->count);
	EXPECT_STREQ((char *)ref.name, (char *)info->name);
	EXPECT_TRUE(canary_intact(buf, shorter, IOC_SIZE_MAX + 64));

	for (s = 0; s < sizeof(longer) / sizeof(longer[0]); s++) {
		memset(buf, CANARY, IOC_SIZE_MAX + 64);
		memset(buf, 0, longer[s]);
		ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(3, longer[s]), buf))
			TH_LOG("size %zu", longer[s]);
		EXPECT_EQ(ref.count, info->count);
		EXPECT_STREQ((char *)ref.name, (char *)info->name);
		EXPECT_TRUE(canary_intact(buf, longer[s], IOC_SIZE_MAX + 64));
		buf[base] = 1;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev,
					     SMAF_CMD(3, longer[s]), buf))
			TH_LOG("size %zu first tail byte", longer[s]);
		buf[base] = 0;
		buf[longer[s] - 1] = 0xff;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev,
					     SMAF_CMD(3, longer[s]), buf))
			TH_LOG("size %zu last tail byte", longer[s]);
	}
	free(buf);
}

/*
 * GET_INFO shorter than its name: the UAPI's general rule ("a shorter
 * struct reads its missing trailing fields as 0", no minimum stated) says
 * it works and reports count. Kept apart from dispatch_info because the
 * core currently demands every output field (min_size): see the report.
 */
TEST_F(uapi, dispatch_info_without_name)
{
	const size_t len = offsetof(struct smaf_info, name);
	struct smaf_info *info, ref;
	unsigned char *buf;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &ref));
	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	info = (struct smaf_info *)buf;
	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, len);
	EXPECT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(3, len), buf));
	EXPECT_EQ(ref.count, info->count);
	EXPECT_TRUE(canary_intact(buf, len, IOC_SIZE_MAX + 64));
	free(buf);
}

TEST_F(uapi, dispatch_buffer_info)
{
	const size_t no_alloc = offsetof(struct smaf_buffer_info, allocator);
	const size_t with_size = offsetof(struct smaf_buffer_info, allocated);
	const size_t base = sizeof(struct smaf_buffer_info);
	const size_t longer[] = { base + 8, base + 24, IOC_SIZE_MAX };
	struct smaf_buffer_info *bi;
	unsigned char *buf;
	size_t s;
	int fd;

	fd = create_buf(self, BUF_SIZE + 1, CMA_NAME);
	ASSERT_LE(0, fd);
	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	bi = (struct smaf_buffer_info *)buf;

	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, no_alloc);
	bi->fd = fd;
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(4, no_alloc), buf));
	EXPECT_EQ(round_page(BUF_SIZE + 1, self->page), bi->size);
	EXPECT_TRUE(canary_intact(buf, no_alloc, IOC_SIZE_MAX + 64));

	/* The first version of the struct (104 bytes, up to allocator). */
	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, no_alloc + SMAF_NAME_LEN);
	bi->fd = fd;
	ASSERT_EQ(0, smaf_ioctl(self->dev,
				SMAF_CMD(4, no_alloc + SMAF_NAME_LEN), buf));
	EXPECT_EQ(round_page(BUF_SIZE + 1, self->page), bi->size);
	EXPECT_STREQ(CMA_NAME, (char *)bi->allocator);
	EXPECT_TRUE(canary_intact(buf, no_alloc + SMAF_NAME_LEN,
				  IOC_SIZE_MAX + 64));

	memset(buf, CANARY, IOC_SIZE_MAX + 64);
	memset(buf, 0, with_size);
	bi->fd = fd;
	ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(4, with_size), buf));
	EXPECT_EQ(round_page(BUF_SIZE + 1, self->page), bi->size);
	EXPECT_TRUE(canary_intact(buf, with_size, IOC_SIZE_MAX + 64));

	for (s = 0; s < sizeof(longer) / sizeof(longer[0]); s++) {
		memset(buf, CANARY, IOC_SIZE_MAX + 64);
		memset(buf, 0, longer[s]);
		bi->fd = fd;
		ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(4, longer[s]), buf))
			TH_LOG("size %zu", longer[s]);
		EXPECT_EQ(round_page(BUF_SIZE + 1, self->page), bi->size);
		EXPECT_STREQ(CMA_NAME, (char *)bi->allocator);
		EXPECT_TRUE(canary_intact(buf, longer[s], IOC_SIZE_MAX + 64));
		/* The output fields must be 0 again on input. */
		memset(buf, 0, longer[s]);
		bi->fd = fd;
		buf[longer[s] - 1] = 1;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev,
					     SMAF_CMD(4, longer[s]), buf))
			TH_LOG("size %zu nonzero tail", longer[s]);
	}
	free(buf);
	untrack_close(self, fd);
}

#ifdef SMAF_IOC_ALLOCATOR_INFO
/* ------------------------------------------------------------------ */
/* ALLOCATOR_INFO                                                       */
/* ------------------------------------------------------------------ */

static int alloc_info(int dev, uint32_t index, struct smaf_allocator_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	ai->index = index;
	return smaf_ioctl(dev, SMAF_IOC_ALLOCATOR_INFO, ai);
}

TEST_F(uapi, allocator_info_enumerate)
{
	struct smaf_allocator_info ai;
	struct smaf_info info;
	uint32_t count, i;
	int32_t prev_rank = INT32_MAX;
	bool cma = false;
	size_t b, len;

	ASSERT_EQ(0, smaf_raw_get_info(self->dev, 0, &info));
	count = info.count;
	for (i = 0; i < count; i++) {
		ASSERT_EQ(0, smaf_raw_get_info(self->dev, i, &info));
		ASSERT_EQ(0, alloc_info(self->dev, i, &ai))
			TH_LOG("index %u", i);
		EXPECT_EQ(i, ai.index);
		EXPECT_EQ(count, ai.count);
		EXPECT_STREQ((char *)info.name, (char *)ai.name);
		len = strnlen((char *)ai.name, SMAF_NAME_LEN);
		ASSERT_GT((size_t)SMAF_NAME_LEN, len);
		for (b = len; b < SMAF_NAME_LEN; b++) {
			unsigned int c = ai.name[b];

			EXPECT_EQ(0U, c) TH_LOG("name[%zu] after the NUL", b);
		}
		EXPECT_GE(prev_rank, ai.ranking)
			TH_LOG("not sorted by ranking at index %u", i);
		prev_rank = ai.ranking;
		EXPECT_EQ(0U, ai.caps & ~(SMAF_CAP_CONTIGUOUS | SMAF_CAP_SECURE))
			TH_LOG("unknown caps %#x", ai.caps);
		EXPECT_LE(ai.bytes, ai.peak_bytes);
		if (self->base.allocated_buffers == 0) {
			EXPECT_EQ(0U, ai.buffers);
			EXPECT_EQ(0U, ai.bytes);
		}
		if (!strcmp((char *)ai.name, CMA_NAME)) {
			cma = true;
			EXPECT_NE(0U, ai.caps & SMAF_CAP_CONTIGUOUS);
			/* serves every device with a DMA mask of >= 32 bits */
			EXPECT_EQ(0xffffffffULL, ai.min_dma_limit);
		}
	}
	EXPECT_TRUE(cma);
	EXPECT_EQ(-EINVAL, alloc_info(self->dev, count, &ai));
	EXPECT_EQ(-EINVAL, alloc_info(self->dev, count + 1, &ai));
	EXPECT_EQ(-EINVAL, alloc_info(self->dev, UINT32_MAX, &ai));
}

TEST_F(uapi, allocator_info_outputs)
{
	struct smaf_allocator_info ai;
	size_t b;

#define AI_OUT(field, val) do { \
		memset(&ai, 0, sizeof(ai)); \
		ai.field = (val); \
		EXPECT_EQ(-EINVAL, \
			  smaf_ioctl(self->dev, SMAF_IOC_ALLOCATOR_INFO, &ai)) \
			TH_LOG("output " #field " nonzero on input"); \
	} while (0)
	AI_OUT(count, 1);
	for (b = 0; b < sizeof(ai.name); b++)
		AI_OUT(name[b], 'a');
	AI_OUT(ranking, 1);
	AI_OUT(ranking, -1);
	AI_OUT(caps, 1);
	AI_OUT(max_size, 1);
	AI_OUT(min_dma_limit, 1);
	AI_OUT(buffers, 1);
	AI_OUT(bytes, 1);
	AI_OUT(peak_bytes, 1);
	AI_OUT(failures, 1);
#undef AI_OUT
}

/* The live statistics follow a buffer's memory. */
TEST_F(uapi, allocator_info_live)
{
	struct smaf_allocator_info before, during, after;
	struct smaf_buffer_info bi;
	int idx, fd;
	void *p;

	idx = smaf_find_allocator(self->dev, CMA_NAME);
	ASSERT_LE(0, idx);
	ASSERT_EQ(0, alloc_info(self->dev, idx, &before));
	fd = create_buf(self, 64 * KiB, CMA_NAME);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 64 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
	ASSERT_EQ(0, alloc_info(self->dev, idx, &during));
	EXPECT_EQ(before.buffers + 1, during.buffers);
	EXPECT_EQ(before.bytes + 64 * KiB, during.bytes);
	EXPECT_LE(during.bytes, during.peak_bytes);
	EXPECT_EQ(before.failures, during.failures);
	munmap(p, 64 * KiB);
	untrack_close(self, fd);
	ASSERT_EQ(0, alloc_info(self->dev, idx, &after));
	EXPECT_EQ(before.buffers, after.buffers);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(during.peak_bytes, after.peak_bytes);
}

TEST_F(uapi, dispatch_allocator_info)
{
	const size_t base = sizeof(struct smaf_allocator_info);
	const size_t longer[] = { base + 8, base + 100, IOC_SIZE_MAX };
	struct smaf_allocator_info *ai;
	unsigned char *buf;
	size_t s;

	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	ai = (struct smaf_allocator_info *)buf;
	for (s = 0; s < sizeof(longer) / sizeof(longer[0]); s++) {
		memset(buf, CANARY, IOC_SIZE_MAX + 64);
		memset(buf, 0, longer[s]);
		ASSERT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(_IOC_NR(
				SMAF_IOC_ALLOCATOR_INFO), longer[s]), buf))
			TH_LOG("size %zu", longer[s]);
		EXPECT_LT(0U, ai->count);
		EXPECT_TRUE(canary_intact(buf, longer[s], IOC_SIZE_MAX + 64));
		memset(buf, 0, longer[s]);
		buf[longer[s] - 1] = 1;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev, SMAF_CMD(_IOC_NR(
				SMAF_IOC_ALLOCATOR_INFO), longer[s]), buf))
			TH_LOG("size %zu nonzero tail", longer[s]);
	}
	free(buf);
}
#endif /* SMAF_IOC_ALLOCATOR_INFO */

#ifdef SMAF_IOC_ADD_CONSUMER
/* ------------------------------------------------------------------ */
/* ADD_CONSUMER                                                         */
/* ------------------------------------------------------------------ */

#define MAX_DEVS	64

/*
 * Fills @names with "bus:device" names of devices that exist: platform
 * devices first, then PCI. Returns how many (at most @max).
 */
static int existing_devices(char names[][SMAF_DEVICE_NAME_LEN], int max)
{
	static const char *const buses[] = { "platform", "pci" };
	struct dirent *de;
	size_t i, blen, dlen;
	int n = 0;
	char path[64];
	DIR *d;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/%s/devices", buses[i]);
		d = opendir(path);
		if (!d)
			continue;
		while (n < max && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			blen = strlen(buses[i]);
			dlen = strlen(de->d_name);
			if (blen + 1 + dlen >= SMAF_DEVICE_NAME_LEN)
				continue;
			memcpy(names[n], buses[i], blen);
			names[n][blen] = ':';
			memcpy(names[n] + blen + 1, de->d_name, dlen + 1);
			n++;
		}
		closedir(d);
	}
	return n;
}

static int add_consumer(int dev, int fd, const char *device)
{
	struct smaf_consumer c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	memcpy(c.device, device, strnlen(device, SMAF_DEVICE_NAME_LEN - 1));
	return smaf_ioctl(dev, SMAF_IOC_ADD_CONSUMER, &c);
}

static uint32_t consumers_of(int dev, int fd)
{
	struct smaf_buffer_info bi;

	if (smaf_raw_buffer_info(dev, fd, &bi))
		return UINT32_MAX;
	return bi.consumers;
}

TEST_F(uapi, consumer_add)
{
	char devs[2][SMAF_DEVICE_NAME_LEN];
	struct smaf_buffer_info bi;
	int fd;

	ASSERT_EQ(2, existing_devices(devs, 2));
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0U, consumers_of(self->dev, fd));
	ASSERT_EQ(0, add_consumer(self->dev, fd, devs[0]))
		TH_LOG("%s", devs[0]);
	EXPECT_EQ(1U, consumers_of(self->dev, fd));
	EXPECT_EQ(-EEXIST, add_consumer(self->dev, fd, devs[0]));
	EXPECT_EQ(1U, consumers_of(self->dev, fd));
	ASSERT_EQ(0, add_consumer(self->dev, fd, devs[1]))
		TH_LOG("%s", devs[1]);
	EXPECT_EQ(2U, consumers_of(self->dev, fd));
	/* Declaring allocates nothing and attaches nothing. */
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0U, bi.allocated);
	EXPECT_EQ(0U, bi.attachments);
	untrack_close(self, fd);
}

TEST_F(uapi, consumer_testdev_and_pci)
{
	int fd;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	if (smaf_module_loaded("smaf_testdev"))
		EXPECT_EQ(0, add_consumer(self->dev, fd,
					  "platform:smaf-testdev.0"));
	/* The host bridge of qemu's pc machine. */
	if (access("/sys/bus/pci/devices/0000:00:00.0", F_OK) == 0)
		EXPECT_EQ(0, add_consumer(self->dev, fd, "pci:0000:00:00.0"));
	untrack_close(self, fd);
}

TEST_F(uapi, consumer_bad_names)
{
	struct smaf_consumer c;
	int fd;

	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, add_consumer(self->dev, fd,
					"platform:no-such-device.7"));
	EXPECT_EQ(-ENOENT, add_consumer(self->dev, fd, "pci:0000:ff:1f.7"));
	EXPECT_EQ(-ENOENT, add_consumer(self->dev, fd, "nosuchbus:dev0"));
	EXPECT_EQ(-ENOENT, add_consumer(self->dev, fd, "usb:1-1"));
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	memset(c.device, 'a', sizeof(c.device));
	EXPECT_EQ(-ENAMETOOLONG,
		  smaf_ioctl(self->dev, SMAF_IOC_ADD_CONSUMER, &c));
	memcpy(c.device, "platform:", 9);
	EXPECT_EQ(-ENAMETOOLONG,
		  smaf_ioctl(self->dev, SMAF_IOC_ADD_CONSUMER, &c));
	EXPECT_EQ(0U, consumers_of(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, consumer_bad_fds_flags)
{
	char devs[1][SMAF_DEVICE_NAME_LEN];
	struct smaf_consumer c;
	int fd, null_fd, vgem, dmabuf = -1, bit;

	ASSERT_EQ(1, existing_devices(devs, 1));
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	track(self, null_fd);
	EXPECT_EQ(-EBADF, add_consumer(self->dev, -1, devs[0]));
	EXPECT_EQ(-EBADF, add_consumer(self->dev, closed_fd(self->dev),
				       devs[0]));
	EXPECT_EQ(-EINVAL, add_consumer(self->dev, null_fd, devs[0]));
	EXPECT_EQ(-EINVAL, add_consumer(self->dev, self->dev, devs[0]));
	vgem = smaf_vgem_open();
	if (vgem >= 0) {
		track(self, vgem);
		ASSERT_EQ(0, smaf_vgem_export(vgem, BUF_SIZE, NULL, &dmabuf));
		track(self, dmabuf);
		EXPECT_EQ(-EINVAL, add_consumer(self->dev, dmabuf, devs[0]));
	}
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	for (bit = 0; bit < 32; bit++) {
		memset(&c, 0, sizeof(c));
		c.fd = fd;
		c.flags = 1U << bit;
		strcpy((char *)c.device, devs[0]);
		EXPECT_EQ(-EINVAL,
			  smaf_ioctl(self->dev, SMAF_IOC_ADD_CONSUMER, &c))
			TH_LOG("flags bit %d", bit);
	}
	EXPECT_EQ(0U, consumers_of(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, consumer_after_alloc)
{
	char devs[1][SMAF_DEVICE_NAME_LEN];
	void *p;
	int fd;

	ASSERT_EQ(1, existing_devices(devs, 1));
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(-EBUSY, add_consumer(self->dev, fd, devs[0]));
	munmap(p, BUF_SIZE);
	EXPECT_EQ(-EBUSY, add_consumer(self->dev, fd, devs[0]));
	EXPECT_EQ(0U, consumers_of(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, consumer_limit)
{
	static char devs[MAX_DEVS][SMAF_DEVICE_NAME_LEN];
	int n, i, fd;

	n = existing_devices(devs, MAX_DEVS);
	if (n < 17)
		SKIP(return, "only %d platform and PCI devices", n);
	fd = create_buf(self, BUF_SIZE, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, add_consumer(self->dev, fd, devs[i]))
			TH_LOG("%s", devs[i]);
	}
	EXPECT_EQ(16U, consumers_of(self->dev, fd));
	EXPECT_EQ(-ENOSPC, add_consumer(self->dev, fd, devs[16]));
	EXPECT_EQ(16U, consumers_of(self->dev, fd));
	untrack_close(self, fd);
}

TEST_F(uapi, dispatch_consumer)
{
	const size_t base = sizeof(struct smaf_consumer);
	const size_t longer[] = { base + 8, IOC_SIZE_MAX };
	char devs[1][SMAF_DEVICE_NAME_LEN];
	struct smaf_consumer *c;
	unsigned char *buf;
	size_t s;
	int fd;

	ASSERT_EQ(1, existing_devices(devs, 1));
	buf = dispatch_buf();
	ASSERT_TRUE(buf != NULL);
	c = (struct smaf_consumer *)buf;
	for (s = 0; s < sizeof(longer) / sizeof(longer[0]); s++) {
		fd = create_buf(self, BUF_SIZE, NULL);
		ASSERT_LE(0, fd);
		memset(buf, 0, longer[s]);
		c->fd = fd;
		strcpy((char *)c->device, devs[0]);
		buf[longer[s] - 1] = 1;
		EXPECT_EQ(-E2BIG, smaf_ioctl(self->dev, SMAF_CMD(_IOC_NR(
				SMAF_IOC_ADD_CONSUMER), longer[s]), buf));
		EXPECT_EQ(0U, consumers_of(self->dev, fd));
		buf[longer[s] - 1] = 0;
		EXPECT_EQ(0, smaf_ioctl(self->dev, SMAF_CMD(_IOC_NR(
				SMAF_IOC_ADD_CONSUMER), longer[s]), buf))
			TH_LOG("size %zu", longer[s]);
		EXPECT_EQ(1U, consumers_of(self->dev, fd));
		untrack_close(self, fd);
	}
	free(buf);
}
#endif /* SMAF_IOC_ADD_CONSUMER */

TEST_HARNESS_MAIN
