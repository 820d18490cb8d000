/* Numbers an off-path attacker must not guess: SipHash-2-4, RFC 6528 initial sequence
 * numbers and the RFC 6056 choice of source ports (with a 60 s quiet time per port). */
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp.h"
#include "tcp/tcp_priv.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                   \
	do {                                                                       \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);          \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                             \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                             \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);          \
	} while (0)

uint64_t
tcp_siphash(const uint64_t k[2], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ k[0];
	uint64_t v3 = 0x7465646279746573ull ^ k[1];
	uint64_t b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m;
		memcpy(&m, in + i, 8);
		m = rte_le_to_cpu_64(m);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct tuple_bytes {
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
};

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs
 * timer. Keyed so an off-path attacker cannot predict it; the timer keeps successive
 * incarnations of a tuple moving forward. */
uint32_t
tcp_isn(const struct tcp_stack *st, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
	uint16_t dst_port, uint64_t now_ns)
{
	struct tuple_bytes t = { src_ip, dst_ip, src_port, dst_port };

	return (uint32_t)(now_ns / 4000) + (uint32_t)tcp_siphash(st->isn_key, &t, sizeof(t));
}

/* RFC 6056 algorithm 3 (simple hash-based): start at F(tuple without sport) + counter and
 * take the first port whose quiet time is over. Stricter than the RFC: a port is quiet for
 * 60 s after its last connection ended regardless of destination, so no 4-tuple repeats
 * within 60 s. Returns the port, or 0 when every port is busy or quiet. */
uint16_t
tcp_port_take(struct tcp_stack *st, uint32_t src_ip, uint32_t dst_ip, uint16_t dst_port,
	      uint64_t now_ns)
{
	struct tuple_bytes t = { src_ip, dst_ip, 0, dst_port };
	uint32_t off = (uint32_t)tcp_siphash(st->port_key, &t, sizeof(t));

	for (uint32_t i = 0; i < TCP_PORT_COUNT; i++) {
		uint32_t idx = (off + st->port_counter + i) % TCP_PORT_COUNT;
		if (st->port_free_at[idx] <= now_ns) {
			st->port_free_at[idx] = UINT64_MAX;
			st->port_counter += i + 1;
			return (uint16_t)(TCP_PORT_LO + idx);
		}
	}
	return 0;
}

void
tcp_port_release(struct tcp_stack *st, uint16_t port, uint64_t now_ns)
{
	if (port < TCP_PORT_LO)
		return;
	st->port_free_at[port - TCP_PORT_LO] = now_ns + TCP_TUPLE_QUIET_NS;
}
