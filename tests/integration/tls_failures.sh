#!/usr/bin/env bash
# TLS failures are clear, counted (the tls_failures counter follows the log) and spaced out
# by the reconnect backoff (no tight loop):
# wrong CA, wrong name, expired server certificate, tls = off against a server that requires
# TLS, tls = required against a server without TLS. The default name (the server's address)
# matches the certificate's IP entry.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
engine_net_up
tls_pki
tls_server_start

# expect_fail REASON [--set ...]: the log names REASON; retried after the backoff, counted
expect_fail() {
  local why=$1; shift
  engine_start_expect "TLS handshake failed: $why" 15 "$@"
  tls_fail_check "$why"
  engine_stop
}

expect_fail untrusted-certificate "${TLS_SET[@]}" --set "nats.tls_ca_file=$PKI/ca2.pem"
expect_fail name-mismatch "${TLS_SET[@]}" --set nats.tls_server_name=wrong.test
expect_fail server-requires-tls --set "nats.servers=nats://$TLS_IP:4222" --set nats.tls=off
expect_fail server-without-tls --set nats.servers=nats://198.18.0.1:4222 --set nats.tls=required
expect_fail server-without-tls --set nats.servers=tls://198.18.0.1:4222
# the default name: the address, in the certificate's subjectAltName
engine_start 1 --set "nats.servers=$TLS_URL" --set "nats.tls_ca_file=$PKI/ca.pem"
engine_stop
echo "ok: default name (IP address)"
tls_server_stop
tls_server_start "$PKI/expired.pem"
expect_fail certificate-expired "${TLS_SET[@]}"
# a configuration error is refused at start-up with the file named
"$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" --set "eal.file_prefix=jw-engine-$$" \
  --set "shm.instance=jwt$$" "${TLS_SET[@]}" --set nats.tls_ca_file=/nonexistent/ca.pem \
  > "$JW_TMP/bad.log" 2>&1 && fail "jetwire started with a missing CA file"
grep -q "/nonexistent/ca.pem" "$JW_TMP/bad.log" || { cat "$JW_TMP/bad.log"; fail "no clear message"; }
rm -f "/dev/shm/jetwire.jwt$$"
# --check loads the TLS files too
"$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" --check "${TLS_SET[@]}" \
  --set "nats.tls_cert_file=$PKI/cli.pem" --set "nats.tls_key_file=$PKI/srv.key" \
  > "$JW_TMP/chk.log" 2>&1 && fail "--check accepted a key that does not match the certificate"
grep -q "key values mismatch" "$JW_TMP/chk.log" || { cat "$JW_TMP/chk.log"; fail "--check message"; }
"$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" --check "${TLS_SET[@]}" \
  --set "nats.tls_cert_file=$PKI/cli.pem" --set "nats.tls_key_file=$PKI/cli.key" \
  || fail "--check refused good TLS files"
echo "PASS: TLS failures classified, logged and not retried in a tight loop"
