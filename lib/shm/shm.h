/* Shared-memory rings between producers and jetwire: functions.
 * Layout, concurrency table and memory-ordering pairs: see shm-t.h. DPDK-free.
 *
 * jetwire side (engine):
 *   start     jw_shm_create(params, err, errlen)        once, before the lcores run
 *   TX lcore  for each slot i of its tx:  s = jw_shm_slot(shm, tx, i)
 *               n = jw_shm_peek(shm, s, views, max)   -> frame views with reason == 0,
 *                                                        hand reason != 0 to control as failed
 *               jw_shm_mark_sent(shm, s, views[k].end)
 *             resend: jw_shm_read_at(shm, s, pos, &v), copy, then jw_shm_is_held(shm, s, pos)
 *             full resend after reconnect: jw_shm_rewind(shm, s)
 *   control   outcome final (in ring order): jw_shm_report(shm, s, &r) (retry on -EAGAIN),
 *               then jw_shm_release(shm, s, end)
 *             every ~100 ms: jw_shm_reclaim(shm), jw_shm_heartbeat(shm)
 *             on INFO: jw_shm_set_limits(shm, max_payload, msg_overhead)
 *   stop      jw_shm_detach(shm) (rings kept) or jw_shm_destroy(shm) (object removed)
 */
#ifndef JW_SHM_H
#define JW_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm-t.h"

/* ---- naming and layout (both sides) ---- */

/* Checks an instance name: 1..JW_SHM_INSTANCE_MAX-1 bytes of [A-Za-z0-9_.-], not starting
 * with '.'. Returns 0 or -EINVAL. */
int jw_shm_instance_check(const char *instance);

/* Writes "/jetwire.<instance>" into buf. Returns 0, -EINVAL (bad name), -ENAMETOOLONG. */
int jw_shm_name(const char *instance, char *buf, size_t len);

/* Hash over the layout parameters and this build's struct sizes; two builds interoperate
 * only when it matches. */
uint32_t jw_shm_layout_hash(uint32_t n_tx, uint32_t slots_per_tx, uint32_t ring_bytes,
			    uint32_t report_entries);

/* ---- jetwire side: lifetime ---- */

/* Creates (or re-attaches to) the instance's shared memory, marks it RUNNING with this
 * process as engine and bumps the instance generation.
 * - Absent: creates /dev/shm/jetwire.<instance> with params->mode (default 0660) and
 *   params->group, sized for the layout, zeroed, with a fresh random nonce.
 * - Present with the same layout: keeps every ring and its unreleased records (they will be
 *   sent again: every slot's sent is rewound to released) and the producers' slots.
 * - Present with another layout or version: if it holds no unreleased record (or cannot
 *   hold any: engine never attached), it is replaced; otherwise it is refused (errno
 *   EEXIST) and err says which settings differ and how to discard the records.
 * - Present and RUNNING under another live jetwire process: refused (errno EBUSY).
 * Rejects bad params with errno EINVAL. Returns the handle, or NULL with errno set and a
 * one-line explanation in err (when err is not NULL). */
struct jw_shm *jw_shm_create(const struct jw_shm_params *params, char *err, size_t errlen);

/* Marks the instance STOPPED (producers get JW_ENOTRUNNING from then on, their rings and
 * records stay for the next jw_shm_create) and unmaps it. Frees shm. */
void jw_shm_detach(struct jw_shm *shm);

/* Marks the instance DESTROYED (open handles get JW_ECLOSED), unlinks the object and
 * unmaps it. Unreleased records are lost. Frees shm. */
void jw_shm_destroy(struct jw_shm *shm);

/* Publishes the server's max_payload (from INFO) and the header bytes jetwire adds to each
 * message; producers then refuse (JW_E2BIG) messages with hdr + payload + msg_overhead
 * over max_payload. max_payload 0 means "not known": producers accept up to the ring limit
 * and the TX lcore fails oversize records with JW_R_TOO_BIG once it knows. */
void jw_shm_set_limits(struct jw_shm *shm, uint32_t max_payload, uint32_t msg_overhead);

/* Stores the CLOCK_MONOTONIC time as the engine's heartbeat. Call it at least every
 * second: a producer in another pid namespace than jetwire cannot see its pid and takes a
 * heartbeat younger than JW_SHM_HEARTBEAT_FRESH_NS as proof of life instead. */
void jw_shm_heartbeat(struct jw_shm *shm);

/* 1 when the instance is RUNNING and its engine is alive: kill(engine_pid, 0) finds it when
 * the caller shares the engine's pid namespace, else its heartbeat is fresh. */
int jw_shm_engine_alive(const struct jw_shm *shm);

/* The instance's random nonce (stable across restarts that keep the rings) and generation. */
uint64_t jw_shm_nonce(const struct jw_shm *shm);
uint32_t jw_shm_generation(const struct jw_shm *shm);

/* ---- slots ---- */

static inline struct jw_shm_slot *
jw_shm_slot(const struct jw_shm *shm, uint32_t tx, uint32_t index)
{
	if (tx >= shm->n_tx || index >= shm->slots_per_tx)
		return NULL;
	return (struct jw_shm_slot *)(void *)(shm->base + shm->slots_offset +
		((uint64_t)tx * shm->slots_per_tx + index) * shm->slot_stride);
}

static inline struct jw_shm_report *
jw_shm_slot_reports(const struct jw_shm *shm, struct jw_shm_slot *s)
{
	(void)shm;
	return (struct jw_shm_report *)(void *)((uint8_t *)s + sizeof(*s));
}

static inline uint8_t *
jw_shm_slot_ring(const struct jw_shm *shm, struct jw_shm_slot *s)
{
	return (uint8_t *)s + sizeof(*s) + (size_t)shm->report_entries * sizeof(struct jw_shm_report);
}

/* The slot's generation (part of a stable Nats-Msg-Id with nonce, tx, index and seq). */
static inline uint32_t
jw_shm_slot_gen(const struct jw_shm_slot *s)
{
	return JW_OWNER_GEN(__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE));
}

/* Cursor reads for the owner of the other side (acquire loads). */
static inline uint64_t jw_shm_sent(const struct jw_shm_slot *s)
{ return __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE); }
static inline uint64_t jw_shm_released(const struct jw_shm_slot *s)
{ return __atomic_load_n(&s->released, __ATOMIC_ACQUIRE); }
static inline uint64_t jw_shm_head(const struct jw_shm_slot *s)
{ return __atomic_load_n(&s->head, __ATOMIC_ACQUIRE); }
/* The producer's refusal count (a hint, relaxed: engine_tx.c watches the activity). */
static inline uint64_t jw_shm_eagain(const struct jw_shm_slot *s)
{ return __atomic_load_n(&s->eagain, __ATOMIC_RELAXED); }

/* ---- TX lcore ---- */

/* Reads up to max records of slot s from its sent cursor onward, without moving sent.
 * Wrap markers are skipped. Each view is validated: commit tag, length (aligned, within
 * head and the ring, parts add up), subject (nats_subject_check), header block
 * (nats_hdr_check), size against max_payload when known. An invalid record is still
 * returned, with reason != 0, so that it is failed and released in ring order:
 *   - parts inconsistent, bad subject/header, too big: reason set, the record keeps its
 *     own length, the next record is read normally;
 *   - commit word unreadable (bad tag/length): the whole rest up to head becomes one view
 *     with reason JW_R_CORRUPT and seq 0 (nothing there can be trusted).
 * Every invalid record increments s->bad_records. A head that is impossible (unaligned,
 * behind sent or more than a ring ahead of released) yields 0 and increments bad_cursor.
 * Returns the number of views filled (0..max). */
unsigned jw_shm_peek(const struct jw_shm *shm, struct jw_shm_slot *s, struct jw_shm_view *v,
		     unsigned max);

/* Moves s's sent cursor to pos (the end of a peeked view). Accepts sent <= pos <= head,
 * pos a multiple of 8; returns 0, or -EINVAL for anything else (nothing changes). */
int jw_shm_mark_sent(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos);

/* Reads and validates again the record at pos (a view's pos) for a resend. Accepts
 * released <= pos < sent. Returns 0 with *v valid; -EINVAL when pos is out of range;
 * -EPROTO when the record no longer validates (v->reason says why; fail it). After copying
 * the bytes, call jw_shm_is_held: only then is the copy known to be untorn. */
int jw_shm_read_at(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos,
		   struct jw_shm_view *v);

/* 1 when the record at pos is still held (not released), so bytes copied from it before
 * this call are what the producer wrote; 0 when it was released meanwhile. [P3] */
int jw_shm_is_held(const struct jw_shm_slot *s, uint64_t pos);

/* Sets s's sent back to released so that every unreleased record is peeked (sent) again,
 * e.g. after a reconnect. The control lcore must not release on s concurrently. */
void jw_shm_rewind(struct jw_shm_slot *s);

/* ---- control lcore ---- */

/* Writes a delivery report to s's producer. Returns 0 when written, or when dropped
 * because the producer closed its handle or died (counted in reports_dropped); -EAGAIN
 * when the report ring is full (retry later; do not release the record before). */
int jw_shm_report(const struct jw_shm *shm, struct jw_shm_slot *s, const struct jw_shm_report *r);

/* Frees s's ring space up to pos (the end of a record whose outcome is final, in order).
 * Accepts released <= pos <= sent, pos a multiple of 8; returns 0 or -EINVAL. [P2] */
int jw_shm_release(const struct jw_shm *shm, struct jw_shm_slot *s, uint64_t pos);

/* Scans every slot: an owned slot whose pid is gone (kill(pid, 0) == ESRCH) becomes orphan;
 * an orphan or closed slot whose records are all final (released == head) becomes free,
 * with its generation kept (the next claim bumps it). A dead owner's impossible head is
 * pulled back to sent so the slot can drain. Returns the number of slots freed. */
unsigned jw_shm_reclaim(const struct jw_shm *shm);

/* ---- producer side (used by libjetwire's jw_open / jw_close) ---- */

/* Maps an existing instance read-write for a producer. Returns the handle or NULL with
 * errno: ENOENT (no such instance), EACCES, EPROTO (bad magic, version or layout hash),
 * EINVAL (bad name), ENOMEM. */
struct jw_shm *jw_shm_attach(const char *instance);

/* Unmaps a handle from jw_shm_attach. */
void jw_shm_unmap(struct jw_shm *shm);

/* Claims a free slot for pid: tries tx `prefer` first (if >= 0), then the least-loaded TX
 * lcore, then any. Returns the slot (owner set to OWNED with the next generation) or NULL
 * with errno EBUSY (none free) or EINVAL (prefer out of range). */
struct jw_shm_slot *jw_shm_claim(const struct jw_shm *shm, int prefer, int32_t pid);

/* Gives up slot s held with owner word `owner`: free at once when released == head, else
 * CLOSED (jw_shm_reclaim frees it once its records are final). Returns 0, or -ESTALE when
 * s is no longer owned with that word. */
int jw_shm_unclaim(struct jw_shm_slot *s, uint64_t owner);

/* ---- stats ---- */

struct jw_shm_slot_stats {
	uint32_t tx, index, gen, state;  /* state: JW_OWNER_* */
	int32_t pid;
	uint64_t head, sent, released, rep_head, rep_tail;
	uint64_t eagain, bad_records, bad_cursor, reports_dropped, reclaims;
};
/* Snapshot (relaxed) of one slot. Returns 0 or -EINVAL. */
int jw_shm_slot_stats(const struct jw_shm *shm, uint32_t tx, uint32_t index,
		      struct jw_shm_slot_stats *st);

#endif /* JW_SHM_H */
