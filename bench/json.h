/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON reader for smaf-bench's own results (RFC 8259 values; \u
 * escapes outside ASCII are kept as '?'). It is enough to validate the file
 * in the guest (busybox has no JSON tool) and to render it on the host.
 */
#ifndef SMAF_BENCH_JSON_H
#define SMAF_BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
	enum json_type type;
	bool b;
	double num;
	char *str;
	int n;			/* items of an array or object */
	struct json **items;
	char **keys;		/* object only */
};

/*
 * Parses @text; NULL on a syntax error, with a message (and the byte
 * offset) in @err.
 */
struct json *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct json *j);

/* Member @key of object @o, or NULL (also when @o is not an object). */
struct json *json_get(const struct json *o, const char *key);
/* The string of @j, or @dflt when @j is not a string. */
const char *json_str(const struct json *j, const char *dflt);
/* The number of @j; false when @j is not a number. */
bool json_num(const struct json *j, double *out);

/* Reads a whole file; NULL with errno set on failure. */
char *read_file(const char *path);

#endif /* SMAF_BENCH_JSON_H */
