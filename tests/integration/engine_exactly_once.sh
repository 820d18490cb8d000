#!/usr/bin/env bash
# Two TX lcores (two NATS connections), two producers (one per TX lcore), K subjects each:
# every message is stored exactly once, with the right content, in order per producer,
# read back through JetStream with cnats (build/jwjs check). The window never exceeded.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=${JW_TEST_N:-40000}
K=4
engine_net_up
engine_stream JWONCE 'once.>'
engine_start 2 "${JW_TWO_TX[@]}"
jwpub -i "$JW_INSTANCE" --tx 0 -s once.a -n "$N" --subjects "$K" --wait --timeout 60 > "$JW_TMP/a" &
pa=$!
jwpub -i "$JW_INSTANCE" --tx 1 -s once.b -n "$N" --subjects "$K" --wait --timeout 60 > "$JW_TMP/b" &
pb=$!
wait "$pa" || { cat "$JW_TMP/a"; fail "producer a: failed or missing reports"; }
wait "$pb" || { cat "$JW_TMP/b"; fail "producer b: failed or missing reports"; }
cat "$JW_TMP/a" "$JW_TMP/b"
grep -q "^reports: $N acked" "$JW_TMP/a" || fail "producer a: not all acked"
grep -q "^reports: $N acked" "$JW_TMP/b" || fail "producer b: not all acked"
jwjs verify JWONCE $((2 * N)) || fail "stream count"
jwjs check JWONCE once.a "$N" || fail "producer a's messages"
jwjs check JWONCE once.b "$N" || fail "producer b's messages"
engine_stop
grep -E "engine: (sent|shared)" "$JW_LOG"
[ "$(engine_counter acked)" -eq $((2 * N)) ] || fail "engine acked count"
# most first sends shared their subject's reply, and every one of them was confirmed
shared=$(engine_share_counter sent)
[ "$shared" -gt $((N / 2)) ] || fail "only $shared publishes used shared replies"
[ "$(engine_share_counter confirmed)" -eq "$shared" ] || fail "shared replies not all confirmed"
[ "$(engine_share_counter 'classes broken')" -eq 0 ] || fail "a class broke on a clean run"
grep -c 'ready (NATS session up)' "$JW_LOG" | grep -qx 2 || fail "expected two sessions"
echo "PASS: $((2 * N)) messages over 2 connections stored exactly once, in order"
