// SPDX-License-Identifier: GPL-2.0
/*
 * Tables on stdout, for people: a header line and rows, in columns two
 * spaces apart; sizes in powers of 1024.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smafctl.h"

/* Formats @v as "512B", "4.0K", "1.0M", "2.5G" (powers of 1024). */
const char *table_size(unsigned long long v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int i = -1;

	if (v < 1024) {
		snprintf(buf, len, "%lluB", v);
		return buf;
	}
	while ((d >= 1024 || (i >= 0 && d >= 1023.95)) && i < 5) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f%c", d, units[i]);
	return buf;
}

/* A size in bytes in the kernel's text, @s, as table_size(); else "?". */
const char *table_size_text(const char *s, char *buf, size_t len)
{
	if (s && parse_is_number(s))
		return table_size(strtoull(s, NULL, 10), buf, len);
	snprintf(buf, len, "?");
	return buf;
}

void table_col(struct table *t, const char *head, bool right)
{
	if (t->ncols < TABLE_MAX_COLS) {
		t->head[t->ncols] = head;
		t->right[t->ncols++] = right;
	}
}

/* Adds one row of t->ncols strings (NULL prints as "-"). */
void table_row(struct table *t, ...)
{
	unsigned int i;
	char **cells;
	va_list ap;

	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		cells = reallocarray(t->cells, cap * t->ncols, sizeof(*cells));
		if (!cells) {
			t->oom = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	cells = t->cells + t->nrows * t->ncols;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		cells[i] = strdup(s ? s : "-");
		if (!cells[i])
			t->oom = true;
	}
	va_end(ap);
	t->nrows++;
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
	t->cap = 0;
}

/* Prints the header and rows, columns two spaces apart. */
int table_print(struct table *t)
{
	size_t w[TABLE_MAX_COLS], r, len;
	unsigned int c;

	if (t->oom)
		return msg_op_err(ENOMEM, "out of memory");
	for (c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (r = 0; r < t->nrows; r++) {
			len = strlen(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] :
				t->head[c];
			int pad = (int)w[c];
			bool last = c + 1 == t->ncols;

			if (c)
				fputs("  ", stdout);
			if (t->right[c])
				printf("%*s", pad, s);
			else if (last)
				fputs(s, stdout);
			else
				printf("%-*s", pad, s);
		}
		putchar('\n');
	}
	return 0;
}
