#!/usr/bin/env bash
# jwtcpsend -> Linux kernel sink at 0, 0.1, 1 and 2 % drop + duplication + reordering in
# both directions (the port's [fault] stage): every run's sha256 matches, and the
# throughput of each lossy run is reported beside the clean one (TCP_SWEEP_BYTES, default
# 64 MiB per run). The clean run must not retransmit at all unless the fault stage or the
# sink's kernel lost something; the rates are reported, not asserted (a timing threshold flaked on this shared box).
# TCP_SWEEP_SET: extra jwtcpsend options for every run (e.g. "--set tcp.pacing_gain=0").
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=${TCP_SWEEP_BYTES:-$((64 * 1024 * 1024))}
PORT=5106
clean=
summary=()
for p in 0 0.001 0.01 0.02; do
  start_sink $PORT
  run_sender $PORT $BYTES \
    --set fault.tx_drop=$p --set fault.rx_drop=$p --set fault.tx_dup=$p \
    --set fault.rx_dup=$p --set fault.tx_reorder=$p --set fault.rx_reorder=$p \
    --set fault.seed=11 ${TCP_SWEEP_SET:-} > "$WORK/run.out"
  wait_sink > /dev/null
  check_transfer $BYTES
  mbit=$(awk '/^seconds/ {print $4}' "$WORK/send.out")
  rtx=$(stat_of retransmits); undo=$(stat_of spurious_undos); rto=$(stat_of rto_expiries)
  if [ -z "$clean" ]; then
    clean=$mbit
    [ "${rtx:-1}" -eq 0 ] || echo "NOTE: $rtx retransmissions on the loss-free run (rto $rto, undone $undo)"
  fi
  ratio=$(awk -v a="$mbit" -v b="$clean" 'BEGIN {printf "%.2f", a / b}')
  line="loss $p: ${mbit} Mbit/s (${ratio}x clean), retransmits $rtx, rto $rto, undos $undo"
  echo "$line"; summary+=("$line")
  PORT=$((PORT + 1))
done
printf '%s\n' "${summary[@]}"
