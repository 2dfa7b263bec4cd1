/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of smafctl share: the commands, the global options, and
 * the helpers (messages, files, parsing, JSON and tables). What a file
 * gives the others carries its name as a prefix (msg_ for msg.c, ...).
 */
#ifndef SMAFCTL_H
#define SMAFCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EXIT_OPERR		1
#define EXIT_USAGE		2

#define SMAF_NODE		"/dev/smaf"
#define DEBUGFS_DIR		"/sys/kernel/debug"

/* The dma-buf name limit (DMA_BUF_NAME_LEN), NUL included. */
#define LABEL_LEN		32
/* Room for one number as text. */
#define NUM_LEN			32

struct option;

/**
 * struct smafctl_cmd - a subcommand, defined in its own file
 * @name: what selects it, "smafctl NAME ..."
 * @summary: its line in smafctl --help
 * @help: its own help ("smafctl NAME --help")
 * @run: runs it on argv[0] = @name and its arguments; the exit status
 */
struct smafctl_cmd {
	const char *name;
	const char *summary;
	const char *help;
	int (*run)(int argc, char **argv);
};

/* The commands, one file each: allocators.c, ... */
extern const struct smafctl_cmd allocators_cmd;
extern const struct smafctl_cmd buffers_cmd;
extern const struct smafctl_cmd constraints_cmd;
extern const struct smafctl_cmd create_cmd;
extern const struct smafctl_cmd info_cmd;
extern const struct smafctl_cmd quarantine_cmd;
extern const struct smafctl_cmd help_cmd;

/* smafctl.c: the global options and the command table. */
extern bool smafctl_json;			/* --json */
extern const struct smafctl_cmd *smafctl_cmd;	/* the command running */

void smafctl_help(FILE *f);
const struct smafctl_cmd *smafctl_find(const char *name);

/* msg.c: messages, with the exit status to return. */
int msg_usage_err(const char *fmt, ...) __attribute__
	((format(printf, 1, 2)));
int msg_op_err(int err, const char *fmt, ...) __attribute__
	((format(printf, 2, 3)));
int msg_debugfs_err(int err, const char *path);

/* file.c: /dev/smaf and the text files of sysfs, debugfs and procfs. */
int file_open_smaf(void);
int file_read(const char *path, char **out);
int file_write(const char *path, const char *text);

/* parse.c: numbers, names, lines and options. */
int parse_size(const char *s, unsigned long long *out);
int parse_int(const char *s, int min, int max, int *out);
bool parse_is_number(const char *s);
int parse_key(const char *tok, const char *const keys[], int nkeys);
char *parse_line(char **cur);
int parse_device(const char *arg, char *name, size_t len);
int parse_opt(int argc, char **argv, const char *optstring,
	      const struct option *opts);
int parse_opts(int argc, char **argv, int min, int max);
int parse_opts_exit(int ret);

/* info.c: a buffer's info, as create prints it too. */
struct smaf_buffer_info;
void info_print(int fd, const struct smaf_buffer_info *bi);

/* json.c: JSON values on stdout. */
void json_str(const char *s);
void json_str_or_null(const char *s, const char *none);

/*
 * What a value of a text line is in JSON: a number (a string when it is
 * not one), a string (null when absent or "none"), a flag (true when
 * "1"), or a list ("a,b" as ["a","b"], "-" as []).
 */
enum json_kind { JSON_NUMBER, JSON_STRING, JSON_FLAG, JSON_LIST };

/**
 * struct json_member - how json_object() prints a value of a text line
 * @name: its name in the object
 * @kind: what it is in JSON
 * @none: for a JSON_STRING, the text that means null ("" or "-")
 */
struct json_member {
	const char *name;
	enum json_kind kind;
	const char *none;
};

void json_object(const struct json_member *members, char *const val[],
		 int n);

/* table.c: tables on stdout. */
#define TABLE_MAX_COLS		16

/**
 * struct table - rows of strings, printed in aligned columns
 * @ncols: columns, added by table_col()
 * @head: column headings
 * @right: right-aligned columns
 * @cells: @nrows * @ncols strdup()ed strings, added by table_row()
 * @nrows: rows added
 * @cap: rows @cells has room for
 * @oom: a row could not be added; table_print() fails
 */
struct table {
	unsigned int ncols;
	const char *head[TABLE_MAX_COLS];
	bool right[TABLE_MAX_COLS];
	char **cells;
	size_t nrows, cap;
	bool oom;
};

void table_col(struct table *t, const char *head, bool right);
void table_row(struct table *t, ...);
void table_free(struct table *t);
int table_print(struct table *t);
const char *table_size(unsigned long long v, char *buf, size_t len);
const char *table_size_text(const char *s, char *buf, size_t len);

#endif /* SMAFCTL_H */
