// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl create --size N [...] [-- CMD]: a buffer, with its options and
 * consumers, that CMD inherits.
 */
#include <errno.h>
#include <getopt.h>
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
