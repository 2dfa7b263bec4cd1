// SPDX-License-Identifier: GPL-2.0
/*
 * What smafctl reads from its command line and from the kernel's text
 * files: sizes, numbers, device names, "key=value" words, lines, and the
 * options of a command.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "libsmaf.h"
#include "smafctl.h"

/*
 * Parses a size: decimal digits and an optional K, M or G (powers of
 * 1024). Refuses anything else, 0 and overflow. Returns 0 or -EINVAL.
 */
int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1ULL << 10;
		break;
	case 'M': case 'm':
		mult = 1ULL << 20;
		break;
	case 'G': case 'g':
		mult = 1ULL << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1])
		return -EINVAL;
	if (!v || v > ULLONG_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* Parses a decimal int in [@min, @max]. Returns 0 or -EINVAL. */
int parse_int(const char *s, int min, int max, int *out)
{
	long long v = 0;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > max)
			return -EINVAL;
	}
	if (*p || v < min)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Whether @s is decimal digits only (and not empty). */
bool parse_is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Length of "key" when @tok starts with "key=" ([a-z_]+), else 0. */
static size_t parse_key_len(const char *tok)
{
	size_t n = 0;

	while ((tok[n] >= 'a' && tok[n] <= 'z') || tok[n] == '_')
		n++;
	return n && tok[n] == '=' ? n : 0;
}

/*
 * Which of @keys the word @tok, "key=value", gives a value to: its index
 * (the value is after the '='), @nkeys for another key, or -1 when @tok
 * is not "key=...".
 */
int parse_key(const char *tok, const char *const keys[], int nkeys)
{
	size_t n = parse_key_len(tok);
	int k;

	if (!n)
		return -1;
	for (k = 0; k < nkeys; k++)
		if (strlen(keys[k]) == n && !strncmp(tok, keys[k], n))
			break;
	return k;
}

/*
 * The next line of a text being walked, cut off in place at its newline
 * (*@cur moves past it); NULL at the end of the text.
 */
char *parse_line(char **cur)
{
	char *line = *cur, *nl;

	if (!*line)
		return NULL;
	nl = strchrnul(line, '\n');
	*cur = *nl ? nl + 1 : nl;
	*nl = '\0';
	return line;
}

/*
 * Resolves a device argument ("bus:device", device node, sysfs path) to
 * its "bus:device" name; prints the error. 0 or EXIT_OPERR.
 */
int parse_device(const char *arg, char *name, size_t len)
{
	int ret = smaf_resolve_device(arg, name, len);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		return msg_op_err(ret, "'%s': no such device", arg);
	case -ENODEV:
		return msg_op_err(ret, "'%s' is not a device on a bus", arg);
	case -ENAMETOOLONG:
		return msg_op_err(ret, "'%s': device name too long", arg);
	default:
		return msg_op_err(ret, "cannot resolve '%s'", arg);
	}
}

/*
 * getopt_long() for a command: reports unknown options and missing
 * arguments as usage errors. Returns the option, -1 at the end, or
 * -EXIT_USAGE after printing the error.
 */
int parse_opt(int argc, char **argv, const char *optstring,
	      const struct option *opts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, opts, NULL);
	if (c == '?') {
		if (optopt)
			msg_usage_err("unknown option '-%c'", optopt);
		else
			msg_usage_err("unknown option '%s'", argv[optind - 1]);
		return -EXIT_USAGE;
	}
	if (c == ':') {
		msg_usage_err("option '%s' needs an argument",
			      argv[optind - 1]);
		return -EXIT_USAGE;
	}
	return c;
}

/*
 * Parses the options of a command that has only --json and --help, and
 * checks that it got between @min and @max arguments. Returns the index
 * of the first argument, or -1 when --help was shown (exit 0), or
 * -EXIT_USAGE.
 */
int parse_opts(int argc, char **argv, int min, int max)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, nargs;

	optind = 0;
	while ((c = parse_opt(argc, argv, "+:h", opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'h') {
			fputs(smafctl_cmd->help, stdout);
			return -1;
		}
		smafctl_json = true;
	}
	nargs = argc - optind;
	if (nargs > max) {
		msg_usage_err("unexpected argument '%s'", argv[optind + max]);
		return -EXIT_USAGE;
	}
	if (nargs < min) {
		msg_usage_err("missing argument");
		return -EXIT_USAGE;
	}
	return optind;
}

/* parse_opts()'s result as an exit status, when it is one. */
int parse_opts_exit(int ret)
{
	return ret == -1 ? 0 : -ret;
}
