// SPDX-License-Identifier: GPL-2.0
/*
 * Constraint-aware allocation (docs/design.md, "Allocators" and
 * "Constraints"):
 *
 *  - sel:    which allocator the first user's map picks, for every mix of
 *            scatter-gather, 32-bit, contiguous and unservable users, and
 *            the -ENODEV refusals with the log line naming the devices;
 *  - ainfo:  SMAF_IOC_ALLOCATOR_INFO: what each allocator declares, and its
 *            live statistics;
 *  - rules:  the run-time table /sys/class/misc/smaf/constraints;
 *  - late:   late attach: migration with content preserved and CPU
 *            mappings following it, -EBUSY while a device maps the buffer
 *            or when it is secure;
 *  - dbg:    debugfs smaf/buffers (and no kernel pointer in any file);
 *  - vivid:  vivid allocators=1 (videobuf2-dma-contig) capturing into a
 *            buffer a 64-bit test device mapped first, with and without
 *            declaring vivid as a consumer, with and without a rule.
 *
 * Where memory landed is read from /proc/self/pagemap (root sees PFNs), so
 * each test asserts the exact outcome for the placement it got.
 *
 * Needs root, smaf, smaf-cma, smaf-system, smaf-testdev and vgem loaded, a
 * VM with more than 4 GiB of RAM; the vivid fixture needs vivid loaded with
 * allocators=1 (it is skipped without, and fails without when the
 * environment has SMAF_CONSTRAINTS_VIVID=1, as the suite sets it).
 * Every test clears the constraints table before and after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

/* kselftest_harness.h compares int literals with unsigned fields. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "libsmaf.h"
#include "common/smaf_test.h"
#include "common/testdev.h"
#include "common/track.h"
#include "common/vivid.h"

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define GiB		(1024ULL * MiB)
#define FOUR_GIB	(4ULL * GiB)

#define SYSTEM		"smaf-system"
#define CMA		"smaf-cma"
#define RULES_PATH	"/sys/class/misc/smaf/constraints"
#define DBG_DIR		"/sys/kernel/debug/smaf/"
#define TD(n)		"platform:smaf-testdev." #n
#define VIVID_DEV	"platform:vivid.0"

#define B(n)		(1U << (n))
#define D64		SMAF_TESTDEV_DMA64
#define D32		SMAF_TESTDEV_DMA32
#define D30		SMAF_TESTDEV_DMA30
#define D64B		SMAF_TESTDEV_DMA64B

/* ------------------------------------------------------------------ */
/* Shared context: what the teardown must release. */

struct ctx {
	int dev;			/* /dev/smaf */
	int td;				/* /dev/smaf-testdev */
	int kmsg;			/* /dev/kmsg, positioned at its end */
	bool lib;			/* smaf_open() done */
	struct smaf_stats base;
	struct track t;			/* buffer fds and mappings */
};

static size_t pg;

static int rules_write(const char *line)
{
	ssize_t n;
	int fd;

	fd = open(RULES_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static ssize_t rules_read(char *buf, size_t len)
{
	return smaf_read_file(RULES_PATH, buf, len);
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Reads every kernel log record written since the last call and returns 1
 * if one contains all of @a, @b and @c (NULL: not checked), copying its
 * text to @out; 0 otherwise.
 */
static int kmsg_find(int fd, char *out, size_t outlen, const char *a,
		     const char *b, const char *c);

/*
 * Before an action whose refusal line a test looks for: SMAF rate-limits
 * the log lines userspace can cause (10 per 5 s per call site), so let
 * the window of earlier tests' refusals pass, then skip what is logged.
 */
static void kmsg_mark(int fd)
{
	usleep(5200 * 1000);
	kmsg_find(fd, NULL, 0, NULL, NULL, NULL);
}

static int kmsg_find(int fd, char *out, size_t outlen, const char *a,
		     const char *b, const char *c)
{
	char rec[2048];
	int found = 0;
	ssize_t n;

	if (out && outlen)
		out[0] = 0;
	for (;;) {
		char *msg, *nl;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (found)
			continue;
		if ((a && !strstr(msg, a)) || (b && !strstr(msg, b)) ||
		    (c && !strstr(msg, c)))
			continue;
		found = 1;
		if (out)
			snprintf(out, outlen, "%.*s", (int)outlen - 1, msg);
	}
	return found;
}

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c)
{
	char s[SMAF_STATS_STRLEN], rules[4096];
	int ret;

	pg = smaf_page_size();
	c->dev = c->td = c->kmsg = -1;
	/* A table left by someone else would change every choice. */
	ret = rules_read(rules, sizeof(rules));
	ASSERT_LE(0, ret) TH_LOG("read " RULES_PATH ": %s", strerror(-ret));
	if (rules[0])
		TH_LOG("note: constraints table not empty at start:\n%s", rules);
	ASSERT_EQ(0, rules_write("clear\n"));
	c->dev = smaf_dev_open();
	ASSERT_LE(0, c->dev) TH_LOG("open %s: %s", SMAF_DEV_PATH, strerror(-c->dev));
	c->td = testdev_open();
	ASSERT_LE(0, c->td) TH_LOG("open %s: %s", SMAF_TESTDEV_PATH, strerror(-c->td));
	ret = smaf_open();
	ASSERT_EQ(0, ret) TH_LOG("smaf_open: %s", strerror(-ret));
	c->lib = true;
	c->kmsg = kmsg_open();
	ASSERT_LE(0, c->kmsg) TH_LOG("open /dev/kmsg: %s", strerror(-c->kmsg));
	ret = smaf_stats_read(&c->base);
	ASSERT_EQ(0, ret) TH_LOG("read %s: %s", SMAF_STATS_PATH, strerror(-ret));
	if (!smaf_stats_idle(&c->base))
		TH_LOG("note: counters not idle at start: %s",
		       smaf_stats_str(&c->base, s, sizeof(s)));
}

static void ctx_teardown(struct __test_metadata *_metadata, struct ctx *c)
{
	char msg[2 * SMAF_STATS_STRLEN];

	track_unmap_all(&c->t);
	if (c->td >= 0)
		close(c->td);
	c->td = -1;
	track_close_all(&c->t);
	if (c->lib)
		smaf_close();
	c->lib = false;
	if (c->dev >= 0)
		close(c->dev);
	c->dev = -1;
	if (c->kmsg >= 0)
		close(c->kmsg);
	c->kmsg = -1;
	if (rules_write("clear\n") != 0) {
		TH_LOG("cannot clear the constraints table");
		_metadata->passed = 0;
	}
	if (!smaf_stats_back(&c->base, msg, sizeof(msg))) {
		TH_LOG("counters not back to baseline: %s", msg);
		_metadata->passed = 0;
	}
}

/* Creates a tracked buffer; @name forces an allocator (NULL: none). */
static int new_buf(struct __test_metadata *_metadata, struct ctx *c,
		   uint64_t size, const char *name)
{
	int fd, ret;

	ret = track_create(&c->t, c->dev, size, SMAF_RDWR | SMAF_CLOEXEC, name,
			   &fd);
	ASSERT_EQ(0, ret) TH_LOG("create %llu bytes (%s): %s",
				 (unsigned long long)size, name ? name : "any",
				 strerror(-ret));
	return fd;
}

static void close_buf(struct ctx *c, int fd)
{
	track_close(&c->t, fd);
}

static void *map_buf(struct __test_metadata *_metadata, struct ctx *c, int fd,
		     size_t len)
{
	void *p;
	int ret;

	ret = track_mmap(&c->t, fd, len, 0, true, &p);
	ASSERT_EQ(0, ret) TH_LOG("mmap: %s", strerror(-ret));
	return p;
}

static struct smaf_buffer_info info_of(struct __test_metadata *_metadata,
				       struct ctx *c, int fd)
{
	struct smaf_buffer_info bi;
	int ret;

	ret = smaf_raw_buffer_info(c->dev, fd, &bi);
	ASSERT_EQ(0, ret) TH_LOG("BUFFER_INFO fd %d: %s", fd, strerror(-ret));
	bi.allocator[SMAF_NAME_LEN - 1] = 0;
	return bi;
}

#define ALLOC_OF(c, fd) ((char *)info_of(_metadata, (c), (fd)).allocator)

/* ALLOCATOR_INFO of the allocator called @name; fails the test if none. */
static struct smaf_allocator_info ainfo_of(struct __test_metadata *_metadata,
					   const char *name)
{
	struct smaf_allocator_info ai;
	int i, ret;

	for (i = 0; i < 16; i++) {
		ret = smaf_allocator_info(i, &ai);
		ASSERT_EQ(0, ret) TH_LOG("allocator %s not registered", name);
		ai.name[SMAF_NAME_LEN - 1] = 0;
		if (strcmp((char *)ai.name, name) == 0)
			return ai;
	}
	ASSERT_TRUE(false);
	return ai;
}

/* ---- where memory is ---- */

/*
 * Userspace cannot see the physical pages of a SMAF buffer (its mmap is
 * VM_PFNMAP, which /proc/self/pagemap skips), so the layout is probed the
 * way a device would meet it, without changing anything: while a dma64
 * mapping holds the memory (so no attach can move it), dma32 attaches only
 * if every page is below 4 GiB, and dma64b with a "contiguous" rule only if
 * the pages are contiguous; each probe is detached again.
 */
struct layout {
	uint64_t first;		/* dma64's (= physical) address of the start */
	bool contiguous;
	bool below_4g;
};

static void layout_probe(struct __test_metadata *_metadata, struct ctx *c,
			 int fd, struct layout *l)
{
	char saved[4096], line[256] = "", line32[256] = "", *p;
	uint32_t h, hp;
	int ret;

	memset(l, 0, sizeof(*l));
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, &h, &l->first));
	/*
	 * dma32 needs contiguous memory by default: with the rule "sg" it
	 * checks only the limit. Its and dma64b's own rules, if any, are put
	 * back after.
	 */
	ASSERT_LE(0, rules_read(saved, sizeof(saved)));
	for (p = strtok(saved, "\n"); p; p = strtok(NULL, "\n")) {
		if (strncmp(p, TD(3) " ", strlen(TD(3)) + 1) == 0 ||
		    strcmp(p, TD(3)) == 0)
			snprintf(line, sizeof(line), "%s\n", p);
		if (strncmp(p, TD(1) " ", strlen(TD(1)) + 1) == 0 ||
		    strcmp(p, TD(1)) == 0)
			snprintf(line32, sizeof(line32), "%s\n", p);
	}
	ASSERT_EQ(0, rules_write(TD(1) " sg\n"));
	ret = testdev_attach(c->td, fd, D32, &hp);
	if (ret == 0)
		testdev_detach(c->td, hp);
	ASSERT_EQ(0, rules_write(line32[0] ? line32 : "-" TD(1) "\n"));
	ASSERT_TRUE(ret == 0 || ret == -EBUSY) TH_LOG("dma32 probe: %s", strerror(-ret));
	l->below_4g = ret == 0;

	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	ret = testdev_attach(c->td, fd, D64B, &hp);
	if (ret == 0)
		testdev_detach(c->td, hp);
	ASSERT_EQ(0, rules_write(line[0] ? line : "-" TD(3) "\n"));
	ASSERT_TRUE(ret == 0 || ret == -EBUSY) TH_LOG("contiguity probe: %s",
						      strerror(-ret));
	l->contiguous = ret == 0;
	ASSERT_EQ(0, testdev_unmap_detach(c->td, h));
}

static void log_layout(struct __test_metadata *_metadata, const char *what,
		       const struct layout *l)
{
	TH_LOG("%s: starts at %#llx, %scontiguous, %s 4 GiB", what,
	       (unsigned long long)l->first, l->contiguous ? "" : "not ",
	       l->below_4g ? "below" : "not all below");
}

/* ------------------------------------------------------------------ */
/* sel: the allocator the first map picks */

FIXTURE(sel) {
	struct ctx c;
};

FIXTURE_SETUP(sel)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(sel)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * Buffer of @size for the testdevs of mask @attach (attached in index
 * order), @declare (declared consumers, by index), then first map by
 * @mapper (a testdev index, or -1 for a CPU mmap). Returns the map's
 * result; the buffer fd in *@fdp, the testdev handles in @h (by index).
 */
static int first_use_h(struct __test_metadata *_metadata, struct ctx *c,
		       uint64_t size, const char *forced, unsigned int attach,
		       unsigned int declare, int mapper, int *fdp, uint32_t *h)
{
	char name[64];
	unsigned int i;
	void *p;
	int fd, ret;

	fd = new_buf(_metadata, c, size, forced);
	*fdp = fd;
	for (i = 0; i < SMAF_TESTDEV_COUNT; i++) {
		if (declare & (1U << i)) {
			snprintf(name, sizeof(name), "platform:smaf-testdev.%u", i);
			ASSERT_EQ(0, smaf_add_consumer(fd, name));
		}
		if (attach & (1U << i))
			ASSERT_EQ(0, testdev_attach(c->td, fd, i, &h[i]));
	}
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	if (mapper < 0) {
		ret = dmabuf_mmap(fd, size, 0, true, &p);
		if (ret == 0)
			munmap(p, size);
		return ret;
	}
	ASSERT_TRUE(attach & (1U << mapper));
	return testdev_map(c->td, h[mapper], SMAF_TESTDEV_BIDIRECTIONAL, NULL,
			   NULL);
}

static int first_use(struct __test_metadata *_metadata, struct ctx *c,
		     uint64_t size, const char *forced, unsigned int attach,
		     unsigned int declare, int mapper, int *fdp)
{
	uint32_t h[SMAF_TESTDEV_COUNT] = { 0 };

	return first_use_h(_metadata, c, size, forced, attach, declare, mapper,
			   fdp, h);
}


/* Scatter-gather users only: the higher-ranked smaf-system. */
TEST_F(sel, scatter_gather_users_get_system)
{
	static const struct {
		const char *what;
		unsigned int attach, declare;
		int mapper;
	} cases[] = {
		{ "dma64", B(D64), 0, D64 },
		{ "dma64b", B(D64B), 0, D64B },
		{ "dma64 + dma64b", B(D64) | B(D64B), 0, D64 },
		{ "dma64 + declared dma64b", B(D64), B(D64B), D64 },
		{ "CPU only", 0, 0, -1 },
		{ "dma64 attached, CPU first", B(D64), 0, -1 },
	};
	struct ctx *c = &self->c;
	unsigned int i;
	int fd, ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = first_use(_metadata, c, 256 * KiB, NULL, cases[i].attach,
				cases[i].declare, cases[i].mapper, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", cases[i].what, strerror(-ret));
		EXPECT_STREQ(SYSTEM, ALLOC_OF(c, fd)) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(1, info_of(_metadata, c, fd).allocated);
	}
}

/*
 * vgem (64-bit platform device, no IOMMU) imports, attaching and mapping at
 * once. Nothing says it follows scatter-gather lists, so it gets contiguous
 * memory; with the rule "sg" the higher-ranked smaf-system serves it.
 */
static void expect_vgem_choice(struct __test_metadata *_metadata,
			       struct ctx *c, const char *want)
{
	struct smaf_buffer_info bi;
	uint32_t handle;
	int drm, fd, ret;

	drm = smaf_vgem_open();
	ASSERT_LE(0, drm) TH_LOG("no vgem: %s", strerror(-drm));
	fd = new_buf(_metadata, c, 256 * KiB, NULL);
	ret = smaf_vgem_import(drm, fd, &handle);
	ASSERT_EQ(0, ret) TH_LOG("import: %s", strerror(-ret));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	EXPECT_STREQ(want, (char *)bi.allocator);
	EXPECT_EQ(0, smaf_vgem_close_handle(drm, handle));
	close(drm);
}

TEST_F(sel, vgem_contiguous_unless_sg)
{
	struct ctx *c = &self->c;

	expect_vgem_choice(_metadata, c, CMA);
	ASSERT_EQ(0, rules_write("platform:vgem sg\n"));
	expect_vgem_choice(_metadata, c, SYSTEM);
}

/* Any user needing contiguous or 32-bit memory: smaf-cma. */
TEST_F(sel, contiguous_or_32bit_users_get_cma)
{
	static const struct {
		const char *what;
		const char *rule;
		unsigned int attach, declare;
		int mapper;
	} cases[] = {
		{ "dma64, rule contiguous", TD(0) " contiguous\n", B(D64), 0, D64 },
		{ "dma64 + dma64b, rule contiguous on dma64b",
		  TD(3) " contiguous\n", B(D64) | B(D64B), 0, D64 },
		{ "dma64 + declared dma64b, rule contiguous on dma64b",
		  TD(3) " contiguous\n", B(D64), B(D64B), D64 },
		{ "CPU first, dma64b with rule contiguous attached",
		  TD(3) " contiguous\n", B(D64B), 0, -1 },
		{ "dma64 + dma32", NULL, B(D64) | B(D32), 0, D64 },
		{ "dma32", NULL, B(D32), 0, D32 },
		{ "dma64 + declared dma32", NULL, B(D64), B(D32), D64 },
		{ "CPU first, declared dma32", NULL, 0, B(D32), -1 },
	};
	struct ctx *c = &self->c;
	struct layout l;
	unsigned int i;
	int fd, ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, rules_write("clear\n"));
		if (cases[i].rule)
			ASSERT_EQ(0, rules_write(cases[i].rule));
		ret = first_use(_metadata, c, 256 * KiB, NULL, cases[i].attach,
				cases[i].declare, cases[i].mapper, &fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", cases[i].what, strerror(-ret));
		EXPECT_STREQ(CMA, ALLOC_OF(c, fd)) TH_LOG("%s", cases[i].what);
		layout_probe(_metadata, c, fd, &l);
		EXPECT_TRUE(l.contiguous) TH_LOG("%s", cases[i].what);
		if (cases[i].rule && strstr(cases[i].rule, "contiguous"))
			continue;
		EXPECT_TRUE(l.below_4g) TH_LOG("%s: starts at %#llx", cases[i].what,
					       (unsigned long long)l.first);
	}
}

/*
 * What serves a scatter-gather device limited to 32 bits: smaf-system when
 * it reaches all of RAM below that limit (RAM entirely below 4 GiB, the
 * stock-2g VM), smaf-cma otherwise.
 */
static const char *sg32_allocator(struct __test_metadata *_metadata)
{
	return ainfo_of(_metadata, SYSTEM).min_dma_limit <= 0xffffffffULL ?
	       SYSTEM : CMA;
}

/* A 32-bit limit on a scatter-gather device: below 4 GiB, any layout. */
TEST_F(sel, dma_bits_32_sg_user)
{
	struct ctx *c = &self->c;
	const char *want = sg32_allocator(_metadata);
	struct layout l;
	int fd, ret;

	ASSERT_EQ(0, rules_write(TD(0) " dma-bits=32\n"));
	ret = first_use(_metadata, c, 256 * KiB, NULL, B(D64), 0, D64, &fd);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_STREQ(want, ALLOC_OF(c, fd));
	layout_probe(_metadata, c, fd, &l);
	EXPECT_TRUE(l.below_4g) TH_LOG("starts at %#llx",
				       (unsigned long long)l.first);
}

/*
 * Forcing smaf-system with a 32-bit device attached: whichever device
 * maps, -ENODEV, one log line naming the devices, nothing allocated; the
 * next attempt succeeds once the 32-bit device is gone.
 */
TEST_F(sel, forced_system_cannot_serve_dma32)
{
	struct ctx *c = &self->c;
	struct smaf_stats before, after;
	uint32_t h64, h32;
	char line[1024], id[32];
	int fd;

	fd = new_buf(_metadata, c, 256 * KiB, SYSTEM);
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64, &h64));
	ASSERT_EQ(0, testdev_attach(c->td, fd, D32, &h32));
	ASSERT_EQ(0, smaf_stats_read(&before));
	kmsg_mark(c->kmsg);

	EXPECT_EQ(-ENODEV, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL,
				       NULL, NULL));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "forced allocator cannot serve", TD(1)))
		TH_LOG("no log line naming " TD(1));
	TH_LOG("log: %s", line);
	EXPECT_NE(NULL, strstr(line, TD(0))) TH_LOG("dma64 not named");
	EXPECT_NE(NULL, strstr(line, "DMA limit 0xffffffff"));
	EXPECT_EQ(-ENODEV, testdev_map(c->td, h32, SMAF_TESTDEV_BIDIRECTIONAL,
				       NULL, NULL));
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	EXPECT_STREQ(SYSTEM, ALLOC_OF(c, fd));
	ASSERT_EQ(0, smaf_stats_read(&after));
	EXPECT_EQ(before.allocated_bytes, after.allocated_bytes);
	EXPECT_EQ(before.allocated_buffers, after.allocated_buffers);

	ASSERT_EQ(0, testdev_detach(c->td, h32));
	EXPECT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	EXPECT_STREQ(SYSTEM, ALLOC_OF(c, fd));
	EXPECT_EQ(1, info_of(_metadata, c, fd).allocated);
}

/* Forcing smaf-system for a device that needs contiguous memory. */
TEST_F(sel, forced_system_cannot_serve_contiguous)
{
	struct ctx *c = &self->c;
	char line[1024], id[32];
	int fd;

	ASSERT_EQ(0, rules_write(TD(0) " contiguous\n"));
	kmsg_mark(c->kmsg);
	EXPECT_EQ(-ENODEV, first_use(_metadata, c, 256 * KiB, SYSTEM, B(D64),
				     0, D64, &fd));
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id, TD(0),
			      "needs contiguous memory"));
	TH_LOG("log: %s", line);
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
}

/* smaf-cma declares its largest buffer: forcing it beyond is -ENODEV. */
TEST_F(sel, forced_cma_too_large)
{
	struct ctx *c = &self->c;
	struct smaf_allocator_info ai = ainfo_of(_metadata, CMA);
	char line[1024], id[64];
	uint64_t max = ai.max_size;
	void *p;
	int fd;

	if (!max || max > (64ULL << 20))
		SKIP(return, "smaf-cma's limit (%llu bytes) is beyond a buffer here (CMA)",
		     (unsigned long long)max);
	/* Exactly the limit: served. */
	EXPECT_EQ(0, first_use(_metadata, c, max, CMA, B(D64), 0, D64, &fd));
	EXPECT_STREQ(CMA, ALLOC_OF(c, fd));
	close_buf(c, fd);

	kmsg_mark(c->kmsg);
	EXPECT_EQ(-ENODEV, first_use(_metadata, c, 2 * max, CMA, B(D64), 0, D64,
				     &fd));
	snprintf(id, sizeof(id), "buffer %llu: forced allocator cannot serve %llu bytes",
		 (unsigned long long)info_of(_metadata, c, fd).id,
		 (unsigned long long)(2 * max));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id, TD(0), NULL))
		TH_LOG("no log line \"%s ... %s\"", id, TD(0));
	TH_LOG("log: %s", line);
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	/* The CPU is refused the same way. */
	EXPECT_EQ(-ENODEV, dmabuf_mmap(fd, 2 * max, 0, true, &p));
	close_buf(c, fd);

	/* Nobody else can serve a contiguous buffer that large either. */
	ASSERT_EQ(0, rules_write(TD(0) " contiguous\n"));
	EXPECT_EQ(-ENODEV, first_use(_metadata, c, 2 * max, NULL, B(D64), 0,
				     D64, &fd));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line),
			      "no allocator can serve", TD(0), NULL));
}

/* A 30-bit device: no allocator at all; later attempts can succeed. */
TEST_F(sel, nothing_serves_dma30)
{
	struct ctx *c = &self->c;
	struct smaf_allocator_info sys0, cma0, sys1, cma1;
	struct smaf_stats before, after;
	uint32_t h[SMAF_TESTDEV_COUNT] = { 0 }, h64;
	char line[1024], id[32];
	int fd;

	sys0 = ainfo_of(_metadata, SYSTEM);
	cma0 = ainfo_of(_metadata, CMA);
	ASSERT_EQ(0, smaf_stats_read(&before));
	kmsg_mark(c->kmsg);
	EXPECT_EQ(-ENODEV, first_use_h(_metadata, c, 256 * KiB, NULL, B(D30), 0,
				       D30, &fd, h));
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "no allocator can serve", TD(2)))
		TH_LOG("no log line naming " TD(2));
	TH_LOG("log: %s", line);
	EXPECT_NE(NULL, strstr(line, "DMA limit 0x3fffffff"));

	/* dma64 maps while dma30 is attached: still nothing. */
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64, &h64));
	EXPECT_EQ(-ENODEV, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL,
				       NULL, NULL));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), TD(2), TD(0),
			      "no allocator can serve"));
	EXPECT_EQ(0, info_of(_metadata, c, fd).allocated);
	ASSERT_EQ(0, smaf_stats_read(&after));
	EXPECT_EQ(before.allocated_bytes, after.allocated_bytes);
	/* A refusal is not an allocator failure. */
	sys1 = ainfo_of(_metadata, SYSTEM);
	cma1 = ainfo_of(_metadata, CMA);
	EXPECT_EQ(sys0.failures, sys1.failures);
	EXPECT_EQ(cma0.failures, cma1.failures);

	ASSERT_EQ(0, testdev_detach(c->td, h[D30]));
	EXPECT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	EXPECT_STREQ(SYSTEM, ALLOC_OF(c, fd));
}

/* Was the kernel built with a CMA area (the debug lane's kernel is)? */
static bool kernel_has_cma(void)
{
	char buf[4096];

	return smaf_read_file("/proc/meminfo", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "CmaTotal:");
}

/* 32-bit and larger than smaf-cma's limit: nobody on a > 4 GiB machine. */
TEST_F(sel, large_dma32_nothing_serves)
{
	struct ctx *c = &self->c;
	struct smaf_allocator_info sys = ainfo_of(_metadata, SYSTEM);
	struct smaf_allocator_info cma = ainfo_of(_metadata, CMA);
	char line[1024];
	int fd;

	if (!cma.max_size || cma.max_size > (32ULL << 20) ||
	    sys.min_dma_limit <= 0xffffffffULL)
		SKIP(return, "smaf-cma's limit beyond a buffer here (CMA), or RAM below 4 GiB");
	kmsg_mark(c->kmsg);
	EXPECT_EQ(-ENODEV, first_use(_metadata, c, 2 * cma.max_size, NULL,
				     B(D64) | B(D32), 0, D64, &fd));
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line),
			      "no allocator can serve", TD(1), TD(0)));
	TH_LOG("log: %s", line);
}

/* ------------------------------------------------------------------ */
/* ainfo: SMAF_IOC_ALLOCATOR_INFO */

FIXTURE(ainfo) {
	struct ctx c;
};

FIXTURE_SETUP(ainfo)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(ainfo)
{
	ctx_teardown(_metadata, &self->c);
}

/* The end of the highest "System RAM" range of /proc/iomem, or 0. */
static uint64_t ram_top(void)
{
	unsigned long long a, b, top = 0;
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, ": System RAM") &&
		    sscanf(line, "%llx-%llx", &a, &b) == 2 && b + 1 > top)
			top = b + 1;
	fclose(f);
	return top;
}

TEST_F(ainfo, declared_capabilities)
{
	struct smaf_allocator_info ai, sys, cma;
	uint64_t top = ram_top(), want;
	struct smaf_info gi;
	char dbg[4096], line[512];
	int i, ret, bits;

	ASSERT_EQ(0, smaf_allocator_info(0, &ai));
	ASSERT_EQ(2, ai.count) TH_LOG("expected smaf-system and smaf-cma only");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, smaf_allocator_info(i, &ai));
		ASSERT_EQ(0, smaf_raw_get_info(self->c.dev, i, &gi));
		EXPECT_STREQ((char *)gi.name, (char *)ai.name);
	}
	ret = smaf_allocator_info(2, &ai);
	EXPECT_EQ(-EINVAL, ret);

	sys = ainfo_of(_metadata, SYSTEM);
	cma = ainfo_of(_metadata, CMA);
	/* Highest ranking first. */
	ASSERT_EQ(0, smaf_allocator_info(0, &ai));
	EXPECT_STREQ(SYSTEM, (char *)ai.name);
	EXPECT_EQ(10, sys.ranking);
	EXPECT_EQ(0, cma.ranking);
	EXPECT_EQ(0, sys.caps);
	EXPECT_EQ(SMAF_CAP_CONTIGUOUS | SMAF_CAP_SECURE, cma.caps);
	EXPECT_EQ(0, sys.max_size);
	/*
	 * The page allocator caps it at 4 MiB; with a CMA area, what one
	 * scatterlist entry describes: 4 GiB less a page.
	 */
	EXPECT_EQ(kernel_has_cma() ? 0x100000000ULL - pg : 4 * MiB,
		  cma.max_size);
	EXPECT_EQ(0xffffffffULL, cma.min_dma_limit);
	/* smaf-system: the DMA mask covering all of RAM. */
	ASSERT_NE(0, top) TH_LOG("no System RAM in /proc/iomem");
	for (bits = 64; bits > 1 && !((top - 1) >> (bits - 1)); bits--)
		;
	want = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	TH_LOG("RAM ends at %#llx; smaf-system min_dma_limit %#llx",
	       (unsigned long long)top, (unsigned long long)sys.min_dma_limit);
	EXPECT_EQ(want, sys.min_dma_limit);
	/* The 6 GiB VM has RAM above 4 GiB, the 2 GiB one (stock-2g) none. */
	if (top > (1ULL << 32)) {
		EXPECT_LT(0xffffffffULL, sys.min_dma_limit);
	} else {
		EXPECT_GE(0xffffffffULL, sys.min_dma_limit);
	}

	/* debugfs smaf/allocators says the same. */
	ASSERT_LT(0, smaf_read_file(DBG_DIR "allocators", dbg, sizeof(dbg)));
	snprintf(line, sizeof(line),
		 "name=%s ranking=10 contiguous=0 secure=0 max_size=0 min_dma_limit=%#llx ",
		 SYSTEM, (unsigned long long)sys.min_dma_limit);
	EXPECT_NE(NULL, strstr(dbg, line)) TH_LOG("%s", dbg);
	snprintf(line, sizeof(line),
		 "name=%s ranking=0 contiguous=1 secure=1 max_size=%llu min_dma_limit=0xffffffff ",
		 CMA, (unsigned long long)cma.max_size);
	EXPECT_NE(NULL, strstr(dbg, line)) TH_LOG("%s", dbg);
}

#define EXPECT_AI(a0, a1, dbufs, dbytes) do {				\
	EXPECT_EQ((a0).buffers + (dbufs), (a1).buffers) TH_LOG("%s", (char *)(a1).name); \
	EXPECT_EQ((a0).bytes + (dbytes), (a1).bytes) TH_LOG("%s", (char *)(a1).name); \
	EXPECT_LE((a1).bytes, (a1).peak_bytes);				\
	EXPECT_EQ((a0).failures, (a1).failures) TH_LOG("%s", (char *)(a1).name); \
} while (0)

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

TEST_F(ainfo, statistics_follow_buffers)
{
	struct ctx *c = &self->c;
	struct smaf_allocator_info s0, c0, s1, c1;
	const uint64_t a = MiB, b = 64 * KiB, k = 256 * KiB;
	uint64_t speak, cpeak;
	uint32_t ha[SMAF_TESTDEV_COUNT], hk[SMAF_TESTDEV_COUNT];
	int fa, fb, fk, fu, fr, fd, ret;
	char dbg[4096], want[256];

	s0 = ainfo_of(_metadata, SYSTEM);
	c0 = ainfo_of(_metadata, CMA);
	TH_LOG("baseline: system %llu buffers %llu bytes peak %llu; cma %llu buffers %llu bytes peak %llu",
	       (unsigned long long)s0.buffers, (unsigned long long)s0.bytes,
	       (unsigned long long)s0.peak_bytes, (unsigned long long)c0.buffers,
	       (unsigned long long)c0.bytes, (unsigned long long)c0.peak_bytes);

	/* Unallocated buffers, forced or not, hold nothing. */
	fu = new_buf(_metadata, c, 2 * MiB, CMA);
	fr = new_buf(_metadata, c, 2 * MiB, NULL);
	EXPECT_AI(s0, ainfo_of(_metadata, SYSTEM), 0, 0);
	EXPECT_AI(c0, ainfo_of(_metadata, CMA), 0, 0);

	ret = first_use_h(_metadata, c, a, NULL, B(D64), 0, D64, &fa, ha);
	ASSERT_EQ(0, ret);
	ret = first_use(_metadata, c, b, NULL, 0, 0, -1, &fb);
	ASSERT_EQ(0, ret);
	ret = first_use_h(_metadata, c, k, NULL, B(D32), 0, D32, &fk, hk);
	ASSERT_EQ(0, ret);
	ASSERT_STREQ(SYSTEM, ALLOC_OF(c, fa));
	ASSERT_STREQ(SYSTEM, ALLOC_OF(c, fb));
	ASSERT_STREQ(CMA, ALLOC_OF(c, fk));
	/* A refused allocation changes nothing. */
	EXPECT_EQ(-ENODEV, first_use(_metadata, c, k, NULL, B(D30), 0, D30, &fd));

	s1 = ainfo_of(_metadata, SYSTEM);
	c1 = ainfo_of(_metadata, CMA);
	EXPECT_AI(s0, s1, 2, a + b);
	EXPECT_AI(c0, c1, 1, k);
	speak = max_u64(s0.peak_bytes, s0.bytes + a + b);
	cpeak = max_u64(c0.peak_bytes, c0.bytes + k);
	EXPECT_EQ(speak, s1.peak_bytes);
	EXPECT_EQ(cpeak, c1.peak_bytes);

	/* debugfs smaf/allocators shows the live values too. */
	ASSERT_LT(0, smaf_read_file(DBG_DIR "allocators", dbg, sizeof(dbg)));
	snprintf(want, sizeof(want), "buffers=%llu bytes=%llu peak_bytes=%llu failures=%llu",
		 (unsigned long long)s1.buffers, (unsigned long long)s1.bytes,
		 (unsigned long long)s1.peak_bytes, (unsigned long long)s1.failures);
	EXPECT_NE(NULL, strstr(dbg, want)) TH_LOG("want %s in\n%s", want, dbg);

	/* Freeing one: bytes go down, the peak stays. */
	ASSERT_EQ(0, testdev_unmap_detach(c->td, ha[D64]));
	close_buf(c, fa);
	s1 = ainfo_of(_metadata, SYSTEM);
	EXPECT_AI(s0, s1, 1, b);
	EXPECT_EQ(speak, s1.peak_bytes);

	close_buf(c, fb);
	ASSERT_EQ(0, testdev_unmap_detach(c->td, hk[D32]));
	close_buf(c, fk);
	close_buf(c, fu);
	close_buf(c, fr);
	close_buf(c, fd);
	s1 = ainfo_of(_metadata, SYSTEM);
	c1 = ainfo_of(_metadata, CMA);
	EXPECT_AI(s0, s1, 0, 0);
	EXPECT_AI(c0, c1, 0, 0);
	EXPECT_EQ(speak, s1.peak_bytes);
	EXPECT_EQ(cpeak, c1.peak_bytes);
}

/* ------------------------------------------------------------------ */
/* rules: /sys/class/misc/smaf/constraints */

FIXTURE(rules) {
	struct ctx c;
};

FIXTURE_SETUP(rules)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(rules)
{
	ctx_teardown(_metadata, &self->c);
}

/* What a dma64-only buffer gets now. */
static void expect_dma64_choice(struct __test_metadata *_metadata,
				struct ctx *c, const char *want,
				const char *why)
{
	int fd, ret;

	ret = first_use(_metadata, c, 128 * KiB, NULL, B(D64), 0, D64, &fd);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(-ret));
	EXPECT_STREQ(want, ALLOC_OF(c, fd)) TH_LOG("%s", why);
	close_buf(c, fd);
}

static void expect_rules(struct __test_metadata *_metadata, const char *want)
{
	char got[4096], dbg[4096];

	ASSERT_LE(0, rules_read(got, sizeof(got)));
	EXPECT_STREQ(want, got);
	ASSERT_LE(0, smaf_read_file(DBG_DIR "constraints", dbg, sizeof(dbg)));
	EXPECT_STREQ(want, dbg) TH_LOG("debugfs constraints differs");
}

TEST_F(rules, table_changes_next_choice)
{
	struct ctx *c = &self->c;

	expect_rules(_metadata, "");
	expect_dma64_choice(_metadata, c, SYSTEM, "no rule");

	ASSERT_EQ(0, rules_write(TD(0) " contiguous\n"));
	expect_rules(_metadata, TD(0) " contiguous\n");
	expect_dma64_choice(_metadata, c, CMA, "rule contiguous");

	ASSERT_EQ(0, rules_write("-" TD(0) "\n"));
	expect_rules(_metadata, "");
	expect_dma64_choice(_metadata, c, SYSTEM, "rule removed");

	ASSERT_EQ(0, rules_write(TD(0) " dma-bits=32\n"));
	expect_rules(_metadata, TD(0) " dma-bits=32\n");
	expect_dma64_choice(_metadata, c, sg32_allocator(_metadata),
			    "rule dma-bits=32");

	/* Setting the same device again replaces its rule. */
	ASSERT_EQ(0, rules_write(TD(0) " dma-bits=40\n"));
	expect_rules(_metadata, TD(0) " dma-bits=40\n");
	expect_dma64_choice(_metadata, c, SYSTEM, "rule dma-bits=40");

	/* A rule for another device changes nothing for dma64. */
	ASSERT_EQ(0, rules_write(TD(3) " contiguous dma-bits=32"));
	expect_rules(_metadata, TD(0) " dma-bits=40\n" TD(3) " contiguous dma-bits=32\n");
	expect_dma64_choice(_metadata, c, SYSTEM, "rule for dma64b only");

	ASSERT_EQ(0, rules_write("clear\n"));
	expect_rules(_metadata, "");
	expect_dma64_choice(_metadata, c, SYSTEM, "cleared");
}

/* A rule applies to devices declared and attached alike, and to the CPU-first path. */
TEST_F(rules, rule_for_declared_consumer)
{
	struct ctx *c = &self->c;
	int fd;

	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	ASSERT_EQ(0, first_use(_metadata, c, 128 * KiB, NULL, 0, B(D64B), -1, &fd));
	EXPECT_STREQ(CMA, ALLOC_OF(c, fd));
	EXPECT_EQ(1, info_of(_metadata, c, fd).consumers);
}

TEST_F(rules, malformed_lines)
{
	static const char *const bad[] = {
		"\n", "nonsense\n", "platform:smaf-testdev.0 bogus\n",
		"platform:smaf-testdev.0 contiguous bogus\n",
		"platform:smaf-testdev.0 dma-bits=11\n",
		"platform:smaf-testdev.0 dma-bits=65\n",
		"platform:smaf-testdev.0 dma-bits=\n",
		"platform:smaf-testdev.0 dma-bits=x32\n",
		"platform:smaf-testdev.0 contiguous=1\n",
		"clear all\n",
	};
	char longname[200];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, rules_write(bad[i])) TH_LOG("bad line %u", i);
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "platform:", 9);
	longname[sizeof(longname) - 1] = 0;
	EXPECT_EQ(-EINVAL, rules_write(longname));
	/* Removing what is not there. */
	EXPECT_EQ(-ENOENT, rules_write("-" TD(0) "\n"));
	expect_rules(_metadata, "");
	/* The limits of dma-bits are accepted. */
	EXPECT_EQ(0, rules_write("platform:x.0 dma-bits=12\n"));
	EXPECT_EQ(0, rules_write("platform:y.0 dma-bits=64\n"));
	EXPECT_EQ(0, rules_write("  platform:z.0   contiguous  \n"));
	expect_rules(_metadata, "platform:x.0 dma-bits=12\nplatform:y.0\n"
		     "platform:z.0 contiguous\n");
}

/* A number followed by anything else is not a number. */
TEST_F(rules, malformed_dma_bits_suffix)
{
	EXPECT_EQ(-EINVAL, rules_write(TD(0) " dma-bits=32x\n"));
	EXPECT_EQ(-EINVAL, rules_write(TD(0) " dma-bits=32,contiguous\n"));
	expect_rules(_metadata, "");
}

TEST_F(rules, table_full)
{
	char line[64];
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(line, sizeof(line), "platform:fill.%d contiguous\n", i);
		ASSERT_EQ(0, rules_write(line)) TH_LOG("rule %d", i);
	}
	EXPECT_EQ(-ENOSPC, rules_write("platform:fill.64 contiguous\n"));
	/* Replacing one still works when full. */
	EXPECT_EQ(0, rules_write("platform:fill.3 dma-bits=32\n"));
	EXPECT_EQ(0, rules_write("-platform:fill.3\n"));
	EXPECT_EQ(0, rules_write("platform:fill.64 contiguous\n"));
}

/* Only root changes the table; anyone may read it. */
TEST_F(rules, root_only)
{
	struct stat st;
	pid_t pid;
	int status;

	ASSERT_EQ(0, stat(RULES_PATH, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0644, st.st_mode & 07777);
	ASSERT_EQ(0, rules_write(TD(0) " contiguous\n"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[256];
		int fd, code = 0;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = open(RULES_PATH, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EACCES)
			code |= 1;
		if (fd >= 0) {
			if (write(fd, "clear\n", 6) >= 0)
				code |= 2;
			close(fd);
		}
		if (rules_read(buf, sizeof(buf)) < 0 ||
		    strcmp(buf, TD(0) " contiguous\n"))
			code |= 4;
		/* /dev/smaf is root's too (design: Permissions). */
		fd = open(SMAF_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != EACCES)
			code |= 8;
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("as nobody: 1 open for write not EACCES, 2 write worked, 4 read failed, 8 /dev/smaf opened, 10 setuid failed");
	expect_rules(_metadata, TD(0) " contiguous\n");
}

/* ------------------------------------------------------------------ */
/* late: a device attaches after allocation */

FIXTURE(late) {
	struct ctx c;
};

FIXTURE_SETUP(late)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(late)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * A smaf-system buffer for dma64, holding pattern @seed, not contiguous
 * (buffers that came out contiguous by chance are kept aside, alive, so the
 * next one lands elsewhere). dma64 stays attached, mapped if @keep_mapped.
 */
static int sg_buffer(struct __test_metadata *_metadata, struct ctx *c,
		     uint64_t size, uint32_t seed, bool keep_mapped,
		     uint32_t *h64, struct layout *l)
{
	int fd = -1, i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, first_use(_metadata, c, size, NULL, 0, 0, -1, &fd));
		ASSERT_STREQ(SYSTEM, ALLOC_OF(c, fd));
		layout_probe(_metadata, c, fd, l);
		if (!l->contiguous)
			break;
		TH_LOG("buffer came out contiguous; another one");
	}
	ASSERT_FALSE(l->contiguous);
	log_layout(_metadata, "smaf-system buffer", l);
	ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, h64, NULL));
	ASSERT_EQ(0, testdev_write(c->td, *h64, seed, 0, size));
	if (!keep_mapped)
		ASSERT_EQ(0, testdev_unmap(c->td, *h64));
	return fd;
}

TEST_F(late, contiguous_device_migrates_buffer)
{
	struct ctx *c = &self->c;
	const uint64_t size = 512 * KiB + 4 * KiB;
	struct smaf_allocator_info s0, c0, s1, c1;
	struct smaf_buffer_info bi;
	struct layout before, after;
	uint32_t h64, hb;
	uint64_t sum;
	char line[1024], id[32];
	uint8_t *p;
	int fd;

	fd = sg_buffer(_metadata, c, size, 0x1a7e, false, &h64, &before);
	snprintf(id, sizeof(id), "buffer %llu ",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	/* A CPU mapping made before the move. */
	p = map_buf(_metadata, c, fd, size);
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	ASSERT_EQ(-1, pattern_mismatch(p, 0x1a7e, 0, size));
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	s0 = ainfo_of(_metadata, SYSTEM);
	c0 = ainfo_of(_metadata, CMA);

	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	kmsg_mark(c->kmsg);
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64B, &hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.migrations);
	EXPECT_STREQ(CMA, (char *)bi.allocator);
	EXPECT_EQ(1, bi.allocated);
	EXPECT_EQ(2, bi.attachments);
	EXPECT_EQ(1, bi.cpu_mappings);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "moved from smaf-system to smaf-cma", "smaf-testdev.3"));
	TH_LOG("log: %s", line);
	/* The memory went from one allocator to the other. */
	s1 = ainfo_of(_metadata, SYSTEM);
	c1 = ainfo_of(_metadata, CMA);
	EXPECT_EQ(s0.buffers - 1, s1.buffers);
	EXPECT_EQ(s0.bytes - size, s1.bytes);
	EXPECT_EQ(c0.buffers + 1, c1.buffers);
	EXPECT_EQ(c0.bytes + size, c1.bytes);

	/* The device reads what dma64 wrote before the move. */
	ASSERT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x1a7e, 0, size), sum);

	/* The old CPU mapping reads the new memory: what dma64b writes now. */
	ASSERT_EQ(0, testdev_write(c->td, hb, 0xd00d, 0, size));
	ASSERT_EQ(0, dmabuf_sync_start(fd));
	EXPECT_EQ(-1, pattern_mismatch(p, 0xd00d, 0, size))
		TH_LOG("the CPU mapping made before the move still shows the old pages");
	/* Writes through it reach the devices. */
	pattern_fill(p, 0xbeef, 0, size);
	ASSERT_EQ(0, dmabuf_sync_end(fd));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0xbeef, 0, size), sum);
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, h64, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0xbeef, 0, size), sum);
	/* New place, contiguous. */
	layout_probe(_metadata, c, fd, &after);
	log_layout(_metadata, "after the move", &after);
	EXPECT_TRUE(after.contiguous);
	EXPECT_NE(before.first, after.first);
	EXPECT_EQ(1, info_of(_metadata, c, fd).migrations);
}

TEST_F(late, attach_refused_while_mapped)
{
	struct ctx *c = &self->c;
	const uint64_t size = 512 * KiB + 4 * KiB;
	struct smaf_buffer_info bi;
	struct layout l, l2;
	uint32_t h64, hb;
	uint64_t sum;
	char line[1024], id[32];
	int fd, ret;

	fd = sg_buffer(_metadata, c, size, 0x5eed, true, &h64, &l);
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);
	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	kmsg_mark(c->kmsg);
	ret = testdev_attach(c->td, fd, D64B, &hb);
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "it needs contiguous memory", "a device has it mapped"));
	TH_LOG("log: %s", line);
	EXPECT_NE(NULL, strstr(line, "smaf-testdev.3"));

	/* Untouched. */
	bi = info_of(_metadata, c, fd);
	EXPECT_STREQ(SYSTEM, (char *)bi.allocator);
	EXPECT_EQ(0, bi.migrations);
	EXPECT_EQ(1, bi.attachments);
	EXPECT_EQ(1, bi.device_mappings);
	ASSERT_EQ(0, testdev_checksum(c->td, h64, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x5eed, 0, size), sum);
	layout_probe(_metadata, c, fd, &l2);
	EXPECT_EQ(l.first, l2.first);

	/* Once dma64 lets go, the same attach moves it. */
	ASSERT_EQ(0, testdev_unmap(c->td, h64));
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64B, &hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_STREQ(CMA, (char *)bi.allocator);
	EXPECT_EQ(1, bi.migrations);
	ASSERT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x5eed, 0, size), sum);
}

/*
 * A device whose rule lowers its DMA limit (dma64b, dma-bits=32) attaching
 * to memory above 4 GiB: its constraints say it cannot use that memory, so
 * the buffer must move below 4 GiB (design: Buffer life 2, Constraints).
 */
TEST_F(late, dma_bits_rule_device_migrates_buffer)
{
	struct ctx *c = &self->c;
	const uint64_t size = 512 * KiB + 4 * KiB;
	struct smaf_buffer_info bi;
	struct layout l, l2;
	uint32_t h64, hb;
	uint64_t sum;
	int fd;

	fd = sg_buffer(_metadata, c, size, 0x3232, false, &h64, &l);
	if (l.below_4g)
		SKIP(return, "smaf-system memory landed below 4 GiB");
	ASSERT_EQ(0, rules_write(TD(3) " dma-bits=32\n"));
	ASSERT_EQ(0, testdev_attach(c->td, fd, D64B, &hb));
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(1, bi.migrations);
	EXPECT_STREQ(CMA, (char *)bi.allocator);
	layout_probe(_metadata, c, fd, &l2);
	log_layout(_metadata, "after dma64b attached", &l2);
	EXPECT_TRUE(l2.below_4g);
	ASSERT_EQ(0, testdev_map(c->td, hb, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, hb, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x3232, 0, size), sum);
}

/* A secure buffer never moves, even with no device mapping. */
TEST_F(late, secure_buffer_never_migrates)
{
	struct ctx *c = &self->c;
	const uint64_t size = 256 * KiB;
	struct smaf_buffer_info bi;
	uint32_t h64, h32;
	uint64_t dma = 0, sum;
	char line[1024], id[32];
	int fd = -1, i, ret;
	bool high = false;

	for (i = 0; i < 16 && !high; i++) {
		fd = new_buf(_metadata, c, size, NULL);
		ret = smaf_set_secure(fd, 1);
		if (ret == -ENODEV)
			SKIP(return, "no secure module registered");
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, &h64, &dma));
		ASSERT_STREQ(CMA, ALLOC_OF(c, fd));
		/* One contiguous block: dma64's first address is its start. */
		high = dma + size > FOUR_GIB;
		if (!high)
			testdev_unmap_detach(c->td, h64);
	}
	if (!high)
		SKIP(return, "no secure buffer landed above 4 GiB");
	TH_LOG("secure buffer at %#llx", (unsigned long long)dma);
	ASSERT_EQ(0, testdev_write(c->td, h64, 0x5ec, 0, size));
	ASSERT_EQ(0, testdev_unmap(c->td, h64));
	snprintf(id, sizeof(id), "buffer %llu:",
		 (unsigned long long)info_of(_metadata, c, fd).id);

	kmsg_mark(c->kmsg);
	ret = testdev_attach(c->td, fd, D32, &h32);
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_TRUE(kmsg_find(c->kmsg, line, sizeof(line), id,
			      "the buffer is secure", "smaf-testdev.1"));
	TH_LOG("log: %s", line);
	bi = info_of(_metadata, c, fd);
	EXPECT_EQ(0, bi.migrations);
	EXPECT_STREQ(CMA, (char *)bi.allocator);
	EXPECT_EQ(1, bi.secure);
	ASSERT_EQ(0, testdev_map(c->td, h64, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, testdev_checksum(c->td, h64, 0, size, &sum));
	EXPECT_EQ(cksum_pattern(0x5ec, 0, size), sum);
}

/* ------------------------------------------------------------------ */
/* dbg: debugfs smaf/buffers */

FIXTURE(dbg) {
	struct ctx c;
};

FIXTURE_SETUP(dbg)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(dbg)
{
	ctx_teardown(_metadata, &self->c);
}

/* The one line of debugfs smaf/buffers for buffer @id, into @out. */
static int buffer_line(uint64_t id, char *out, size_t len)
{
	static char all[65536];
	char key[40], *l, *save = NULL;
	int n = 0;

	if (smaf_read_file(DBG_DIR "buffers", all, sizeof(all)) < 0)
		return -1;
	snprintf(key, sizeof(key), "id=%llu ", (unsigned long long)id);
	for (l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, key, strlen(key)) == 0) {
			snprintf(out, len, "%s", l);
			n++;
		}
	return n;
}

/* " key=value" (or "key=value" at the start) appears in @line. */
static bool has_field(const char *line, const char *field)
{
	size_t n = strlen(field);
	const char *p = line;

	while ((p = strstr(p, field))) {
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
		p++;
	}
	return false;
}

#define EXPECT_FIELD(line, fmt, ...) do {				\
	char _f[256];							\
	snprintf(_f, sizeof(_f), fmt, ##__VA_ARGS__);			\
	EXPECT_TRUE(has_field((line), _f)) TH_LOG("no \"%s\" in: %s", _f, (line)); \
} while (0)

TEST_F(dbg, buffers_lines)
{
	struct ctx *c = &self->c;
	char line[1024], comm[32] = "";
	uint64_t ida, idb, idm;
	uint32_t h0, h3;
	int fa, fb, fm, pipefd[2], gofd[2], status;
	pid_t pid;
	char cid[32];
	uint32_t hm;

	ASSERT_LT(0, smaf_read_file("/proc/self/comm", comm, sizeof(comm)));
	comm[strcspn(comm, "\n")] = 0;

	/* A: dma64 + dma64b attached, dma32 declared, named. */
	fa = new_buf(_metadata, c, 128 * KiB, NULL);
	ASSERT_EQ(0, smaf_add_consumer(fa, TD(1)));
	ASSERT_EQ(0, testdev_attach(c->td, fa, D64, &h0));
	ASSERT_EQ(0, testdev_attach(c->td, fa, D64B, &h3));
	ASSERT_EQ(0, testdev_map(c->td, h0, SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
	ASSERT_EQ(0, ioctl(fa, DMA_BUF_SET_NAME, "cons-test-A"));
	ida = info_of(_metadata, c, fa).id;
	/* B: nothing, smaf-system forced. */
	fb = new_buf(_metadata, c, 64 * KiB, SYSTEM);
	idb = info_of(_metadata, c, fb).id;
	/* M: migrated once. */
	ASSERT_EQ(0, first_use(_metadata, c, 64 * KiB + 4 * KiB, NULL, 0, 0, -1, &fm));
	ASSERT_EQ(0, rules_write(TD(3) " contiguous\n"));
	ASSERT_EQ(0, testdev_attach(c->td, fm, D64B, &hm));
	idm = info_of(_metadata, c, fm).id;
	if (info_of(_metadata, c, fm).migrations != 1)
		TH_LOG("note: M was contiguous already");

	ASSERT_EQ(1, buffer_line(ida, line, sizeof(line))) TH_LOG("buffer A");
	TH_LOG("A: %s", line);
	EXPECT_FIELD(line, "size=%llu", 128 * KiB);
	EXPECT_FIELD(line, "state=allocated");
	EXPECT_FIELD(line, "allocator=%s", CMA);
	EXPECT_FIELD(line, "secure=0");
	EXPECT_FIELD(line, "attached=%s,%s", TD(0), TD(3));
	EXPECT_FIELD(line, "declared=%s", TD(1));
	EXPECT_FIELD(line, "device_maps=1");
	EXPECT_FIELD(line, "cpu_maps=0");
	EXPECT_FIELD(line, "migrations=0");
	EXPECT_FIELD(line, "pid=%d", getpid());
	EXPECT_FIELD(line, "comm=%s", comm);
	EXPECT_FIELD(line, "name=cons-test-A");

	ASSERT_EQ(1, buffer_line(idb, line, sizeof(line))) TH_LOG("buffer B");
	TH_LOG("B: %s", line);
	EXPECT_FIELD(line, "state=unallocated");
	EXPECT_FIELD(line, "allocator=%s", SYSTEM);
	EXPECT_FIELD(line, "attached=-");
	EXPECT_FIELD(line, "declared=-");
	EXPECT_FIELD(line, "device_maps=0");
	EXPECT_FIELD(line, "name=-");

	ASSERT_EQ(1, buffer_line(idm, line, sizeof(line))) TH_LOG("buffer M");
	TH_LOG("M: %s", line);
	EXPECT_FIELD(line, "migrations=%u", info_of(_metadata, c, fm).migrations);
	EXPECT_FIELD(line, "allocator=%s", CMA);
	EXPECT_FIELD(line, "attached=%s", TD(3));

	/* Renaming shows at once. */
	ASSERT_EQ(0, ioctl(fa, DMA_BUF_SET_NAME, "renamed"));
	ASSERT_EQ(1, buffer_line(ida, line, sizeof(line)));
	EXPECT_FIELD(line, "name=renamed");

	/* Another process's buffer: its pid and command. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pipe(gofd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev = smaf_dev_open(), fd = -1;
		struct smaf_buffer_info bi;
		char b;

		prctl(PR_SET_NAME, "smaf-dbg-child");
		if (dev < 0 || smaf_raw_create(dev, 4096, SMAF_RDWR, NULL, &fd) ||
		    smaf_raw_buffer_info(dev, fd, &bi))
			_exit(1);
		snprintf(cid, sizeof(cid), "%llu\n", (unsigned long long)bi.id);
		if (write(pipefd[1], cid, strlen(cid)) < 0)
			_exit(2);
		/* Keep the buffer until the parent has looked. */
		close(gofd[1]);
		if (read(gofd[0], &b, 1) < 0)
			_exit(3);
		_exit(0);
	}
	{
		char got[32] = "";
		ssize_t n;

		close(gofd[0]);
		n = read(pipefd[0], got, sizeof(got) - 1);
		ASSERT_LT(0, n);
		got[n] = 0;
		n = buffer_line(strtoull(got, NULL, 10), line, sizeof(line));
		close(gofd[1]);
		close(pipefd[1]);
		close(pipefd[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ASSERT_EQ(1, n);
		TH_LOG("child's: %s", line);
		EXPECT_FIELD(line, "pid=%d", pid);
		EXPECT_FIELD(line, "comm=smaf-dbg-child");
	}

	/* Freed buffers have no line. */
	close_buf(c, fb);
	EXPECT_EQ(0, buffer_line(idb, line, sizeof(line)));
}

/*
 * No kernel address in any SMAF file: hex of 12+ digits starting with
 * ffff, or a decimal that large (x86_64 kernel addresses are at or above
 * 0xffff800000000000).
 */
static const char *kernel_pointer(const char *text)
{
	const char *p = text;

	for (; *p; p++) {
		size_t n = 0;

		if ((p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
			const char *h = p + 2;

			while (strchr("0123456789abcdefABCDEF", h[n]) && h[n])
				n++;
			if (n >= 12 && strncasecmp(h, "ffff", 4) == 0)
				return p;
			continue;
		}
		if (p > text && strchr("0123456789abcdefABCDEF", p[-1]))
			continue;
		while (strchr("0123456789abcdefABCDEF", p[n]) && p[n])
			n++;
		if (n == 16 && strncasecmp(p, "ffff", 4) == 0)
			return p;
		if (n >= 19 && strspn(p, "0123456789") >= 19 &&
		    strtoull(p, NULL, 10) >= 0xffff800000000000ULL)
			return p;
	}
	return NULL;
}

TEST_F(dbg, no_kernel_pointers)
{
	static const char *const files[] = {
		DBG_DIR "buffers", DBG_DIR "allocators", DBG_DIR "constraints",
		DBG_DIR "stats", RULES_PATH,
	};
	static char text[65536];
	struct ctx *c = &self->c;
	unsigned int i;
	const char *bad;
	uint32_t h;
	int fa, fb;

	ASSERT_EQ(0, rules_write(TD(3) " contiguous dma-bits=40\n"));
	ASSERT_EQ(0, first_use(_metadata, c, 64 * KiB, NULL, B(D64), B(D32), D64, &fa));
	ASSERT_EQ(0, ioctl(fa, DMA_BUF_SET_NAME, "ptr-check"));
	fb = new_buf(_metadata, c, 64 * KiB, CMA);
	ASSERT_EQ(0, testdev_attach(c->td, fb, D64B, &h));
	/* The self-check of the checker. */
	ASSERT_NE(NULL, kernel_pointer("x addr=0xffff888012345678 y"));
	ASSERT_NE(NULL, kernel_pointer("x ffff888012345678 y"));
	ASSERT_NE(NULL, kernel_pointer("x 18446612682070163456 y"));
	ASSERT_EQ(NULL, kernel_pointer("min_dma_limit=0xffffffff bytes=1048576"));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ASSERT_LE(0, smaf_read_file(files[i], text, sizeof(text)))
			TH_LOG("%s", files[i]);
		bad = kernel_pointer(text);
		EXPECT_EQ(NULL, bad) TH_LOG("%s: kernel pointer at \"%.40s\"",
					    files[i], bad ? bad : "");
	}
}

/* ------------------------------------------------------------------ */
/* vivid allocators=1: videobuf2-dma-contig, 32-bit DMA mask */

#define VIVID_NBUF	3
#define VIVID_FRAMES	3
#define VIVID_MAX_IMAGE	(4U * 1024 * 1024)
#define VIVID_SEED	0x7171

enum vivid_outcome {
	V_OK,		/* QBUF works, no move */
	V_MOVED,	/* QBUF works, the buffer moved to smaf-cma */
	V_BUSY,		/* attach refused: -EBUSY */
	V_NOT_CONTIG,	/* attached, vb2-dma-contig refuses the pages */
};

FIXTURE(vivid) {
	struct ctx c;
	int vfd;
	size_t size;		/* SMAF buffer size */
	unsigned int sizeimage;
	int fds[VIVID_NBUF];
	uint32_t h64[VIVID_NBUF];
	bool streaming;
	bool ready;		/* ctx set up */
};

FIXTURE_VARIANT(vivid) {
	bool declare;		/* smaf_add_consumer(fd, "platform:vivid.0") */
	bool rule;		/* "platform:vivid.0 contiguous" */
	bool keep_mapped;	/* dma64 keeps its mapping at QBUF */
};

FIXTURE_VARIANT_ADD(vivid, declared) {
	.declare = true,
};

FIXTURE_VARIANT_ADD(vivid, undeclared) {
};

FIXTURE_VARIANT_ADD(vivid, undeclared_dma64_mapped) {
	.keep_mapped = true,
};

FIXTURE_VARIANT_ADD(vivid, rule_declared) {
	.declare = true,
	.rule = true,
};

FIXTURE_VARIANT_ADD(vivid, rule_undeclared) {
	.rule = true,
};

FIXTURE_VARIANT_ADD(vivid, rule_undeclared_dma64_mapped) {
	.rule = true,
	.keep_mapped = true,
};

FIXTURE_SETUP(vivid)
{
	const char *req = getenv("SMAF_CONSTRAINTS_VIVID");
	struct v4l2_format f;
	char mode[64] = "";
	int i, ret;

	self->vfd = -1;
	for (i = 0; i < VIVID_NBUF; i++)
		self->fds[i] = -1;
	ret = smaf_read_file("/sys/module/vivid/parameters/allocators", mode,
			sizeof(mode));
	if (ret < 0 || mode[0] != '1') {
		if (req && req[0] == '1')
			ASSERT_TRUE(false) TH_LOG("vivid not loaded with allocators=1 (%s)",
						  ret < 0 ? strerror(-ret) : mode);
		SKIP(return, "vivid not loaded with allocators=1");
	}
	ctx_setup(_metadata, &self->c);
	self->ready = true;
	self->vfd = vivid_open_capture(NULL, 0);
	ASSERT_LE(0, self->vfd) TH_LOG("no vivid capture node");
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_G_FMT, &f));
	if (f.fmt.pix.sizeimage == 0 || f.fmt.pix.sizeimage > VIVID_MAX_IMAGE) {
		f.fmt.pix.width = 640;
		f.fmt.pix.height = 360;
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
		f.fmt.pix.field = V4L2_FIELD_NONE;
		ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_S_FMT, &f));
	}
	self->sizeimage = f.fmt.pix.sizeimage;
	ASSERT_LT(0, self->sizeimage);
	self->size = (self->sizeimage + pg - 1) & ~(pg - 1);
	TH_LOG("vivid %ux%u sizeimage %u, buffers of %zu bytes", f.fmt.pix.width,
	       f.fmt.pix.height, self->sizeimage, self->size);
}

FIXTURE_TEARDOWN(vivid)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_requestbuffers rb;

	if (self->vfd >= 0) {
		if (self->streaming)
			smaf_xioctl(self->vfd, VIDIOC_STREAMOFF, &type);
		memset(&rb, 0, sizeof(rb));
		rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		rb.memory = V4L2_MEMORY_DMABUF;
		smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb);
		close(self->vfd);
	}
	if (self->ready)
		ctx_teardown(_metadata, &self->c);
}

/*
 * What vivid's QBUF must do to a buffer dma64 mapped first. Nothing says
 * vivid follows scatter-gather lists and no IOMMU translates its DMA, so
 * it needs contiguous memory with the rule and without: scattered pages
 * below 4 GiB (all of them, with 2 GiB of RAM) are moved or refused, never
 * handed to videobuf2-dma-contig (V_NOT_CONTIG: tests/test_contig.c's
 * "sg" rule case).
 */
static enum vivid_outcome vivid_expect(const FIXTURE_VARIANT(vivid) *v,
				       const struct layout *l)
{
	bool serves = l->below_4g && l->contiguous;

	if (serves)
		return l->contiguous ? V_OK : V_NOT_CONTIG;
	return v->keep_mapped ? V_BUSY : V_MOVED;
}

static const char *const outcome_names[] = {
	"works in place", "moves to smaf-cma", "-EBUSY",
	"attaches, vb2-dma-contig refuses scattered pages (-EFAULT)",
};

TEST_F_TIMEOUT(vivid, capture, 600)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct ctx *c = &self->c;
	struct v4l2_requestbuffers rb;
	struct smaf_buffer_info bi;
	unsigned int i, frames = 0, errors = 0, moved = 0;
	uint64_t deadline, sum;
	struct layout l;
	bool mapped;
	int ret;

	if (_metadata->skip)
		return;		/* skipped in the setup */
	if (variant->rule)
		ASSERT_EQ(0, rules_write(VIVID_DEV " contiguous\n"));
	memset(&rb, 0, sizeof(rb));
	rb.count = VIVID_NBUF;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_REQBUFS, &rb));
	ASSERT_LE(2, rb.count);
	ASSERT_GE(VIVID_NBUF, rb.count);

	for (i = 0; i < rb.count; i++) {
		enum vivid_outcome want;
		int fd = new_buf(_metadata, c, self->size, NULL);

		self->fds[i] = fd;
		if (variant->declare)
			ASSERT_EQ(0, smaf_add_consumer(fd, VIVID_DEV));
		/* The 64-bit scatter-gather device maps first. */
		ASSERT_EQ(0, testdev_attach_map(c->td, fd, D64, &self->h64[i], NULL));
		ASSERT_EQ(0, testdev_write(c->td, self->h64[i], VIVID_SEED + i, 0,
					   self->size));
		bi = info_of(_metadata, c, fd);
		EXPECT_STREQ(variant->declare ? CMA : SYSTEM, (char *)bi.allocator)
			TH_LOG("buffer %u after dma64's map", i);
		layout_probe(_metadata, c, fd, &l);
		log_layout(_metadata, (char *)bi.allocator, &l);
		if (variant->declare) {
			EXPECT_TRUE(l.contiguous);
			EXPECT_TRUE(l.below_4g);
		}
		mapped = variant->keep_mapped;
		if (!mapped)
			ASSERT_EQ(0, testdev_unmap(c->td, self->h64[i]));

		want = vivid_expect(variant, &l);
		TH_LOG("buffer %u: vivid's QBUF should: %s", i, outcome_names[want]);
		ret = vivid_qbuf(self->vfd, i, fd, self->size);
		bi = info_of(_metadata, c, fd);
		switch (want) {
		case V_OK:
			ASSERT_EQ(0, ret) TH_LOG("QBUF %u: %s", i, strerror(-ret));
			EXPECT_EQ(0, bi.migrations);
			break;
		case V_MOVED:
			ASSERT_EQ(0, ret) TH_LOG("QBUF %u: %s", i, strerror(-ret));
			EXPECT_EQ(1, bi.migrations);
			EXPECT_STREQ(CMA, (char *)bi.allocator);
			moved++;
			break;
		case V_BUSY:
		case V_NOT_CONTIG:
			ASSERT_EQ(want == V_BUSY ? -EBUSY : -EFAULT, ret)
				TH_LOG("QBUF %u: %s", i, strerror(-ret));
			EXPECT_EQ(0, bi.migrations);
			EXPECT_STREQ(SYSTEM, (char *)bi.allocator);
			EXPECT_EQ(1, bi.attachments);
			/* Untouched: dma64 still reads its pattern. */
			if (!mapped)
				ASSERT_EQ(0, testdev_map(c->td, self->h64[i],
							 SMAF_TESTDEV_BIDIRECTIONAL,
							 NULL, NULL));
			ASSERT_EQ(0, testdev_checksum(c->td, self->h64[i], 0,
						      self->size, &sum));
			EXPECT_EQ(cksum_pattern(VIVID_SEED + i, 0, self->size), sum);
			ASSERT_EQ(0, testdev_unmap(c->td, self->h64[i]));
			mapped = false;
			if (want == V_NOT_CONTIG)
				SKIP(return, "smaf-system memory landed below 4 GiB: vivid cannot use it and SMAF cannot tell");
			/* dma64 let go: now the same QBUF moves it. */
			ret = vivid_qbuf(self->vfd, i, fd, self->size);
			ASSERT_EQ(0, ret) TH_LOG("QBUF %u after unmap: %s", i,
						 strerror(-ret));
			bi = info_of(_metadata, c, fd);
			EXPECT_EQ(1, bi.migrations);
			EXPECT_STREQ(CMA, (char *)bi.allocator);
			moved++;
			break;
		}
		EXPECT_EQ(2, bi.attachments);
		EXPECT_EQ(mapped ? 2 : 1, bi.device_mappings);
		if (mapped)
			ASSERT_EQ(0, testdev_unmap(c->td, self->h64[i]));
		/* Whatever vivid maps is contiguous below 4 GiB now. */
		layout_probe(_metadata, c, fd, &l);
		EXPECT_TRUE(l.contiguous);
		EXPECT_TRUE(l.below_4g);
		/* And the content survived a move. */
		ASSERT_EQ(0, testdev_map(c->td, self->h64[i],
					 SMAF_TESTDEV_BIDIRECTIONAL, NULL, NULL));
		ASSERT_EQ(0, testdev_checksum(c->td, self->h64[i], 0, self->size,
					      &sum));
		EXPECT_EQ(cksum_pattern(VIVID_SEED + i, 0, self->size), sum);
		ASSERT_EQ(0, testdev_unmap(c->td, self->h64[i]));
	}
	TH_LOG("%u of %u buffers moved", moved, rb.count);

	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_STREAMON, &type));
	self->streaming = true;
	deadline = now_ms() + 300000;
	while (frames < VIVID_FRAMES) {
		struct pollfd pfd = { .fd = self->vfd, .events = POLLIN };
		struct v4l2_buffer b;
		uint8_t *p;

		ASSERT_GT(deadline, now_ms()) TH_LOG("only %u frames", frames);
		ret = poll(&pfd, 1, 20000);
		ASSERT_LT(0, ret) TH_LOG("no frame in 20 s (%u so far)", frames);
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_DMABUF;
		ret = smaf_xioctl(self->vfd, VIDIOC_DQBUF, &b);
		if (ret == -EAGAIN)
			continue;
		ASSERT_EQ(0, ret) TH_LOG("DQBUF: %s", strerror(-ret));
		ASSERT_GT(rb.count, b.index);
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			ASSERT_GT(8, ++errors);
		} else {
			ASSERT_LT(0, b.bytesused);
			ASSERT_GE(self->size, b.bytesused);
			p = mmap(NULL, self->size, PROT_READ, MAP_SHARED,
				 self->fds[b.index], 0);
			ASSERT_NE(MAP_FAILED, p);
			ASSERT_EQ(0, dmabuf_sync(self->fds[b.index],
						 DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
			/* vivid wrote a frame over dma64's pattern. */
			EXPECT_NE(-1, bytes_mismatch(p, 0, b.bytesused));
			EXPECT_NE(-1, pattern_mismatch(p, VIVID_SEED + b.index, 0,
						       b.bytesused));
			ASSERT_EQ(0, dmabuf_sync(self->fds[b.index],
						 DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
			munmap(p, self->size);
			frames++;
		}
		ASSERT_EQ(0, vivid_qbuf(self->vfd, b.index, self->fds[b.index],
					self->size));
	}
	ASSERT_EQ(0, smaf_xioctl(self->vfd, VIDIOC_STREAMOFF, &type));
	self->streaming = false;
	for (i = 0; i < rb.count; i++)
		EXPECT_GE(1, info_of(_metadata, c, self->fds[i]).migrations);
}

int main(int argc, char **argv)
{
	return test_harness_run(argc, argv);
}
