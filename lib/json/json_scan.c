#include "json/json_unescape.h"
#include "json/json_scan.h"

#define CTL16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
const unsigned char json_scan_special[256] = {
	CTL16, CTL16, ['"'] = 1, ['\\'] = 1,
};

/* Appends byte c to dst at *n, within cap-1 (room for the NUL). Returns false when full. */
static inline bool
put(char *dst, size_t cap, size_t *n, char c)
{
	if (*n + 1 >= cap)
		return false;
	dst[(*n)++] = c;
	return true;
}

int
json_scan_string(struct json_scan *j, char *dst, size_t cap, size_t *out_len, bool trunc,
		 bool *truncated)
{
	size_t n = 0;
	bool cut = false;

	if (json_scan_expect(j, '"') != 0)
		return -EPROTO;
	while (j->p < j->end) {
		unsigned char c;
		char buf[4];
		size_t bl = 1;
		const char *run = j->p, *q = j->p, *end = j->end;

		/* plain bytes: copy the whole run at once */
		while (q < end && !json_scan_special[(unsigned char)*q])
			q++;
		j->p = q;
		if (q > run && !(cap == 0 && dst == NULL)) {
			size_t rl = (size_t)(q - run);
			size_t room = cap > n + 1 ? cap - n - 1 : 0;

			if (rl > room) {
				if (!trunc)
					return -E2BIG;
				cut = true;
				rl = room;
			}
			memcpy(dst + n, run, rl);
			n += rl;
		}
		if (j->p >= j->end)
			break;
		c = (unsigned char)*j->p++;

		if (c == '"') {
			if (cap > 0)
				dst[n] = '\0';
			if (out_len != NULL)
				*out_len = n;
			if (truncated != NULL)
				*truncated = cut;
			return 0;
		}
		if (c < 0x20)
			return -EPROTO;
		buf[0] = (char)c;
		if (c == '\\') {
			size_t used;
			int r = jw_json_unescape(j->p - 1, j->end, buf, &used);

			if (r < 0)
				return -EPROTO;
			bl = (size_t)r;
			j->p += used - 1;
		}
		for (size_t i = 0; i < bl; i++) {
			if (cap == 0 && dst == NULL)
				continue; /* validation only */
			if (!put(dst, cap, &n, buf[i])) {
				if (!trunc)
					return -E2BIG;
				cut = true;
			}
		}
	}
	return -EPROTO;
}

int
json_scan_i64(struct json_scan *j, int64_t *v)
{
	bool neg = false;
	uint64_t mag;
	int rc;

	json_scan_ws(j);
	if (j->p < j->end && *j->p == '-') {
		neg = true;
		j->p++;
		if (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
			return -EPROTO; /* "- 1" */
	}
	rc = json_scan_u64(j, &mag);
	if (rc != 0)
		return rc;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return -ERANGE;
		*v = (int64_t)mag;
	}
	return 0;
}

static bool
literal(struct json_scan *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

int
json_scan_bool(struct json_scan *j, bool *v)
{
	json_scan_ws(j);
	if (literal(j, "true", 4)) {
		*v = true;
		return 0;
	}
	if (literal(j, "false", 5)) {
		*v = false;
		return 0;
	}
	return -EPROTO;
}

bool
json_scan_null(struct json_scan *j)
{
	json_scan_ws(j);
	return literal(j, "null", 4);
}

/* Skips a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
skip_number(struct json_scan *j)
{
	const char *s;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	s = j->p;
	while (j->p < j->end && (unsigned)(*j->p - '0') < 10)
		j->p++;
	if (j->p == s || (j->p - s > 1 && *s == '0'))
		return -EPROTO;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		s = j->p;
		while (j->p < j->end && (unsigned)(*j->p - '0') < 10)
			j->p++;
		if (j->p == s)
			return -EPROTO;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		s = j->p;
		while (j->p < j->end && (unsigned)(*j->p - '0') < 10)
			j->p++;
		if (j->p == s)
			return -EPROTO;
	}
	return 0;
}

static int
skip_depth(struct json_scan *j, int depth)
{
	int c = json_scan_peek(j);
	const char *k;
	size_t kl;
	bool esc;

	if (depth > JSON_SCAN_DEPTH_MAX)
		return -EPROTO;
	switch (c) {
	case '"':
		return json_scan_raw_string(j, &k, &kl, &esc);
	case '{': {
		bool first = true;
		int rc;

		j->p++;
		while ((rc = json_scan_next_key(j, first, &k, &kl, &esc)) == 1) {
			first = false;
			if (skip_depth(j, depth + 1) != 0)
				return -EPROTO;
		}
		return rc;
	}
	case '[':
		j->p++;
		if (json_scan_peek(j) == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			if (skip_depth(j, depth + 1) != 0)
				return -EPROTO;
			c = json_scan_peek(j);
			if (c != ']' && c != ',')
				return -EPROTO;
			j->p++;
			if (c == ']')
				return 0;
		}
	case 't':
		return literal(j, "true", 4) ? 0 : -EPROTO;
	case 'f':
		return literal(j, "false", 5) ? 0 : -EPROTO;
	case 'n':
		return literal(j, "null", 4) ? 0 : -EPROTO;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return skip_number(j);
		return -EPROTO;
	}
}

int
json_scan_skip_value(struct json_scan *j)
{
	return skip_depth(j, 0);
}
