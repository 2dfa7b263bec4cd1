// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl: inspect and drive SMAF (/dev/smaf) from the command line.
 *
 *	smafctl allocators		SMAF_IOC_ALLOCATOR_INFO, one row each
 *	smafctl buffers			debugfs smaf/buffers, one row each
 *	smafctl constraints [set|del|clear]	/sys/class/misc/smaf/constraints
 *	smafctl create --size N [...] [-- CMD]	a buffer CMD inherits
 *	smafctl info [FD]		SMAF_IOC_BUFFER_INFO of an inherited fd
 *	smafctl quarantine [scrub]	debugfs smaf/quarantine: list, scrub
 *
 * Every listing has a table for people and --json for programs. Exit
 * status: 0 success, 1 operational error (one line on stderr, ending with
 * the errno name), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>

#include "libsmaf.h"

#ifndef SMAFCTL_VERSION
#define SMAFCTL_VERSION		"unknown"
#endif

#define EXIT_OPERR		1
#define EXIT_USAGE		2

#define SMAF_NODE		"/dev/smaf"
#define CONSTRAINTS_PATH	"/sys/class/misc/smaf/constraints"
#define DEBUGFS_DIR		"/sys/kernel/debug"
#define BUFFERS_PATH		DEBUGFS_DIR "/smaf/buffers"
#define QUARANTINE_PATH		DEBUGFS_DIR "/smaf/quarantine"

/* The dma-buf name limit (DMA_BUF_NAME_LEN), NUL included. */
#define LABEL_LEN		32
/* The dma-bits range the constraints table accepts. */
#define DMA_BITS_MIN		12
#define DMA_BITS_MAX		64

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define MAX_COLS		16
#define NUM_LEN			32

static bool json;		/* --json */
static const char *cmd_name;	/* the command running, for messages */

/* ---- messages ---- */

static void vmessage(const char *fmt, va_list ap)
{
	fputs("smafctl: ", stderr);
	if (cmd_name)
		fprintf(stderr, "%s: ", cmd_name);
	vfprintf(stderr, fmt, ap);
}

/* A usage error: the message, a hint, and EXIT_USAGE to return. */
static int usage_err(const char *fmt, ...) __attribute__
	((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'smafctl %s%s--help'.\n",
		cmd_name ? cmd_name : "", cmd_name ? " " : "");
	return EXIT_USAGE;
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "unknown errno";
}

/*
 * An operational error: one line, "smafctl: CMD: MESSAGE (ENAME)", and
 * EXIT_OPERR to return. @err is a positive or negative errno.
 */
static int op_err(int err, const char *fmt, ...) __attribute__
	((format(printf, 2, 3)));
static int op_err(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", errno_name(err));
	return EXIT_OPERR;
}

static int open_smaf(void)
{
	int ret = smaf_open();

	if (ret == -ENOENT)
		return op_err(ret, "cannot open %s: is smaf loaded?",
			      SMAF_NODE);
	if (ret)
		return op_err(ret, "cannot open %s: %s", SMAF_NODE,
			      strerror(-ret));
	return 0;
}

/* ---- numbers ---- */

/* Formats @v as "512B", "4.0K", "1.0M", "2.5G" (powers of 1024). */
static const char *human_size(unsigned long long v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int i = -1;

	if (v < 1024) {
		snprintf(buf, len, "%lluB", v);
		return buf;
	}
	while ((d >= 1024 || (i >= 0 && d >= 1023.95)) && i < 5) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f%c", d, units[i]);
	return buf;
}

/*
 * Parses a size: decimal digits and an optional K, M or G (powers of
 * 1024). Refuses anything else, 0 and overflow. Returns 0 or -EINVAL.
 */
static int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1ULL << 10;
		break;
	case 'M': case 'm':
		mult = 1ULL << 20;
		break;
	case 'G': case 'g':
		mult = 1ULL << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1])
		return -EINVAL;
	if (!v || v > ULLONG_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* Parses a decimal int in [@min, @max]. Returns 0 or -EINVAL. */
static int parse_int(const char *s, int min, int max, int *out)
{
	long long v = 0;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > max)
			return -EINVAL;
	}
	if (*p || v < min)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ---- JSON output ---- */

/* Length of the valid UTF-8 sequence at @s, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Prints @s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	putchar('"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", stdout);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", stdout);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else if (*p < 0x80) {
			putchar(*p++);
		} else {
			n = utf8_len(p);
			if (n)
				fwrite(p, 1, (size_t)n, stdout);
			else
				fputs("\\ufffd", stdout);
			p += n ? n : 1;
		}
	}
	putchar('"');
}

/* A string, or null when it is @none ("-"). */
static void json_str_or_null(const char *s, const char *none)
{
	if (!s || !strcmp(s, none))
		fputs("null", stdout);
	else
		json_str(s);
}

/* A number when @s is one, else a string. */
static void json_num_str(const char *s)
{
	if (s && is_number(s))
		fputs(s, stdout);
	else
		json_str_or_null(s, "");
}

/* "a,b,c" as ["a","b","c"]; "-" as []. */
static void json_list(const char *s)
{
	const char *p = s, *end;
	bool first = true;

	putchar('[');
	while (s && strcmp(s, "-") && *p) {
		end = strchrnul(p, ',');
		printf("%s\"", first ? "" : ",");
		first = false;
		/* Device names: printable ASCII without quotes. */
		for (; p < end; p++) {
			if (*p == '"' || *p == '\\' || *p < 0x20 || *p > 0x7e)
				printf("\\u%04x", (unsigned char)*p);
			else
				putchar(*p);
		}
		putchar('"');
		if (*p)
			p++;
	}
	putchar(']');
}

/* ---- tables ---- */

struct table {
	unsigned int ncols;
	const char *head[MAX_COLS];
	bool right[MAX_COLS];
	char **cells;		/* nrows * ncols strdup()ed strings */
	size_t nrows, cap;
	bool oom;
};

static void table_col(struct table *t, const char *head, bool right)
{
	if (t->ncols < MAX_COLS) {
		t->head[t->ncols] = head;
		t->right[t->ncols++] = right;
	}
}

/* Adds one row of t->ncols strings (NULL prints as "-"). */
static void table_row(struct table *t, ...)
{
	unsigned int i;
	char **cells;
	va_list ap;

	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		cells = reallocarray(t->cells, cap * t->ncols, sizeof(*cells));
		if (!cells) {
			t->oom = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	cells = t->cells + t->nrows * t->ncols;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		cells[i] = strdup(s ? s : "-");
		if (!cells[i])
			t->oom = true;
	}
	va_end(ap);
	t->nrows++;
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
	t->cap = 0;
}

/* Prints the header and rows, columns two spaces apart. */
static int table_print(struct table *t)
{
	size_t w[MAX_COLS], r, len;
	unsigned int c;

	if (t->oom)
		return op_err(ENOMEM, "out of memory");
	for (c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (r = 0; r < t->nrows; r++) {
			len = strlen(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] :
				t->head[c];
			int pad = (int)w[c];
			bool last = c + 1 == t->ncols;

			if (c)
				fputs("  ", stdout);
			if (t->right[c])
				printf("%*s", pad, s);
			else if (last)
				fputs(s, stdout);
			else
				printf("%-*s", pad, s);
		}
		putchar('\n');
	}
	return 0;
}

/* ---- files ---- */

/*
 * Reads a whole (sysfs, debugfs) file into a NUL-terminated malloc()ed
 * string. Returns 0 or -errno.
 */
static int read_file(const char *path, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd, err;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		if (cap - len < 2) {
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

/* Writes one command to a sysfs file in a single write(). 0 or -errno. */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * The next line of a text being walked, cut off in place at its newline
 * (*@cur moves past it); NULL at the end of the text.
 */
static char *cut_line(char **cur)
{
	char *line = *cur, *nl;

	if (!*line)
		return NULL;
	nl = strchrnul(line, '\n');
	*cur = *nl ? nl + 1 : nl;
	*nl = '\0';
	return line;
}

/* ---- option parsing ---- */

/*
 * getopt_long() for a command: reports unknown options and missing
 * arguments as usage errors. Returns the option, -1 at the end, or
 * -EXIT_USAGE after printing the error.
 */
static int next_opt(int argc, char **argv, const char *optstring,
		    const struct option *opts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, opts, NULL);
	if (c == '?') {
		if (optopt)
			usage_err("unknown option '-%c'", optopt);
		else
			usage_err("unknown option '%s'", argv[optind - 1]);
		return -EXIT_USAGE;
	}
	if (c == ':') {
		usage_err("option '%s' needs an argument", argv[optind - 1]);
		return -EXIT_USAGE;
	}
	return c;
}

struct command {
	const char *name;
	const char *summary;
	const char *help;
	int (*run)(int argc, char **argv);
};

static const struct command *find_command(const char *name);

static int show_help(const char *name)
{
	const struct command *cmd = find_command(name);

	fputs(cmd->help, stdout);
	return 0;
}

/*
 * Parses the options of a command that has only --json and --help, and
 * checks that it got between @min and @max arguments. Returns the index
 * of the first argument, or -1 when --help was shown (exit 0), or
 * -EXIT_USAGE.
 */
static int simple_opts(int argc, char **argv, int min, int max)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, nargs;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:h", opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'h') {
			show_help(argv[0]);
			return -1;
		}
		json = true;
	}
	nargs = argc - optind;
	if (nargs > max) {
		usage_err("unexpected argument '%s'", argv[optind + max]);
		return -EXIT_USAGE;
	}
	if (nargs < min) {
		usage_err("missing argument");
		return -EXIT_USAGE;
	}
	return optind;
}

/* simple_opts()'s result as an exit status, when it is one. */
static int simple_exit(int ret)
{
	return ret == -1 ? 0 : -ret;
}

/* ---- allocators ---- */

static void caps_str(unsigned int caps, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 caps & SMAF_CAP_CONTIGUOUS ? "contiguous" : "",
		 (caps & SMAF_CAP_CONTIGUOUS) && (caps & SMAF_CAP_SECURE) ?
		 "," : "", caps & SMAF_CAP_SECURE ? "secure" : "");
	if (!*buf)
		snprintf(buf, len, "-");
}

static void allocators_json(const struct smaf_allocator_info *a, int n)
{
	int i;

	fputs("{\"allocators\":[", stdout);
	for (i = 0; i < n; i++, a++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str((const char *)a->name);
		printf(",\"ranking\":%d,\"contiguous\":%s,\"secure\":%s",
		       a->ranking,
		       a->caps & SMAF_CAP_CONTIGUOUS ? "true" : "false",
		       a->caps & SMAF_CAP_SECURE ? "true" : "false");
		printf(",\"max_size\":%llu,\"min_dma_limit\":%llu",
		       a->max_size, a->min_dma_limit);
		printf(",\"buffers\":%llu,\"bytes\":%llu", a->buffers,
		       a->bytes);
		printf(",\"peak_bytes\":%llu,\"failures\":%llu}",
		       a->peak_bytes, a->failures);
	}
	fputs("]}\n", stdout);
}

static int allocators_table(const struct smaf_allocator_info *a, int n)
{
	char rank[NUM_LEN], caps[NUM_LEN], max[NUM_LEN], lim[NUM_LEN];
	char bufs[NUM_LEN], bytes[NUM_LEN], peak[NUM_LEN], fail[NUM_LEN];
	struct table t = { 0 };
	int i, ret;

	if (!n) {
		puts("no allocator registered");
		return 0;
	}
	table_col(&t, "NAME", false);
	table_col(&t, "RANKING", true);
	table_col(&t, "CAPS", false);
	table_col(&t, "MAX-SIZE", true);
	table_col(&t, "MIN-DMA-LIMIT", true);
	table_col(&t, "BUFFERS", true);
	table_col(&t, "IN-USE", true);
	table_col(&t, "PEAK", true);
	table_col(&t, "FAILURES", true);
	for (i = 0; i < n; i++, a++) {
		snprintf(rank, sizeof(rank), "%d", a->ranking);
		caps_str(a->caps, caps, sizeof(caps));
		if (a->max_size)
			human_size(a->max_size, max, sizeof(max));
		else
			snprintf(max, sizeof(max), "unlimited");
		snprintf(lim, sizeof(lim), "%#llx", a->min_dma_limit);
		snprintf(bufs, sizeof(bufs), "%llu", a->buffers);
		human_size(a->bytes, bytes, sizeof(bytes));
		human_size(a->peak_bytes, peak, sizeof(peak));
		snprintf(fail, sizeof(fail), "%llu", a->failures);
		table_row(&t, (const char *)a->name, rank, caps, max, lim,
			  bufs, bytes, peak, fail);
	}
	ret = table_print(&t);
	table_free(&t);
	return ret;
}

static int cmd_allocators(int argc, char **argv)
{
	struct smaf_allocator_info first, *all;
	int ret, n;

	ret = simple_opts(argc, argv, 0, 0);
	if (ret < 0)
		return simple_exit(ret);
	ret = open_smaf();
	if (ret)
		return ret;
	ret = smaf_allocator_info(0, &first);
	if (ret == -EINVAL) {
		first.count = 0;
	} else if (ret) {
		smaf_close();
		return op_err(ret, "cannot read allocator 0");
	}
	all = calloc(first.count ? first.count : 1, sizeof(*all));
	if (!all) {
		smaf_close();
		return op_err(ENOMEM, "out of memory");
	}
	/* Allocators may come and go meanwhile: stop at the end. */
	for (n = 0; n < (int)first.count; n++) {
		ret = smaf_allocator_info(n, &all[n]);
		if (ret == -EINVAL)
			break;
		if (ret) {
			free(all);
			smaf_close();
			return op_err(ret, "cannot read allocator %d", n);
		}
	}
	smaf_close();
	ret = 0;
	if (json)
		allocators_json(all, n);
	else
		ret = allocators_table(all, n);
	free(all);
	return ret;
}

/* ---- buffers ---- */

enum {
	B_ID, B_SIZE, B_STATE, B_ALLOCATOR, B_SECURE, B_ATTACHED, B_DECLARED,
	B_DEVICE_MAPS, B_CPU_MAPS, B_MIGRATIONS, B_PID, B_COMM, B_NAME,
	B_NKEYS,
};

static const char *const buffer_keys[B_NKEYS] = {
	"id", "size", "state", "allocator", "secure", "attached", "declared",
	"device_maps", "cpu_maps", "migrations", "pid", "comm", "name",
};

/* Length of "key" when @tok starts with "key=" ([a-z_]+), else 0. */
static size_t key_len(const char *tok)
{
	size_t n = 0;

	while ((tok[n] >= 'a' && tok[n] <= 'z') || tok[n] == '_')
		n++;
	return n && tok[n] == '=' ? n : 0;
}

/*
 * Splits one debugfs smaf/buffers line (modified in place) into its
 * fields. Values may hold spaces: comm runs to " name=", name to the end
 * of the line, and a word that is not "key=..." continues the value
 * before it. Unknown keys are skipped. Returns false for a line without
 * an id.
 */
static bool parse_buffer_line(char *line, char *val[B_NKEYS])
{
	int cur = -1, k;
	char *p = line;
	size_t n;

	memset(val, 0, sizeof(*val) * B_NKEYS);
	while (*p) {
		char *tok = p, *sp = strchr(p, ' ');

		p = sp ? sp + 1 : tok + strlen(tok);
		n = key_len(tok);
		if (!n || (cur == B_COMM && strncmp(tok, "name=", 5)))
			continue;
		for (k = 0; k < B_NKEYS; k++)
			if (strlen(buffer_keys[k]) == n &&
			    !strncmp(tok, buffer_keys[k], n))
				break;
		if (tok > line)
			tok[-1] = '\0';
		if (k == B_NKEYS) {
			cur = B_NKEYS;		/* unknown: skipped */
			continue;
		}
		val[k] = tok + n + 1;
		cur = k;
		if (k == B_NAME)
			break;			/* the rest is the name */
	}
	return val[B_ID] && *val[B_ID];
}

static void buffer_json(char *val[B_NKEYS])
{
	fputs("{\"id\":", stdout);
	json_num_str(val[B_ID]);
	fputs(",\"size\":", stdout);
	json_num_str(val[B_SIZE]);
	fputs(",\"state\":", stdout);
	json_str_or_null(val[B_STATE], "");
	fputs(",\"allocator\":", stdout);
	json_str_or_null(val[B_ALLOCATOR], "-");
	printf(",\"secure\":%s",
	       val[B_SECURE] && !strcmp(val[B_SECURE], "1") ? "true" : "false");
	fputs(",\"attached\":", stdout);
	json_list(val[B_ATTACHED]);
	fputs(",\"declared\":", stdout);
	json_list(val[B_DECLARED]);
	fputs(",\"device_maps\":", stdout);
	json_num_str(val[B_DEVICE_MAPS]);
	fputs(",\"cpu_maps\":", stdout);
	json_num_str(val[B_CPU_MAPS]);
	fputs(",\"migrations\":", stdout);
	json_num_str(val[B_MIGRATIONS]);
	fputs(",\"pid\":", stdout);
	json_num_str(val[B_PID]);
	fputs(",\"comm\":", stdout);
	json_str_or_null(val[B_COMM], "");
	fputs(",\"name\":", stdout);
	json_str_or_null(val[B_NAME], "-");
	putchar('}');
}

/* Explains a failure to open the debugfs file @path; EXIT_OPERR. */
static int debugfs_error(int err, const char *path)
{
	struct statfs sfs;

	if (err == -ENOENT || err == -EACCES || err == -EPERM) {
		if (statfs(DEBUGFS_DIR, &sfs) && errno == EACCES)
			return op_err(err, "cannot read %s: needs root", path);
		if (statfs(DEBUGFS_DIR, &sfs) ||
		    sfs.f_type != DEBUGFS_MAGIC) {
			op_err(err, "debugfs is not mounted on %s (mount -t debugfs none %s)",
			       DEBUGFS_DIR, DEBUGFS_DIR);
			return EXIT_OPERR;
		}
	}
	if (err == -ENOENT)
		return op_err(err, "no %s: is smaf loaded?", path);
	if (err == -EACCES || err == -EPERM)
		return op_err(err, "cannot open %s: debugfs needs root", path);
	return op_err(err, "cannot read %s", path);
}

static int buffers_table(char *text)
{
	char size[NUM_LEN], *val[B_NKEYS], *line, *next;
	struct table t = { 0 };
	unsigned long long v;
	int ret;

	table_col(&t, "ID", true);
	table_col(&t, "SIZE", true);
	table_col(&t, "STATE", false);
	table_col(&t, "ALLOCATOR", false);
	table_col(&t, "SECURE", false);
	table_col(&t, "ATTACHED", false);
	table_col(&t, "DECLARED", false);
	table_col(&t, "DEV-MAPS", true);
	table_col(&t, "CPU-MAPS", true);
	table_col(&t, "MIGRATIONS", true);
	table_col(&t, "PID", true);
	table_col(&t, "COMMAND", false);
	table_col(&t, "NAME", false);
	next = text;
	while ((line = cut_line(&next))) {
		if (!parse_buffer_line(line, val))
			continue;
		if (val[B_SIZE] && is_number(val[B_SIZE])) {
			v = strtoull(val[B_SIZE], NULL, 10);
			human_size(v, size, sizeof(size));
		} else {
			snprintf(size, sizeof(size), "?");
		}
		table_row(&t, val[B_ID], size, val[B_STATE],
			  val[B_ALLOCATOR],
			  val[B_SECURE] && !strcmp(val[B_SECURE], "1") ?
			  "yes" : "no",
			  val[B_ATTACHED], val[B_DECLARED],
			  val[B_DEVICE_MAPS], val[B_CPU_MAPS],
			  val[B_MIGRATIONS], val[B_PID], val[B_COMM],
			  val[B_NAME]);
	}
	if (!t.nrows && !t.oom) {
		puts("no SMAF buffers");
		ret = 0;
	} else {
		ret = table_print(&t);
	}
	table_free(&t);
	return ret;
}

static void buffers_json(char *text)
{
	char *val[B_NKEYS], *line, *next;
	bool first = true;

	fputs("{\"buffers\":[", stdout);
	next = text;
	while ((line = cut_line(&next))) {
		if (!parse_buffer_line(line, val))
			continue;
		if (!first)
			putchar(',');
		first = false;
		buffer_json(val);
	}
	fputs("]}\n", stdout);
}

static int cmd_buffers(int argc, char **argv)
{
	char *text;
	int ret;

	ret = simple_opts(argc, argv, 0, 0);
	if (ret < 0)
		return simple_exit(ret);
	ret = read_file(BUFFERS_PATH, &text);
	if (ret)
		return debugfs_error(ret, BUFFERS_PATH);
	if (json)
		buffers_json(text);
	else
		ret = buffers_table(text);
	free(text);
	return ret;
}

/* ---- constraints ---- */

struct rule {
	const char *device;
	bool contiguous;
	bool driver;
	const char *dma_bits;	/* NULL: none */
};

/* Splits one line of the table ("bus:dev [contiguous] [dma-bits=N]
 * [driver]"), modified in place. Returns false for an empty line.
 */
static bool parse_rule(char *line, struct rule *r)
{
	char *tok, *save = NULL;

	memset(r, 0, sizeof(*r));
	r->device = strtok_r(line, " \t", &save);
	if (!r->device)
		return false;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (!strcmp(tok, "contiguous"))
			r->contiguous = true;
		else if (!strcmp(tok, "driver"))
			r->driver = true;
		else if (!strncmp(tok, "dma-bits=", 9))
			r->dma_bits = tok + 9;
	}
	return true;
}

static int constraints_show(void)
{
	char *text, *line, *next;
	struct table t = { 0 };
	bool first = true;
	struct rule r;
	int ret;

	ret = read_file(CONSTRAINTS_PATH, &text);
	if (ret == -ENOENT)
		return op_err(ret, "no %s: is smaf loaded?",
			      CONSTRAINTS_PATH);
	if (ret)
		return op_err(ret, "cannot read %s", CONSTRAINTS_PATH);
	if (json) {
		fputs("{\"constraints\":[", stdout);
	} else {
		table_col(&t, "DEVICE", false);
		table_col(&t, "CONTIGUOUS", false);
		table_col(&t, "DMA-BITS", true);
		table_col(&t, "SET-BY", false);
	}
	next = text;
	while ((line = cut_line(&next))) {
		if (!parse_rule(line, &r))
			continue;
		if (!json) {
			table_row(&t, r.device, r.contiguous ? "yes" : "no",
				  r.dma_bits, r.driver ? "driver" : "user");
			continue;
		}
		printf("%s{\"device\":", first ? "" : ",");
		first = false;
		json_str(r.device);
		printf(",\"contiguous\":%s,\"dma_bits\":",
		       r.contiguous ? "true" : "false");
		if (r.dma_bits && is_number(r.dma_bits))
			fputs(r.dma_bits, stdout);
		else
			fputs("null", stdout);
		printf(",\"driver\":%s}", r.driver ? "true" : "false");
	}
	free(text);
	if (json) {
		fputs("]}\n", stdout);
		return 0;
	}
	if (!t.nrows && !t.oom)
		puts("no constraint rules");
	else
		ret = table_print(&t);
	table_free(&t);
	return ret;
}

static int constraints_write(const char *text, const char *device)
{
	int ret = write_file(CONSTRAINTS_PATH, text);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		if (access(CONSTRAINTS_PATH, F_OK))
			return op_err(ret, "no %s: is smaf loaded?",
				      CONSTRAINTS_PATH);
		return op_err(ret, "no rule for '%s'", device);
	case -EACCES:
	case -EPERM:
		return op_err(ret, "cannot write %s: needs root",
			      CONSTRAINTS_PATH);
	case -ENOSPC:
		return op_err(ret, "the constraints table is full");
	default:
		return op_err(ret, "the kernel refused '%s'", text);
	}
}

/* Resolves a device argument; prints the error. 0 or EXIT_OPERR. */
static int resolve_dev(const char *arg, char *name, size_t len)
{
	int ret = smaf_resolve_device(arg, name, len);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		return op_err(ret, "'%s': no such device", arg);
	case -ENODEV:
		return op_err(ret, "'%s' is not a device on a bus", arg);
	case -ENAMETOOLONG:
		return op_err(ret, "'%s': device name too long", arg);
	default:
		return op_err(ret, "cannot resolve '%s'", arg);
	}
}

static int constraints_set(int argc, char **argv)
{
	char name[SMAF_DEVICE_NAME_LEN], cmd[SMAF_DEVICE_NAME_LEN + 32];
	bool contiguous = false;
	int i, bits = 0, ret;

	if (argc < 1)
		return usage_err("set: missing device");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "contiguous") && !contiguous) {
			contiguous = true;
		} else if (!strncmp(argv[i], "dma-bits=", 9) && !bits) {
			if (!parse_int(argv[i] + 9, DMA_BITS_MIN,
				       DMA_BITS_MAX, &bits))
				continue;
			usage_err("set: dma-bits must be a number from %d to %d: '%s'",
				  DMA_BITS_MIN, DMA_BITS_MAX, argv[i]);
			return EXIT_USAGE;
		} else {
			return usage_err("set: unexpected argument '%s'",
					 argv[i]);
		}
	}
	ret = resolve_dev(argv[0], name, sizeof(name));
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "%s%s", name,
		 contiguous ? " contiguous" : "");
	if (bits)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 " dma-bits=%d", bits);
	return constraints_write(cmd, name);
}

static int constraints_del(int argc, char **argv)
{
	char name[SMAF_DEVICE_NAME_LEN], cmd[SMAF_DEVICE_NAME_LEN + 1];
	int ret;

	if (argc < 1)
		return usage_err("del: missing device");
	if (argc > 1)
		return usage_err("del: unexpected argument '%s'", argv[1]);
	ret = resolve_dev(argv[0], name, sizeof(name));
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "-%s", name);
	return constraints_write(cmd, name);
}

static int cmd_constraints(int argc, char **argv)
{
	const char *sub;
	int ret;

	ret = simple_opts(argc, argv, 0, INT_MAX);
	if (ret < 0)
		return simple_exit(ret);
	argc -= ret;
	argv += ret;
	sub = argc ? argv[0] : "show";
	if (!strcmp(sub, "show") || !strcmp(sub, "list")) {
		if (argc > 1)
			return usage_err("unexpected argument '%s'",
					 argv[1]);
		return constraints_show();
	}
	if (json)
		return usage_err("--json applies to the table only");
	if (!strcmp(sub, "set"))
		return constraints_set(argc - 1, argv + 1);
	if (!strcmp(sub, "del"))
		return constraints_del(argc - 1, argv + 1);
	if (!strcmp(sub, "clear")) {
		if (argc > 1)
			return usage_err("unexpected argument '%s'",
					 argv[1]);
		return constraints_write("clear", "");
	}
	return usage_err("unknown subcommand '%s' (show, set, del, clear)",
			 sub);
}

/* ---- info ---- */

/* The dma-buf's name from /proc/self/fdinfo/FD into @buf ("" if none). */
static void buffer_label(int fd, char *buf, size_t len)
{
	char path[64], *text, *p, *end;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file(path, &text))
		return;
	for (p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, "name:", 5)) {
			p += 5;
			p += strspn(p, " \t");
			end = strchrnul(p, '\n');
			snprintf(buf, len, "%.*s", (int)(end - p), p);
			break;
		}
	}
	free(text);
}

static void info_print(int fd, const struct smaf_buffer_info *bi)
{
	char label[LABEL_LEN * 2], size[NUM_LEN];
	const char *alloc = (const char *)bi->allocator;

	buffer_label(fd, label, sizeof(label));
	if (json) {
		printf("{\"fd\":%d,\"id\":%llu,\"size\":%llu", fd, bi->id,
		       bi->size);
		printf(",\"allocated\":%s,\"allocator\":",
		       bi->allocated ? "true" : "false");
		json_str_or_null(alloc, "");
		printf(",\"secure\":%s,\"attachments\":%u,\"consumers\":%u",
		       bi->secure ? "true" : "false", bi->attachments,
		       bi->consumers);
		printf(",\"device_mappings\":%u,\"cpu_mappings\":%u",
		       bi->device_mappings, bi->cpu_mappings);
		printf(",\"migrations\":%u,\"name\":", bi->migrations);
		json_str_or_null(label, "");
		fputs("}\n", stdout);
		return;
	}
	printf("fd           %d\n", fd);
	printf("id           %llu\n", bi->id);
	printf("size         %s (%llu bytes)\n",
	       human_size(bi->size, size, sizeof(size)), bi->size);
	printf("state        %s\n",
	       bi->allocated ? "allocated" : "unallocated");
	printf("allocator    %s\n", *alloc ? alloc : "-");
	printf("secure       %s\n", bi->secure ? "yes" : "no");
	printf("attachments  %u\n", bi->attachments);
	printf("consumers    %u\n", bi->consumers);
	printf("device-maps  %u\n", bi->device_mappings);
	printf("cpu-maps     %u\n", bi->cpu_mappings);
	printf("migrations   %u\n", bi->migrations);
	printf("name         %s\n", *label ? label : "-");
}

static int cmd_info(int argc, char **argv)
{
	struct smaf_buffer_info bi;
	const char *arg;
	int ret, fd;

	ret = simple_opts(argc, argv, 0, 1);
	if (ret < 0)
		return simple_exit(ret);
	arg = ret < argc ? argv[ret] : getenv("SMAF_FD");
	if (!arg)
		return usage_err("missing FD (and no SMAF_FD set)");
	if (parse_int(arg, 0, INT_MAX, &fd))
		return usage_err("not a file descriptor: '%s'", arg);
	ret = open_smaf();
	if (ret)
		return ret;
	ret = smaf_buffer_info(fd, &bi);
	smaf_close();
	if (ret == -EBADF)
		return op_err(ret, "fd %d is not open", fd);
	if (ret == -EINVAL)
		return op_err(ret, "fd %d is not a SMAF buffer", fd);
	if (ret)
		return op_err(ret, "cannot read buffer info of fd %d", fd);
	info_print(fd, &bi);
	return 0;
}

/* ---- create ---- */

struct create_opts {
	unsigned long long size;
	bool secure;
	const char *allocator;
	const char *label;
	char **consumers;	/* argv strings */
	int nconsumers;
};

static int create_error(int err, const struct create_opts *o)
{
	char size[NUM_LEN];

	human_size(o->size, size, sizeof(size));
	switch (err) {
	case -ENOENT:
		return op_err(err, "allocator '%s' not found", o->allocator);
	case -E2BIG:
		return op_err(err, "%s is above smaf's max_buffer_size",
			      size);
	default:
		return op_err(err, "cannot create a buffer of %s", size);
	}
}

static int consumer_error(int err, const char *arg, const char *name)
{
	switch (err) {
	case -ENOENT:
		op_err(err, "consumer '%s': no device %s on a bus SMAF knows",
		       arg, name);
		return EXIT_OPERR;
	case -EEXIST:
		return op_err(err, "consumer '%s' (%s) given twice", arg,
			      name);
	case -ENOSPC:
		return op_err(err, "consumer '%s': too many consumers", arg);
	default:
		return op_err(err, "cannot add consumer '%s' (%s)", arg,
			      name);
	}
}

/* Runs @argv with @fd inherited; returns its exit status. */
static int run_command(char **argv, int fd, unsigned long long size)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	char num[NUM_LEN];
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	pid = fork();
	if (pid < 0) {
		status = op_err(errno, "cannot fork");
		goto out;
	}
	if (!pid) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		snprintf(num, sizeof(num), "%d", fd);
		setenv("SMAF_FD", num, 1);
		snprintf(num, sizeof(num), "%llu", size);
		setenv("SMAF_SIZE", num, 1);
		execvp(argv[0], argv);
		status = errno;
		op_err(status, "cannot run '%s'", argv[0]);
		_exit(status == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = op_err(errno, "cannot wait for '%s'",
					argv[0]);
			goto out;
		}
	}
	if (WIFEXITED(status))
		status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		status = 128 + WTERMSIG(status);
	else
		status = EXIT_OPERR;
out:
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	return status;
}

/* Creates the buffer and declares everything; 0 or EXIT_OPERR. */
static int create_buffer(const struct create_opts *o,
			 char (*names)[SMAF_DEVICE_NAME_LEN], int *fdp)
{
	int ret, fd, i;

	ret = smaf_create_buffer64(o->size, SMAF_RDWR, o->allocator, &fd);
	if (ret)
		return create_error(ret, o);
	if (o->secure) {
		ret = smaf_set_secure(fd, 1);
		if (ret == -ENODEV) {
			ret = op_err(ret, "--secure: no secure module");
			goto fail;
		}
		if (ret) {
			ret = op_err(ret, "cannot set the secure flag");
			goto fail;
		}
	}
	for (i = 0; i < o->nconsumers; i++) {
		ret = smaf_add_consumer(fd, names[i]);
		if (ret) {
			ret = consumer_error(ret, o->consumers[i], names[i]);
			goto fail;
		}
	}
	if (o->label && ioctl(fd, DMA_BUF_SET_NAME, o->label)) {
		ret = op_err(errno, "cannot name the buffer '%s'", o->label);
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

static int create_parse(int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "secure", no_argument, NULL, 'S' },
		{ "allocator", required_argument, NULL, 'a' },
		{ "consumer", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:s:a:c:n:h", opts)) != -1) {
		switch (c) {
		case 's':
			if (!parse_size(optarg, &o->size))
				break;
			usage_err("bad size '%s' (bytes, or K, M, G)", optarg);
			return EXIT_USAGE;
		case 'S':
			o->secure = true;
			break;
		case 'a':
			if (!*optarg || strlen(optarg) >= SMAF_NAME_LEN)
				return usage_err("bad allocator name '%s'",
						 optarg);
			o->allocator = optarg;
			break;
		case 'c':
			o->consumers[o->nconsumers++] = optarg;
			break;
		case 'n':
			if (strlen(optarg) >= LABEL_LEN)
				return usage_err("--name: at most %d bytes",
						 LABEL_LEN - 1);
			o->label = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			show_help(argv[0]);
			return -1;
		default:
			return -c;
		}
	}
	if (!o->size)
		return usage_err("missing --size");
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	char (*names)[SMAF_DEVICE_NAME_LEN] = NULL;
	struct create_opts o = { 0 };
	struct smaf_buffer_info bi;
	int ret, i, fd = -1;

	o.consumers = calloc((size_t)argc, sizeof(*o.consumers));
	if (!o.consumers)
		return op_err(ENOMEM, "out of memory");
	ret = create_parse(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	names = calloc((size_t)o.nconsumers + 1, sizeof(*names));
	if (!names) {
		ret = op_err(ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o.nconsumers; i++) {
		ret = resolve_dev(o.consumers[i], names[i], sizeof(names[i]));
		if (ret)
			goto out;
	}
	ret = open_smaf();
	if (ret)
		goto out;
	ret = create_buffer(&o, names, &fd);
	if (ret)
		goto out_close;
	ret = smaf_buffer_info(fd, &bi);
	if (ret) {
		ret = op_err(ret, "cannot read the new buffer's info");
	} else if (optind < argc) {
		ret = run_command(argv + optind, fd, bi.size);
	} else {
		info_print(fd, &bi);
		if (!json)
			puts("(freed as smafctl exits: see 'create -- CMD')");
	}
	close(fd);
out_close:
	smaf_close();
out:
	free(names);
	free(o.consumers);
	return ret;
}

/* ---- quarantine ---- */

enum { Q_ID, Q_SIZE, Q_ALLOCATOR, Q_SECURE, Q_NKEYS };

static const char *const quarantine_keys[Q_NKEYS] = {
	"id", "size", "allocator", "secure",
};

/*
 * Splits one debugfs smaf/quarantine line, "id=N size=N allocator=A
 * secure=S" (names have no spaces), in place. False without an id.
 */
static bool parse_quarantine_line(char *line, char *val[Q_NKEYS])
{
	char *tok, *save = NULL;
	size_t n;
	int k;

	memset(val, 0, sizeof(*val) * Q_NKEYS);
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		n = key_len(tok);
		for (k = 0; n && k < Q_NKEYS; k++)
			if (strlen(quarantine_keys[k]) == n &&
			    !strncmp(tok, quarantine_keys[k], n))
				val[k] = tok + n + 1;
	}
	return val[Q_ID] && *val[Q_ID];
}

/* The quarantined buffers in @text (modified); how many there are. */
static int quarantine_list(char *text)
{
	char size[NUM_LEN], *val[Q_NKEYS], *line, *next;
	struct table t = { 0 };
	int n = 0, ret = 0;

	if (json)
		fputs("{\"quarantine\":[", stdout);
	table_col(&t, "ID", true);
	table_col(&t, "SIZE", true);
	table_col(&t, "ALLOCATOR", false);
	table_col(&t, "SECURE-MODULE", false);
	next = text;
	while ((line = cut_line(&next))) {
		if (!parse_quarantine_line(line, val))
			continue;
		if (json) {
			fputs(n ? ",{\"id\":" : "{\"id\":", stdout);
			json_num_str(val[Q_ID]);
			fputs(",\"size\":", stdout);
			json_num_str(val[Q_SIZE]);
			fputs(",\"allocator\":", stdout);
			json_str_or_null(val[Q_ALLOCATOR], "");
			fputs(",\"secure_module\":", stdout);
			json_str_or_null(val[Q_SECURE], "");
			putchar('}');
		} else {
			if (val[Q_SIZE] && is_number(val[Q_SIZE]))
				human_size(strtoull(val[Q_SIZE], NULL, 10),
					   size, sizeof(size));
			else
				snprintf(size, sizeof(size), "?");
			table_row(&t, val[Q_ID], size, val[Q_ALLOCATOR],
				  val[Q_SECURE]);
		}
		n++;
	}
	if (json)
		fputs("]}\n", stdout);
	else if (!n)
		puts("no quarantined buffers");
	else
		ret = table_print(&t);
	table_free(&t);
	return ret ? -ret : n;
}

static int quarantine_count(void)
{
	char *text, *val[Q_NKEYS], *line, *next;
	int ret, n = 0;

	ret = read_file(QUARANTINE_PATH, &text);
	if (ret)
		return ret;
	next = text;
	while ((line = cut_line(&next)))
		n += parse_quarantine_line(line, val);
	free(text);
	return n;
}

/* Asks SMAF to scrub every quarantined buffer again. */
static int quarantine_scrub(void)
{
	int before, after, ret;

	before = quarantine_count();
	if (before < 0)
		return debugfs_error(before, QUARANTINE_PATH);
	ret = write_file(QUARANTINE_PATH, "scrub\n");
	if (ret && ret != -EIO)
		return debugfs_error(ret, QUARANTINE_PATH);
	after = quarantine_count();
	if (after < 0)
		return debugfs_error(after, QUARANTINE_PATH);
	printf("scrubbed and freed %d buffer%s; %d still quarantined\n",
	       before - after, before - after == 1 ? "" : "s", after);
	if (ret)
		return op_err(ret, "%d buffer%s not scrubbed (see dmesg)",
			      after, after == 1 ? "" : "s");
	return 0;
}

static int cmd_quarantine(int argc, char **argv)
{
	char *text;
	int ret;

	ret = simple_opts(argc, argv, 0, 1);
	if (ret < 0)
		return simple_exit(ret);
	if (ret < argc && !strcmp(argv[ret], "scrub")) {
		if (json)
			return usage_err("--json applies to the list only");
		return quarantine_scrub();
	}
	if (ret < argc && strcmp(argv[ret], "show"))
		return usage_err("unknown subcommand '%s' (show, scrub)",
				 argv[ret]);
	ret = read_file(QUARANTINE_PATH, &text);
	if (ret)
		return debugfs_error(ret, QUARANTINE_PATH);
	ret = quarantine_list(text);
	free(text);
	return ret < 0 ? -ret : 0;
}

/* ---- help ---- */

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{
		"allocators", "list the allocators and what they hold",
		"Usage: smafctl [--json] allocators\n"
		"\n"
		"Lists the registered allocators, highest ranking first\n"
		"(SMAF_IOC_ALLOCATOR_INFO): ranking, capabilities (contiguous,\n"
		"secure), largest buffer, lowest device DMA limit served,\n"
		"buffers and bytes held now, peak bytes, failed allocations.\n"
		"Sizes are in powers of 1024. Needs access to /dev/smaf.\n"
		"\n"
		"  --json      {\"allocators\":[{\"name\":...,\"ranking\":...}]}\n"
		"  -h, --help  show this help\n",
		cmd_allocators,
	},
	{
		"buffers", "list every buffer and its creator (debugfs)",
		"Usage: smafctl [--json] buffers\n"
		"\n"
		"Lists every SMAF buffer of the system, from debugfs\n"
		"(" BUFFERS_PATH ", readable by root): id, size,\n"
		"state, allocator, secure flag, attached and declared devices,\n"
		"device and CPU mappings, migrations, the pid and command that\n"
		"created it and its dma-buf name (DMA_BUF_SET_NAME).\n"
		"\n"
		"  --json      {\"buffers\":[{\"id\":...,\"pid\":...}]}\n"
		"  -h, --help  show this help\n",
		cmd_buffers,
	},
	{
		"constraints", "show or edit the device constraints table",
		"Usage: smafctl [--json] constraints [show]\n"
		"       smafctl constraints set DEV [contiguous] [dma-bits=N]\n"
		"       smafctl constraints del DEV\n"
		"       smafctl constraints clear\n"
		"\n"
		"Shows or edits the rules SMAF applies to devices on top of\n"
		"what the kernel knows (" CONSTRAINTS_PATH "):\n"
		"a device needs contiguous memory, or reaches only N address\n"
		"bits (12 to 64). 'set' replaces the device's rule, 'del'\n"
		"removes it, 'clear' removes every rule, drivers' included.\n"
		"Editing needs root.\n"
		"\n"
		"DEV is a \"bus:device\" name (platform:vivid.0), a device node\n"
		"(/dev/video0) or a sysfs device (/sys/bus/platform/devices/\n"
		"vivid.0).\n"
		"\n"
		"  --json      {\"constraints\":[{\"device\":...,\"contiguous\":...,\n"
		"              \"dma_bits\":N|null,\"driver\":...}]}\n"
		"  -h, --help  show this help\n",
		cmd_constraints,
	},
	{
		"create", "create a buffer and run a command that inherits it",
		"Usage: smafctl create --size SIZE [--secure] [--allocator NAME]\n"
		"                      [--consumer DEV]... [--name LABEL]\n"
		"                      [-- CMD [ARGS...]]\n"
		"\n"
		"Creates a SMAF buffer (read-write; no memory is allocated until\n"
		"a device or the CPU needs it) and runs CMD with the buffer's fd\n"
		"inherited: its number is in $SMAF_FD and the size in bytes in\n"
		"$SMAF_SIZE. Waits for CMD and exits with its status (128 +\n"
		"the signal number when a signal killed it). Without CMD, prints\n"
		"the buffer's info: the buffer is freed as smafctl exits.\n"
		"\n"
		"  -s, --size SIZE       bytes, or with a K, M or G suffix (1024s)\n"
		"      --secure          set the secure flag\n"
		"  -a, --allocator NAME  force this allocator\n"
		"  -c, --consumer DEV    declare a device that will use the buffer\n"
		"                        (\"bus:device\", device node or sysfs path;\n"
		"                        repeat for each device)\n"
		"  -n, --name LABEL      the dma-buf's name (at most 31 bytes)\n"
		"      --json            print the info as JSON (without CMD)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Example: smafctl create --size 8M --consumer /dev/video0 -- \\\n"
		"             sh -c 'smafctl info $SMAF_FD'\n",
		cmd_create,
	},
	{
		"info", "describe a buffer fd this process inherited",
		"Usage: smafctl [--json] info [FD]\n"
		"\n"
		"Describes the SMAF buffer open as FD (default: $SMAF_FD), as\n"
		"'smafctl create ... -- CMD' passes it (SMAF_IOC_BUFFER_INFO):\n"
		"id, size, state, allocator, secure flag, attached devices,\n"
		"declared consumers, mappings, migrations and dma-buf name.\n"
		"\n"
		"  --json      {\"fd\":...,\"size\":...,\"consumers\":...}\n"
		"  -h, --help  show this help\n",
		cmd_info,
	},
	{
		"quarantine", "list or scrub buffers that could not be erased",
		"Usage: smafctl [--json] quarantine [show]\n"
		"       smafctl quarantine scrub\n"
		"\n"
		"A freed secure buffer whose memory its secure module could not\n"
		"scrub is never handed out again: SMAF keeps it, with its\n"
		"memory, in the quarantine (" QUARANTINE_PATH ").\n"
		"'show' lists those buffers: id, size, allocator and secure\n"
		"module. 'scrub' asks the secure module to scrub them again and\n"
		"frees each one it scrubs; it fails (exit 1) while any stays.\n"
		"Needs root.\n"
		"\n"
		"  --json      {\"quarantine\":[{\"id\":...,\"size\":...,\n"
		"              \"allocator\":...,\"secure_module\":...}]}\n"
		"  -h, --help  show this help\n",
		cmd_quarantine,
	},
	{
		"help", "show the help of smafctl or of a command",
		"Usage: smafctl help [COMMAND]\n", cmd_help,
	},
};

static const char main_help_head[] =
	"Usage: smafctl [--json] COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Inspects and drives SMAF, the Secure Memory Allocation Framework\n"
	"(" SMAF_NODE ").\n"
	"\n"
	"Commands:\n";

static const char main_help_tail[] =
	"\n"
	"Options:\n"
	"  --json      machine-readable output (JSON)\n"
	"  -h, --help  show this help; 'smafctl COMMAND --help' for a command\n"
	"  --version   show the version\n"
	"\n"
	"Exit status: 0 success, 1 operational error, 2 usage error.\n";

static void main_help(FILE *f)
{
	size_t i;

	fputs(main_help_head, f);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s  %s\n", commands[i].name,
			commands[i].summary);
	fputs(main_help_tail, f);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	int ret = simple_opts(argc, argv, 0, 1);

	if (ret < 0)
		return simple_exit(ret);
	if (ret == argc) {
		main_help(stdout);
		return 0;
	}
	if (!find_command(argv[ret]))
		return usage_err("unknown command '%s'", argv[ret]);
	return show_help(argv[ret]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	int c, ret;

	while ((c = next_opt(argc, argv, "+:h", opts)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			main_help(stdout);
			return fflush(stdout) ? EXIT_OPERR : 0;
		case 'V':
			printf("smafctl %s\n", SMAFCTL_VERSION);
			return fflush(stdout) ? EXIT_OPERR : 0;
		default:
			return -c;
		}
	}
	if (optind >= argc) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return usage_err("unknown command '%s'", argv[optind]);
	cmd_name = cmd->name;
	ret = cmd->run(argc - optind, argv + optind);
	if (fflush(stdout) || ferror(stdout)) {
		op_err(errno ? errno : EIO, "cannot write the output");
		return EXIT_OPERR;
	}
	return ret;
}
