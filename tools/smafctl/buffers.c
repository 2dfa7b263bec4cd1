// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl buffers: every SMAF buffer the caller may see, one row each,
 * from SMAF_IOC_LIST_BUFFERS (smaf_list_buffers()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsmaf.h"
#include "smafctl.h"

/* Bytes asked for in one SMAF_IOC_LIST_BUFFERS call. */
#define BUFFERS_CHUNK		(64 * 1024)
/* Bytes of one record's text: its fixed fields and its device names. */
#define BUFFERS_TEXT_MAX	(64 * 1024)

enum {
	B_ID, B_SIZE, B_STATE, B_ALLOCATOR, B_SECURE, B_ATTACHED, B_DECLARED,
	B_DEVICE_MAPS, B_CPU_MAPS, B_MIGRATIONS, B_PID, B_COMM, B_NAME,
	B_NKEYS,
};

static const char *const buffers_keys[B_NKEYS] = {
	"id", "size", "state", "allocator", "secure", "attached", "declared",
	"device_maps", "cpu_maps", "migrations", "pid", "comm", "name",
};

static const struct json_member buffers_json_members[B_NKEYS] = {
	[B_ID] = { "id", JSON_NUMBER },
	[B_SIZE] = { "size", JSON_NUMBER },
	[B_STATE] = { "state", JSON_STRING, "" },
	[B_ALLOCATOR] = { "allocator", JSON_STRING, "-" },
	[B_SECURE] = { "secure", JSON_FLAG },
	[B_ATTACHED] = { "attached", JSON_LIST },
	[B_DECLARED] = { "declared", JSON_LIST },
	[B_DEVICE_MAPS] = { "device_maps", JSON_NUMBER },
	[B_CPU_MAPS] = { "cpu_maps", JSON_NUMBER },
	[B_MIGRATIONS] = { "migrations", JSON_NUMBER },
	[B_PID] = { "pid", JSON_NUMBER },
	[B_COMM] = { "comm", JSON_STRING, "" },
	[B_NAME] = { "name", JSON_STRING, "-" },
};

/*
 * Splits one debugfs smaf/buffers line (modified in place) into its
 * fields. Values may hold spaces: comm runs to " name=", name to the end
 * of the line, and a word that is not "key=..." continues the value
 * before it. Unknown keys are skipped. Returns false for a line without
 * an id.
 */
static bool buffers_parse_line(char *line, char *val[B_NKEYS])
{
	int cur = -1, k;
	char *p = line;

	memset(val, 0, sizeof(*val) * B_NKEYS);
	while (*p) {
		char *tok = p, *sp = strchr(p, ' ');

		p = sp ? sp + 1 : tok + strlen(tok);
		k = parse_key(tok, buffers_keys, B_NKEYS);
		if (k < 0 || (cur == B_COMM && k != B_NAME))
			continue;
		if (tok > line)
			tok[-1] = '\0';
		if (k == B_NKEYS) {
			cur = B_NKEYS;		/* unknown: skipped */
			continue;
		}
		val[k] = tok + strlen(buffers_keys[k]) + 1;
		cur = k;
		if (k == B_NAME)
			break;			/* the rest is the name */
	}
	return val[B_ID] && *val[B_ID];
}

/*
 * Appends @s to @out as the kernel's debugfs shows text that userspace
 * picked: a newline or backslash as a three-digit octal escape.
 */
static size_t buffers_escape(char *out, size_t len, const char *s, size_t max)
{
	size_t n = 0, i;

	for (i = 0; i < max && s[i] && n + 5 < len; i++) {
		if (s[i] == '\n' || s[i] == '\\')
			n += snprintf(out + n, len - n, "\\%03o",
				      (unsigned char)s[i]);
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	return n;
}

/* The @n names from *@p on, comma-separated ("-" for none), at @out. */
static size_t buffers_names(char *out, size_t len, const char **p,
			    const char *end, uint32_t n)
{
	size_t used = 0;
	uint32_t i;

	if (!n)
		return snprintf(out, len, "-");
	for (i = 0; i < n && *p < end && used + 1 < len; i++) {
		used += snprintf(out + used, len - used, "%s%s", i ? "," : "",
				 *p);
		*p += strnlen(*p, end - *p) + 1;
	}
	return used < len ? used : len - 1;
}

/* One record as a line of text in debugfs smaf/buffers' format. */
static void buffers_line(const struct smaf_buffer_record *r, char *out,
			 size_t len)
{
	const char *p = (const char *)r->names;
	const char *end = (const char *)r + r->reclen;
	size_t n;

	n = snprintf(out, len,
		     "id=%llu size=%llu state=%s allocator=%s secure=%u attached=",
		     (unsigned long long)r->id, (unsigned long long)r->size,
		     r->state == SMAF_BUFFER_STATE_EMPTY ? "unallocated" :
							   "allocated",
		     r->allocator[0] ? (const char *)r->allocator : "-",
		     r->secure);
	n += buffers_names(out + n, len - n, &p, end, r->nr_attached);
	n += snprintf(out + n, len - n, " declared=");
	n += buffers_names(out + n, len - n, &p, end, r->nr_declared);
	n += snprintf(out + n, len - n,
		      " device_maps=%u cpu_maps=%u migrations=%u pid=%d comm=",
		      r->device_mappings, r->cpu_mappings, r->migrations,
		      r->pid);
	n += buffers_escape(out + n, len - n, (const char *)r->comm,
			    sizeof(r->comm));
	n += snprintf(out + n, len - n, " name=");
	if (r->name[0])
		buffers_escape(out + n, len - n, (const char *)r->name,
			       sizeof(r->name));
	else
		snprintf(out + n, len - n, "-");
}

/*
 * Every buffer the caller may see, as debugfs smaf/buffers' lines, in a
 * malloc()ed text: 0, or EXIT_OPERR after the message.
 */
static int buffers_fetch(char **text)
{
	struct smaf_buffer_list l = { .more = 1 };
	size_t used = 0, cap = 0, off;
	char *out = NULL, *line, *buf;
	uint64_t after = 0;
	int ret;

	ret = file_open_smaf();
	if (ret)
		return ret;
	buf = malloc(BUFFERS_CHUNK);
	line = malloc(BUFFERS_TEXT_MAX);
	ret = buf && line ? 0 : msg_op_err(-ENOMEM, "out of memory");
	while (!ret && l.more) {
		ret = smaf_list_buffers(after, buf, BUFFERS_CHUNK, &l);
		if (ret) {
			ret = msg_op_err(ret, "cannot list the buffers");
			break;
		}
		for (off = 0; l.count--; ) {
			const struct smaf_buffer_record *r =
				(const void *)(buf + off);
			size_t n;

			buffers_line(r, line, BUFFERS_TEXT_MAX);
			n = strlen(line);
			if (used + n + 2 > cap) {
				char *grown = realloc(out, cap = 2 * cap +
						      n + 2);

				if (!grown) {
					ret = msg_op_err(-ENOMEM,
							 "out of memory");
					break;
				}
				out = grown;
			}
			memcpy(out + used, line, n);
			used += n;
			out[used++] = '\n';
			out[used] = '\0';
			off += r->reclen;
		}
		after = l.last;
	}
	free(line);
	free(buf);
	smaf_close();
	if (ret) {
		free(out);
		return ret;
	}
	*text = out ? out : strdup("");
	return *text ? 0 : msg_op_err(-ENOMEM, "out of memory");
}

static int buffers_table(char *text)
{
	char size[NUM_LEN], *val[B_NKEYS], *line, *next;
	struct table t = { 0 };
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
	while ((line = parse_line(&next))) {
		if (!buffers_parse_line(line, val))
			continue;
		table_size_text(val[B_SIZE], size, sizeof(size));
		table_row(&t, val[B_ID], size, val[B_STATE], val[B_ALLOCATOR],
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
	while ((line = parse_line(&next))) {
		if (!buffers_parse_line(line, val))
			continue;
		if (!first)
			putchar(',');
		first = false;
		json_object(buffers_json_members, val, B_NKEYS);
	}
	fputs("]}\n", stdout);
}

static int buffers_run(int argc, char **argv)
{
	char *text;
	int ret;

	ret = parse_opts(argc, argv, 0, 0);
	if (ret < 0)
		return parse_opts_exit(ret);
	ret = buffers_fetch(&text);
	if (ret)
		return ret;
	if (smafctl_json)
		buffers_json(text);
	else
		ret = buffers_table(text);
	free(text);
	return ret;
}

const struct smafctl_cmd buffers_cmd = {
	.name = "buffers",
	.summary = "list every buffer and its creator",
	.help =
		"Usage: smafctl [--json] buffers\n"
		"\n"
		"Lists the SMAF buffers of the system (SMAF_IOC_LIST_BUFFERS:\n"
		"root sees every buffer, other users those they created): id,\n"
		"size, state, allocator, secure flag, attached and declared devices,\n"
		"device and CPU mappings, migrations, the pid and command that\n"
		"created it and its dma-buf name (DMA_BUF_SET_NAME).\n"
		"\n"
		"  --json      {\"buffers\":[{\"id\":...,\"pid\":...}]}\n"
		"  -h, --help  show this help\n",
	.run = buffers_run,
};
