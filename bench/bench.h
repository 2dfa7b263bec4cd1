/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smaf-bench: what the runner (run.c), the checker and the renderer
 * (report.c) share.
 */
#ifndef SMAF_BENCH_H
#define SMAF_BENCH_H

#define BENCH_FORMAT	"smaf-bench/1"

/* The column that every SMAF figure is compared with. */
#define BENCH_BASELINE	"system-heap"

int bench_run(int argc, char **argv);
/*
 * Validates a results file: 0 if it is complete and well formed, with no
 * error cell unless @allow_errors, and with a figure in every row of the
 * column @require (NULL: none required; an error cell counts as one with
 * @allow_errors).
 */
int bench_check(const char *path, bool allow_errors, const char *require);
/* Prints the table; with @outdir, writes a gnuplot PNG per workload. */
int bench_report(const char *path, const char *outdir);

#endif /* SMAF_BENCH_H */
