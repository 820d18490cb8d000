/* Types of the producer library (libjetwire): the state behind the opaque jw_producer
 * handle of jetwire.h. Only lib/producer and its tests use the fields; one producer handle
 * belongs to one thread at a time (jetwire.h). DPDK-free. */
#ifndef JW_PRODUCER_T_H
#define JW_PRODUCER_T_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm-t.h"

struct jw_report;
struct jw_shm;

struct jw_producer {
	/* Hot: read or written by every jw_publish. */
	uint8_t *ring;
	struct jw_shm_slot *slot;
	const struct jw_shm_hdr *hdr;
	uint64_t owner;          /* our owner word: the slot is ours while it is unchanged */
	uint64_t head;           /* private copy of slot->head (we are its only writer) */
	uint64_t released;       /* cached slot->released, refreshed only when full */
	uint64_t seq;            /* last seq handed out */
	uint64_t eagain;
	uint32_t ring_bytes;
	uint32_t max_rec;        /* largest record: half the ring, so it always fits */

	/* Reports. */
	struct jw_shm_report *reps;
	uint32_t rep_n;
	uint64_t rep_tail;       /* private copy of slot->rep_tail */
	uint64_t reported;       /* reports taken from the ring (buffered or returned) */
	struct jw_report *buf;   /* FIFO of reports taken by jw_flush / jw_publish_wait */
	size_t buf_first, buf_len, buf_cap;

	struct jw_shm *shm;
};

#endif /* JW_PRODUCER_T_H */
