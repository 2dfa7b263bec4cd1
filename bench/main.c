// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-bench: SMAF against the mainline dma-buf exporters (system heap,
 * CMA heap, udmabuf) on the same kernel. docs/benchmarks.md says what each
 * workload measures.
 *
 *   smaf-bench run [options]		run the workloads, write JSON, print
 *					the table (in the guest)
 *   smaf-bench check FILE [--allow-errors] [--require COLUMN]
 *					validate a results file
 *   smaf-bench report FILE [DIR]	print the table; plots into DIR
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return bench_run(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "check")) {
		const char *require = NULL;
		bool allow = false;
		int i;

		for (i = 3; i < argc; i++) {
			if (!strcmp(argv[i], "--allow-errors"))
				allow = true;
			else if (i + 1 < argc && !strcmp(argv[i], "--require"))
				require = argv[++i];
			else
				goto usage;
		}
		return bench_check(argv[2], allow, require);
	}
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "report"))
		return bench_report(argv[2], argc == 4 ? argv[3] : NULL);
usage:
	fprintf(stderr,
		"usage: smaf-bench run [--smoke] [--out FILE] [options]\n"
		"       smaf-bench check FILE [--allow-errors] [--require COLUMN]\n"
		"       smaf-bench report FILE [PLOT-DIR]\n");
	return 2;
}
