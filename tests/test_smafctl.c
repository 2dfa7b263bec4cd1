// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl (tools/smafctl.c), run as a separate program and checked against
 * the kernel: its tables and JSON (validated by the strict parser below)
 * against SMAF_IOC_ALLOCATOR_INFO and BUFFER_INFO, buffers created by other
 * processes (pid, command, name, size), `create -- CMD` (inherited fd,
 * SMAF_FD/SMAF_SIZE, exit status), device resolution (libsmaf's
 * smaf_resolve_device() and --consumer with device nodes and sysfs paths),
 * the constraints table and its effect on allocation, usage errors (exit
 * 2) and operational errors (exit 1 with one message line).
 *
 * Needs root, smaf, smaf-cma, smaf-system, smaf-testdev and a secure module
 * loaded, debugfs, and smafctl at $SMAFCTL (default /bin/smafctl). With
 * SMAF_EXPECT_VIVID=1 (the 61-smafctl suite loads vivid), /dev/video0 must
 * resolve to vivid; without it the vivid test is skipped when there is no
 * /dev/video0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
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

#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include "common/smaf_test.h"
#include "common/testdev.h"
#include "libsmaf.h"

#define MiB		(1024ULL * 1024)
#define OUT_MAX		(256 * 1024)
#define CONSTRAINTS	"/sys/class/misc/smaf/constraints"
#define TD0		"platform:smaf-testdev.0"
#define TD1		"platform:smaf-testdev.1"

/* ==== a strict JSON parser (RFC 8259), small DOM for lookups ==== */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype t;
	const char *s;		/* J_STR: inside the quotes; J_NUM: digits */
	size_t len;
	bool b;
	int first, next;	/* children of arrays/objects, siblings */
	int key;		/* object members: the key's node */
};

#define JMAX		8192

struct json {
	struct jnode n[JMAX];
	int count;
	const char *p, *end;
	int depth;
};

static void jws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jnew(struct json *j, enum jtype t)
{
	if (j->count == JMAX)
		return -1;
	memset(&j->n[j->count], 0, sizeof(j->n[0]));
	j->n[j->count].t = t;
	j->n[j->count].first = j->n[j->count].next = -1;
	j->n[j->count].key = -1;
	return j->count++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of a valid UTF-8 sequence at @s (of at most @n bytes), or 0. */
static int u8len(const unsigned char *s, size_t n)
{
	int len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

static int jstring(struct json *j)
{
	int id = jnew(j, J_STR), i, l;

	if (id < 0 || j->p >= j->end || *j->p != '"')
		return -1;
	j->n[id].s = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++j->p >= j->end)
				return -1;
			if (*j->p == 'u') {
				for (i = 1; i <= 4; i++)
					if (j->p + i >= j->end ||
					    hexval(j->p[i]) < 0)
						return -1;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else {
				return -1;
			}
			continue;
		}
		l = u8len((const unsigned char *)j->p, j->end - j->p);
		if (!l)
			return -1;
		j->p += l;
	}
	if (j->p >= j->end)
		return -1;
	j->n[id].len = j->p - j->n[id].s;
	j->p++;
	return id;
}

static int jnumber(struct json *j)
{
	const char *p = j->p;
	int id = jnew(j, J_NUM);

	if (id < 0)
		return -1;
	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++;
	else if (p < j->end && *p >= '1' && *p <= '9')
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	else
		return -1;
	if (p < j->end && *p == '.') {
		if (++p >= j->end || *p < '0' || *p > '9')
			return -1;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return -1;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	j->n[id].s = j->p;
	j->n[id].len = p - j->p;
	j->p = p;
	return id;
}

static bool jlit(struct json *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

static int jvalue(struct json *j);

/* Parses the members of an array or object after its opening bracket. */
static int jcontainer(struct json *j, bool obj)
{
	int id = jnew(j, obj ? J_OBJ : J_ARR), last = -1, k = -1, v;
	char close = obj ? '}' : ']';

	if (id < 0 || ++j->depth > 64)
		return -1;
	jws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return id;
	}
	for (;;) {
		jws(j);
		if (obj) {
			k = jstring(j);
			if (k < 0)
				return -1;
			jws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
		}
		v = jvalue(j);
		if (v < 0)
			return -1;
		j->n[v].key = k;
		if (last < 0)
			j->n[id].first = v;
		else
			j->n[last].next = v;
		last = v;
		jws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return -1;
		j->depth--;
		return id;
	}
}

static int jvalue(struct json *j)
{
	int id;

	jws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
	case '[':
		return jcontainer(j, *j->p++ == '{');
	case '"':
		return jstring(j);
	case 't':
	case 'f':
		id = jnew(j, J_BOOL);
		if (id < 0)
			return -1;
		j->n[id].b = *j->p == 't';
		return jlit(j, j->n[id].b ? "true" : "false") ? id : -1;
	case 'n':
		id = jnew(j, J_NULL);
		return id >= 0 && jlit(j, "null") ? id : -1;
	default:
		return jnumber(j);
	}
}

/* Parses the whole text: one value and nothing but whitespace after. */
static int json_parse(struct json *j, const char *text)
{
	int root;

	j->count = 0;
	j->depth = 0;
	j->p = text;
	j->end = text + strlen(text);
	root = jvalue(j);
	if (root < 0)
		return -1;
	jws(j);
	return j->p == j->end ? root : -1;
}

/* Decodes string node @id into @buf (UTF-8). False when it does not fit. */
static bool jdecode(struct json *j, int id, char *buf, size_t size)
{
	const char *p = j->n[id].s, *end = p + j->n[id].len;
	size_t o = 0;
	unsigned int cp;

	while (p < end) {
		if (o + 5 > size)
			return false;
		if (*p != '\\') {
			buf[o++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'b': buf[o++] = '\b'; p++; continue;
		case 'f': buf[o++] = '\f'; p++; continue;
		case 'n': buf[o++] = '\n'; p++; continue;
		case 'r': buf[o++] = '\r'; p++; continue;
		case 't': buf[o++] = '\t'; p++; continue;
		case 'u': break;
		default: buf[o++] = *p++; continue;
		}
		cp = hexval(p[1]) << 12 | hexval(p[2]) << 8 |
		     hexval(p[3]) << 4 | hexval(p[4]);
		p += 5;
		if (cp < 0x80) {
			buf[o++] = cp;
		} else if (cp < 0x800) {
			buf[o++] = 0xc0 | cp >> 6;
			buf[o++] = 0x80 | (cp & 0x3f);
		} else {
			buf[o++] = 0xe0 | cp >> 12;
			buf[o++] = 0x80 | ((cp >> 6) & 0x3f);
			buf[o++] = 0x80 | (cp & 0x3f);
		}
	}
	buf[o] = '\0';
	return true;
}

/* The member @key of object @obj, or -1. */
static int jget(struct json *j, int obj, const char *key)
{
	char k[128];
	int c;

	if (obj < 0 || j->n[obj].t != J_OBJ)
		return -1;
	for (c = j->n[obj].first; c >= 0; c = j->n[c].next)
		if (jdecode(j, j->n[c].key, k, sizeof(k)) && !strcmp(k, key))
			return c;
	return -1;
}

static int jlen(struct json *j, int arr)
{
	int c, n = 0;

	if (arr < 0 || j->n[arr].t != J_ARR)
		return -1;
	for (c = j->n[arr].first; c >= 0; c = j->n[c].next)
		n++;
	return n;
}

static int jat(struct json *j, int arr, int i)
{
	int c;

	if (arr < 0 || j->n[arr].t != J_ARR)
		return -1;
	for (c = j->n[arr].first; c >= 0 && i; c = j->n[c].next)
		i--;
	return c;
}

/* Unsigned integer member @key of @obj; false if missing or not one. */
static bool jnum(struct json *j, int obj, const char *key, uint64_t *v)
{
	int id = jget(j, obj, key);
	char buf[32];
	size_t i;

	if (id < 0 || j->n[id].t != J_NUM || !j->n[id].len ||
	    j->n[id].len >= sizeof(buf))
		return false;
	for (i = 0; i < j->n[id].len; i++)
		if (j->n[id].s[i] < '0' || j->n[id].s[i] > '9')
			return false;
	memcpy(buf, j->n[id].s, j->n[id].len);
	buf[j->n[id].len] = '\0';
	*v = strtoull(buf, NULL, 10);
	return true;
}

/* Member @key as a number (-1 when not an unsigned number). */
static long long jint(struct json *j, int obj, const char *key)
{
	uint64_t v;

	return jnum(j, obj, key, &v) ? (long long)v : -1;
}

/* Member @key is a string equal to @s. */
static bool jstreq(struct json *j, int obj, const char *key, const char *s)
{
	int id = jget(j, obj, key);
	char buf[512];

	return id >= 0 && j->n[id].t == J_STR &&
	       jdecode(j, id, buf, sizeof(buf)) && !strcmp(buf, s);
}

/* Member @key is a bool equal to @b (-1: not a bool). */
static int jbool(struct json *j, int obj, const char *key)
{
	int id = jget(j, obj, key);

	if (id < 0 || j->n[id].t != J_BOOL)
		return -1;
	return j->n[id].b;
}

static bool jisnull(struct json *j, int obj, const char *key)
{
	int id = jget(j, obj, key);

	return id >= 0 && j->n[id].t == J_NULL;
}

/* ==== running smafctl ==== */

struct run {
	int status;		/* exit status, 128 + signal when killed */
	char out[OUT_MAX];
	char err[8192];
};

static const char *smafctl_path(void)
{
	const char *p = getenv("SMAFCTL");

	return p && *p ? p : "/bin/smafctl";
}

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;

	lseek(fd, 0, SEEK_SET);
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
}

/*
 * Starts smafctl with @args (NULL-terminated), stdin @in (or /dev/null),
 * stdout and stderr in memfds returned in @out_fd, @err_fd. Returns the pid.
 */
static pid_t start(const char *const *args, int in, int *out_fd, int *err_fd)
{
	const char *argv[64];
	pid_t pid;
	int i;

	argv[0] = smafctl_path();
	for (i = 0; args[i] && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	*out_fd = memfd_create("out", MFD_CLOEXEC);
	*err_fd = memfd_create("err", MFD_CLOEXEC);
	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	dup2(in, 0);
	dup2(*out_fd, 1);
	dup2(*err_fd, 2);
	execv(argv[0], (char **)argv);
	_exit(126);
}

static void finish(struct run *r, pid_t pid, int out_fd, int err_fd)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out_fd, r->out, sizeof(r->out));
	slurp(err_fd, r->err, sizeof(r->err));
}

static struct run *runv(const char *const *args)
{
	static struct run r;
	int o, e;
	pid_t pid = start(args, -1, &o, &e);

	finish(&r, pid, o, e);
	return &r;
}

#define RUN(...)	runv((const char *const []){ __VA_ARGS__, NULL })

/* Line of @text whose whitespace-separated field @col is @val. */
static bool find_row(const char *text, int col, const char *val,
		     char *row, size_t size)
{
	const char *line = text, *nl;
	char buf[1024], *tok, *save;
	int i;

	for (; *line; line = *nl ? nl + 1 : nl) {
		nl = strchrnul(line, '\n');
		snprintf(buf, sizeof(buf), "%.*s", (int)(nl - line), line);
		if (row)
			snprintf(row, size, "%s", buf);
		tok = strtok_r(buf, " ", &save);
		for (i = 0; tok && i < col; i++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && !strcmp(tok, val))
			return true;
	}
	return false;
}

/* Field @col (whitespace-separated) of @row into @out. */
static const char *field(const char *row, int col, char *out, size_t size)
{
	char buf[1024], *tok, *save;
	int i;

	snprintf(buf, sizeof(buf), "%s", row);
	tok = strtok_r(buf, " ", &save);
	for (i = 0; tok && i < col; i++)
		tok = strtok_r(NULL, " ", &save);
	snprintf(out, size, "%s", tok ? tok : "");
	return out;
}

static bool smafctl_present(void)
{
	return access(smafctl_path(), X_OK) == 0;
}

#define NEED_SMAFCTL() do { \
	if (!smafctl_present()) \
		SKIP(return, "no smafctl at %s", smafctl_path()); \
} while (0)

/* ==== tests ==== */

/* The validator the other tests rely on is strict. */
TEST(json_parser_is_strict)
{
	static const char *const good[] = {
		"{}", "[]", "{\"a\":[1,-2,3.5e+2,0,true,false,null]}",
		" {\"a\" : \"x\\\"y\\\\z\\u00e9\\n\" } ", "\"\xc3\xa9\"",
		"{\"a\":{\"b\":[{}]}}", "0", "-0.0E-1",
	};
	static const char *const bad[] = {
		"", "{", "{]", "{\"a\":1,}", "[1,]", "{'a':1}", "{a:1}",
		"[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[\"\x01\"]",
		"[\"\\x\"]", "[\"\\u12g4\"]", "[\"\xff\"]", "[\"\xc0\x80\"]",
		"[\"\xed\xa0\x80\"]", "{} {}", "[true false]", "[nul]",
		"{\"a\" 1}", "[\"abc]", "[NaN]", "[1]x",
	};
	static struct json j;
	int root;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		EXPECT_LE(0, json_parse(&j, good[i])) TH_LOG("good[%zu]", i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_GT(0, json_parse(&j, bad[i])) TH_LOG("bad[%zu]", i);
	root = json_parse(&j, "{\"k\":\"a\\\"b\\u00e9\",\"n\":42,\"l\":[1,2]}");
	ASSERT_LE(0, root);
	EXPECT_TRUE(jstreq(&j, root, "k", "a\"b\xc3\xa9"));
	EXPECT_EQ(42, jint(&j, root, "n"));
	EXPECT_EQ(2, jlen(&j, jget(&j, root, "l")));
}

TEST(help_for_every_command)
{
	static const char *const cmds[] = {
		"allocators", "buffers", "constraints", "create", "info",
		"quarantine", "help",
	};
	char want[64], first[256];
	struct run *r;
	size_t i;

	NEED_SMAFCTL();
	r = RUN("--help");
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "Usage: smafctl"));
	EXPECT_STREQ("", r->err);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		EXPECT_NE(NULL, strstr(r->out, cmds[i])) TH_LOG("cmd %zu", i);
	r = RUN("-h");
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "Usage: smafctl"));
	r = RUN("--version");
	EXPECT_EQ(0, r->status);
	EXPECT_EQ(0, strncmp(r->out, "smafctl ", 8));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* "Usage: smafctl [--json] CMD ..." */
		snprintf(want, sizeof(want), " %s", cmds[i]);
		r = RUN(cmds[i], "--help");
		EXPECT_EQ(0, r->status) TH_LOG("%s --help", cmds[i]);
		snprintf(first, sizeof(first), "%.*s",
			 (int)(strchrnul(r->out, '\n') - r->out), r->out);
		EXPECT_EQ(0, strncmp(first, "Usage: smafctl ", 15));
		EXPECT_NE(NULL, strstr(first, want)) TH_LOG("%s", first);
		EXPECT_STREQ("", r->err);
		r = RUN(cmds[i], "-h");
		EXPECT_EQ(0, r->status) TH_LOG("%s -h", cmds[i]);
		r = RUN("help", cmds[i]);
		EXPECT_EQ(0, r->status) TH_LOG("help %s", cmds[i]);
		EXPECT_NE(NULL, strstr(r->out, want));
	}
}

TEST(usage_errors_exit_2)
{
	static const char *const cases[][8] = {
		{ NULL },
		{ "frobnicate" },
		{ "--bogus" },
		{ "allocators", "extra" },
		{ "allocators", "--bogus" },
		{ "buffers", "-x" },
		{ "help", "nosuch" },
		{ "create" },
		{ "create", "--size" },
		{ "create", "--size", "0" },
		{ "create", "--size", "abc" },
		{ "create", "--size", "-1" },
		{ "create", "--size", "1X" },
		{ "create", "--size", "1MB" },
		{ "create", "--size", "1.5M" },
		{ "create", "--size", "99999999999999999999" },
		{ "create", "--size", "17179869184G" },
		{ "create", "--size", "1M", "--name",
		  "a-name-longer-than-31-bytes-is-refused" },
		{ "create", "--size", "1M", "--bogus" },
		{ "info", "abc" },
		{ "info", "1", "2" },
		{ "info" },
		{ "constraints", "set" },
		{ "constraints", "set", TD0, "sideways" },
		{ "constraints", "set", TD0, "dma-bits=7" },
		{ "constraints", "set", TD0, "dma-bits=65" },
		{ "constraints", "del" },
		{ "constraints", "clear", "now" },
		{ "constraints", "rotate" },
		{ "quarantine", "bogus" },
		{ "quarantine", "scrub", "now" },
		{ "--json", "quarantine", "scrub" },
	};
	const char *args[10];
	struct run *r;
	size_t i;
	int a;

	NEED_SMAFCTL();
	unsetenv("SMAF_FD");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (a = 0; a < 8 && cases[i][a]; a++)
			args[a] = cases[i][a];
		args[a] = NULL;
		r = runv(args);
		EXPECT_EQ(2, r->status) TH_LOG("case %zu (%s %s %s)", i,
					       args[0], a > 1 ? args[1] : "",
					       a > 2 ? args[2] : "");
		EXPECT_STREQ("", r->out) TH_LOG("case %zu", i);
		if (i)	/* no command at all prints the whole usage */
			EXPECT_EQ(0, strncmp(r->err, "smafctl: ", 9))
				TH_LOG("case %zu: %s", i, r->err);
		EXPECT_NE(NULL, strstr(r->err, "smafctl"));
	}
	/* The sizes parse: 1 byte and suffixes are accepted (exit 0). */
	r = RUN("create", "--size", "1");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	r = RUN("create", "--size", "4k");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST(operational_errors_exit_1)
{
	char big[32], want[256];
	uint64_t max = 0;
	struct run *r;

	NEED_SMAFCTL();
	r = RUN("create", "--size", "1M", "--allocator", "nosuch");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: create: allocator 'nosuch' not found (ENOENT)\n",
		     r->err);
	EXPECT_STREQ("", r->out);
	/* The runner's stdin is /dev/null: open, but not a SMAF buffer. */
	r = RUN("info", "0");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: info: fd 0 is not a SMAF buffer (EINVAL)\n",
		     r->err);
	r = RUN("info", "999");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: info: fd 999 is not open (EBADF)\n", r->err);
	r = RUN("create", "--size", "1M", "--consumer", "/dev/null");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: create: '/dev/null' is not a device on a bus (ENODEV)\n",
		     r->err);
	r = RUN("create", "--size", "1M", "--consumer", "/nonexistent");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: create: '/nonexistent': no such device (ENOENT)\n",
		     r->err);
	r = RUN("create", "--size", "1M", "--consumer", "platform:nosuch.0");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: create: consumer 'platform:nosuch.0': no device platform:nosuch.0 on a bus SMAF knows (ENOENT)\n",
		     r->err);
	/* The same device twice, as a name and as a sysfs path. */
	r = RUN("create", "--size", "1M", "--consumer", TD0, "--consumer",
		"/sys/bus/platform/devices/smaf-testdev.0");
	EXPECT_EQ(1, r->status);
	EXPECT_NE(NULL, strstr(r->err, "given twice (EEXIST)\n"))
		TH_LOG("%s", r->err);
	r = RUN("constraints", "del", "platform:smafctl-none.0");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("smafctl: constraints: no rule for 'platform:smafctl-none.0' (ENOENT)\n",
		     r->err);
	r = RUN("create", "--size", "1M", "--", "/nonexistent/cmd");
	EXPECT_EQ(127, r->status);
	EXPECT_STREQ("smafctl: create: cannot run '/nonexistent/cmd' (ENOENT)\n",
		     r->err);
	ASSERT_EQ(0, smaf_param_read("max_buffer_size", &max));
	snprintf(big, sizeof(big), "%llu",
		 (unsigned long long)max + smaf_page_size());
	r = RUN("create", "--size", big);
	EXPECT_EQ(1, r->status);
	snprintf(want, sizeof(want), "above smaf's max_buffer_size (E2BIG)\n");
	EXPECT_NE(NULL, strstr(r->err, want)) TH_LOG("%s", r->err);
	/* One line. */
	EXPECT_EQ(r->err + strlen(r->err) - 1, strchr(r->err, '\n'));
}

/* Compares every field of the JSON allocators with the ioctl's. */
TEST(allocators_table_and_json)
{
	struct smaf_allocator_info info[16];
	int n, i, fd = -1, root, arr, el, cma = -1, sys = -1, width = -1;
	char row[1024], tok[64], human[32];
	const char *line, *nl;
	static struct json j;
	struct run *r;
	void *p = NULL;

	NEED_SMAFCTL();
	ASSERT_EQ(0, smaf_open());
	/* Hold 1 MiB of memory so that the counters are not all 0. */
	ASSERT_EQ(0, smaf_create_buffer64(MiB, SMAF_RDWR | SMAF_CLOEXEC, NULL,
					  &fd));
	ASSERT_EQ(0, dmabuf_mmap(fd, MiB, 0, true, &p));
	memset(p, 1, MiB);
	for (n = 0; n < 16; n++) {
		if (smaf_allocator_info(n, &info[n]))
			break;
		if (!strcmp((char *)info[n].name, "smaf-cma"))
			cma = n;
		if (!strcmp((char *)info[n].name, "smaf-system"))
			sys = n;
	}
	ASSERT_LE(2, n);
	ASSERT_LE(0, cma);
	ASSERT_LE(0, sys);
	EXPECT_EQ(0, info[cma].ranking);
	EXPECT_EQ(10, info[sys].ranking);

	r = RUN("allocators");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, strncmp(r->out, "NAME ", 5)) TH_LOG("%s", r->out);
	/* The last column is right-aligned: every line is as wide. */
	for (line = r->out; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		if (width < 0)
			width = nl - line;
		EXPECT_EQ(width, nl - line) TH_LOG("%.*s", (int)(nl - line),
						   line);
		if (!*nl)
			break;
	}
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(find_row(r->out, 0, (char *)info[i].name, row,
				     sizeof(row))) TH_LOG("%s", r->out);
		EXPECT_EQ(info[i].ranking, atoi(field(row, 1, tok,
						      sizeof(tok))));
		if (info[i].bytes >= MiB) {
			snprintf(human, sizeof(human), "%.1fM",
				 info[i].bytes / (double)MiB);
			EXPECT_NE(NULL, strstr(row, human)) TH_LOG("%s", row);
		}
	}
	EXPECT_TRUE(find_row(r->out, 0, "smaf-cma", row, sizeof(row)));
	EXPECT_STREQ("0", field(row, 1, tok, sizeof(tok)));
	EXPECT_STREQ("contiguous,secure", field(row, 2, tok, sizeof(tok)));
	EXPECT_TRUE(find_row(r->out, 0, "smaf-system", row, sizeof(row)));
	EXPECT_STREQ("10", field(row, 1, tok, sizeof(tok)));

	/* --json before and after the command. */
	for (i = 0; i < 2; i++) {
		r = i ? RUN("allocators", "--json") : RUN("--json", "allocators");
		ASSERT_EQ(0, r->status);
		root = json_parse(&j, r->out);
		ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
		arr = jget(&j, root, "allocators");
		ASSERT_EQ(n, jlen(&j, arr));
		for (el = 0; el < n; el++) {
			int e = jat(&j, arr, el);
			uint64_t v;

			EXPECT_TRUE(jstreq(&j, e, "name",
					   (char *)info[el].name));
			ASSERT_NE(-1, jget(&j, e, "ranking"));
			EXPECT_EQ(info[el].ranking,
				  atoi(j.n[jget(&j, e, "ranking")].s));
			EXPECT_EQ(!!(info[el].caps & SMAF_CAP_CONTIGUOUS),
				  jbool(&j, e, "contiguous"));
			EXPECT_EQ(!!(info[el].caps & SMAF_CAP_SECURE),
				  jbool(&j, e, "secure"));
			ASSERT_TRUE(jnum(&j, e, "max_size", &v));
			EXPECT_EQ(info[el].max_size, v);
			ASSERT_TRUE(jnum(&j, e, "min_dma_limit", &v));
			EXPECT_EQ(info[el].min_dma_limit, v);
			ASSERT_TRUE(jnum(&j, e, "buffers", &v));
			EXPECT_EQ(info[el].buffers, v);
			ASSERT_TRUE(jnum(&j, e, "bytes", &v));
			EXPECT_EQ(info[el].bytes, v);
			ASSERT_TRUE(jnum(&j, e, "peak_bytes", &v));
			EXPECT_EQ(info[el].peak_bytes, v);
			ASSERT_TRUE(jnum(&j, e, "failures", &v));
			EXPECT_EQ(info[el].failures, v);
		}
	}
	/* Our buffer's MiB is somewhere. */
	{
		uint64_t total = 0;

		for (i = 0; i < n; i++)
			total += info[i].bytes;
		EXPECT_LE(MiB, total);
	}
	munmap(p, MiB);
	close(fd);
	smaf_close();
}

/* A child that holds a named buffer, as another program would. */
static pid_t holder(const char *comm, const char *label, int *ready_rd,
		    int *release_wr)
{
	int ready[2], release[2], fd;
	struct smaf_buffer_info bi;
	uint64_t id = 0;
	pid_t pid;
	char c;

	/* Close-on-exec: no other program may keep the pipes open. */
	if (pipe2(ready, O_CLOEXEC) || pipe2(release, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid) {
		close(ready[1]);
		close(release[0]);
		*ready_rd = ready[0];
		*release_wr = release[1];
		return pid;
	}
	close(ready[0]);
	close(release[1]);
	prctl(PR_SET_NAME, comm);
	if (!smaf_open() &&
	    !smaf_create_buffer64(MiB, SMAF_RDWR, NULL, &fd) &&
	    !ioctl(fd, DMA_BUF_SET_NAME, label) &&
	    !smaf_buffer_info(fd, &bi))
		id = bi.id;
	if (write(ready[1], &id, sizeof(id)) != sizeof(id))
		_exit(1);
	while (read(release[0], &c, 1) > 0)
		;
	_exit(id ? 0 : 1);
}

static int find_buffer(struct json *j, int arr, const char *key,
		       const char *s, uint64_t id)
{
	int i, e;

	for (i = 0; i < jlen(j, arr); i++) {
		e = jat(j, arr, i);
		if (s && jstreq(j, e, key, s))
			return e;
		if (!s && jint(j, e, "id") == (long long)id)
			return e;
	}
	return -1;
}

TEST(buffers_of_other_processes)
{
	static const char comm[] = "smaf holder", label[] = "my \"demo\" buf";
	int ready, release, in[2], o, e, root, arr, b, i, st;
	char pidstr[16], row[1024], tok[64];
	const char *hdr_end, *col;
	uint64_t id = 0;
	static struct json j;
	pid_t h, ctl;
	struct run *r;
	struct run cr;

	NEED_SMAFCTL();
	h = holder(comm, label, &ready, &release);
	ASSERT_LT(0, h);
	ASSERT_EQ(sizeof(id), read(ready, &id, sizeof(id)));
	ASSERT_NE(0, id);
	/* smafctl create holds a buffer while "cat" waits for stdin. */
	ASSERT_EQ(0, pipe2(in, O_CLOEXEC));
	ctl = start((const char *const []){ "create", "--size", "1M",
		    "--name", "demo", "--", "cat", NULL }, in[0], &o, &e);
	close(in[0]);
	ASSERT_LT(0, ctl);
	for (i = 0; i < 100; i++) {
		r = RUN("buffers", "--json");
		ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
		root = json_parse(&j, r->out);
		ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
		arr = jget(&j, root, "buffers");
		ASSERT_LE(0, jlen(&j, arr));
		if (find_buffer(&j, arr, "name", "demo", 0) >= 0)
			break;
		usleep(50000);
	}
	b = find_buffer(&j, arr, "name", "demo", 0);
	ASSERT_LE(0, b) TH_LOG("%s", r->out);
	EXPECT_EQ(ctl, jint(&j, b, "pid"));
	EXPECT_TRUE(jstreq(&j, b, "comm", "smafctl"));
	EXPECT_EQ(MiB, jint(&j, b, "size"));
	EXPECT_TRUE(jstreq(&j, b, "state", "unallocated"));
	EXPECT_TRUE(jisnull(&j, b, "allocator"));
	EXPECT_EQ(0, jbool(&j, b, "secure"));
	EXPECT_EQ(0, jlen(&j, jget(&j, b, "attached")));
	EXPECT_EQ(0, jlen(&j, jget(&j, b, "declared")));
	EXPECT_EQ(0, jint(&j, b, "device_maps"));
	EXPECT_EQ(0, jint(&j, b, "cpu_maps"));
	EXPECT_EQ(0, jint(&j, b, "migrations"));
	b = find_buffer(&j, arr, NULL, NULL, id);
	ASSERT_LE(0, b) TH_LOG("%s", r->out);
	EXPECT_EQ(h, jint(&j, b, "pid"));
	EXPECT_TRUE(jstreq(&j, b, "comm", comm)) TH_LOG("%s", r->out);
	EXPECT_TRUE(jstreq(&j, b, "name", label)) TH_LOG("%s", r->out);
	EXPECT_EQ(MiB, jint(&j, b, "size"));

	r = RUN("buffers");
	ASSERT_EQ(0, r->status);
	/* ID is right-aligned: the header may start with spaces. */
	EXPECT_EQ(0, strncmp(r->out + strspn(r->out, " "), "ID  SIZE  ", 10))
		TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "PID"));
	EXPECT_NE(NULL, strstr(r->out, "COMMAND"));
	/* The smafctl create row: pid, command, size, name. */
	snprintf(pidstr, sizeof(pidstr), "%d", ctl);
	ASSERT_TRUE(find_row(r->out, 10, pidstr, row, sizeof(row)))
		TH_LOG("%s", r->out);
	EXPECT_STREQ("smafctl", field(row, 11, tok, sizeof(tok)));
	EXPECT_STREQ("demo", field(row, 12, tok, sizeof(tok)));
	EXPECT_STREQ("1.0M", field(row, 1, tok, sizeof(tok)));
	/* The holder's: a command and a name with spaces, aligned. */
	snprintf(pidstr, sizeof(pidstr), "%d", h);
	ASSERT_TRUE(find_row(r->out, 10, pidstr, row, sizeof(row)))
		TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(row, comm));
	EXPECT_NE(NULL, strstr(row, label));
	hdr_end = strchrnul(r->out, '\n');
	col = memmem(r->out, hdr_end - r->out, " NAME", 5);
	ASSERT_NE(NULL, col);
	EXPECT_EQ(col + 1 - r->out, strstr(row, label) - row);

	/* Release both; the buffers go away with their holders. */
	close(in[1]);
	finish(&cr, ctl, o, e);
	EXPECT_EQ(0, cr.status) TH_LOG("%s", cr.err);
	close(release);
	close(ready);
	ASSERT_EQ(h, waitpid(h, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	r = RUN("buffers", "--json");
	ASSERT_EQ(0, r->status);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root);
	arr = jget(&j, root, "buffers");
	EXPECT_GT(0, find_buffer(&j, arr, "name", "demo", 0));
	EXPECT_GT(0, find_buffer(&j, arr, NULL, NULL, id));
}

#define FAIL_SCRUB	"/sys/module/smaf_secure_dummy/parameters/fail_scrub"

/*
 * smafctl quarantine: a secure buffer freed while smaf-secure-dummy fails
 * its scrubs is listed (table and JSON); 'scrub' fails (exit 1, EIO)
 * while the module still fails, then frees it.
 */
TEST(quarantine_show_and_scrub)
{
	char want[64], row[512], tok[64];
	struct smaf_stats base, now;
	int dev, fd = -1, root, arr, q;
	struct smaf_buffer_info bi;
	static struct json j;
	struct run *r;
	uint8_t *p;

	NEED_SMAFCTL();
	if (access(FAIL_SCRUB, W_OK))
		SKIP(return, "smaf-secure-dummy is not the secure module");
	ASSERT_EQ(0, smaf_stats_read(&base));
	r = RUN("quarantine");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("no quarantined buffers\n", r->out);

	/* A secure buffer with memory, freed while scrubs fail. */
	dev = smaf_dev_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, smaf_raw_create(dev, MiB, SMAF_RDWR, NULL, &fd));
	ASSERT_EQ(0, smaf_raw_set_secure(dev, fd, 1));
	ASSERT_EQ(0, dmabuf_mmap(fd, MiB, 0, true, (void **)&p));
	memset(p, 0x5a, MiB);
	munmap(p, MiB);
	ASSERT_EQ(0, smaf_raw_buffer_info(dev, fd, &bi));
	ASSERT_EQ(1, bi.allocated);
	close(dev);
	ASSERT_EQ(0, smaf_write_str(FAIL_SCRUB, "2\n"));
	close(fd);

	r = RUN("quarantine");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "SECURE-MODULE")) TH_LOG("%s", r->out);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)bi.id);
	ASSERT_TRUE(find_row(r->out, 0, want, row, sizeof(row)))
		TH_LOG("%s", r->out);
	EXPECT_STREQ("1.0M", field(row, 1, tok, sizeof(tok)));
	EXPECT_STREQ((char *)bi.allocator, field(row, 2, tok, sizeof(tok)));
	EXPECT_STREQ("smaf-secure-dummy", field(row, 3, tok, sizeof(tok)));
	r = RUN("--json", "quarantine", "show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	arr = jget(&j, root, "quarantine");
	ASSERT_EQ(1, jlen(&j, arr)) TH_LOG("%s", r->out);
	q = jat(&j, arr, 0);
	EXPECT_EQ((long long)bi.id, jint(&j, q, "id"));
	EXPECT_EQ(MiB, jint(&j, q, "size"));
	EXPECT_TRUE(jstreq(&j, q, "allocator", (char *)bi.allocator));
	EXPECT_TRUE(jstreq(&j, q, "secure_module", "smaf-secure-dummy"));

	/* The module fails once more: nothing is freed, exit 1. */
	r = RUN("quarantine", "scrub");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("scrubbed and freed 0 buffers; 1 still quarantined\n",
		     r->out);
	EXPECT_NE(NULL, strstr(r->err, "EIO")) TH_LOG("%s", r->err);
	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_EQ(base.quarantined_buffers + 1, now.quarantined_buffers);

	r = RUN("quarantine", "scrub");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("scrubbed and freed 1 buffer; 0 still quarantined\n",
		     r->out);
	EXPECT_STREQ("", r->err);
	r = RUN("quarantine");
	EXPECT_STREQ("no quarantined buffers\n", r->out);
	ASSERT_EQ(0, smaf_stats_read(&now));
	EXPECT_TRUE(smaf_stats_equal(&base, &now));
	/* Whatever failed above: leave nothing quarantined. */
	smaf_write_str(FAIL_SCRUB, "0\n");
	smaf_write_str(SMAF_QUARANTINE_PATH, "scrub\n");
}

TEST(create_runs_a_command_with_the_buffer)
{
	char self[PATH_MAX];
	static struct json j;
	int root, fd;
	struct run *r;

	NEED_SMAFCTL();
	snprintf(self, sizeof(self), "%s", smafctl_path());
	r = RUN("create", "--size", "8M", "--", "sh", "-c",
		"echo \"$SMAF_FD $SMAF_SIZE\"; test -e /proc/self/fd/$SMAF_FD");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	ASSERT_EQ(1, sscanf(r->out, "%d", &fd));
	EXPECT_LE(3, fd);
	EXPECT_NE(NULL, strstr(r->out, " 8388608\n")) TH_LOG("%s", r->out);
	EXPECT_LE(3, atoi(r->out));
	r = RUN("create", "--size", "1M", "--", "sh", "-c", "exit 7");
	EXPECT_EQ(7, r->status);
	r = RUN("create", "--size", "1M", "--", "sh", "-c", "kill -TERM $$");
	EXPECT_EQ(128 + SIGTERM, r->status);

	/* info inside: the size rounded to pages, the label, no flags. */
	r = RUN("create", "--size", "5000", "--name", "lbl", "--", self,
		"info", "--json");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	EXPECT_EQ(smaf_page_size() * ((5000 + smaf_page_size() - 1) /
				      smaf_page_size()),
		  jint(&j, root, "size"));
	EXPECT_TRUE(jstreq(&j, root, "name", "lbl"));
	EXPECT_EQ(0, jint(&j, root, "consumers"));
	EXPECT_EQ(0, jbool(&j, root, "allocated"));
	EXPECT_EQ(0, jbool(&j, root, "secure"));
	EXPECT_TRUE(jisnull(&j, root, "allocator"));
	EXPECT_LE(3, jint(&j, root, "fd"));
	EXPECT_LT(0, jint(&j, root, "id"));

	r = RUN("create", "--size", "1M", "--secure", "--allocator",
		"smaf-cma", "--", self, "info", "--json");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	EXPECT_EQ(1, jbool(&j, root, "secure"));
	EXPECT_TRUE(jstreq(&j, root, "allocator", "smaf-cma"));

	/* The human form, through sh and $SMAF_FD. */
	r = RUN("create", "--size", "2M", "--", "sh", "-c",
		"exec \"$0\" info $SMAF_FD", self);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "size         2.0M (2097152 bytes)\n"))
		TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "consumers    0\n"));

	/* No command: the info, and a word on the buffer's life. */
	r = RUN("create", "--size", "1M");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "1.0M (1048576 bytes)"));
	EXPECT_NE(NULL, strstr(r->out, "freed as smafctl exits"));
	r = RUN("create", "--size", "1M", "--json");
	ASSERT_EQ(0, r->status);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	EXPECT_EQ(MiB, jint(&j, root, "size"));
}

TEST(device_resolution)
{
	char name[SMAF_DEVICE_NAME_LEN], path[64], real[PATH_MAX];
	int fd = -1, i, vgem = 0;
	struct smaf_buffer_info bi;

	EXPECT_EQ(0, smaf_resolve_device(TD0, name, sizeof(name)));
	EXPECT_STREQ(TD0, name);
	EXPECT_EQ(0, smaf_resolve_device(
		"/sys/bus/platform/devices/smaf-testdev.0", name,
		sizeof(name)));
	EXPECT_STREQ(TD0, name);
	ASSERT_NE(NULL, realpath("/sys/bus/platform/devices/smaf-testdev.1",
				 real));
	EXPECT_EQ(0, smaf_resolve_device(real, name, sizeof(name)));
	EXPECT_STREQ(TD1, name);
	EXPECT_EQ(-ENODEV, smaf_resolve_device("/dev/null", name,
					       sizeof(name)));
	EXPECT_EQ(-ENODEV, smaf_resolve_device("/tmp", name, sizeof(name)));
	EXPECT_EQ(-ENODEV, smaf_resolve_device("/proc/self/status", name,
					       sizeof(name)));
	EXPECT_EQ(-ENOENT, smaf_resolve_device("/nonexistent", name,
					       sizeof(name)));
	EXPECT_EQ(-ENOENT, smaf_resolve_device("/sys/devices/nonexistent",
					       name, sizeof(name)));
	EXPECT_EQ(-ENAMETOOLONG, smaf_resolve_device(
		"/sys/bus/platform/devices/smaf-testdev.0", name, 8));
	EXPECT_EQ(-ENAMETOOLONG, smaf_resolve_device(TD0, name, 8));
	EXPECT_EQ(-EINVAL, smaf_resolve_device(NULL, name, sizeof(name)));
	EXPECT_EQ(-EINVAL, smaf_resolve_device("", name, sizeof(name)));
	/* A DRM node: vgem's card is the platform device "vgem". */
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		if (!smaf_resolve_device(path, name, sizeof(name)) &&
		    !strcmp(name, "platform:vgem"))
			vgem = 1;
	}
	if (smaf_module_loaded("vgem"))
		EXPECT_EQ(1, vgem);

	/* smaf_add_consumer_path() declares the resolved device. */
	ASSERT_EQ(0, smaf_open());
	ASSERT_EQ(0, smaf_create_buffer64(MiB, SMAF_RDWR | SMAF_CLOEXEC, NULL,
					  &fd));
	EXPECT_EQ(0, smaf_add_consumer_path(fd,
		"/sys/bus/platform/devices/smaf-testdev.0"));
	EXPECT_EQ(-EEXIST, smaf_add_consumer_path(fd, TD0));
	EXPECT_EQ(-ENODEV, smaf_add_consumer_path(fd, "/dev/null"));
	EXPECT_EQ(-ENOENT, smaf_add_consumer_path(fd, "platform:nosuch.0"));
	ASSERT_EQ(0, smaf_buffer_info(fd, &bi));
	EXPECT_EQ(1, bi.consumers);
	close(fd);
	smaf_close();
}

TEST(create_declares_consumers)
{
	char self[PATH_MAX];
	static struct json j;
	int root, arr, b;
	struct run *r;

	NEED_SMAFCTL();
	snprintf(self, sizeof(self), "%s", smafctl_path());
	/* A sysfs path and a name; debugfs lists both as declared. */
	r = RUN("create", "--size", "8M", "--name", "consumers",
		"--consumer", "/sys/bus/platform/devices/smaf-testdev.1",
		"--consumer", "platform:smaf-testdev.3", "--", self,
		"buffers", "--json");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	arr = jget(&j, root, "buffers");
	b = find_buffer(&j, arr, "name", "consumers", 0);
	ASSERT_LE(0, b) TH_LOG("%s", r->out);
	arr = jget(&j, b, "declared");
	ASSERT_EQ(2, jlen(&j, arr));
	EXPECT_EQ(J_STR, j.n[jat(&j, arr, 0)].t);
	EXPECT_EQ(0, strncmp(j.n[jat(&j, arr, 0)].s, TD1 "\"", strlen(TD1) + 1));
	EXPECT_EQ(0, strncmp(j.n[jat(&j, arr, 1)].s,
			     "platform:smaf-testdev.3\"", 24));
}

TEST(create_consumer_video_node)
{
	char name[SMAF_DEVICE_NAME_LEN], self[PATH_MAX];
	const char *expect = getenv("SMAF_EXPECT_VIVID");
	static struct json j;
	struct run *r;
	int root;

	NEED_SMAFCTL();
	if (access("/dev/video0", F_OK)) {
		if (expect && !strcmp(expect, "1"))
			ASSERT_EQ(0, access("/dev/video0", F_OK))
				TH_LOG("vivid loaded but no /dev/video0");
		SKIP(return, "no /dev/video0 (vivid not loaded)");
	}
	ASSERT_EQ(0, smaf_resolve_device("/dev/video0", name, sizeof(name)));
	EXPECT_EQ(0, strncmp(name, "platform:vivid.", 15)) TH_LOG("%s", name);
	ASSERT_EQ(0, smaf_resolve_device("/sys/class/video4linux/video0",
					 name, sizeof(name)));
	EXPECT_EQ(0, strncmp(name, "platform:vivid.", 15)) TH_LOG("%s", name);
	snprintf(self, sizeof(self), "%s", smafctl_path());
	r = RUN("create", "--size", "8M", "--consumer", "/dev/video0", "--",
		self, "info", "--json");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	EXPECT_EQ(1, jint(&j, root, "consumers"));
	EXPECT_EQ(8 * MiB, jint(&j, root, "size"));
	r = RUN("create", "--size", "8M", "--consumer", "/dev/video0", "--",
		self, "info");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "consumers    1\n")) TH_LOG("%s", r->out);
}

static bool raw_has_line(const char *line)
{
	char *text = NULL, *p;
	size_t n = strlen(line);
	bool found = false;
	FILE *f = fopen(CONSTRAINTS, "r");
	size_t cap = 0;

	if (!f)
		return false;
	while (getline(&text, &cap, f) > 0) {
		p = strchr(text, '\n');
		if (p)
			*p = '\0';
		if (!strncmp(text, line, n) && !text[n])
			found = true;
	}
	free(text);
	fclose(f);
	return found;
}

static bool raw_mentions(const char *dev)
{
	char buf[8192];
	int fd = open(CONSTRAINTS, O_RDONLY);
	ssize_t n;
	char *p;
	size_t len = strlen(dev);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, dev)); p++)
		if ((p == buf || p[-1] == '\n') && (p[len] == ' ' ||
						    p[len] == '\n'))
			return true;
	return false;
}

static int rule_of(struct json *j, int root, const char *dev)
{
	int arr = jget(j, root, "constraints"), i, e;

	for (i = 0; i < jlen(j, arr); i++) {
		e = jat(j, arr, i);
		if (jstreq(j, e, "device", dev))
			return e;
	}
	return -1;
}

FIXTURE(constraints) {
	bool was_empty;
};

FIXTURE_SETUP(constraints)
{
	struct stat st;

	if (!smafctl_present())
		SKIP(return, "no smafctl at %s", smafctl_path());
	ASSERT_FALSE(raw_mentions(TD0)) TH_LOG("a rule for %s exists", TD0);
	ASSERT_FALSE(raw_mentions(TD1)) TH_LOG("a rule for %s exists", TD1);
	self->was_empty = !stat(CONSTRAINTS, &st) && !raw_mentions(":");
}

FIXTURE_TEARDOWN(constraints)
{
	/* Only what this test added. */
	if (raw_mentions(TD0))
		RUN("constraints", "del", TD0);
	if (raw_mentions(TD1))
		RUN("constraints", "del", TD1);
}

TEST_F(constraints, set_show_del_clear)
{
	char row[1024], tok[64];
	static struct json j;
	int root, e, dev, buf = -1;
	uint32_t handle;
	struct smaf_buffer_info bi;
	struct run *r;

	r = RUN("constraints", "set", TD0, "contiguous");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);
	EXPECT_TRUE(raw_has_line(TD0 " contiguous"));
	r = RUN("constraints");
	ASSERT_EQ(0, r->status);
	EXPECT_EQ(0, strncmp(r->out, "DEVICE ", 7)) TH_LOG("%s", r->out);
	ASSERT_TRUE(find_row(r->out, 0, TD0, row, sizeof(row)))
		TH_LOG("%s", r->out);
	EXPECT_STREQ("yes", field(row, 1, tok, sizeof(tok)));
	EXPECT_STREQ("-", field(row, 2, tok, sizeof(tok)));
	EXPECT_STREQ("user", field(row, 3, tok, sizeof(tok)));

	/* A sysfs path, a DMA limit. */
	r = RUN("constraints", "set", "/sys/bus/platform/devices/smaf-testdev.1",
		"dma-bits=32");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(raw_has_line(TD1 " dma-bits=32"));
	r = RUN("constraints", "--json");
	ASSERT_EQ(0, r->status);
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	e = rule_of(&j, root, TD0);
	ASSERT_LE(0, e) TH_LOG("%s", r->out);
	EXPECT_EQ(1, jbool(&j, e, "contiguous"));
	EXPECT_TRUE(jisnull(&j, e, "dma_bits"));
	EXPECT_EQ(0, jbool(&j, e, "driver"));
	e = rule_of(&j, root, TD1);
	ASSERT_LE(0, e) TH_LOG("%s", r->out);
	EXPECT_EQ(0, jbool(&j, e, "contiguous"));
	EXPECT_EQ(32, jint(&j, e, "dma_bits"));
	EXPECT_EQ(0, jbool(&j, e, "sg"));

	/* "sg": scattered memory although no IOMMU, shown as "no". */
	r = RUN("constraints", "set", TD1, "sg", "dma-bits=32");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(raw_has_line(TD1 " sg dma-bits=32"));
	r = RUN("constraints");
	ASSERT_TRUE(find_row(r->out, 0, TD1, row, sizeof(row)))
		TH_LOG("%s", r->out);
	EXPECT_STREQ("no", field(row, 1, tok, sizeof(tok)));
	EXPECT_STREQ("32", field(row, 2, tok, sizeof(tok)));
	r = RUN("constraints", "--json");
	root = json_parse(&j, r->out);
	ASSERT_LE(0, root) TH_LOG("not JSON: %s", r->out);
	e = rule_of(&j, root, TD1);
	ASSERT_LE(0, e) TH_LOG("%s", r->out);
	EXPECT_EQ(1, jbool(&j, e, "sg"));
	EXPECT_EQ(0, jbool(&j, e, "contiguous"));
	EXPECT_EQ(2, RUN("constraints", "set", TD1, "sg", "contiguous")->status);

	/* The rule is real: a 64-bit device now gets contiguous memory. */
	dev = testdev_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, smaf_open());
	ASSERT_EQ(0, smaf_create_buffer64(MiB, SMAF_RDWR | SMAF_CLOEXEC, NULL,
					  &buf));
	ASSERT_EQ(0, testdev_attach_map(dev, buf, SMAF_TESTDEV_DMA64, &handle,
					NULL));
	ASSERT_EQ(0, smaf_buffer_info(buf, &bi));
	EXPECT_STREQ("smaf-cma", (char *)bi.allocator);
	EXPECT_EQ(0, testdev_unmap_detach(dev, handle));
	close(buf);
	close(dev);
	smaf_close();

	/* del, by name and by resolved path; twice is an error. */
	r = RUN("constraints", "del", TD0);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_FALSE(raw_mentions(TD0));
	r = RUN("constraints");
	EXPECT_FALSE(find_row(r->out, 0, TD0, NULL, 0)) TH_LOG("%s", r->out);
	r = RUN("constraints", "del", "/sys/devices/platform/smaf-testdev.1");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_FALSE(raw_mentions(TD1));
	r = RUN("constraints", "del", TD0);
	EXPECT_EQ(1, r->status);
	EXPECT_NE(NULL, strstr(r->err, "(ENOENT)"));

	/* clear, only when there was nobody else's rule to lose. */
	if (!self->was_empty)
		return;
	ASSERT_EQ(0, RUN("constraints", "set", TD0, "contiguous")->status);
	ASSERT_EQ(0, RUN("constraints", "set", TD1, "contiguous",
			 "dma-bits=40")->status);
	EXPECT_TRUE(raw_has_line(TD1 " contiguous dma-bits=40"));
	r = RUN("constraints", "clear");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	r = RUN("constraints");
	EXPECT_STREQ("no constraint rules\n", r->out);
	r = RUN("--json", "constraints");
	EXPECT_STREQ("{\"constraints\":[]}\n", r->out);
}

TEST_HARNESS_MAIN
