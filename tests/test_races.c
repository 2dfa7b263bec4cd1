// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime races, each run for a bounded time (--seconds N, default 2):
 * two threads meet at a barrier, then do the two conflicting things at
 * once, over and over. Each race checks the results its threads may get,
 * its invariant, and that SMAF's counters are back to where they started.
 *
 *  close_vs_use		close(fd) against mmap / attach+map / ioctls
 *  two_first_maps		two first users at once: one allocation
 *  detach_vs_release		the last fd closed while a device detaches
 *  secure_flag_vs_first_map	SET_SECURE_FLAG against the first map
 *  unload_vs_create (system, cma)	rmmod/insmod of an allocator module
 *				against creating and mapping buffers
 *  secure_unload_vs_set	rmmod/insmod of the secure module against
 *				SET_SECURE_FLAG and mapping
 *
 * Prints "# REPORT races_run=N" (races that ran) for the VM harness.
 * Needs root, smaf, smaf-cma, smaf-system, smaf-testdev and
 * smaf-secure-dummy loaded; SMAF_MODULE_DIR to find .ko files to reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"

#define KiB		1024ULL
#define BUF		(64 * KiB)

static unsigned int race_seconds = 2;

struct race_report {
	uint64_t races, iterations;
};
static struct race_report *report;

struct rctx {
	int dev, td;
	struct smaf_stats base;
};

static void rctx_setup(struct __test_metadata *_metadata, struct rctx *self)
{
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev);
	self->td = testdev_open();
	ASSERT_LE(0, self->td);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
}

static void rctx_teardown(struct __test_metadata *_metadata,
			  struct rctx *self)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;
	uint64_t t0 = now_ms();

	close(self->td);
	close(self->dev);
	/* Releases run when the threads return to userspace: no wait. */
	do {
		if (smaf_stats_read(&now))
			break;
		if (smaf_stats_equal(&self->base, &now))
			return;
		usleep(10000);
	} while (now_ms() - t0 < 2000);
	TH_LOG("counters not back to baseline:\n  before %s\n  after  %s",
	       smaf_stats_str(&self->base, a, sizeof(a)),
	       smaf_stats_str(&now, b, sizeof(b)));
	_metadata->passed = 0;
}

FIXTURE(race) {
	struct rctx c;
};

FIXTURE_SETUP(race)
{
	rctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(race)
{
	rctx_teardown(_metadata, &self->c);
}

static int create(int dev, uint64_t len, const char *name)
{
	int fd = -1, ret = smaf_raw_create(dev, len, SMAF_RDWR, name, &fd);

	return ret ? ret : fd;
}

static void count_race(uint64_t iters)
{
	__atomic_add_fetch(&report->races, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&report->iterations, iters, __ATOMIC_RELAXED);
}

/* Spin a little, so that either side may win. */
static void jitter(unsigned int n)
{
	volatile unsigned int i;

	for (i = 0; i < n; i++)
		;
}

/* ------------------------------------------------------------------ */
/* close against use */

struct cvu {
	pthread_barrier_t bar;
	volatile int stop;
	int fd, dev, td;
	unsigned int iter;
	int bad;
	char why[200];
	unsigned long won, lost;
};

static void cvu_bad(struct cvu *c, const char *what, int err)
{
	if (!c->bad)
		snprintf(c->why, sizeof(c->why), "iteration %u: %s: %s",
			 c->iter, what, strerror(err));
	c->bad = 1;
}

/* Every use either works completely or fails with EBADF. */
static void *cvu_user(void *arg)
{
	struct cvu *c = arg;
	struct smaf_buffer_info bi;
	uint64_t sum;
	uint32_t h;
	void *p;
	int ret;

	for (;;) {
		pthread_barrier_wait(&c->bar);
		if (c->stop)
			break;
		switch (c->iter % 4) {
		case 0:
			p = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_SHARED,
				 c->fd, 0);
			ret = p == MAP_FAILED ? -errno : 0;
			if (!ret) {
				((volatile uint8_t *)p)[BUF - 1] = 7;
				munmap(p, BUF);
			}
			break;
		case 1:
			ret = testdev_attach(c->td, c->fd, SMAF_TESTDEV_DMA64, &h);
			if (ret)
				break;
			/* Attached: the buffer lives whatever the fd does. */
			ret = testdev_map(c->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
					  NULL, NULL);
			if (!ret)
				ret = testdev_write(c->td, h, c->iter, 0, 4096);
			if (!ret)
				ret = testdev_checksum(c->td, h, 0, 4096, &sum);
			if (!ret && sum != cksum_pattern(c->iter, 0, 4096))
				cvu_bad(c, "checksum after write", EIO);
			if (ret)
				cvu_bad(c, "map/write/checksum after attach", -ret);
			testdev_unmap_detach(c->td, h);
			ret = 0;
			break;
		case 2:
			ret = smaf_raw_buffer_info(c->dev, c->fd, &bi);
			if (!ret && bi.size != BUF)
				cvu_bad(c, "BUFFER_INFO size", EINVAL);
			if (!ret)
				ret = smaf_raw_set_secure(c->dev, c->fd, 1);
			if (ret == -EBUSY || ret == -ENODEV)
				ret = 0;
			break;
		default:
			ret = dmabuf_sync_start(c->fd);
			if (!ret)
				ret = dmabuf_sync_end(c->fd);
			break;
		}
		if (ret == 0)
			c->won++;
		else if (ret == -EBADF)
			c->lost++;
		else
			cvu_bad(c, "use racing close", -ret);
		pthread_barrier_wait(&c->bar);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, close_vs_use, 300)
{
	struct cvu c;
	pthread_t th;
	uint64_t end = now_ms() + race_seconds * 1000ULL;

	memset(&c, 0, sizeof(c));
	c.dev = self->c.dev;
	c.td = self->c.td;
	ASSERT_EQ(0, pthread_barrier_init(&c.bar, NULL, 2));
	ASSERT_EQ(0, pthread_create(&th, NULL, cvu_user, &c));
	for (c.iter = 0; now_ms() < end && !c.bad; c.iter++) {
		c.fd = create(self->c.dev, BUF, NULL);
		if (c.fd < 0) {
			cvu_bad(&c, "create", -c.fd);
			break;
		}
		pthread_barrier_wait(&c.bar);
		jitter(c.iter * 7919 % 20000);
		close(c.fd);
		pthread_barrier_wait(&c.bar);
	}
	c.stop = 1;
	pthread_barrier_wait(&c.bar);
	pthread_join(th, NULL);
	TH_LOG("%u iterations: the use won %lu times, the close %lu", c.iter,
	       c.won, c.lost);
	EXPECT_EQ(0, c.bad) TH_LOG("%s", c.why);
	count_race(c.iter);
}

/* ------------------------------------------------------------------ */
/* two first users at once */

enum first_use { FU_DMA64, FU_DMA64B, FU_MMAP, FU_SYNC, FU_COUNT };
static const char *const fu_names[] = { "map dma64", "map dma64b", "mmap",
					"sync" };

struct fu {
	pthread_barrier_t *bar;
	volatile int *stop;
	int fd, td;
	enum first_use use;
	int ret;
	uint32_t h;
	void *p;
};

static void *fu_thread(void *arg)
{
	struct fu *f = arg;
	unsigned int dev;

	for (;;) {
		pthread_barrier_wait(f->bar);
		if (*f->stop)
			break;
		f->h = 0;
		f->p = NULL;
		f->ret = 0;
		if (f->use == FU_DMA64 || f->use == FU_DMA64B) {
			dev = f->use == FU_DMA64 ? SMAF_TESTDEV_DMA64 :
			      SMAF_TESTDEV_DMA64B;
			f->ret = testdev_attach(f->td, f->fd, dev, &f->h);
		}
		pthread_barrier_wait(f->bar);
		switch (f->use) {
		case FU_MMAP:
			f->ret = dmabuf_mmap(f->fd, BUF, 0, true, &f->p);
			break;
		case FU_SYNC:
			f->ret = dmabuf_sync_start(f->fd);
			if (!f->ret)
				f->ret = dmabuf_sync_end(f->fd);
			break;
		default:
			if (!f->ret)
				f->ret = testdev_map(f->td, f->h,
						     SMAF_TESTDEV_BIDIRECTIONAL,
						     NULL, NULL);
			break;
		}
		pthread_barrier_wait(f->bar);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, two_first_maps, 300)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	char s[SMAF_STATS_STRLEN];
	struct smaf_buffer_info bi;
	pthread_barrier_t bar;
	volatile int stop = 0;
	struct smaf_stats st;
	struct fu f[2];
	pthread_t th[2];
	unsigned int iter, i;

	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 3));
	for (i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].bar = &bar;
		f[i].stop = &stop;
		f[i].td = testdev_open();
		ASSERT_LE(0, f[i].td);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fu_thread, &f[i]));
	}
	for (iter = 0; now_ms() < end && _metadata->passed; iter++) {
		int fd = create(self->c.dev, BUF, NULL);

		ASSERT_LE(0, fd);
		for (i = 0; i < 2; i++) {
			f[i].fd = fd;
			f[i].use = (iter / (i ? FU_COUNT : 1)) % FU_COUNT;
		}
		pthread_barrier_wait(&bar);	/* attach */
		pthread_barrier_wait(&bar);	/* go */
		pthread_barrier_wait(&bar);	/* done */
		for (i = 0; i < 2; i++) {
			int r = f[i].ret;
			const char *what = fu_names[f[i].use];

			EXPECT_EQ(0, r) TH_LOG("iteration %u: %s: %s", iter,
					       what, strerror(-r));
		}
		ASSERT_EQ(0, smaf_raw_buffer_info(self->c.dev, fd, &bi));
		EXPECT_EQ(1U, bi.allocated);
		ASSERT_EQ(0, smaf_stats_read(&st));
		EXPECT_EQ(self->c.base.allocated_buffers + 1, st.allocated_buffers)
			TH_LOG("iteration %u (%s + %s): %s", iter,
			       fu_names[f[0].use], fu_names[f[1].use],
			       smaf_stats_str(&st, s, sizeof(s)));
		EXPECT_EQ(self->c.base.allocated_bytes + BUF, st.allocated_bytes)
			TH_LOG("iteration %u: allocated twice? %s", iter,
			       smaf_stats_str(&st, s, sizeof(s)));
		for (i = 0; i < 2; i++) {
			if (f[i].p)
				munmap(f[i].p, BUF);
			if (f[i].h)
				testdev_unmap_detach(f[i].td, f[i].h);
		}
		close(fd);
	}
	stop = 1;
	pthread_barrier_wait(&bar);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		close(f[i].td);
	}
	TH_LOG("%u iterations", iter);
	count_race(iter);
}

/* ------------------------------------------------------------------ */
/* detach against release */

struct dvr {
	pthread_barrier_t bar;
	volatile int stop;
	int fd, td;
	unsigned int iter;
	int ret;
};

static void *dvr_thread(void *arg)
{
	struct dvr *d = arg;
	uint32_t h = 0;

	for (;;) {
		pthread_barrier_wait(&d->bar);
		if (d->stop)
			break;
		d->ret = testdev_attach_map(d->td, d->fd, d->iter % 3 ?
					    SMAF_TESTDEV_DMA64 :
					    SMAF_TESTDEV_DMA32, &h, NULL);
		if (!d->ret)
			d->ret = testdev_write(d->td, h, d->iter, 0, 256);
		pthread_barrier_wait(&d->bar);
		/* The main thread closes the last fd now. */
		if (d->iter % 2) {
			if (!d->ret)
				d->ret = testdev_unmap_detach(d->td, h);
		} else {
			/* Closing the file detaches everything it holds. */
			close(d->td);
			d->td = testdev_open();
			if (d->td < 0)
				d->ret = d->td;
		}
		pthread_barrier_wait(&d->bar);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, detach_vs_release, 300)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	char s[SMAF_STATS_STRLEN];
	struct smaf_stats st;
	struct dvr d;
	pthread_t th;

	memset(&d, 0, sizeof(d));
	d.td = testdev_open();
	ASSERT_LE(0, d.td);
	ASSERT_EQ(0, pthread_barrier_init(&d.bar, NULL, 2));
	ASSERT_EQ(0, pthread_create(&th, NULL, dvr_thread, &d));
	for (d.iter = 0; now_ms() < end && _metadata->passed; d.iter++) {
		d.fd = create(self->c.dev, BUF, NULL);
		ASSERT_LE(0, d.fd);
		pthread_barrier_wait(&d.bar);	/* attach, map, write */
		pthread_barrier_wait(&d.bar);
		jitter(d.iter * 104729 % 30000);
		close(d.fd);
		pthread_barrier_wait(&d.bar);	/* both done */
		EXPECT_EQ(0, d.ret) TH_LOG("iteration %u: %s", d.iter,
					   strerror(-d.ret));
		ASSERT_EQ(0, smaf_stats_read(&st));
		EXPECT_TRUE(smaf_stats_equal(&self->c.base, &st))
			TH_LOG("iteration %u: released? %s", d.iter,
			       smaf_stats_str(&st, s, sizeof(s)));
	}
	d.stop = 1;
	pthread_barrier_wait(&d.bar);
	pthread_join(th, NULL);
	close(d.td);
	TH_LOG("%u iterations", d.iter);
	count_race(d.iter);
}

/* ------------------------------------------------------------------ */
/* a migration's zap against munmap/mremap of the same buffer's mappings */

struct mvu {
	pthread_barrier_t bar;
	volatile int stop;
	uint8_t *p;
	size_t len;
	unsigned int iter;
	int ret;
};

static void *mvu_thread(void *arg)
{
	struct mvu *m = arg;
	size_t pg = smaf_page_size();
	void *q;

	for (;;) {
		pthread_barrier_wait(&m->bar);
		if (m->stop)
			break;
		jitter(m->iter * 3571 % 20000);
		m->ret = 0;
		switch (m->iter % 3) {
		case 0:		/* split: a hole in the middle */
			m->ret = munmap(m->p + pg, pg) ? -errno : 0;
			break;
		case 1:		/* shrink */
			q = mremap(m->p, m->len, m->len - pg, 0);
			m->ret = q == MAP_FAILED ? -errno : 0;
			break;
		default:	/* a touch, faulting the page back in */
			m->ret = m->p[m->len - 1] == 0x5a ? 0 : -EIO;
			break;
		}
		pthread_barrier_wait(&m->bar);
	}
	return NULL;
}

/*
 * The dma32 device attaching to a buffer the CPU allocated from
 * smaf-system moves it to smaf-cma memory, zapping every CPU mapping,
 * while another thread splits, shrinks or touches one of those mappings.
 * The data follows; unmapping stays clean (6.1's zap clears VM_PAT of a
 * remap_pfn_range() mapping without the mmap lock: a VMA split at that
 * moment keeps VM_PAT with no page tables, and unmapping it WARNs in
 * untrack_pfn()).
 */
TEST_F_TIMEOUT(race, migrate_vs_unmap, 300)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	const size_t len = 64 * KiB;
	unsigned long moved = 0;
	struct smaf_buffer_info bi;
	struct mvu m;
	pthread_t th;
	uint32_t h;
	int fd, ret;

	memset(&m, 0, sizeof(m));
	m.len = len;
	ASSERT_EQ(0, pthread_barrier_init(&m.bar, NULL, 2));
	ASSERT_EQ(0, pthread_create(&th, NULL, mvu_thread, &m));
	for (m.iter = 0; now_ms() < end && _metadata->passed; m.iter++) {
		fd = create(self->c.dev, len, NULL);
		ASSERT_LE(0, fd);
		m.p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, m.p);
		memset(m.p, 0x5a, len);
		pthread_barrier_wait(&m.bar);
		ret = testdev_attach(self->c.td, fd, SMAF_TESTDEV_DMA32, &h);
		pthread_barrier_wait(&m.bar);
		EXPECT_EQ(0, ret) TH_LOG("iteration %u: attach: %s", m.iter,
					 strerror(-ret));
		EXPECT_EQ(0, m.ret) TH_LOG("iteration %u: %s", m.iter,
					   strerror(-m.ret));
		EXPECT_EQ(0x5a, m.p[0]);
		ASSERT_EQ(0, smaf_raw_buffer_info(self->c.dev, fd, &bi));
		moved += bi.migrations;
		if (!ret)
			testdev_detach(self->c.td, h);
		munmap(m.p, len);
		close(fd);
	}
	m.stop = 1;
	pthread_barrier_wait(&m.bar);
	pthread_join(th, NULL);
	TH_LOG("%u iterations, %lu migrations", m.iter, moved);
	count_race(m.iter);
}

/* ------------------------------------------------------------------ */
/* SET_SECURE_FLAG against the first map */

static bool secure_capable(int dev, const char *name)
{
	struct smaf_allocator_info ai;
	uint32_t i;

	for (i = 0; i < 16; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.index = i;
		if (smaf_ioctl(dev, SMAF_IOC_ALLOCATOR_INFO, &ai))
			return false;
		if (!strncmp((char *)ai.name, name, SMAF_NAME_LEN))
			return ai.caps & SMAF_CAP_SECURE;
	}
	return false;
}

struct svm {
	pthread_barrier_t bar;
	volatile int stop;
	int fd, dev, set_ret;
	unsigned int iter;
};

static void *svm_thread(void *arg)
{
	struct svm *s = arg;

	for (;;) {
		pthread_barrier_wait(&s->bar);
		if (s->stop)
			break;
		pthread_barrier_wait(&s->bar);
		s->set_ret = smaf_raw_set_secure(s->dev, s->fd, 1);
		pthread_barrier_wait(&s->bar);
	}
	return NULL;
}

/*
 * Either the flag came first (the memory is secure and from a
 * secure-capable allocator) or the allocation did (SET fails with EBUSY
 * and the buffer is not secure); never secure on other memory.
 */
TEST_F_TIMEOUT(race, secure_flag_vs_first_map, 300)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	unsigned long flag_first = 0, map_first = 0;
	struct smaf_buffer_info bi;
	int fd, map_ret, probe;
	struct svm s;
	pthread_t th;
	uint32_t h = 0;
	void *p = NULL;

	probe = create(self->c.dev, BUF, NULL);
	ASSERT_LE(0, probe);
	if (smaf_raw_set_secure(self->c.dev, probe, 1) == -ENODEV) {
		close(probe);
		SKIP(return, "no secure module registered");
	}
	close(probe);
	memset(&s, 0, sizeof(s));
	s.dev = self->c.dev;
	ASSERT_EQ(0, pthread_barrier_init(&s.bar, NULL, 2));
	ASSERT_EQ(0, pthread_create(&th, NULL, svm_thread, &s));
	for (s.iter = 0; now_ms() < end && _metadata->passed; s.iter++) {
		fd = create(self->c.dev, BUF, NULL);
		ASSERT_LE(0, fd);
		s.fd = fd;
		if (s.iter % 2)
			ASSERT_EQ(0, testdev_attach(self->c.td, fd,
						    SMAF_TESTDEV_DMA64, &h));
		pthread_barrier_wait(&s.bar);
		pthread_barrier_wait(&s.bar);
		jitter(s.iter * 6007 % 20000);
		if (s.iter % 2)
			map_ret = testdev_map(self->c.td, h,
					      SMAF_TESTDEV_BIDIRECTIONAL, NULL,
					      NULL);
		else
			map_ret = dmabuf_mmap(fd, BUF, 0, true, &p);
		pthread_barrier_wait(&s.bar);

		EXPECT_EQ(0, map_ret) TH_LOG("iteration %u: map: %s", s.iter,
					     strerror(-map_ret));
		EXPECT_TRUE(s.set_ret == 0 || s.set_ret == -EBUSY)
			TH_LOG("iteration %u: SET_SECURE_FLAG: %s", s.iter,
			       strerror(-s.set_ret));
		ASSERT_EQ(0, smaf_raw_buffer_info(self->c.dev, fd, &bi));
		bi.allocator[SMAF_NAME_LEN - 1] = 0;
		EXPECT_EQ(1U, bi.allocated);
		EXPECT_EQ(s.set_ret == 0, bi.secure == 1)
			TH_LOG("iteration %u: SET returned %d, secure=%u", s.iter,
			       s.set_ret, bi.secure);
		if (bi.secure)
			EXPECT_TRUE(secure_capable(self->c.dev, (char *)bi.allocator))
				TH_LOG("iteration %u: secure buffer in %s memory",
				       s.iter, (char *)bi.allocator);
		if (bi.secure)
			flag_first++;
		else
			map_first++;
		if (p)
			munmap(p, BUF);
		p = NULL;
		if (s.iter % 2)
			testdev_unmap_detach(self->c.td, h);
		close(fd);
	}
	s.stop = 1;
	pthread_barrier_wait(&s.bar);
	pthread_join(th, NULL);
	TH_LOG("%u iterations: flag first %lu, allocation first %lu", s.iter,
	       flag_first, map_first);
	count_race(s.iter);
}

/* ------------------------------------------------------------------ */
/* module unload against use */

struct unl {
	const char *mod;	/* kernel name */
	char path[512];
	volatile int stop;
	unsigned long unloads, reloads, busy;
	int bad;
	char why[700];
};

static void *unloader(void *arg)
{
	struct unl *u = arg;
	int ret;

	while (!u->stop) {
		ret = module_delete(u->mod);
		if (ret == -EAGAIN || ret == -EBUSY) {
			u->busy++;
			usleep(1000);
			continue;
		}
		if (ret) {
			snprintf(u->why, sizeof(u->why), "delete_module(%s): %s",
				 u->mod, strerror(-ret));
			u->bad = 1;
			break;
		}
		u->unloads++;
		usleep(2000);
		ret = module_load(u->path, "");
		if (ret) {
			snprintf(u->why, sizeof(u->why), "finit_module(%s): %s",
				 u->path, strerror(-ret));
			u->bad = 1;
			break;
		}
		u->reloads++;
	}
	return NULL;
}

static int unl_start(struct __test_metadata *_metadata, struct unl *u,
		     const char *mod, const char *ko, pthread_t *th)
{
	memset(u, 0, sizeof(*u));
	u->mod = mod;
	if (!smaf_module_loaded(mod))
		return -ENOENT;
	if (module_find(ko, u->path, sizeof(u->path)))
		return -ENOENT;
	return pthread_create(th, NULL, unloader, u) ? -EAGAIN : 0;
}

/* Stops the unloader and loads the module again if it is not. */
static void unl_stop(struct __test_metadata *_metadata, struct unl *u,
		     pthread_t th)
{
	int ret;

	u->stop = 1;
	pthread_join(th, NULL);
	if (!smaf_module_loaded(u->mod)) {
		ret = module_load(u->path, "");
		EXPECT_EQ(0, ret) TH_LOG("reload %s: %s", u->path,
					 strerror(-ret));
	}
	EXPECT_TRUE(smaf_module_loaded(u->mod));
	EXPECT_EQ(0, u->bad) TH_LOG("%s", u->why);
	TH_LOG("%s: unloaded %lu times, reloaded %lu, busy %lu", u->mod,
	       u->unloads, u->reloads, u->busy);
}

FIXTURE(unload) {
	struct rctx c;
};

FIXTURE_VARIANT(unload) {
	const char *mod, *ko, *name;
	unsigned int dev;	/* a device only this allocator serves best */
};

FIXTURE_VARIANT_ADD(unload, smaf_system) {
	.mod = "smaf_system", .ko = "smaf-system", .name = "smaf-system",
	.dev = SMAF_TESTDEV_DMA64,
};

FIXTURE_VARIANT_ADD(unload, smaf_cma) {
	.mod = "smaf_cma", .ko = "smaf-cma", .name = "smaf-cma",
	.dev = SMAF_TESTDEV_DMA32,
};

FIXTURE_SETUP(unload)
{
	rctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(unload)
{
	rctx_teardown(_metadata, &self->c);
}

/*
 * Creation forcing the allocator: success or ENOENT (no allocator of that
 * name). Then a first map: by the CPU, or by a device (dma32 for
 * smaf-cma, which alone serves it; dma64 for smaf-system): success, or
 * ENODEV for an unnamed buffer when no allocator serves. A forced
 * allocator is pinned by its buffer: mapping one must work.
 */
TEST_F_TIMEOUT(unload, vs_create, 600)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	uint64_t hard_end = now_ms() + race_seconds * 5000ULL;
	unsigned long created = 0, enoent = 0, enodev = 0;
	unsigned int iter;
	const char *name;
	struct unl u;
	pthread_t th;
	uint32_t h;
	int fd, ret;
	void *p;

	ret = unl_start(_metadata, &u, variant->mod, variant->ko, &th);
	if (ret)
		SKIP(return, "%s not loaded or its .ko not found", variant->mod);
	for (iter = 0; _metadata->passed && !u.bad &&
	     (now_ms() < end || (!u.unloads && now_ms() < hard_end)); iter++) {
		name = iter % 2 ? variant->name : NULL;
		fd = create(self->c.dev, BUF, name);
		if (fd == -ENOENT && name) {
			enoent++;
			continue;
		}
		ASSERT_LE(0, fd) TH_LOG("iteration %u: create(%s): %s", iter,
					name ? name : "", strerror(-fd));
		created++;
		if (iter % 4 < 2) {
			ret = dmabuf_mmap(fd, BUF, 0, true, &p);
			if (!ret)
				munmap(p, BUF);
		} else {
			/*
			 * The dma32 device needs smaf-cma: unnamed buffers
			 * get ENODEV while it is away. smaf-system cannot
			 * serve it at all: dma64 for that variant.
			 */
			ret = testdev_attach(self->c.td, fd, variant->dev, &h);
			ASSERT_EQ(0, ret);
			ret = testdev_map(self->c.td, h, SMAF_TESTDEV_BIDIRECTIONAL,
					  NULL, NULL);
			testdev_detach(self->c.td, h);
		}
		if (ret == -ENODEV && !name)
			enodev++;
		else
			EXPECT_EQ(0, ret) TH_LOG("iteration %u: %s map of a %s buffer: %s",
						 iter, iter % 4 < 2 ? "CPU" :
						 testdev_name(variant->dev),
						 name ? name : "unnamed",
						 strerror(-ret));
		close(fd);
	}
	unl_stop(_metadata, &u, th);
	TH_LOG("%u iterations: %lu created, %lu ENOENT, %lu ENODEV", iter,
	       created, enoent, enodev);
	EXPECT_LT(0UL, u.unloads) TH_LOG("the module never unloaded: no race");
	count_race(iter);
}

/*
 * SET_SECURE_FLAG while the secure module comes and goes: success or
 * ENODEV; a buffer flagged secure pins the module, so mapping it works
 * and it stays secure.
 */
TEST_F_TIMEOUT(race, secure_unload_vs_set, 600)
{
	uint64_t end = now_ms() + race_seconds * 1000ULL;
	uint64_t hard_end = now_ms() + race_seconds * 5000ULL;
	unsigned long secured = 0, nodev = 0;
	struct smaf_buffer_info bi;
	unsigned int iter;
	struct unl u;
	pthread_t th;
	int fd, ret;
	void *p;

	ret = unl_start(_metadata, &u, "smaf_secure_dummy",
			"smaf-secure-dummy", &th);
	if (ret)
		SKIP(return, "smaf_secure_dummy not loaded or not found");
	for (iter = 0; _metadata->passed && !u.bad &&
	     (now_ms() < end || (!u.unloads && now_ms() < hard_end)); iter++) {
		fd = create(self->c.dev, BUF, NULL);
		ASSERT_LE(0, fd);
		ret = smaf_raw_set_secure(self->c.dev, fd, 1);
		if (ret == -ENODEV) {
			nodev++;
			EXPECT_EQ(0, smaf_raw_get_secure(self->c.dev, fd));
			close(fd);
			continue;
		}
		EXPECT_EQ(0, ret) TH_LOG("iteration %u: SET: %s", iter,
					 strerror(-ret));
		secured++;
		ret = dmabuf_mmap(fd, BUF, 0, true, &p);
		EXPECT_EQ(0, ret) TH_LOG("iteration %u: mmap of a secure buffer: %s",
					 iter, strerror(-ret));
		if (!ret) {
			((volatile uint8_t *)p)[0] = 1;
			munmap(p, BUF);
		}
		ASSERT_EQ(0, smaf_raw_buffer_info(self->c.dev, fd, &bi));
		EXPECT_EQ(1U, bi.secure);
		close(fd);
	}
	unl_stop(_metadata, &u, th);
	TH_LOG("%u iterations: %lu flagged secure, %lu ENODEV", iter, secured,
	       nodev);
	EXPECT_LT(0UL, u.unloads) TH_LOG("the module never unloaded: no race");
	count_race(iter);
}

static void print_report(void)
{
	if (!report)
		return;
	printf("# races: %" PRIu64 " races, %" PRIu64 " iterations\n",
	       report->races, report->iterations);
	printf("# REPORT races_run=%" PRIu64 "\n", report->races);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			race_seconds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--seconds N]\n", argv[0]);
			return 2;
		}
	}
	if (!race_seconds)
		race_seconds = 1;
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		return 1;
	atexit(print_report);
	return test_harness_run(argc, argv);
}
