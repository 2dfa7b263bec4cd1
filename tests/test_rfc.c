// SPDX-License-Identifier: GPL-2.0
/*
 * The SMAF RFC's libsmaf test program, case by case (16 KiB buffers,
 * SMAF_CLOEXEC | SMAF_RDWR), written against the RFC function names that
 * lib/libsmaf.h keeps, plus the library's own contract: negative errno
 * values, a reference-counted thread-safe smaf_open() and bounded names.
 *
 * The secure cases need a secure module: without one smaf_set_secure()
 * gives -ENODEV and they are skipped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libsmaf.h"

#include "kselftest_harness.h"
#include "common/smaf_test.h"

#define LENGTH		(16 * 1024)
#define FLAGS		(SMAF_CLOEXEC | SMAF_RDWR)
#define MAX_TRACKED	64

FIXTURE(rfc) {
	int nfds;
	struct smaf_stats base;
	int tracked[MAX_TRACKED];
	int ntracked;
	int opened;
};

FIXTURE_SETUP(rfc)
{
	int ret;

	ret = smaf_stats_read(&self->base);
	ASSERT_EQ(0, ret)
		TH_LOG("read " SMAF_STATS_PATH ": %s", strerror(-ret));
	self->nfds = smaf_count_fds();
	ASSERT_LE(0, self->nfds);
	ret = smaf_open();
	ASSERT_EQ(0, ret) TH_LOG("smaf_open: %s", strerror(-ret));
	self->opened = 1;
}

FIXTURE_TEARDOWN(rfc)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;
	int i, n;

	for (i = 0; i < self->ntracked; i++)
		close(self->tracked[i]);
	while (self->opened-- > 0)
		smaf_close();
	n = smaf_count_fds();
	EXPECT_EQ(self->nfds, n)
		TH_LOG("fd leak: %d open fds, %d before the test", n,
		       self->nfds);
	EXPECT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&self->base, &now))
		TH_LOG("counters not back to baseline:\n  before %s\n  after  %s",
		       smaf_stats_str(&self->base, a, sizeof(a)),
		       smaf_stats_str(&now, b, sizeof(b)));
}

static void track(FIXTURE_DATA(rfc) *self, int fd)
{
	if (fd >= 0 && self->ntracked < MAX_TRACKED)
		self->tracked[self->ntracked++] = fd;
}

static void untrack_close(FIXTURE_DATA(rfc) *self, int fd)
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

/* ---- the RFC test program's cases ---- */

TEST_F(rfc, unnamed_create)
{
	struct smaf_buffer_info bi;
	int fd = -1, ret;

	ret = smaf_create_buffer(LENGTH, FLAGS, NULL, &fd);
	ASSERT_EQ(0, ret) TH_LOG("NULL name: %s", strerror(-ret));
	ASSERT_LE(0, fd);
	track(self, fd);
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ((uint64_t)LENGTH, bi.size);
	EXPECT_STREQ("", (char *)bi.allocator);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	untrack_close(self, fd);

	fd = -1;
	ret = smaf_create_buffer(LENGTH, FLAGS, "", &fd);
	ASSERT_EQ(0, ret) TH_LOG("\"\" name: %s", strerror(-ret));
	ASSERT_LE(0, fd);
	track(self, fd);
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_STREQ("", (char *)bi.allocator);
	untrack_close(self, fd);
}

TEST_F(rfc, create_per_allocator)
{
	struct smaf_buffer_info bi;
	int count, i, fd, ret;
	char *name;

	count = smaf_allocator_count();
	ASSERT_LT(0, count) TH_LOG("smaf_allocator_count: %d", count);
	for (i = 0; i < count; i++) {
		name = smaf_get_allocator_name(i);
		ASSERT_TRUE(name != NULL)
			TH_LOG("index %d: %s", i, strerror(errno));
		EXPECT_LT(0U, strlen(name));
		fd = -1;
		ret = smaf_create_buffer(LENGTH, FLAGS, name, &fd);
		EXPECT_EQ(0, ret)
			TH_LOG("create naming \"%s\": %s", name,
			       strerror(-ret));
		if (ret == 0) {
			track(self, fd);
			EXPECT_EQ(0, smaf_buffer_info(fd, &bi));
			EXPECT_STREQ(name, (char *)bi.allocator);
			EXPECT_EQ(0U, bi.allocated);
			untrack_close(self, fd);
		}
		free(name);
	}
}

TEST_F(rfc, invalid_index)
{
	int count = smaf_allocator_count();
	char *name;

	ASSERT_LT(0, count);
	errno = 0;
	name = smaf_get_allocator_name(count);
	EXPECT_TRUE(name == NULL);
	EXPECT_EQ(EINVAL, errno);
	free(name);
	errno = 0;
	name = smaf_get_allocator_name(count + 100);
	EXPECT_TRUE(name == NULL);
	EXPECT_EQ(EINVAL, errno);
	free(name);
	errno = 0;
	name = smaf_get_allocator_name(-1);
	EXPECT_TRUE(name == NULL);
	EXPECT_EQ(EINVAL, errno);
	free(name);
}

TEST_F(rfc, unknown_name)
{
	char name[SMAF_NAME_LEN + 8];
	int fd = -1, ret;

	ret = smaf_create_buffer(LENGTH, FLAGS, "deadbeef", &fd);
	if (ret == 0)
		track(self, fd);
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(-1, fd);

	/* 63 characters: a valid but unknown name. */
	memset(name, 'a', SMAF_NAME_LEN - 1);
	name[SMAF_NAME_LEN - 1] = '\0';
	ret = smaf_create_buffer(LENGTH, FLAGS, name, &fd);
	if (ret == 0)
		track(self, fd);
	EXPECT_EQ(-ENOENT, ret);

	/* 64 and more: refused by the library itself. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, smaf_create_buffer(LENGTH, FLAGS, name, &fd));
	name[SMAF_NAME_LEN] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, smaf_create_buffer(LENGTH, FLAGS, name, &fd));
	EXPECT_EQ(-1, fd);
}

TEST_F(rfc, odd_size)
{
	const size_t len = LENGTH + 1, page = smaf_page_size();
	struct smaf_buffer_info bi;
	unsigned char *p;
	int fd = -1;

	ASSERT_EQ(0, smaf_create_buffer(len, FLAGS, NULL, &fd));
	track(self, fd);
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ((len + page - 1) / page * page, bi.size);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, p[len - 1]);
	p[0] = 1;
	p[len - 1] = 0xaa;
	EXPECT_EQ(0xaa, p[len - 1]);
	/* The rest of the last page belongs to the buffer too. */
	p[bi.size - 1] = 0x55;
	EXPECT_EQ(0x55, p[bi.size - 1]);
	munmap(p, len);
	untrack_close(self, fd);
}

TEST_F(rfc, secure_flag_round_trip)
{
	struct smaf_buffer_info bi;
	int fd = -1, ret;

	ASSERT_EQ(0, smaf_create_buffer(LENGTH, FLAGS, NULL, &fd));
	track(self, fd);
	EXPECT_EQ(0, smaf_get_secure(fd));
	ret = smaf_set_secure(fd, 1);
	if (ret == -ENODEV) {
		EXPECT_EQ(0, smaf_get_secure(fd));
		untrack_close(self, fd);
		if (!_metadata->passed)
			return;
		SKIP(return, "no secure module registered (ENODEV)");
	}
	ASSERT_EQ(0, ret) TH_LOG("smaf_set_secure: %s", strerror(-ret));
	EXPECT_EQ(1, smaf_get_secure(fd));
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ(1U, bi.secure);
	EXPECT_EQ(0, smaf_set_secure(fd, 0));
	EXPECT_EQ(0, smaf_get_secure(fd));
	EXPECT_EQ(0, smaf_set_secure(fd, 1));
	EXPECT_EQ(1, smaf_get_secure(fd));
	/* Values other than 0 and 1 are refused, not folded to 1. */
	EXPECT_EQ(-EINVAL, smaf_set_secure(fd, 2));
	EXPECT_EQ(-EINVAL, smaf_set_secure(fd, -1));
	EXPECT_EQ(1, smaf_get_secure(fd));
	untrack_close(self, fd);
}

TEST_F(rfc, mmap_plain_buffer)
{
	unsigned char *p;
	int fd = -1;
	size_t i;

	ASSERT_EQ(0, smaf_create_buffer(LENGTH, FLAGS, NULL, &fd));
	track(self, fd);
	p = mmap(NULL, LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < LENGTH; i++)
		if (p[i])
			break;
	EXPECT_EQ((size_t)LENGTH, i) TH_LOG("byte %zu not zeroed", i);
	for (i = 0; i < LENGTH; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i < LENGTH; i++)
		if (p[i] != (unsigned char)(i * 7 + 3))
			break;
	EXPECT_EQ((size_t)LENGTH, i);
	munmap(p, LENGTH);
	/* A second mapping sees what the first wrote. */
	p = mmap(NULL, LENGTH, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ((unsigned char)(100 * 7 + 3), p[100]);
	munmap(p, LENGTH);
	untrack_close(self, fd);
}

/*
 * Whether the registered secure module lets the CPU map secure buffers:
 * smaf-firewall only while its allow_cpu parameter is set; any other module
 * (smaf-secure-dummy, like the RFC's test module) allows everything.
 */
static bool secure_cpu_allowed(void)
{
	char v = 'N';
	FILE *f;

	if (!smaf_module_loaded("smaf_firewall"))
		return true;
	f = fopen("/sys/module/smaf_firewall/parameters/allow_cpu", "re");
	if (f) {
		if (fscanf(f, " %c", &v) != 1)
			v = 'N';
		fclose(f);
	}
	return v == 'Y' || v == 'y' || v == '1';
}

/*
 * The RFC's test secure module let the CPU map secure buffers (its OP-TEE
 * branch expected the mmap to fail): the mmap succeeds when the secure
 * module allows the CPU, else fails with EACCES and allocates nothing.
 */
TEST_F(rfc, mmap_secure_buffer)
{
	struct smaf_buffer_info bi;
	struct smaf_stats st;
	unsigned char *p;
	int fd = -1, ret;

	ASSERT_EQ(0, smaf_create_buffer(LENGTH, FLAGS, NULL, &fd));
	track(self, fd);
	ret = smaf_set_secure(fd, 1);
	if (ret == -ENODEV) {
		untrack_close(self, fd);
		SKIP(return, "no secure module registered (ENODEV)");
	}
	ASSERT_EQ(0, ret);
	p = mmap(NULL, LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!secure_cpu_allowed()) {
		TH_LOG("smaf-firewall with allow_cpu off: mmap must fail");
		EXPECT_TRUE(p == MAP_FAILED);
		EXPECT_EQ(EACCES, errno);
		if (p != MAP_FAILED)
			munmap(p, LENGTH);
		ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
		EXPECT_EQ(0U, bi.cpu_mappings);
		ASSERT_EQ(0, smaf_stats_read(&st));
		EXPECT_EQ(self->base.cpu_mappings, st.cpu_mappings);
		untrack_close(self, fd);
		return;
	}
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[LENGTH - 1]);
	p[0] = 0x11;
	p[LENGTH - 1] = 0x22;
	EXPECT_EQ(0x11, p[0]);
	EXPECT_EQ(0x22, p[LENGTH - 1]);
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ(1U, bi.allocated);
	EXPECT_EQ(1U, bi.secure);
	EXPECT_EQ(1U, bi.cpu_mappings);
	munmap(p, LENGTH);
	EXPECT_EQ(1, smaf_get_secure(fd));
	untrack_close(self, fd);
}

/* ---- the library's own contract ---- */

/* Errors are negative errno values, never -1 and never hidden. */
TEST_F(rfc, errors_are_negative_errno)
{
	struct smaf_buffer_info bi;
	int null_fd, closed, fd = -1;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	track(self, null_fd);
	closed = dup(null_fd);
	close(closed);

	EXPECT_EQ(-EBADF, smaf_get_secure(-1));
	EXPECT_EQ(-EBADF, smaf_get_secure(closed));
	EXPECT_EQ(-EINVAL, smaf_get_secure(null_fd));
	EXPECT_EQ(-EBADF, smaf_buffer_info(-1, &bi));
	EXPECT_EQ(-EINVAL, smaf_buffer_info(null_fd, &bi));
	EXPECT_EQ(-EINVAL, smaf_buffer_info(0, NULL));
	EXPECT_EQ(-EINVAL, smaf_create_buffer(0, FLAGS, NULL, &fd));
	EXPECT_EQ(-EINVAL, smaf_create_buffer(LENGTH, 0x1000, NULL, &fd));
	EXPECT_EQ(-EINVAL, smaf_create_buffer(LENGTH, FLAGS, NULL, NULL));
	EXPECT_EQ(-E2BIG, smaf_create_buffer64(5ULL << 30, FLAGS, NULL, &fd));
	EXPECT_EQ(-E2BIG, smaf_create_buffer64(UINT64_MAX, FLAGS, NULL, &fd));
	EXPECT_EQ(-E2BIG, smaf_create_buffer(0xffffffffu, FLAGS, NULL, &fd));
	EXPECT_EQ(-1, fd);
}

TEST_F(rfc, create_buffer64)
{
	struct smaf_buffer_info bi;
	int fd = -1;

	ASSERT_EQ(0, smaf_create_buffer64(1 << 20, SMAF_CLOEXEC, "smaf-cma",
					  &fd));
	track(self, fd);
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ(1ULL << 20, bi.size);
	EXPECT_STREQ("smaf-cma", (char *)bi.allocator);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	untrack_close(self, fd);
}

/* smaf_open() is counted: one /dev/smaf fd, closed by the last close. */
TEST_F(rfc, open_refcount)
{
	int base = smaf_count_fds(), fd = -1, i;

	/* The fixture holds one reference: the device fd is open. */
	EXPECT_EQ(self->nfds + 1, base);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, smaf_open());
	EXPECT_EQ(base, smaf_count_fds());
	for (i = 0; i < 5; i++)
		smaf_close();
	EXPECT_EQ(base, smaf_count_fds());
	EXPECT_EQ(0, smaf_create_buffer(LENGTH, FLAGS, NULL, &fd));
	track(self, fd);

	EXPECT_EQ(base + 1, smaf_count_fds());

	/* The last close closes the device; calls then fail with EBADF. */
	smaf_close();
	self->opened = 0;
	EXPECT_EQ(base, smaf_count_fds());
	EXPECT_EQ(-EBADF, smaf_create_buffer(LENGTH, FLAGS, NULL, &fd));
	EXPECT_EQ(-EBADF, smaf_allocator_count());
	EXPECT_EQ(-EBADF, smaf_get_secure(fd));
	errno = 0;
	EXPECT_TRUE(smaf_get_allocator_name(0) == NULL);
	EXPECT_EQ(EBADF, errno);
	/* Name length is checked before the device is needed. */
	EXPECT_EQ(-ENAMETOOLONG, smaf_create_buffer(LENGTH, FLAGS,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		&fd));
	/* An unbalanced close is harmless. */
	smaf_close();
	EXPECT_EQ(base, smaf_count_fds());
	/* The buffer outlives the device fd. */
	EXPECT_TRUE(smaf_fd_is_open(fd));

	ASSERT_EQ(0, smaf_open());
	self->opened = 1;
	EXPECT_EQ(base + 1, smaf_count_fds());
	EXPECT_EQ(0, smaf_get_secure(fd));
	untrack_close(self, fd);
}

#define THREADS		8
#define ITERATIONS	200

static void *worker(void *arg)
{
	long bad = 0;
	int i, fd, ret;

	(void)arg;
	for (i = 0; i < ITERATIONS; i++) {
		ret = smaf_open();
		if (ret) {
			bad++;
			continue;
		}
		fd = -1;
		ret = smaf_create_buffer(LENGTH, FLAGS, NULL, &fd);
		if (ret || fd < 0)
			bad++;
		else if (smaf_get_secure(fd) != 0)
			bad++;
		if (fd >= 0)
			close(fd);
		smaf_close();
	}
	return (void *)bad;
}

/* Threads open, create and close concurrently; nothing leaks. */
TEST_F(rfc, threads)
{
	pthread_t th[THREADS];
	void *bad;
	long total = 0;
	int i;

	/* Drop the fixture's reference so the device opens and closes. */
	smaf_close();
	self->opened = 0;
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker, NULL));
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], &bad));
		total += (long)bad;
	}
	EXPECT_EQ(0, total);
	EXPECT_EQ(self->nfds, smaf_count_fds());
}

TEST_HARNESS_MAIN
