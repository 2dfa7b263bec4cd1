// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON reader of smaf-bench: a recursive descent parser into a tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH	64

struct parser {
	const char *s;
	size_t pos;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *p, const char *what)
{
	if (!p->failed)
		snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
	p->failed = true;
}

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	       p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
		p->pos++;
}

static struct json *new_val(enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = t;
	return j;
}

static int push(struct json *j, char *key, struct json *item)
{
	struct json **items;
	char **keys;

	items = realloc(j->items, (j->n + 1) * sizeof(*items));
	if (!items)
		return -1;
	j->items = items;
	if (j->type == J_OBJ) {
		keys = realloc(j->keys, (j->n + 1) * sizeof(*keys));
		if (!keys)
			return -1;
		j->keys = keys;
		j->keys[j->n] = key;
	}
	j->items[j->n++] = item;
	return 0;
}

static char *parse_string(struct parser *p)
{
	size_t cap = 16, len = 0;
	char *out, *tmp;
	unsigned int u;
	char c;

	if (p->s[p->pos] != '"') {
		fail(p, "string expected");
		return NULL;
	}
	p->pos++;
	out = malloc(cap);
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	for (;;) {
		c = p->s[p->pos];
		if (c == '\0' || (unsigned char)c < 0x20) {
			fail(p, "unterminated string or control character");
			free(out);
			return NULL;
		}
		p->pos++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = p->s[p->pos++];
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (sscanf(p->s + p->pos, "%4x", &u) != 1 ||
				    strspn(p->s + p->pos,
					   "0123456789abcdefABCDEF") < 4) {
					fail(p, "bad \\u escape");
					free(out);
					return NULL;
				}
				p->pos += 4;
				c = u < 0x80 ? (char)u : '?';
				break;
			default:
				fail(p, "bad escape");
				free(out);
				return NULL;
			}
		}
		if (len + 2 > cap) {
			cap *= 2;
			tmp = realloc(out, cap);
			if (!tmp) {
				free(out);
				fail(p, "out of memory");
				return NULL;
			}
			out = tmp;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	return out;
}

static struct json *parse_value(struct parser *p, int depth);

static struct json *parse_container(struct parser *p, int depth, bool obj)
{
	struct json *j = new_val(obj ? J_OBJ : J_ARR), *item;
	char close = obj ? '}' : ']';
	char *key = NULL;

	if (!j) {
		fail(p, "out of memory");
		return NULL;
	}
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == close) {
		p->pos++;
		return j;
	}
	for (;;) {
		skip_ws(p);
		if (obj) {
			key = parse_string(p);
			if (!key)
				goto err;
			skip_ws(p);
			if (p->s[p->pos] != ':') {
				fail(p, "':' expected");
				goto err;
			}
			p->pos++;
		}
		item = parse_value(p, depth + 1);
		if (!item)
			goto err;
		if (push(j, key, item)) {
			json_free(item);
			fail(p, "out of memory");
			goto err;
		}
		key = NULL;
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == close) {
			p->pos++;
			return j;
		}
		fail(p, obj ? "',' or '}' expected" : "',' or ']' expected");
		goto err;
	}
err:
	free(key);
	json_free(j);
	return NULL;
}

static struct json *parse_number(struct parser *p)
{
	const char *start = p->s + p->pos, *q = start;
	struct json *j;
	char *end;

	/* The grammar first (strtod accepts more: hex, inf, nan). */
	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (*q >= '0' && *q <= '9')
			q++;
	else
		goto bad;
	if (*q == '.') {
		q++;
		if (!(*q >= '0' && *q <= '9'))
			goto bad;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			goto bad;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	j = new_val(J_NUM);
	if (!j) {
		fail(p, "out of memory");
		return NULL;
	}
	j->num = strtod(start, &end);
	if (end != q) {
		json_free(j);
		goto bad;
	}
	p->pos += (size_t)(q - start);
	return j;
bad:
	fail(p, "bad number");
	return NULL;
}

static struct json *parse_word(struct parser *p, const char *word,
			       enum json_type t, bool b)
{
	struct json *j;

	if (strncmp(p->s + p->pos, word, strlen(word))) {
		fail(p, "unexpected character");
		return NULL;
	}
	p->pos += strlen(word);
	j = new_val(t);
	if (!j) {
		fail(p, "out of memory");
		return NULL;
	}
	j->b = b;
	return j;
}

static struct json *parse_value(struct parser *p, int depth)
{
	struct json *j;
	char c;

	if (depth > JSON_MAX_DEPTH) {
		fail(p, "nested too deep");
		return NULL;
	}
	skip_ws(p);
	c = p->s[p->pos];
	switch (c) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		j = new_val(J_STR);
		if (!j) {
			fail(p, "out of memory");
			return NULL;
		}
		j->str = parse_string(p);
		if (!j->str) {
			free(j);
			return NULL;
		}
		return j;
	case 't':
		return parse_word(p, "true", J_BOOL, true);
	case 'f':
		return parse_word(p, "false", J_BOOL, false);
	case 'n':
		return parse_word(p, "null", J_NULL, false);
	case '\0':
		fail(p, "unexpected end of input");
		return NULL;
	default:
		return parse_number(p);
	}
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
	struct parser p = { .s = text, .err = err, .errlen = errlen };
	struct json *j;

	if (errlen)
		err[0] = '\0';
	j = parse_value(&p, 0);
	if (!j)
		return NULL;
	skip_ws(&p);
	if (p.s[p.pos] != '\0') {
		fail(&p, "trailing characters");
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	int i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

struct json *json_get(const struct json *o, const char *key)
{
	int i;

	if (!o || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

const char *json_str(const struct json *j, const char *dflt)
{
	return j && j->type == J_STR ? j->str : dflt;
}

bool json_num(const struct json *j, double *out)
{
	if (!j || j->type != J_NUM)
		return false;
	*out = j->num;
	return true;
}

char *read_file(const char *path)
{
	size_t len = 0, cap = 65536, got;
	char *buf = malloc(cap), *tmp;
	FILE *f = fopen(path, "re");
	int saved;

	if (!f || !buf) {
		saved = errno;
		free(buf);
		if (f)
			fclose(f);
		errno = saved;
		return NULL;
	}
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 2) {
			cap *= 2;
			tmp = realloc(buf, cap);
			if (!tmp) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = tmp;
		}
	}
	buf[len] = '\0';
	fclose(f);
	if (memchr(buf, '\0', len)) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}
