#include <errno.h>
#include <string.h>

#include "json/json_scan.h"
#include "nats/nats_puback.h"

static int
i32_member(struct json_scan *j, int32_t *dst)
{
	int64_t v;
	int rc;

	if (json_scan_null(j)) {
		*dst = 0;
		return 0;
	}
	rc = json_scan_i64(j, &v);
	if (rc != 0)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*dst = (int32_t)v;
	return 0;
}

static int
parse_error_object(struct json_scan *j, struct nats_puback *out)
{
	const char *k;
	size_t kl, n;
	bool esc, first = true;
	int rc;

	out->is_error = true;
	out->code = 0;
	out->err_code = 0;
	out->desc_len = 0;
	out->description[0] = '\0';
	out->desc_truncated = false;
	if (json_scan_null(j))
		return 0; /* "error": null: treated as an error without details */
	if (json_scan_expect(j, '{') != 0)
		return -EPROTO;
	while ((rc = json_scan_next_key(j, first, &k, &kl, &esc)) == 1) {
		first = false;
		if (JSON_SCAN_KEY_IS(k, kl, esc, "code"))
			rc = i32_member(j, &out->code);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "err_code"))
			rc = i32_member(j, &out->err_code);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "description")) {
			if (json_scan_null(j)) {
				out->desc_len = 0;
				out->description[0] = '\0';
				rc = 0;
			} else {
				rc = json_scan_string(j, out->description, sizeof(out->description),
						      &n, true, &out->desc_truncated);
				out->desc_len = (uint16_t)n;
			}
		} else
			rc = json_scan_skip_value(j);
		if (rc != 0)
			return rc;
	}
	return rc;
}

static int
name_member(struct json_scan *j, char *dst, size_t cap, uint16_t *len)
{
	size_t n;
	int rc;

	if (json_scan_null(j)) {
		*len = 0;
		dst[0] = '\0';
		return 0;
	}
	rc = json_scan_string(j, dst, cap, &n, false, NULL);
	if (rc == 0)
		*len = (uint16_t)n;
	return rc;
}

static inline const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Matches literal lit (n bytes) at p after whitespace; returns the byte after it or NULL. */
static inline const char *
lit(const char *p, const char *end, const char *l, size_t n)
{
	p = ws(p, end);
	if ((size_t)(end - p) < n || memcmp(p, l, n) != 0)
		return NULL;
	return p + n;
}

/* The form nats-server sends for a success, with any whitespace:
 *   {"stream":"<plain name>","seq":<digits>[,"duplicate":true|false]}
 * Returns 0 with *out filled, or 1 when the input has any other shape (then the general
 * parser decides, so this path only needs to be exact for what it accepts). */
static int
fast_ack(const char *p, const char *end, struct nats_puback *out)
{
	const char *s;
	uint64_t seq = 0;
	size_t nd;

	if ((p = lit(p, end, "{", 1)) == NULL || (p = lit(p, end, "\"stream\"", 8)) == NULL ||
	    (p = lit(p, end, ":", 1)) == NULL || (p = lit(p, end, "\"", 1)) == NULL)
		return 1;
	s = p;
	while (p < end && !json_scan_special[(unsigned char)*p])
		p++;
	if (p >= end || *p != '"' || p == s || (size_t)(p - s) > NATS_PUBACK_STREAM_MAX)
		return 1;
	memcpy(out->stream, s, (size_t)(p - s));
	out->stream[p - s] = '\0';
	out->stream_len = (uint16_t)(p - s);
	p++;
	if ((p = lit(p, end, ",", 1)) == NULL || (p = lit(p, end, "\"seq\"", 5)) == NULL ||
	    (p = lit(p, end, ":", 1)) == NULL)
		return 1;
	p = ws(p, end);
	s = p;
	while (p < end && (unsigned)(*p - '0') < 10 && p - s < 19)
		seq = seq * 10 + (unsigned)(*p++ - '0');
	nd = (size_t)(p - s);
	if (nd == 0 || (nd > 1 && *s == '0') || (p < end && (unsigned)(*p - '0') < 10))
		return 1;
	out->seq = seq;
	p = ws(p, end);
	if (p < end && *p == ',') {
		if ((p = lit(p + 1, end, "\"duplicate\"", 11)) == NULL ||
		    (p = lit(p, end, ":", 1)) == NULL)
			return 1;
		p = ws(p, end);
		if ((size_t)(end - p) >= 4 && memcmp(p, "true", 4) == 0) {
			out->duplicate = true;
			p += 4;
		} else if ((size_t)(end - p) >= 5 && memcmp(p, "false", 5) == 0) {
			p += 5;
		} else {
			return 1;
		}
	}
	if ((p = lit(p, end, "}", 1)) == NULL || ws(p, end) != end)
		return 1;
	return 0;
}

static void
puback_clear(struct nats_puback *out)
{
	out->is_error = false;
	out->duplicate = false;
	out->desc_truncated = false;
	out->seq = 0;
	out->code = 0;
	out->err_code = 0;
	out->stream_len = 0;
	out->domain_len = 0;
	out->desc_len = 0;
	out->stream[0] = '\0';
	out->domain[0] = '\0';
	out->description[0] = '\0';
}

int
nats_puback_parse(const char *json, size_t len, struct nats_puback *out)
{
	if (json == NULL || out == NULL)
		return -EPROTO;
	puback_clear(out);
	if (fast_ack(json, json + len, out) == 0)
		return 0;
	return nats_puback_parse_general(json, len, out);
}

int
nats_puback_parse_general(const char *json, size_t len, struct nats_puback *out)
{
	struct json_scan j = { json, json + len };
	const char *k;
	size_t kl;
	bool esc, first = true, have_seq = false;
	int rc;

	if (json == NULL || out == NULL)
		return -EPROTO;
	puback_clear(out);
	if (json_scan_expect(&j, '{') != 0)
		return -EPROTO;
	while ((rc = json_scan_next_key(&j, first, &k, &kl, &esc)) == 1) {
		first = false;
		switch (kl) {
		case 3:
			if (JSON_SCAN_KEY_IS(k, kl, esc, "seq")) {
				if (json_scan_null(&j)) {
					have_seq = false;
					continue;
				}
				rc = json_scan_u64(&j, &out->seq);
				have_seq = rc == 0;
				goto next;
			}
			break;
		case 5:
			if (JSON_SCAN_KEY_IS(k, kl, esc, "error")) {
				rc = parse_error_object(&j, out);
				goto next;
			}
			break;
		case 6:
			if (JSON_SCAN_KEY_IS(k, kl, esc, "stream")) {
				rc = name_member(&j, out->stream, sizeof(out->stream),
						 &out->stream_len);
				goto next;
			}
			if (JSON_SCAN_KEY_IS(k, kl, esc, "domain")) {
				rc = name_member(&j, out->domain, sizeof(out->domain),
						 &out->domain_len);
				goto next;
			}
			break;
		case 9:
			if (JSON_SCAN_KEY_IS(k, kl, esc, "duplicate")) {
				if (json_scan_null(&j)) {
					out->duplicate = false;
					continue;
				}
				rc = json_scan_bool(&j, &out->duplicate);
				goto next;
			}
			break;
		default:
			break;
		}
		rc = json_scan_skip_value(&j);
next:
		if (rc != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	if (json_scan_end(&j) != 0)
		return -EPROTO;
	if (out->is_error)
		return 0;
	if (out->stream_len == 0 || !have_seq)
		return -EPROTO;
	return 0;
}
