/* Shared-memory layout between producer processes and jetwire: types and constants.
 *
 * One POSIX shared-memory object per jetwire instance, /dev/shm/jetwire.<instance>, created by
 * jetwire (jw_shm_create, mode 0660 and a configurable group) and mapped by producers
 * (libjetwire, jw_open). Layout:
 *
 *   offset 0            struct jw_shm_hdr            (one page: identity, limits, engine state)
 *   slots_offset        slot (tx 0, index 0)         each slot is slot_stride bytes:
 *   + slot_stride       slot (tx 0, index 1)           struct jw_shm_slot   (cursor lines)
 *   ...                                                report_entries x struct jw_shm_report
 *                                                      ring_bytes of record ring
 *   slot (t, i) is at slots_offset + (t * slots_per_tx + i) * slot_stride.
 *
 * Record ring (one producer -> jetwire, SPSC). Cursors are 64-bit byte positions that only
 * grow; a position p lives at ring offset p & (ring_bytes - 1). The three cursors satisfy
 *     released <= sent <= head <= released + ring_bytes
 *   head      producer: end of the last committed record;
 *   sent      the slot's TX lcore: records below it have been framed onto the wire;
 *   released  the control lcore: records below it have a final outcome (acked or failed) and
 *             their report has been written; the producer may overwrite space only below
 *             released + ring_bytes. [released, sent) is the resend buffer.
 *
 * A record starts at an 8-byte aligned position with struct jw_shm_rec (24 bytes), followed
 * by subject, header block and payload, back to back, padded to a multiple of 8. A record
 * never wraps: when it does not fit before the end of the ring, the producer first writes a
 * wrap marker (a commit word with JW_REC_WRAP whose length runs exactly to the end of the
 * ring) and the record starts at offset 0. The commit word carries a tag (position / 8), so
 * a stale record from an earlier lap is never mistaken for a new one.
 *
 * Report ring (control lcore -> producer, SPSC): report_entries fixed 64-byte entries,
 *   rep_head  control lcore: entries below it are written;
 *   rep_tail  producer: entries below it have been read;  rep_tail <= rep_head <= rep_tail + N.
 *
 * Concurrency (who may run which call at the same time, on one slot):
 *
 *   | call                         | runs on        | writes                 | may run concurrently with |
 *   |------------------------------|----------------|------------------------|---------------------------|
 *   | jw_publish* (append)         | producer       | ring bytes, head, eagain | peek, mark_sent, read_at, release, report, reclaim |
 *   | jw_reports / jw_flush        | producer       | rep_tail               | everything except another producer call on the same handle |
 *   | jw_shm_claim / jw_close      | producer       | owner (CAS), rep_tail  | every jetwire call (the slot is free / final) |
 *   | jw_shm_peek / mark_sent      | TX lcore       | sent, bad_records      | producer calls, release, report, reclaim |
 *   | jw_shm_read_at / is_held     | TX lcore       | nothing                | producer calls, release (see is_held), report |
 *   | jw_shm_rewind                | TX lcore       | sent                   | producer calls; NOT release on that slot |
 *   | jw_shm_release               | control lcore  | released               | producer calls, peek, mark_sent, read_at |
 *   | jw_shm_report                | control lcore  | report entries, rep_head | producer calls, TX calls |
 *   | jw_shm_reclaim               | control lcore  | owner (CAS), head (dead owner only) | producer calls, TX calls |
 *   | jw_shm_set_limits/heartbeat  | any one thread | header fields          | everything |
 *
 * Each cursor has exactly one writer. Memory ordering (acquire/release pairs):
 *   [P1] producer: ring bytes, then store-release commit word, then store-release head
 *        -> TX lcore: load-acquire head (peek), then reads commit word and bytes.
 *        The commit word's own release/acquire pair orders the bytes of one record before
 *        its length, so a record is never seen torn, even by a reader that ignores head.
 *   [P2] TX lcore: reads record bytes, then store-release sent
 *        -> control lcore: load-acquire sent (jw_shm_release checks pos <= sent), then
 *           store-release released
 *        -> producer: load-acquire released, then overwrites that space.
 *        The chain guarantees jetwire has finished reading a record before it is reused.
 *   [P3] TX lcore resend: copies record bytes, fence-acquire, load-acquire released
 *        (jw_shm_is_held): if the record is still held the copy is good (seqlock-style read),
 *        because the producer cannot overwrite before it has acquired a larger released.
 *   [P4] control lcore: writes report entry, then store-release rep_head
 *        -> producer: load-acquire rep_head, reads entries, then store-release rep_tail
 *        -> control lcore: load-acquire rep_tail before overwriting an entry.
 *   [P5] owner word: producer CAS (acq_rel) free->owned on claim, owned->closed/free on close;
 *        control lcore CAS (acq_rel) owned->orphan (pid gone), closed/orphan->free when
 *        released == head. A producer's claim acquires everything the control lcore did to
 *        the slot before freeing it (released, rep_head), and vice versa.
 *   Counters (eagain, bad_records, reports_dropped) are single-writer, relaxed (the TX lcore
 *   also reads eagain and head, relaxed, as a hint of the producers' activity: engine_tx.c).
 *
 * Everything in this memory is writable by every producer of the instance's group, so
 * jetwire validates every value it reads here (lib/shm/shm_consumer.c) and never trusts it.
 */
#ifndef JW_SHM_T_H
#define JW_SHM_T_H

#include <stdint.h>

#include "common/jw_common.h"

#define JW_SHM_MAGIC    0x3145524957544a4aULL /* "JJTWIRE1" little-endian */
#define JW_SHM_VERSION  1u

#define JW_SHM_NAME_PREFIX  "/jetwire."
#define JW_SHM_INSTANCE_MAX 32   /* instance name: 1..31 of [A-Za-z0-9_.-] */
#define JW_SHM_HDR_BYTES    4096
#define JW_SHM_PATH_MAX     256  /* path of the object's file (tmpfs or hugetlbfs) */

/* Rings on hugetlbfs: the object is the file <hugetlbfs mount>/jetwire.<instance> and the
 * name /dev/shm/jetwire.<instance> holds a struct jw_shm_redirect instead of a header, so
 * producers find it with one shm_open whatever the backing (no symlink: glibc's shm_open
 * refuses them, and fs.protected_symlinks would stop other users following one in /dev/shm). */
#define JW_SHM_REDIRECT_MAGIC 0x315249444557544aULL /* "JTWEDIR1" little-endian */
struct jw_shm_redirect {
	uint64_t magic;          /* JW_SHM_REDIRECT_MAGIC, written before the rename publishes it */
	uint32_t version;        /* JW_SHM_VERSION */
	uint32_t page_bytes;     /* huge page size of the target */
	char     path[JW_SHM_PATH_MAX]; /* absolute path ending in "/jetwire.<instance>" */
};

/* Where jw_shm_create puts a new object (jw_shm_params.hugepages). */
enum jw_shm_huge {
	JW_SHM_HUGE_AUTO = 0,  /* hugetlbfs when one is mounted with enough free pages, else tmpfs */
	JW_SHM_HUGE_OFF = 1,   /* tmpfs (/dev/shm) always */
	JW_SHM_HUGE_ON = 2,    /* hugetlbfs or fail */
};

/* Limits on the layout parameters (jw_shm_create rejects values outside them). */
#define JW_SHM_MAX_TX             64
#define JW_SHM_MAX_SLOTS_PER_TX   1024
#define JW_SHM_MIN_RING_BYTES     4096u
#define JW_SHM_MAX_RING_BYTES     (1u << 30)
#define JW_SHM_MIN_REPORTS        16u
#define JW_SHM_MAX_REPORTS        (1u << 20)

/* Defaults used when a parameter is 0. */
#define JW_SHM_DEF_TX             1
#define JW_SHM_DEF_SLOTS_PER_TX   16
#define JW_SHM_DEF_RING_BYTES     (1u << 20)
#define JW_SHM_DEF_REPORTS        8192u
#define JW_SHM_DEF_MODE           0660

/* A heartbeat younger than this proves an engine in another pid namespace alive. */
#define JW_SHM_HEARTBEAT_FRESH_NS (3ULL * 1000000000ULL)

/* Engine state in the header. */
enum jw_shm_state {
	JW_SHM_STATE_INIT = 0,       /* being created */
	JW_SHM_STATE_RUNNING = 1,    /* an engine is attached */
	JW_SHM_STATE_STOPPED = 2,    /* engine detached; rings kept for the next start */
	JW_SHM_STATE_DESTROYED = 3,  /* object unlinked; handles on it can never work again */
};

/* Header page. Fields on line 0 are immutable once magic is set. */
struct jw_shm_hdr {
	uint64_t magic;          /* JW_SHM_MAGIC, store-release last at creation */
	uint32_t version;        /* JW_SHM_VERSION */
	uint32_t layout_hash;    /* jw_shm_layout_hash() of everything below + struct sizes */
	uint32_t n_tx;           /* TX lcores */
	uint32_t slots_per_tx;   /* producer slots per TX lcore */
	uint32_t ring_bytes;     /* record ring bytes per slot, power of two */
	uint32_t report_entries; /* report ring entries per slot, power of two */
	uint64_t slot_stride;    /* bytes per slot, multiple of 4096 */
	uint64_t slots_offset;   /* offset of slot (0,0) */
	uint64_t total_size;     /* bytes of the whole object */
	uint64_t nonce;          /* random at creation, kept across restarts: with tx, slot,
	                          * slot generation and seq it makes Nats-Msg-Id unique */

	/* Engine state: written on start/stop/INFO only (read by every jw_publish). */
	uint32_t state __attribute__((aligned(JW_CACHE_LINE))); /* enum jw_shm_state */
	int32_t  engine_pid;     /* pid of the attached jetwire, 0 when none */
	uint32_t generation;     /* +1 on every jetwire start on this object */
	uint32_t max_payload;    /* server's INFO max_payload; 0 = not known yet */
	uint32_t msg_overhead;   /* header bytes jetwire adds to each message (Nats-Msg-Id) */
	uint64_t engine_pidns;   /* inode of the engine's /proc/self/ns/pid, 0 if unknown */
	char     instance[JW_SHM_INSTANCE_MAX];

	/* Written often. */
	uint64_t heartbeat_ns __attribute__((aligned(JW_CACHE_LINE))); /* CLOCK_MONOTONIC */
	uint32_t open_rr __attribute__((aligned(JW_CACHE_LINE)));      /* jw_open round robin */
} __attribute__((aligned(JW_CACHE_LINE)));

/* Owner word of a slot: pid (bits 0..31), slot generation (32..61), state (62..63). */
#define JW_OWNER_FREE   0u  /* nobody: may be claimed */
#define JW_OWNER_OWNED  1u  /* a live producer holds it */
#define JW_OWNER_CLOSED 2u  /* jw_close with records pending: freed once they are final */
#define JW_OWNER_ORPHAN 3u  /* owner pid is gone: records still sent; freed once final */
#define JW_OWNER_MAKE(pid, gen, st) \
	((uint64_t)(uint32_t)(pid) | ((uint64_t)((gen) & 0x3fffffffu) << 32) | ((uint64_t)(st) << 62))
#define JW_OWNER_PID(o)   ((int32_t)(uint32_t)(o))
#define JW_OWNER_GEN(o)   ((uint32_t)(((o) >> 32) & 0x3fffffffu))
#define JW_OWNER_STATE(o) ((unsigned)((o) >> 62))

/* One producer slot's control block: each writer has its own cache line. */
struct jw_shm_slot {
	/* Ownership: producer (claim/close) and control lcore (orphan/free), by CAS. */
	uint64_t owner;
	uint32_t tx;             /* immutable: TX lcore index */
	uint32_t index;          /* immutable: slot index within that TX lcore */

	/* Producer: record ring head and its refusal counter. */
	uint64_t head __attribute__((aligned(JW_CACHE_LINE)));
	uint64_t eagain;         /* jw_publish calls refused because the ring was full */

	/* Producer: report ring tail. */
	uint64_t rep_tail __attribute__((aligned(JW_CACHE_LINE)));

	/* TX lcore. */
	uint64_t sent __attribute__((aligned(JW_CACHE_LINE)));
	uint64_t bad_records;    /* records that failed validation */
	uint64_t bad_cursor;     /* peeks that found head impossible (corrupt producer) */

	/* Control lcore. */
	uint64_t released __attribute__((aligned(JW_CACHE_LINE)));
	uint64_t rep_head;
	uint64_t reports_dropped; /* reports for closed/dead producers */
	uint64_t reclaims;        /* times this slot was freed after a close or a death */
} __attribute__((aligned(JW_CACHE_LINE)));

/* Record header in the ring. */
struct jw_shm_rec {
	uint64_t commit;       /* len (bits 0..31) | tag (32..62) | JW_REC_WRAP (63) */
	uint64_t seq;          /* producer sequence number, 1, 2, ... per slot claim */
	uint32_t payload_len;
	uint16_t subject_len;
	uint16_t hdr_len;      /* 0 = no header block */
};

#define JW_REC_HDR_BYTES  ((uint32_t)sizeof(struct jw_shm_rec))
#define JW_REC_WRAP       (1ULL << 63)
#define JW_REC_TAG(pos)   ((uint64_t)(((pos) >> 3) & 0x7fffffffu))
#define JW_REC_COMMIT(len, pos, wrap) \
	((uint64_t)(uint32_t)(len) | (JW_REC_TAG(pos) << 32) | ((wrap) ? JW_REC_WRAP : 0))
#define JW_REC_LEN(c)     ((uint32_t)(c))
/* Record length for the given part sizes (header + parts, rounded up to 8). */
#define JW_REC_SIZE(slen, hlen, plen) \
	JW_ALIGN_UP((uint64_t)JW_REC_HDR_BYTES + (uint64_t)(slen) + (uint64_t)(hlen) + (uint64_t)(plen), (uint64_t)8)

/* Report entry (64 bytes). status/reason values are the public ones of jetwire.h. */
#define JW_SHM_STREAM_MAX 32
struct jw_shm_report {
	uint64_t seq;          /* producer sequence number of the record */
	uint64_t stream_seq;   /* stream sequence when acked, else 0 */
	uint32_t err_code;     /* JetStream err_code, 0 if none */
	uint16_t reason;       /* JW_R_* */
	uint16_t code;         /* error code (e.g. 503), 0 if none */
	uint8_t  status;       /* JW_ACKED, JW_FAILED, JW_DUP_RISK */
	uint8_t  duplicate;    /* server said "duplicate": true */
	uint8_t  rsv[6];
	char     stream[JW_SHM_STREAM_MAX]; /* NUL-padded; not terminated when 32 long */
};

/* Parameters of jw_shm_create (0 / NULL fields take the defaults above). */
struct jw_shm_params {
	const char *instance;     /* "default" when NULL */
	uint32_t n_tx;            /* 1..JW_SHM_MAX_TX */
	uint32_t slots_per_tx;    /* 1..JW_SHM_MAX_SLOTS_PER_TX */
	uint32_t ring_bytes;      /* power of two, JW_SHM_MIN_RING_BYTES..JW_SHM_MAX_RING_BYTES */
	uint32_t report_entries;  /* power of two, JW_SHM_MIN_REPORTS..JW_SHM_MAX_REPORTS */
	uint32_t mode;            /* permission bits, JW_SHM_DEF_MODE when 0 */
	const char *group;        /* group name or number owning the object; NULL = unchanged */
	enum jw_shm_huge hugepages; /* backing of a new object (an existing one keeps its own) */
	const char *hugepage_dir; /* hugetlbfs mount to use; NULL or "" = the first mounted */
};

/* A record as the TX lcore sees it (jw_shm_peek, jw_shm_read_at).
 * Lengths, positions and seq are private copies taken once and validated, so they are safe
 * to use. subject/hdr/payload point into producer-writable memory: the bytes were valid when
 * checked, but a hostile producer could change them afterwards; a TX lcore that must resist
 * that re-checks the subject on its own copy (nats_subject_check on the mbuf bytes). */
struct jw_shm_view {
	uint64_t pos;          /* ring position of the record header */
	uint64_t end;          /* position just past the record: mark_sent / release up to it */
	uint64_t seq;          /* producer seq; 0 when the record header itself was unreadable */
	const char *subject;
	const char *hdr;       /* NULL when hdr_len == 0 */
	const uint8_t *payload;
	uint32_t subject_len;
	uint32_t hdr_len;
	uint32_t payload_len;
	uint32_t reason;       /* 0: valid, send it. Else JW_R_*: do not send; fail it with a report */
};

/* Handle on a mapped instance (jetwire side: jw_shm_create; producer side: jw_shm_attach). */
struct jw_shm {
	struct jw_shm_hdr *hdr;
	uint8_t *base;
	uint64_t size;
	uint32_t n_tx, slots_per_tx, ring_bytes, report_entries; /* private validated copies */
	uint64_t slot_stride, slots_offset;
	int creator;              /* 1 when made by jw_shm_create (the engine) */
	int huge;                 /* 1: the object is a hugetlbfs file, name holds a redirect */
	uint32_t page_bytes;      /* the file's page size (st_blksize): mapping granule */
	uint64_t map_bytes;       /* size rounded up to page_bytes: what is mapped and unmapped */
	char name[sizeof(JW_SHM_NAME_PREFIX) + JW_SHM_INSTANCE_MAX];
	char path[JW_SHM_PATH_MAX]; /* the object's file */
	char note[JW_SHM_PATH_MAX + 128];         /* jw_shm_create: why this backing was chosen (for the log) */
};

#endif /* JW_SHM_T_H */
