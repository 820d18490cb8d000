#!/usr/bin/env bash
# NKey and JWT (.creds) authentication against a real nats-server 2.9, with keys made by an
# independent implementation (Go nkeys + jwt, tests/integration/authgen):
#  - NKey user: jetwire signs the nonce, publishes, every message stored exactly once;
#  - a seed file others may read, a seed with a bad CRC, a malformed .creds file: exit 2 at
#    start-up with a clear message, before EAL;
#  - a seed the server does not know: "refused the NKey credentials", exit 2 within one
#    round, exactly one connection attempt (the server's log counts them), no loop; with
#    two such servers, one attempt on each, then exit 2;
#  - once running, the server stops accepting the NKey (config reload): counted, retried
#    only every maximum backoff (5 s; the server's log counts the attempts), and publishing
#    resumes when the key is accepted again;
#  - operator mode (operator, a JetStream-enabled account, a user; memory resolver
#    preloaded): jetwire with the .creds file publishes, every message stored exactly once.
# The auth server runs in netns jw-srv on a second address, 198.18.0.5, of jwv1.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=5000
ADDR=198.18.0.5
URL=nats://$ADDR:4222
ADDR2=198.18.0.6
SRV_PID=; SRV2_PID=
auth_cleanup() {
  [ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null || true
  [ -n "$SRV2_PID" ] && kill -KILL "$SRV2_PID" 2>/dev/null || true
  ip netns exec jw-srv ip addr del "$ADDR/24" dev jwv1 2>/dev/null || true
  ip netns exec jw-srv ip addr del "$ADDR2/24" dev jwv1 2>/dev/null || true
}
trap 'auth_cleanup; engine_cleanup' EXIT

engine_net_up
ip netns exec jw-srv ip addr replace "$ADDR/24" dev jwv1
ip netns exec jw-srv ip addr replace "$ADDR2/24" dev jwv1
K=$JW_TMP/keys; mkdir -p "$K"
( cd "$JW_ROOT/tests/integration/authgen" &&
  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$JW_TMP/gocache go build -o "$JW_TMP/authgen" main.go ) \
  || fail "cannot build authgen"
"$JW_TMP/authgen" "$K" || fail "authgen"

start_auth_server() { # conf-file
  : > "$JW_TMP/srv.log"
  ip netns exec jw-srv setsid nats-server -c "$1" >> "$JW_TMP/srv.log" 2>&1 < /dev/null &
  SRV_PID=$!
  for _ in $(seq 100); do
    grep -q "Server is ready" "$JW_TMP/srv.log" && return 0
    kill -0 "$SRV_PID" 2>/dev/null || { cat "$JW_TMP/srv.log"; fail "auth server exited"; }
    sleep 0.1
  done
  fail "auth server not ready"
}
stop_auth_server() { kill -KILL "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=; }

# jetwire in the foreground, expected to exit; sets RC and OUT
run_jw() {
  set +e
  OUT=$(timeout 60 "$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" \
        --set "eal.file_prefix=jw-engine-$$" --set "shm.instance=jwt$$" \
        --set "nats.servers=$URL" "$@" 2>&1)
  RC=$?
  set -e
  rm -f "/dev/shm/jetwire.jwt$$"
}

# --- NKey user -------------------------------------------------------------------------
mkdir -p "$JW_TMP/js1"
cat > "$JW_TMP/nkey.conf" <<CONF
host: $ADDR
port: 4222
server_name: jw-auth
jetstream { store_dir: "$JW_TMP/js1" }
authorization {
  users = [
    { nkey: $(cat "$K/user.pub") }
    { user: admin, password: adminpw }
  ]
}
no_auth_user: admin
CONF
start_auth_server "$JW_TMP/nkey.conf"
jwjs -s "$URL" add JWAUTH 'auth.>' || fail "stream"
engine_start 1 --set "nats.servers=$URL" --set "nats.nkey_seed_file=$K/user.seed"
jwpub -i "$JW_INSTANCE" -s auth.nk -n "$N" --wait --timeout 60 > "$JW_TMP/pub" ||
  { cat "$JW_TMP/pub"; fail "jwpub over the NKey connection"; }
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
jwjs -s "$URL" check JWAUTH auth.nk "$N" || fail "stored messages"
echo "ok   nkey: $N acked and stored exactly once"

# running: the server drops the NKey user (reload) -> refusals, no tight loop, recovery
# (another nkey instead of ours: with no nkey users at all the server would take our CONNECT
# as one without credentials and let no_auth_user in)
sed -e "s/nkey: $(cat "$K/user.pub")/nkey: $(cat "$K/other.pub")/" "$JW_TMP/nkey.conf" > "$JW_TMP/nkey-off.conf"
cp "$JW_TMP/nkey.conf" "$JW_TMP/nkey-on.conf"
cp "$JW_TMP/nkey-off.conf" "$JW_TMP/nkey.conf"
before=$(grep -c "authentication error" "$JW_TMP/srv.log" || true)
nats-server --signal "reload=$SRV_PID" || fail "reload"
sleep 12
kill -0 "$JW_PID" 2>/dev/null || fail "jetwire exited after a refusal while running"
attempts=$(( $(grep -c "authentication error" "$JW_TMP/srv.log" || true) - before ))
refusals=$(grep -c "refused the NKey credentials" "$JW_LOG" || true)
echo "refusing for 12 s: $attempts connection attempts refused by the server, $refusals refusals logged"
[ "$attempts" -ge 1 ] && [ "$attempts" -le 3 ] || fail "$attempts attempts in 12 s (a refusing server is retried every 5 s)"
af=$("$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json --once |
     python3 -c "import json,sys; print(json.load(sys.stdin)['info']['auth_failures'])")
[ "$af" -ge 2 ] || fail "auth_failures $af"
cp "$JW_TMP/nkey-on.conf" "$JW_TMP/nkey.conf"
nats-server --signal "reload=$SRV_PID" || fail "reload"
jwpub -i "$JW_INSTANCE" -s auth.nk2 -n 1000 --wait --timeout 30 > "$JW_TMP/pub" ||
  { cat "$JW_TMP/pub"; fail "publishing after the key was accepted again"; }
jwjs -s "$URL" check JWAUTH auth.nk2 1000 || fail "stored messages after the refusals"
engine_stop
grep -q "$(cat "$K/user.seed")" "$JW_LOG" && fail "the seed appears in the log"
echo "ok   refusals while running: $attempts attempts in 12 s, auth_failures $af, resumed"

# a seed file others may read: refused before EAL
cp "$K/user.seed" "$JW_TMP/open.seed"; chmod 0644 "$JW_TMP/open.seed"
run_jw --set "nats.nkey_seed_file=$JW_TMP/open.seed"
[ "$RC" -eq 2 ] || fail "world-readable seed: exit $RC: $OUT"
grep -q "mode 0644 lets others than its owner and group use this secret" <<<"$OUT" || fail "message: $OUT"
grep -q "EAL:" <<<"$OUT" && fail "EAL started: $OUT"
echo "ok   world-readable seed refused: $OUT"

# a seed with a bad CRC (its last data character changed)
s=$(cat "$K/user.seed"); c=${s:40:1}; [ "$c" = A ] && r=B || r=A
printf '%s\n' "${s:0:40}$r${s:41}" > "$JW_TMP/bad.seed"; chmod 0600 "$JW_TMP/bad.seed"
run_jw --check --set "nats.nkey_seed_file=$JW_TMP/bad.seed"
[ "$RC" -eq 2 ] || fail "bad CRC: exit $RC"
grep -q "checksum (CRC16) mismatch" <<<"$OUT" || fail "message: $OUT"
grep -q "${s:0:20}" <<<"$OUT" && fail "seed echoed: $OUT"
echo "ok   bad CRC: $OUT"

# a malformed .creds file (the seed block cut off)
head -n 5 "$K/user.creds" > "$JW_TMP/bad.creds"; chmod 0600 "$JW_TMP/bad.creds"
run_jw --check --set "nats.creds_file=$JW_TMP/bad.creds"
[ "$RC" -eq 2 ] || fail "malformed creds: exit $RC"
grep -q "creds_file $JW_TMP/bad.creds: no user seed block" <<<"$OUT" || fail "message: $OUT"
echo "ok   malformed creds: $OUT"

# a seed the server does not know: refused, exit 2 after one attempt
before=$(grep -c "authentication error" "$JW_TMP/srv.log" || true)
start=$(date +%s)
run_jw --set "nats.nkey_seed_file=$K/other.seed"
took=$(( $(date +%s) - start ))
[ "$RC" -eq 2 ] || fail "wrong seed: exit $RC: $(tail -5 <<<"$OUT")"
grep -q "jetwire: .*: $URL refused the NKey credentials (Authorization Violation)" <<<"$OUT" ||
  fail "message: $(tail -5 <<<"$OUT")"
attempts=$(( $(grep -c "authentication error" "$JW_TMP/srv.log" || true) - before ))
[ "$attempts" -eq 1 ] || fail "wrong seed: $attempts connection attempts (expected 1)"
echo "ok   wrong seed: exit 2 after $attempts attempt in ${took}s: $(grep 'refused the' <<<"$OUT" | tail -1)"

# two servers, both refusing: exit 2 after one round (one attempt each)
mkdir -p "$JW_TMP/js3"
sed -e "s/^host: .*/host: $ADDR2/" -e "s|store_dir: .*|store_dir: \"$JW_TMP/js3\" }|" \
    -e "s/server_name: .*/server_name: jw-auth2/" "$JW_TMP/nkey.conf" > "$JW_TMP/nkey2.conf"
: > "$JW_TMP/srv2.log"
ip netns exec jw-srv setsid nats-server -c "$JW_TMP/nkey2.conf" >> "$JW_TMP/srv2.log" 2>&1 < /dev/null &
SRV2_PID=$!
for _ in $(seq 100); do grep -q "Server is ready" "$JW_TMP/srv2.log" && break; sleep 0.1; done
grep -q "Server is ready" "$JW_TMP/srv2.log" || { cat "$JW_TMP/srv2.log"; fail "second auth server"; }
b1=$(grep -c "authentication error" "$JW_TMP/srv.log" || true)
run_jw --set "nats.servers=$URL,nats://$ADDR2:4222" --set "nats.nkey_seed_file=$K/other.seed"
[ "$RC" -eq 2 ] || fail "two refusing servers: exit $RC: $(tail -5 <<<"$OUT")"
grep -q ": $URL, nats://$ADDR2:4222 refused the NKey credentials (Authorization Violation)" <<<"$OUT" ||
  fail "message: $(tail -5 <<<"$OUT")"
a1=$(( $(grep -c "authentication error" "$JW_TMP/srv.log" || true) - b1 ))
a2=$(grep -c "authentication error" "$JW_TMP/srv2.log" || true)
[ "$a1" -eq 1 ] && [ "$a2" -eq 1 ] || fail "two refusing servers: $a1 + $a2 attempts (expected 1 + 1)"
kill -KILL "$SRV2_PID" 2>/dev/null; wait "$SRV2_PID" 2>/dev/null || true; SRV2_PID=
echo "ok   two refusing servers: exit 2 after one attempt on each: $(grep 'refused the' <<<"$OUT" | tail -1)"
stop_auth_server

# --- operator mode: JWT from a .creds file ------------------------------------------------
mkdir -p "$JW_TMP/js2"
cat > "$JW_TMP/op.conf" <<CONF
host: $ADDR
port: 4222
server_name: jw-auth-op
jetstream { store_dir: "$JW_TMP/js2" }
operator: $K/op.jwt
system_account: $(cat "$K/sys.pub")
resolver: MEMORY
resolver_preload: {
  $(cat "$K/sys.pub"): $(cat "$K/sys.jwt")
  $(cat "$K/acc.pub"): $(cat "$K/acc.jwt")
}
CONF
start_auth_server "$JW_TMP/op.conf"
jwjs -s "$URL" -C "$K/user.creds" add JWOP 'op.>' --file || fail "stream (operator mode)"
engine_start 1 --set "nats.servers=$URL" --set "nats.creds_file=$K/user.creds"
jwpub -i "$JW_INSTANCE" -s op.jwt -n "$N" --wait --timeout 60 > "$JW_TMP/pub" ||
  { cat "$JW_TMP/pub"; fail "jwpub over the JWT connection"; }
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked (JWT)"
jwjs -s "$URL" -C "$K/user.creds" check JWOP op.jwt "$N" || fail "stored messages (JWT)"
engine_stop
jwt=$(sed -n 2p "$K/user.creds")
grep -qF "${jwt:40:40}" "$JW_LOG" && fail "the JWT appears in the log"
stop_auth_server
echo "PASS: NKey and JWT auth: published and stored exactly once; bad secrets and a wrong seed refused with exit 2, one attempt"
