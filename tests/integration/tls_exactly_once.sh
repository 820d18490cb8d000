#!/usr/bin/env bash
# TLS end to end against a real nats-server with `tls { cert_file, key_file, ca_file }`
# (certificates made by the test): jetwire connects with a tls:// URL, checks the chain
# against the test CA and the name nats.test, publishes 200,000 messages with Nats-Msg-Id
# dedupe on; every one is acked and stored exactly once, in order. A capture on jwv1 holds
# the server's plaintext INFO but no subject, payload or CONNECT text in clear. Telemetry
# shows the TLS version, cipher, handshake time and record counts.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-200000}
engine_net_up
tls_pki
tls_server_start
tls_stream JWTLS 'tlsonce.>'
ip netns exec jw-srv tcpdump -i jwv1 -s 0 -U -w "$JW_TMP/cap.pcap" "host $TLS_IP and tcp port 4222" \
  > "$JW_TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
sleep 1
engine_start 1 "${TLS_SET[@]}"
grep -E "TLS|ready" "$JW_LOG" | grep -v '^EAL' || true
jwpub -i "$JW_INSTANCE" -s tlsonce.secretsubject -n "$N" --subjects 4 -z 128 --wait --timeout 120 \
  > "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
"$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
tjwjs verify JWTLS "$N" || fail "stream count"
tjwjs check JWTLS tlsonce.secretsubject "$N" || fail "stored messages"
engine_stop
# TLS 1.3 records are sized with each first send's reply predicted: most first sends shared
# their subject's reply, every one was confirmed, nothing broke
grep -E "engine: (sent|shared)" "$JW_LOG"
shared=$(engine_share_counter sent)
[ "$shared" -gt $((N / 2)) ] || fail "only $shared publishes used shared replies under TLS"
[ "$(engine_share_counter confirmed)" -eq "$shared" ] || fail "shared replies not all confirmed"
[ "$(engine_share_counter 'classes broken')" -eq 0 ] || fail "a class broke on a clean run"
sleep 0.5
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null || true; TCPDUMP_PID=
size=$(stat -c %s "$JW_TMP/cap.pcap")
echo "capture: $size bytes"
[ "$size" -gt $((N * 128)) ] || fail "the capture is too small to hold the messages"
grep -qa '"server_id"' "$JW_TMP/cap.pcap" || fail "the capture misses the server's INFO (capture broken?)"
# words of 5 bytes and more: a shorter one turns up by chance in 70 MB of ciphertext
for word in secretsubject tlsonce. 'HPUB ' 'CONNECT {' Nats-Msg-Id '"stream":"JWTLS"' '"seq":'; do
  if grep -qaF -- "$word" "$JW_TMP/cap.pcap"; then fail "'$word' crossed the wire in clear"; fi
done
python3 "$JW_ROOT/tests/integration/jwstat_conn.py" --all "$JW_TMP/stat.json" > "$JW_TMP/conns.json" ||
  fail "no connection in the telemetry"
python3 - "$JW_TMP/conns.json" <<'PY' || fail "telemetry"
import json, sys
for c in json.load(open(sys.argv[1])):
    print("conn:", {k: v for k, v in c.items() if k.startswith("tls")})
    assert c["tls_version"] == "TLSv1.3", c
    assert c["tls_cipher"].startswith("TLS_"), c
    assert c["tls_handshakes"] >= 1 and c["tls_records_sealed"] > 100, c
    assert c["tls_records_opened"] > 100, c
    # spanning records: far fewer records than segments' worth, little padding (the
    # replies predicted as they are sent: a wrong prediction per frame would pad ~1 %)
    per = c["tls_bytes_sealed"] / c["tls_records_sealed"]
    print(f"plaintext per record {per:.0f} B, padding {c['tls_pad_bytes']} B")
    assert per > 1460, c
    assert c["tls_pad_bytes"] * 1000 < c["tls_bytes_sealed"], c
    break
else:
    raise SystemExit("no connection with TLS fields")
PY
echo "PASS: $N messages over TLS stored exactly once; nothing in clear on the wire"
