// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl constraints [show|set|del|clear]: the device constraints table,
 * /sys/class/misc/smaf/constraints.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsmaf.h"
#include "smafctl.h"

#define CONSTRAINTS_PATH	"/sys/class/misc/smaf/constraints"

/* The dma-bits range the constraints table accepts. */
#define DMA_BITS_MIN		12
#define DMA_BITS_MAX		64

struct constraints_rule {
	const char *device;
	bool contiguous;
	bool sg;
	bool driver;
	const char *dma_bits;	/* NULL: none */
};

/* Splits one line of the table ("bus:dev [contiguous|sg] [dma-bits=N]
 * [driver]"), modified in place. Returns false for an empty line.
 */
static bool constraints_parse_rule(char *line, struct constraints_rule *r)
{
	char *tok, *save = NULL;

	memset(r, 0, sizeof(*r));
	r->device = strtok_r(line, " \t", &save);
	if (!r->device)
		return false;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (!strcmp(tok, "contiguous"))
			r->contiguous = true;
		else if (!strcmp(tok, "sg"))
			r->sg = true;
		else if (!strcmp(tok, "driver"))
			r->driver = true;
		else if (!strncmp(tok, "dma-bits=", 9))
			r->dma_bits = tok + 9;
	}
	return true;
}

/* The CONTIGUOUS column: the rule's word, or "-" for the default. */
static const char *constraints_layout(const struct constraints_rule *r)
{
	return r->contiguous ? "yes" : r->sg ? "no" : "-";
}

static int constraints_show(void)
{
	char *text, *line, *next;
	struct table t = { 0 };
	bool first = true;
	struct constraints_rule r;
	int ret;

	ret = file_read(CONSTRAINTS_PATH, &text);
	if (ret == -ENOENT)
		return msg_op_err(ret, "no %s: is smaf loaded?",
				  CONSTRAINTS_PATH);
	if (ret)
		return msg_op_err(ret, "cannot read %s", CONSTRAINTS_PATH);
	if (smafctl_json) {
		fputs("{\"constraints\":[", stdout);
	} else {
		table_col(&t, "DEVICE", false);
		table_col(&t, "CONTIGUOUS", false);
		table_col(&t, "DMA-BITS", true);
		table_col(&t, "SET-BY", false);
	}
	next = text;
	while ((line = parse_line(&next))) {
		if (!constraints_parse_rule(line, &r))
			continue;
		if (!smafctl_json) {
			table_row(&t, r.device, constraints_layout(&r),
				  r.dma_bits, r.driver ? "driver" : "user");
			continue;
		}
		printf("%s{\"device\":", first ? "" : ",");
		first = false;
		json_str(r.device);
		printf(",\"contiguous\":%s,\"sg\":%s,\"dma_bits\":",
		       r.contiguous ? "true" : "false",
		       r.sg ? "true" : "false");
		if (r.dma_bits && parse_is_number(r.dma_bits))
			fputs(r.dma_bits, stdout);
		else
			fputs("null", stdout);
		printf(",\"driver\":%s}", r.driver ? "true" : "false");
	}
	free(text);
	if (smafctl_json) {
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
	int ret = file_write(CONSTRAINTS_PATH, text);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		if (access(CONSTRAINTS_PATH, F_OK))
			return msg_op_err(ret, "no %s: is smaf loaded?",
					  CONSTRAINTS_PATH);
		return msg_op_err(ret, "no rule for '%s'", device);
	case -EACCES:
	case -EPERM:
		return msg_op_err(ret, "cannot write %s: needs root",
				  CONSTRAINTS_PATH);
	case -ENOSPC:
		return msg_op_err(ret, "the constraints table is full");
	default:
		return msg_op_err(ret, "the kernel refused '%s'", text);
	}
}

static int constraints_set(int argc, char **argv)
{
	char name[SMAF_DEVICE_NAME_LEN], cmd[SMAF_DEVICE_NAME_LEN + 32];
	const char *layout = "";
	int i, bits = 0, ret;

	if (argc < 1)
		return msg_usage_err("set: missing device");
	for (i = 1; i < argc; i++) {
		bool word = !strcmp(argv[i], "contiguous") ||
			    !strcmp(argv[i], "sg");

		if (word && !layout[0]) {
			layout = argv[i];
		} else if (!strncmp(argv[i], "dma-bits=", 9) && !bits) {
			if (!parse_int(argv[i] + 9, DMA_BITS_MIN,
				       DMA_BITS_MAX, &bits))
				continue;
			msg_usage_err("set: dma-bits must be a number from %d to %d: '%s'",
				      DMA_BITS_MIN, DMA_BITS_MAX, argv[i]);
			return EXIT_USAGE;
		} else {
			return msg_usage_err("set: unexpected argument '%s'",
					     argv[i]);
		}
	}
	ret = parse_device(argv[0], name, sizeof(name));
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "%s%s%s", name, layout[0] ? " " : "",
		 layout);
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
		return msg_usage_err("del: missing device");
	if (argc > 1)
		return msg_usage_err("del: unexpected argument '%s'", argv[1]);
	ret = parse_device(argv[0], name, sizeof(name));
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "-%s", name);
	return constraints_write(cmd, name);
}

static int constraints_run(int argc, char **argv)
{
	const char *sub;
	int ret;

	ret = parse_opts(argc, argv, 0, INT_MAX);
	if (ret < 0)
		return parse_opts_exit(ret);
	argc -= ret;
	argv += ret;
	sub = argc ? argv[0] : "show";
	if (!strcmp(sub, "show") || !strcmp(sub, "list")) {
		if (argc > 1)
			return msg_usage_err("unexpected argument '%s'",
					     argv[1]);
		return constraints_show();
	}
	if (smafctl_json)
		return msg_usage_err("--json applies to the table only");
	if (!strcmp(sub, "set"))
		return constraints_set(argc - 1, argv + 1);
	if (!strcmp(sub, "del"))
		return constraints_del(argc - 1, argv + 1);
	if (!strcmp(sub, "clear")) {
		if (argc > 1)
			return msg_usage_err("unexpected argument '%s'",
					     argv[1]);
		return constraints_write("clear", "");
	}
	return msg_usage_err("unknown subcommand '%s' (show, set, del, clear)",
			     sub);
}

const struct smafctl_cmd constraints_cmd = {
	.name = "constraints",
	.summary = "show or edit the device constraints table",
	.help =
		"Usage: smafctl [--json] constraints [show]\n"
		"       smafctl constraints set DEV [contiguous|sg] [dma-bits=N]\n"
		"       smafctl constraints del DEV\n"
		"       smafctl constraints clear\n"
		"\n"
		"Shows or edits root's rules, which SMAF applies to devices on\n"
		"top of what the kernel knows and what drivers declare\n"
		"(" CONSTRAINTS_PATH "): a device needs contiguous\n"
		"memory, or takes scattered memory (sg) although no IOMMU\n"
		"translates its DMA, or reaches only N address bits (12 to 64).\n"
		"Without either word a device without IOMMU gets contiguous\n"
		"memory unless its driver declares otherwise. CONTIGUOUS shows\n"
		"yes, no (sg) or - (not said). 'set' replaces the device's\n"
		"rule, 'del' removes it, 'clear' removes every rule; drivers'\n"
		"declarations (debugfs smaf/declarations) stay. Editing needs\n"
		"root.\n"
		"\n"
		"DEV is a \"bus:device\" name (platform:vivid.0), a device node\n"
		"(/dev/video0) or a sysfs device (/sys/bus/platform/devices/\n"
		"vivid.0).\n"
		"\n"
		"  --json      {\"constraints\":[{\"device\":...,\"contiguous\":...,\n"
		"              \"sg\":...,\"dma_bits\":N|null,\"driver\":...}]}\n"
		"  -h, --help  show this help\n",
	.run = constraints_run,
};
