#!/usr/bin/env bash
# Mutual TLS: nats-server with `verify: true` accepts jetwire with the client certificate
# (tls_cert_file / tls_key_file) and every message is stored; without one the server refuses
# (TLS 1.3: its alert arrives after our handshake) and jetwire says so, spaced by the
# backoff.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-20000}
engine_net_up
tls_pki
tls_server_start "$PKI/srv.pem" "verify: true"
tls_stream JWMTLS 'mtls.>'
engine_start 1 "${TLS_SET[@]}" --set "nats.tls_cert_file=$PKI/cli.pem" \
  --set "nats.tls_key_file=$PKI/cli.key"
jwpub -i "$JW_INSTANCE" -s mtls.a -n "$N" --wait --timeout 90 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "jwpub"; }
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
tjwjs verify JWMTLS "$N" || fail "stream count"
engine_stop
echo "ok: with a client certificate"
engine_start_expect "TLS handshake failed: refused-by-server" 15 "${TLS_SET[@]}"
tls_fail_check refused-by-server # no session, retried after the backoff, counted
engine_stop
echo "PASS: mutual TLS with and without a client certificate"
