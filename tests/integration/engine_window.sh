#!/usr/bin/env bash
# The JetStream window is never exceeded, checked from jetwire's counters: with a fixed
# window of 16 the most publishes ever in flight is at most 16 (and reached), no send was
# refused; with the adaptive window the most in flight stays within window_max.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=30000
engine_net_up
engine_stream JWWIN 'win.>'
engine_start 1 --set flow.window=16
jwpub -i "$JW_INSTANCE" -s win.fixed -n "$N" --wait --timeout 60 || fail "publish (fixed)"
engine_stop
grep "engine: sent" "$JW_LOG"
hwm=$(engine_counter "most in flight")
refused=$(engine_counter "refused sends")
[ -n "$hwm" ] && [ "$hwm" -le 16 ] || fail "fixed window 16 exceeded: $hwm in flight"
[ "$hwm" -ge 8 ] || fail "fixed window barely used ($hwm): the check would prove nothing"
[ "$refused" -eq 0 ] || fail "$refused sends refused with a fixed window"
fixed_hwm=$hwm

engine_start 1 --set flow.window_min=4 --set flow.window_max=64
jwpub -i "$JW_INSTANCE" -s win.adaptive -n "$N" --wait --timeout 60 || fail "publish (adaptive)"
engine_stop
grep "engine: sent" "$JW_LOG"
hwm=$(engine_counter "most in flight")
[ -n "$hwm" ] && [ "$hwm" -le 64 ] || fail "adaptive window_max 64 exceeded: $hwm in flight"
jwjs verify JWWIN $((2 * N)) || fail "stream count"
echo "PASS: window bounds held (fixed 16: $fixed_hwm in flight at most; adaptive 4..64: $hwm)"
