/* The receive side of a TLS session after the handshake (see struct tls_rx). A record that
 * lies whole in the caller's input is opened from there; one cut by the input is gathered
 * in rx->rec first. Either way the plaintext lands in rx->plain, and application data is
 * handed to the callback from there. */
#include <errno.h>
#include <string.h>

#include "common/jw_atomic.h"
#include "common/jw_common.h"
#include "tls/tls.h"


#define HS_HELLO_REQUEST 0
#define HS_NEW_SESSION_TICKET 4
#define HS_KEY_UPDATE 24

static const char *const err_names[] = {
	[TLS_RX_OK] = "ok",
	[TLS_RX_BAD_HEADER] = "bad-record-header",
	[TLS_RX_BAD_MAC] = "bad-record-mac",
	[TLS_RX_BAD_INNER] = "bad-inner-plaintext",
	[TLS_RX_UNEXPECTED] = "unexpected-message",
	[TLS_RX_CLOSE_NOTIFY] = "close-notify",
	[TLS_RX_ALERT] = "alert",
	[TLS_RX_CALLBACK] = "consumer",
};

const char *
tls_rx_error_str(enum tls_rx_error e)
{
	return (unsigned)e < JW_ARRAY_SIZE(err_names) ? err_names[e] : "?";
}

const char *
tls_alert_str(uint8_t desc)
{
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 90: return "user_canceled";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	default: return "unknown";
	}
}

void
tls_rx_init(struct tls_rx *rx, struct tls_dir *dir)
{
	memset(rx, 0, sizeof(*rx));
	rx->dir = *dir;
	memset(dir, 0, sizeof(*dir)); /* moved */
}

void
tls_rx_fini(struct tls_rx *rx)
{
	tls_dir_fini(&rx->dir);
	rx->have = 0;
	rx->failed = true;
}

static int
fail(struct tls_rx *rx, enum tls_rx_error e, int rc)
{
	rx->failed = true;
	rx->last_error = e;
	JW_INC(rx->errors[e]);
	return rc;
}

/* Handshake messages after the handshake (the plaintext of one record, n > 0), possibly
 * spread over records. A KeyUpdate must end its record (RFC 8446 5.1): bytes after it are
 * refused. */
static int
handshake_bytes(struct tls_rx *rx, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		if (rx->hs_hdr_have < 4) {
			size_t take = JW_MIN(4 - rx->hs_hdr_have, n - off);

			memcpy(rx->hs_hdr + rx->hs_hdr_have, p + off, take);
			rx->hs_hdr_have += (uint32_t)take;
			off += take;
			if (rx->hs_hdr_have < 4)
				break;
			rx->hs_type = rx->hs_hdr[0];
			rx->hs_body_left = (uint32_t)rx->hs_hdr[1] << 16 |
					   (uint32_t)rx->hs_hdr[2] << 8 | rx->hs_hdr[3];
			switch (rx->hs_type) {
			case HS_NEW_SESSION_TICKET:
				if (rx->dir.version != TLS_V13)
					return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
				JW_INC(rx->tickets);
				break;
			case HS_KEY_UPDATE:
				if (rx->dir.version != TLS_V13 || rx->hs_body_left != 1)
					return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
				break;
			case HS_HELLO_REQUEST:
				/* 1.2: a renegotiation offer; we never renegotiate, and a client
				 * may ignore it (RFC 5246 7.4.1.1) */
				if (rx->dir.version != TLS_V12 || rx->hs_body_left != 0)
					return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
				break;
			default:
				return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
			}
		}
		if (rx->hs_type == HS_KEY_UPDATE && rx->hs_body_left == 1) {
			uint8_t req;

			if (off == n)
				break;
			req = p[off++];
			if (req > 1 || off != n)
				return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
			if (tls_dir_key_update(&rx->dir) != 0)
				return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
			if (req == 1)
				JW_INC(rx->key_update_req);
			rx->hs_body_left = 0;
			rx->hs_hdr_have = 0;
			return 1; /* keys changed: the record must end here (checked above) */
		}
		{
			size_t skip = JW_MIN((size_t)rx->hs_body_left, n - off);

			off += skip;
			rx->hs_body_left -= (uint32_t)skip;
		}
		if (rx->hs_body_left == 0)
			rx->hs_hdr_have = 0; /* next message */
	}
	return 0;
}

/* Opens one whole record at rec and acts on it. */
static int
one_record(struct tls_rx *rx, const uint8_t *rec, size_t len, tls_rx_data_fn on_data, void *ctx)
{
	uint8_t type = 0;
	size_t n = 0;
	int rc = tls_open(&rx->dir, rec, len, rx->plain, sizeof(rx->plain), &type, &n);

	if (rc == -EBADMSG)
		return fail(rx, TLS_RX_BAD_MAC, rc);
	if (rc == -EMSGSIZE)
		return fail(rx, TLS_RX_BAD_INNER, rc);
	if (rc != 0)
		return fail(rx, TLS_RX_BAD_HEADER, -EPROTO);
	if (type != TLS_CT_HANDSHAKE && rx->hs_hdr_have != 0)
		return fail(rx, TLS_RX_UNEXPECTED, -EPROTO); /* a message cut by another type */
	switch (type) {
	case TLS_CT_APPDATA:
		if (n == 0)
			return 0;
		rc = on_data(ctx, rx->plain, n);
		return rc < 0 ? fail(rx, TLS_RX_CALLBACK, rc) : 0;
	case TLS_CT_HANDSHAKE:
		if (n == 0)
			return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
		rc = handshake_bytes(rx, rx->plain, n);
		return rc < 0 ? rc : 0;
	case TLS_CT_ALERT:
		if (n != 2)
			return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
		JW_INC(rx->alerts);
		rx->alert_level = rx->plain[0];
		rx->alert_desc = rx->plain[1];
		if (rx->alert_desc == 0)
			return fail(rx, TLS_RX_CLOSE_NOTIFY, -ECONNRESET);
		/* 1.2 warnings other than close_notify (e.g. no_renegotiation) are harmless;
		 * 1.3 treats every other alert as fatal except user_canceled (RFC 8446 6.1) */
		if (rx->alert_level == 1 &&
		    (rx->dir.version == TLS_V12 || rx->alert_desc == 90))
			return 0;
		return fail(rx, TLS_RX_ALERT, -ECONNABORTED);
	default:
		return fail(rx, TLS_RX_UNEXPECTED, -EPROTO);
	}
}

static size_t
record_len(const uint8_t *hdr)
{
	return TLS_HDR_LEN + ((size_t)hdr[3] << 8 | hdr[4]);
}

int
tls_rx_input(struct tls_rx *rx, const uint8_t *data, size_t len, tls_rx_data_fn on_data,
	     void *ctx)
{
	int rc;

	if (rx->failed)
		return -EPROTO;
	while (len > 0) {
		size_t want, take;

		if (rx->have == 0 && len >= TLS_HDR_LEN) {
			want = record_len(data);
			if (want > TLS_RECORD_MAX)
				return fail(rx, TLS_RX_BAD_HEADER, -EMSGSIZE);
			if (len >= want) { /* whole in the input: no gathering copy */
				rc = one_record(rx, data, want, on_data, ctx);
				if (rc != 0)
					return rc;
				data += want;
				len -= want;
				continue;
			}
		}
		/* gather a record cut by the input */
		if (rx->have < TLS_HDR_LEN) {
			take = JW_MIN(TLS_HDR_LEN - rx->have, len);
			memcpy(rx->rec + rx->have, data, take);
			rx->have += (uint32_t)take;
			data += take;
			len -= take;
			if (rx->have < TLS_HDR_LEN)
				return 0;
		}
		want = record_len(rx->rec);
		if (want > TLS_RECORD_MAX)
			return fail(rx, TLS_RX_BAD_HEADER, -EMSGSIZE);
		take = JW_MIN(want - rx->have, len);
		memcpy(rx->rec + rx->have, data, take);
		rx->have += (uint32_t)take;
		data += take;
		len -= take;
		if (rx->have < want)
			return 0;
		rx->have = 0;
		rc = one_record(rx, rx->rec, want, on_data, ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}
