/* lib/json: a small JSON tree reader and writer for jwstat (DPDK-free; lib/nats reads with
 * the allocation-free scanner of json_scan.h; both decode strings with json_unescape.h).
 *
 * Parses one JSON value (RFC 8259) into a tree; rejects trailing bytes, nesting deeper than
 * JW_JSON_MAX_DEPTH, unterminated strings, bad escapes, control characters in strings and
 * malformed numbers. Numbers keep their source text so integers round-trip exactly.
 * Strings are decoded; \u escapes are decoded to UTF-8 (surrogate pairs joined; a lone
 * surrogate is rejected). Pure functions: any thread, on its own trees.
 */
#ifndef JW_JSON_TREE_H
#define JW_JSON_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_JSON_MAX_DEPTH 32

enum jw_json_type {
	JW_JSON_NULL,
	JW_JSON_FALSE,
	JW_JSON_TRUE,
	JW_JSON_NUMBER,
	JW_JSON_STRING,
	JW_JSON_ARRAY,
	JW_JSON_OBJECT,
};

struct jw_json {
	enum jw_json_type type;
	char *key;   /* member name inside an object, else NULL */
	char *str;   /* STRING: decoded text; NUMBER: source text */
	double num;  /* NUMBER */
	struct jw_json *child; /* ARRAY / OBJECT: first element */
	struct jw_json *next;  /* next sibling */
};

/* Parse text[0..len). Returns the tree, or NULL with a one-line reason in err. */
struct jw_json *jw_json_parse(const char *text, size_t len, char *err, size_t errlen);

void jw_json_free(struct jw_json *j);

/* Member `key` of object j (NULL when j is not an object or has no such member). */
const struct jw_json *jw_json_get(const struct jw_json *j, const char *key);

/* NUMBER j as an unsigned integer: its exact value when the text is a non-negative
 * integer below 2^64, else dflt (also for non-numbers and NULL). */
uint64_t jw_json_u64(const struct jw_json *j, uint64_t dflt);

/* STRING j's text, or dflt. */
const char *jw_json_str(const struct jw_json *j, const char *dflt);

/* Write j as compact JSON (strings escaped). */
void jw_json_write(FILE *f, const struct jw_json *j);

/* Write s as a JSON string literal with quotes. */
void jw_json_write_string(FILE *f, const char *s);

#endif /* JW_JSON_TREE_H */
