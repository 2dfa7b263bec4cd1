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
 * This file holds main(), the global options, the command table and the
 * commands that have no file of their own yet.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "libsmaf.h"
#include "smafctl.h"

#ifndef SMAFCTL_VERSION
#define SMAFCTL_VERSION		"unknown"
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define QUARANTINE_PATH		DEBUGFS_DIR "/smaf/quarantine"

bool smafctl_json;
const struct smafctl_cmd *smafctl_cmd;

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

	table_size(o->size, size, sizeof(size));
	switch (err) {
	case -ENOENT:
		return msg_op_err(err, "allocator '%s' not found",
				  o->allocator);
	case -E2BIG:
		return msg_op_err(err, "%s is above smaf's max_buffer_size",
				  size);
	default:
		return msg_op_err(err, "cannot create a buffer of %s", size);
	}
}

static int create_consumer_error(int err, const char *arg, const char *name)
{
	switch (err) {
	case -ENOENT:
		msg_op_err(err, "consumer '%s': no device %s on a bus SMAF knows",
			   arg, name);
		return EXIT_OPERR;
	case -EEXIST:
		return msg_op_err(err, "consumer '%s' (%s) given twice", arg,
				  name);
	case -ENOSPC:
		return msg_op_err(err, "consumer '%s': too many consumers",
				  arg);
	default:
		return msg_op_err(err, "cannot add consumer '%s' (%s)", arg,
				  name);
	}
}

/* Runs @argv with @fd inherited; returns its exit status. */
static int create_spawn(char **argv, int fd, unsigned long long size)
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
		status = msg_op_err(errno, "cannot fork");
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
		msg_op_err(status, "cannot run '%s'", argv[0]);
		_exit(status == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = msg_op_err(errno, "cannot wait for '%s'",
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
			ret = msg_op_err(ret, "--secure: no secure module");
			goto fail;
		}
		if (ret) {
			ret = msg_op_err(ret, "cannot set the secure flag");
			goto fail;
		}
	}
	for (i = 0; i < o->nconsumers; i++) {
		ret = smaf_add_consumer(fd, names[i]);
		if (ret) {
			ret = create_consumer_error(ret, o->consumers[i],
						    names[i]);
			goto fail;
		}
	}
	if (o->label && ioctl(fd, DMA_BUF_SET_NAME, o->label)) {
		ret = msg_op_err(errno, "cannot name the buffer '%s'",
				 o->label);
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
	while ((c = parse_opt(argc, argv, "+:s:a:c:n:h", opts)) != -1) {
		switch (c) {
		case 's':
			if (!parse_size(optarg, &o->size))
				break;
			msg_usage_err("bad size '%s' (bytes, or K, M, G)",
				      optarg);
			return EXIT_USAGE;
		case 'S':
			o->secure = true;
			break;
		case 'a':
			if (!*optarg || strlen(optarg) >= SMAF_NAME_LEN)
				return msg_usage_err("bad allocator name '%s'",
						     optarg);
			o->allocator = optarg;
			break;
		case 'c':
			o->consumers[o->nconsumers++] = optarg;
			break;
		case 'n':
			if (strlen(optarg) >= LABEL_LEN)
				return msg_usage_err("--name: at most %d bytes",
						     LABEL_LEN - 1);
			o->label = optarg;
			break;
		case 'j':
			smafctl_json = true;
			break;
		case 'h':
			fputs(smafctl_cmd->help, stdout);
			return -1;
		default:
			return -c;
		}
	}
	if (!o->size)
		return msg_usage_err("missing --size");
	return 0;
}

static int create_run(int argc, char **argv)
{
	char (*names)[SMAF_DEVICE_NAME_LEN] = NULL;
	struct create_opts o = { 0 };
	struct smaf_buffer_info bi;
	int ret, i, fd = -1;

	o.consumers = calloc((size_t)argc, sizeof(*o.consumers));
	if (!o.consumers)
		return msg_op_err(ENOMEM, "out of memory");
	ret = create_parse(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	names = calloc((size_t)o.nconsumers + 1, sizeof(*names));
	if (!names) {
		ret = msg_op_err(ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o.nconsumers; i++) {
		ret = parse_device(o.consumers[i], names[i], sizeof(names[i]));
		if (ret)
			goto out;
	}
	ret = file_open_smaf();
	if (ret)
		goto out;
	ret = create_buffer(&o, names, &fd);
	if (ret)
		goto out_close;
	ret = smaf_buffer_info(fd, &bi);
	if (ret) {
		ret = msg_op_err(ret, "cannot read the new buffer's info");
	} else if (optind < argc) {
		ret = create_spawn(argv + optind, fd, bi.size);
	} else {
		info_print(fd, &bi);
		if (!smafctl_json)
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

const struct smafctl_cmd create_cmd = {
	.name = "create",
	.summary = "create a buffer and run a command that inherits it",
	.help =
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
	.run = create_run,
};

/* ---- info ---- */

/* The dma-buf's name from /proc/self/fdinfo/FD into @buf ("" if none). */
static void info_label(int fd, char *buf, size_t len)
{
	char path[64], *text, *p, *end;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (file_read(path, &text))
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

/* Prints what @bi tells of the buffer open as @fd (also for create). */
void info_print(int fd, const struct smaf_buffer_info *bi)
{
	char label[LABEL_LEN * 2], size[NUM_LEN];
	const char *alloc = (const char *)bi->allocator;

	info_label(fd, label, sizeof(label));
	if (smafctl_json) {
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
	       table_size(bi->size, size, sizeof(size)), bi->size);
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

static int info_run(int argc, char **argv)
{
	struct smaf_buffer_info bi;
	const char *arg;
	int ret, fd;

	ret = parse_opts(argc, argv, 0, 1);
	if (ret < 0)
		return parse_opts_exit(ret);
	arg = ret < argc ? argv[ret] : getenv("SMAF_FD");
	if (!arg)
		return msg_usage_err("missing FD (and no SMAF_FD set)");
	if (parse_int(arg, 0, INT_MAX, &fd))
		return msg_usage_err("not a file descriptor: '%s'", arg);
	ret = file_open_smaf();
	if (ret)
		return ret;
	ret = smaf_buffer_info(fd, &bi);
	smaf_close();
	if (ret == -EBADF)
		return msg_op_err(ret, "fd %d is not open", fd);
	if (ret == -EINVAL)
		return msg_op_err(ret, "fd %d is not a SMAF buffer", fd);
	if (ret)
		return msg_op_err(ret, "cannot read buffer info of fd %d", fd);
	info_print(fd, &bi);
	return 0;
}

const struct smafctl_cmd info_cmd = {
	.name = "info",
	.summary = "describe a buffer fd this process inherited",
	.help =
		"Usage: smafctl [--json] info [FD]\n"
		"\n"
		"Describes the SMAF buffer open as FD (default: $SMAF_FD), as\n"
		"'smafctl create ... -- CMD' passes it (SMAF_IOC_BUFFER_INFO):\n"
		"id, size, state, allocator, secure flag, attached devices,\n"
		"declared consumers, mappings, migrations and dma-buf name.\n"
		"\n"
		"  --json      {\"fd\":...,\"size\":...,\"consumers\":...}\n"
		"  -h, --help  show this help\n",
	.run = info_run,
};

/* ---- quarantine ---- */

enum { Q_ID, Q_SIZE, Q_ALLOCATOR, Q_SECURE, Q_NKEYS };

static const char *const quarantine_keys[Q_NKEYS] = {
	"id", "size", "allocator", "secure",
};

/*
 * Splits one debugfs smaf/quarantine line, "id=N size=N allocator=A
 * secure=S" (names have no spaces), in place. False without an id.
 */
static bool quarantine_parse_line(char *line, char *val[Q_NKEYS])
{
	char *tok, *save = NULL;
	size_t n;
	int k;

	memset(val, 0, sizeof(*val) * Q_NKEYS);
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		n = parse_key_len(tok);
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
			if (val[Q_SIZE] && parse_is_number(val[Q_SIZE]))
				table_size(strtoull(val[Q_SIZE], NULL, 10),
					   size, sizeof(size));
			else
				snprintf(size, sizeof(size), "?");
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

/* ---- help ---- */

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

/* ---- main ---- */

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
