/* INFO JSON -> struct nats_info (see nats_parser.h). */
#include <errno.h>
#include <string.h>

#include "json/json_scan.h"
#include "nats/nats_parser.h"

static int
str_member(struct json_scan *j, char *dst)
{
	if (json_scan_null(j)) {
		dst[0] = '\0';
		return 0;
	}
	return json_scan_string(j, dst, NATS_INFO_STR_MAX, NULL, false, NULL);
}

static int
bool_member(struct json_scan *j, bool *dst)
{
	if (json_scan_null(j)) {
		*dst = false;
		return 0;
	}
	return json_scan_bool(j, dst);
}

static int
urls_member(struct json_scan *j, struct nats_info *out)
{
	out->n_connect_urls = 0;
	out->connect_urls_total = 0;
	if (json_scan_null(j))
		return 0;
	if (json_scan_expect(j, '[') != 0)
		return -EPROTO;
	if (json_scan_peek(j) == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		int rc, c;

		if (out->n_connect_urls < NATS_INFO_URLS_MAX) {
			rc = json_scan_string(j, out->connect_urls[out->n_connect_urls],
					      NATS_INFO_STR_MAX, NULL, false, NULL);
			if (rc != 0)
				return rc;
			out->n_connect_urls++;
		} else {
			rc = json_scan_string(j, NULL, 0, NULL, false, NULL);
			if (rc != 0)
				return rc;
		}
		out->connect_urls_total++;
		c = json_scan_peek(j);
		if (c != ',' && c != ']')
			return -EPROTO;
		j->p++;
		if (c == ']')
			return 0;
	}
}

int
nats_info_parse(const char *json, size_t len, struct nats_info *out)
{
	struct json_scan j = { json, json + len };
	const char *k;
	size_t kl;
	bool esc, first = true;
	int rc;

	if (json == NULL || out == NULL)
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	if (json_scan_expect(&j, '{') != 0)
		return -EPROTO;
	while ((rc = json_scan_next_key(&j, first, &k, &kl, &esc)) == 1) {
		first = false;
		if (JSON_SCAN_KEY_IS(k, kl, esc, "server_id"))
			rc = str_member(&j, out->server_id);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "version"))
			rc = str_member(&j, out->version);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "nonce"))
			rc = str_member(&j, out->nonce);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "domain"))
			rc = str_member(&j, out->domain);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "proto")) {
			int64_t v = 0;

			rc = json_scan_i64(&j, &v);
			if (rc == 0 && (v < -2147483647 - 1 || v > 2147483647))
				rc = -ERANGE;
			out->proto = (int)v;
		} else if (JSON_SCAN_KEY_IS(k, kl, esc, "max_payload"))
			rc = json_scan_i64(&j, &out->max_payload);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "headers"))
			rc = bool_member(&j, &out->headers);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "jetstream"))
			rc = bool_member(&j, &out->jetstream);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "auth_required"))
			rc = bool_member(&j, &out->auth_required);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "tls_required"))
			rc = bool_member(&j, &out->tls_required);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "tls_available"))
			rc = bool_member(&j, &out->tls_available);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "ldm"))
			rc = bool_member(&j, &out->ldm);
		else if (JSON_SCAN_KEY_IS(k, kl, esc, "connect_urls"))
			rc = urls_member(&j, out);
		else
			rc = json_scan_skip_value(&j);
		if (rc != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	return json_scan_end(&j);
}
