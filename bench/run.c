// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-bench run: the workloads of docs/benchmarks.md, on SMAF and on the
 * mainline peers of the same kernel, in one process, written as JSON.
 *
 * Every figure is a time (ns, CLOCK_MONOTONIC), a size or a rate measured
 * in this guest; under TCG only the ratios between columns of one run mean
 * anything, so every SMAF figure is printed beside the same workload on the
 * peers (and its ratio to the system heap) by the renderer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/smaf.h>
#include <linux/udmabuf.h>

#include "smaf-testdev.h"

#define SMAF_TESTDEV_PATH	"/dev/smaf-testdev"
#include "bench.h"

#define KIB	1024ULL
#define MIB	(1024ULL * 1024)
#define PAGE	4096ULL

/* ---- allocators ---- */

enum kind { K_HEAP, K_UDMABUF, K_SMAF };

struct alloc {
	const char *name;	/* column */
	enum kind kind;
	const char *forced;	/* SMAF: allocator to force, "" for none */
	bool present;
	int fd;			/* heap, /dev/udmabuf or /dev/smaf */
	char detail[400];	/* what it is, or why it is absent */
};

#define NALLOC	6
static struct alloc allocs[NALLOC] = {
	{ .name = "system-heap", .kind = K_HEAP },
	{ .name = "cma-heap", .kind = K_HEAP },
	{ .name = "udmabuf", .kind = K_UDMABUF },
	{ .name = "smaf", .kind = K_SMAF, .forced = "" },
	{ .name = "smaf-system", .kind = K_SMAF, .forced = "smaf-system" },
	{ .name = "smaf-cma", .kind = K_SMAF, .forced = "smaf-cma" },
};

static int tdev = -1;		/* /dev/smaf-testdev */
static int vgem = -1;		/* the vgem DRM card */
static char tdev_why[96], vgem_why[96];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static bool smaf_has_allocator(int fd, const char *name)
{
	struct smaf_allocator_info info;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		memset(&info, 0, sizeof(info));
		info.index = i;
		if (xioctl(fd, SMAF_IOC_ALLOCATOR_INFO, &info) < 0)
			return false;
		if (!strcmp((const char *)info.name, name))
			return true;
		if (i + 1 >= info.count)
			return false;
	}
	return false;
}

/* The first heap of /dev/dma_heap other than "system": the CMA heap. */
static int find_cma_heap(char *path, size_t len)
{
	struct dirent *d;
	DIR *dir = opendir("/dev/dma_heap");
	int ret = -ENOENT;

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || !strcmp(d->d_name, "system"))
			continue;
		snprintf(path, len, "/dev/dma_heap/%s", d->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

struct drm_version_arg {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_prime_handle_arg {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};

struct drm_gem_close_arg {
	uint32_t handle;
	uint32_t pad;
};

/* Spelled out: Debian's linux-libc-dev has no <drm/drm.h>. */
#define BENCH_DRM_IOCTL_VERSION	_IOWR('d', 0x00, struct drm_version_arg)
#define BENCH_DRM_IOCTL_GEM_CLOSE	_IOW('d', 0x09, struct drm_gem_close_arg)
#define BENCH_DRM_IOCTL_PRIME_FD_TO_HANDLE \
	_IOWR('d', 0x2e, struct drm_prime_handle_arg)

static int open_vgem(void)
{
	struct drm_version_arg v;
	char path[64], name[32];
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (xioctl(fd, BENCH_DRM_IOCTL_VERSION, &v) == 0 &&
		    !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

static void setup(void)
{
	struct alloc *a;
	char path[300];
	int i, fd;

	for (i = 0; i < NALLOC; i++) {
		a = &allocs[i];
		a->fd = -1;
		switch (a->kind) {
		case K_HEAP:
			if (!strcmp(a->name, "system-heap"))
				snprintf(path, sizeof(path), "/dev/dma_heap/system");
			else if (find_cma_heap(path, sizeof(path))) {
				snprintf(a->detail, sizeof(a->detail),
					 "no CMA heap in /dev/dma_heap");
				continue;
			}
			break;
		case K_UDMABUF:
			snprintf(path, sizeof(path), "/dev/udmabuf");
			break;
		case K_SMAF:
			snprintf(path, sizeof(path), "/dev/smaf");
			break;
		}
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(a->detail, sizeof(a->detail), "no %s (%s)",
				 path, strerror(errno));
			continue;
		}
		if (a->kind == K_SMAF && *a->forced &&
		    !smaf_has_allocator(fd, a->forced)) {
			snprintf(a->detail, sizeof(a->detail),
				 "allocator %s not registered", a->forced);
			close(fd);
			continue;
		}
		a->fd = fd;
		a->present = true;
		if (a->kind == K_SMAF)
			snprintf(a->detail, sizeof(a->detail), "%s, %s", path,
				 *a->forced ? a->forced : "automatic choice");
		else if (a->kind == K_UDMABUF)
			snprintf(a->detail, sizeof(a->detail),
				 "%s (memfd + UDMABUF_CREATE)", path);
		else
			snprintf(a->detail, sizeof(a->detail), "%s", path);
	}
	tdev = open(SMAF_TESTDEV_PATH, O_RDWR | O_CLOEXEC);
	if (tdev < 0)
		snprintf(tdev_why, sizeof(tdev_why), "no %s (%s)",
			 SMAF_TESTDEV_PATH, strerror(errno));
	vgem = open_vgem();
	if (vgem < 0)
		snprintf(vgem_why, sizeof(vgem_why), "no vgem DRM card");
}

/* A new buffer of @size from @a: its dma-buf fd, or -errno. */
static int buf_create(struct alloc *a, uint64_t size)
{
	struct dma_heap_allocation_data hd;
	struct smaf_create_data sd;
	struct udmabuf_create ud;
	int memfd, ret;

	switch (a->kind) {
	case K_HEAP:
		memset(&hd, 0, sizeof(hd));
		hd.len = size;
		hd.fd_flags = O_RDWR | O_CLOEXEC;
		ret = xioctl(a->fd, DMA_HEAP_IOCTL_ALLOC, &hd);
		return ret < 0 ? ret : (int)hd.fd;
	case K_UDMABUF:
		memfd = memfd_create("smaf-bench", MFD_CLOEXEC |
				     MFD_ALLOW_SEALING);
		if (memfd < 0)
			return -errno;
		if (ftruncate(memfd, (off_t)size) ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
			ret = -errno;
			close(memfd);
			return ret;
		}
		memset(&ud, 0, sizeof(ud));
		ud.memfd = (uint32_t)memfd;
		ud.flags = UDMABUF_FLAGS_CLOEXEC;
		ud.size = size;
		ret = xioctl(a->fd, UDMABUF_CREATE, &ud);
		close(memfd);
		return ret;
	case K_SMAF:
		memset(&sd, 0, sizeof(sd));
		sd.length = size;
		sd.flags = SMAF_RDWR | SMAF_CLOEXEC;
		snprintf((char *)sd.name, sizeof(sd.name), "%s", a->forced);
		ret = xioctl(a->fd, SMAF_IOC_CREATE, &sd);
		return ret < 0 ? ret : sd.fd;
	}
	return -EINVAL;
}

/* SYNC start and end: gives a SMAF buffer its memory (peers have it). */
static int buf_sync(int fd)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	int ret;

	ret = xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	if (ret < 0)
		return ret;
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	return xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

static int buf_give_memory(struct alloc *a, int fd)
{
	return a->kind == K_SMAF ? buf_sync(fd) : 0;
}

static int td_attach(int fd, unsigned int dev, uint32_t *handle)
{
	struct smaf_testdev_attach at = { .fd = fd, .dev = dev };
	int ret = xioctl(tdev, SMAF_TESTDEV_IOC_ATTACH, &at);

	*handle = at.handle;
	return ret;
}

static int td_op(unsigned long req, uint32_t handle)
{
	struct smaf_testdev_map m = {
		.handle = handle, .dir = SMAF_TESTDEV_BIDIRECTIONAL,
	};

	return xioctl(tdev, req, &m);
}

/* A 64-bit device attaches, maps (allocating SMAF's memory), unmaps. */
static int first_map(int fd)
{
	uint32_t h;
	int ret, ret2;

	ret = td_attach(fd, SMAF_TESTDEV_DMA64, &h);
	if (ret < 0)
		return ret;
	ret = td_op(SMAF_TESTDEV_IOC_MAP, h);
	if (!ret)
		ret = td_op(SMAF_TESTDEV_IOC_UNMAP, h);
	ret2 = td_op(SMAF_TESTDEV_IOC_DETACH, h);
	return ret < 0 ? ret : ret2;
}

/* ---- results ---- */

enum status { ST_NONE, ST_OK, ST_ABSENT, ST_ERROR, ST_NA };

struct summary {
	int n;
	double median, p90, min, max, mean;
};

struct cell {
	enum status st;
	char msg[128];
	struct summary s;
	/* memory: SMAF's or the exporter's own bytes, the dma-buf core's */
	bool has_split;
	double own, core, slab_meminfo, leftover;
	char top[256];		/* memory: the caches that grew most */
};

#define MAX_ROWS	16

struct row {
	char label[32];
	uint64_t size;
	int devices;
	int n;			/* samples */
	int iters;		/* iterations per sample */
	struct cell c[NALLOC];
};

struct workload {
	const char *id, *title, *unit, *what;
	bool ran;
	int nrows;
	struct row rows[MAX_ROWS];
};

enum { W_COLD, W_CHURN, W_TOUCH, W_DEVMAP, W_VGEM, W_MEMORY, W_COUNT };

static struct workload wl[W_COUNT] = {
	[W_COLD] = { "cold", "1. cold: create, first device map (64-bit testdev), unmap, close",
		"ns", "one create-to-usable cycle, timed alone; allocators interleaved sample by sample" },
	[W_CHURN] = { "churn", "2. warm churn: the same cycle in a loop",
		"ns", "mean time of one cycle over a loop of ITERS cycles of one allocator; N loops" },
	[W_TOUCH] = { "touch", "3. CPU first touch: create, mmap, write a byte per page, munmap, close",
		"ns", "one cycle, timed alone; allocators interleaved" },
	[W_DEVMAP] = { "devmap", "4. device map + unmap of a buffer with memory, 1 or 4 devices attached",
		"ns", "one 64-bit device maps and unmaps while xK devices are attached; the buffer already has memory" },
	[W_VGEM] = { "vgem", "5. vgem PRIME import (FD_TO_HANDLE) + GEM_CLOSE of a buffer with memory",
		"ns", "one import and close" },
	[W_MEMORY] = { "memory", "6. kernel bytes per buffer (slab + page tables), COUNT buffers",
		"bytes", "slab objects (/proc/slabinfo) and PageTables/KernelStack growth per buffer; own = total - dma-buf core" },
};

struct zero_row {
	const char *alloc;
	uint64_t size;
	int n;
	bool counters;
	double counter_bps;
	double usable_bps;	/* size / median create-to-usable time */
	char msg[128];
};

static struct summary memset_bw[4];
static uint64_t memset_sizes[4];
static int n_memset;
static struct zero_row zrows[8];
static int n_zrows;
static bool zero_ran;
static int mem_count;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summarize(double *v, int n, struct summary *s)
{
	double sum = 0;
	int i, k;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / n;
	s->min = v[0];
	s->max = v[n - 1];
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	/* nearest rank */
	k = (int)ceil(0.9 * n) - 1;
	s->p90 = v[k < 0 ? 0 : k];
}

static void cell_error(struct cell *c, const char *what, int err)
{
	c->st = ST_ERROR;
	snprintf(c->msg, sizeof(c->msg), "%s: %s", what, strerror(-err));
}

static void size_label(uint64_t size, char *buf, size_t len)
{
	if (size >= MIB && size % MIB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size / MIB));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(size / KIB));
}

static struct row *new_row(struct workload *w, uint64_t size, int devices,
			   int n, int iters)
{
	struct row *r = &w->rows[w->nrows++];
	char sz[24];
	int i;

	memset(r, 0, sizeof(*r));
	size_label(size, sz, sizeof(sz));
	if (devices)
		snprintf(r->label, sizeof(r->label), "%s x%d", sz, devices);
	else
		snprintf(r->label, sizeof(r->label), "%s", sz);
	r->size = size;
	r->devices = devices;
	r->n = n;
	r->iters = iters;
	for (i = 0; i < NALLOC; i++) {
		if (!allocs[i].present) {
			r->c[i].st = ST_ABSENT;
			snprintf(r->c[i].msg, sizeof(r->c[i].msg), "%.120s",
				 allocs[i].detail);
		}
	}
	w->ran = true;
	return r;
}

static void progress(const char *w, const struct row *r)
{
	fprintf(stderr, "smaf-bench: %s %s (N=%d)\n", w, r->label, r->n);
}

/* ---- workloads ---- */

typedef int (*cycle_fn)(struct alloc *a, uint64_t size);

/* 1: create, attach + map + unmap + detach (64-bit device), close. */
static int cycle_cold(struct alloc *a, uint64_t size)
{
	int fd = buf_create(a, size), ret;

	if (fd < 0)
		return fd;
	ret = first_map(fd);
	close(fd);
	return ret;
}

/* 3: create, mmap, a byte per page, munmap, close. */
static int cycle_touch(struct alloc *a, uint64_t size)
{
	volatile char *p;
	uint64_t off;
	void *m;
	int fd = buf_create(a, size);

	if (fd < 0)
		return fd;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	p = m;
	for (off = 0; off < size; off += PAGE)
		p[off] = 1;
	munmap(m, size);
	close(fd);
	return 0;
}

/*
 * One timed cycle per sample and allocator, the allocators interleaved
 * (sample i starts at allocator i % NALLOC), so that none runs with its
 * own previous cycle's state warm.
 */
static void run_interleaved(struct row *r, cycle_fn fn)
{
	double *v[NALLOC];
	int cnt[NALLOC] = { 0 };
	int i, k, j, ret;
	uint64_t t0;

	for (j = 0; j < NALLOC; j++)
		v[j] = calloc(r->n, sizeof(double));
	for (i = 0; i < r->n; i++) {
		for (k = 0; k < NALLOC; k++) {
			j = (i + k) % NALLOC;
			if (!allocs[j].present || r->c[j].st == ST_ERROR)
				continue;
			t0 = now_ns();
			ret = fn(&allocs[j], r->size);
			if (ret < 0) {
				cell_error(&r->c[j], "cycle", ret);
				continue;
			}
			v[j][cnt[j]++] = (double)(now_ns() - t0);
		}
	}
	for (j = 0; j < NALLOC; j++) {
		if (allocs[j].present && r->c[j].st != ST_ERROR) {
			summarize(v[j], cnt[j], &r->c[j].s);
			r->c[j].st = ST_OK;
		}
		free(v[j]);
	}
}

/* 2: loops of r->iters cycles of one allocator, r->n loops. */
static void run_churn(struct row *r)
{
	double *v = calloc(r->n, sizeof(double));
	int i, j, it, ret = 0;
	uint64_t t0;

	for (j = 0; j < NALLOC; j++) {
		if (!allocs[j].present)
			continue;
		ret = cycle_cold(&allocs[j], r->size);	/* warm-up */
		for (i = 0; i < r->n && ret >= 0; i++) {
			t0 = now_ns();
			for (it = 0; it < r->iters && ret >= 0; it++)
				ret = cycle_cold(&allocs[j], r->size);
			v[i] = (double)(now_ns() - t0) / r->iters;
		}
		if (ret < 0) {
			cell_error(&r->c[j], "cycle", ret);
			continue;
		}
		summarize(v, r->n, &r->c[j].s);
		r->c[j].st = ST_OK;
	}
	free(v);
}

/*
 * 4: with r->devices attachments of a buffer with memory (64-bit devices,
 * alternately testdev 0 and 3), one of them maps and unmaps. Only one
 * mapping exists at a time: two of the same pages by one device would
 * overlap (DMA-API debugging refuses that).
 */
static int devmap_one(struct alloc *a, struct row *r, double *v)
{
	static const unsigned int devs[2] = {
		SMAF_TESTDEV_DMA64, SMAF_TESTDEV_DMA64B,
	};
	uint32_t h[8];
	int fd, i, k, na = 0, ret;
	uint64_t t0;

	fd = buf_create(a, r->size);
	if (fd < 0)
		return fd;
	ret = buf_give_memory(a, fd);
	for (k = 0; k < r->devices && ret >= 0; k++) {
		ret = td_attach(fd, devs[k % 2], &h[k]);
		if (ret >= 0)
			na++;
	}
	/* one untimed round first, then r->n timed ones */
	for (i = -1; i < r->n && ret >= 0; i++) {
		t0 = now_ns();
		ret = td_op(SMAF_TESTDEV_IOC_MAP, h[0]);
		if (ret >= 0)
			ret = td_op(SMAF_TESTDEV_IOC_UNMAP, h[0]);
		if (i >= 0)
			v[i] = (double)(now_ns() - t0);
	}
	for (k = 0; k < na; k++)
		td_op(SMAF_TESTDEV_IOC_DETACH, h[k]);
	close(fd);
	return ret;
}

/* 5: PRIME import by vgem and GEM_CLOSE, of a buffer with memory. */
static int vgem_one(struct alloc *a, struct row *r, double *v)
{
	struct drm_prime_handle_arg ph;
	struct drm_gem_close_arg gc;
	int fd, i, ret;
	uint64_t t0;

	fd = buf_create(a, r->size);
	if (fd < 0)
		return fd;
	ret = buf_give_memory(a, fd);
	for (i = 0; i < r->n && ret >= 0; i++) {
		memset(&ph, 0, sizeof(ph));
		ph.fd = fd;
		t0 = now_ns();
		ret = xioctl(vgem, BENCH_DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);
		if (ret < 0)
			break;
		memset(&gc, 0, sizeof(gc));
		gc.handle = ph.handle;
		ret = xioctl(vgem, BENCH_DRM_IOCTL_GEM_CLOSE, &gc);
		v[i] = (double)(now_ns() - t0);
	}
	close(fd);
	return ret;
}

typedef int (*each_fn)(struct alloc *a, struct row *r, double *v);

static void run_each(struct row *r, each_fn fn, int dep, const char *why)
{
	double *v = calloc(r->n, sizeof(double));
	int j, ret;

	for (j = 0; j < NALLOC; j++) {
		if (!allocs[j].present)
			continue;
		if (dep < 0) {
			r->c[j].st = ST_ERROR;
			snprintf(r->c[j].msg, sizeof(r->c[j].msg), "%s", why);
			continue;
		}
		ret = fn(&allocs[j], r, v);
		if (ret < 0) {
			cell_error(&r->c[j], "run", ret);
			continue;
		}
		summarize(v, r->n, &r->c[j].s);
		r->c[j].st = ST_OK;
	}
	free(v);
}

/* ---- 6: memory ---- */

#define MAX_CACHES	512

struct slab {
	char name[64];
	long long active;
	long long objsize;
};

struct snap {
	int n;
	struct slab s[MAX_CACHES];
	bool slabinfo;
	long long slab_kb, pagetables_kb, kstack_kb;
};

static void snapshot(struct snap *sn)
{
	char line[512];
	long long v;
	FILE *f;

	memset(sn, 0, sizeof(*sn));
	f = fopen("/proc/slabinfo", "re");
	if (f) {
		sn->slabinfo = true;
		while (fgets(line, sizeof(line), f) && sn->n < MAX_CACHES) {
			struct slab *s = &sn->s[sn->n];
			long long num;

			if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
				continue;
			if (sscanf(line, "%63s %lld %lld %lld", s->name,
				   &s->active, &num, &s->objsize) == 4)
				sn->n++;
		}
		fclose(f);
	}
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %lld", &v) == 1)
			sn->slab_kb = v;
		else if (sscanf(line, "PageTables: %lld", &v) == 1)
			sn->pagetables_kb = v;
		else if (sscanf(line, "KernelStack: %lld", &v) == 1)
			sn->kstack_kb = v;
	}
	fclose(f);
}

/* Bytes the kernel grew by from @a to @b; the top caches into @top. */
static double snap_delta(const struct snap *a, const struct snap *b,
			 char *top, size_t toplen)
{
	struct { const char *name; double d; } best[4] = { { 0 } };
	double sum = 0, d;
	int i, k, m;
	size_t off = 0;

	if (!b->slabinfo)
		sum = (double)(b->slab_kb - a->slab_kb) * 1024;
	for (i = 0; i < b->n; i++) {
		long long before = 0;

		for (k = 0; k < a->n; k++) {
			if (!strcmp(a->s[k].name, b->s[i].name)) {
				before = a->s[k].active;
				break;
			}
		}
		d = (double)(b->s[i].active - before) * b->s[i].objsize;
		sum += d;
		for (m = 0; m < 4; m++) {
			if (!best[m].name || d > best[m].d) {
				memmove(&best[m + 1], &best[m],
					(3 - m) * sizeof(best[0]));
				best[m].name = b->s[i].name;
				best[m].d = d;
				break;
			}
		}
	}
	sum += (double)(b->pagetables_kb - a->pagetables_kb) * 1024;
	sum += (double)(b->kstack_kb - a->kstack_kb) * 1024;
	if (top) {
		top[0] = '\0';
		for (m = 0; m < 4 && best[m].name; m++)
			off += snprintf(top + off, off < toplen ? toplen - off : 0,
					"%s%s %+.0f", m ? ", " : "",
					best[m].name, best[m].d);
	}
	return sum;
}

static unsigned int settle_ms = 1500;

/* Lets RCU-deferred frees (files, dentries, inodes) finish. */
static void settle(void)
{
	usleep(settle_ms * 1000);
}

/* The exporter-private bytes of one 4 KiB udmabuf in 6.1 (see the doc). */
#define UDMABUF_PRIVATE_4K	(64 + 8)

static int memory_one(struct alloc *a, bool with_memory, int count,
		      struct cell *c)
{
	static struct snap s0, s1, s2;
	int *fds = calloc(count, sizeof(int));
	int i, made = 0, ret = 0;

	if (!fds)
		return -ENOMEM;
	settle();
	snapshot(&s0);
	for (i = 0; i < count; i++) {
		fds[i] = buf_create(a, PAGE);
		if (fds[i] < 0) {
			ret = fds[i];
			break;
		}
		made++;
		if (with_memory) {
			ret = buf_give_memory(a, fds[i]);
			if (ret < 0)
				break;
		}
	}
	if (ret >= 0) {
		settle();
		snapshot(&s1);
	}
	for (i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	if (ret < 0)
		return ret;
	settle();
	snapshot(&s2);
	c->s.n = 1;
	c->s.median = c->s.p90 = c->s.min = c->s.max = c->s.mean =
		snap_delta(&s0, &s1, c->top, sizeof(c->top)) / count;
	c->slab_meminfo = (double)(s1.slab_kb - s0.slab_kb) * 1024 / count;
	c->leftover = snap_delta(&s0, &s2, NULL, 0) / count;
	c->st = ST_OK;
	return 0;
}

static void run_memory(int count)
{
	struct workload *w = &wl[W_MEMORY];
	struct rlimit rl;
	struct row *r;
	double core = -1;
	int j, pass, fd, ret;

	mem_count = count;
	/* room for the fds, and a grown fd table before measuring */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)count + 256) {
		rl.rlim_cur = count + 256;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fd = fcntl(0, F_DUPFD_CLOEXEC, count + 128);
	if (fd >= 0)
		close(fd);

	for (pass = 0; pass < 2; pass++) {
		r = new_row(w, PAGE, 0, count, 1);
		snprintf(r->label, sizeof(r->label), "%s",
			 pass ? "4 KiB allocated" : "no memory");
		progress("memory", r);
		for (j = 0; j < NALLOC; j++) {
			if (!allocs[j].present)
				continue;
			if (!pass && allocs[j].kind != K_SMAF) {
				r->c[j].st = ST_NA;
				snprintf(r->c[j].msg, sizeof(r->c[j].msg),
					 "allocates at create");
				continue;
			}
			ret = memory_one(&allocs[j], pass, count, &r->c[j]);
			if (ret < 0)
				cell_error(&r->c[j], "create", ret);
		}
	}
	/* The dma-buf core's share: udmabuf's total less its own state. */
	for (j = 0; j < NALLOC; j++)
		if (!strcmp(allocs[j].name, "udmabuf") &&
		    r->c[j].st == ST_OK)
			core = r->c[j].s.median - UDMABUF_PRIVATE_4K;
	if (core < 0)
		return;
	for (pass = 0; pass < 2; pass++) {
		for (j = 0; j < NALLOC; j++) {
			struct cell *c = &w->rows[w->nrows - 2 + pass].c[j];

			if (c->st != ST_OK)
				continue;
			c->has_split = true;
			c->core = core;
			c->own = c->s.median - core;
		}
	}
}

/* ---- 7: memset and zeroing ---- */

static void run_memset(uint64_t size, int n)
{
	double *v = calloc(n, sizeof(double));
	uint64_t t0;
	void *m;
	int i;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED || !v) {
		free(v);
		return;
	}
	memset(m, 1, size);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		memset(m, 0, size);
		__asm__ volatile("" : : "r"(m) : "memory");
		v[i] = (double)size * 1e9 / (double)(now_ns() - t0);
	}
	munmap(m, size);
	memset_sizes[n_memset] = size;
	summarize(v, n, &memset_bw[n_memset++]);
	free(v);
}

/* Zeroing counters of allocator @name in debugfs, if it has them. */
static bool zero_counters(const char *name, double *bytes, double *ns)
{
	char line[1024], key[64], *tok, *save;
	bool mine, hb, hn;
	FILE *f = fopen("/sys/kernel/debug/smaf/allocators", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		mine = hb = hn = false;
		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			char *eq = strchr(tok, '=');

			if (!eq || (size_t)(eq - tok) >= sizeof(key))
				continue;
			memcpy(key, tok, eq - tok);
			key[eq - tok] = '\0';
			if (!strcmp(key, "name"))
				mine = !strcmp(eq + 1, name);
			else if (!strcmp(key, "zeroed_bytes"))
				hb = sscanf(eq + 1, "%lf", bytes) == 1;
			else if (!strcmp(key, "zero_ns"))
				hn = sscanf(eq + 1, "%lf", ns) == 1;
		}
		if (mine) {
			fclose(f);
			return hb && hn;
		}
	}
	fclose(f);
	return false;
}

static void run_zeroing(uint64_t size, int n)
{
	double b0, n0, b1, n1, *v;
	struct zero_row *z;
	int j, i, fd, ret;
	bool c0, c1;
	uint64_t t0;

	v = calloc(n, sizeof(double));
	for (j = 0; j < NALLOC && v; j++) {
		if (allocs[j].kind != K_SMAF || !*allocs[j].forced)
			continue;
		z = &zrows[n_zrows++];
		memset(z, 0, sizeof(*z));
		z->alloc = allocs[j].name;
		z->size = size;
		z->n = n;
		if (!allocs[j].present) {
			snprintf(z->msg, sizeof(z->msg), "%.120s", allocs[j].detail);
			continue;
		}
		c0 = zero_counters(allocs[j].forced, &b0, &n0);
		ret = 0;
		for (i = 0; i < n && ret >= 0; i++) {
			t0 = now_ns();
			fd = buf_create(&allocs[j], size);
			if (fd < 0) {
				ret = fd;
				break;
			}
			ret = buf_sync(fd);
			close(fd);
			v[i] = (double)(now_ns() - t0);
		}
		c1 = zero_counters(allocs[j].forced, &b1, &n1);
		if (ret < 0) {
			snprintf(z->msg, sizeof(z->msg), "create: %s",
				 strerror(-ret));
			continue;
		}
		{
			struct summary s;

			summarize(v, n, &s);
			z->usable_bps = (double)size * 1e9 / s.median;
		}
		if (c0 && c1 && n1 > n0) {
			z->counters = true;
			z->counter_bps = (b1 - b0) * 1e9 / (n1 - n0);
		} else {
			snprintf(z->msg, sizeof(z->msg), "no counters");
		}
	}
	free(v);
	zero_ran = true;
}

/* ---- JSON ---- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void jnum(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static const char *const st_name[] = {
	[ST_NONE] = "not-run", [ST_OK] = "ok", [ST_ABSENT] = "absent",
	[ST_ERROR] = "error", [ST_NA] = "n/a",
};

static void write_cell(FILE *f, const struct cell *c)
{
	fprintf(f, "{\"status\":\"%s\"", st_name[c->st]);
	if (c->msg[0]) {
		fputs(",\"message\":", f);
		jstr(f, c->msg);
	}
	if (c->st == ST_OK) {
		fprintf(f, ",\"n\":%d,\"median\":", c->s.n);
		jnum(f, c->s.median);
		fputs(",\"p90\":", f);
		jnum(f, c->s.p90);
		fputs(",\"min\":", f);
		jnum(f, c->s.min);
		fputs(",\"max\":", f);
		jnum(f, c->s.max);
		fputs(",\"mean\":", f);
		jnum(f, c->s.mean);
	}
	if (c->top[0]) {
		fputs(",\"slab_meminfo\":", f);
		jnum(f, c->slab_meminfo);
		fputs(",\"left_after_close\":", f);
		jnum(f, c->leftover);
		fputs(",\"top_caches\":", f);
		jstr(f, c->top);
	}
	if (c->has_split) {
		fputs(",\"own\":", f);
		jnum(f, c->own);
		fputs(",\"core\":", f);
		jnum(f, c->core);
	}
	fputc('}', f);
}

static void read_first_line(const char *path, const char *prefix,
			    char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "re");

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, strlen(prefix))) {
			char *p = strchr(line, ':');

			if (!p)
				continue;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

static void write_json(FILE *f, const char *mode, const char *commit,
		       const char *vm, double seconds)
{
	struct utsname u;
	char cpu[256], mem[64];
	int w, i, j;

	uname(&u);
	read_first_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	read_first_line("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	fprintf(f, "{\"format\":\"%s\",\"mode\":", BENCH_FORMAT);
	jstr(f, mode);
	fputs(",\n\"note\":\"figures are from a qemu guest; under TCG only the ratios between columns of the same run are meaningful\"", f);
	fputs(",\n\"commit\":", f);
	jstr(f, commit);
	fputs(",\n\"kernel\":{\"release\":", f);
	jstr(f, u.release);
	fputs(",\"version\":", f);
	jstr(f, u.version);
	fputs("},\n\"vm\":{\"shape\":", f);
	jstr(f, vm);
	fprintf(f, ",\"cpus\":%ld,\"mem_total\":", sysconf(_SC_NPROCESSORS_ONLN));
	jstr(f, mem);
	fputs(",\"cpu_model\":", f);
	jstr(f, cpu);
	fputs("},\n\"seconds\":", f);
	jnum(f, seconds);
	fprintf(f, ",\n\"baseline\":\"%s\",\n\"allocators\":[", BENCH_BASELINE);
	for (j = 0; j < NALLOC; j++) {
		fprintf(f, "%s\n {\"name\":\"%s\",\"smaf\":%s,\"present\":%s,\"detail\":",
			j ? "," : "", allocs[j].name,
			allocs[j].kind == K_SMAF ? "true" : "false",
			allocs[j].present ? "true" : "false");
		jstr(f, allocs[j].detail);
		fputc('}', f);
	}
	fputs("],\n\"workloads\":[", f);
	for (w = 0, i = 0; w < W_COUNT; w++) {
		const struct workload *wk = &wl[w];

		if (!wk->ran)
			continue;
		fprintf(f, "%s\n {\"id\":\"%s\",\"title\":", i++ ? "," : "",
			wk->id);
		jstr(f, wk->title);
		fprintf(f, ",\"unit\":\"%s\",\"what\":", wk->unit);
		jstr(f, wk->what);
		if (w == W_MEMORY)
			fprintf(f, ",\"count\":%d", mem_count);
		fputs(",\"rows\":[", f);
		for (int r = 0; r < wk->nrows; r++) {
			const struct row *row = &wk->rows[r];

			fprintf(f, "%s\n  {\"label\":", r ? "," : "");
			jstr(f, row->label);
			fprintf(f, ",\"size\":%llu,\"devices\":%d,\"n\":%d,\"iterations\":%d,\"results\":{",
				(unsigned long long)row->size, row->devices,
				row->n, row->iters);
			for (j = 0; j < NALLOC; j++) {
				fprintf(f, "%s\"%s\":", j ? "," : "",
					allocs[j].name);
				write_cell(f, &row->c[j]);
			}
			fputs("}}", f);
		}
		fputs("]}", f);
	}
	fputs("],\n\"zeroing\":{\"ran\":", f);
	fputs(zero_ran ? "true" : "false", f);
	fputs(",\"memset\":[", f);
	for (i = 0; i < n_memset; i++) {
		fprintf(f, "%s{\"size\":%llu,\"n\":%d,\"bytes_per_s\":{\"median\":",
			i ? "," : "", (unsigned long long)memset_sizes[i],
			memset_bw[i].n);
		jnum(f, memset_bw[i].median);
		fputs(",\"p90\":", f);
		jnum(f, memset_bw[i].p90);
		fputs(",\"min\":", f);
		jnum(f, memset_bw[i].min);
		fputs(",\"max\":", f);
		jnum(f, memset_bw[i].max);
		fputs("}}", f);
	}
	fputs("],\"allocators\":[", f);
	for (i = 0; i < n_zrows; i++) {
		const struct zero_row *z = &zrows[i];

		fprintf(f, "%s\n {\"allocator\":\"%s\",\"size\":%llu,\"n\":%d,\"counters\":%s,\"zero_bytes_per_s\":",
			i ? "," : "", z->alloc, (unsigned long long)z->size,
			z->n, z->counters ? "true" : "false");
		if (z->counters)
			jnum(f, z->counter_bps);
		else
			fputs("null", f);
		fputs(",\"create_to_usable_bytes_per_s\":", f);
		if (z->usable_bps > 0)
			jnum(f, z->usable_bps);
		else
			fputs("null", f);
		fputs(",\"message\":", f);
		jstr(f, z->msg);
		fputc('}', f);
	}
	fputs("]}}\n", f);
}

/* ---- main ---- */

struct plan {
	uint64_t sizes[8];
	int nsizes;
	int cold_n[8], churn_iters[8], churn_n[8], touch_n[8];
	int devmap_n, vgem_n, mem_count;
	uint64_t zero_sizes[2];
	int zero_n[2], memset_n[2];
};

static const struct plan full_plan = {
	.sizes = { 4 * KIB, 64 * KIB, MIB, 8 * MIB, 32 * MIB, 256 * MIB },
	.nsizes = 6,
	.cold_n = { 61, 61, 61, 31, 21, 9 },
	.churn_iters = { 1000, 1000, 1000, 100, 25, 4 },
	.churn_n = { 7, 7, 5, 5, 5, 5 },
	.touch_n = { 61, 61, 41, 21, 11, 5 },
	.devmap_n = 61,
	.vgem_n = 61,
	.mem_count = 10000,
	.zero_sizes = { 8 * MIB, 256 * MIB },
	.zero_n = { 21, 7 },
	.memset_n = { 21, 9 },
};

static const struct plan smoke_plan = {
	.sizes = { 4 * KIB, 64 * KIB },
	.nsizes = 2,
	.cold_n = { 3, 3 },
	.churn_iters = { 5, 5 },
	.churn_n = { 2, 2 },
	.touch_n = { 3, 3 },
	.devmap_n = 3,
	.vgem_n = 3,
	.mem_count = 20,
	.zero_sizes = { 1 * MIB, 2 * MIB },
	.zero_n = { 2, 2 },
	.memset_n = { 2, 2 },
};

static int scaled(int n, double scale)
{
	int v = (int)(n * scale + 0.5);

	return v < 1 ? 1 : v;
}

static bool wants(const char *only, const char *id)
{
	const char *p;
	size_t len = strlen(id);

	if (!only)
		return true;
	for (p = only; (p = strstr(p, id)); p += len)
		if ((p == only || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: smaf-bench run [--smoke] [--out FILE] [--commit C] [--vm SHAPE]\n"
		"                      [--scale F] [--only cold,churn,touch,devmap,vgem,memory,zeroing]\n"
		"                      [--max-size BYTES] [--no-table]\n");
}

int bench_run(int argc, char **argv)
{
	const char *out = "/tmp/smaf-bench.json", *commit = "unknown";
	const char *vm = "unknown", *only = NULL, *mode = "full";
	const struct plan *p = &full_plan;
	uint64_t max_size = UINT64_MAX, t0 = now_ns();
	bool table = true;
	double scale = 1;
	struct row *r;
	int i, k;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			p = &smoke_plan;
			mode = "smoke";
			settle_ms = 200;
		} else if (!strcmp(argv[i], "--no-table")) {
			table = false;
		} else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
			out = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--commit")) {
			commit = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--vm")) {
			vm = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--only")) {
			only = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--scale")) {
			scale = atof(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--max-size")) {
			max_size = strtoull(argv[++i], NULL, 0);
		} else {
			usage();
			return 2;
		}
	}
	setup();
	for (i = 0; i < NALLOC; i++)
		fprintf(stderr, "smaf-bench: %-12s %s%s\n", allocs[i].name,
			allocs[i].present ? "" : "absent: ", allocs[i].detail);
	if (tdev < 0)
		fprintf(stderr, "smaf-bench: %s\n", tdev_why);
	if (vgem < 0)
		fprintf(stderr, "smaf-bench: %s\n", vgem_why);

	for (k = 0; k < p->nsizes; k++) {
		uint64_t sz = p->sizes[k];

		if (sz > max_size)
			continue;
		if (wants(only, "cold")) {
			r = new_row(&wl[W_COLD], sz, 0, scaled(p->cold_n[k], scale), 1);
			progress("cold", r);
			if (tdev < 0)
				run_each(r, NULL, -1, tdev_why);
			else
				run_interleaved(r, cycle_cold);
		}
		if (wants(only, "churn")) {
			r = new_row(&wl[W_CHURN], sz, 0,
				    scaled(p->churn_n[k], scale),
				    scaled(p->churn_iters[k], scale));
			progress("churn", r);
			if (tdev < 0)
				run_each(r, NULL, -1, tdev_why);
			else
				run_churn(r);
		}
		if (wants(only, "touch")) {
			r = new_row(&wl[W_TOUCH], sz, 0, scaled(p->touch_n[k], scale), 1);
			progress("touch", r);
			run_interleaved(r, cycle_touch);
		}
		if (wants(only, "devmap")) {
			int d;

			for (d = 1; d <= 4; d += 3) {
				r = new_row(&wl[W_DEVMAP], sz, d,
					    scaled(p->devmap_n, scale), 1);
				progress("devmap", r);
				run_each(r, devmap_one, tdev, tdev_why);
			}
		}
		if (wants(only, "vgem")) {
			r = new_row(&wl[W_VGEM], sz, 0, scaled(p->vgem_n, scale), 1);
			progress("vgem", r);
			run_each(r, vgem_one, vgem, vgem_why);
		}
	}
	if (wants(only, "memory"))
		run_memory(scaled(p->mem_count, scale));
	if (wants(only, "zeroing")) {
		for (k = 0; k < 2; k++) {
			if (p->zero_sizes[k] > max_size)
				continue;
			fprintf(stderr, "smaf-bench: zeroing %llu MiB\n",
				(unsigned long long)(p->zero_sizes[k] / MIB));
			run_memset(p->zero_sizes[k], scaled(p->memset_n[k], scale));
			run_zeroing(p->zero_sizes[k], scaled(p->zero_n[k], scale));
		}
	}

	f = strcmp(out, "-") ? fopen(out, "we") : stdout;
	if (!f) {
		fprintf(stderr, "smaf-bench: cannot write %s: %s\n", out,
			strerror(errno));
		return 1;
	}
	write_json(f, mode, commit, vm, (double)(now_ns() - t0) / 1e9);
	if (f != stdout && fclose(f)) {
		fprintf(stderr, "smaf-bench: cannot write %s: %s\n", out,
			strerror(errno));
		return 1;
	}
	fprintf(stderr, "smaf-bench: results in %s (%.0f s)\n", out,
		(double)(now_ns() - t0) / 1e9);
	if (table && f != stdout)
		return bench_report(out, NULL);
	return 0;
}
