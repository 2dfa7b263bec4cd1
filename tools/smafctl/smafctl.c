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
 *
 * This file holds main(), the global options and the command table; each
 * command is a file of its own, with its help (allocators.c, ...).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "smafctl.h"

#ifndef SMAFCTL_VERSION
#define SMAFCTL_VERSION		"unknown"
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

bool smafctl_json;
const struct smafctl_cmd *smafctl_cmd;

/* In the order smafctl --help lists them. */
static const struct smafctl_cmd *const smafctl_cmds[] = {
	&allocators_cmd,
	&buffers_cmd,
	&constraints_cmd,
	&create_cmd,
	&info_cmd,
	&quarantine_cmd,
	&help_cmd,
};

static const char smafctl_help_head[] =
	"Usage: smafctl [--json] COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Inspects and drives SMAF, the Secure Memory Allocation Framework\n"
	"(" SMAF_NODE ").\n"
	"\n"
	"Commands:\n";

static const char smafctl_help_tail[] =
	"\n"
	"Options:\n"
	"  --json      machine-readable output (JSON)\n"
	"  -h, --help  show this help; 'smafctl COMMAND --help' for a command\n"
	"  --version   show the version\n"
	"\n"
	"Exit status: 0 success, 1 operational error, 2 usage error.\n";

/* smafctl's own help, the commands' summaries included, on @f. */
void smafctl_help(FILE *f)
{
	size_t i;

	fputs(smafctl_help_head, f);
	for (i = 0; i < ARRAY_SIZE(smafctl_cmds); i++)
		fprintf(f, "  %-12s  %s\n", smafctl_cmds[i]->name,
			smafctl_cmds[i]->summary);
	fputs(smafctl_help_tail, f);
}

/* The command called @name, or NULL. */
const struct smafctl_cmd *smafctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(smafctl_cmds); i++)
		if (!strcmp(smafctl_cmds[i]->name, name))
			return smafctl_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct smafctl_cmd *cmd;
	int c, ret;

	while ((c = parse_opt(argc, argv, "+:h", opts)) != -1) {
		switch (c) {
		case 'j':
			smafctl_json = true;
			break;
		case 'h':
			smafctl_help(stdout);
			return fflush(stdout) ? EXIT_OPERR : 0;
		case 'V':
			printf("smafctl %s\n", SMAFCTL_VERSION);
			return fflush(stdout) ? EXIT_OPERR : 0;
		default:
			return -c;
		}
	}
	if (optind >= argc) {
		smafctl_help(stderr);
		return EXIT_USAGE;
	}
	cmd = smafctl_find(argv[optind]);
	if (!cmd)
		return msg_usage_err("unknown command '%s'", argv[optind]);
	smafctl_cmd = cmd;
	ret = cmd->run(argc - optind, argv + optind);
	if (fflush(stdout) || ferror(stdout)) {
		msg_op_err(errno ? errno : EIO, "cannot write the output");
		return EXIT_OPERR;
	}
	return ret;
}
