/* Unit tests of lib/net: frame classification with every drop reason, ARP answers and
 * learning, resolution with retries on a virtual clock, ICMP echo replies, IPv4 helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "../common/fixtures.h"
#include "net/net.h"

static struct rte_mempool *pool;
static struct jw_net net;
static const struct rte_ether_addr our_mac = { .addr_bytes = { 2, 0, 0, 0, 0, 2 } };
static const struct rte_ether_addr peer_mac = { .addr_bytes = { 2, 0, 0, 0, 0, 1 } };
static const struct rte_ether_addr other_mac = { .addr_bytes = { 2, 0, 0, 0, 0, 9 } };
static const struct rte_ether_addr bcast = { .addr_bytes = { 255, 255, 255, 255, 255, 255 } };

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int
setup(void **state)
{
	(void)state;
	return jwt_eal_setup("net", 1023, &pool);
}

static int
teardown(void **state)
{
	(void)state;
	return jwt_eal_teardown(pool);
}

static int
reset(void **state)
{
	(void)state;
	return jw_net_init(&net, &our_mac, ip("198.18.0.2"), 24, 0);
}

/* An IPv4 frame from the peer: proto, payload of len bytes (pattern), to dst. */
static struct rte_mbuf *
ipv4_frame(uint32_t dst, uint8_t proto, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *e;
	struct rte_ipv4_hdr *h;
	uint8_t *pl;

	assert_non_null(m);
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*e) + sizeof(*h) + len));
	assert_non_null(e);
	jw_eth_fill(e, &peer_mac, &our_mac, RTE_ETHER_TYPE_IPV4);
	h = (struct rte_ipv4_hdr *)(e + 1);
	jw_ipv4_fill(h, ip("198.18.0.1"), dst, proto, len, 7, 64);
	jw_ipv4_cksum_set(h);
	pl = (uint8_t *)(h + 1);
	for (uint16_t i = 0; i < len; i++)
		pl[i] = (uint8_t)i;
	return m;
}

static struct rte_mbuf *
echo_request(uint16_t payload)
{
	struct rte_mbuf *m = ipv4_frame(ip("198.18.0.2"), IPPROTO_ICMP,
					(uint16_t)(sizeof(struct rte_icmp_hdr) + payload));
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, 34);

	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_ident = rte_cpu_to_be_16(0x1234);
	ic->icmp_seq_nb = rte_cpu_to_be_16(9);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + payload);
	return m;
}

static struct rte_mbuf *
arp_frame(uint16_t op, const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *sha,
	  uint32_t sip, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *e;
	struct rte_arp_hdr *a;

	assert_non_null(m);
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*e) + sizeof(*a));
	jw_eth_fill(e, sha, eth_dst, RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(e + 1);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	a->arp_data.arp_sip = sip;
	memset(&a->arp_data.arp_tha, 0, 6);
	a->arp_data.arp_tip = tip;
	return m;
}

static enum jw_drop_reason
classify_drop(struct rte_mbuf *m)
{
	enum jw_drop_reason r = JW_DROP_REASONS;

	assert_int_equal(jw_net_classify(&net, m, &r), JW_RX_DROP);
	rte_pktmbuf_free(m);
	return r;
}

static void
classify_accepts(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	m = arp_frame(RTE_ARP_OP_REQUEST, &bcast, &peer_mac, ip("198.18.0.1"), ip("198.18.0.2"));
	assert_int_equal(jw_net_classify(&net, m, NULL), JW_RX_ARP);
	rte_pktmbuf_free(m);
	m = echo_request(56);
	assert_int_equal(jw_net_classify(&net, m, NULL), JW_RX_ICMP);
	rte_pktmbuf_free(m);
	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, sizeof(struct rte_tcp_hdr));
	assert_int_equal(jw_net_classify(&net, m, NULL), JW_RX_TCP);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(net.st.rx_tcp, 1);
	rte_pktmbuf_free(m);
	/* Ethernet padding after a short IPv4 packet is trimmed */
	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	memset(rte_pktmbuf_append(m, 6), 0, 6);
	assert_int_equal(jw_net_classify(&net, m, NULL), JW_RX_TCP);
	assert_int_equal(rte_pktmbuf_data_len(m), 54);
	rte_pktmbuf_free(m);
}

static void
classify_drops_with_reasons(void **state)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *h;

	(void)state;
	m = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_append(m, 10);
	assert_int_equal(classify_drop(m), JW_DROP_SHORT);

	m = arp_frame(RTE_ARP_OP_REQUEST, &other_mac, &peer_mac, ip("198.18.0.1"),
		      ip("198.18.0.2"));
	assert_int_equal(classify_drop(m), JW_DROP_NOT_US);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	assert_int_equal(classify_drop(m), JW_DROP_ETHERTYPE);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = other_mac;
	assert_int_equal(classify_drop(m), JW_DROP_NOT_US);

	m = ipv4_frame(ip("198.18.0.3"), IPPROTO_TCP, 20);
	assert_int_equal(classify_drop(m), JW_DROP_NOT_US);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	h->hdr_checksum ^= 1;
	assert_int_equal(classify_drop(m), JW_DROP_IP_HDR);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	h->total_length = rte_cpu_to_be_16(200); /* beyond the frame */
	jw_ipv4_cksum_set(h);
	assert_int_equal(classify_drop(m), JW_DROP_IP_HDR);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_TCP, 20);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	jw_ipv4_cksum_set(h);
	assert_int_equal(classify_drop(m), JW_DROP_FRAGMENT);

	m = ipv4_frame(ip("198.18.0.2"), IPPROTO_UDP, 8);
	assert_int_equal(classify_drop(m), JW_DROP_PROTO);

	assert_int_equal(net.st.drop[JW_DROP_NOT_US], 3);
	assert_int_equal(net.st.drop[JW_DROP_IP_HDR], 2);
	assert_string_equal(jw_drop_reason_str(JW_DROP_FRAGMENT), "fragment");
}

static void
arp_request_for_us_is_answered_and_learned(void **state)
{
	struct rte_mbuf *m, *r;
	const struct rte_ether_hdr *e;
	const struct rte_arp_hdr *a;
	struct rte_ether_addr mac;

	(void)state;
	m = arp_frame(RTE_ARP_OP_REQUEST, &bcast, &peer_mac, ip("198.18.0.1"), ip("198.18.0.2"));
	r = jw_net_input(&net, m, pool, 1000);
	assert_non_null(r);
	e = rte_pktmbuf_mtod(r, const struct rte_ether_hdr *);
	a = (const struct rte_arp_hdr *)(e + 1);
	assert_true(rte_is_same_ether_addr(&e->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&e->src_addr, &our_mac));
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	assert_int_equal(a->arp_data.arp_sip, ip("198.18.0.2"));
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer_mac));
	assert_int_equal(a->arp_data.arp_tip, ip("198.18.0.1"));
	rte_pktmbuf_free(r);
	assert_int_equal(jw_arp_lookup(&net, ip("198.18.0.1"), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	assert_int_equal(net.st.rx_arp_request, 1);
	assert_int_equal(net.st.tx_arp_reply, 1);

	/* a request for someone else is not answered and does not add its sender */
	m = arp_frame(RTE_ARP_OP_REQUEST, &bcast, &other_mac, ip("198.18.0.9"), ip("198.18.0.7"));
	assert_null(jw_net_input(&net, m, pool, 2000));
	assert_int_equal(jw_arp_lookup(&net, ip("198.18.0.9"), &mac), -ENOENT);
	/* an unsolicited reply is not learned either */
	m = arp_frame(RTE_ARP_OP_REPLY, &our_mac, &other_mac, ip("198.18.0.9"), ip("198.18.0.2"));
	assert_null(jw_net_input(&net, m, pool, 3000));
	assert_int_equal(jw_arp_lookup(&net, ip("198.18.0.9"), &mac), -ENOENT);
	/* but one from a known host updates it (e.g. after a failover) */
	m = arp_frame(RTE_ARP_OP_REPLY, &our_mac, &other_mac, ip("198.18.0.1"), ip("198.18.0.2"));
	assert_null(jw_net_input(&net, m, pool, 4000));
	assert_int_equal(jw_arp_lookup(&net, ip("198.18.0.1"), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &other_mac));
	/* an ARP claiming our own address is refused */
	m = arp_frame(RTE_ARP_OP_REQUEST, &bcast, &other_mac, ip("198.18.0.2"), ip("198.18.0.2"));
	assert_null(jw_net_input(&net, m, pool, 5000));
	assert_int_equal(net.st.drop[JW_DROP_ARP_BAD], 1);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
check_request(struct rte_mbuf *req, uint32_t tip)
{
	const struct rte_ether_hdr *e;
	const struct rte_arp_hdr *a;

	assert_non_null(req);
	e = rte_pktmbuf_mtod(req, const struct rte_ether_hdr *);
	a = (const struct rte_arp_hdr *)(e + 1);
	assert_true(rte_is_broadcast_ether_addr(&e->dst_addr));
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_int_equal(a->arp_data.arp_tip, tip);
	assert_int_equal(a->arp_data.arp_sip, ip("198.18.0.2"));
	rte_pktmbuf_free(req);
}

static void
arp_resolve_retries_then_gives_up_then_retries(void **state)
{
	const uint32_t srv = ip("198.18.0.1");
	struct rte_ether_addr mac;
	struct rte_mbuf *req;
	uint64_t t = 1000000;

	(void)state;
	assert_int_equal(jw_arp_resolve(&net, srv, t, pool, &mac, &req), -EAGAIN);
	check_request(req, srv);
	assert_int_equal(jw_arp_resolve(&net, srv, t + 1, pool, &mac, &req), -EAGAIN);
	assert_null(req);
	for (int i = 1; i < JW_ARP_TRIES; i++) {
		t += JW_ARP_RETRY_NS;
		assert_int_equal(jw_arp_resolve(&net, srv, t, pool, &mac, &req), -EAGAIN);
		check_request(req, srv);
	}
	t += JW_ARP_RETRY_NS;
	assert_int_equal(jw_arp_resolve(&net, srv, t, pool, &mac, &req), -EHOSTUNREACH);
	assert_null(req);
	assert_int_equal(jw_arp_resolve(&net, srv, t + JW_ARP_HOLD_NS - 1, pool, &mac, &req),
			 -EHOSTUNREACH);
	assert_null(req);
	t += JW_ARP_HOLD_NS;
	assert_int_equal(jw_arp_resolve(&net, srv, t, pool, &mac, &req), -EAGAIN);
	check_request(req, srv);
	assert_int_equal(net.st.tx_arp_request, JW_ARP_TRIES + 1);
	/* the answer arrives */
	assert_null(jw_net_input(&net, arp_frame(RTE_ARP_OP_REPLY, &our_mac, &peer_mac, srv,
						 ip("198.18.0.2")), pool, t + 10));
	assert_int_equal(jw_arp_resolve(&net, srv, t + 20, pool, &mac, &req), 0);
	assert_null(req);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
arp_table_full(void **state)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *req;

	(void)state;
	for (uint32_t i = 0; i < JW_ARP_MAX; i++) {
		assert_int_equal(jw_arp_resolve(&net, htonl(0xC6120000u + 10 + i), 0, pool, &mac,
						&req), -EAGAIN);
		rte_pktmbuf_free(req);
	}
	assert_int_equal(jw_arp_resolve(&net, ip("198.18.0.200"), 0, pool, &mac, &req),
			 -ENOSPC);
	assert_null(req);
}

static void
echo_request_gets_reply(void **state)
{
	struct rte_mbuf *m = echo_request(56), *r;
	struct rte_ether_hdr *e;
	struct rte_ipv4_hdr *h;
	struct rte_icmp_hdr *ic;
	const uint8_t *pl;

	(void)state;
	assert_int_equal(jw_net_classify(&net, m, NULL), JW_RX_ICMP);
	r = jw_net_input(&net, m, pool, 0);
	assert_ptr_equal(r, m);
	e = rte_pktmbuf_mtod(r, struct rte_ether_hdr *);
	h = (struct rte_ipv4_hdr *)(e + 1);
	ic = (struct rte_icmp_hdr *)(h + 1);
	assert_true(rte_is_same_ether_addr(&e->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&e->src_addr, &our_mac));
	assert_int_equal(h->src_addr, ip("198.18.0.2"));
	assert_int_equal(h->dst_addr, ip("198.18.0.1"));
	assert_int_equal(jw_ipv4_hdr_check(h, rte_pktmbuf_data_len(r) - 14, false), 20);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), 0x1234);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), 9);
	assert_int_equal(rte_raw_cksum(ic, sizeof(*ic) + 56), 0xffff);
	pl = (const uint8_t *)(ic + 1);
	for (int i = 0; i < 56; i++)
		assert_int_equal(pl[i], (uint8_t)(i + sizeof(*ic)));
	rte_pktmbuf_free(r);
	assert_int_equal(net.st.tx_echo_reply, 1);

	/* an echo reply, or a request with a bad checksum, is not answered */
	m = echo_request(8);
	rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, 34)->icmp_cksum ^= 0x100;
	assert_null(jw_net_input(&net, m, pool, 0));
	assert_int_equal(net.st.drop[JW_DROP_ICMP_OTHER], 1);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
next_hop_and_init(void **state)
{
	uint32_t hop;
	struct jw_net gw;

	(void)state;
	assert_int_equal(jw_net_next_hop(&net, ip("198.18.0.77"), &hop), 0);
	assert_int_equal(hop, ip("198.18.0.77"));
	assert_int_equal(jw_net_next_hop(&net, ip("198.19.0.1"), &hop), -ENETUNREACH);
	assert_int_equal(jw_net_init(&gw, &our_mac, ip("198.18.0.2"), 24, ip("198.18.0.254")), 0);
	assert_int_equal(jw_net_next_hop(&gw, ip("198.19.0.1"), &hop), 0);
	assert_int_equal(hop, ip("198.18.0.254"));
	assert_int_equal(jw_net_init(&gw, &our_mac, ip("198.18.0.2"), 0, 0), -EINVAL);
	assert_int_equal(jw_net_init(&gw, &our_mac, ip("198.18.0.2"), 33, 0), -EINVAL);
}

static void
ipv4_helpers(void **state)
{
	uint8_t buf[60] = { 0 };
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;

	(void)state;
	jw_ipv4_fill(h, ip("198.18.0.2"), ip("198.18.0.1"), IPPROTO_TCP, 40, 5, 64);
	assert_int_equal(rte_be_to_cpu_16(h->total_length), 60);
	assert_false(jw_ipv4_is_fragment(h));
	assert_int_equal(jw_ipv4_hdr_check(h, 60, false), 0); /* checksum not set yet */
	jw_ipv4_cksum_set(h);
	assert_int_equal(jw_ipv4_hdr_check(h, 60, false), 20);
	assert_int_equal(jw_ipv4_hdr_check(h, 59, false), 0); /* truncated */
	h->hdr_checksum = 0;
	assert_int_equal(jw_ipv4_hdr_check(h, 60, true), 20); /* NIC said good */
	h->version_ihl = 0x65;
	assert_int_equal(jw_ipv4_hdr_check(h, 60, true), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(classify_accepts, reset),
		cmocka_unit_test_setup(classify_drops_with_reasons, reset),
		cmocka_unit_test_setup(arp_request_for_us_is_answered_and_learned, reset),
		cmocka_unit_test_setup(arp_resolve_retries_then_gives_up_then_retries, reset),
		cmocka_unit_test_setup(arp_table_full, reset),
		cmocka_unit_test_setup(echo_request_gets_reply, reset),
		cmocka_unit_test_setup(next_hop_and_init, reset),
		cmocka_unit_test_setup(ipv4_helpers, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
