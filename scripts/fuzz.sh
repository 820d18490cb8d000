#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS over its seed corpus in tests/fuzz/corpus/<name>;
# new inputs go to a scratch copy, so the committed corpus only changes by hand.
# Exit status is non-zero on any finding (crash, sanitizer report, leak, timeout).
set -uo pipefail
secs=${FUZZ_SECONDS:-60}; rc=0
for bin in "$@"; do
  name=$(basename "$bin")
  seed=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d); mkdir -p "$seed"
  echo "fuzz: $name for ${secs}s"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="build/fuzz/$name-" "$work" "$seed" 2>&1 | tail -15 || rc=1
  [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  rm -rf "$work"
done
exit $rc
