# Taking /run/jw-testnet.lock from a script without deadlocking against a caller that
# already holds it. Sourced by scripts/run.sh and tests/bench/engine/run.sh.
#
# HELPERS.md asks every user of the reference network to run under
# `flock /run/jw-testnet.lock <command>`; a script that then flocks the file again on a new
# descriptor would wait for its own caller forever. So: take the lock unless JW_TESTNET_LOCKED=1
# says the caller holds it, or /proc/locks shows it held by one of our ancestors.

JW_TESTNET_LOCK=/run/jw-testnet.lock

# True when a process among our ancestors (or we) holds the lock.
jw_lock_held_by_ancestor() {
  local ino holders p h
  ino=$(stat -c %i "$JW_TESTNET_LOCK" 2>/dev/null) || return 1
  # holder lines only (waiters are marked "->"): "N: FLOCK ADVISORY WRITE <pid> <dev>:<ino> ..."
  holders=$(awk -v ino="$ino" '$2 == "FLOCK" { split($6, d, ":"); if (d[3] == ino) print $5 }' /proc/locks)
  [ -n "$holders" ] || return 1
  p=$$
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    for h in $holders; do [ "$h" = "$p" ] && return 0; done
    p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
  done
  return 1
}

# Takes the lock on descriptor 9 for the rest of the script, unless already ours.
jw_testnet_lock() {
  if [ "${JW_TESTNET_LOCKED:-0}" = 1 ] || jw_lock_held_by_ancestor; then
    export JW_TESTNET_LOCKED=1
    return 0
  fi
  exec 9>"$JW_TESTNET_LOCK"
  flock 9
  export JW_TESTNET_LOCKED=1
}
