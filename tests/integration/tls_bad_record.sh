#!/usr/bin/env bash
# A bad record and an alert in the middle of a TLS session: the TLS front
# (tests/integration/tls_front.py, OpenSSL through Python's ssl, relaying to the reference
# server) damages the tag of one record it sends to jetwire after 20 KB of PubAcks; in a
# second run it sends close_notify there instead. Each time jetwire closes the connection
# (a TLS close, named in the log and counted), reconnects after its backoff with a new
# handshake and resends every unacknowledged publish with its Msg-Id: all N messages acked
# and stored exactly once, in order.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-50000}

# run WHAT FRONT_WORD JETWIRE_WORD [front args]
run() {
  local what=$1 word=$2 jword=$3 stream=JWBR$RANDOM; shift 3
  front_start "$@"
  engine_stream "$stream" 'tlsbad.>'
  engine_start 1 "${TLS_SET[@]}"
  jwpub -i "$JW_INSTANCE" -s tlsbad.a -n "$N" --subjects 2 --wait --timeout 90 > "$JW_TMP/pub" \
    || { cat "$JW_TMP/pub"; fail "$what: jwpub"; }
  grep -q "^reports: $N acked" "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "$what: not every message acked"; }
  "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
  jwjs check "$stream" tlsbad.a "$N" || fail "$what: stored messages"
  jwjs verify "$stream" "$N" || fail "$what: stream count"
  jwjs rm "$stream" > /dev/null
  engine_stop
  grep -q "$word" "$JW_TMP/front.log" || { cat "$JW_TMP/front.log"; fail "$what: the front did not act"; }
  grep -v "^EAL" "$JW_LOG" | grep -E "closing|closed|ready"
  grep -q "closing: TLS record layer: $jword" "$JW_LOG" || fail "$what: no TLS close ($jword) in the log"
  python3 "$JW_ROOT/tests/integration/jwstat_conn.py" "$JW_TMP/stat.json" > "$JW_TMP/conn.json" ||
    fail "$what: no connection in the telemetry"
  python3 - "$JW_TMP/conn.json" <<'PY' || fail "$what: telemetry"
import json, sys
c = json.load(open(sys.argv[1]))
print("conn:", {k: c[k] for k in ("reconnects", "tls_handshakes", "resent_reconnect")})
assert c["tls_handshakes"] >= 2 and c["reconnects"] >= 1, c
PY
  front_stop
  echo "ok: $what"
}
engine_net_up
tls_pki
run "damaged record" "damaged record" bad-record-mac --corrupt-after 20000
run close_notify "close_notify" close-notify --close-notify-after 20000
echo "PASS: a bad record and an alert close the TLS session; reconnect and resend: exactly once"
