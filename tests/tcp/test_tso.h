/* TSO tests (test_tso.c), registered in test_tcp.c's main. */
#ifndef JW_TEST_TCP_TSO_H
#define JW_TEST_TCP_TSO_H

void tso_packet_carries_offload_fields(void **state);
void tso_not_used_unless_offered(void **state);
void tso_bounded_by_port_and_peer_window(void **state);
void tso_transfer_clean(void **state);
void tso_loss_inside_packet_fast_retransmit(void **state);
void tso_blackout_rto_recovers(void **state);
void tso_partial_ack_trims_resend(void **state);
void tso_retransmit_while_nic_holds_packet(void **state);

#endif
