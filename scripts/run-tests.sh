#!/usr/bin/env bash
# Runs every jetwire test and ends with `N passed, N failed`.
#   1. unit tests: build-asan/tests/test_* (cmocka, ASan+UBSan), each test case counts;
#   1b. Go unit tests: `go test ./...` in lib/go (offline, caches under build/), each
#      top-level test counts (name go_unit); go_style: gofmt has nothing to change in any
#      Go file of the tree and `go vet ./...` finds nothing in lib/go (counts once);
#   2. a short fuzz pass over build/fuzz/fuzz_* (FUZZ_SECONDS each, default 10);
#   3. integration tests: tests/integration/*.sh against the real nats-server, each script
#      counts once; they share the reference network, so they run one at a time.
# Select with TESTS=<glob> (matched against the test's name), e.g. TESTS='*tcp*'.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; failures=()
sel=${TESTS:-*}
logdir=build/test-logs; mkdir -p "$logdir"

# go_in_lib CMD...: runs CMD in lib/go offline (no proxy, no cgo), caches under build/
go_in_lib() {
  (cd lib/go && GOCACHE="$PWD/../../build/go-cache" GOPATH="$PWD/../../build/go-path" \
     GOPROXY=off GOSUMDB=off GOFLAGS= CGO_ENABLED=0 GO111MODULE=on "$@")
}

count() { # name rc
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

for t in build-asan/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); [[ $name == $sel ]] || continue
  echo "== unit: $name"
  out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        timeout 600 "$t" 2>&1); rc=$?
  echo "$out" > "$logdir/$name.log"
  p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crash, sanitizer report or timeout
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && { failures+=("$name"); echo "$out" | tail -40; }
  echo "   $p passed, $f failed"
done

if [ -f lib/go/go.mod ] && [[ go_unit == $sel ]]; then
  echo "== unit: go_unit (lib/go: go test ./...)"
  out=$(go_in_lib timeout 600 go test -count=1 -v ./... 2>&1); rc=$?
  echo "$out" > "$logdir/go_unit.log"
  p=$(echo "$out" | grep -c '^--- PASS: ')
  f=$(echo "$out" | grep -c '^--- FAIL: ')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # build error, panic or timeout
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && { failures+=("go_unit"); echo "$out" | tail -40; }
  echo "   $p passed, $f failed"
fi

if [ -f lib/go/go.mod ] && [[ go_style == $sel ]]; then
  echo "== unit: go_style (gofmt -l, go vet in lib/go)"
  unformatted=$(find lib tests -name '*.go' -print0 | xargs -0 gofmt -l)
  vet=$(go_in_lib timeout 300 go vet ./... 2>&1); rc=$?
  { [ -n "$unformatted" ] && echo "gofmt would change: $unformatted"; echo "$vet"; } > "$logdir/go_style.log"
  [ -z "$unformatted" ] && [ "$rc" -eq 0 ] || { rc=1; cat "$logdir/go_style.log"; }
  count go_style $rc
fi

for fz in build/fuzz/fuzz_*; do
  [ -x "$fz" ] || continue
  name=$(basename "$fz"); [[ $name == $sel ]] || continue
  echo "== fuzz: $name (${FUZZ_SECONDS:-10}s)"
  FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh "$fz" > "$logdir/$name.log" 2>&1; rc=$?
  [ $rc -ne 0 ] && tail -30 "$logdir/$name.log"
  count "$name" $rc
done

for it in tests/integration/*.sh; do
  [ -f "$it" ] || continue
  name=$(basename "$it" .sh); [[ $name == $sel ]] || continue
  echo "== integration: $name"
  start=$(date +%s)
  flock /run/jw-testnet.lock timeout 900 bash "$it" > "$logdir/$name.log" 2>&1; rc=$?
  echo "   rc=$rc in $(( $(date +%s) - start ))s"
  [ $rc -ne 0 ] && tail -40 "$logdir/$name.log"
  count "$name" $rc
done

# Tests leave the reference network up for the next one; take it down at the end.
[[ -n $(ls tests/integration/*.sh 2>/dev/null) ]] && \
  flock /run/jw-testnet.lock scripts/testnet.sh down >/dev/null 2>&1

# EAL leaves a runtime directory per file prefix; the tests name theirs <kind>-<pid>.
# Remove those whose process is gone, so repeated runs leave nothing behind.
for d in /var/run/dpdk/jwtest-* /var/run/dpdk/jw-engine-* /var/run/dpdk/jw-tcpsend-* \
         /var/run/dpdk/jw-bench-*; do
  [ -d "$d" ] || continue
  pid=${d##*-}
  case $pid in ''|*[!0-9]*) continue ;; esac
  kill -0 "$pid" 2>/dev/null || rm -rf "$d"
done

[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
