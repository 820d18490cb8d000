/* libjetwire internals that tools and tests may use beside the public lib/include/jetwire.h. */
#ifndef JW_PRODUCER_H
#define JW_PRODUCER_H

#include <stdint.h>

#include "jetwire.h"

/* Which slot p holds: sets *tx and *index (when not NULL), returns the slot generation. */
uint32_t jw_producer_slot(const jw_producer *p, uint32_t *tx, uint32_t *index);

/* jw_publish calls on p refused with JW_EAGAIN. */
uint64_t jw_producer_eagain(const jw_producer *p);

#endif /* JW_PRODUCER_H */
