// SPDX-License-Identifier: GPL-2.0
/*
 * smaf-bench check and report: validate a results file, print its table
 * (one row per workload and size, one column per allocator, every SMAF
 * figure with its ratio to the system heap, then the targets), and plot
 * each workload with gnuplot.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "json.h"

#define MAXA	16

struct doc {
	struct json *root;
	int na;
	const char *name[MAXA];
	bool smaf[MAXA];
	bool present[MAXA];
	int base;		/* index of BENCH_BASELINE, or -1 */
};

static struct json *load(const char *path, struct doc *d)
{
	char err[160];
	struct json *a, *al;
	char *text;
	int i;

	memset(d, 0, sizeof(*d));
	d->base = -1;
	text = read_file(path);
	if (!text) {
		fprintf(stderr, "smaf-bench: cannot read %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	d->root = json_parse(text, err, sizeof(err));
	free(text);
	if (!d->root) {
		fprintf(stderr, "smaf-bench: %s is not valid JSON: %s\n", path,
			err);
		return NULL;
	}
	al = json_get(d->root, "allocators");
	for (i = 0; al && al->type == J_ARR && i < al->n && i < MAXA; i++) {
		a = al->items[i];
		d->name[i] = json_str(json_get(a, "name"), "?");
		d->smaf[i] = json_get(a, "smaf") && json_get(a, "smaf")->b;
		d->present[i] = json_get(a, "present") &&
				json_get(a, "present")->b;
		if (!strcmp(d->name[i], BENCH_BASELINE))
			d->base = i;
	}
	d->na = i;
	return d->root;
}

static bool cell_median(const struct json *row, const char *alloc, double *v)
{
	const struct json *c = json_get(json_get(row, "results"), alloc);

	return !strcmp(json_str(json_get(c, "status"), ""), "ok") &&
	       json_num(json_get(c, "median"), v);
}

/* ---- check ---- */

static int problem(const char *what, const char *where, const char *more)
{
	fprintf(stderr, "smaf-bench check: %s%s%s%s%s\n", what,
		where ? " (" : "", where ? where : "", where ? ")" : "",
		more ? more : "");
	return 1;
}

int bench_check(const char *path, bool allow_errors, const char *require)
{
	int bad = 0, rows = 0, ok = 0, absent = 0, errors = 0, i, r, k;
	struct json *w, *ws, *row, *c, *z;
	char where[160];
	struct doc d;
	double v;

	if (!load(path, &d))
		return 1;
	if (strcmp(json_str(json_get(d.root, "format"), ""), BENCH_FORMAT))
		bad |= problem("format is not " BENCH_FORMAT, NULL, NULL);
	if (!json_str(json_get(json_get(d.root, "kernel"), "release"), NULL))
		bad |= problem("no kernel.release", NULL, NULL);
	if (!json_get(d.root, "commit") || !json_get(d.root, "vm"))
		bad |= problem("no commit or vm", NULL, NULL);
	for (k = 0; require && k < d.na; k++)
		if (!strcmp(d.name[k], require) && !d.present[k])
			bad |= problem("required column absent", require, NULL);
	if (d.na != 6 || d.base < 0)
		bad |= problem("the allocators are not the six columns", NULL,
			       NULL);
	ws = json_get(d.root, "workloads");
	if (!ws || ws->type != J_ARR || ws->n == 0)
		bad |= problem("no workloads", NULL, NULL);
	for (i = 0; ws && i < ws->n; i++) {
		w = ws->items[i];
		if (!json_get(w, "rows") || json_get(w, "rows")->type != J_ARR ||
		    !json_get(w, "rows")->n) {
			bad |= problem("workload without rows",
				       json_str(json_get(w, "id"), "?"), NULL);
			continue;
		}
		for (r = 0; r < json_get(w, "rows")->n; r++) {
			row = json_get(w, "rows")->items[r];
			rows++;
			for (k = 0; k < d.na; k++) {
				const char *st;

				snprintf(where, sizeof(where), "%s %s %s",
					 json_str(json_get(w, "id"), "?"),
					 json_str(json_get(row, "label"), "?"),
					 d.name[k]);
				c = json_get(json_get(row, "results"), d.name[k]);
				st = json_str(json_get(c, "status"), "");
				if (require && !strcmp(require, d.name[k]) &&
				    strcmp(st, "ok") && strcmp(st, "n/a") &&
				    !(allow_errors && !strcmp(st, "error")))
					bad |= problem("required column has no figure",
						       where, NULL);
				if (!strcmp(st, "ok")) {
					/* memory growth can be < 0 (noise) */
					if (!json_num(json_get(c, "median"), &v) ||
					    (!(v >= 0) && strcmp(json_str(json_get(w, "unit"), ""), "bytes")) ||
					    !json_num(json_get(c, "p90"), &v))
						bad |= problem("no median/p90", where, NULL);
					ok++;
				} else if (!strcmp(st, "absent")) {
					if (d.present[k])
						bad |= problem("absent but present", where, NULL);
					absent++;
				} else if (!strcmp(st, "n/a")) {
					absent++;
				} else if (!strcmp(st, "error")) {
					errors++;
					if (!allow_errors)
						bad |= problem("error", where,
							       json_str(json_get(c, "message"), ""));
				} else {
					bad |= problem("no result", where, NULL);
				}
			}
		}
	}
	z = json_get(d.root, "zeroing");
	if (!z || !json_get(z, "memset") || !json_get(z, "allocators"))
		bad |= problem("no zeroing section", NULL, NULL);
	json_free(d.root);
	if (bad)
		return 1;
	printf("smaf-bench check: OK: %d workloads, %d rows, %d figures, %d absent or n/a, %d errors\n",
	       ws->n, rows, ok, absent, errors);
	return 0;
}

/* ---- report ---- */

static void fmt_value(double v, const char *unit, char *buf, size_t len)
{
	if (!strcmp(unit, "ns")) {
		if (v < 1e3)
			snprintf(buf, len, "%.0fns", v);
		else if (v < 1e6)
			snprintf(buf, len, "%.3gus", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, len, "%.3gms", v / 1e6);
		else
			snprintf(buf, len, "%.3gs", v / 1e9);
	} else if (!strcmp(unit, "B/s")) {
		snprintf(buf, len, "%.3g GB/s", v / 1e9);
	} else {
		snprintf(buf, len, "%.0f", v);
	}
}

#define CELL_W	19

static void print_cell(const struct doc *d, const struct json *row, int k,
		       const char *unit, bool memory)
{
	const struct json *c = json_get(json_get(row, "results"), d->name[k]);
	const char *st = json_str(json_get(c, "status"), "-");
	char a[32], b[32], out[64];
	double med, p90, base;

	if (strcmp(st, "ok")) {
		printf(" %-*s", CELL_W, !strcmp(st, "error") ? "error" : st);
		return;
	}
	json_num(json_get(c, "median"), &med);
	json_num(json_get(c, "p90"), &p90);
	fmt_value(med, unit, a, sizeof(a));
	if (memory) {
		snprintf(out, sizeof(out), "%s", a);
	} else {
		fmt_value(p90, unit, b, sizeof(b));
		snprintf(out, sizeof(out), "%s/%s", a, b);
	}
	if (d->smaf[k] && d->base >= 0 &&
	    cell_median(row, d->name[d->base], &base) && base > 0) {
		size_t l = strlen(out);

		snprintf(out + l, sizeof(out) - l, " %.2fx", med / base);
	}
	printf(" %-*s", CELL_W, out);
}

static void print_header(const struct doc *d)
{
	int k;

	printf("  %-16s %-9s", "size", "N");
	for (k = 0; k < d->na; k++)
		printf(" %-*s", CELL_W, d->name[k]);
	printf("\n");
}

struct target {
	const char *id;
	double min_size;	/* rows from this size up */
	double limit;		/* ratio to the system heap, at most */
	const char *text;
};

static const struct target targets[] = {
	{ "cold", 0, 1.0, "cold (1) at most 1.0x at every size" },
	{ "churn", 1 << 20, 0.5, "warm churn (2) at most 0.5x from 1 MiB up" },
	{ "touch", 8 << 20, 0.5, "CPU first touch (3) at most 0.5x from 8 MiB up" },
	{ "devmap", 0, 1.0, "device map (4) at most 1.0x" },
};

static const char *const smaf_col = "smaf";	/* the automatic choice */

static void print_targets(const struct doc *d, int *met, int *missed)
{
	const struct json *ws = json_get(d->root, "workloads"), *w, *row, *c;
	const struct json *z, *zs;
	double v, base, size, own, sys_total, smaf_total, ms;
	unsigned int t;
	int i, r;

	printf("\ntargets (the \"%s\" column, SMAF's automatic choice, against %s in this run):\n",
	       smaf_col, BENCH_BASELINE);
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		for (i = 0; ws && i < ws->n; i++) {
			w = ws->items[i];
			if (strcmp(json_str(json_get(w, "id"), ""), targets[t].id))
				continue;
			for (r = 0; r < json_get(w, "rows")->n; r++) {
				row = json_get(w, "rows")->items[r];
				json_num(json_get(row, "size"), &size);
				if (size < targets[t].min_size)
					continue;
				if (!cell_median(row, smaf_col, &v) ||
				    !cell_median(row, BENCH_BASELINE, &base) ||
				    base <= 0) {
					printf("  %-7s %-16s n/a (no figure)\n",
					       targets[t].id,
					       json_str(json_get(row, "label"), "?"));
					continue;
				}
				printf("  %-7s %-16s %5.2fx  (at most %.2fx)  %s\n",
				       targets[t].id,
				       json_str(json_get(row, "label"), "?"),
				       v / base, targets[t].limit,
				       v / base <= targets[t].limit ? "met" : "MISSED");
				if (v / base <= targets[t].limit)
					(*met)++;
				else
					(*missed)++;
			}
		}
	}
	for (i = 0; ws && i < ws->n; i++) {
		w = ws->items[i];
		if (strcmp(json_str(json_get(w, "id"), ""), "memory"))
			continue;
		for (r = 0; r < json_get(w, "rows")->n; r++) {
			row = json_get(w, "rows")->items[r];
			c = json_get(json_get(row, "results"), smaf_col);
			if (r == 0) {
				if (json_num(json_get(c, "own"), &own)) {
					printf("  %-7s %-16s %5.0f B own (at most 512 B)  %s\n",
					       "memory", "no memory", own,
					       own <= 512 ? "met" : "MISSED");
					if (own <= 512)
						(*met)++;
					else
						(*missed)++;
				} else {
					printf("  %-7s %-16s n/a (no udmabuf: the dma-buf core's share is unknown)\n",
					       "memory", "no memory");
				}
			} else if (cell_median(row, smaf_col, &smaf_total) &&
				   cell_median(row, BENCH_BASELINE, &sys_total)) {
				printf("  %-7s %-16s %5.0f B total vs %.0f B  %s\n",
				       "memory", "4 KiB allocated", smaf_total,
				       sys_total,
				       smaf_total <= sys_total ? "met" : "MISSED");
				if (smaf_total <= sys_total)
					(*met)++;
				else
					(*missed)++;
			} else {
				printf("  %-7s %-16s n/a (no figure)\n", "memory",
				       "4 KiB allocated");
			}
		}
	}
	z = json_get(d->root, "zeroing");
	zs = json_get(z, "allocators");
	ms = 0;
	for (i = 0; json_get(z, "memset") && i < json_get(z, "memset")->n; i++) {
		const struct json *m = json_get(z, "memset")->items[i];

		json_num(json_get(m, "size"), &size);
		if (size == 256 << 20)
			json_num(json_get(json_get(m, "bytes_per_s"), "median"), &ms);
	}
	for (i = 0; zs && i < zs->n; i++) {
		const struct json *a = zs->items[i];

		json_num(json_get(a, "size"), &size);
		if (size != 256 << 20 ||
		    strcmp(json_str(json_get(a, "allocator"), ""), "smaf-system"))
			continue;
		if (json_num(json_get(a, "zero_bytes_per_s"), &v) && ms > 0) {
			printf("  %-7s %-16s %5.2fx of memset (at least 0.75x)  %s\n",
			       "zeroing", "256 MiB", v / ms,
			       v / ms >= 0.75 ? "met" : "MISSED");
			if (v / ms >= 0.75)
				(*met)++;
			else
				(*missed)++;
		} else {
			printf("  %-7s %-16s n/a (no counters)\n", "zeroing",
			       "256 MiB");
		}
	}
}

static void print_zeroing(const struct doc *d)
{
	const struct json *z = json_get(d->root, "zeroing"), *m, *a;
	double size, v, ms[2] = { 0, 0 };
	uint64_t sizes[2] = { 0, 0 };
	char buf[32];
	int i, k;

	if (!z || !json_get(z, "ran") || !json_get(z, "ran")->b)
		return;
	printf("\n7. the physical limit: memset over a touched buffer, and SMAF's zeroing\n");
	for (i = 0; json_get(z, "memset") && i < json_get(z, "memset")->n; i++) {
		m = json_get(z, "memset")->items[i];
		json_num(json_get(m, "size"), &size);
		json_num(json_get(json_get(m, "bytes_per_s"), "median"), &v);
		fmt_value(v, "B/s", buf, sizeof(buf));
		printf("  memset %4.0f MiB: %s (median of %d)\n", size / (1 << 20),
		       buf, (int)json_get(m, "n")->num);
		if (i < 2) {
			ms[i] = v;
			sizes[i] = (uint64_t)size;
		}
	}
	for (i = 0; json_get(z, "allocators") && i < json_get(z, "allocators")->n; i++) {
		double rate = 0;

		a = json_get(z, "allocators")->items[i];
		json_num(json_get(a, "size"), &size);
		for (k = 0; k < 2; k++)
			if (sizes[k] == (uint64_t)size)
				rate = ms[k];
		printf("  %-11s %4.0f MiB: zeroing ", json_str(json_get(a, "allocator"), "?"),
		       size / (1 << 20));
		if (json_num(json_get(a, "zero_bytes_per_s"), &v)) {
			fmt_value(v, "B/s", buf, sizeof(buf));
			printf("%s (%.2fx memset)", buf, rate > 0 ? v / rate : NAN);
		} else {
			printf("n/a (%s)", json_str(json_get(a, "message"), "no counters"));
		}
		if (json_num(json_get(a, "create_to_usable_bytes_per_s"), &v)) {
			fmt_value(v, "B/s", buf, sizeof(buf));
			printf("; create+allocate+close rate %s (%.2fx memset)", buf,
			       rate > 0 ? v / rate : NAN);
		}
		printf("\n");
	}
}

/*
 * The plot command for the columns of @dat that have data (@has[i] for
 * column i + 2): gnuplot warns about a column without any.
 */
static void plot_cmd(FILE *f, const char *dat, const bool *has, int ncols)
{
	bool first = true;
	int i;

	for (i = 0; i < ncols; i++) {
		if (!has[i])
			continue;
		if (first)
			fprintf(f, "plot '%s' using %d:xtic(1) title columnheader(%d)",
				dat, i + 2, i + 2);
		else
			fprintf(f, ", '' using %d title columnheader(%d)", i + 2,
				i + 2);
		first = false;
	}
	fprintf(f, "\n");
}

static bool any(const bool *has, int n)
{
	while (n--)
		if (has[n])
			return true;
	return false;
}

static void plot(const struct doc *d, const struct json *w, const char *dir,
		 bool memory)
{
	bool has[MAXA] = { false };
	const char *id = json_str(json_get(w, "id"), "x");
	const struct json *rows = json_get(w, "rows"), *row;
	char path[512], cmd[1200];
	double v;
	FILE *f;
	int r, k;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, id);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "label");
	for (k = 0; k < d->na; k++)
		fprintf(f, " \"%s\"", d->name[k]);
	fprintf(f, "\n");
	for (r = 0; r < rows->n; r++) {
		row = rows->items[r];
		fprintf(f, "\"%s\"", json_str(json_get(row, "label"), "?"));
		for (k = 0; k < d->na; k++) {
			if (cell_median(row, d->name[k], &v) && v > 0) {
				fprintf(f, " %.6g", memory ? v : v / 1e3);
				has[k] = true;
			} else
				fprintf(f, " ?");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	if (!any(has, d->na))
		return;
	snprintf(path, sizeof(path), "%s/%s.gp", dir, id);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "set terminal png size 1100,560\n"
		"set output '%s/%s.png'\n"
		"set title \"%s\\n%s, kernel %s; under TCG only ratios between columns mean anything\" noenhanced\n"
		"set datafile missing '?'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set logscale y\n"
		"set grid ytics\n"
		"set key outside right top noenhanced\n"
		"set ylabel '%s'\n"
		"set xtics noenhanced rotate by 30 right\n"
		"set bmargin 5\n",
		dir, id, json_str(json_get(w, "title"), id),
		json_str(json_get(d->root, "commit"), "?"),
		json_str(json_get(json_get(d->root, "kernel"), "release"), "?"),
		memory ? "bytes per buffer (log)" : "median, microseconds (log)");
	snprintf(path, sizeof(path), "%s/%s.dat", dir, id);
	plot_cmd(f, path, has, d->na);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.gp", dir, id);
	snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2>&1", path);
	if (system(cmd))
		fprintf(stderr, "smaf-bench: gnuplot failed on %s\n", path);
	else
		printf("plot: %s/%s.png\n", dir, id);
}

static void plot_zeroing(const struct doc *d, const char *dir)
{
	const struct json *z = json_get(d->root, "zeroing"), *m, *a;
	char path[512], cmd[1200];
	bool has[5] = { true, false, false, false, false };
	double size, v, sz;
	FILE *f;
	int i, k;

	if (!z || !json_get(z, "ran") || !json_get(z, "ran")->b ||
	    !json_get(z, "memset"))
		return;
	snprintf(path, sizeof(path), "%s/zeroing.dat", dir);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "label \"memset\" \"smaf-system zeroing\" \"smaf-cma zeroing\" \"smaf-system create-to-usable\" \"smaf-cma create-to-usable\"\n");
	for (i = 0; i < json_get(z, "memset")->n; i++) {
		m = json_get(z, "memset")->items[i];
		json_num(json_get(m, "size"), &size);
		json_num(json_get(json_get(m, "bytes_per_s"), "median"), &v);
		fprintf(f, "\"%.0f MiB\" %.6g", size / (1 << 20), v / 1e9);
		for (k = 0; k < 4; k++) {
			const char *want = k % 2 ? "smaf-cma" : "smaf-system";
			const char *key = k < 2 ? "zero_bytes_per_s" :
				"create_to_usable_bytes_per_s";
			bool found = false;
			int j;

			for (j = 0; j < json_get(z, "allocators")->n; j++) {
				a = json_get(z, "allocators")->items[j];
				json_num(json_get(a, "size"), &sz);
				if (sz == size &&
				    !strcmp(json_str(json_get(a, "allocator"), ""), want) &&
				    json_num(json_get(a, key), &v)) {
					fprintf(f, " %.6g", v / 1e9);
					found = true;
					has[k + 1] = true;
				}
			}
			if (!found)
				fprintf(f, " ?");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/zeroing.gp", dir);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "set terminal png size 1100,560\n"
		"set output '%s/zeroing.png'\n"
		"set title \"7. memset bandwidth and SMAF's zeroing throughput\\n%s, kernel %s; missing bars: no counters\" noenhanced\n"
		"set datafile missing '?'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set grid ytics\n"
		"set yrange [0:*]\n"
		"set key outside right top noenhanced\n"
		"set ylabel 'GB/s (median)'\n",
		dir, json_str(json_get(d->root, "commit"), "?"),
		json_str(json_get(json_get(d->root, "kernel"), "release"), "?"));
	snprintf(path, sizeof(path), "%s/zeroing.dat", dir);
	plot_cmd(f, path, has, 5);
	fclose(f);
	snprintf(path, sizeof(path), "%s/zeroing.gp", dir);
	snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2>&1", path);
	if (system(cmd))
		fprintf(stderr, "smaf-bench: gnuplot failed on %s\n", path);
	else
		printf("plot: %s/zeroing.png\n", dir);
}

int bench_report(const char *path, const char *outdir)
{
	const struct json *ws, *w, *rows, *row, *c, *vm;
	int i, r, k, met = 0, missed = 0;
	const char *unit;
	bool memory;
	char n[32], buf[32];
	double v;
	struct doc d;

	if (!load(path, &d))
		return 1;
	vm = json_get(d.root, "vm");
	printf("\nSMAF benchmark (%s mode): commit %s, kernel %s\n",
	       json_str(json_get(d.root, "mode"), "?"),
	       json_str(json_get(d.root, "commit"), "?"),
	       json_str(json_get(json_get(d.root, "kernel"), "release"), "?"));
	printf("VM: %s; %d CPUs, %s, %s\n", json_str(json_get(vm, "shape"), "?"),
	       (int)(json_get(vm, "cpus") ? json_get(vm, "cpus")->num : 0),
	       json_str(json_get(vm, "mem_total"), "?"),
	       json_str(json_get(vm, "cpu_model"), "?"));
	printf("Under TCG only ratios are meaningful: every figure is from the same boot, and each SMAF\n"
	       "figure is followed by its ratio to %s (median/p90 of N runs; N printed).\n",
	       BENCH_BASELINE);
	for (k = 0; k < d.na; k++) {
		const struct json *a = json_get(d.root, "allocators")->items[k];

		printf("  %-12s %s%s\n", d.name[k], d.present[k] ? "" : "absent: ",
		       json_str(json_get(a, "detail"), ""));
	}
	ws = json_get(d.root, "workloads");
	for (i = 0; ws && i < ws->n; i++) {
		w = ws->items[i];
		unit = json_str(json_get(w, "unit"), "");
		memory = !strcmp(json_str(json_get(w, "id"), ""), "memory");
		printf("\n%s", json_str(json_get(w, "title"), "?"));
		if (memory && json_get(w, "count"))
			printf(" (COUNT=%d)", (int)json_get(w, "count")->num);
		printf("\n  (%s)\n", json_str(json_get(w, "what"), ""));
		print_header(&d);
		rows = json_get(w, "rows");
		for (r = 0; rows && r < rows->n; r++) {
			row = rows->items[r];
			if (memory) {
				snprintf(n, sizeof(n), "%d", (int)json_get(row, "n")->num);
			} else if (json_get(row, "iterations")->num > 1) {
				snprintf(n, sizeof(n), "%dx%d",
					 (int)json_get(row, "n")->num,
					 (int)json_get(row, "iterations")->num);
			} else {
				snprintf(n, sizeof(n), "%d", (int)json_get(row, "n")->num);
			}
			printf("  %-16s %-9s", json_str(json_get(row, "label"), "?"), n);
			for (k = 0; k < d.na; k++)
				print_cell(&d, row, k, unit, memory);
			printf("\n");
			if (!memory)
				continue;
			printf("  %-16s %-9s", "  own", "");
			for (k = 0; k < d.na; k++) {
				c = json_get(json_get(row, "results"), d.name[k]);
				if (json_num(json_get(c, "own"), &v)) {
					snprintf(buf, sizeof(buf), "%.0f", v);
					printf(" %-*s", CELL_W, buf);
				} else {
					printf(" %-*s", CELL_W, "-");
				}
			}
			printf("\n");
		}
		if (memory) {
			c = NULL;
			for (k = 0; k < d.na && rows && rows->n; k++) {
				c = json_get(json_get(rows->items[rows->n - 1], "results"),
					     d.name[k]);
				if (json_num(json_get(c, "core"), &v)) {
					printf("  dma-buf core per buffer (from udmabuf, less its 72 B of state): %.0f B\n", v);
					break;
				}
			}
		}
		if (outdir)
			plot(&d, w, outdir, memory);
	}
	print_zeroing(&d);
	if (outdir)
		plot_zeroing(&d, outdir);
	print_targets(&d, &met, &missed);
	printf("targets: %d met, %d missed\n", met, missed);
	json_free(d.root);
	return 0;
}
