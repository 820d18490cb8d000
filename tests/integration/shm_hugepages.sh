#!/usr/bin/env bash
# Rings on hugepages: the test reserves 2 MiB pages and mounts a hugetlbfs, jetwire starts
# with [shm] hugepages = on on it; then
#   1. the object is a file on that hugetlbfs (its pages reserved at start), the name in
#      /dev/shm is a redirect, /jetwire/info's shm_memory and the log say hugetlbfs;
#   2. the reference burst from the C jwpub (no EAGAIN) and 20,000 messages from the Go
#      producer (jwgopub) through the redirect: all acked, stored exactly once;
#   3. jetwire is SIGKILLed while jwpub publishes; the new jetwire adopts the same hugetlbfs
#      object ("kept from the last run"), and every message is acked and stored exactly once.
# Pages and mount are given back on exit.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=50000
G=20000
R=30000
NR=/proc/sys/vm/nr_hugepages
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
RSVD=/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages
# pages neither in use nor reserved by a mapping
avail() { echo $(( $(cat "$FREE") - $(cat "$RSVD") )); }
HUGE_DIR=/tmp/jw-hugetest.$$
PAGES_BEFORE=$(cat "$NR")
NEED=300 # EAL memory (256 MiB, [eal] hugepages = auto takes them too) + the default rings: 8 slots x (32 MiB ring + 4 MiB reports) = 145 pages
huge_cleanup() {
  engine_cleanup
  umount "$HUGE_DIR" 2>/dev/null || true
  rmdir "$HUGE_DIR" 2>/dev/null || true
  echo "$PAGES_BEFORE" > "$NR"
}
trap huge_cleanup EXIT
jwstat_json() { "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json --once 2>/dev/null; }

free0=$(cat "$FREE")
echo $((PAGES_BEFORE + NEED)) > "$NR"
[ "$(cat "$FREE")" -ge $((free0 + NEED)) ] || fail "could not reserve $NEED huge pages"
mkdir -p "$HUGE_DIR"
mount -t hugetlbfs -o pagesize=2M none "$HUGE_DIR"
free1=$(avail)

engine_net_up
engine_stream JWHUGE 'jwhuge.>'
engine_start 1 --set shm.hugepages=on --set "shm.hugepage_dir=$HUGE_DIR"
grep -q "on hugetlbfs, 2048 kB pages, $HUGE_DIR/jetwire.$JW_INSTANCE" "$JW_LOG" ||
  fail "the log does not say hugetlbfs"
[ -f "$HUGE_DIR/jetwire.$JW_INSTANCE" ] || fail "no object on the hugetlbfs"
used=$((free1 - $(avail)))
[ "$used" -ge 145 ] || fail "only $used huge pages taken, the rings alone need 145"
od -A n -t x8 -N 8 "/dev/shm/jetwire.$JW_INSTANCE" | grep -q 315249444557544a ||
  fail "/dev/shm/jetwire.$JW_INSTANCE is no redirect"
jwstat_json | python3 -c "import json,sys; i=json.load(sys.stdin)['info']; m=i['shm_backing']; print(i['shm_memory'], '/', m, '/', i['shm_file']); sys.exit(0 if 'hugetlbfs' in m else 1)" ||
  fail "/jetwire/info shm_backing does not say hugetlbfs"
echo "hugetlbfs: $used pages of 2 MiB taken or reserved at start (rings and EAL memory)"

out=$(jwpub -i "$JW_INSTANCE" -s jwhuge.b --subjects 5 -n "$N" -z 128 --wait --timeout 60 --json) ||
  fail "burst publish: $out"
echo "$out"
[ "$(echo "$out" | jq -r .eagain)" -eq 0 ] || fail "the ring refused calls during the burst"
[ "$(echo "$out" | jq -r .acked)" -eq "$N" ] || fail "burst: not every message acked"
"$JW_ROOT/build/jwgopub" -i "$JW_INSTANCE" -s jwhuge.go -n "$G" -wait -timeout 60 > "$JW_TMP/go" ||
  { cat "$JW_TMP/go"; fail "Go producer on hugepages"; }
cat "$JW_TMP/go"
grep -q "^reports: $G acked (0 duplicate, 0 dup-risk), 0 failed, 0 missing" "$JW_TMP/go" ||
  fail "Go producer: not every message acked"

jwpub -i "$JW_INSTANCE" -s jwhuge.r -n "$R" --rate 10000 --wait --timeout 90 > "$JW_TMP/pub" 2>&1 &
pp=$!
sleep 1.5
kill -KILL "$JW_PID"; wait "$JW_PID" 2>/dev/null || true
JW_PID=
sleep 0.5
engine_start 1 --set shm.hugepages=on --set "shm.hugepage_dir=$HUGE_DIR"
grep -q "hugetlbfs, $HUGE_DIR/jetwire.$JW_INSTANCE, kept from the last run" "$JW_LOG" ||
  fail "the restarted jetwire did not adopt the hugetlbfs object"
wait "$pp" || { cat "$JW_TMP/pub"; fail "jwpub across the restart"; }
cat "$JW_TMP/pub"
grep -q "^reports: $R acked" "$JW_TMP/pub" || fail "restart: not every message acked"
# EAL's own page files are unlinked once mapped (--huge-unlink): neither the SIGKILLed run
# nor the running one has any on the hugetlbfs, only the rings' object is there
eal_files=$(find "$HUGE_DIR" -name "jw-engine-$$*map_*" | wc -l)
[ "$eal_files" -eq 0 ] || fail "$eal_files EAL page files on the hugetlbfs (they outlive jetwire)"
ring_pages=$(( $(stat -c %s "$HUGE_DIR/jetwire.$JW_INSTANCE") / 2097152 ))
engine_stop
# after a clean stop only the rings' object (kept for the next start) holds pages: the next
# start under [eal] hugepages = auto finds its EAL memory free again
held=$((free1 - $(avail)))
[ "$held" -le "$ring_pages" ] ||
  fail "after the stop $held huge pages are held, the rings' object has $ring_pages"
echo "after the stop: $held pages held (the rings' object: $ring_pages), no EAL page files"
jwjs check JWHUGE jwhuge.b "$N" || fail "burst messages stored"
jwjs check JWHUGE jwhuge.go "$G" || fail "Go messages stored"
jwjs check JWHUGE jwhuge.r "$R" || fail "restart messages stored"
jwjs verify JWHUGE $((N + G + R)) || fail "stream count"
echo "PASS: rings on hugetlbfs ($used pages): burst, Go producer and a SIGKILL restart, all stored exactly once"
