# Helpers of the TLS integration scripts (sourced): a CA and certificates made with the
# openssl command, a TLS-configured nats-server (JetStream) on 198.18.0.5 inside netns jw-srv
# beside the reference server, jwjs and jetwire pointed at it. Everything is removed on exit.
source "$(dirname "${BASH_SOURCE[0]}")/lib-engine.bash"

TLS_IP=198.18.0.5
TLS_URL=tls://$TLS_IP:4222
PKI=$JW_TMP/pki
TLS_SRV_PID=
TLS_SRV_LOG=$JW_TMP/tls-nats.log

tls_cleanup() {
  front_stop
  if [ -n "$TLS_SRV_PID" ]; then
    kill -KILL "$TLS_SRV_PID" 2>/dev/null || true
    wait "$TLS_SRV_PID" 2>/dev/null || true
  fi
  [ -n "${TCPDUMP_PID:-}" ] && kill -KILL "$TCPDUMP_PID" 2>/dev/null || true
  engine_cleanup
}
trap tls_cleanup EXIT

# The TLS front (tests/integration/tls_front.py: OpenSSL through Python's ssl) on
# $TLS_IP:4222 inside jw-srv, relaying to the reference server with the test PKI's server
# certificate; front_start ARGS... passes its options (versions, ciphers, damage), returns
# once it listens; front_stop (also at exit) ends it.
FRONT_PID=
front_start() { # front args...
  ip netns exec jw-srv ip addr add "$TLS_IP/24" dev jwv1 2>/dev/null || true
  ip netns exec jw-srv python3 "$JW_ROOT/tests/integration/tls_front.py" --listen "$TLS_IP:4222" \
    --upstream 198.18.0.1:4222 --cert "$PKI/srv.pem" --key "$PKI/srv.key" "$@" \
    > "$JW_TMP/front.log" 2>&1 &
  FRONT_PID=$!
  for _ in $(seq 50); do grep -q "front: ready" "$JW_TMP/front.log" && return 0; sleep 0.1; done
  cat "$JW_TMP/front.log"; fail "TLS front not ready"
}
front_stop() {
  [ -n "$FRONT_PID" ] && { kill "$FRONT_PID" 2>/dev/null || true; wait "$FRONT_PID" 2>/dev/null || true; }
  FRONT_PID=
}

# CA, second CA, server certificate for nats.test and 198.18.0.5, the same expired, a
# client certificate; ECDSA P-256 (the RSA variant for the 1.2 test: tls_pki_rsa).
tls_pki() {
  mkdir -p "$PKI"
  (
    cd "$PKI"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=jw-test-ca
    openssl req -x509 "${ec[@]}" -keyout ca2.key -out ca2.pem -days 2 -subj /CN=other-ca
    openssl req "${ec[@]}" -keyout srv.key -out srv.csr -subj /CN=nats.test
    printf 'subjectAltName=DNS:nats.test,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
      "$TLS_IP" > srv.ext
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile srv.ext -out srv.pem
    openssl req "${ec[@]}" -keyout cli.key -out cli.csr -subj /CN=jetwire
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > cli.ext
    openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile cli.ext -out cli.pem
    # expired: openssl ca can set the validity dates
    : > index.txt; echo 1000 > serial
    cat > ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
[p]
commonName = supplied
CNF
    openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in srv.csr \
      -out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -extfile srv.ext
  ) > "$JW_TMP/pki.log" 2>&1 || { cat "$JW_TMP/pki.log"; fail "certificates"; }
  chmod 0644 "$PKI"/*.pem
}

# nats-server -js with a tls block on $TLS_IP:4222. Args: cert file (default srv.pem), then
# extra lines for the tls block (e.g. "verify: true").
tls_server_start() {
  local cert=${1:-$PKI/srv.pem}; shift || true
  local conf=$JW_TMP/tls-nats.conf store=$JW_TMP/tls-store
  mkdir -p "$store"
  ip netns exec jw-srv ip addr add "$TLS_IP/24" dev jwv1 2>/dev/null || true
  {
    echo "listen: $TLS_IP:4222"
    echo "jetstream { store_dir: \"$store\" }"
    echo "tls {"
    echo "  cert_file: \"$cert\""
    echo "  key_file: \"$PKI/srv.key\""
    echo "  ca_file: \"$PKI/ca.pem\""
    echo "  timeout: 2"
    for l in "$@"; do echo "  $l"; done
    echo "}"
  } > "$conf"
  ip netns exec jw-srv nats-server -c "$conf" > "$TLS_SRV_LOG" 2>&1 &
  TLS_SRV_PID=$!
  for _ in $(seq 100); do
    grep -q "Server is ready" "$TLS_SRV_LOG" && return 0
    kill -0 "$TLS_SRV_PID" 2>/dev/null || { cat "$TLS_SRV_LOG"; fail "TLS nats-server exited"; }
    sleep 0.1
  done
  fail "TLS nats-server not ready"
}

# SIGKILL the TLS server (its store stays: tls_server_start again continues on it).
tls_server_kill() {
  [ -n "$TLS_SRV_PID" ] || return 0
  kill -KILL "$TLS_SRV_PID" 2>/dev/null || true
  wait "$TLS_SRV_PID" 2>/dev/null || true
  TLS_SRV_PID=
}

tls_server_stop() {
  [ -n "$TLS_SRV_PID" ] || return 0
  kill -TERM "$TLS_SRV_PID" 2>/dev/null || true
  wait "$TLS_SRV_PID" 2>/dev/null || true
  TLS_SRV_PID=
  ip netns exec jw-srv ip addr del "$TLS_IP/24" dev jwv1 2>/dev/null || true
}

# jwjs against the TLS server (with the client certificate: the mutual-TLS server needs it).
tjwjs() {
  JWJS_TLS_CA=$PKI/ca.pem JWJS_TLS_NAME=nats.test JWJS_TLS_CERT=$PKI/cli.pem \
    JWJS_TLS_KEY=$PKI/cli.key ip netns exec jw-srv "$JW_ROOT/build/jwjs" -s "$TLS_URL" "$@"
}

tls_stream() { # name subject [--file]
  tjwjs add "$@" || fail "cannot create stream $1 on the TLS server"
}

# jetwire at the TLS server (overrides may follow).
TLS_SET=(--set "nats.servers=$TLS_URL" --set "nats.tls_ca_file=$PKI/ca.pem"
         --set nats.tls_server_name=nats.test)

# Starts jetwire and waits until the log has a line matching the pattern (ERE), or fails.
engine_start_expect() { # pattern seconds [--set ...]
  local pat=$1 secs=$2 inst="jwt$$"; shift 2
  JW_INSTANCE=$inst
  JW_STARTS=$((JW_STARTS + 1))
  JW_LOG=$JW_TMP/jetwire.$JW_STARTS.log
  : > "$JW_LOG"
  "$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" \
    --set "eal.file_prefix=jw-engine-$$" --set "shm.instance=$inst" "$@" > "$JW_LOG" 2>&1 &
  JW_PID=$!
  for _ in $(seq $((secs * 10))); do
    grep -qE "$pat" "$JW_LOG" && return 0
    kill -0 "$JW_PID" 2>/dev/null || fail "jetwire exited"
    sleep 0.1
  done
  fail "no log line matching '$pat' after $secs s"
}

# After a TLS failure named WHY showed in the log: over 3 s it is retried after the
# reconnect backoff (2..7 attempts, no tight loop), never reaches a session, and the
# connection's tls_failures counter (telemetry) counts every attempt the log names, all of
# them under the reason's own counter tls_fail_<reason>.
tls_fail_check() { # WHY
  local why=$1 n f
  sleep 3
  n=$(grep -c "TLS handshake failed" "$JW_LOG" || true)
  # tls_failures, and the reason's own counter (tls_fail_<reason>) holding all of them
  f=$("$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json |
      python3 "$JW_ROOT/tests/integration/jwstat_conn.py" | python3 -c '
import json, sys
key = "tls_fail_" + sys.argv[1].replace("-", "_")
c = json.load(sys.stdin)
assert c.get(key) == c["tls_failures"], (key, {k: v for k, v in c.items() if k.startswith("tls_fail")})
print(c["tls_failures"])' "$why") || fail "$why: jwstat / per-reason counter"
  # the same reason in --prom: conn_tls_failures_by_reason_total{conn,reason} beside the total
  "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --prom --once > "$JW_TMP/prom.txt" ||
    fail "$why: jwstat --prom"
  python3 "$JW_ROOT/tests/integration/prom_check.py" "$JW_TMP/prom.txt" || fail "$why: --prom format"
  grep -qE "^jetwire_conn_tls_failures_by_reason_total\{[^}]*reason=\"${why//-/_}\"[^}]*\} [1-9]" \
    "$JW_TMP/prom.txt" || { grep tls_fail "$JW_TMP/prom.txt"; fail "$why: no per-reason TLS failures in --prom"; }
  grep -m1 "TLS handshake failed" "$JW_LOG"
  [ "$n" -ge 2 ] || fail "$why: no second attempt after the backoff"
  [ "$n" -le 7 ] || fail "$why: $n attempts in ~3 s: retried in a tight loop"
  # the counter may be one ahead of the log lines read just before it
  [ "$f" -ge "$n" ] && [ "$f" -le $((n + 1)) ] || fail "$why: tls_failures $f for $n logged failures"
  grep -q "ready (NATS session up)" "$JW_LOG" && fail "$why: a session came up"
  echo "ok: $why ($n attempts, tls_failures $f)"
}
