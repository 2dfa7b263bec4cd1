// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection into SMAF's paths, for the debug kernel (the debug lane
 * of tests/vm/run.sh; tests/vm/suites.d/80-faults.sh runs it). Debian's own
 * kernel has no fault injection: every test but cma_16m then skips.
 *
 * failslab and fail_page_alloc are aimed at this test's thread only, and
 * make these operations fail at each of their allocations in turn:
 *   create		SMAF_IOC_CREATE (plain, and with smaf-cma forced)
 *   map_system		first device map: allocation by smaf-system
 *   map_cma		first device map: allocation by smaf-cma (forced)
 *   mmap_alloc		first CPU mmap(): allocation
 *   sync_alloc		DMA_BUF_IOCTL_SYNC start: allocation
 *   migrate		a device that needs contiguous memory (a rule
 *			"platform:smaf-testdev.3 contiguous" in the constraints
 *			table) attaches to a smaf-system buffer: the move to
 *			smaf-cma
 *   add_consumer	SMAF_IOC_ADD_CONSUMER
 *   secure_flag	SMAF_IOC_SET_SECURE_FLAG (the secure module's context)
 *   secure_mmap	CPU grant of a secure buffer (mmap)
 *   secure_map		device grant of a secure buffer (map)
 *   secure_sync	CPU grant of a secure buffer (sync bracket)
 *
 * Two ways of injecting:
 * - A sweep, per operation: /proc/thread-self/fail-nth makes exactly the
 *   Nth allocation of the next system call fail, for N = 1, 2, ... until
 *   the call no longer reaches an Nth allocation. Every allocation point
 *   of the path is hit once.
 * - A random run: failslab and fail_page_alloc with task-filter=Y and this
 *   thread's make-it-fail=1 during each operation only, a probability of
 *   failure, a seeded mix of operations (seed printed for replay,
 *   SMAF_FAULTS_SEED to repeat one).
 *
 * ADD_CONSUMER and, with smaf-secure-dummy, SET_SECURE_FLAG may allocate
 * nothing at all; every other operation must reach at least one fault.
 *
 * Every failure must be a clean errno (ENOMEM, EINTR, ENODEV, ...) that
 * leaves no fd, no counter and no module reference behind; the buffer must
 * stay usable (the same operation without a fault succeeds, and the data
 * devices and the CPU see is right); the kernel must not crash or warn (the
 * console scan of run.sh). The suite checks SMAF's counters and kmemleak
 * afterwards.
 *
 * Only the slab caches SMAF's paths use fail (failslab's cache-filter: the
 * kernel must boot with slub_debug=...;FZPUA,kmalloc-*,filp,dentry,
 * vm_area_struct, as run.sh's debug lane does): failing the kernel's debug
 * bookkeeping instead (the DMA-API debug radix tree, kmemleak's objects)
 * would only turn those detectors off.
 *
 * Prints "# REPORT faults_injected=N" per test for the run summary.
 * SMAF_LANE=debug: the default; other lanes run the same amount (they
 * skip anyway when the kernel has no fault injection).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include "kselftest_harness.h"
#include "common/smaf_test.h"
#include "common/testdev.h"

#define KiB		1024ULL
#define MiB		(1024ULL * 1024)

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc"
#define SLABS		"/sys/kernel/slab"
#define CONSTRAINTS	"/sys/class/misc/smaf/constraints"
#define CMA_NAME	"smaf-cma"
#define SYSTEM_NAME	"smaf-system"
#define RULE_DEV	"platform:smaf-testdev.3"

/* No path has this many allocations: a sweep that gets here is stuck. */
#define MAX_NTH		600
/* "injected" counts come from failslab's and fail_page_alloc's "times". */
#define TIMES		1000000

/* Sizes: several smaf-system chunk sizes (1 MiB, 64 KiB, 4 KiB). */
#define SYS_SIZE	(2 * MiB + 68 * KiB)
#define CMA_SIZE	(1 * MiB)

/* ------------------------------------------------------------------ */
/* Small file helpers. */

static int put(const char *path, const char *val)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static int putf(const char *dir, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return put(path, val);
}

static long long get_ll(const char *path)
{
	char b[64] = "";
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	return strtoll(b, NULL, 0);
}

/* A /proc/meminfo value in kB, or -1. */
static long long meminfo_kb(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtoll(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static long module_refcnt(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return get_ll(path);
}

static bool clean_errno(int err)
{
	switch (-err) {
	case ENOMEM:
	case EINTR:
	case ENODEV:
	case EAGAIN:
	case ENOSPC:
	case ENFILE:
	case EMFILE:
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Fault injection set-up. */

struct fi {
	int nth;		/* /proc/thread-self/fail-nth */
	int mif;		/* /proc/thread-self/make-it-fail */
	unsigned long injected;
	bool on;
};

static void kmsg(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = write(fd, msg, strlen(msg));

		(void)n;
		close(fd);
	}
}

/* Both fault attributes: off, aimed at make-it-fail tasks, quiet. */
static int fi_attrs(const char *dir, const char *prob)
{
	int ret = 0;

	ret |= putf(dir, "probability", "0");
	ret |= putf(dir, "verbose", "0");
	ret |= putf(dir, "interval", "1");
	ret |= putf(dir, "space", "0");
	ret |= putf(dir, "times", "-1");
	ret |= putf(dir, "task-filter", "Y");
	ret |= putf(dir, "ignore-gfp-wait", "N");
	if (!strcmp(dir, FAILPAGE)) {
		ret |= putf(dir, "ignore-gfp-highmem", "N");
		ret |= putf(dir, "min-order", "0");
	} else {
		ret |= putf(dir, "cache-filter", "Y");
	}
	if (prob)
		ret |= putf(dir, "probability", prob);
	return ret;
}

/*
 * Returns NULL when ready, else why fault injection is not available (the
 * test then skips).
 */
static const char *fi_open(struct fi *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->nth = fi->mif = -1;
	if (access(FAILSLAB "/probability", W_OK) ||
	    access(FAILPAGE "/probability", W_OK))
		return "no fault injection in this kernel (no failslab in debugfs): Debian's kernel has none, the debug lane's has";
	if (get_ll(SLABS "/kmalloc-64/failslab") != 1)
		return "kmalloc-64 is not a failslab cache: boot with slub_debug=...;FZPUA,kmalloc-*,filp,dentry,vm_area_struct (run.sh's debug lane does)";
	fi->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	fi->mif = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (fi->nth < 0 || fi->mif < 0)
		return "no /proc/thread-self/fail-nth or make-it-fail";
	if (fi_attrs(FAILSLAB, NULL) || fi_attrs(FAILPAGE, NULL))
		return "cannot configure failslab/fail_page_alloc (not root?)";
	kmsg("smaf-faults: fault injection on\n");
	fi->on = true;
	return NULL;
}

static void fi_close(struct fi *fi)
{
	if (fi->mif >= 0)
		pwrite(fi->mif, "0", 1, 0);
	if (fi->nth >= 0)
		pwrite(fi->nth, "0", 1, 0);
	if (fi->on) {
		putf(FAILSLAB, "probability", "0");
		putf(FAILPAGE, "probability", "0");
		putf(FAILSLAB, "times", "1");
		putf(FAILPAGE, "times", "1");
		kmsg("smaf-faults: fault injection off\n");
	}
	if (fi->mif >= 0)
		close(fi->mif);
	if (fi->nth >= 0)
		close(fi->nth);
	fi->on = false;
	fi->mif = fi->nth = -1;
}

/* The Nth allocation (of the armed kinds) of this thread fails. */
static void fi_arm(struct fi *fi, unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	if (pwrite(fi->nth, b, len, 0) != len)
		abort();
}

/* Disarms; true when the fault was injected since fi_arm(). */
static bool fi_fired(struct fi *fi)
{
	char b[16] = "";
	ssize_t n = pread(fi->nth, b, sizeof(b) - 1, 0);

	if (pwrite(fi->nth, "0", 1, 0) != 1 || n <= 0)
		abort();
	if (strtoul(b, NULL, 10) == 0) {
		fi->injected++;
		return true;
	}
	return false;
}

/* Random failures for this thread while @on (make-it-fail). */
static void fi_window(struct fi *fi, bool on)
{
	if (pwrite(fi->mif, on ? "1" : "0", 1, 0) != 1)
		abort();
}

/* ------------------------------------------------------------------ */
/* The fixture: /dev/smaf, the test devices, the baseline. */

FIXTURE(inject) {
	int dev, td;
	struct fi fi;
	struct smaf_stats base;
	long ref_cma, ref_sys;
	const char *skip;
	bool rule;
	int fds_base;
	bool secure_ok;
};

FIXTURE_SETUP(inject)
{
	int fd = -1, ret;

	self->fi.nth = self->fi.mif = -1;
	self->dev = smaf_dev_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH,
					strerror(-self->dev));
	self->td = testdev_open();
	ASSERT_LE(0, self->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH,
				       strerror(-self->td));
	ASSERT_EQ(0, smaf_stats_read(&self->base));
	self->ref_cma = module_refcnt("smaf_cma");
	self->ref_sys = module_refcnt("smaf_system");

	/* Is a secure module registered? */
	ret = smaf_raw_create(self->dev, 4096, SMAF_RDWR, NULL, &fd);
	ASSERT_EQ(0, ret);
	self->secure_ok = smaf_raw_set_secure(self->dev, fd, 1) == 0;
	close(fd);

	self->skip = fi_open(&self->fi);
	self->fds_base = smaf_count_fds();
}

FIXTURE_TEARDOWN(inject)
{
	struct smaf_stats now;
	char s1[SMAF_STATS_STRLEN], s2[SMAF_STATS_STRLEN];

	fi_close(&self->fi);
	if (self->rule)
		put(CONSTRAINTS, "-" RULE_DEV);
	if (self->td >= 0)
		close(self->td);
	if (self->dev >= 0)
		close(self->dev);
	if (smaf_stats_read(&now) == 0 && !smaf_stats_equal(&self->base, &now)) {
		TH_LOG("counters not back to baseline: before %s, after %s",
		       smaf_stats_str(&self->base, s1, sizeof(s1)),
		       smaf_stats_str(&now, s2, sizeof(s2)));
		_metadata->passed = 0;
	}
	if (self->fi.injected) {
		printf("# REPORT faults_injected=%lu\n", self->fi.injected);
		fflush(stdout);
	}
}

/* After each attempt: nothing of it left (counters, fds, pinned modules). */
static void expect_idle(struct __test_metadata *_metadata,
			FIXTURE_DATA(inject) *self, const char *op,
			unsigned int n)
{
	struct smaf_stats now;
	char s1[SMAF_STATS_STRLEN], s2[SMAF_STATS_STRLEN];

	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&self->base, &now))
		TH_LOG("%s, fault %u: counters %s, expected %s", op, n,
		       smaf_stats_str(&now, s1, sizeof(s1)),
		       smaf_stats_str(&self->base, s2, sizeof(s2)));
	EXPECT_EQ(self->fds_base, smaf_count_fds())
		TH_LOG("%s, fault %u: a fd leaked", op, n);
	EXPECT_EQ(self->ref_cma, module_refcnt("smaf_cma"))
		TH_LOG("%s, fault %u: smaf_cma still pinned", op, n);
	EXPECT_EQ(self->ref_sys, module_refcnt("smaf_system"))
		TH_LOG("%s, fault %u: smaf_system still pinned", op, n);
}

#define EXPECT_CLEAN(ret, op, n) \
	EXPECT_TRUE((ret) == 0 || clean_errno(ret)) \
		TH_LOG("%s, fault %u: unclean error %d (%s)", (op), (n), \
		       (ret), strerror(-(ret)))

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       FIXTURE_DATA(inject) *self, int fd)
{
	struct smaf_buffer_info bi;

	memset(&bi, 0, sizeof(bi));
	EXPECT_EQ(0, smaf_raw_buffer_info(self->dev, fd, &bi));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

static int new_buf(struct __test_metadata *_metadata,
		   FIXTURE_DATA(inject) *self, uint64_t size, const char *name)
{
	int fd = -1, ret;

	ret = smaf_raw_create(self->dev, size, SMAF_RDWR | SMAF_CLOEXEC, name,
			      &fd);
	EXPECT_EQ(0, ret) TH_LOG("create %llu bytes %s: %s",
				 (unsigned long long)size, name ? name : "",
				 strerror(-ret));
	return ret ? -1 : fd;
}

/*
 * Device @h (mapped) writes pattern @seed over the buffer; the CPU reads
 * it back through a new mapping and a sync bracket; then the device's
 * checksum is compared.
 */
static void check_data(struct __test_metadata *_metadata,
		       FIXTURE_DATA(inject) *self, int fd, uint32_t h,
		       uint64_t size, uint32_t seed)
{
	uint64_t sum = 0;
	void *p = NULL;
	int ret;

	ASSERT_EQ(0, testdev_write(self->td, h, seed, 0, size));
	ASSERT_EQ(0, testdev_checksum(self->td, h, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(seed, 0, size), sum);
	ret = dmabuf_mmap(fd, size, 0, true, &p);
	ASSERT_EQ(0, ret) TH_LOG("mmap: %s", strerror(-ret));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, seed, 0, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, size);
}

/*
 * One attempt of an operation with the Nth allocation failing; returns
 * whether the fault was injected (false: the operation made fewer than N
 * allocations, the sweep is over).
 */
typedef bool (*attempt_fn)(struct __test_metadata *_metadata,
			   FIXTURE_DATA(inject) *self, unsigned int n);

static void sweep(struct __test_metadata *_metadata,
		  FIXTURE_DATA(inject) *self, const char *op, attempt_fn fn,
		  bool allocates)
{
	unsigned long before = self->fi.injected;
	unsigned int n;

	for (n = 1; n <= MAX_NTH; n++) {
		bool fired = fn(_metadata, self, n);

		expect_idle(_metadata, self, op, n);
		if (!_metadata->passed || !fired)
			break;
	}
	/* A path that must allocate: else the injection is not working. */
	if (allocates)
		EXPECT_GT(n, 1U) TH_LOG("%s: no allocation failed (not armed?)",
					op);
	EXPECT_LE(n, (unsigned int)MAX_NTH) TH_LOG("%s: still failing after %u faults", op,
				     MAX_NTH);
	TH_LOG("%s: %lu faults injected, each failed cleanly", op,
	       self->fi.injected - before);
}

/* ------------------------------------------------------------------ */
/* The operations. */

static bool do_create(struct __test_metadata *_metadata,
		      FIXTURE_DATA(inject) *self, unsigned int n,
		      const char *name)
{
	struct smaf_buffer_info bi;
	bool fired;
	int fd = -1, ret;

	fi_arm(&self->fi, n);
	ret = smaf_raw_create(self->dev, CMA_SIZE, SMAF_RDWR | SMAF_CLOEXEC,
			      name, &fd);
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, "create", n);
	if (ret == 0) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ((uint64_t)CMA_SIZE, bi.size);
		EXPECT_EQ(0U, bi.allocated);
		close(fd);
	}
	return fired;
}

static bool att_create(struct __test_metadata *_metadata,
		       FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_create(_metadata, self, n, NULL);
}

static bool att_create_forced(struct __test_metadata *_metadata,
			      FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_create(_metadata, self, n, CMA_NAME);
}

/* First device map of a buffer: the allocation. */
static bool do_map(struct __test_metadata *_metadata,
		   FIXTURE_DATA(inject) *self, unsigned int n,
		   const char *name, uint64_t size, const char *op)
{
	struct smaf_buffer_info bi;
	uint32_t h = 0;
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, size, name);
	if (fd < 0)
		return false;
	ret = testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h);
	EXPECT_EQ(0, ret);
	if (ret) {
		close(fd);
		return false;
	}
	fi_arm(&self->fi, n);
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, op, n);
	if (ret) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(0U, bi.device_mappings);
		EXPECT_EQ(1U, bi.attachments);
		/* Not allocated, or allocated and kept for the next map. */
		ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
				  NULL, NULL);
		EXPECT_EQ(0, ret) TH_LOG("%s, fault %u: map after the fault: %s",
					 op, n, strerror(-ret));
	}
	if (ret == 0) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(1U, bi.allocated);
		EXPECT_EQ(1U, bi.device_mappings);
		if (name)
			EXPECT_STREQ(name, (char *)bi.allocator);
		check_data(_metadata, self, fd, h, size, n);
		EXPECT_EQ(0, testdev_unmap(self->td, h));
	}
	EXPECT_EQ(0, testdev_detach(self->td, h));
	close(fd);
	return fired;
}

static bool att_map_system(struct __test_metadata *_metadata,
			   FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_map(_metadata, self, n, NULL, SYS_SIZE, "map_system");
}

static bool att_map_cma(struct __test_metadata *_metadata,
			FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_map(_metadata, self, n, CMA_NAME, CMA_SIZE, "map_cma");
}

/* First CPU access: mmap() or a sync bracket allocates. */
static bool do_cpu_alloc(struct __test_metadata *_metadata,
			 FIXTURE_DATA(inject) *self, unsigned int n,
			 bool secure, bool by_sync, const char *op)
{
	const uint64_t size = SYS_SIZE;
	struct smaf_buffer_info bi;
	void *p = MAP_FAILED;
	uint32_t h = 0;
	uint64_t sum = 0;
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, size, NULL);
	if (fd < 0)
		return false;
	if (secure)
		EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	fi_arm(&self->fi, n);
	if (by_sync) {
		ret = dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ret = p == MAP_FAILED ? -errno : 0;
	}
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, op, n);
	if (ret) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(0U, bi.cpu_mappings);
		if (by_sync) {
			ret = dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		} else {
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			ret = p == MAP_FAILED ? -errno : 0;
		}
		EXPECT_EQ(0, ret) TH_LOG("%s, fault %u: again: %s", op, n,
					 strerror(-ret));
	}
	if (ret == 0) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(1U, bi.allocated);
		if (by_sync) {
			EXPECT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END |
						    DMA_BUF_SYNC_RW));
			ret = dmabuf_mmap(fd, size, 0, true, &p);
			ASSERT_EQ(0, ret);
		}
		/* The CPU writes, a device reads. */
		pattern_fill(p, n, 0, size);
		ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64,
					    &h));
		ASSERT_EQ(0, testdev_map(self->td, h,
					 SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
		ASSERT_EQ(0, testdev_checksum(self->td, h, 0, size, &sum));
		EXPECT_EQ(cksum_pattern(n, 0, size), sum);
		EXPECT_EQ(0, testdev_unmap_detach(self->td, h));
		munmap(p, size);
	}
	close(fd);
	return fired;
}

static bool att_mmap_alloc(struct __test_metadata *_metadata,
			   FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_cpu_alloc(_metadata, self, n, false, false, "mmap_alloc");
}

static bool att_sync_alloc(struct __test_metadata *_metadata,
			   FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_cpu_alloc(_metadata, self, n, false, true, "sync_alloc");
}

static bool att_secure_mmap(struct __test_metadata *_metadata,
			    FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_cpu_alloc(_metadata, self, n, true, false, "secure_mmap");
}

static bool att_secure_sync(struct __test_metadata *_metadata,
			    FIXTURE_DATA(inject) *self, unsigned int n)
{
	return do_cpu_alloc(_metadata, self, n, true, true, "secure_sync");
}

/* Device grant: the first map of a secure buffer. */
static bool att_secure_map(struct __test_metadata *_metadata,
			   FIXTURE_DATA(inject) *self, unsigned int n)
{
	const uint64_t size = CMA_SIZE;
	struct smaf_buffer_info bi;
	uint64_t sum = 0;
	uint32_t h = 0;
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, size, NULL);
	if (fd < 0)
		return false;
	EXPECT_EQ(0, smaf_raw_set_secure(self->dev, fd, 1));
	ASSERT_EQ(0, testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64, &h));
	fi_arm(&self->fi, n);
	ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL);
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, "secure_map", n);
	if (ret) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(0U, bi.device_mappings);
		ret = testdev_map(self->td, h, SMAF_TESTDEV_BIDIRECTIONAL,
				  NULL, NULL);
		EXPECT_EQ(0, ret) TH_LOG("secure_map, fault %u: again: %s", n,
					 strerror(-ret));
	}
	if (ret == 0) {
		EXPECT_EQ(0, testdev_write(self->td, h, n, 0, size));
		EXPECT_EQ(0, testdev_checksum(self->td, h, 0, size, &sum));
		EXPECT_EQ(cksum_pattern(n, 0, size), sum);
		EXPECT_EQ(0, testdev_unmap(self->td, h));
	}
	EXPECT_EQ(0, testdev_detach(self->td, h));
	close(fd);
	return fired;
}

static bool att_secure_flag(struct __test_metadata *_metadata,
			    FIXTURE_DATA(inject) *self, unsigned int n)
{
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, CMA_SIZE, NULL);
	if (fd < 0)
		return false;
	fi_arm(&self->fi, n);
	ret = smaf_raw_set_secure(self->dev, fd, 1);
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, "secure_flag", n);
	if (ret) {
		EXPECT_EQ(0, smaf_raw_get_secure(self->dev, fd));
		ret = smaf_raw_set_secure(self->dev, fd, 1);
		EXPECT_EQ(0, ret) TH_LOG("secure_flag, fault %u: again: %s", n,
					 strerror(-ret));
	}
	if (ret == 0)
		EXPECT_EQ(1, smaf_raw_get_secure(self->dev, fd));
	close(fd);
	return fired;
}

static int add_consumer(int dev, int fd, const char *name)
{
	struct smaf_consumer c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	snprintf((char *)c.device, sizeof(c.device), "%s", name);
	return smaf_ioctl(dev, SMAF_IOC_ADD_CONSUMER, &c);
}

static bool att_add_consumer(struct __test_metadata *_metadata,
			     FIXTURE_DATA(inject) *self, unsigned int n)
{
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, CMA_SIZE, NULL);
	if (fd < 0)
		return false;
	fi_arm(&self->fi, n);
	ret = add_consumer(self->dev, fd, "platform:smaf-testdev.1");
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, "add_consumer", n);
	if (ret) {
		EXPECT_EQ(0U, info_of(_metadata, self, fd).consumers);
		ret = add_consumer(self->dev, fd, "platform:smaf-testdev.1");
		EXPECT_EQ(0, ret) TH_LOG("add_consumer, fault %u: again: %s", n,
					 strerror(-ret));
	}
	if (ret == 0)
		EXPECT_EQ(1U, info_of(_metadata, self, fd).consumers);
	close(fd);
	return fired;
}

/*
 * A smaf-system buffer the CPU filled; device 3, which the constraints
 * table says needs contiguous memory, attaches: SMAF moves the buffer.
 */
static bool att_migrate(struct __test_metadata *_metadata,
			FIXTURE_DATA(inject) *self, unsigned int n)
{
	const uint64_t size = SYS_SIZE;
	struct smaf_buffer_info bi;
	uint64_t sum = 0;
	uint32_t h = 0;
	void *p = NULL;
	bool fired;
	int fd, ret;

	fd = new_buf(_metadata, self, size, NULL);
	if (fd < 0)
		return false;
	ret = dmabuf_mmap(fd, size, 0, true, &p);
	ASSERT_EQ(0, ret);
	pattern_fill(p, n, 0, size);
	bi = info_of(_metadata, self, fd);
	EXPECT_STREQ(SYSTEM_NAME, (char *)bi.allocator);

	fi_arm(&self->fi, n);
	ret = testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64B, &h);
	fired = fi_fired(&self->fi);
	EXPECT_CLEAN(ret, "migrate", n);
	if (ret) {
		/* Where it was, as it was. */
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(0U, bi.migrations);
		EXPECT_EQ(0U, bi.attachments);
		EXPECT_STREQ(SYSTEM_NAME, (char *)bi.allocator);
		EXPECT_EQ(-1, pattern_mismatch(p, n, 0, size));
		ret = testdev_attach(self->td, fd, SMAF_TESTDEV_DMA64B, &h);
		EXPECT_EQ(0, ret) TH_LOG("migrate, fault %u: again: %s", n,
					 strerror(-ret));
	}
	if (ret == 0) {
		bi = info_of(_metadata, self, fd);
		EXPECT_EQ(1U, bi.migrations);
		EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
		/* The CPU mapping follows; the device sees the same bytes. */
		EXPECT_EQ(-1, pattern_mismatch(p, n, 0, size));
		ASSERT_EQ(0, testdev_map(self->td, h,
					 SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
		ASSERT_EQ(0, testdev_checksum(self->td, h, 0, size, &sum));
		EXPECT_EQ(cksum_pattern(n, 0, size), sum);
		EXPECT_EQ(0, testdev_unmap_detach(self->td, h));
	}
	munmap(p, size);
	close(fd);
	return fired;
}

/* ------------------------------------------------------------------ */
/* The sweeps. */

#define NEED_FI() do { \
	if (self->skip) \
		SKIP(return, "%s", self->skip); \
} while (0)

#define NEED_SECURE() do { \
	if (!self->secure_ok) \
		SKIP(return, "no secure module registered"); \
} while (0)

TEST_F_TIMEOUT(inject, create, 600)
{
	NEED_FI();
	sweep(_metadata, self, "create", att_create, true);
	sweep(_metadata, self, "create_forced", att_create_forced, true);
}

TEST_F_TIMEOUT(inject, map_system, 900)
{
	NEED_FI();
	sweep(_metadata, self, "map_system", att_map_system, true);
}

TEST_F_TIMEOUT(inject, map_cma, 900)
{
	NEED_FI();
	sweep(_metadata, self, "map_cma", att_map_cma, true);
}

TEST_F_TIMEOUT(inject, mmap_alloc, 900)
{
	NEED_FI();
	sweep(_metadata, self, "mmap_alloc", att_mmap_alloc, true);
}

TEST_F_TIMEOUT(inject, sync_alloc, 900)
{
	NEED_FI();
	sweep(_metadata, self, "sync_alloc", att_sync_alloc, true);
}

TEST_F_TIMEOUT(inject, migrate, 900)
{
	int ret;

	NEED_FI();
	ret = put(CONSTRAINTS, RULE_DEV " contiguous");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", CONSTRAINTS, strerror(-ret));
	self->rule = true;
	sweep(_metadata, self, "migrate", att_migrate, true);
}

TEST_F_TIMEOUT(inject, add_consumer, 600)
{
	NEED_FI();
	sweep(_metadata, self, "add_consumer", att_add_consumer, false);
}

TEST_F_TIMEOUT(inject, secure_flag, 600)
{
	NEED_FI();
	NEED_SECURE();
	sweep(_metadata, self, "secure_flag", att_secure_flag, false);
}

TEST_F_TIMEOUT(inject, secure_mmap, 900)
{
	NEED_FI();
	NEED_SECURE();
	sweep(_metadata, self, "secure_mmap", att_secure_mmap, true);
}

TEST_F_TIMEOUT(inject, secure_sync, 900)
{
	NEED_FI();
	NEED_SECURE();
	sweep(_metadata, self, "secure_sync", att_secure_sync, true);
}

TEST_F_TIMEOUT(inject, secure_map, 900)
{
	NEED_FI();
	NEED_SECURE();
	sweep(_metadata, self, "secure_map", att_secure_map, true);
}

/* ------------------------------------------------------------------ */
/* Random failures over a seeded mix of operations. */

static unsigned int rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(*s >> 33);
}

static long long fault_times_left(void)
{
	return get_ll(FAILSLAB "/times") + get_ll(FAILPAGE "/times");
}

TEST_F_TIMEOUT(inject, random_mix, 1200)
{
	static const char *const consumers[] = {
		"platform:smaf-testdev.0", "platform:smaf-testdev.1",
		"platform:smaf-testdev.3",
	};
	const char *env = getenv("SMAF_FAULTS_SEED");
	unsigned int i, iters = 150, failures = 0, dev;
	uint64_t seed, s, size, sum;
	long long left;
	struct fi *fi = &self->fi;
	char times[32];
	uint32_t h;
	void *p;
	int fd, ret;

	NEED_FI();
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	s = seed;
	TH_LOG("seed %llu (SMAF_FAULTS_SEED=%llu repeats this run)",
	       (unsigned long long)seed, (unsigned long long)seed);
	snprintf(times, sizeof(times), "%d", TIMES);
	ASSERT_EQ(0, fi_attrs(FAILSLAB, "10"));
	ASSERT_EQ(0, fi_attrs(FAILPAGE, "10"));
	ASSERT_EQ(0, putf(FAILSLAB, "times", times));
	ASSERT_EQ(0, putf(FAILPAGE, "times", times));

	for (i = 0; i < iters && _metadata->passed; i++) {
		size = (1 + rnd(&s) % 24) * 64 * KiB;
		dev = rnd(&s) % 2 ? SMAF_TESTDEV_DMA64 : SMAF_TESTDEV_DMA32;
		h = 0;
		p = MAP_FAILED;
		fd = -1;

		fi_window(fi, true);
		ret = smaf_raw_create(self->dev, size, SMAF_RDWR | SMAF_CLOEXEC,
				      rnd(&s) % 4 ? NULL : CMA_NAME, &fd);
		fi_window(fi, false);
		EXPECT_CLEAN(ret, "random create", i);
		if (ret) {
			failures++;
			continue;
		}
		if (rnd(&s) % 3 == 0) {
			fi_window(fi, true);
			ret = add_consumer(self->dev, fd,
					   consumers[rnd(&s) % 3]);
			fi_window(fi, false);
			EXPECT_CLEAN(ret, "random add_consumer", i);
			failures += !!ret;
		}
		if (self->secure_ok && rnd(&s) % 4 == 0) {
			fi_window(fi, true);
			ret = smaf_raw_set_secure(self->dev, fd, 1);
			fi_window(fi, false);
			EXPECT_CLEAN(ret, "random secure_flag", i);
			failures += !!ret;
		}
		if (rnd(&s) % 2) {
			fi_window(fi, true);
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			ret = p == MAP_FAILED ? -errno : 0;
			fi_window(fi, false);
			EXPECT_CLEAN(ret, "random mmap", i);
			failures += !!ret;
			if (!ret)
				pattern_fill(p, i, 0, size);
		}
		fi_window(fi, true);
		ret = testdev_attach(self->td, fd, dev, &h);
		fi_window(fi, false);
		/* dma32 after smaf-system memory: refused or moved. */
		EXPECT_TRUE(ret == 0 || ret == -EBUSY || clean_errno(ret))
			TH_LOG("random attach %u: %d (%s)", i, ret,
			       strerror(-ret));
		failures += !!ret;
		if (!ret) {
			fi_window(fi, true);
			ret = testdev_map(self->td, h,
					  SMAF_TESTDEV_BIDIRECTIONAL, NULL,
					  NULL);
			fi_window(fi, false);
			EXPECT_CLEAN(ret, "random map", i);
			failures += !!ret;
			if (!ret && p != MAP_FAILED) {
				/* What the CPU wrote, the device reads. */
				EXPECT_EQ(0, testdev_checksum(self->td, h, 0,
							      size, &sum));
				EXPECT_EQ(cksum_pattern(i, 0, size), sum)
					TH_LOG("iteration %u: data lost", i);
			}
			testdev_unmap_detach(self->td, h);
		}
		if (p != MAP_FAILED)
			munmap(p, size);
		close(fd);
	}
	fi_window(fi, false);
	left = fault_times_left();
	ASSERT_GE(left, 0);
	fi->injected += 2ULL * TIMES - left;
	TH_LOG("%u iterations, %lld faults injected, %u operations failed",
	       i, 2LL * TIMES - left, failures);
	EXPECT_LT(0, 2LL * TIMES - left) TH_LOG("no fault was injected");
	expect_idle(_metadata, self, "random_mix", i);
}

/* ------------------------------------------------------------------ */
/* smaf-cma above 4 MiB where the kernel has CMA. */

static int allocator_info(int dev, const char *name,
			  struct smaf_allocator_info *ai)
{
	unsigned int i;

	for (i = 0; i < 64; i++) {
		memset(ai, 0, sizeof(*ai));
		ai->index = i;
		if (smaf_ioctl(dev, SMAF_IOC_ALLOCATOR_INFO, ai) < 0)
			return -ENOENT;
		ai->name[SMAF_NAME_LEN - 1] = 0;
		if (!strcmp((char *)ai->name, name))
			return 0;
	}
	return -ENOENT;
}

TEST(cma_16m)
{
	const uint64_t size = 16 * MiB;
	struct smaf_allocator_info ai, ai2;
	struct smaf_buffer_info bi;
	long long total, free0, free1;
	uint64_t sum = 0, dma = 0;
	uint32_t h = 0, nents = 0;
	void *p = NULL;
	int dev, td, fd = -1, ret;

	total = meminfo_kb("CmaTotal");
	if (total < 32 * 1024)
		SKIP(return, "no CMA area (CmaTotal %lld kB): Debian's kernel has no CONFIG_CMA; the debug lane boots with cma=256M",
		     total);
	dev = smaf_dev_open();
	ASSERT_LE(0, dev);
	td = testdev_open();
	ASSERT_LE(0, td);
	ASSERT_EQ(0, allocator_info(dev, CMA_NAME, &ai));
	/*
	 * With CMA, no 4 MiB cap: only what one scatterlist entry can
	 * describe, 4 GiB less a page.
	 */
	EXPECT_EQ(0x100000000ULL - smaf_page_size(), ai.max_size)
		TH_LOG("smaf-cma max_size %llu",
		       (unsigned long long)ai.max_size);

	free0 = meminfo_kb("CmaFree");
	ret = smaf_raw_create(dev, size, SMAF_RDWR, CMA_NAME, &fd);
	ASSERT_EQ(0, ret) TH_LOG("create 16 MiB smaf-cma: %s", strerror(-ret));
	ASSERT_EQ(0, testdev_attach(td, fd, SMAF_TESTDEV_DMA64, &h));
	ret = testdev_map(td, h, SMAF_TESTDEV_BIDIRECTIONAL, &nents, &dma);
	ASSERT_EQ(0, ret) TH_LOG("16 MiB smaf-cma map: %s", strerror(-ret));
	memset(&bi, 0, sizeof(bi));
	ASSERT_EQ(0, smaf_raw_buffer_info(dev, fd, &bi));
	EXPECT_EQ(1U, bi.allocated);
	EXPECT_STREQ(CMA_NAME, (char *)bi.allocator);
	ASSERT_EQ(0, allocator_info(dev, CMA_NAME, &ai2));
	EXPECT_EQ(ai.bytes + size, ai2.bytes);
	EXPECT_EQ(ai.buffers + 1, ai2.buffers);
	/*
	 * From the CMA area: its free count drops by the buffer's size (give
	 * or take the pages that per-CPU lists hold back).
	 */
	free1 = meminfo_kb("CmaFree");
	TH_LOG("CmaFree %lld kB before, %lld kB with the buffer; %u segment(s) from %#llx",
	       free0, free1, nents, (unsigned long long)dma);
	EXPECT_GE(free0 - free1, (long long)(size / 1024) - 2048)
		TH_LOG("the buffer did not come from the CMA area");

	/* A device writes all of it, the CPU reads it back. */
	ASSERT_EQ(0, testdev_write(td, h, 0x16, 0, size));
	ASSERT_EQ(0, testdev_checksum(td, h, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x16, 0, size), sum);
	ASSERT_EQ(0, dmabuf_mmap(fd, size, 0, true, &p));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, 0x16, 0, size));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, size);
	EXPECT_EQ(0, testdev_unmap_detach(td, h));
	close(fd);
	ASSERT_EQ(0, allocator_info(dev, CMA_NAME, &ai2));
	EXPECT_EQ(ai.bytes, ai2.bytes);
	EXPECT_EQ(ai.buffers, ai2.buffers);
	close(td);
	close(dev);
}

/*
 * Debian's kernel has neither fault injection nor CMA: one SKIP for the
 * whole program rather than one per test.
 */
int main(int argc, char **argv)
{
	if (access(FAILSLAB "/probability", F_OK) &&
	    meminfo_kb("CmaTotal") < 32 * 1024) {
		printf("1..0 # SKIP no fault injection (failslab) and no CMA in this kernel: Debian's kernel has neither, the debug lane's kernel has both\n");
		return KSFT_SKIP;
	}
	return test_harness_run(argc, argv);
}
