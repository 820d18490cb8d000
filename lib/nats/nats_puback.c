#include <errno.h>

#include "nats/nats_json.h"
#include "nats/nats_puback.h"

static int
i32_member(struct nats_json *j, int32_t *dst)
{
	int64_t v;
	int rc;

	if (nats_json_null(j)) {
		*dst = 0;
		return 0;
	}
	rc = nats_json_i64(j, &v);
	if (rc != 0)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*dst = (int32_t)v;
	return 0;
}

static int
parse_error_object(struct nats_json *j, struct nats_puback *out)
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
	if (nats_json_null(j))
		return 0; /* "error": null: treated as an error without details */
	if (nats_json_expect(j, '{') != 0)
		return -EPROTO;
	while ((rc = nats_json_next_key(j, first, &k, &kl, &esc)) == 1) {
		first = false;
		if (NATS_JSON_KEY_IS(k, kl, esc, "code"))
			rc = i32_member(j, &out->code);
		else if (NATS_JSON_KEY_IS(k, kl, esc, "err_code"))
			rc = i32_member(j, &out->err_code);
		else if (NATS_JSON_KEY_IS(k, kl, esc, "description")) {
			if (nats_json_null(j)) {
				out->desc_len = 0;
				out->description[0] = '\0';
				rc = 0;
			} else {
				rc = nats_json_string(j, out->description, sizeof(out->description),
						      &n, true, &out->desc_truncated);
				out->desc_len = (uint16_t)n;
			}
		} else
			rc = nats_json_skip_value(j);
		if (rc != 0)
			return rc;
	}
	return rc;
}

static int
name_member(struct nats_json *j, char *dst, size_t cap, uint16_t *len)
{
	size_t n;
	int rc;

	if (nats_json_null(j)) {
		*len = 0;
		dst[0] = '\0';
		return 0;
	}
	rc = nats_json_string(j, dst, cap, &n, false, NULL);
	if (rc == 0)
		*len = (uint16_t)n;
	return rc;
}

int
nats_puback_parse(const char *json, size_t len, struct nats_puback *out)
{
	struct nats_json j = { json, json + len };
	const char *k;
	size_t kl;
	bool esc, first = true, have_seq = false;
	int rc;

	if (json == NULL || out == NULL)
		return -EPROTO;
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

	if (nats_json_expect(&j, '{') != 0)
		return -EPROTO;
	while ((rc = nats_json_next_key(&j, first, &k, &kl, &esc)) == 1) {
		first = false;
		switch (kl) {
		case 3:
			if (NATS_JSON_KEY_IS(k, kl, esc, "seq")) {
				if (nats_json_null(&j)) {
					have_seq = false;
					continue;
				}
				rc = nats_json_u64(&j, &out->seq);
				have_seq = rc == 0;
				goto next;
			}
			break;
		case 5:
			if (NATS_JSON_KEY_IS(k, kl, esc, "error")) {
				rc = parse_error_object(&j, out);
				goto next;
			}
			break;
		case 6:
			if (NATS_JSON_KEY_IS(k, kl, esc, "stream")) {
				rc = name_member(&j, out->stream, sizeof(out->stream),
						 &out->stream_len);
				goto next;
			}
			if (NATS_JSON_KEY_IS(k, kl, esc, "domain")) {
				rc = name_member(&j, out->domain, sizeof(out->domain),
						 &out->domain_len);
				goto next;
			}
			break;
		case 9:
			if (NATS_JSON_KEY_IS(k, kl, esc, "duplicate")) {
				if (nats_json_null(&j)) {
					out->duplicate = false;
					continue;
				}
				rc = nats_json_bool(&j, &out->duplicate);
				goto next;
			}
			break;
		default:
			break;
		}
		rc = nats_json_skip_value(&j);
next:
		if (rc != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	if (nats_json_end(&j) != 0)
		return -EPROTO;
	if (out->is_error)
		return 0;
	if (out->stream_len == 0 || !have_seq)
		return -EPROTO;
	return 0;
}
