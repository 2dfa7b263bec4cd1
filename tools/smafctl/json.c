// SPDX-License-Identifier: GPL-2.0
/*
 * JSON values on stdout, for --json: strings (valid UTF-8 whatever the
 * kernel's text holds), null, numbers, lists of device names, and objects
 * of the values of a kernel text line.
 */
#include <stdio.h>
#include <string.h>

#include "smafctl.h"

/* Length of the valid UTF-8 sequence at @s, or 0. */
static int json_utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Prints @s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	putchar('"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", stdout);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", stdout);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else if (*p < 0x80) {
			putchar(*p++);
		} else {
			n = json_utf8_len(p);
			if (n)
				fwrite(p, 1, (size_t)n, stdout);
			else
				fputs("\\ufffd", stdout);
			p += n ? n : 1;
		}
	}
	putchar('"');
}

/* A string, or null when it is @none ("-"). */
void json_str_or_null(const char *s, const char *none)
{
	if (!s || !strcmp(s, none))
		fputs("null", stdout);
	else
		json_str(s);
}

/* A number when @s is one, else a string. */
static void json_num_str(const char *s)
{
	if (s && parse_is_number(s))
		fputs(s, stdout);
	else
		json_str_or_null(s, "");
}

/* "a,b,c" as ["a","b","c"]; "-" as []. */
static void json_list(const char *s)
{
	const char *p = s, *end;
	bool first = true;

	putchar('[');
	while (s && strcmp(s, "-") && *p) {
		end = strchrnul(p, ',');
		printf("%s\"", first ? "" : ",");
		first = false;
		/* Device names: printable ASCII without quotes. */
		for (; p < end; p++) {
			if (*p == '"' || *p == '\\' || *p < 0x20 || *p > 0x7e)
				printf("\\u%04x", (unsigned char)*p);
			else
				putchar(*p);
		}
		putchar('"');
		if (*p)
			p++;
	}
	putchar(']');
}

/*
 * Prints {"name":value,...}: @n values of a kernel text line (NULL when
 * the line lacks one), each as @members says.
 */
void json_object(const struct json_member *members, char *const val[],
		 int n)
{
	const struct json_member *m;
	int i;

	for (i = 0; i < n; i++) {
		m = &members[i];
		printf("%s\"%s\":", i ? "," : "{", m->name);
		switch (m->kind) {
		case JSON_NUMBER:
			json_num_str(val[i]);
			break;
		case JSON_STRING:
			json_str_or_null(val[i], m->none);
			break;
		case JSON_FLAG:
			fputs(val[i] && !strcmp(val[i], "1") ? "true" : "false",
			      stdout);
			break;
		case JSON_LIST:
			json_list(val[i]);
			break;
		}
	}
	putchar('}');
}
