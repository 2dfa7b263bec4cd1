// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl quarantine [show|scrub]: the secure buffers that could not be
 * erased, from debugfs smaf/quarantine, and scrubbing them again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smafctl.h"

#define QUARANTINE_PATH		DEBUGFS_DIR "/smaf/quarantine"

enum { Q_ID, Q_SIZE, Q_ALLOCATOR, Q_SECURE, Q_NKEYS };

static const char *const quarantine_keys[Q_NKEYS] = {
	"id", "size", "allocator", "secure",
};

static const struct json_member quarantine_json_members[Q_NKEYS] = {
	[Q_ID] = { "id", JSON_NUMBER },
	[Q_SIZE] = { "size", JSON_NUMBER },
	[Q_ALLOCATOR] = { "allocator", JSON_STRING, "" },
	[Q_SECURE] = { "secure_module", JSON_STRING, "" },
};

/*
 * Splits one debugfs smaf/quarantine line, "id=N size=N allocator=A
 * secure=S" (names have no spaces), in place. False without an id.
 */
static bool quarantine_parse_line(char *line, char *val[Q_NKEYS])
{
	char *tok, *save = NULL;
	int k;

	memset(val, 0, sizeof(*val) * Q_NKEYS);
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		k = parse_key(tok, quarantine_keys, Q_NKEYS);
		if (k >= 0 && k < Q_NKEYS)
			val[k] = tok + strlen(quarantine_keys[k]) + 1;
	}
	return val[Q_ID] && *val[Q_ID];
}

/* The quarantined buffers in @text (modified); how many there are. */
static int quarantine_list(char *text)
{
	char size[NUM_LEN], *val[Q_NKEYS], *line, *next;
	struct table t = { 0 };
	int n = 0, ret = 0;

	if (smafctl_json)
		fputs("{\"quarantine\":[", stdout);
	table_col(&t, "ID", true);
	table_col(&t, "SIZE", true);
	table_col(&t, "ALLOCATOR", false);
	table_col(&t, "SECURE-MODULE", false);
	next = text;
	while ((line = parse_line(&next))) {
		if (!quarantine_parse_line(line, val))
			continue;
		if (smafctl_json) {
			if (n)
				putchar(',');
			json_object(quarantine_json_members, val, Q_NKEYS);
		} else {
			table_size_text(val[Q_SIZE], size, sizeof(size));
			table_row(&t, val[Q_ID], size, val[Q_ALLOCATOR],
				  val[Q_SECURE]);
		}
		n++;
	}
	if (smafctl_json)
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

	ret = file_read(QUARANTINE_PATH, &text);
	if (ret)
		return ret;
	next = text;
	while ((line = parse_line(&next)))
		n += quarantine_parse_line(line, val);
	free(text);
	return n;
}

/* Asks SMAF to scrub every quarantined buffer again. */
static int quarantine_scrub(void)
{
	int before, after, ret;

	before = quarantine_count();
	if (before < 0)
		return msg_debugfs_err(before, QUARANTINE_PATH);
	ret = file_write(QUARANTINE_PATH, "scrub\n");
	if (ret && ret != -EIO)
		return msg_debugfs_err(ret, QUARANTINE_PATH);
	after = quarantine_count();
	if (after < 0)
		return msg_debugfs_err(after, QUARANTINE_PATH);
	printf("scrubbed and freed %d buffer%s; %d still quarantined\n",
	       before - after, before - after == 1 ? "" : "s", after);
	if (ret)
		return msg_op_err(ret, "%d buffer%s not scrubbed (see dmesg)",
				  after, after == 1 ? "" : "s");
	return 0;
}

static int quarantine_run(int argc, char **argv)
{
	char *text;
	int ret;

	ret = parse_opts(argc, argv, 0, 1);
	if (ret < 0)
		return parse_opts_exit(ret);
	if (ret < argc && !strcmp(argv[ret], "scrub")) {
		if (smafctl_json)
			return msg_usage_err("--json applies to the list only");
		return quarantine_scrub();
	}
	if (ret < argc && strcmp(argv[ret], "show"))
		return msg_usage_err("unknown subcommand '%s' (show, scrub)",
				     argv[ret]);
	ret = file_read(QUARANTINE_PATH, &text);
	if (ret)
		return msg_debugfs_err(ret, QUARANTINE_PATH);
	ret = quarantine_list(text);
	free(text);
	return ret < 0 ? -ret : 0;
}

const struct smafctl_cmd quarantine_cmd = {
	.name = "quarantine",
	.summary = "list or scrub buffers that could not be erased",
	.help =
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
	.run = quarantine_run,
};
