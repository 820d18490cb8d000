#!/usr/bin/env bash
# TLS 1.2-only and 1.3-only servers (a TLS front, tests/integration/tls_front.py, before the
# reference nats-server: nats-server 2.9 cannot restrict its versions): jetwire negotiates
# TLS 1.2 (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) and TLS 1.3, and every message is
# stored exactly once; with tls_min_version = 1.3 against the 1.2-only server the handshake
# fails as no-common-version, and against a 1.2 server with only a CBC suite as
# no-common-cipher.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-20000}
# run VERSION CIPHER_PREFIX [front args]: N messages through the front, exactly once
run() {
  local ver=$1 cipher=$2 stream=JWV$RANDOM; shift 2
  front_start "$@"
  engine_stream "$stream" 'tlsver.>'
  engine_start 1 "${TLS_SET[@]}"
  "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
  jwpub -i "$JW_INSTANCE" -s tlsver.a -n "$N" --subjects 2 --wait --timeout 90 > "$JW_TMP/pub" \
    || { cat "$JW_TMP/pub"; fail "$ver: jwpub"; }
  grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "$ver: not every message acked"
  jwjs check "$stream" tlsver.a "$N" || fail "$ver: stored messages"
  jwjs verify "$stream" "$N" || fail "$ver: stream count"
  jwjs rm "$stream"
  engine_stop
  python3 "$JW_ROOT/tests/integration/jwstat_conn.py" "$JW_TMP/stat.json" > "$JW_TMP/conn.json" ||
    fail "$ver: no connection in the telemetry"
  python3 - "$JW_TMP/conn.json" "$ver" "$cipher" <<'PY' || fail "$ver: telemetry"
import json, sys
c = json.load(open(sys.argv[1]))
print("conn:", c["tls_version"], c["tls_cipher"])
assert c["tls_version"] == sys.argv[2], c
assert c["tls_cipher"].startswith(sys.argv[3]), c
PY
  front_stop
  echo "ok: $ver $cipher"
}
engine_net_up
tls_pki
run TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM --max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
run TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM --max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384
run TLSv1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20 --max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305
run TLSv1.3 TLS_ --min 1.3
front_start --max 1.2
engine_start_expect "TLS handshake failed: no-common-version" 15 "${TLS_SET[@]}" \
  --set nats.tls_min_version=1.3
tls_fail_check no-common-version
engine_stop
front_stop
# a TLS 1.2 server with only a CBC suite: jetwire offers AEADs only
front_start --max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA
engine_start_expect "TLS handshake failed: no-common-cipher" 15 "${TLS_SET[@]}"
tls_fail_check no-common-cipher
engine_stop
front_stop
echo "PASS: TLS 1.2 (three AEADs) and 1.3-only servers; no common version or cipher refused"
