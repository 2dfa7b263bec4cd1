// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl info [FD]: what SMAF_IOC_BUFFER_INFO tells of a buffer fd this
 * process inherited ('smafctl create ... -- CMD' passes one).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsmaf.h"
#include "smafctl.h"

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
