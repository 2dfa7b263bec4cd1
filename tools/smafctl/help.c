// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl help [COMMAND]: smafctl's help, or a command's.
 */
#include <stdio.h>

#include "smafctl.h"

static int help_run(int argc, char **argv)
{
	const struct smafctl_cmd *cmd;
	int ret = parse_opts(argc, argv, 0, 1);

	if (ret < 0)
		return parse_opts_exit(ret);
	if (ret == argc) {
		smafctl_help(stdout);
		return 0;
	}
	cmd = smafctl_find(argv[ret]);
	if (!cmd)
		return msg_usage_err("unknown command '%s'", argv[ret]);
	fputs(cmd->help, stdout);
	return 0;
}

const struct smafctl_cmd help_cmd = {
	.name = "help",
	.summary = "show the help of smafctl or of a command",
	.help = "Usage: smafctl help [COMMAND]\n",
	.run = help_run,
};
