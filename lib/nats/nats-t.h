/* Types of lib/nats: the encoder's frames and options (nats_enc.h), the server-stream
 * parser and INFO (nats_parser.h), PubAcks (nats_puback.h) and the size limits every user
 * of the protocol shares. Types and constants only (the functions are in those headers).
 * DPDK-free. */
#ifndef JW_NATS_T_H
#define JW_NATS_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits (nats_validate.h) ------------------------------------------------------ */

/* Longest subject jetwire accepts. nats-server has no hard limit, but the control line of
 * an HPUB (subject, reply, two lengths) must fit the server's 4096-byte control-line limit
 * with room for jetwire's reply subject. */
#define NATS_SUBJECT_MAX 512

/* Longest header block a producer may supply (NATS/1.0 line, headers, blank line). */
#define NATS_HDR_MAX 4096

/* ---- encoder (nats_enc.h) ---------------------------------------------------------- */

/* Longest reply subject the encoder accepts (same bound as a publish subject). */
#define NATS_REPLY_MAX NATS_SUBJECT_MAX
/* Longest Nats-Msg-Id value the encoder accepts. */
#define NATS_MSGID_MAX 128
/* Longest control line of a publish frame: "HPUB " subject ' ' reply ' ' 20 digits ' '
 * 20 digits CRLF. */
#define NATS_PUB_CTL_MAX (5 + NATS_SUBJECT_MAX + 1 + NATS_REPLY_MAX + 1 + 20 + 1 + 20 + 2)

/* One publish. Strings are byte ranges, not NUL-terminated. The encoder checks lengths
 * (for memory safety) but not content: callers validate subjects and caller header blocks
 * with nats_subject_check() / nats_hdr_check() first, because shared memory is untrusted. */
struct nats_pub {
	const char *subject;	/* 1..NATS_SUBJECT_MAX bytes */
	size_t subject_len;
	const char *reply;	/* 0..NATS_REPLY_MAX bytes; 0 = no reply subject */
	size_t reply_len;
	const char *msg_id;	/* 0..NATS_MSGID_MAX bytes; 0 = no Nats-Msg-Id header */
	size_t msg_id_len;
	const char *hdr;	/* caller header block as accepted by nats_hdr_check(), or len 0 */
	size_t hdr_len;
	const void *payload;
	size_t payload_len;
};

/* A run of bytes that is part of a frame. */
struct nats_piece {
	const char *p;	/* NULL: the frame's own ctl[] */
	size_t len;
};

#define NATS_FRAME_PIECES 10 /* ctl, 6 header pieces, payload, CRLF: 9 at most */

/* Resumable writer of one publish frame (see nats_frame_init). Holds pointers into the
 * nats_pub's strings and payload, which must stay valid until the frame is done. The struct
 * itself may be copied or moved between calls (nothing in it points into itself). */
struct nats_frame {
	size_t size;			/* total frame bytes */
	size_t off;			/* bytes written so far */
	unsigned piece;			/* current piece */
	unsigned n_pieces;
	size_t piece_off;		/* bytes of the current piece already written */
	struct nats_piece pieces[NATS_FRAME_PIECES];
	char ctl[NATS_PUB_CTL_MAX];	/* the rendered control line */
};

/* One header line for nats_hdr_build(). */
struct nats_hdr_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* CONNECT options. NULL strings are left out of the JSON. */
struct nats_connect_opts {
	const char *name;	/* client name shown by the server */
	const char *lang;	/* default "C" */
	const char *version;	/* default "jetwire" version string */
	const char *auth_token;
	const char *user;
	const char *pass;
	const char *nkey;
	const char *sig;	/* nonce signature, base64url */
	const char *jwt;
	bool tls_required;
};

/* ---- server stream (nats_parser.h) ------------------------------------------------- */

/* Longest control line, CRLF included (nats-server's MAX_CONTROL_LINE_SIZE). */
#define NATS_CTL_MAX 4096

enum nats_op {
	NATS_OP_NONE = 0,
	NATS_OP_INFO,
	NATS_OP_MSG,
	NATS_OP_HMSG,
	NATS_OP_PING,
	NATS_OP_PONG,
	NATS_OP_OK,
	NATS_OP_ERR,
};

/* What an -ERR says, by the texts nats-server 2.9 sends. */
enum nats_err_kind {
	NATS_ERR_OTHER = 0,		/* unrecognised text: treated as fatal */
	NATS_ERR_UNKNOWN_OP,		/* 'Unknown Protocol Operation' */
	NATS_ERR_AUTH_VIOLATION,	/* 'Authorization Violation' */
	NATS_ERR_AUTH_TIMEOUT,		/* 'Authentication Timeout' */
	NATS_ERR_AUTH_EXPIRED,		/* 'User/Account Authentication Expired' */
	NATS_ERR_AUTH_REVOKED,		/* 'User Authentication Revoked' */
	NATS_ERR_STALE_CONNECTION,	/* 'Stale Connection' */
	NATS_ERR_MAX_PAYLOAD,		/* 'Maximum Payload Violation' */
	NATS_ERR_MAX_CONNECTIONS,	/* 'Maximum Connections Exceeded' (also account-level) */
	NATS_ERR_MAX_CONTROL_LINE,	/* 'Maximum Control Line Exceeded' */
	NATS_ERR_SLOW_CONSUMER,		/* 'Slow Consumer' */
	NATS_ERR_TLS_REQUIRED,		/* 'Secure Connection - TLS Required' */
	NATS_ERR_INVALID_PROTOCOL,	/* 'Invalid Client Protocol' */
	NATS_ERR_NO_RESPONDERS_HDRS,	/* 'No Responders Requires Headers Support' */
	NATS_ERR_PERMISSIONS,		/* 'Permissions Violation for ...'   (non-fatal) */
	NATS_ERR_INVALID_SUBJECT,	/* 'Invalid Subject', 'Invalid Publish Subject' (non-fatal) */
	NATS_ERR_MAX_SUBSCRIPTIONS,	/* 'Maximum Subscriptions Exceeded' (non-fatal) */
};

/* A MSG or HMSG. All pointers are valid until the next call on the parser (they point into
 * the parser, the caller's payload buffer, or the caller's input of the last call). */
struct nats_msg {
	const char *subject;
	size_t subject_len;
	const char *reply;	/* reply_len 0: none */
	size_t reply_len;
	uint64_t sid;
	const char *hdr;	/* whole header block ("NATS/1.0...\r\n\r\n"); hdr_len 0 for MSG */
	size_t hdr_len;
	const char *data;	/* payload after the header block */
	size_t data_len;
	int status;		/* "NATS/1.0 503 ..." -> 503; 0 when the header has no status */
	const char *status_desc; /* text after the status code, trimmed; may be empty */
	size_t status_desc_len;
};

struct nats_event {
	enum nats_op op;
	union {
		struct nats_msg msg;	/* NATS_OP_MSG, NATS_OP_HMSG */
		struct {
			const char *json;
			size_t len;
		} info;			/* NATS_OP_INFO */
		struct {
			const char *text; /* without the quotes */
			size_t len;
			enum nats_err_kind kind;
			bool fatal;	/* the server closes the connection after it */
		} err;			/* NATS_OP_ERR */
	};
};

enum nats_parser_state {
	NATS_PARSER_LINE = 0,	/* reading a control line */
	NATS_PARSER_PAYLOAD,	/* reading a message's payload */
	NATS_PARSER_PAYLOAD_CR,	/* expecting the CR after it */
	NATS_PARSER_PAYLOAD_LF,	/* expecting the LF after it */
	NATS_PARSER_FAILED,	/* sticky error, see nats_parser_reset() */
};

struct nats_parser {
	enum nats_parser_state state;
	int error;			/* the sticky error in NATS_PARSER_FAILED */
	enum nats_op msg_op;		/* NATS_OP_MSG / NATS_OP_HMSG being read */
	bool line_in_input;		/* the pending message's line lies in the caller's input */
	size_t line_len;		/* bytes buffered in line[] */
	size_t need;			/* payload bytes (header + data) of the pending message */
	size_t got;			/* of which already buffered */
	struct nats_msg msg;		/* fields of the pending message's control line */
	char *payload;			/* caller's buffer */
	size_t payload_cap;
	uint64_t ops;			/* operations returned since init */
	char line[NATS_CTL_MAX];
};

/* Server INFO, the fields jetwire uses. Strings are NUL-terminated and unescaped. */
#define NATS_INFO_STR_MAX 128
#define NATS_INFO_URLS_MAX 8

struct nats_info {
	char server_id[NATS_INFO_STR_MAX];
	char version[NATS_INFO_STR_MAX];
	char nonce[NATS_INFO_STR_MAX];
	char domain[NATS_INFO_STR_MAX];
	int proto;
	int64_t max_payload;
	bool headers;
	bool jetstream;
	bool auth_required;
	bool tls_required;
	bool tls_available;		/* TLS offered, not required (allow_non_tls) */
	bool ldm;			/* lame duck mode: the server is going away */
	unsigned n_connect_urls;	/* stored in connect_urls[] */
	unsigned connect_urls_total;	/* listed by the server (may exceed the stored) */
	char connect_urls[NATS_INFO_URLS_MAX][NATS_INFO_STR_MAX];
};

/* ---- PubAcks (nats_puback.h) ------------------------------------------------------- */

/* Longest stream name and domain stored (JetStream limits names to 255 bytes and jetwire
 * reports them to producers); longer ones make the ack malformed (-E2BIG). */
#define NATS_PUBACK_STREAM_MAX 255
#define NATS_PUBACK_DOMAIN_MAX 255
/* Longest error description stored; a longer one is cut (desc_truncated set). */
#define NATS_PUBACK_DESC_MAX 255

struct nats_puback {
	bool is_error;		/* an "error" member was present: code/err_code/description */
	bool duplicate;		/* "duplicate": true */
	bool desc_truncated;
	uint64_t seq;		/* stream sequence ("seq") */
	int32_t code;		/* error.code (HTTP-like, e.g. 503) */
	int32_t err_code;	/* error.err_code (JetStream error code, e.g. 10060) */
	uint16_t stream_len;
	uint16_t domain_len;
	uint16_t desc_len;
	char stream[NATS_PUBACK_STREAM_MAX + 1];	/* NUL-terminated, unescaped */
	char domain[NATS_PUBACK_DOMAIN_MAX + 1];
	char description[NATS_PUBACK_DESC_MAX + 1];
};

#endif /* JW_NATS_T_H */
