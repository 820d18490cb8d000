/* SACK / RACK-TLP / undo / delayed-ACK / pacing tests (test_sack.c), registered in
 * test_tcp.c's main. */
#ifndef JW_TEST_TCP_SACK_H
#define JW_TEST_TCP_SACK_H

void sack_negotiation_matrix(void **state);
void sack_scoreboard_resends_only_holes(void **state);
void sack_transfer_loss_dup_reorder(void **state);
void sack_blocks_outside_flight_ignored(void **state);
void rack_reordering_window(void **state);
void tlp_probes_tail_then_rack_repairs(void **state);
void tlp_sends_new_data_when_it_can(void **state);
void tlp_resent_probe_waits_for_a_loss(void **state);
void tlp_floor_adapts_to_needless_probes(void **state);
void dsack_undoes_spurious_retransmission(void **state);
void eifel_undoes_spurious_rto(void **state);
void rto_held_until_control_polls(void **state);
void delayed_ack_timing(void **state);
void pacing_intervals(void **state);
void receiver_sends_sack_blocks(void **state);
void rack_window_widens_on_dsack_of_rtx(void **state);
void receiver_holds_a_window_out_of_order(void **state);
void receiver_sack_blocks_with_many_holes(void **state);
void data_segments_carry_sack_blocks(void **state);

#endif
