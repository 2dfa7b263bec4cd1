// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile userspace against SMAF, where tests/test_uapi.c stops:
 *
 *  - faults on copy-in for every ioctl (NULL, unmapped, a struct running
 *    into an unmapped page, a longer struct whose tail is unmapped) and on
 *    copy-out for every ioctl that returns data, the CREATE one racing a
 *    thread that closes the fd number being reserved: no fd, attachment or
 *    buffer left behind;
 *  - fds of every other kind for every fd-taking ioctl (vgem's dma-buf and
 *    card, pipe, eventfd, socket, memfd, sync_file, O_PATH, directory) and
 *    a SMAF buffer re-exported by vgem;
 *  - ioctl numbers in the wrong direction, DMA_BUF_SET_NAME hostile names;
 *  - CPU mappings split, duplicated, forked, shrunk, moved and grown;
 *  - exhaustion: max_total_size reached with 1 MiB buffers (clean ENOMEM,
 *    the VM keeps working, all memory returns), buffers larger than RAM
 *    refused before any allocation, hostile parameter writes, fd limits;
 *  - SIGKILL during a 256 MiB allocation and during a device write;
 *  - an unprivileged user: no /dev/smaf, no policy or parameter change.
 *
 * Prints "# REPORT hostile_inputs=N" and "# REPORT faults_injected=N".
 * Needs root, smaf, smaf-cma, smaf-system, smaf-testdev, vgem.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"

#define KiB		1024ULL
#define MiB		(1024 * KiB)
#define BUF		(16 * KiB)
#define NOBODY		65534
#define SMAF_CMD(nr, size) \
	_IOC(_IOC_READ | _IOC_WRITE, SMAF_IOC_MAGIC, (nr), (size))

struct attack_report {
	uint64_t hostile, faults;
};
static struct attack_report *report;

static void hostile(unsigned int n)
{
	__atomic_add_fetch(&report->hostile, n, __ATOMIC_RELAXED);
}

static void faults(unsigned int n)
{
	__atomic_add_fetch(&report->faults, n, __ATOMIC_RELAXED);
	hostile(n);
}

/* Waits up to 3 s for the counters to equal @base (releases are prompt). */
static bool back_to(const struct smaf_stats *base, struct smaf_stats *now)
{
	uint64_t t0 = now_ms();

	do {
		if (smaf_stats_read(now))
			return false;
		if (smaf_stats_equal(base, now))
			return true;
		usleep(10000);
	} while (now_ms() - t0 < 3000);
	return false;
}

FIXTURE(atk) {
	int dev, td;
	size_t pg;
	int nfds;
	struct smaf_stats base;
};

FIXTURE_SETUP(atk)
{
	self->pg = smaf_page_size();
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
	self->nfds = smaf_count_fds();
}

FIXTURE_TEARDOWN(atk)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;
	int n;

	n = smaf_count_fds();
	if (n != self->nfds) {
		TH_LOG("fd leak: %d open, %d before", n, self->nfds);
		_metadata->passed = 0;
	}
	close(self->td);
	close(self->dev);
	if (back_to(&self->base, &now))
		return;
	TH_LOG("counters not back to baseline:\n  before %s\n  after  %s",
	       smaf_stats_str(&self->base, a, sizeof(a)),
	       smaf_stats_str(&now, b, sizeof(b)));
	_metadata->passed = 0;
}

static int create(int dev, uint64_t len, const char *name)
{
	int fd = -1, ret = smaf_raw_create(dev, len, SMAF_RDWR, name, &fd);

	return ret ? ret : fd;
}

/* @n pages, the last @none of them PROT_NONE. */
static uint8_t *pages(size_t pg, int n, int none)
{
	uint8_t *p = mmap(NULL, n * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (none && mprotect(p + (n - none) * pg, none * pg, PROT_NONE)) {
		munmap(p, n * pg);
		return NULL;
	}
	return p;
}

/* A valid argument of SMAF ioctl @nr naming buffer @fd, in @s. */
static size_t valid_arg(unsigned int nr, int fd, void *s)
{
	struct smaf_create_data *cd = s;
	struct smaf_secure_flag *sf = s;
	struct smaf_buffer_info *bi = s;
	struct smaf_consumer *c = s;

	memset(s, 0, 256);
	switch (nr) {
	case 0:
		cd->length = BUF;
		cd->flags = SMAF_RDWR;
		return sizeof(*cd);
	case 1:
	case 2:
		sf->fd = fd;
		sf->secure = nr == 2;
		return sizeof(*sf);
	case 3:
		return sizeof(struct smaf_info);
	case 4:
		bi->fd = fd;
		return sizeof(*bi);
	case 5:
		c->fd = fd;
		strcpy((char *)c->device, "platform:smaf-testdev.0");
		return sizeof(*c);
	default:
		return sizeof(struct smaf_allocator_info);
	}
}

static const char *const ioc_names[] = { "CREATE", "GET_SECURE_FLAG",
	"SET_SECURE_FLAG", "GET_INFO", "BUFFER_INFO", "ADD_CONSUMER",
	"ALLOCATOR_INFO" };

/*
 * Copy-in faults, for every ioctl: NULL, an unmapped page, the struct's
 * end in an unmapped page (at several cut points), and a longer struct
 * whose zero tail runs into an unmapped page. Nothing may happen: EFAULT,
 * no fd, no buffer, no flag, no consumer.
 */
TEST_F(atk, efault_copy_in_every_ioctl)
{
	unsigned char s[256];
	struct smaf_buffer_info bi;
	uint8_t *p;
	size_t len, cut;
	unsigned int nr;
	int fd, before;

	fd = create(self->dev, BUF, NULL);
	ASSERT_LE(0, fd);
	p = pages(self->pg, 2, 1);
	ASSERT_TRUE(p != NULL);
	before = smaf_count_fds();
	for (nr = 0; nr < 7; nr++) {
		len = valid_arg(nr, fd, s);
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_CMD(nr, len), NULL))
			TH_LOG("%s NULL", ioc_names[nr]);
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_CMD(nr, len),
					      p + self->pg))
			TH_LOG("%s unmapped", ioc_names[nr]);
		faults(2);
		for (cut = 1; cut < len; cut += len / 5) {
			memcpy(p + self->pg - cut, s, cut);
			EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev,
						      SMAF_CMD(nr, len),
						      p + self->pg - cut))
				TH_LOG("%s: %zu of %zu bytes readable",
				       ioc_names[nr], cut, len);
			faults(1);
		}
		/* Longer struct: the kernel reads its tail to check it is 0. */
		memset(p, 0, self->pg);
		memcpy(p + self->pg - len - 8, s, len);
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev,
					      SMAF_CMD(nr, len + 64),
					      p + self->pg - len - 8))
			TH_LOG("%s: tail unmapped", ioc_names[nr]);
		faults(1);
	}
	EXPECT_EQ(before, smaf_count_fds());
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0U, bi.secure);
	EXPECT_EQ(0U, bi.consumers);
	EXPECT_EQ(0U, bi.allocated);
	munmap(p, 2 * self->pg);
	close(fd);
}

/*
 * Copy-out faults (the struct on a read-only page) for the ioctls
 * test_uapi does not cover: EFAULT. For CREATE the struct is cut so that
 * the kernel's copy-back can write the fd field and then faults: the fd
 * number it wrote must not be open. smaf-testdev's ATTACH faulting on
 * copy-out leaves no attachment; its MAP leaves the handle mapped (its
 * UAPI says so) and UNMAP undoes it.
 */
TEST_F(atk, efault_copy_out_every_ioctl)
{
	unsigned char s[256];
	struct smaf_buffer_info bi;
	struct smaf_stats st;
	unsigned int nrs[] = { 1, 2, 5, 6 };
	struct smaf_create_data *cd;
	struct smaf_testdev_attach *ta;
	struct smaf_testdev_map *tm;
	uint32_t h;
	size_t len, i;
	uint8_t *p;
	int fd, before, ret, leaked;

	fd = create(self->dev, BUF, NULL);
	ASSERT_LE(0, fd);
	p = pages(self->pg, 2, 0);
	ASSERT_TRUE(p != NULL);
	before = smaf_count_fds();
	for (i = 0; i < 4; i++) {
		len = valid_arg(nrs[i], fd, s);
		ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ | PROT_WRITE));
		memcpy(p, s, len);
		ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ));
		ret = smaf_ioctl(self->dev, SMAF_CMD(nrs[i], len), p);
		EXPECT_EQ(-EFAULT, ret) TH_LOG("%s on a read-only page: %s",
					       ioc_names[nrs[i]], strerror(-ret));
		faults(1);
	}
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	TH_LOG("after a faulting SET_SECURE_FLAG and ADD_CONSUMER: secure=%u consumers=%u",
	       bi.secure, bi.consumers);

	/* CREATE: up to the fd field writable, the rest read-only. */
	ASSERT_EQ(0, mprotect(p, 2 * self->pg, PROT_READ | PROT_WRITE));
	cd = (struct smaf_create_data *)(p + self->pg -
		offsetof(struct smaf_create_data, reserved2));
	memset(p, 0, 2 * self->pg);
	cd->length = BUF;
	cd->flags = SMAF_RDWR;
	cd->fd = -1;
	ASSERT_EQ(0, mprotect(p + self->pg, self->pg, PROT_READ));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_CREATE, cd));
		faults(1);
		leaked = cd->fd >= 0 && cd->fd != fd && cd->fd != self->dev &&
			 cd->fd != self->td && smaf_fd_is_open(cd->fd);
		EXPECT_FALSE(leaked) TH_LOG("fd %d written back and open",
					    cd->fd);
		if (leaked)
			close(cd->fd);
	}
	TH_LOG("the partial copy-out wrote fd %d", cd->fd);
	EXPECT_EQ(before, smaf_count_fds());
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers + 1, st.buffers);

	/* smaf-testdev ATTACH and MAP. */
	ASSERT_EQ(0, mprotect(p, 2 * self->pg, PROT_READ | PROT_WRITE));
	ta = (struct smaf_testdev_attach *)p;
	memset(ta, 0, sizeof(*ta));
	ta->fd = fd;
	ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ));
	EXPECT_EQ(-EFAULT, smaf_ioctl(self->td, SMAF_TESTDEV_IOC_ATTACH, ta));
	faults(1);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(0U, bi.attachments) TH_LOG("a faulting ATTACH left an attachment");
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ | PROT_WRITE));
	tm = (struct smaf_testdev_map *)p;
	memset(tm, 0, sizeof(*tm));
	tm->handle = h;
	ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ));
	EXPECT_EQ(-EFAULT, smaf_ioctl(self->td, SMAF_TESTDEV_IOC_MAP, tm));
	faults(1);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_EQ(1U, bi.device_mappings);
	EXPECT_EQ(1U, bi.allocated);
	EXPECT_EQ(0, testdev_unmap_detach(self->td, h));
	munmap(p, 2 * self->pg);
	close(fd);
}

/* The ION pattern: a thread closes the fd number CREATE is reserving. */
struct closer {
	volatile int stop;
	int target;
	unsigned long closed_ok, tries;
};

static void *closer_fn(void *arg)
{
	struct closer *c = arg;

	while (!c->stop) {
		if (close(c->target) == 0)
			c->closed_ok++;
		c->tries++;
	}
	return NULL;
}

TEST_F(atk, efault_create_vs_close)
{
	struct smaf_create_data *cd;
	struct closer c;
	pthread_t th;
	uint8_t *p;
	int i, before, probe;

	p = pages(self->pg, 1, 0);
	ASSERT_TRUE(p != NULL);
	cd = (struct smaf_create_data *)p;
	memset(cd, 0, sizeof(*cd));
	cd->length = BUF;
	cd->flags = SMAF_RDWR;
	ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ));
	before = smaf_count_fds();
	/* The lowest free number: the one CREATE reserves. */
	probe = dup(self->dev);
	ASSERT_LE(0, probe);
	close(probe);
	memset(&c, 0, sizeof(c));
	c.target = probe;
	ASSERT_EQ(0, pthread_create(&th, NULL, closer_fn, &c));
	for (i = 0; i < 2000; i++) {
		EXPECT_EQ(-EFAULT, smaf_ioctl(self->dev, SMAF_IOC_CREATE, cd));
		if (!_metadata->passed)
			break;
	}
	c.stop = 1;
	pthread_join(th, NULL);
	faults(i);
	TH_LOG("%d faulting CREATEs against %lu closes of fd %d", i, c.tries,
	       probe);
	EXPECT_EQ(0UL, c.closed_ok)
		TH_LOG("fd %d was open: installed before the copy-out", probe);
	EXPECT_EQ(before, smaf_count_fds());
	munmap(p, self->pg);
}

/*
 * Files of every other kind where a SMAF buffer fd belongs: EINVAL for an
 * open file SMAF did not export, EBADF for an O_PATH fd (not an open file
 * for fget()). A SMAF buffer re-exported by vgem is the same buffer.
 */
TEST_F(atk, foreign_fds_every_ioctl)
{
	struct dma_buf_export_sync_file es = { .flags = DMA_BUF_SYNC_RW };
	unsigned int nrs[] = { 1, 2, 4, 5 };
	int fds[16], expect[16], n = 0, i, k, ret, drm, vbuf = -1;
	struct smaf_buffer_info b1, b2;
	int pipefd[2], sv[2], fd, refd = -1, own[16], nown = 0;
	const char *names[16];
	unsigned char s[256];
	uint32_t h;
	size_t len;

	drm = smaf_vgem_open();
	ASSERT_LE(0, drm) TH_LOG("vgem is needed");
	ASSERT_EQ(0, smaf_vgem_export(drm, BUF, NULL, &vbuf));
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, ioctl(vbuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es));
#define ADD(f, e, nm, mine) do { \
		fds[n] = (f); expect[n] = (e); names[n] = (nm); \
		ASSERT_LE(0, fds[n]) TH_LOG("%s", nm); \
		if (mine) \
			own[nown++] = fds[n]; \
		n++; \
	} while (0)
	ADD(vbuf, -EINVAL, "vgem dma-buf", 1);
	ADD(drm, -EINVAL, "vgem card", 1);
	ADD(self->td, -EINVAL, "smaf-testdev", 0);
	ADD(pipefd[0], -EINVAL, "pipe", 1);
	ADD(eventfd(0, EFD_CLOEXEC), -EINVAL, "eventfd", 1);
	ADD(sv[0], -EINVAL, "socket", 1);
	ADD((int)syscall(__NR_memfd_create, "smaf-attack", 0), -EINVAL,
	    "memfd", 1);
	ADD(open(SMAF_DEV_PATH, O_PATH | O_CLOEXEC), -EBADF, "O_PATH", 1);
	ADD(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), -EINVAL,
	    "directory", 1);
	ADD(es.fd, -EINVAL, "sync_file", 1);
#undef ADD
	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++) {
			len = valid_arg(nrs[k], fds[i], s);
			ret = smaf_ioctl(self->dev, SMAF_CMD(nrs[k], len), s);
			EXPECT_EQ(expect[i], ret)
				TH_LOG("%s with a %s fd: %s", ioc_names[nrs[k]],
				       names[i], strerror(-ret));
			hostile(1);
		}
	}

	/* A SMAF buffer vgem imported and exports again: the same buffer. */
	fd = create(self->dev, BUF, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smaf_vgem_import(drm, fd, &h));
	ASSERT_EQ(0, drm_prime_export(drm, h, &refd));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &b1));
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, refd, &b2));
	EXPECT_EQ(b1.id, b2.id) TH_LOG("vgem re-exported another buffer");
	EXPECT_EQ(1U, b2.allocated) TH_LOG("vgem's import maps the buffer");
	ret = smaf_raw_set_secure(self->dev, refd, 1);
	EXPECT_TRUE(ret == -EBUSY || ret == -ENODEV) TH_LOG("SET: %d", ret);
	close(refd);
	smaf_vgem_close_handle(drm, h);
	close(fd);
	for (i = 0; i < nown; i++)
		close(own[i]);
	close(pipefd[1]);
	close(sv[1]);
}

/* Known numbers in the wrong direction are unknown commands: ENOTTY. */
TEST_F(atk, wrong_direction)
{
	unsigned char s[256];
	unsigned int nr, d;
	size_t len;
	int fd;

	fd = create(self->dev, BUF, NULL);
	ASSERT_LE(0, fd);
	for (nr = 0; nr < 7; nr++) {
		len = valid_arg(nr, fd, s);
		for (d = 0; d < 3; d++) {
			EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev,
						      _IOC(d, SMAF_IOC_MAGIC, nr,
							   d ? len : 0), s))
				TH_LOG("%s with direction %u", ioc_names[nr], d);
			hostile(1);
		}
	}
	/* dma-buf commands on /dev/smaf, SMAF commands on a buffer. */
	EXPECT_EQ(-ENOTTY, smaf_ioctl(self->dev, DMA_BUF_IOCTL_SYNC, s));
	len = valid_arg(4, fd, s);
	EXPECT_EQ(-ENOTTY, smaf_ioctl(fd, SMAF_IOC_BUFFER_INFO, s));
	hostile(2);
	close(fd);
}

/* The line of debugfs smaf/buffers for buffer @id contains @what. */
static bool buffers_line_has(uint64_t id, const char *what)
{
	char line[1024], key[32];
	bool found = false;
	FILE *f;

	f = fopen("/sys/kernel/debug/smaf/buffers", "re");
	if (!f)
		return false;
	snprintf(key, sizeof(key), "id=%" PRIu64 " ", id);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && strstr(line, what))
			found = true;
	fclose(f);
	return found;
}

/* DMA_BUF_SET_NAME: shown in debugfs; too long or faulting: refused. */
TEST_F(atk, dmabuf_set_name)
{
	struct smaf_buffer_info bi;
	char name[64];
	int fd;

	fd = create(self->dev, BUF, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	EXPECT_TRUE(buffers_line_has(bi.id, " name=-"));
	ASSERT_EQ(0, smaf_ioctl(fd, DMA_BUF_SET_NAME, "attack-name"));
	EXPECT_TRUE(buffers_line_has(bi.id, " name=attack-name"));
	memset(name, 'x', sizeof(name));
	name[DMA_BUF_NAME_LEN] = 0;		/* 32 characters: too long */
	EXPECT_EQ(-EINVAL, smaf_ioctl(fd, DMA_BUF_SET_NAME, name));
	EXPECT_EQ(-EFAULT, smaf_ioctl(fd, DMA_BUF_SET_NAME, NULL));
	faults(1);
	hostile(2);
	EXPECT_TRUE(buffers_line_has(bi.id, " name=attack-name"));
	name[DMA_BUF_NAME_LEN - 1] = 0;		/* 31: fits */
	EXPECT_EQ(0, smaf_ioctl(fd, DMA_BUF_SET_NAME_B, name));
	EXPECT_TRUE(buffers_line_has(bi.id, name));
	close(fd);
}

static uint32_t cpu_maps(int dev, int fd)
{
	struct smaf_buffer_info bi;

	return smaf_raw_buffer_info(dev, fd, &bi) ? UINT32_MAX : bi.cpu_mappings;
}

/*
 * CPU mappings are counted per VMA: a hole splits one, a fork duplicates
 * them until the child exits. mremap: shrinking works; growing and
 * duplicating fail with EFAULT (a mapping cannot outgrow what mmap
 * checked); moving keeps the data and the count.
 */
TEST_F(atk, mapping_split_fork_mremap)
{
	size_t pg = self->pg;
	int fd, ready[2], status;
	uint8_t *p, *q, *t;
	pid_t pid;
	char c;

	fd = create(self->dev, 8 * pg, NULL);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	pattern_fill(p, 42, 0, 8 * pg);
	EXPECT_EQ(1U, cpu_maps(self->dev, fd));
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	EXPECT_EQ(2U, cpu_maps(self->dev, fd));

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(ready[0]);
		if (pattern_mismatch(p + 3 * pg, 42, 3 * pg, 5 * pg) != -1)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ(4U, cpu_maps(self->dev, fd)) TH_LOG("the child's VMAs count");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ready[0]);
	EXPECT_EQ(2U, cpu_maps(self->dev, fd));

	q = mremap(p + 3 * pg, 5 * pg, 6 * pg, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p + 3 * pg, 0, 2 * pg, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	hostile(2);
	q = mremap(p + 3 * pg, 5 * pg, 4 * pg, 0);
	ASSERT_EQ(p + 3 * pg, q);
	EXPECT_EQ(2U, cpu_maps(self->dev, fd));
	t = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);
	q = mremap(p + 3 * pg, 4 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	ASSERT_EQ(t, q);
	EXPECT_EQ(-1, pattern_mismatch(q, 42, 3 * pg, 4 * pg));
	EXPECT_EQ(2U, cpu_maps(self->dev, fd));
	munmap(q, 4 * pg);
	munmap(p, 2 * pg);
	EXPECT_EQ(0U, cpu_maps(self->dev, fd));

	/* PROT_EXEC: refused (EPERM) or an ordinary mapping; logged. */
	p = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	TH_LOG("PROT_EXEC mapping of a buffer: %s",
	       p == MAP_FAILED ? strerror(errno) : "allowed");
	if (p == MAP_FAILED) {
		EXPECT_EQ(EPERM, errno);
	} else {
		munmap(p, pg);
	}
	hostile(1);
	close(fd);
}

/*
 * A CPU mapping whose memory moves (the dma32 device attaches after the
 * CPU allocated smaf-system memory): SMAF zaps its page tables and the
 * pages fault back in from the new memory. Then unmapping, shrinking and
 * forking, with the first page faulted back in or not, must be clean.
 * (x86 PAT tracks a remap_pfn_range() that covers a whole VMA, VM_PAT,
 * and looks up its first page when the VMA is unmapped or copied:
 * untrack_pfn()/track_pfn_copy() WARN when that page is not mapped.)
 * One-page buffers are one scatterlist entry, so mmap() maps them with a
 * single remap_pfn_range() over the whole VMA.
 */
TEST_F(atk, mmap_migrate_then_unmap)
{
	struct smaf_buffer_info bi;
	size_t pg = self->pg;
	int fd, round, status;
	uint8_t *p;
	uint32_t h;
	pid_t pid;

	for (round = 0; round < 4; round++) {
		fd = create(self->dev, pg, NULL);
		ASSERT_LE(0, fd);
		p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		p[0] = 0x5a;
		ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
		TH_LOG("round %d: CPU allocated from %s", round,
		       (char *)bi.allocator);
		ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA32, &h));
		ASSERT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
		TH_LOG("round %d: after the dma32 attach: %s, %u migrations",
		       round, (char *)bi.allocator, bi.migrations);
		switch (round) {
		case 0:		/* unmapped without a touch */
			break;
		case 1:		/* touched first: the page faults back */
			EXPECT_EQ(0x5a, p[0]);
			break;
		case 2:		/* fork copies the VMA */
			pid = fork();
			ASSERT_LE(0, pid);
			if (!pid)
				_exit(p[0] == 0x5a ? 0 : 1);
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
			break;
		default:	/* the data moved with the memory */
			EXPECT_EQ(0x5a, p[0]);
			EXPECT_EQ(0, testdev_map(self->td, h,
						 SMAF_TESTDEV_BIDIRECTIONAL,
						 NULL, NULL));
			break;
		}
		EXPECT_EQ(0, munmap(p, pg));
		testdev_unmap_detach(self->td, h);
		close(fd);
		hostile(1);
	}
}

/* ------------------------------------------------------------------ */
/* Exhaustion */

static uint64_t alloc_failures(int dev)
{
	struct smaf_allocator_info ai;
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < 16; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.index = i;
		if (smaf_ioctl(dev, SMAF_IOC_ALLOCATOR_INFO, &ai))
			break;
		sum += ai.failures;
	}
	return sum;
}

static int param_write_raw(const char *name, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), SMAF_PARAM_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(limits) {
	int dev, td;
	struct smaf_stats base;
	uint64_t max_total, max_buffer;
};

FIXTURE_SETUP(limits)
{
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
	ASSERT_EQ(0, smaf_param_read("max_total_size", &self->max_total));
	ASSERT_EQ(0, smaf_param_read("max_buffer_size", &self->max_buffer));
}

FIXTURE_TEARDOWN(limits)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;

	EXPECT_EQ(0, smaf_param_write("max_total_size", self->max_total));
	EXPECT_EQ(0, smaf_param_write("max_buffer_size", self->max_buffer));
	close(self->td);
	close(self->dev);
	if (back_to(&self->base, &now))
		return;
	TH_LOG("counters not back to baseline:\n  before %s\n  after  %s",
	       smaf_stats_str(&self->base, a, sizeof(a)),
	       smaf_stats_str(&now, b, sizeof(b)));
	_metadata->passed = 0;
}

#define NBUF	40

/*
 * max_total_size of 16 MiB, 1 MiB buffers mapped until it is reached:
 * exactly 16, then ENOMEM from mmap, a device map and a SYNC start, each
 * refused before any allocator runs. The VM keeps working; freeing one
 * buffer lets another allocate; closing all gives every byte back.
 */
TEST_F_TIMEOUT(limits, allocate_until_total_limit, 300)
{
	uint64_t fail0 = alloc_failures(self->dev);
	int fds[NBUF], n, i, extra, ret;
	void *maps[NBUF], *p;
	struct smaf_stats st;
	size_t big = 64 * MiB;
	uint32_t h;
	char *m;

	ASSERT_EQ(0, smaf_param_write("max_total_size",
				      self->base.allocated_bytes + 16 * MiB));
	for (n = 0; n < NBUF; n++) {
		fds[n] = create(self->dev, MiB, NULL);
		ASSERT_LE(0, fds[n]);
		ret = dmabuf_mmap(fds[n], MiB, 0, true, &maps[n]);
		if (ret) {
			EXPECT_EQ(-ENOMEM, ret);
			close(fds[n]);
			break;
		}
		memset(maps[n], n, MiB);
	}
	hostile(1);
	EXPECT_EQ(16, n) TH_LOG("%d buffers of 1 MiB under a 16 MiB limit", n);
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.allocated_bytes + 16 * MiB, st.allocated_bytes);

	extra = create(self->dev, MiB, NULL);
	ASSERT_LE(0, extra);
	ASSERT_EQ(0, testdev_attach(self->td, extra, SMAF_TESTDEV_DMA64, &h));
	EXPECT_EQ(-ENOMEM, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
				       NULL, NULL));
	EXPECT_EQ(-ENOMEM, dmabuf_sync_start(extra));
	hostile(2);
	EXPECT_EQ(fail0, alloc_failures(self->dev))
		TH_LOG("an allocator ran although the limit was reached");

	/* The rest of the system still allocates. */
	m = mmap(NULL, big, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 1, big);
	munmap(m, big);

	/* One freed, one more fits; the others kept their bytes. */
	munmap(maps[0], MiB);
	close(fds[0]);
	EXPECT_EQ(0, testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL,
				 NULL));
	EXPECT_EQ(0, testdev_unmap_detach(self->td, h));
	for (i = 1; i < n; i++) {
		EXPECT_EQ(i & 0xff, ((uint8_t *)maps[i])[MiB - 1]);
		munmap(maps[i], MiB);
		close(fds[i]);
	}
	p = NULL;
	ret = dmabuf_mmap(extra, MiB, 0, true, &p);
	EXPECT_EQ(0, ret);
	if (!ret)
		munmap(p, MiB);
	close(extra);
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.allocated_bytes, st.allocated_bytes);
	EXPECT_EQ(self->base.allocated_buffers, st.allocated_buffers);
}

/*
 * A buffer larger than the VM's RAM is accepted at creation (no memory
 * yet) and refused with ENOMEM at first use by max_total_size, before any
 * allocator is asked: nothing comes near an out-of-memory condition.
 */
TEST_F(limits, larger_than_ram_refused_first)
{
	uint64_t fail0 = alloc_failures(self->dev);
	const uint64_t huge = 8ULL << 30;
	void *p;
	int fd;

	ASSERT_EQ(0, smaf_param_write("max_buffer_size", huge));
	ASSERT_EQ(0, smaf_param_write("max_total_size",
				      self->base.allocated_bytes + 64 * MiB));
	fd = create(self->dev, huge, NULL);
	ASSERT_LE(0, fd) TH_LOG("create 8 GiB: %s", strerror(-fd));
	EXPECT_EQ(-ENOMEM, dmabuf_mmap(fd, MiB, 0, false, &p));
	EXPECT_EQ(-ENOMEM, dmabuf_sync_start(fd));
	hostile(3);
	EXPECT_EQ(fail0, alloc_failures(self->dev));
	close(fd);
	ASSERT_EQ(0, smaf_param_write("max_buffer_size", self->max_buffer));
	EXPECT_EQ(-E2BIG, create(self->dev, huge, NULL));
}

/* Garbage written to the limits: refused, values unchanged. */
TEST_F(limits, hostile_parameter_writes)
{
	static const char *const vals[] = {
		"abc", "-1", "\n", "18446744073709551616", "0x",
		"1 2", "99999999999999999999999",
	};
	const char *params[] = { "max_total_size", "max_buffer_size" };
	uint64_t before, after;
	size_t i, k;
	int ret;

	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, smaf_param_read(params[k], &before));
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			ret = param_write_raw(params[k], vals[i]);
			EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE)
				TH_LOG("%s <- \"%s\": %s", params[k], vals[i],
				       ret ? strerror(-ret) : "accepted");
			ASSERT_EQ(0, smaf_param_read(params[k], &after));
			EXPECT_EQ(before, after) TH_LOG("%s <- \"%s\"",
							params[k], vals[i]);
			hostile(1);
		}
	}
}

/*
 * RLIMIT_NOFILE: buffers created until EMFILE are all counted and all go
 * back; with no fd left at all, CREATE fails with EMFILE and leaves no
 * buffer.
 */
TEST_F(limits, fd_limit)
{
	struct rlimit old, lim;
	struct smaf_stats st;
	int fds[64], n, ret = 0, status;
	pid_t pid;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = 48;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	for (n = 0; n < 64; n++) {
		ret = create(self->dev, BUF, NULL);
		if (ret < 0)
			break;
		fds[n] = ret;
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(-EMFILE, ret);
	hostile(1);
	ASSERT_EQ(0, smaf_stats_read(&st));
	EXPECT_EQ(self->base.buffers + n, st.buffers);
	while (n--)
		close(fds[n]);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct smaf_create_data cd;

		lim.rlim_cur = 0;
		if (setrlimit(RLIMIT_NOFILE, &lim))
			_exit(10);
		memset(&cd, 0, sizeof(cd));
		cd.length = BUF;
		cd.flags = SMAF_RDWR;
		if (ioctl(self->dev, SMAF_IOC_CREATE, &cd) == 0)
			_exit(11);
		_exit(errno == EMFILE ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child with RLIMIT_NOFILE 0: status %#x", status);
	hostile(1);
}

/* ------------------------------------------------------------------ */
/* SIGKILL in the middle of big work */

/*
 * A child creates a 256 MiB buffer and maps it (the whole allocation and
 * zeroing happen in that mmap), and is killed after 0 to 200 ms; the last
 * round kills it once mapped. Every round: the child dies of the SIGKILL
 * and every byte goes back.
 */
TEST_F_TIMEOUT(limits, sigkill_during_allocation, 600)
{
	static const unsigned int delay_ms[] = { 0, 2, 5, 10, 20, 50, 100, 200 };
	const unsigned int rounds = sizeof(delay_ms) / sizeof(delay_ms[0]) + 1;
	uint64_t fail0 = alloc_failures(self->dev);
	const uint64_t size = 256 * MiB;
	unsigned int i, finished = 0;
	char s[SMAF_STATS_STRLEN];
	struct smaf_stats st;
	int ready[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, smaf_param_write("max_buffer_size", size));
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = create(self->dev, size, NULL);
			void *p;

			close(ready[0]);
			if (fd < 0)
				_exit(1);
			if (write(ready[1], "c", 1) != 1)
				_exit(2);
			if (dmabuf_mmap(fd, size, 0, true, &p))
				_exit(3);
			if (write(ready[1], "m", 1) != 1)
				_exit(4);
			pause();
			_exit(0);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		if (i < rounds - 1)
			usleep(delay_ms[i] * 1000);
		else
			ASSERT_EQ(1, read(ready[0], &c, 1));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (i == rounds - 1 || read(ready[0], &c, 1) == 1)
			finished++;
		close(ready[0]);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %u: status %#x", i, status);
		faults(1);
		EXPECT_TRUE(back_to(&self->base, &st))
			TH_LOG("round %u: %s", i,
			       smaf_stats_str(&st, s, sizeof(s)));
	}
	TH_LOG("%u children killed, %u after their mapping was done, %llu allocations interrupted",
	       rounds, finished,
	       (unsigned long long)(alloc_failures(self->dev) - fail0));
}

/* A device writing 64 MiB, its process killed part-way. */
TEST_F_TIMEOUT(limits, sigkill_during_device_write, 600)
{
	const uint64_t size = 64 * MiB;
	char s[SMAF_STATS_STRLEN];
	struct smaf_stats st;
	int ready[2], status, round;
	pid_t pid;
	char c;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = create(self->dev, size, NULL);
			int td = testdev_open();
			uint32_t h;

			close(ready[0]);
			if (fd < 0 || td < 0)
				_exit(1);
			if (testdev_attach_map(td, fd, SMAF_TESTDEV_DMA64, &h,
					       NULL))
				_exit(2);
			if (write(ready[1], "m", 1) != 1)
				_exit(3);
			testdev_write(td, h, 1, 0, size);
			_exit(0);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		usleep((1 + round * 20) * 1000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		close(ready[0]);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: status %#x (the write finished first?)",
			       round, status);
		faults(1);
		EXPECT_TRUE(back_to(&self->base, &st))
			TH_LOG("round %d: %s", round,
			       smaf_stats_str(&st, s, sizeof(s)));
	}
}

/* ------------------------------------------------------------------ */
/* Permissions */

/*
 * As uid/gid 65534 with no supplementary groups and no capabilities:
 * /dev/smaf cannot be opened; the constraint table and SMAF's parameters
 * can be read, not written; debugfs is closed; modules cannot be unloaded
 * or loaded. The child's exit status names the step that failed.
 */
static int unprivileged_child(const char *ko)
{
	static const char *const files[] = {
		"/sys/class/misc/smaf/constraints",
		SMAF_PARAM_DIR "/max_buffer_size",
		SMAF_PARAM_DIR "/max_total_size",
	};
	int kofd, fd;
	size_t i;

	kofd = ko[0] ? open(ko, O_RDONLY | O_CLOEXEC) : -1;
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	if (getuid() != NOBODY || geteuid() != NOBODY)
		return 11;
	fd = open(SMAF_DEV_PATH, O_RDWR);
	if (fd >= 0 || errno != EACCES)
		return 20;
	fd = open(SMAF_DEV_PATH, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 21;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fd = open(files[i], O_WRONLY);
		if (fd >= 0 || errno != EACCES)
			return 30 + i;
		fd = open(files[i], O_RDONLY);
		if (fd < 0)
			return 40 + i;
		close(fd);
	}
	fd = open(SMAF_STATS_PATH, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 50;
	if (syscall(__NR_delete_module, "smaf_cma", O_NONBLOCK) == 0 ||
	    errno != EPERM)
		return 60;
	if (kofd >= 0 && (syscall(__NR_finit_module, kofd, "", 0) == 0 ||
			  errno != EPERM))
		return 61;
	return 0;
}

TEST(unprivileged_user)
{
	const char *files[] = { "/sys/class/misc/smaf/constraints",
				SMAF_PARAM_DIR "/max_buffer_size",
				SMAF_PARAM_DIR "/max_total_size" };
	struct stat st;
	char ko[512];
	int status, i;
	pid_t pid;

	ASSERT_EQ(0, stat(SMAF_DEV_PATH, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat(files[i], &st)) TH_LOG("%s", files[i]);
		EXPECT_EQ(0, st.st_mode & 0022)
			TH_LOG("%s is %o", files[i], st.st_mode & 07777);
	}
	if (module_find("smaf-cma", ko, sizeof(ko)))
		ko[0] = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_child(ko));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d failed (20s: /dev/smaf, 30s: write, 40s: read, 50: debugfs, 60s: modules)",
		       WEXITSTATUS(status));
	hostile(11);
	EXPECT_TRUE(smaf_module_loaded("smaf_cma"));
}

static void print_report(void)
{
	if (!report)
		return;
	printf("# REPORT hostile_inputs=%" PRIu64 "\n", report->hostile);
	printf("# REPORT faults_injected=%" PRIu64 "\n", report->faults);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		return 1;
	atexit(print_report);
	return test_harness_run(argc, argv);
}
