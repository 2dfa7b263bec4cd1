// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded fuzzer for SMAF, run in the test VM.
 *
 *	test_fuzz [--seed N] [--ops N] [--threads N] [--replay-log]
 *		  [--max-seconds N]
 *
 * N threads (default 2) each run a stream of random operations: every
 * SMAF ioctl (valid, perturbed and raw random commands), the dma-buf
 * ioctls (DMA_BUF_IOCTL_SYNC, DMA_BUF_SET_NAME, EXPORT_SYNC_FILE), mmap,
 * munmap, mremap, CPU touches, the test device (attach, map, write then
 * checksum, unmap, detach, close), vgem PRIME imports, dup, close, lseek
 * and fork. Arguments are valid or hostile: boundary sizes, reserved
 * bytes, unknown flags, names without NUL, fds that are -1, closed, not a
 * dma-buf, a vgem dma-buf or the other thread's (racy) buffer, shorter and
 * longer structs, NULL, unmapped, read-only and page-straddling pointers.
 *
 * Determinism: thread i draws from its own splitmix64 stream seeded from
 * (seed, i), and every operation consumes exactly 8 draws whatever the
 * kernel answers, so a seed always yields the same per-thread sequence of
 * operations and arguments (--replay-log prints it). The interleaving of
 * the threads is not deterministic; with --threads 1 a replay is exact.
 *
 * The oracle: each operation computes, from its arguments and what the
 * thread knows (live fds, mappings, handles), the set of results the
 * UAPI allows (documented next to each operation below); any other
 * result fails the run, printing seed, thread, operation index and
 * arguments. Data written by a test device is read back and checked.
 * Afterwards everything is closed and SMAF's counters and the process's
 * fd table must be back to where they started.
 *
 * Prints "# REPORT fuzz_ops=N seed=S" (and faults_injected, hostile_inputs)
 * for the VM harness's summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/fs.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"

#define DEFAULT_OPS	120000ULL
#define MAX_THREADS	8
#define NSLOT		8
#define CLOSED_FD	999		/* never opened by this program */
#define KiB		1024ULL
#define MiB		(1024 * KiB)
#define BIG_LEN		(5 * 4096)	/* raw ioctl argument area */
#define IOC_SIZE_MAX	((1U << _IOC_SIZEBITS) - 1)

/* Result sets: bit 0 is success, bit e the errno e (EOVERFLOW: bit 63). */
#define RES_OK		1ULL
#define R(e)		(1ULL << ((e) < 63 ? (e) : 63))

/* ---- configuration and shared results ---- */

static struct {
	uint64_t seed;
	uint64_t ops;
	int threads;
	bool replay;
	unsigned int max_seconds;
} cfg = { .ops = DEFAULT_OPS, .threads = 2, .max_seconds = 1500 };

/* Shared with the harness's parent, which prints the REPORT lines. */
struct fuzz_report {
	uint64_t ops, faults, hostile, forks;
	int ran;
};
static struct fuzz_report *report;

/* What the run knows of the system, read once before the threads start. */
static struct {
	size_t pg;
	uint64_t max_size;
	uint32_t nalloc;
	char alloc_name[8][SMAF_NAME_LEN];
	bool alloc_secure[8];
	bool secure_module;
	bool vgem;
} sys;

static volatile int stop_all;
static uint64_t run_start_ms;

/* ---- per thread ---- */

struct slot {
	int fd;
	uint64_t size;
	bool rdwr;
};

struct cmap {
	uint8_t *p;
	size_t len;
	bool writable;
	bool foreign;	/* not one of ours: read it, never write it */
};

struct handle {
	uint32_t h;
	bool live, mapped, certain;
	bool cached;	/* vgem's dma-buf (or maybe): the core caches its map */
	uint32_t dir;
	uint64_t size;
};

struct tctx {
	int idx;
	uint64_t rng, nops, done;
	struct tctx *peer;
	int dev, td, drm, vgem_buf;
	uint64_t vgem_size;
	struct slot slot[NSLOT];
	struct cmap map[NSLOT];
	struct handle hd[NSLOT];
	uint8_t *none, *ro, *strad, *big;
	uint64_t hash_ops;
	uint64_t faults, hostile, forks;
	unsigned long count[32];
	bool full;	/* the last smaf_call() copied a whole struct back */
	int failed;
	char msg[1024];
	char desc[256];
};

static __thread struct tctx *cur;

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *errname(int e)
{
	static __thread char b[16];

	if (!e)
		return "ok";
	switch (e) {
#define N(x) case x: return #x
	N(EPERM); N(ENOENT); N(EINTR); N(EIO); N(E2BIG); N(EBADF);
	N(EAGAIN); N(ENOMEM); N(EACCES); N(EFAULT); N(EBUSY); N(EEXIST);
	N(ENODEV); N(EINVAL); N(ENFILE); N(EMFILE); N(ENOTTY); N(ENOSPC);
	N(ERANGE); N(ENAMETOOLONG); N(EOVERFLOW);
#undef N
	}
	snprintf(b, sizeof(b), "errno %d", e);
	return b;
}

static void set_str(char *out, size_t len, uint64_t set)
{
	size_t n = 0;
	int e;

	out[0] = 0;
	for (e = 0; e < 64 && n < len; e++)
		if (set & (1ULL << e))
			n += snprintf(out + n, len - n, "%s%s", n ? "," : "",
				      errname(e == 63 ? EOVERFLOW : e));
}

static void fail(struct tctx *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	n = snprintf(t->msg, sizeof(t->msg),
		     "seed %" PRIu64 " thread %d op #%" PRIu64 " (%s): ",
		     cfg.seed, t->idx, t->done, t->desc);
	va_start(ap, fmt);
	vsnprintf(t->msg + n, sizeof(t->msg) - n, fmt, ap);
	va_end(ap);
	t->failed = 1;
	stop_all = 1;
}

/* @err: 0 or a positive errno. */
static void expect(struct tctx *t, int err, uint64_t allowed, const char *what)
{
	char s[200];

	if (allowed & (err ? R(err) : RES_OK))
		return;
	set_str(s, sizeof(s), allowed);
	fail(t, "%s: got %s, allowed {%s}", what, errname(err), s);
}

static int sys_err(long ret)
{
	return ret < 0 ? errno : 0;
}

static void logop(struct tctx *t, int err)
{
	char line[400];
	int n;

	if (!cfg.replay)
		return;
	n = snprintf(line, sizeof(line), "T%d #%" PRIu64 " %s -> %s\n",
		     t->idx, t->done, t->desc, errname(err));
	if (write(1, line, n) < 0)
		return;
}

/* ---- fds ---- */

enum fdkind { FK_OURS, FK_BAD, FK_NOTDMABUF, FK_VGEM, FK_PEER };

/*
 * Picks a fd from @r: mostly a slot of ours (a closed number when the
 * slot is empty), else -1, INT_MIN, /dev/smaf, the test device node, a
 * vgem dma-buf, or a fd number the other thread holds a buffer in now.
 */
static int pick_fd(struct tctx *t, uint64_t r, enum fdkind *k, int *slot)
{
	unsigned int c = r % 32, s = (r >> 5) % NSLOT;
	int fd;

	*slot = -1;
	if (c < 22) {
		if (t->slot[s].fd >= 0) {
			*k = FK_OURS;
			*slot = s;
			return t->slot[s].fd;
		}
		*k = FK_BAD;
		return CLOSED_FD;
	}
	switch (c) {
	case 22:
		*k = FK_BAD;
		return -1;
	case 23:
		*k = FK_BAD;
		return (r >> 8) & 1 ? INT_MIN : INT_MAX;
	case 24:
	case 25:
		*k = FK_NOTDMABUF;
		return t->dev;
	case 26:
		*k = FK_NOTDMABUF;
		return t->td;
	case 27:
	case 28:
		if (t->vgem_buf >= 0) {
			*k = FK_VGEM;
			return t->vgem_buf;
		}
		*k = FK_BAD;
		return CLOSED_FD;
	default:
		if (t->peer) {
			fd = __atomic_load_n(&t->peer->slot[s].fd,
					     __ATOMIC_RELAXED);
			if (fd >= 0) {
				*k = FK_PEER;
				return fd;
			}
		}
		*k = FK_BAD;
		return CLOSED_FD;
	}
}

/*
 * Results of a SMAF ioctl taking a buffer fd: @ours for one of our
 * buffers; EBADF for no open file; EINVAL for a file SMAF did not export;
 * anything of those for the other thread's fd number (it may have been
 * closed and reused in between).
 */
static uint64_t smaf_fd_set(enum fdkind k, uint64_t ours)
{
	switch (k) {
	case FK_OURS:
		return ours;
	case FK_BAD:
		return R(EBADF);
	case FK_NOTDMABUF:
	case FK_VGEM:
		return R(EINVAL);
	default:
		return ours | RES_OK | R(EBADF) | R(EINVAL);
	}
}

static void slot_set(struct tctx *t, int s, int fd, uint64_t size, bool rdwr)
{
	t->slot[s].size = size;
	t->slot[s].rdwr = rdwr;
	__atomic_store_n(&t->slot[s].fd, fd, __ATOMIC_RELAXED);
}

static void slot_close(struct tctx *t, int s)
{
	int fd = t->slot[s].fd;

	if (fd < 0)
		return;
	__atomic_store_n(&t->slot[s].fd, -1, __ATOMIC_RELAXED);
	if (close(fd))
		fail(t, "close(%d): %s", fd, strerror(errno));
}

/* A new buffer fd in slot @s (the old one closed first). */
static void adopt(struct tctx *t, int s, int fd, uint64_t size, bool rdwr)
{
	slot_close(t, s);
	slot_set(t, s, fd, size, rdwr);
}

static uint64_t round_pg(uint64_t len)
{
	return (len + sys.pg - 1) / sys.pg * sys.pg;
}

/* ---- argument placement: valid, NULL, unmapped, read-only, straddling ---- */

enum ptrmode { PM_OK, PM_NULL, PM_NONE, PM_RO, PM_STRADDLE };

static enum ptrmode pick_ptr(uint64_t r)
{
	switch (r % 32) {
	case 0: return PM_NULL;
	case 1: return PM_NONE;
	case 2: case 3: return PM_RO;
	case 4: return PM_STRADDLE;
	default: return PM_OK;
	}
}

static const char *const ptr_names[] = { "ok", "NULL", "unmapped",
					 "read-only", "straddling" };

/*
 * Puts @len bytes of @src where @mode says and returns the pointer to pass.
 * PM_STRADDLE: the first 1 to @len - 1 bytes (from @r) readable, the rest
 * in an unmapped page.
 */
static void *place(struct tctx *t, enum ptrmode mode, const void *src,
		   size_t len, uint64_t r)
{
	size_t k;

	switch (mode) {
	case PM_NULL:
		return NULL;
	case PM_NONE:
		return t->none;
	case PM_RO:
		if (len > sys.pg)
			len = sys.pg;
		mprotect(t->ro, sys.pg, PROT_READ | PROT_WRITE);
		memcpy(t->ro, src, len);
		mprotect(t->ro, sys.pg, PROT_READ);
		return t->ro;
	case PM_STRADDLE:
		k = len > 1 ? 1 + r % (len - 1) : 0;
		if (k > sys.pg)
			k = sys.pg;
		memcpy(t->strad + sys.pg - k, src, k);
		return t->strad + sys.pg - k;
	default:
		memcpy(t->big, src, len);
		return t->big;
	}
}

/* ---- SMAF ioctls through the size dispatcher ---- */

static const struct {
	const char *name;
	size_t ksize, min;
} smaf_ioc[] = {
	{ "CREATE", sizeof(struct smaf_create_data),
	  offsetof(struct smaf_create_data, fd) + 4 },
	{ "GET_SECURE_FLAG", sizeof(struct smaf_secure_flag),
	  offsetof(struct smaf_secure_flag, secure) + 4 },
	{ "SET_SECURE_FLAG", sizeof(struct smaf_secure_flag),
	  offsetof(struct smaf_secure_flag, secure) + 4 },
	{ "GET_INFO", sizeof(struct smaf_info),
	  offsetof(struct smaf_info, count) + 4 },
	{ "BUFFER_INFO", sizeof(struct smaf_buffer_info),
	  offsetof(struct smaf_buffer_info, size) + 8 },
	{ "ADD_CONSUMER", sizeof(struct smaf_consumer),
	  offsetof(struct smaf_consumer, flags) + 4 },
	{ "ALLOCATOR_INFO", sizeof(struct smaf_allocator_info),
	  offsetof(struct smaf_allocator_info, count) + 4 },
	{ "LIST_BUFFERS", sizeof(struct smaf_buffer_list),
	  offsetof(struct smaf_buffer_list, last) + 8 },
};

#define NR_SMAF_IOC	(sizeof(smaf_ioc) / sizeof(smaf_ioc[0]))

/*
 * One SMAF ioctl @nr with the struct @s (kernel size), mutated from @r:
 *  - the caller's size: usually the kernel's; sometimes one byte under the
 *    minimum (EINVAL), longer with a zero tail (fine), longer with a
 *    nonzero tail (E2BIG), or for the info structs shorter (missing
 *    trailing fields read as 0);
 *  - the pointer: valid, NULL / unmapped / straddling (EFAULT on copy-in),
 *    read-only (EFAULT on copy-out, after the handler ran).
 * @oracle gives the allowed results of the struct as the kernel will see
 * it (bytes past the caller's size zeroed). On success with a valid
 * pointer, @s receives what the kernel copied back.
 * Returns 0 or the errno.
 */
typedef uint64_t (*oracle_fn)(struct tctx *t, const void *eff, void *ctx);

static int smaf_call(struct tctx *t, unsigned int nr, void *s, uint64_t r,
		     oracle_fn oracle, void *ctx)
{
	size_t ksize = smaf_ioc[nr].ksize, min = smaf_ioc[nr].min, usize;
	unsigned char eff[256], arg[512];
	enum ptrmode pm = pick_ptr(r >> 8);
	bool tail_nz = false, hostile = false;
	uint64_t allowed;
	unsigned long cmd;
	void *p;
	int err, n;

	usize = ksize;
	switch (r % 16) {
	case 0:
		usize = min - 1;
		hostile = true;
		break;
	case 1:
		usize = ksize + 8 + (r >> 16) % 64;
		break;
	case 2:
		usize = ksize + 8 + (r >> 16) % 64;
		tail_nz = true;
		hostile = true;
		break;
	case 3:
		/* Shorter, but complete for the RFC fields: GET_INFO, BUFFER_INFO, ALLOCATOR_INFO */
		if (nr == 3 || nr == 4 || nr == 6)
			usize = min + (r >> 16) % (ksize - min);
		break;
	case 4:
		usize = (r >> 16) % 2 ? 0 : (r >> 16) % min;
		hostile = true;
		break;
	}
	memset(arg, 0, sizeof(arg));
	memcpy(arg, s, ksize < usize ? ksize : usize);
	if (tail_nz)
		arg[ksize + (r >> 24) % (usize - ksize)] = 1 + (r >> 32) % 255;
	memset(eff, 0, sizeof(eff));
	memcpy(eff, s, ksize < usize ? ksize : usize);
	if (pm != PM_OK)
		hostile = true;

	if (usize < min)
		allowed = R(EINVAL);
	else if (pm == PM_NULL || pm == PM_NONE)
		allowed = R(EFAULT);
	else if (pm == PM_STRADDLE)
		allowed = R(EFAULT) | (tail_nz ? R(E2BIG) : 0);
	else if (tail_nz)
		allowed = R(E2BIG);
	else
		allowed = oracle(t, eff, ctx);
	if (pm == PM_RO && (allowed & RES_OK))
		allowed = (allowed & ~RES_OK) | R(EFAULT);

	n = strlen(t->desc);
	snprintf(t->desc + n, sizeof(t->desc) - n, " %s size=%zu ptr=%s%s",
		 smaf_ioc[nr].name, usize, ptr_names[pm],
		 tail_nz ? " tail!=0" : "");
	if (hostile)
		t->hostile++;
	if (pm != PM_OK)
		t->faults++;

	p = place(t, pm, arg, usize, r >> 40);
	cmd = _IOC(_IOC_READ | _IOC_WRITE, SMAF_IOC_MAGIC, nr, usize);
	err = sys_err(ioctl(t->dev, cmd, p));
	expect(t, err, allowed, smaf_ioc[nr].name);
	t->full = !err && pm == PM_OK && usize >= ksize;
	if (!err && pm == PM_OK)
		memcpy(s, t->big, ksize < usize ? ksize : usize);
	return err;
}

/* ---- CREATE ---- */

static bool known_alloc(const char *name)
{
	uint32_t i;

	for (i = 0; i < sys.nalloc && i < 8; i++)
		if (!strcmp(name, sys.alloc_name[i]))
			return true;
	return false;
}

/*
 * CREATE: EINVAL for a nonzero version or reserved byte, an unknown flag
 * or length 0; E2BIG above max_buffer_size; ENAMETOOLONG without a NUL in
 * the name; ENOENT for a name no allocator has; otherwise success. Any of
 * the applicable errors when several apply (the UAPI orders none).
 */
static uint64_t create_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_create_data *d = eff;
	uint64_t set = 0;
	size_t i;

	if (d->version || d->reserved1 || d->reserved2 ||
	    (d->flags & ~SMAF_CREATE_VALID_FLAGS))
		set |= R(EINVAL);
	for (i = 0; i < sizeof(d->reserved3); i++)
		if (d->reserved3[i])
			set |= R(EINVAL);
	if (!d->length)
		set |= R(EINVAL);
	else if (d->length > sys.max_size || !round_pg(d->length))
		set |= R(E2BIG);
	if (!memchr(d->name, 0, SMAF_NAME_LEN))
		set |= R(ENAMETOOLONG);
	else if (d->name[0] && !known_alloc((const char *)d->name))
		set |= R(ENOENT);
	return set ? set : RES_OK;
}

static const char *const alloc_choices[] = { "", "", "", "", "smaf-cma",
					     "smaf-system", "smaf-nosuch" };

static uint64_t pick_size(uint64_t r)
{
	unsigned int c = r % 100;

	r >>= 8;
	if (c < 55)
		return 1 + r % (64 * KiB);
	if (c < 85)
		return sys.pg * (1 + r % 64);
	if (c < 97)
		return (1 + r % 4) * MiB;
	return 1;
}

static void op_create(struct tctx *t, const uint64_t *r, bool bad)
{
	struct smaf_create_data d;
	const char *name;
	int err, s = r[1] % NSLOT;
	uint64_t lr = r[6];
	unsigned int i, nmut;

	memset(&d, 0, sizeof(d));
	d.length = pick_size(r[2]);
	d.flags = (r[3] % 8) ? SMAF_RDWR : 0;
	if ((r[3] >> 3) & 1)
		d.flags |= SMAF_CLOEXEC;
	name = alloc_choices[(r[3] >> 4) % 7];
	memcpy(d.name, name, strlen(name));
	if (bad) {
		const uint64_t lens[] = {
			0, 1, sys.pg - 1, sys.pg, sys.max_size,
			sys.max_size + 1, round_pg(sys.max_size) + sys.pg,
			1ULL << 32, 1ULL << 63, UINT64_MAX - sys.pg + 2,
			UINT64_MAX,
		};

		nmut = 1 + r[4] % 3;
		for (i = 0; i < nmut; i++) {
			uint64_t v = splitmix64(&lr);

			switch (v % 8) {
			case 0:
				d.version = splitmix64(&lr) | 1;
				break;
			case 1:
				d.reserved1 = 1U << (v >> 8) % 32;
				break;
			case 2:
				d.reserved2 = 1U << (v >> 8) % 32;
				break;
			case 3:
				d.reserved3[(v >> 8) % 32] = 1 + (v >> 16) % 255;
				break;
			case 4:
				d.flags |= 1U << (v >> 8) % 32;
				break;
			case 5:
			case 6:
				d.length = lens[(v >> 8) % 11];
				break;
			default:
				/* A name filling the array, NUL or not. */
				memset(d.name, 'a' + (v >> 8) % 26,
				       SMAF_NAME_LEN - ((v >> 16) & 1));
				break;
			}
		}
		d.fd = (int32_t)splitmix64(&lr);	/* ignored on input */
	}
	snprintf(t->desc, sizeof(t->desc),
		 "create%s len=%" PRIu64 " flags=%#x name=\"%.20s\" v=%#" PRIx64,
		 bad ? "-bad" : "", (uint64_t)d.length, d.flags,
		 (char *)d.name, (uint64_t)d.version);
	/* Valid creates: whole struct, valid pointer (see smaf_call). */
	err = smaf_call(t, 0, &d, bad ? r[5] : (r[5] & ~0x1fffULL) | 0x50f,
			create_oracle, NULL);
	if (!err && t->failed == 0) {
		if (d.fd < 0 || !smaf_fd_is_open(d.fd)) {
			fail(t, "CREATE returned fd %d, not open", d.fd);
			return;
		}
		adopt(t, s, d.fd, round_pg(d.length), d.flags & SMAF_RDWR);
	}
	logop(t, err);
}

/* ---- secure flag ---- */

struct fd_ctx {
	enum fdkind k;
	int slot;
};

/*
 * GET: EINVAL for a nonzero version or reserved byte, then the fd rules
 * (smaf_fd_set); success on our buffers.
 */
static uint64_t get_secure_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_secure_flag *f = eff;
	struct fd_ctx *c = ctx;
	uint64_t fds = smaf_fd_set(c->k, RES_OK), set = 0;
	size_t i;

	if (f->version || f->reserved1)
		set |= R(EINVAL);
	for (i = 0; i < sizeof(f->reserved2); i++)
		if (f->reserved2[i])
			set |= R(EINVAL);
	return set ? set | (fds & ~RES_OK) : fds;
}

/*
 * SET: as GET, plus EINVAL for a value other than 0 and 1; on our buffers
 * success or EBUSY (memory exists), ENODEV without a secure module.
 */
static uint64_t set_secure_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_secure_flag *f = eff;
	struct fd_ctx *c = ctx;
	uint64_t ours = sys.secure_module ? RES_OK | R(EBUSY) : R(ENODEV);
	uint64_t fds = smaf_fd_set(c->k, ours), set = 0;
	size_t i;

	if (f->version || f->reserved1 || f->secure > 1)
		set |= R(EINVAL);
	for (i = 0; i < sizeof(f->reserved2); i++)
		if (f->reserved2[i])
			set |= R(EINVAL);
	return set ? set | (fds & ~RES_OK) : fds;
}

static void perturb(uint64_t r, void *s, size_t from, size_t len)
{
	/* One random byte of [from, from + len) set nonzero. */
	((unsigned char *)s)[from + r % len] = 1 + (r >> 16) % 255;
}

static void op_secure(struct tctx *t, const uint64_t *r, bool set)
{
	struct smaf_secure_flag f;
	struct fd_ctx c;
	int err;

	memset(&f, 0, sizeof(f));
	f.fd = pick_fd(t, r[1], &c.k, &c.slot);
	if (set)
		f.secure = r[2] % 8 ? (r[2] >> 3) % 2 : (uint32_t)(r[2] >> 8);
	else if (r[2] % 4 == 0)
		f.secure = (uint32_t)(r[2] >> 8);	/* output: ignored */
	if (r[3] % 8 == 0) {
		switch ((r[3] >> 3) % 3) {
		case 0:
			f.version = (r[3] >> 8) | 1;
			break;
		case 1:
			f.reserved1 = 1U << (r[3] >> 8) % 32;
			break;
		default:
			perturb(r[3] >> 8, f.reserved2, 0, sizeof(f.reserved2));
			break;
		}
	}
	snprintf(t->desc, sizeof(t->desc), "%s-secure fd=%d secure=%u",
		 set ? "set" : "get", f.fd, f.secure);
	err = smaf_call(t, set ? 2 : 1, &f, r[5],
			set ? set_secure_oracle : get_secure_oracle, &c);
	if (!err && !set && f.secure > 1)
		fail(t, "GET_SECURE_FLAG returned secure=%u", f.secure);
	logop(t, err);
}

/* ---- GET_INFO and ALLOCATOR_INFO ---- */

/*
 * GET_INFO: EINVAL for a nonzero version or reserved byte, or an index
 * past the end; count and name are ignored on input (RFC struct).
 */
static uint64_t get_info_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_info *i = eff;
	size_t b;

	if (i->version || i->reserved1 || i->reserved2 || i->index >= sys.nalloc)
		return R(EINVAL);
	for (b = 0; b < sizeof(i->reserved3); b++)
		if (i->reserved3[b])
			return R(EINVAL);
	return RES_OK;
}

/* ALLOCATOR_INFO: EINVAL for a nonzero output field or an index past the end. */
static uint64_t alloc_info_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_allocator_info *a = eff;
	const unsigned char *p = eff;
	size_t b;

	for (b = offsetof(struct smaf_allocator_info, count); b < sizeof(*a); b++)
		if (p[b])
			return R(EINVAL);
	return a->index >= sys.nalloc ? R(EINVAL) : RES_OK;
}

static void op_info(struct tctx *t, const uint64_t *r, bool alloc)
{
	uint32_t index = r[1] % (sys.nalloc + 2);
	int err;

	if (r[1] % 64 == 0)
		index = (uint32_t)(r[1] >> 8);
	if (!alloc) {
		struct smaf_info i;

		memset(&i, 0, sizeof(i));
		i.index = index;
		if (r[2] % 4 == 0) {
			i.count = (uint32_t)(r[2] >> 8);
			memset(i.name, 'q', (r[2] >> 40) % SMAF_NAME_LEN);
		}
		if (r[3] % 8 == 0) {
			switch ((r[3] >> 3) % 4) {
			case 0:
				i.version = (r[3] >> 8) | 1;
				break;
			case 1:
				i.reserved1 = 1U << (r[3] >> 8) % 32;
				break;
			case 2:
				i.reserved2 = 1U << (r[3] >> 8) % 32;
				break;
			default:
				perturb(r[3] >> 8, i.reserved3, 0,
					sizeof(i.reserved3));
				break;
			}
		}
		snprintf(t->desc, sizeof(t->desc), "get-info index=%u", index);
		err = smaf_call(t, 3, &i, r[5], get_info_oracle, NULL);
		if (!err && t->full && index < 8 &&
		    (i.count != sys.nalloc || !memchr(i.name, 0, SMAF_NAME_LEN) ||
		     strcmp((char *)i.name, sys.alloc_name[index])))
			fail(t, "GET_INFO %u: count %u name %.64s", index,
			     i.count, (char *)i.name);
	} else {
		struct smaf_allocator_info a;

		memset(&a, 0, sizeof(a));
		a.index = index;
		if (r[3] % 8 == 0)
			perturb(r[3] >> 8, &a,
				offsetof(struct smaf_allocator_info, count),
				sizeof(a) - offsetof(struct smaf_allocator_info,
						     count));
		snprintf(t->desc, sizeof(t->desc), "allocator-info index=%u",
			 index);
		err = smaf_call(t, 6, &a, r[5], alloc_info_oracle, NULL);
		if (!err && a.count != sys.nalloc)
			fail(t, "ALLOCATOR_INFO count %u, expected %u", a.count,
			     sys.nalloc);
	}
	logop(t, err);
}

/* ---- BUFFER_INFO ---- */

/* EINVAL for flags or an output field nonzero; then the fd rules. */
static uint64_t buffer_info_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_buffer_info *b = eff;
	const unsigned char *p = eff;
	struct fd_ctx *c = ctx;
	uint64_t fds = smaf_fd_set(c->k, RES_OK), set = 0;
	size_t i;

	if (b->flags)
		set |= R(EINVAL);
	for (i = offsetof(struct smaf_buffer_info, size); i < sizeof(*b); i++)
		if (p[i])
			set |= R(EINVAL);
	return set ? set | (fds & ~RES_OK) : fds;
}

static bool alloc_secure_capable(const char *name)
{
	uint32_t i;

	for (i = 0; i < sys.nalloc && i < 8; i++)
		if (!strcmp(name, sys.alloc_name[i]))
			return sys.alloc_secure[i];
	return false;
}

static void op_buffer_info(struct tctx *t, const uint64_t *r)
{
	struct smaf_buffer_info b;
	struct fd_ctx c;
	int err;

	memset(&b, 0, sizeof(b));
	b.fd = pick_fd(t, r[1], &c.k, &c.slot);
	if (r[3] % 8 == 0) {
		if ((r[3] >> 3) & 1)
			b.flags = 1U << (r[3] >> 8) % 32;
		else
			perturb(r[3] >> 8, &b,
				offsetof(struct smaf_buffer_info, size),
				sizeof(b) - offsetof(struct smaf_buffer_info,
						     size));
	}
	snprintf(t->desc, sizeof(t->desc), "buffer-info fd=%d", b.fd);
	err = smaf_call(t, 4, &b, r[5], buffer_info_oracle, &c);
	/*
	 * Invariants on our own buffers (complete struct only): the size we
	 * asked for; no mapping without memory; secure memory only from an
	 * allocator that declares it can hold it.
	 */
	if (!err && c.k == FK_OURS && t->full) {
		b.allocator[SMAF_NAME_LEN - 1] = 0;
		if (b.size != t->slot[c.slot].size)
			fail(t, "BUFFER_INFO size %llu, created %llu",
			     (unsigned long long)b.size,
			     (unsigned long long)t->slot[c.slot].size);
		if (!b.allocated && (b.device_mappings || b.cpu_mappings))
			fail(t, "mappings (%u device, %u cpu) without memory",
			     b.device_mappings, b.cpu_mappings);
		if (b.allocated && b.secure &&
		    !alloc_secure_capable((char *)b.allocator))
			fail(t, "secure buffer holds memory of %s, which is not secure-capable",
			     (char *)b.allocator);
		if (b.allocated && !b.allocator[0])
			fail(t, "allocated without an allocator name");
	}
	logop(t, err);
}

/* ---- ADD_CONSUMER ---- */

static const char *const consumers[] = {
	"platform:smaf-testdev.0", "platform:smaf-testdev.1",
	"platform:smaf-testdev.2", "platform:smaf-testdev.3",
	"pci:0000:00:00.0", "platform:no-such-device.0", "usb:1-1",
	"nocolon", "",
};
#define NR_KNOWN_CONSUMERS	5

struct consumer_ctx {
	struct fd_ctx fc;
	bool known;
};

/*
 * EINVAL for nonzero flags, ENAMETOOLONG without a NUL, ENOENT for a
 * device that does not exist; on our buffers success, EBUSY (memory
 * exists), EEXIST (declared already) or ENOSPC (16 declared).
 */
static uint64_t consumer_oracle(struct tctx *t, const void *eff, void *ctx)
{
	const struct smaf_consumer *c = eff;
	struct consumer_ctx *cc = ctx;
	uint64_t fds, set = 0;

	fds = smaf_fd_set(cc->fc.k, RES_OK | R(EBUSY) | R(EEXIST) | R(ENOSPC));
	if (c->flags)
		set |= R(EINVAL);
	if (!memchr(c->device, 0, sizeof(c->device)))
		set |= R(ENAMETOOLONG);
	else if (!cc->known || !c->device[0])
		set |= R(ENOENT);
	return set ? set | (fds & ~RES_OK) : fds;
}

static void op_consumer(struct tctx *t, const uint64_t *r)
{
	struct smaf_consumer c;
	struct consumer_ctx cc;
	unsigned int d = r[2] % 9;
	int err;

	memset(&c, 0, sizeof(c));
	c.fd = pick_fd(t, r[1], &cc.fc.k, &cc.fc.slot);
	strcpy((char *)c.device, consumers[d]);
	cc.known = d < NR_KNOWN_CONSUMERS;
	if (!strcmp(consumers[d], "pci:0000:00:00.0") &&
	    access("/sys/bus/pci/devices/0000:00:00.0", F_OK))
		cc.known = false;
	if (r[3] % 8 == 0) {
		if ((r[3] >> 3) & 1)
			c.flags = 1U << (r[3] >> 8) % 32;
		else
			memset(c.device, 'x', sizeof(c.device));
	}
	snprintf(t->desc, sizeof(t->desc), "add-consumer fd=%d dev=%.30s",
		 c.fd, (char *)c.device);
	err = smaf_call(t, 5, &c, r[5], consumer_oracle, &cc);
	logop(t, err);
}

/* ---- raw SMAF commands ---- */

/*
 * A random command on /dev/smaf: any direction, magic 'S' or another, any
 * number, any size, random bytes. ENOTTY unless it is 'S', read-write and
 * a known number; EINVAL below the minimum size; else whatever a handler
 * may answer. A created fd is closed at once.
 */
static void op_raw(struct tctx *t, const uint64_t *r)
{
	static const unsigned int magics[] = { 'S', 'S', 'S', 'S', 'S', 'S',
					       's', 'b', 0xb6, 0 };
	unsigned int dir = r[1] % 8 ? _IOC_READ | _IOC_WRITE : (r[1] >> 16) % 4;
	unsigned int magic = magics[(r[1] >> 3) % 10];
	unsigned int nr = (r[1] >> 8) % 12;
	uint64_t lr = r[6], allowed;
	enum ptrmode pm = pick_ptr(r[3]);
	size_t size, i, nbytes;
	unsigned long cmd;
	int err, fd;
	void *p;

	switch (r[2] % 4) {
	case 0:
		size = (r[2] >> 8) % (IOC_SIZE_MAX + 1);
		break;
	case 1:
		size = (r[2] >> 8) % 160;
		break;
	default:
		size = nr < NR_SMAF_IOC ? smaf_ioc[nr].ksize : 128;
		break;
	}
	memset(t->big, 0, BIG_LEN);
	nbytes = r[4] % 4 == 0 ? size : r[4] % 4;
	for (i = 0; i < nbytes && size; i++)
		t->big[splitmix64(&lr) % size] = (uint8_t)splitmix64(&lr);
	if (nr == 0 && size >= 16 && r[4] % 3 == 0) {
		/* Often a plausible CREATE: length and flags set. */
		memset(t->big, 0, 8);
		memcpy(t->big + 8, &(uint64_t){ 1 + (r[5] % (64 * KiB)) }, 8);
	}
	cmd = _IOC(dir, magic, nr, size);
	/*
	 * Magic 0, nr 2, no size is FIGETBSZ, which the VFS answers itself
	 * for every file, before any driver: it writes the block size (or
	 * EFAULT). FIBMAP (nr 1) is answered so for regular files only, so
	 * on /dev/smaf it reaches the driver (ENOTTY) like any other number.
	 */
	if (cmd == FIGETBSZ)
		allowed = pm == PM_OK ? RES_OK : R(EFAULT);
	else if (magic != SMAF_IOC_MAGIC || dir != (_IOC_READ | _IOC_WRITE) ||
	    nr >= NR_SMAF_IOC)
		allowed = R(ENOTTY);
	else if (size < smaf_ioc[nr].min)
		allowed = R(EINVAL);
	else if (pm == PM_NULL || pm == PM_NONE || pm == PM_STRADDLE)
		allowed = R(EFAULT) | R(E2BIG);
	else
		allowed = RES_OK | R(EINVAL) | R(E2BIG) | R(EBADF) | R(ENOENT) |
			  R(ENAMETOOLONG) | R(EFAULT) | R(EBUSY) | R(ENODEV) |
			  R(EEXIST) | R(ENOSPC);
	if (pm == PM_RO)
		allowed &= ~RES_OK;
	switch (pm) {
	case PM_OK:
		p = t->big;
		break;
	case PM_RO:
		p = place(t, pm, t->big, size, 0);
		break;
	case PM_STRADDLE:
		p = place(t, pm, t->big, size > BIG_LEN ? BIG_LEN : size, r[5]);
		break;
	default:
		p = place(t, pm, NULL, 0, 0);
		break;
	}
	if (pm != PM_OK)
		t->faults++;
	t->hostile++;
	snprintf(t->desc, sizeof(t->desc),
		 "raw-ioctl dir=%u magic=%#x nr=%u size=%zu ptr=%s", dir,
		 magic, nr, size, ptr_names[pm]);
	err = sys_err(ioctl(t->dev, cmd, p));
	expect(t, err, allowed, "raw SMAF ioctl");
	if (!err && nr == 0 && pm == PM_OK) {
		memcpy(&fd, t->big + offsetof(struct smaf_create_data, fd), 4);
		if (fd < 0 || !smaf_fd_is_open(fd))
			fail(t, "raw CREATE returned fd %d, not open", fd);
		else
			close(fd);
	}
	logop(t, err);
}

/* ---- dma-buf ioctls ---- */

/*
 * The dma-buf core's rules: EBADF for no file, ENOTTY for a file that is
 * not a dma-buf; SYNC: EINVAL for unknown flag bits or no direction; a
 * START on a SMAF buffer allocates, so ENOMEM (limit) or ENODEV (no
 * allocator serves its devices) too, and a START asking for CPU writes
 * through a read-only file is EACCES on a secure buffer (which the fuzzer
 * does not track); END always works.
 */
static void op_sync(struct tctx *t, const uint64_t *r)
{
	static const uint64_t good[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync s;
	enum ptrmode pm = r[3] % 16 ? PM_OK : (r[3] >> 4) % 2 ? PM_NULL : PM_NONE;
	uint64_t ours, allowed;
	enum fdkind k;
	int fd, slot, err;
	bool bad = false;

	fd = pick_fd(t, r[1], &k, &slot);
	s.flags = good[r[2] % 6];
	if (r[2] % 64 >= 58) {
		bad = true;
		s.flags = (r[2] >> 8) % 2 ? (s.flags & ~DMA_BUF_SYNC_RW) :
			  s.flags | (1ULL << (3 + (r[2] >> 9) % 61));
	}
	if (bad)
		ours = R(EINVAL);
	else if (s.flags & DMA_BUF_SYNC_END)
		ours = RES_OK;
	else
		ours = RES_OK | R(ENOMEM) | R(ENODEV);
	switch (k) {
	case FK_OURS:
		allowed = ours;
		if (!bad && (s.flags & DMA_BUF_SYNC_END) == 0 &&
		    (s.flags & DMA_BUF_SYNC_WRITE) && !t->slot[slot].rdwr)
			allowed |= R(EACCES);
		break;
	case FK_BAD:
		allowed = R(EBADF);
		break;
	case FK_NOTDMABUF:
		allowed = R(ENOTTY);
		break;
	case FK_VGEM:
		allowed = bad ? R(EINVAL) : RES_OK;
		break;
	default:
		allowed = ours | RES_OK | R(EBADF) | R(ENOTTY) | R(EINVAL);
		/* Maybe a read-only secure buffer of ours. */
		if (!bad && (s.flags & DMA_BUF_SYNC_END) == 0 &&
		    (s.flags & DMA_BUF_SYNC_WRITE))
			allowed |= R(EACCES);
	}
	if (pm != PM_OK && (k == FK_OURS || k == FK_VGEM)) {
		allowed = R(EFAULT);
		t->faults++;
	} else if (pm != PM_OK) {
		allowed |= R(EFAULT);
		t->faults++;
	}
	t->hostile += bad || k != FK_OURS || pm != PM_OK;
	snprintf(t->desc, sizeof(t->desc), "dma-buf-sync fd=%d flags=%#llx ptr=%s",
		 fd, (unsigned long long)s.flags, ptr_names[pm]);
	err = sys_err(ioctl(fd, DMA_BUF_IOCTL_SYNC,
			    pm == PM_OK ? (void *)&s : place(t, pm, NULL, 0, 0)));
	expect(t, err, allowed, "DMA_BUF_IOCTL_SYNC");
	logop(t, err);
}

/*
 * SET_NAME: a NUL-terminated name of up to DMA_BUF_NAME_LEN - 1 bytes
 * works; a longer one is EINVAL; a bad pointer EFAULT. Also
 * EXPORT_SYNC_FILE (a fence fd, closed at once): EINVAL for unknown flags.
 */
static void op_set_name(struct tctx *t, const uint64_t *r)
{
	char name[64];
	size_t len = r[2] % 40, i;
	enum ptrmode pm = r[3] % 16 ? PM_OK : (r[3] >> 4) % 2 ? PM_NULL : PM_NONE;
	uint64_t ours, allowed;
	unsigned long cmd;
	enum fdkind k;
	int fd, slot, err;
	bool sync_file = r[4] % 8 == 0;

	fd = pick_fd(t, r[1], &k, &slot);
	if (sync_file) {
		struct dma_buf_export_sync_file e = { 0 };

		e.flags = r[2] % 4 ? DMA_BUF_SYNC_READ << (r[2] >> 8) % 2 :
			  (uint32_t)(r[2] >> 8);
		ours = (e.flags & ~DMA_BUF_SYNC_RW) || !(e.flags & DMA_BUF_SYNC_RW) ?
		       R(EINVAL) : RES_OK;
		snprintf(t->desc, sizeof(t->desc),
			 "export-sync-file fd=%d flags=%#x", fd, e.flags);
		err = sys_err(ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e));
		if (!err && e.fd >= 0)
			close(e.fd);
	} else {
		for (i = 0; i < len; i++)
			name[i] = 'A' + (r[5] >> (i % 60)) % 58;
		name[len] = 0;
		cmd = (r[4] >> 3) % 2 ? DMA_BUF_SET_NAME_A : DMA_BUF_SET_NAME_B;
		ours = len < DMA_BUF_NAME_LEN ? RES_OK : R(EINVAL);
		if (pm != PM_OK) {
			ours = R(EFAULT);
			t->faults++;
		}
		snprintf(t->desc, sizeof(t->desc),
			 "dma-buf-set-name fd=%d len=%zu ptr=%s", fd, len,
			 ptr_names[pm]);
		err = sys_err(ioctl(fd, cmd, pm == PM_OK ? (void *)name :
				    place(t, pm, NULL, 0, 0)));
	}
	switch (k) {
	case FK_OURS:
	case FK_VGEM:
		allowed = ours;
		break;
	case FK_BAD:
		allowed = R(EBADF);
		break;
	case FK_NOTDMABUF:
		allowed = R(ENOTTY);
		break;
	default:
		allowed = ours | RES_OK | R(EBADF) | R(ENOTTY) | R(EINVAL) |
			  R(EFAULT);
	}
	t->hostile += k != FK_OURS || pm != PM_OK || len >= DMA_BUF_NAME_LEN;
	expect(t, err, allowed, sync_file ? "EXPORT_SYNC_FILE" : "SET_NAME");
	logop(t, err);
}

/* ---- CPU mappings ---- */

static void map_drop(struct tctx *t, int m)
{
	if (!t->map[m].p)
		return;
	if (munmap(t->map[m].p, t->map[m].len))
		fail(t, "munmap %p+%zu: %s", t->map[m].p, t->map[m].len,
		     strerror(errno));
	t->map[m].p = NULL;
}

/*
 * mmap of our buffers: shared and inside the buffer works, or ENOMEM /
 * ENODEV when the first use cannot allocate; EACCES for a writable map of
 * a read-only buffer; EINVAL for MAP_PRIVATE, a range past the end, a zero
 * length or an unaligned offset (EOVERFLOW when the offset overflows);
 * PROT_EXEC may be refused with EPERM. ENODEV for files without mmap,
 * EBADF for no file.
 */
static void op_mmap(struct tctx *t, const uint64_t *r)
{
	int m = r[2] % NSLOT, fd, slot, flags = MAP_SHARED, err;
	int prot = PROT_READ | ((r[3] % 4) ? PROT_WRITE : 0);
	uint64_t size, npages, off, len, allowed, ours;
	unsigned int hostile = r[4] % 8 == 0 ? 1 + (r[4] >> 3) % 6 : 0;
	enum fdkind k;
	void *p;

	fd = pick_fd(t, r[1], &k, &slot);
	size = k == FK_OURS ? t->slot[slot].size :
	       k == FK_VGEM ? t->vgem_size : 16 * sys.pg;
	npages = size / sys.pg;
	off = (r[5] % npages) * sys.pg;
	len = (1 + (r[5] >> 20) % (npages - off / sys.pg)) * sys.pg;
	if (r[5] % 4 == 0) {
		off = 0;
		len = size;
	}
	ours = RES_OK | R(ENOMEM) | R(ENODEV);
	switch (hostile) {
	case 1:
		flags = MAP_PRIVATE;
		ours = R(EINVAL);
		break;
	case 2:
		len = size - off + sys.pg;
		ours = R(EINVAL);
		break;
	case 3:
		off = size + ((r[4] >> 8) % 4) * sys.pg;
		ours = R(EINVAL);
		break;
	case 4:
		off = (r[4] >> 8) % 2 ? 1ULL << 40 : (UINT64_MAX / sys.pg) * sys.pg;
		ours = R(EINVAL) | R(EOVERFLOW);
		break;
	case 5:
		len = (r[4] >> 8) % 2 ? 0 : len;
		off = (r[4] >> 8) % 2 ? off : off + 1 + (r[4] >> 9) % (sys.pg - 1);
		ours = R(EINVAL);
		break;
	case 6:
		prot |= PROT_EXEC;
		ours |= R(EPERM);
		break;
	}
	/* A writable shared map of a read-only buffer: EACCES. */
	if (k == FK_OURS && !t->slot[slot].rdwr && (prot & PROT_WRITE) &&
	    flags == MAP_SHARED)
		ours = hostile > 0 && hostile < 6 ? ours | R(EACCES) :
		       R(EACCES) | (hostile == 6 ? R(EPERM) : 0);
	switch (k) {
	case FK_OURS:
		allowed = ours;
		break;
	case FK_BAD:
		/* glibc and mmap check the offset and length before the fd */
		allowed = R(EBADF) | (hostile == 4 || hostile == 5 ?
				      R(EINVAL) | R(EOVERFLOW) : 0);
		break;
	case FK_NOTDMABUF:
		allowed = R(ENODEV) | (hostile == 4 || hostile == 5 ?
				       R(EINVAL) | R(EOVERFLOW) : 0) |
			  (hostile == 6 ? R(EPERM) : 0);
		break;
	default:
		/* vgem and the peer's buffers: whatever mmap may answer */
		allowed = ours | RES_OK | R(EINVAL) | R(EACCES) | R(ENODEV) |
			  R(EBADF) | R(ENOMEM) | R(EOVERFLOW) | R(EPERM);
	}
	t->hostile += hostile || k != FK_OURS;
	snprintf(t->desc, sizeof(t->desc),
		 "mmap fd=%d off=%#" PRIx64 " len=%#" PRIx64 " prot=%#x flags=%#x",
		 fd, off, len, prot, flags);
	p = mmap(NULL, len, prot, flags, fd, off);
	err = p == MAP_FAILED ? errno : 0;
	expect(t, err, allowed, "mmap");
	if (!err) {
		map_drop(t, m);
		t->map[m].p = p;
		t->map[m].len = len;
		t->map[m].writable = prot & PROT_WRITE;
		t->map[m].foreign = k != FK_OURS && k != FK_VGEM;
	}
	logop(t, err);
}

/* munmap of a whole mapping, or of its first or last page: always works. */
static void op_munmap(struct tctx *t, const uint64_t *r)
{
	struct cmap *m = &t->map[r[1] % NSLOT];
	int err = 0;

	snprintf(t->desc, sizeof(t->desc), "munmap map=%d mode=%d",
		 (int)(r[1] % NSLOT), (int)(r[2] % 3));
	if (!m->p) {
		logop(t, 0);
		return;
	}
	if (m->len > sys.pg && r[2] % 3 == 1) {
		err = sys_err(munmap(m->p, sys.pg));
		m->p += sys.pg;
		m->len -= sys.pg;
	} else if (m->len > sys.pg && r[2] % 3 == 2) {
		err = sys_err(munmap(m->p + m->len - sys.pg, sys.pg));
		m->len -= sys.pg;
	} else {
		err = sys_err(munmap(m->p, m->len));
		m->p = NULL;
	}
	expect(t, err, RES_OK, "munmap");
	logop(t, err);
}

/*
 * mremap: growing fails with EFAULT (VM_DONTEXPAND / VM_PFNMAP: the
 * mapping cannot grow past the buffer); shrinking works; moving to another
 * address works (ENOMEM tolerated).
 */
static void op_mremap(struct tctx *t, const uint64_t *r)
{
	struct cmap *m = &t->map[r[1] % NSLOT];
	unsigned int mode = r[2] % 3;
	void *q, *target;
	int err;

	snprintf(t->desc, sizeof(t->desc), "mremap map=%d mode=%s",
		 (int)(r[1] % NSLOT), mode == 0 ? "grow" : mode == 1 ?
		 "shrink" : "move");
	if (!m->p) {
		logop(t, 0);
		return;
	}
	if (mode == 0) {
		t->hostile++;
		q = mremap(m->p, m->len, m->len + sys.pg * (1 + r[3] % 4),
			   MREMAP_MAYMOVE);
		err = q == MAP_FAILED ? errno : 0;
		expect(t, err, R(EFAULT), "mremap growth");
		if (!err) {
			/* Tracked under its new size; a touch must SIGBUS. */
			m->p = q;
			m->len += sys.pg * (1 + r[3] % 4);
		}
	} else if (mode == 1) {
		if (m->len <= sys.pg) {
			logop(t, 0);
			return;
		}
		q = mremap(m->p, m->len, m->len - sys.pg, 0);
		err = q == MAP_FAILED ? errno : 0;
		expect(t, err, RES_OK, "mremap shrink");
		if (!err)
			m->len -= sys.pg;
	} else {
		target = mmap(NULL, m->len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (target == MAP_FAILED) {
			logop(t, 0);
			return;
		}
		q = mremap(m->p, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   target);
		err = q == MAP_FAILED ? errno : 0;
		expect(t, err, RES_OK | R(ENOMEM), "mremap move");
		if (!err)
			m->p = q;
		else
			munmap(target, m->len);
	}
	logop(t, err);
}

static void fatal_signal(int sig)
{
	char line[300];
	int n;

	n = snprintf(line, sizeof(line),
		     "# FUZZ: signal %d in thread %d at op #%" PRIu64
		     " (%s), seed %" PRIu64 "\n", sig, cur ? cur->idx : -1,
		     cur ? cur->done : 0, cur ? cur->desc : "?", cfg.seed);
	if (write(2, line, n) < 0)
		_exit(3);
	_exit(3);
}

/*
 * A byte of a mapping is read (and for our writable ones, written and read
 * back): it must never fault. SIGBUS/SIGSEGV end the run with the op.
 */
static void op_touch(struct tctx *t, const uint64_t *r)
{
	struct cmap *m = &t->map[r[1] % NSLOT];
	volatile uint8_t *b;
	uint8_t v = (uint8_t)(r[3] >> 8);
	size_t off;

	snprintf(t->desc, sizeof(t->desc), "touch map=%d", (int)(r[1] % NSLOT));
	if (!m->p) {
		logop(t, 0);
		return;
	}
	off = r[2] % m->len;
	b = m->p + off;
	(void)*b;
	if (m->writable && !m->foreign) {
		*b = v;
		if (*b != v)
			fail(t, "wrote %#x at %zu of a mapping, read %#x", v,
			     off, *b);
	}
	logop(t, 0);
}

/* ---- the test device ---- */

static void handle_drop(struct tctx *t, int i)
{
	struct handle *h = &t->hd[i];
	int err;

	if (!h->live)
		return;
	err = -testdev_detach(t->td, h->h);
	if (err)
		fail(t, "detach handle %u: %s", h->h, errname(err));
	h->live = false;
}

/*
 * ATTACH: EINVAL for a device index past the end or nonzero padding;
 * EBADF for no file, EINVAL for a file that is not a dma-buf; on our
 * buffers success, or EBUSY / ENOMEM when the memory exists, the device
 * cannot use it and it cannot move (or moving it fails); vgem buffers
 * attach.
 */
static void op_td_attach(struct tctx *t, const uint64_t *r)
{
	struct smaf_testdev_attach a;
	int i = r[2] % NSLOT, slot, err;
	uint64_t allowed, ours = RES_OK | R(EBUSY) | R(ENOMEM);
	enum ptrmode pm = r[4] % 32 == 0 ? PM_RO : PM_OK;
	enum fdkind k;
	bool bad = false;
	void *p = &a;

	memset(&a, 0, sizeof(a));
	a.fd = pick_fd(t, r[1], &k, &slot);
	a.dev = r[3] % 4;
	if (k == FK_VGEM)
		a.dev = (r[3] >> 2) % 2 ? SMAF_TESTDEV_DMA64 : SMAF_TESTDEV_DMA64B;
	if (r[3] % 16 == 15) {
		bad = true;
		if ((r[3] >> 4) % 2)
			a.dev = SMAF_TESTDEV_COUNT + (r[3] >> 8) % 1000;
		else
			a.pad = 1 + (r[3] >> 8) % 1000;
	}
	switch (k) {
	case FK_OURS:
		allowed = ours;
		break;
	case FK_BAD:
		allowed = R(EBADF);
		break;
	case FK_NOTDMABUF:
		allowed = R(EINVAL);
		break;
	case FK_VGEM:
		allowed = RES_OK;
		break;
	default:
		allowed = ours | R(EBADF) | R(EINVAL);
		if (a.dev == SMAF_TESTDEV_DMA30 || a.dev == SMAF_TESTDEV_DMA32)
			bad = true;	/* a vgem buffer of the peer: no */
	}
	if (bad && k == FK_PEER) {
		/* Never attach dma32/dma30 to a buffer that may be vgem's. */
		a.dev = SMAF_TESTDEV_DMA64;
		bad = false;
	}
	if (bad)
		allowed = R(EINVAL);
	if (pm == PM_RO) {
		if (allowed & RES_OK)
			allowed = (allowed & ~RES_OK) | R(EFAULT);
		p = place(t, PM_RO, &a, sizeof(a), 0);
		t->faults++;
	}
	t->hostile += bad || k != FK_OURS || pm != PM_OK;
	snprintf(t->desc, sizeof(t->desc), "td-attach fd=%d dev=%u pad=%u ptr=%s",
		 a.fd, a.dev, a.pad, ptr_names[pm]);
	err = sys_err(ioctl(t->td, SMAF_TESTDEV_IOC_ATTACH, p));
	expect(t, err, allowed, "testdev ATTACH");
	if (!err) {
		handle_drop(t, i);
		t->hd[i].h = a.handle;
		t->hd[i].live = true;
		t->hd[i].mapped = false;
		t->hd[i].certain = k == FK_OURS || k == FK_VGEM;
		t->hd[i].cached = k != FK_OURS;
		t->hd[i].size = k == FK_OURS ? t->slot[slot].size :
				k == FK_VGEM ? t->vgem_size : 0;
	}
	logop(t, err);
}

/*
 * MAP: EINVAL for a direction past FROM_DEVICE or nonzero padding; ENOENT
 * for a handle the file does not hold; EBUSY when mapped already; else
 * success, or ENODEV / ENOMEM when allocating for the device fails.
 */
static void op_td_map(struct tctx *t, const uint64_t *r)
{
	struct smaf_testdev_map m;
	struct handle *h = &t->hd[r[1] % NSLOT];
	uint64_t allowed;
	int err;

	memset(&m, 0, sizeof(m));
	m.handle = h->live ? h->h : (r[2] % 2 ? 0 : UINT32_MAX);
	m.dir = r[3] % 8 ? r[3] % 3 : 3 + (r[3] >> 3) % 100;
	if (r[4] % 32 == 0)
		m.pad = 1;
	if (m.dir > 2 || m.pad)
		allowed = R(EINVAL);
	else if (!h->live)
		allowed = R(ENOENT);
	else if (h->mapped)
		allowed = R(EBUSY);
	else
		allowed = RES_OK | R(ENODEV) | R(ENOMEM);
	/*
	 * vgem's dma-buf ops cache the mapping of an attachment
	 * (cache_sgt_mapping): the dma-buf core then refuses a map in another
	 * direction than the cached one with EBUSY. Not SMAF's doing.
	 */
	if (h->live && h->cached && !h->mapped && m.dir <= 2 && !m.pad)
		allowed |= R(EBUSY);
	t->hostile += allowed == R(EINVAL) || !h->live;
	snprintf(t->desc, sizeof(t->desc), "td-map handle=%u dir=%u pad=%u",
		 m.handle, m.dir, m.pad);
	err = sys_err(ioctl(t->td, SMAF_TESTDEV_IOC_MAP, &m));
	expect(t, err, allowed, "testdev MAP");
	if (!err) {
		h->mapped = true;
		h->dir = m.dir;
	}
	logop(t, err);
}

/*
 * WRITE then CHECKSUM of a range, as the device: ENOENT for no handle,
 * EINVAL unmapped or past the end, EPERM against the mapping's direction.
 * When both run on a buffer only this thread writes, the checksum must be
 * the pattern's.
 */
static void op_td_rw(struct tctx *t, const uint64_t *r)
{
	struct handle *h = &t->hd[r[1] % NSLOT];
	uint64_t off, len, sum, a_w, a_c, size = h->size;
	uint32_t seed = (uint32_t)r[4];
	uint32_t hn = h->live ? h->h : 0;
	bool past = r[3] % 16 == 0;
	int ew, ec;

	if (!size)
		size = sys.pg;
	len = 1 + r[2] % (size < 16 * KiB ? size : 16 * KiB);
	off = r[5] % (size - len + 1);
	if (past) {
		off = (r[3] >> 4) % 2 ? size - len + 1 + (r[3] >> 8) % 64 :
		      UINT64_MAX - (r[3] >> 8) % 16;
		t->hostile++;
	}
	if (!h->live) {
		a_w = a_c = R(ENOENT);
	} else if (!h->mapped || (past && h->certain)) {
		a_w = a_c = R(EINVAL);
	} else {
		a_w = (h->dir == SMAF_TESTDEV_TO_DEVICE) ? R(EPERM) : RES_OK;
		a_c = (h->dir == SMAF_TESTDEV_FROM_DEVICE) ? R(EPERM) : RES_OK;
		if (!h->certain) {
			a_w |= R(EINVAL);
			a_c |= R(EINVAL);
		}
	}
	snprintf(t->desc, sizeof(t->desc),
		 "td-write-checksum handle=%u off=%" PRIu64 " len=%" PRIu64
		 " seed=%#x", hn, off, len, seed);
	/* Never write through a handle on a buffer that may be another's. */
	ew = h->live && !h->certain ? 0 :
	     -testdev_write(t->td, hn, seed, off, len);
	expect(t, ew, a_w | (h->live && !h->certain ? RES_OK : 0),
	       "testdev WRITE");
	ec = -testdev_checksum(t->td, hn, off, len, &sum);
	expect(t, ec, a_c, "testdev CHECKSUM");
	if (!ew && !ec && h->certain && sum != cksum_pattern(seed, off, len))
		fail(t, "device read back a checksum %#llx, wrote %#llx",
		     (unsigned long long)sum,
		     (unsigned long long)cksum_pattern(seed, off, len));
	logop(t, ew ? ew : ec);
}

/* UNMAP: ENOENT for no handle, EINVAL when not mapped. DETACH: ENOENT. */
static void op_td_unmap(struct tctx *t, const uint64_t *r, bool detach)
{
	struct handle *h = &t->hd[r[1] % NSLOT];
	uint32_t hn = h->live ? h->h : (r[2] % 2 ? 0 : 5000);
	uint64_t allowed;
	int err;

	snprintf(t->desc, sizeof(t->desc), "td-%s handle=%u",
		 detach ? "detach" : "unmap", hn);
	if (!h->live)
		allowed = R(ENOENT);
	else if (!detach && !h->mapped)
		allowed = R(EINVAL);
	else
		allowed = RES_OK;
	err = -(detach ? testdev_detach(t->td, hn) : testdev_unmap(t->td, hn));
	expect(t, err, allowed, detach ? "testdev DETACH" : "testdev UNMAP");
	if (!err) {
		h->mapped = false;
		if (detach)
			h->live = false;
	}
	logop(t, err);
}

/* Closing the test device's file tears down every attachment it holds. */
static void op_td_reopen(struct tctx *t, const uint64_t *r)
{
	int i;

	snprintf(t->desc, sizeof(t->desc), "td-close-reopen");
	close(t->td);
	for (i = 0; i < NSLOT; i++)
		t->hd[i].live = false;
	t->td = testdev_open();
	if (t->td < 0)
		fail(t, "reopen %s: %s", SMAF_TESTDEV_PATH, strerror(-t->td));
	logop(t, 0);
}

/*
 * vgem imports one of our buffers (attach and map by a DRM driver at once)
 * and drops it: success, or ENODEV / ENOMEM / EBUSY when no memory serves.
 */
static void op_vgem_import(struct tctx *t, const uint64_t *r)
{
	int s = r[1] % NSLOT, err;
	uint32_t h;

	snprintf(t->desc, sizeof(t->desc), "vgem-import slot=%d", s);
	if (t->drm < 0 || t->slot[s].fd < 0) {
		logop(t, 0);
		return;
	}
	err = -smaf_vgem_import(t->drm, t->slot[s].fd, &h);
	expect(t, err, RES_OK | R(ENODEV) | R(ENOMEM) | R(EBUSY), "vgem import");
	if (!err)
		smaf_vgem_close_handle(t->drm, h);
	logop(t, err);
}

/* ---- fds ---- */

static void op_dup_close(struct tctx *t, const uint64_t *r, bool dup_it)
{
	int s = r[1] % NSLOT, d = r[2] % NSLOT, fd, err;

	snprintf(t->desc, sizeof(t->desc), "%s slot=%d", dup_it ? "dup" : "close",
		 s);
	if (t->slot[s].fd < 0) {
		if (dup_it) {
			err = sys_err(dup(CLOSED_FD));
			expect(t, err, R(EBADF), "dup of a closed fd");
			t->hostile++;
		} else {
			err = sys_err(close(CLOSED_FD));
			expect(t, err, R(EBADF), "close of a closed fd");
			t->hostile++;
		}
		logop(t, err);
		return;
	}
	if (!dup_it) {
		slot_close(t, s);
		logop(t, 0);
		return;
	}
	fd = r[3] % 2 ? fcntl(t->slot[s].fd, F_DUPFD_CLOEXEC, 0) :
	     dup(t->slot[s].fd);
	err = fd < 0 ? errno : 0;
	expect(t, err, RES_OK, "dup");
	if (!err) {
		if (d == s)
			d = (d + 1) % NSLOT;
		adopt(t, d, fd, t->slot[s].size, t->slot[s].rdwr);
	}
	logop(t, err);
}

/* lseek: SEEK_END 0 gives the size, SEEK_SET 0 gives 0, the rest EINVAL. */
static void op_lseek(struct tctx *t, const uint64_t *r)
{
	int s = r[1] % NSLOT;
	off_t o;

	snprintf(t->desc, sizeof(t->desc), "lseek slot=%d", s);
	if (t->slot[s].fd < 0) {
		logop(t, 0);
		return;
	}
	o = lseek(t->slot[s].fd, 0, SEEK_END);
	if (o != (off_t)t->slot[s].size)
		fail(t, "lseek(SEEK_END) = %lld, size %llu", (long long)o,
		     (unsigned long long)t->slot[s].size);
	if (lseek(t->slot[s].fd, 0, SEEK_SET) != 0)
		fail(t, "lseek(SEEK_SET) failed: %s", strerror(errno));
	o = lseek(t->slot[s].fd, 1 + r[2] % 4096, r[2] % 2 ? SEEK_END : SEEK_CUR);
	if (o != -1 || errno != EINVAL)
		fail(t, "lseek past the size: %lld (%s)", (long long)o,
		     strerror(errno));
	t->hostile++;
	logop(t, 0);
}

/*
 * Commands of the wrong file: SMAF commands on a dma-buf, dma-buf and
 * test device commands on /dev/smaf, and read()/write() on a dma-buf, all
 * refused (ENOTTY; EINVAL for read/write).
 */
static void op_other_ioctl(struct tctx *t, const uint64_t *r)
{
	int s = r[1] % NSLOT, err;
	unsigned char arg[256];
	unsigned long cmd;
	uint64_t allowed = R(ENOTTY);
	int fd = t->slot[s].fd >= 0 ? t->slot[s].fd : t->dev;

	memset(arg, 0, sizeof(arg));
	switch (r[2] % 4) {
	case 0:
		/* On a dma-buf (ours or vgem's), or on no file at all. */
		cmd = _IOC(_IOC_READ | _IOC_WRITE, SMAF_IOC_MAGIC, r[3] % 7,
			   smaf_ioc[r[3] % 7].ksize);
		if (t->slot[s].fd < 0)
			fd = t->vgem_buf;
		if (fd < 0) {
			fd = CLOSED_FD;
			allowed = R(EBADF);
		}
		break;
	case 1:
		fd = t->dev;
		cmd = DMA_BUF_IOCTL_SYNC;
		break;
	case 2:
		fd = t->dev;
		cmd = SMAF_TESTDEV_IOC_ATTACH;
		break;
	default:
		if (t->slot[s].fd < 0) {
			snprintf(t->desc, sizeof(t->desc), "read-write none");
			logop(t, 0);
			return;
		}
		snprintf(t->desc, sizeof(t->desc), "%s fd=%d",
			 r[3] % 2 ? "read" : "write", fd);
		err = sys_err((r[3] % 2) ? read(fd, arg, 16) : write(fd, arg, 16));
		/* No read/write op: EINVAL; EBADF writing a read-only file. */
		allowed = r[3] % 2 || t->slot[s].rdwr ? R(EINVAL) : R(EBADF);
		t->hostile++;
		expect(t, err, allowed, "read/write");
		logop(t, err);
		return;
	}
	snprintf(t->desc, sizeof(t->desc), "wrong-file-ioctl fd=%d cmd=%#lx",
		 fd, cmd);
	err = sys_err(ioctl(fd, cmd, arg));
	t->hostile++;
	expect(t, err, allowed, "ioctl on the wrong file");
	logop(t, err);
}

/*
 * fork: the child uses only system calls (another thread may hold libc
 * locks): BUFFER_INFO on every inherited buffer (must work and report its
 * size), a read of every inherited mapping, a buffer of its own (create,
 * mmap, write, munmap, close), maybe closes the inherited fds, and _exit.
 * Its exit status names the first step that failed.
 */
static int fork_child(struct tctx *t, uint64_t r)
{
	struct smaf_create_data cd;
	struct smaf_buffer_info bi;
	volatile uint8_t *p;
	int i;

	for (i = 0; i < NSLOT; i++) {
		if (t->slot[i].fd < 0)
			continue;
		memset(&bi, 0, sizeof(bi));
		bi.fd = t->slot[i].fd;
		if (ioctl(t->dev, SMAF_IOC_BUFFER_INFO, &bi))
			return 10;
		if (bi.size != t->slot[i].size)
			return 11;
	}
	for (i = 0; i < NSLOT; i++)
		if (t->map[i].p && t->map[i].len <= 1 << 30)
			(void)*(volatile uint8_t *)t->map[i].p;
	memset(&cd, 0, sizeof(cd));
	cd.length = 2 * sys.pg;
	cd.flags = SMAF_RDWR;
	if (ioctl(t->dev, SMAF_IOC_CREATE, &cd))
		return 12;
	p = mmap(NULL, cd.length, PROT_READ | PROT_WRITE, MAP_SHARED, cd.fd, 0);
	if (p == MAP_FAILED) {
		if (errno != ENOMEM)
			return 13;
	} else {
		p[0] = 1;
		if (p[0] != 1 || p[sys.pg] != 0)
			return 14;
		munmap((void *)p, cd.length);
	}
	close(cd.fd);
	if (r % 2)
		for (i = 0; i < NSLOT; i++)
			if (t->slot[i].fd >= 0)
				close(t->slot[i].fd);
	return 0;
}

static void op_fork(struct tctx *t, const uint64_t *r)
{
	int status;
	pid_t pid;

	snprintf(t->desc, sizeof(t->desc), "fork");
	pid = fork();
	if (pid < 0) {
		fail(t, "fork: %s", strerror(errno));
		return;
	}
	if (!pid)
		_exit(fork_child(t, r[1]));
	t->forks++;
	if (waitpid(pid, &status, 0) != pid)
		fail(t, "waitpid: %s", strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(t, "forked child: status %#x (exit %d: step that failed)",
		     status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	logop(t, 0);
}

/* ---- the loop ---- */

enum op {
	OP_CREATE, OP_CREATE_BAD, OP_GET_SECURE, OP_SET_SECURE, OP_GET_INFO,
	OP_BUFFER_INFO, OP_ADD_CONSUMER, OP_ALLOC_INFO, OP_RAW, OP_SYNC,
	OP_SET_NAME, OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_TOUCH, OP_TD_ATTACH,
	OP_TD_MAP, OP_TD_RW, OP_TD_UNMAP, OP_TD_DETACH, OP_TD_REOPEN,
	OP_VGEM_IMPORT, OP_DUP, OP_CLOSE, OP_LSEEK, OP_OTHER, OP_FORK,
	OP_COUNT
};

static const struct {
	const char *name;
	unsigned int weight;	/* per 1000 */
} op_table[OP_COUNT] = {
	[OP_CREATE] = { "create", 90 },
	[OP_CREATE_BAD] = { "create-bad", 45 },
	[OP_GET_SECURE] = { "get-secure", 25 },
	[OP_SET_SECURE] = { "set-secure", 40 },
	[OP_GET_INFO] = { "get-info", 15 },
	[OP_BUFFER_INFO] = { "buffer-info", 50 },
	[OP_ADD_CONSUMER] = { "add-consumer", 30 },
	[OP_ALLOC_INFO] = { "allocator-info", 15 },
	[OP_RAW] = { "raw-ioctl", 50 },
	[OP_SYNC] = { "dma-buf-sync", 50 },
	[OP_SET_NAME] = { "set-name", 30 },
	[OP_MMAP] = { "mmap", 70 },
	[OP_MUNMAP] = { "munmap", 40 },
	[OP_MREMAP] = { "mremap", 25 },
	[OP_TOUCH] = { "touch", 50 },
	[OP_TD_ATTACH] = { "td-attach", 60 },
	[OP_TD_MAP] = { "td-map", 50 },
	[OP_TD_RW] = { "td-write-checksum", 45 },
	[OP_TD_UNMAP] = { "td-unmap", 30 },
	[OP_TD_DETACH] = { "td-detach", 30 },
	[OP_TD_REOPEN] = { "td-reopen", 3 },
	[OP_VGEM_IMPORT] = { "vgem-import", 20 },
	[OP_DUP] = { "dup", 20 },
	[OP_CLOSE] = { "close", 60 },
	[OP_LSEEK] = { "lseek", 12 },
	[OP_OTHER] = { "wrong-file", 12 },
	[OP_FORK] = { "fork", 3 },
};

static enum op pick_op(uint64_t r)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < OP_COUNT; i++)
		total += op_table[i].weight;
	x = r % total;
	for (i = 0; i < OP_COUNT; i++) {
		if (x < op_table[i].weight)
			return i;
		x -= op_table[i].weight;
	}
	return OP_BUFFER_INFO;
}

static void run_op(struct tctx *t, const uint64_t *r)
{
	enum op op = pick_op(r[0]);

	t->count[op]++;
	switch (op) {
	case OP_CREATE: op_create(t, r, false); break;
	case OP_CREATE_BAD: op_create(t, r, true); break;
	case OP_GET_SECURE: op_secure(t, r, false); break;
	case OP_SET_SECURE: op_secure(t, r, true); break;
	case OP_GET_INFO: op_info(t, r, false); break;
	case OP_BUFFER_INFO: op_buffer_info(t, r); break;
	case OP_ADD_CONSUMER: op_consumer(t, r); break;
	case OP_ALLOC_INFO: op_info(t, r, true); break;
	case OP_RAW: op_raw(t, r); break;
	case OP_SYNC: op_sync(t, r); break;
	case OP_SET_NAME: op_set_name(t, r); break;
	case OP_MMAP: op_mmap(t, r); break;
	case OP_MUNMAP: op_munmap(t, r); break;
	case OP_MREMAP: op_mremap(t, r); break;
	case OP_TOUCH: op_touch(t, r); break;
	case OP_TD_ATTACH: op_td_attach(t, r); break;
	case OP_TD_MAP: op_td_map(t, r); break;
	case OP_TD_RW: op_td_rw(t, r); break;
	case OP_TD_UNMAP: op_td_unmap(t, r, false); break;
	case OP_TD_DETACH: op_td_unmap(t, r, true); break;
	case OP_TD_REOPEN: op_td_reopen(t, r); break;
	case OP_VGEM_IMPORT: op_vgem_import(t, r); break;
	case OP_DUP: op_dup_close(t, r, true); break;
	case OP_CLOSE: op_dup_close(t, r, false); break;
	case OP_LSEEK: op_lseek(t, r); break;
	case OP_OTHER: op_other_ioctl(t, r); break;
	case OP_FORK: op_fork(t, r); break;
	default: break;
	}
}

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int thread_setup(struct tctx *t)
{
	int i, ret;

	for (i = 0; i < NSLOT; i++)
		t->slot[i].fd = -1;
	t->vgem_buf = -1;
	t->drm = -1;
	t->dev = smaf_dev_open();
	t->td = testdev_open();
	if (t->dev < 0 || t->td < 0)
		return -ENODEV;
	t->none = map_anon(sys.pg, PROT_NONE);
	t->ro = map_anon(sys.pg, PROT_READ);
	t->strad = map_anon(2 * sys.pg, PROT_READ | PROT_WRITE);
	t->big = map_anon(BIG_LEN, PROT_READ | PROT_WRITE);
	if (!t->none || !t->ro || !t->strad || !t->big)
		return -ENOMEM;
	if (mprotect(t->strad + sys.pg, sys.pg, PROT_NONE))
		return -errno;
	if (sys.vgem) {
		t->drm = smaf_vgem_open();
		if (t->drm < 0)
			return t->drm;
		t->vgem_size = 4 * sys.pg;
		ret = smaf_vgem_export(t->drm, t->vgem_size, NULL, &t->vgem_buf);
		if (ret)
			return ret;
	}
	return 0;
}

static void thread_cleanup(struct tctx *t)
{
	int i;

	for (i = 0; i < NSLOT; i++) {
		map_drop(t, i);
		slot_close(t, i);
		t->hd[i].live = false;
	}
	if (t->td >= 0)
		close(t->td);
	if (t->vgem_buf >= 0)
		close(t->vgem_buf);
	if (t->drm >= 0)
		close(t->drm);
	if (t->dev >= 0)
		close(t->dev);
	t->td = t->vgem_buf = t->drm = t->dev = -1;
	munmap(t->none, sys.pg);
	munmap(t->ro, sys.pg);
	munmap(t->strad, 2 * sys.pg);
	munmap(t->big, BIG_LEN);
}

static void *fuzz_thread(void *arg)
{
	struct tctx *t = arg;
	uint64_t r[8];
	int i, ret;

	cur = t;
	ret = thread_setup(t);
	if (ret) {
		snprintf(t->desc, sizeof(t->desc), "setup");
		fail(t, "thread setup: %s", strerror(-ret));
	}
	for (t->done = 0; t->done < t->nops && !stop_all; t->done++) {
		for (i = 0; i < 8; i++) {
			r[i] = splitmix64(&t->rng);
			t->hash_ops = (t->hash_ops ^ r[i]) * 0x100000001b3ULL;
		}
		run_op(t, r);
		if (!(t->done % 256) &&
		    now_ms() - run_start_ms > cfg.max_seconds * 1000ULL) {
			snprintf(t->desc, sizeof(t->desc), "time limit");
			fail(t, "%" PRIu64 " of %" PRIu64 " operations done after --max-seconds %u",
			     t->done, t->nops, cfg.max_seconds);
		}
	}
	thread_cleanup(t);
	return NULL;
}

/* Reads what the oracle needs: limits, allocators, the secure module. */
static int read_system(void)
{
	struct smaf_allocator_info ai;
	struct smaf_info info;
	int dev, ret, fd = -1;
	uint32_t i;

	sys.pg = smaf_page_size();
	ret = smaf_param_read("max_buffer_size", &sys.max_size);
	if (ret)
		return ret;
	dev = smaf_dev_open();
	if (dev < 0)
		return dev;
	ret = smaf_raw_get_info(dev, 0, &info);
	sys.nalloc = ret ? 0 : info.count;
	for (i = 0; i < sys.nalloc && i < 8; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.index = i;
		ret = smaf_ioctl(dev, SMAF_IOC_ALLOCATOR_INFO, &ai);
		if (ret)
			break;
		memcpy(sys.alloc_name[i], ai.name, SMAF_NAME_LEN);
		sys.alloc_name[i][SMAF_NAME_LEN - 1] = 0;
		sys.alloc_secure[i] = ai.caps & SMAF_CAP_SECURE;
	}
	ret = smaf_raw_create(dev, sys.pg, SMAF_RDWR, NULL, &fd);
	if (!ret) {
		sys.secure_module = smaf_raw_set_secure(dev, fd, 1) == 0;
		close(fd);
	}
	close(dev);
	fd = smaf_vgem_open();
	sys.vgem = fd >= 0;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Runs @ops operations on @threads threads from @seed. 0 or a failure. */
static int do_fuzz(struct __test_metadata *_metadata, uint64_t seed,
		    uint64_t ops, int threads, uint64_t *hash,
		    struct tctx *ctx)
{
	pthread_t th[MAX_THREADS];
	int i, failed = 0;

	for (i = 0; i < threads; i++) {
		memset(&ctx[i], 0, sizeof(ctx[i]));
		ctx[i].idx = i;
		ctx[i].rng = seed ^ (0x9e3779b97f4a7c15ULL * (i + 1));
		ctx[i].nops = ops / threads + (i == 0 ? ops % threads : 0);
		ctx[i].peer = threads > 1 ? &ctx[(i + 1) % threads] : NULL;
	}
	stop_all = 0;
	run_start_ms = now_ms();
	for (i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, fuzz_thread, &ctx[i]))
			return -1;
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	*hash = 0;
	for (i = 0; i < threads; i++) {
		*hash ^= ctx[i].hash_ops;
		if (ctx[i].failed) {
			TH_LOG("FAILED: %s", ctx[i].msg);
			failed = 1;
		}
	}
	return failed;
}

FIXTURE(fuzz) {
	struct smaf_stats base;
	int fds[256];
	int nfds;
	struct tctx ctx[MAX_THREADS];
};

FIXTURE_SETUP(fuzz)
{
	struct sigaction sa;
	int ret;

	ret = read_system();
	ASSERT_EQ(0, ret) TH_LOG("SMAF not usable: %s", strerror(-ret));
	ASSERT_LT(0U, sys.nalloc);
	ASSERT_EQ(0, smaf_stats_read(&self->base));
	self->nfds = smaf_list_fds(self->fds, 256);
	ASSERT_LT(0, self->nfds);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* Everything closed: counters and the fd table as they were. */
static void expect_clean(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fuzz) *self)
{
	char a[SMAF_STATS_STRLEN], b[SMAF_STATS_STRLEN];
	struct smaf_stats now;
	int fds[256], n, i;

	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&self->base, &now))
		TH_LOG("seed %" PRIu64 ": counters not back to baseline:\n  before %s\n  after  %s",
		       cfg.seed, smaf_stats_str(&self->base, a, sizeof(a)),
		       smaf_stats_str(&now, b, sizeof(b)));
	n = smaf_list_fds(fds, 256);
	EXPECT_EQ(self->nfds, n) TH_LOG("seed %" PRIu64 ": %d fds open, %d before",
					cfg.seed, n, self->nfds);
	for (i = 0; i < n && i < self->nfds; i++)
		EXPECT_EQ(self->fds[i], fds[i]) TH_LOG("fd %d leaked", fds[i]);
}

/*
 * The same seed gives the same per-thread sequence of operations and
 * arguments (with one thread, the same results too): two short runs
 * compared.
 */
TEST_F_TIMEOUT(fuzz, replay_same_seed, 600)
{
	uint64_t h1, h2, ops = cfg.ops / 40 < 3000 ? cfg.ops / 40 : 3000;

	if (ops < 100)
		ops = 100;
	ASSERT_EQ(0, do_fuzz(_metadata, cfg.seed, ops, 1, &h1, self->ctx));
	ASSERT_EQ(0, do_fuzz(_metadata, cfg.seed, ops, 1, &h2, self->ctx));
	EXPECT_EQ(h1, h2) TH_LOG("seed %" PRIu64 ": two runs drew different operations",
				 cfg.seed);
	ASSERT_EQ(0, do_fuzz(_metadata, cfg.seed + 1, ops, 1, &h2, self->ctx));
	EXPECT_NE(h1, h2) TH_LOG("another seed drew the same operations");
	expect_clean(_metadata, self);
}

TEST_F_TIMEOUT(fuzz, run, 1800)
{
	uint64_t hash, total = 0, t0 = now_ms(), ms;
	unsigned long per[OP_COUNT] = { 0 };
	char line[4096];
	int i, j, n = 0, ret;

	TH_LOG("seed %" PRIu64 ", %" PRIu64 " operations on %d threads (replay: --seed %" PRIu64 " --ops %" PRIu64 " --threads %d --replay-log)",
	       cfg.seed, cfg.ops, cfg.threads, cfg.seed, cfg.ops, cfg.threads);
	ret = do_fuzz(_metadata, cfg.seed, cfg.ops, cfg.threads, &hash,
		       self->ctx);
	ms = now_ms() - t0;
	for (i = 0; i < cfg.threads; i++) {
		total += self->ctx[i].done;
		report->faults += self->ctx[i].faults;
		report->hostile += self->ctx[i].hostile;
		report->forks += self->ctx[i].forks;
		for (j = 0; j < OP_COUNT; j++)
			per[j] += self->ctx[i].count[j];
		TH_LOG("thread %d: %" PRIu64 " operations, %" PRIu64 " hostile, %" PRIu64 " faulting pointers, %" PRIu64 " forks",
		       i, self->ctx[i].done, self->ctx[i].hostile,
		       self->ctx[i].faults, self->ctx[i].forks);
	}
	report->ops = total;
	for (j = 0; j < OP_COUNT; j++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
			      op_table[j].name, per[j]);
	TH_LOG("per operation:%s", line);
	TH_LOG("%" PRIu64 " operations in %" PRIu64 ".%03" PRIu64 " s (%" PRIu64 "/s)",
	       total, ms / 1000, ms % 1000, ms ? total * 1000 / ms : 0);
	EXPECT_EQ(0, ret) TH_LOG("seed %" PRIu64 ": see the failure above", cfg.seed);
	if (!ret)
		EXPECT_EQ(cfg.ops, total);
	expect_clean(_metadata, self);
}

static void print_report(void)
{
	if (!report || !report->ran)
		return;
	printf("# REPORT fuzz_ops=%" PRIu64 " seed=%" PRIu64 "\n", report->ops,
	       cfg.seed);
	printf("# REPORT faults_injected=%" PRIu64 "\n", report->faults);
	printf("# REPORT hostile_inputs=%" PRIu64 "\n", report->hostile);
	fflush(stdout);
}

/*
 * The seed on the kernel log too: the console keeps it when the kernel
 * panics before the program's output is shown (panic_on_warn).
 */
static void kmsg_seed(void)
{
	char line[160];
	int fd, n;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "test_fuzz: seed %" PRIu64 " ops %" PRIu64 " threads %d\n",
		     cfg.seed, cfg.ops, cfg.threads);
	if (write(fd, line, n) < 0)
		n = 0;
	close(fd);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--threads N] [--replay-log] [--max-seconds N]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec ts;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	cfg.seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^
		   ((uint64_t)getpid() << 32);
	cfg.seed %= 1000000000000ULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			cfg.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			cfg.ops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			cfg.threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
			cfg.max_seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--replay-log"))
			cfg.replay = true;
		else
			usage(argv[0]);
	}
	if (cfg.threads < 1 || cfg.threads > MAX_THREADS || !cfg.ops)
		usage(argv[0]);
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		return 1;
	report->ran = 1;
	printf("# fuzz seed %" PRIu64 " ops %" PRIu64 " threads %d\n", cfg.seed,
	       cfg.ops, cfg.threads);
	fflush(stdout);
	kmsg_seed();
	atexit(print_report);
	return test_harness_run(argc, argv);
}
