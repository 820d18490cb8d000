/* A PubAck stream recorded from nats-server 2.9 (see record_pubacks.py). */
#ifndef JW_BENCH_PUBACK_RECORDING_H
#define JW_BENCH_PUBACK_RECORDING_H

#include <stddef.h>

extern const unsigned puback_recording_acks;
extern const size_t puback_recording_len;
extern const char puback_recording[];

#endif
