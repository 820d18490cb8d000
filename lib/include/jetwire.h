/* jetwire producer API.
 *
 * A producer process hands messages to a local jetwire appliance through a shared-memory
 * ring and learns the outcome of each one from a delivery report. Link with -ljetwire
 * (pkg-config jetwire); neither DPDK nor liburcu is needed. C and C++.
 *
 *   jw_producer *p;
 *   if (jw_open(&p, NULL) == 0) {                     // instance "default"
 *       uint64_t seq;
 *       int rc = jw_publish(p, "orders.new", buf, len, &seq);   // tens of ns, never blocks
 *       ...
 *       struct jw_report r[64];
 *       int n = jw_reports(p, r, 64);                 // outcomes, by seq
 *       jw_flush(p, 5000);                            // wait for every report (5 s)
 *       jw_close(p);
 *   }
 *
 * Every call returns 0 (or a count) on success and a negative JW_E* code on failure; a
 * call is non-blocking unless its name or comment says it waits. A handle is used by one
 * thread at a time and not across fork(); open one handle per publishing thread.
 * Every message jw_publish accepted ends in exactly one delivery report (a jetwire restart
 * in the middle of an ack may repeat a report: match reports by seq).
 */
#ifndef JETWIRE_H
#define JETWIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (negative return values). */
enum {
	JW_OK          = 0,
	JW_EAGAIN      = -11,   /* ring full: retry later (after jw_reports), nothing was queued */
	JW_EINVAL      = -22,   /* bad argument: subject, header block, NULL pointer, options */
	JW_E2BIG       = -7,    /* message over the server's max_payload, or over the ring */
	JW_ENOTRUNNING = -1001, /* no jetwire instance (never started, or stopped) */
	JW_ECLOSED     = -1002, /* handle no longer usable: instance destroyed or slot taken back */
	JW_ETIMEDOUT   = -110,  /* a waiting call ran out of time */
	JW_ENOMEM      = -12,   /* out of memory */
	JW_EBUSY       = -16,   /* every producer slot of the instance is taken */
	JW_EVERSION    = -1003, /* the instance uses a shared-memory layout this library lacks */
	JW_EPERM       = -13,   /* no permission to map the instance (group membership?) */
};

/* Delivery report status. */
enum {
	JW_ACKED    = 1,   /* stored by JetStream: stream, stream_seq (duplicate if it said so) */
	JW_FAILED   = 2,   /* not stored: see reason (and code / err_code from the server) */
	JW_DUP_RISK = 3,   /* stored, but resent without Nats-Msg-Id ([flow] dedupe = off), so
	                    * the stream may hold it twice */
};

/* Why a message failed (jw_report.reason). */
enum {
	JW_R_NONE        = 0,
	JW_R_NO_STREAM   = 1,  /* no stream listens on the subject (503 no responders) */
	JW_R_JS_ERROR    = 2,  /* JetStream API error: code, err_code, see jw_report */
	JW_R_TIMEOUT     = 3,  /* no PubAck within the retry budget */
	JW_R_BAD_SUBJECT = 4,  /* record's subject invalid (only a corrupt ring gets here) */
	JW_R_BAD_HEADER  = 5,  /* record's header block invalid */
	JW_R_TOO_BIG     = 6,  /* larger than the server's max_payload (learnt after publish) */
	JW_R_CORRUPT     = 7,  /* record structure in the ring was invalid */
	JW_R_SERVER_ERR  = 8,  /* the server refused the connection's publish (-ERR) */
	JW_R_SHUTDOWN    = 9,  /* jetwire gave up on the message while shutting down */
	JW_R_MAX
};

#define JW_STREAM_MAX 32

struct jw_report {
	uint64_t seq;          /* the seq jw_publish returned */
	uint64_t stream_seq;   /* sequence in the stream when stored, else 0 */
	int status;            /* JW_ACKED, JW_FAILED, JW_DUP_RISK */
	int duplicate;         /* 1 when JetStream reported a duplicate (already stored) */
	int reason;            /* JW_R_* (JW_R_NONE when acked) */
	int code;              /* server's error code (e.g. 503), 0 if none */
	int err_code;          /* JetStream err_code (e.g. 10060), 0 if none */
	char stream[JW_STREAM_MAX + 1]; /* NUL-terminated stream name, "" if unknown */
};

struct jw_open_opts {
	const char *instance;  /* jetwire instance; NULL = "default" */
	int tx_lcore;          /* preferred TX lcore index, -1 = spread (least loaded) */
};

struct jw_msg {
	const char *subject;   /* NUL-terminated publish subject */
	const void *hdr;       /* header block "NATS/1.0\r\nName: value\r\n\r\n", or NULL */
	size_t hdr_len;        /* 0 when no header block */
	const void *data;      /* payload (may be NULL when data_len == 0) */
	size_t data_len;
};

typedef struct jw_producer jw_producer;

/* Opens a producer on a jetwire instance and claims a ring slot on one TX lcore (the one
 * asked for in o->tx_lcore when it has a free slot, else the least loaded).
 * o may be NULL. Returns 0 and *p, or JW_EINVAL (bad name / index), JW_ENOTRUNNING,
 * JW_EVERSION, JW_EPERM, JW_EBUSY, JW_ENOMEM. */
int jw_open(jw_producer **p, const struct jw_open_opts *o);

/* Appends one message (no header block) and sets *seq (if seq is not NULL) to its sequence
 * number (1, 2, ... per handle). Never blocks, makes no syscall. Returns 0, or JW_EAGAIN
 * (ring full; counted), JW_EINVAL (subject), JW_E2BIG, JW_ENOTRUNNING, JW_ECLOSED. */
int jw_publish(jw_producer *p, const char *subject, const void *data, size_t len,
	       uint64_t *seq);

/* As jw_publish with an optional header block (validated: NATS/1.0 line, Name: value
 * lines, blank line; no status). */
int jw_publish_msg(jw_producer *p, const struct jw_msg *m, uint64_t *seq);

/* As jw_publish / jw_publish_msg, but when the ring is full waits for space up to
 * timeout_ms milliseconds (-1: forever) and then returns JW_ETIMEDOUT. Reports arriving
 * meanwhile are kept for jw_reports. */
int jw_publish_wait(jw_producer *p, const char *subject, const void *data, size_t len,
		    uint64_t *seq, int timeout_ms);
int jw_publish_msg_wait(jw_producer *p, const struct jw_msg *m, uint64_t *seq, int timeout_ms);

/* Moves up to max delivery reports into out; returns how many (0 when none), or JW_EINVAL.
 * Read them regularly: while the report ring is full jetwire cannot free ring space. */
int jw_reports(jw_producer *p, struct jw_report *out, int max);

/* Waits until a report exists for every message published on p (they stay available to
 * jw_reports), up to timeout_ms (-1: forever). Returns 0 or JW_ETIMEDOUT, JW_EINVAL. */
int jw_flush(jw_producer *p, int timeout_ms);

/* Number of messages published on p whose report has not been received yet. */
uint64_t jw_outstanding(const jw_producer *p);

/* Closes p and frees it. Messages already published are still delivered; their reports
 * (and unread ones) are discarded: call jw_flush first to see them. Returns 0 or JW_EINVAL. */
int jw_close(jw_producer *p);

/* Text for a JW_E* code and for a JW_R_* reason. Never NULL. */
const char *jw_strerror(int code);
const char *jw_reason_str(int reason);

#ifdef __cplusplus
}
#endif

#endif /* JETWIRE_H */
