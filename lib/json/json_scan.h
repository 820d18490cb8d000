/* Minimal JSON scanning for the small, flat documents NATS servers send (PubAcks, INFO).
 * lib/nats's PubAck and INFO parsers are built on it. DPDK-free, no allocation.
 *
 * A scanner walks a byte range [p, end) and never reads outside it. Each call returns 0 and
 * advances the cursor, or a negative code and leaves the cursor unspecified:
 *   -EPROTO  the bytes are not JSON of the expected kind (malformed, wrong type);
 *   -E2BIG   a string does not fit the caller's buffer;
 *   -ERANGE  a number does not fit the requested integer type.
 * Values the caller does not care about are skipped with json_scan_skip_value(), which still
 * checks that they are well-formed JSON, to a nesting depth of JSON_SCAN_DEPTH_MAX.
 */
#ifndef JW_JSON_SCAN_H
#define JW_JSON_SCAN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deepest nesting json_scan_skip_value() accepts; deeper documents are rejected (-EPROTO)
 * rather than recursing without bound. */
#define JSON_SCAN_DEPTH_MAX 32

struct json_scan {
	const char *p;   /* next byte to read */
	const char *end; /* one past the last byte */
};

static inline void
json_scan_ws(struct json_scan *j)
{
	while (j->p < j->end &&
	       (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Skips whitespace, then consumes byte c. -EPROTO when the next byte is something else. */
static inline int
json_scan_expect(struct json_scan *j, char c)
{
	json_scan_ws(j);
	if (j->p >= j->end || *j->p != c)
		return -EPROTO;
	j->p++;
	return 0;
}

/* Skips whitespace and returns the next byte without consuming it, or -1 at the end. */
static inline int
json_scan_peek(struct json_scan *j)
{
	json_scan_ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

/* Reads a JSON string (cursor on or before its opening quote, whitespace skipped) and
 * stores its decoded bytes (escapes resolved, \uXXXX as UTF-8) into dst[0..cap), NUL
 * terminated, with the decoded length in *out_len.
 * trunc == false: a string longer than cap-1 is -E2BIG. trunc == true: it is cut at cap-1
 * bytes (possibly inside a UTF-8 sequence) and *truncated is set.
 * dst may be NULL with cap 0 to only validate. Raw control bytes, bad escapes and lone
 * surrogates are -EPROTO. */
int json_scan_string(struct json_scan *j, char *dst, size_t cap, size_t *out_len, bool trunc,
		     bool *truncated);

/* Reads a JSON string and only returns the raw bytes between its quotes (escapes not
 * resolved) through raw and raw_len, and whether it contained a backslash. Used for keys. */
/* Byte classes for string scanning: 1 for '"', '\\' and control bytes, 0 otherwise. */
extern const unsigned char json_scan_special[256];

static inline int
json_scan_raw_string(struct json_scan *j, const char **raw, size_t *raw_len, bool *escaped)
{
	const char *p, *s, *end = j->end;
	bool esc = false;

	json_scan_ws(j);
	p = j->p;
	if (p >= end || *p != '"')
		return -EPROTO;
	s = ++p;
	for (;;) {
		unsigned char c;

		while (p < end && !json_scan_special[(unsigned char)*p])
			p++;
		if (p >= end)
			return -EPROTO;
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c != '\\')
			return -EPROTO; /* raw control byte */
		esc = true;
		if (end - p < 2)
			return -EPROTO;
		p += 2; /* the escaped byte is checked by json_scan_string when it matters */
	}
	*raw = s;
	*raw_len = (size_t)(p - s);
	*escaped = esc;
	j->p = p + 1;
	return 0;
}

/* Reads a non-negative JSON integer (no sign, fraction or exponent) into *v.
 * -EPROTO for anything else that is a number or not a number, -ERANGE above UINT64_MAX. */
static inline int
json_scan_u64(struct json_scan *j, uint64_t *v)
{
	uint64_t acc = 0;
	const char *p, *s, *end = j->end;

	json_scan_ws(j);
	p = s = j->p;
	/* 19 digits cannot overflow; a 20th is checked */
	while (p < end && (unsigned)(*p - '0') < 10 && p - s < 19)
		acc = acc * 10 + (unsigned)(*p++ - '0');
	if (p < end && (unsigned)(*p - '0') < 10) {
		unsigned d = (unsigned)(*p - '0');

		if (acc > (UINT64_MAX - d) / 10)
			return -ERANGE;
		acc = acc * 10 + d;
		p++;
		if (p < end && (unsigned)(*p - '0') < 10)
			return -ERANGE;
	}
	if (p == s || (p - s > 1 && *s == '0'))
		return -EPROTO;
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return -EPROTO;
	j->p = p;
	*v = acc;
	return 0;
}

/* Reads a JSON integer with optional minus sign into *v; -ERANGE outside int64_t. */
int json_scan_i64(struct json_scan *j, int64_t *v);

/* Reads true or false. -EPROTO for anything else (including null). */
int json_scan_bool(struct json_scan *j, bool *v);

/* Consumes the literal null if it comes next and returns true; otherwise consumes nothing. */
bool json_scan_null(struct json_scan *j);

/* Skips one well-formed JSON value of any type. */
int json_scan_skip_value(struct json_scan *j);

/* Reads the key of the next object member and its ':' separator, after '{' or ','.
 * Returns 1 with the raw key, 0 when the object closes ('}' consumed), or -EPROTO.
 * first: true right after '{' (then no ',' precedes the key). */
static inline int
json_scan_next_key(struct json_scan *j, bool first, const char **key, size_t *key_len,
		   bool *escaped)
{
	int c = json_scan_peek(j);

	if (c == '}') {
		j->p++;
		return 0;
	}
	if (!first) {
		if (c != ',')
			return -EPROTO;
		j->p++;
	}
	if (json_scan_raw_string(j, key, key_len, escaped) != 0)
		return -EPROTO;
	if (json_scan_expect(j, ':') != 0)
		return -EPROTO;
	return 1;
}

/* True when the raw key (unescaped) equals the NUL-terminated name. */
static inline bool
json_scan_key_is(const char *key, size_t key_len, bool escaped, const char *name, size_t name_len)
{
	return !escaped && key_len == name_len && memcmp(key, name, name_len) == 0;
}

#define JSON_SCAN_KEY_IS(k, kl, esc, lit) json_scan_key_is((k), (kl), (esc), lit, sizeof(lit) - 1)

/* Checks that only whitespace remains. */
static inline int
json_scan_end(struct json_scan *j)
{
	json_scan_ws(j);
	return j->p == j->end ? 0 : -EPROTO;
}

#endif /* JW_JSON_SCAN_H */
