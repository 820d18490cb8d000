#!/usr/bin/env bash
# Two TX lcores, two TLS connections to the TLS nats-server (one SSL_CTX, two handshakes,
# two independent record layers, each sealed by its own TX lcore), two producers: every
# message is stored exactly once, in order per producer; both connections report TLS 1.3.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-30000}
engine_net_up
tls_pki
tls_server_start
tls_stream JWTTWO 'ttwo.>'
engine_start 2 "${JW_TWO_TX[@]}" "${TLS_SET[@]}"
jwpub -i "$JW_INSTANCE" --tx 0 -s ttwo.a -n "$N" --subjects 3 --wait --timeout 90 > "$JW_TMP/a" &
pa=$!
jwpub -i "$JW_INSTANCE" --tx 1 -s ttwo.b -n "$N" --subjects 3 --wait --timeout 90 > "$JW_TMP/b" &
pb=$!
wait "$pa" || { cat "$JW_TMP/a"; fail "producer a"; }
wait "$pb" || { cat "$JW_TMP/b"; fail "producer b"; }
grep -q "^reports: $N acked" "$JW_TMP/a" || fail "producer a: not all acked"
grep -q "^reports: $N acked" "$JW_TMP/b" || fail "producer b: not all acked"
"$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
tjwjs verify JWTTWO $((2 * N)) || fail "stream count"
tjwjs check JWTTWO ttwo.a "$N" || fail "producer a's messages"
tjwjs check JWTTWO ttwo.b "$N" || fail "producer b's messages"
engine_stop
[ "$(grep -c 'TLSv1.3' "$JW_LOG")" -eq 2 ] || fail "expected two TLS sessions"
python3 "$JW_ROOT/tests/integration/jwstat_conn.py" --all "$JW_TMP/stat.json" > "$JW_TMP/conns.json" ||
  fail "no connection in the telemetry"
python3 - "$JW_TMP/conns.json" <<'PY' || fail "telemetry"
import json, sys
conns = json.load(open(sys.argv[1]))
print([(c["tls_version"], c["tls_records_sealed"]) for c in conns])
assert len(conns) == 2 and all(c["tls_version"] == "TLSv1.3" and c["tls_records_sealed"] > 100
                               for c in conns), conns
PY
echo "PASS: $((2 * N)) messages over two TLS connections stored exactly once, in order"
