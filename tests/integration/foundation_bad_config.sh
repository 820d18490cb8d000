#!/usr/bin/env bash
# A bad configuration makes jetwire exit non-zero, before touching EAL or the network, with
# one message naming the file, the key and the problem.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/jetwire
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
dir=$(mktemp -d /tmp/jw-badconf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fails=0

good() { # a valid file with one line replaced/added by sed expression $1
  sed -e "$1" "$ROOT/dpdk-config/default.conf"
}

check() { # name file-or-missing expected-fragments... ; extra args after --
  local name=$1 file=$2; shift 2
  local frags=() extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do frags+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; extra=("$@"); }
  local out rc
  out=$(timeout 20 "$BIN" -c "$file" "${extra[@]}" 2>&1); rc=$?
  if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
    echo "FAIL $name: exit status $rc"; fails=$((fails + 1)); return
  fi
  for f in "${frags[@]}"; do
    if ! grep -qF -- "$f" <<<"$out"; then
      echo "FAIL $name: message lacks '$f': $out"; fails=$((fails + 1)); return
    fi
  done
  if grep -q "EAL:" <<<"$out"; then
    echo "FAIL $name: EAL started: $out"; fails=$((fails + 1)); return
  fi
  echo "ok   $name (rc $rc): $out"
}

check missing_file "$dir/nope.conf" "$dir/nope.conf" "No such file"

good 's/^\[flow\]/[flw]/' > "$dir/unknown_section.conf"
check unknown_section "$dir/unknown_section.conf" "$dir/unknown_section.conf" "[flw]" "unknown section"

good 's/^addr = .*/adress = 198.18.0.2\/24/' > "$dir/unknown_key.conf"
check unknown_key "$dir/unknown_key.conf" "$dir/unknown_key.conf" "[net]" '"adress"' "unknown key"

good 's/^addr = .*/addr = 198.18.0.256\/24/' > "$dir/bad_addr.conf"
check malformed_address "$dir/bad_addr.conf" "$dir/bad_addr.conf" "[net] addr" "198.18.0.256/24" "not an IPv4"

good 's/^servers = .*/servers = nats:\/\/198.18.0.x:4222/' > "$dir/bad_server.conf"
check malformed_server "$dir/bad_server.conf" "$dir/bad_server.conf" "[nats] servers" "not an IPv4"

good 's/^control = 1/control = 5/' > "$dir/bad_control.conf"
check control_not_an_lcore "$dir/bad_control.conf" "$dir/bad_control.conf" "[cores] control = 5" "[eal] lcores"

good 's/^tx = 2/tx = 1,2/' > "$dir/bad_tx.conf"
check tx_overlaps_control "$dir/bad_tx.conf" "$dir/bad_tx.conf" "[cores] tx" "also [cores] control"

good 's/^lcores = .*/lcores = (0-2)@(0-4095)/' > "$dir/bad_cpus.conf"
check lcores_on_missing_cpus "$dir/bad_cpus.conf" "$dir/bad_cpus.conf" "[eal] lcores" "CPU 4095 does not exist"

good 's/^tx_queues = 2/tx_queues = 2\n/; s/^lcores = .*/lcores = (0-3)@(0-1)/; s/^tx = 2/tx = 2,3/' > "$dir/too_few_queues.conf"
check more_tx_lcores_than_queues "$dir/too_few_queues.conf" "$dir/too_few_queues.conf" "[cores] tx" "[port] tx_queues = 2"

check bad_override "$ROOT/dpdk-config/default.conf" "--set flow.window=lots" "[flow] window" "expected adaptive or a number" -- --set flow.window=lots

[ $fails -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo PASS
