// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl buffers: every SMAF buffer of the system, one row each, from
 * debugfs smaf/buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smafctl.h"

#define BUFFERS_PATH		DEBUGFS_DIR "/smaf/buffers"

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
	ret = file_read(BUFFERS_PATH, &text);
	if (ret)
		return msg_debugfs_err(ret, BUFFERS_PATH);
	if (smafctl_json)
		buffers_json(text);
	else
		ret = buffers_table(text);
	free(text);
	return ret;
}

const struct smafctl_cmd buffers_cmd = {
	.name = "buffers",
	.summary = "list every buffer and its creator (debugfs)",
	.help =
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
	.run = buffers_run,
};
