#!/usr/bin/env bash
# jetwire's own TLS 1.3 KeyUpdates against a real nats-server (Go's crypto/tls): with
# [nats] tls_key_update_records = 30 the TX lcore changes its send key every 30 records,
# many times during the run, and every message is still acked and stored exactly once (the
# server moved to each new key at the right record).
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-50000}
engine_net_up
tls_pki
tls_server_start
tls_stream JWKU 'ku.>'
engine_start 1 "${TLS_SET[@]}" --set nats.tls_key_update_records=30
jwpub -i "$JW_INSTANCE" -s ku.a -n "$N" --subjects 3 --wait --timeout 90 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "jwpub"; }
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
"$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
tjwjs check JWKU ku.a "$N" || fail "stored messages"
tjwjs verify JWKU "$N" || fail "stream count"
engine_stop
python3 "$JW_ROOT/tests/integration/jwstat_conn.py" "$JW_TMP/stat.json" > "$JW_TMP/conn.json" ||
  fail "no connection in the telemetry"
python3 - "$JW_TMP/conn.json" <<'PY' || fail "telemetry"
import json, sys
c = json.load(open(sys.argv[1]))
sealed, ku = c["tls_records_sealed"], c["tls_key_updates"]
print(f"records sealed {sealed}, key updates {ku}")
assert c["tls_version"] == "TLSv1.3"
assert ku >= sealed // 30 - 1 and ku >= 10, c
PY
echo "PASS: $N messages stored exactly once across jetwire's KeyUpdates"
