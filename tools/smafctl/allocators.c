// SPDX-License-Identifier: GPL-2.0
/*
 * smafctl allocators: what SMAF_IOC_ALLOCATOR_INFO tells of each
 * registered allocator, one row each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "libsmaf.h"
#include "smafctl.h"

static void allocators_caps(unsigned int caps, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 caps & SMAF_CAP_CONTIGUOUS ? "contiguous" : "",
		 (caps & SMAF_CAP_CONTIGUOUS) && (caps & SMAF_CAP_SECURE) ?
		 "," : "", caps & SMAF_CAP_SECURE ? "secure" : "");
	if (!*buf)
		snprintf(buf, len, "-");
}

static void allocators_json(const struct smaf_allocator_info *a, int n)
{
	int i;

	fputs("{\"allocators\":[", stdout);
	for (i = 0; i < n; i++, a++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str((const char *)a->name);
		printf(",\"ranking\":%d,\"contiguous\":%s,\"secure\":%s",
		       a->ranking,
		       a->caps & SMAF_CAP_CONTIGUOUS ? "true" : "false",
		       a->caps & SMAF_CAP_SECURE ? "true" : "false");
		printf(",\"max_size\":%llu,\"min_dma_limit\":%llu",
		       a->max_size, a->min_dma_limit);
		printf(",\"buffers\":%llu,\"bytes\":%llu", a->buffers,
		       a->bytes);
		printf(",\"peak_bytes\":%llu,\"failures\":%llu}",
		       a->peak_bytes, a->failures);
	}
	fputs("]}\n", stdout);
}

static int allocators_table(const struct smaf_allocator_info *a, int n)
{
	char rank[NUM_LEN], caps[NUM_LEN], max[NUM_LEN], lim[NUM_LEN];
	char bufs[NUM_LEN], bytes[NUM_LEN], peak[NUM_LEN], fail[NUM_LEN];
	struct table t = { 0 };
	int i, ret;

	if (!n) {
		puts("no allocator registered");
		return 0;
	}
	table_col(&t, "NAME", false);
	table_col(&t, "RANKING", true);
	table_col(&t, "CAPS", false);
	table_col(&t, "MAX-SIZE", true);
	table_col(&t, "MIN-DMA-LIMIT", true);
	table_col(&t, "BUFFERS", true);
	table_col(&t, "IN-USE", true);
	table_col(&t, "PEAK", true);
	table_col(&t, "FAILURES", true);
	for (i = 0; i < n; i++, a++) {
		snprintf(rank, sizeof(rank), "%d", a->ranking);
		allocators_caps(a->caps, caps, sizeof(caps));
		if (a->max_size)
			table_size(a->max_size, max, sizeof(max));
		else
			snprintf(max, sizeof(max), "unlimited");
		snprintf(lim, sizeof(lim), "%#llx", a->min_dma_limit);
		snprintf(bufs, sizeof(bufs), "%llu", a->buffers);
		table_size(a->bytes, bytes, sizeof(bytes));
		table_size(a->peak_bytes, peak, sizeof(peak));
		snprintf(fail, sizeof(fail), "%llu", a->failures);
		table_row(&t, (const char *)a->name, rank, caps, max, lim,
			  bufs, bytes, peak, fail);
	}
	ret = table_print(&t);
	table_free(&t);
	return ret;
}

static int allocators_run(int argc, char **argv)
{
	struct smaf_allocator_info first, *all;
	int ret, n;

	ret = parse_opts(argc, argv, 0, 0);
	if (ret < 0)
		return parse_opts_exit(ret);
	ret = file_open_smaf();
	if (ret)
		return ret;
	ret = smaf_allocator_info(0, &first);
	if (ret == -EINVAL) {
		first.count = 0;
	} else if (ret) {
		smaf_close();
		return msg_op_err(ret, "cannot read allocator 0");
	}
	all = calloc(first.count ? first.count : 1, sizeof(*all));
	if (!all) {
		smaf_close();
		return msg_op_err(ENOMEM, "out of memory");
	}
	/* Allocators may come and go meanwhile: stop at the end. */
	for (n = 0; n < (int)first.count; n++) {
		ret = smaf_allocator_info(n, &all[n]);
		if (ret == -EINVAL)
			break;
		if (ret) {
			free(all);
			smaf_close();
			return msg_op_err(ret, "cannot read allocator %d", n);
		}
	}
	smaf_close();
	ret = 0;
	if (smafctl_json)
		allocators_json(all, n);
	else
		ret = allocators_table(all, n);
	free(all);
	return ret;
}

const struct smafctl_cmd allocators_cmd = {
	.name = "allocators",
	.summary = "list the allocators and what they hold",
	.help =
		"Usage: smafctl [--json] allocators\n"
		"\n"
		"Lists the registered allocators, highest ranking first\n"
		"(SMAF_IOC_ALLOCATOR_INFO): ranking, capabilities (contiguous,\n"
		"secure), largest buffer, lowest device DMA limit served,\n"
		"buffers and bytes held now, peak bytes, failed allocations.\n"
		"Sizes are in powers of 1024. Needs access to /dev/smaf.\n"
		"\n"
		"  --json      {\"allocators\":[{\"name\":...,\"ranking\":...}]}\n"
		"  -h, --help  show this help\n",
	.run = allocators_run,
};
