#!/usr/bin/env bash
# Prepare (or check) a host for jetwire.
#
#   scripts/host-setup.sh --check [-c CONFIG]      report only; changes nothing
#   scripts/host-setup.sh [-c CONFIG] [--dry-run]  apply (root); --dry-run prints each action
#
# Items (one line each, "OK" or "FIX" with what to do):
#   hugepages 2M / 1G  enough free for [eal] memory_mb plus the producer rings (unless
#                      [shm] hugepages = off) and a hugetlbfs mount of that size
#   iommu, vfio-pci    IOMMU groups present, the vfio-pci module available (Intel NICs)
#   nic                the device of [port] pci, its vendor and driver (vfio-pci for Intel,
#                      mlx5_core for Mellanox), not the default-route interface, no address
#   numa               the NIC's NUMA node against the nodes of the [eal] lcores' CPUs
#   isolation          those CPUs in isolcpus and nohz_full, and not shared between lcores
#   shm group          the group of [shm] group (default jetwire) exists
#   dpdk-devbind       Debian's dpdk-devbind.py present (dpdk package)
# Exit status: 0 every item OK, 1 something to fix (or an action failed), 2 usage.
#
# Apply mode does, idempotently (nothing is redone when it is already in place):
#   - reserves 2 MiB hugepages persistently (/etc/sysctl.d/80-jetwire-hugepages.conf, then
#     sysctl) and mounts hugetlbfs at /dev/hugepages-jetwire for the shm group (a systemd
#     mount unit when systemd runs, else an /etc/fstab line); 1 GiB pages need the kernel
#     command line, which it prints;
#   - creates the shm group (and a udev rule giving it /dev/vfio/*);
#   - binds the NIC of [port] pci to vfio-pci with dpdk-devbind.py when it is an Intel NIC
#     (driverctl makes it persistent when installed), leaves a Mellanox NIC on mlx5_core;
#     it refuses a NIC whose interface carries the default route or has any address.
# It never edits the kernel command line or firmware settings; it says what to change.
set -uo pipefail

CHECK=0 DRY=0 CONFIG= GROUP_OPT=
SETS=()
usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  echo "options: --check, --dry-run, -c CONFIG [--set section.key=value ...] (as jetwire takes" >&2
  echo "them), --group NAME (the shm group when [shm] group is unset; default jetwire)" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --check) CHECK=1 ;;
    --dry-run) DRY=1 ;;
    -c|--config) [ $# -ge 2 ] || usage; CONFIG=$2; shift ;;
    --group) [ $# -ge 2 ] || usage; GROUP_OPT=$2; shift ;;
    --set) [ $# -ge 2 ] || usage; SETS+=(--set "$2"); shift ;;
    -h|--help) usage ;;
    *) echo "host-setup: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[ "$CHECK" = 1 ] && [ "$DRY" = 1 ] && { echo "host-setup: --check and --dry-run exclude each other" >&2; exit 2; }

# Test hooks (tests/integration/ops_host_setup.sh): a made-up sysfs and mount table for the
# checks; for the apply mode also a scratch root (every file is written below it) and a
# directory of stand-in commands (nothing else is run): all three or none.
SYS=${JW_HOST_SYSFS:-/sys}
MOUNTS=${JW_HOST_MOUNTS:-/proc/mounts}
ROOT=${JW_HOST_ROOT:-}
STUBS=${JW_HOST_STUBS:-}
if [ -n "$ROOT$STUBS" ] && { [ -z "$ROOT" ] || [ -z "$STUBS" ] || [ "$SYS" = /sys ] || [ "$MOUNTS" = /proc/mounts ]; }; then
  echo "host-setup: JW_HOST_ROOT and JW_HOST_STUBS go with JW_HOST_SYSFS and JW_HOST_MOUNTS" >&2
  exit 2
fi
group_line() { # the group database entry of $1
  if [ -n "$ROOT" ]; then grep "^$1:" "$ROOT/etc/group" 2>/dev/null; else getent group "$1"; fi
}
here=$(cd "$(dirname "$0")" && pwd)
JETWIRE=${JETWIRE:-}
for j in "$here/../bin/jetwire" "$here/../build/jetwire" "$(command -v jetwire 2>/dev/null)"; do
  [ -z "$JETWIRE" ] && [ -n "$j" ] && [ -x "$j" ] && JETWIRE=$j
done

# --- configuration (through jetwire itself: the same validation and defaults) ------------
declare -A C=()
if [ -n "$CONFIG" ]; then
  [ -n "$JETWIRE" ] || { echo "host-setup: cannot find the jetwire binary to read $CONFIG (set JETWIRE=)" >&2; exit 2; }
  dump=$("$JETWIRE" -c "$CONFIG" "${SETS[@]}" --dump-config 2>&1) || { echo "host-setup: $dump" >&2; exit 2; }
  while IFS= read -r line; do
    k=${line%% = *}; v=${line#* = }
    C[$k]=$v
  done <<< "$dump"
fi
cfg() { echo "${C[$1]:-$2}"; }
MEM_MB=$(cfg eal.memory_mb 256)
HUGE=$(cfg eal.hugepages auto)
LCORES=$(cfg eal.lcores "")
PCI=$(cfg port.pci "")
VDEV=$(cfg port.vdev "")
GROUP=$(cfg shm.group "")
[ -z "$GROUP" ] && GROUP=${GROUP_OPT:-jetwire}
MOUNT=/dev/hugepages-jetwire
# The rings' 2 MiB pages ([shm] hugepages = auto or on puts them on hugetlbfs): per TX lcore
# and slot a record ring, 64-byte reports and the slot's control page, plus the header.
SHM_HUGE=$(cfg shm.hugepages auto)
SHM_PAGES=0
if [ "$SHM_HUGE" != no ] && [ "$SHM_HUGE" != off ]; then
  SHM_PAGES=$(python3 - "$(cfg cores.tx 2)" "$(cfg shm.slots 8)" "$(cfg shm.ring_bytes 33554432)" \
                "$(cfg shm.report_entries 65536)" <<'PY'
import sys
tx, slots, ring, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
n = 0
for part in tx.split(','):
    a, _, b = part.partition('-')
    n += int(b) - int(a) + 1 if b else 1
total = n * slots * (ring + reps * 64 + 4096) + 4096
print(-(-total // (2 << 20)))
PY
)
fi
SHM_NOTE=$([ "$SHM_PAGES" -gt 0 ] && echo " + $SHM_PAGES for the rings")

bad=0
ok()  { printf 'OK   %-12s %s\n' "$1" "$2"; }
fix() { printf 'FIX  %-12s %s\n' "$1" "$2"; bad=1; }

# The CPUs of an EAL --lcores string: "(0-2)@(0-1)", "0@0,1@1", "0-3", "1,2@3".
lcore_cpus() {
  python3 - "$1" <<'PY'
import re, sys
s = sys.argv[1]
def expand(t):
    out = []
    for part in t.strip('()').split(','):
        if '-' in part:
            a, b = part.split('-'); out += range(int(a), int(b) + 1)
        elif part:
            out.append(int(part))
    return out
cpus, shared = [], False
# split on commas outside parentheses
items, depth, cur = [], 0, ''
for ch in s:
    if ch == ',' and depth == 0:
        items.append(cur); cur = ''; continue
    depth += ch == '('; depth -= ch == ')'; cur += ch
items.append(cur)
for it in filter(None, items):
    if '@' in it:
        l, c = it.split('@', 1)
        if len(expand(l)) > 1 or len(expand(c)) > 1:
            shared = True
        cpus += expand(c)
    else:
        cpus += expand(it)
seen = sorted(set(cpus))
if len(seen) < len(cpus):
    shared = True
print(','.join(map(str, seen)), 'shared' if shared else 'dedicated')
PY
}

free_pages() { cat "$SYS/kernel/mm/hugepages/hugepages-$1/free_hugepages" 2>/dev/null || echo 0; }
total_pages() { cat "$SYS/kernel/mm/hugepages/hugepages-$1/nr_hugepages" 2>/dev/null || echo 0; }
mounted_size() { # kB: is a hugetlbfs of that page size mounted? prints the mount point
  local want=$1 dev mp fs opts rest
  while read -r dev mp fs opts rest; do
    [ "$fs" = hugetlbfs ] || continue
    local ps
    ps=$(echo "$opts" | tr ',' '\n' | sed -n 's/^pagesize=//p')
    case $ps in 2M) ps=2048 ;; 1024M|1G) ps=1048576 ;; "") ps=$(awk '/Hugepagesize/ {print $2}' /proc/meminfo) ;; esac
    [ "$ps" = "$want" ] && { echo "$mp"; return 0; }
  done < "$MOUNTS"
  return 1
}

# --- checks --------------------------------------------------------------------------------
check_hugepages() {
  local need2=$(( (MEM_MB + 1) / 2 + SHM_PAGES )) need1=$(( (MEM_MB + 1023) / 1024 + (SHM_PAGES + 511) / 512 )) f2 f1 m
  if [ "$HUGE" = no ] || [ "$HUGE" = off ]; then
    ok "hugepages-2M" "not used ([eal] hugepages = no: EAL runs with --no-huge)"
    ok "hugepages-1G" "not used ([eal] hugepages = no)"
    return
  fi
  f2=$(free_pages 2048kB); f1=$(free_pages 1048576kB)
  if m=$(mounted_size 2048) && [ "$f2" -ge "$need2" ]; then
    ok "hugepages-2M" "$f2 free of $(total_pages 2048kB), need $need2 for memory_mb $MEM_MB$SHM_NOTE; mounted at $m"
  elif [ "$f2" -ge "$need2" ]; then
    fix "hugepages-2M" "$f2 free but no hugetlbfs mount of 2 MiB pages: run host-setup.sh (mounts $MOUNT)"
  elif [ -d "$SYS/kernel/mm/hugepages/hugepages-1048576kB" ] && [ "$f1" -ge "$need1" ] && mounted_size 1048576 > /dev/null; then
    ok "hugepages-2M" "$f2 free (not needed: 1 GiB pages cover memory_mb $MEM_MB)"
  else
    fix "hugepages-2M" "$f2 free of $(total_pages 2048kB), need $need2 for memory_mb $MEM_MB$SHM_NOTE: run host-setup.sh (vm.nr_hugepages in /etc/sysctl.d)$([ "$HUGE" = auto ] && echo '; until then [eal] hugepages = auto runs --no-huge')"
  fi
  if [ ! -d "$SYS/kernel/mm/hugepages/hugepages-1048576kB" ]; then
    ok "hugepages-1G" "not offered by this CPU/kernel (optional)"
  elif [ "$f1" -ge "$need1" ] && m=$(mounted_size 1048576); then
    ok "hugepages-1G" "$f1 free, need $need1; mounted at $m"
  elif [ "$f2" -ge "$need2" ]; then
    ok "hugepages-1G" "$f1 free (optional: the 2 MiB pages suffice)"
  else
    fix "hugepages-1G" "$f1 free (optional; to use them add 'default_hugepagesz=1G hugepagesz=1G hugepages=$need1' to the kernel command line and mount hugetlbfs with pagesize=1G)"
  fi
}

check_iommu() {
  local n
  n=$(ls "$SYS/kernel/iommu_groups" 2>/dev/null | wc -l)
  if [ -n "$VDEV" ]; then
    ok iommu "not needed: [port] vdev (${n} IOMMU groups)"
    ok vfio-pci "not needed: [port] vdev"
    return
  fi
  if [ "$n" -gt 0 ]; then
    ok iommu "$n IOMMU groups"
  elif [ -n "$PCI" ] && [ "$(nic_vendor)" = 0x15b3 ]; then
    ok iommu "none, and not needed: the Mellanox NIC stays on mlx5_core"
  else
    fix iommu "no IOMMU groups: enable VT-d / AMD-Vi in the firmware and add 'intel_iommu=on iommu=pt' (or amd_iommu=on) to the kernel command line (vfio-pci needs it; mlx5 and vdevs do not)"
  fi
  if [ -n "$PCI" ] && [ "$(nic_vendor)" = 0x15b3 ]; then
    ok vfio-pci "not needed: the Mellanox NIC stays on mlx5_core"
  elif [ -d "$SYS/bus/pci/drivers/vfio-pci" ]; then
    ok vfio-pci "module loaded"
  elif find "/lib/modules/$(uname -r)" -name 'vfio-pci.ko*' 2>/dev/null | grep -q .; then
    ok vfio-pci "module available (host-setup.sh loads it when it binds an Intel NIC)"
  else
    fix vfio-pci "no vfio-pci module for kernel $(uname -r): install the distribution kernel's modules"
  fi
}

nic_vendor() { cat "$SYS/bus/pci/devices/$PCI/vendor" 2>/dev/null; }
nic_driver() { basename "$(readlink "$SYS/bus/pci/devices/$PCI/driver" 2>/dev/null)" 2>/dev/null; }
nic_ifaces() { # the kernel interfaces of the device (also below a virtio child)
  local d
  for d in $(find "$(readlink -f "$SYS/bus/pci/devices/$PCI")/" -maxdepth 3 -type d -name net 2>/dev/null); do
    ls "$d"
  done
}
# Why the NIC must not be taken: prints a reason, or nothing.
nic_refusal() {
  local i def
  def=$(ip route show default 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | sort -u)
  for i in $(nic_ifaces); do
    if echo "$def" | grep -qx "$i"; then echo "its interface $i carries the default route"; return; fi
    if [ -n "$(ip -o addr show dev "$i" 2>/dev/null)" ]; then
      echo "its interface $i has an address ($(ip -o addr show dev "$i" | awk '{print $4}' | tr '\n' ' ')): 'ip addr flush dev $i; ip link set $i down' first if it is really meant for jetwire"
      return
    fi
  done
}

check_nic() {
  local v d r
  if [ -z "$CONFIG" ]; then ok nic "no -c CONFIG: not checked"; return; fi
  if [ -n "$VDEV" ]; then ok nic "[port] vdev ${VDEV%%,*}: a virtual device, no NIC to prepare"; return; fi
  if [ ! -e "$SYS/bus/pci/devices/$PCI" ]; then
    fix nic "[port] pci $PCI: no such PCI device (lspci -D lists them)"
    return
  fi
  v=$(nic_vendor); d=$(nic_driver); r=$(nic_refusal)
  if [ -n "$r" ] && [ "$v" != 0x15b3 ]; then
    fix nic "$PCI (vendor $v, ${d:-no driver}) is not for jetwire: $r; set [port] pci to a NIC that carries nothing else"
    return
  fi
  case $v in
    0x8086)
      if [ "$d" = vfio-pci ]; then ok nic "$PCI Intel, bound to vfio-pci"
      else fix nic "$PCI Intel on ${d:-no driver}: run host-setup.sh (dpdk-devbind.py --bind=vfio-pci $PCI)"; fi ;;
    0x15b3)
      if [ "$d" = mlx5_core ]; then ok nic "$PCI Mellanox on mlx5_core (DPDK uses it in place)"
      else fix nic "$PCI Mellanox on ${d:-no driver}: it must stay on mlx5_core (dpdk-devbind.py --bind=mlx5_core $PCI)"; fi ;;
    *)
      if [ "$d" = vfio-pci ]; then ok nic "$PCI vendor $v, bound to vfio-pci"
      else fix nic "$PCI vendor $v on ${d:-no driver}: bind it to the driver its DPDK PMD wants (usually vfio-pci)"; fi ;;
  esac
}

check_cpus() {
  local set cpus mode nodes nic_node c n iso nohz missing_iso= missing_nohz=
  if [ -z "$LCORES" ]; then ok numa "no -c CONFIG: not checked"; ok isolation "no -c CONFIG: not checked"; return; fi
  set=$(lcore_cpus "$LCORES") || { fix numa "[eal] lcores '$LCORES': cannot parse"; return; }
  cpus=${set% *}; mode=${set#* }
  nodes=
  for c in ${cpus//,/ }; do
    n=$(ls -d "$SYS/devices/system/cpu/cpu$c"/node* 2>/dev/null | head -1)
    nodes="$nodes ${n##*node}"
  done
  nodes=$(echo $nodes | tr ' ' '\n' | sort -u | paste -sd, -)
  if [ -n "$PCI" ] && [ -e "$SYS/bus/pci/devices/$PCI/numa_node" ]; then
    nic_node=$(cat "$SYS/bus/pci/devices/$PCI/numa_node")
    if [ "$nic_node" = -1 ] || [ "$nodes" = "$nic_node" ]; then
      ok numa "NIC node $nic_node, lcore CPUs $cpus on node(s) $nodes"
    else
      fix numa "NIC $PCI is on node $nic_node but lcore CPUs $cpus are on node(s) $nodes: pick CPUs of node $nic_node ($(cat "$SYS/devices/system/node/node$nic_node/cpulist" 2>/dev/null))"
    fi
  else
    ok numa "lcore CPUs $cpus on node(s) $nodes (no PCI NIC to compare)"
  fi
  iso=$(cat "$SYS/devices/system/cpu/isolated" 2>/dev/null)
  nohz=$(cat "$SYS/devices/system/cpu/nohz_full" 2>/dev/null)
  in_list() { python3 -c '
import sys
def ex(t):
    o=set()
    for p in filter(None, t.split(",")):
        a,_,b=p.partition("-"); o|=set(range(int(a),int(b or a)+1))
    return o
print(",".join(str(c) for c in sorted(ex(sys.argv[1]) - ex(sys.argv[2]))))' "$1" "$2"; }
  missing_iso=$(in_list "$cpus" "$iso"); missing_nohz=$(in_list "$cpus" "$nohz")
  if [ "$mode" = shared ]; then
    fix isolation "[eal] lcores '$LCORES' shares CPUs between lcores (fine for tests; in production one isolated CPU per lcore)"
  elif [ -z "$missing_iso" ] && [ -z "$missing_nohz" ]; then
    ok isolation "CPUs $cpus are in isolcpus ($iso) and nohz_full ($nohz)"
  else
    fix isolation "CPUs ${missing_iso:-$missing_nohz} not isolated: add 'isolcpus=$cpus nohz_full=$cpus rcu_nocbs=$cpus' to the kernel command line"
  fi
}

check_group() {
  if group_line "$GROUP" > /dev/null; then
    ok "shm group" "$GROUP (gid $(group_line "$GROUP" | cut -d: -f3)); members: $(group_line "$GROUP" | cut -d: -f4)"
  else
    fix "shm group" "no group $GROUP: run host-setup.sh (groupadd --system $GROUP), then add producers and operators to it"
  fi
}

check_devbind() {
  if command -v dpdk-devbind.py > /dev/null; then ok dpdk-devbind "$(command -v dpdk-devbind.py)"
  else fix dpdk-devbind "missing: apt-get install dpdk"; fi
}

run_checks() {
  bad=0
  check_hugepages; check_iommu; check_nic; check_cpus; check_group; check_devbind
}

if [ "$CHECK" = 1 ]; then
  run_checks
  exit $bad
fi

# --- apply ----------------------------------------------------------------------------------
[ "$DRY" = 1 ] || [ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || { echo "host-setup: needs root (or --check / --dry-run)" >&2; exit 2; }
failed=0
act() { # description, command...
  local what=$1; shift
  if [ "$DRY" = 1 ]; then printf 'WOULD %s: %s\n' "$what" "$*"; return 0; fi
  printf 'DO    %s: %s\n' "$what" "$*"
  if [ -n "$STUBS" ]; then
    local c=$1; shift
    [ -x "$STUBS/$c" ] || { echo "host-setup: no stand-in for $c" >&2; failed=1; return 1; }
    "$STUBS/$c" "$@" || { echo "host-setup: failed: $c $*" >&2; failed=1; return 1; }
    return 0
  fi
  "$@" || { echo "host-setup: failed: $*" >&2; failed=1; return 1; }
}
have_cmd() { if [ -n "$STUBS" ]; then [ -x "$STUBS/$1" ]; else command -v "$1" > /dev/null; fi; }
write_file() { # path content: only when it differs
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then printf 'SKIP  %s: already in place\n' "$1"; return 0; fi
  if [ "$DRY" = 1 ]; then printf 'WOULD write %s:\n%s\n' "$1" "$2" | sed '2,$s/^/      | /'; return 0; fi
  printf 'DO    write %s\n' "$1"
  printf '%s\n' "$2" > "$1.tmp.$$" && mv "$1.tmp.$$" "$1" || { failed=1; return 1; }
}

# group first: the mount and the udev rule name it
if group_line "$GROUP" > /dev/null; then printf 'SKIP  group %s exists\n' "$GROUP"
else act "create the shm group" groupadd --system "$GROUP"; fi
GID=$(group_line "$GROUP" | cut -d: -f3)
[ -z "$GID" ] && [ "$DRY" = 1 ] && GID='<gid of '"$GROUP"'>'

if [ "$HUGE" != no ] && [ "$HUGE" != off ]; then
  need=$(( (MEM_MB + 1) / 2 + SHM_PAGES + 64 ))   # memory_mb and rings in 2 MiB pages, plus room for a restart
  have=$(total_pages 2048kB)
  if [ "$have" -ge "$need" ] && [ -f "$ROOT/etc/sysctl.d/80-jetwire-hugepages.conf" ]; then
    printf 'SKIP  hugepages: %s reserved (need %s), persistent\n' "$have" "$need"
  else
    [ "$have" -gt "$need" ] && need=$have
    write_file "$ROOT/etc/sysctl.d/80-jetwire-hugepages.conf" "# jetwire ([eal] memory_mb $MEM_MB$SHM_NOTE): 2 MiB hugepages, written by host-setup.sh
vm.nr_hugepages = $need"
    act "reserve $need hugepages of 2 MiB now" sysctl -q -p "$ROOT/etc/sysctl.d/80-jetwire-hugepages.conf"
  fi
  if mp=$(mounted_size 2048) && [ "$mp" = "$ROOT$MOUNT" ]; then
    printf 'SKIP  %s mounted\n' "$MOUNT"
  elif [ -d "$ROOT/run/systemd/system" ]; then
    unit=$(systemd-escape --path --suffix=mount "$MOUNT")
    write_file "$ROOT/etc/systemd/system/$unit" "# hugepages for jetwire (host-setup.sh)
[Unit]
Description=hugepages for jetwire (group $GROUP)
[Mount]
What=hugetlbfs
Where=$MOUNT
Type=hugetlbfs
Options=pagesize=2M,gid=$GID,mode=1770
[Install]
WantedBy=local-fs.target"
    act "reload systemd" systemctl daemon-reload
    act "mount $MOUNT now and at boot" systemctl enable --now "$unit"
  else
    line="hugetlbfs $MOUNT hugetlbfs pagesize=2M,gid=$GID,mode=1770 0 0"
    if grep -qF "$line" "$ROOT/etc/fstab" 2>/dev/null; then printf 'SKIP  /etc/fstab has %s\n' "$MOUNT"
    elif [ "$DRY" = 1 ]; then printf 'WOULD append to /etc/fstab: %s\n' "$line"
    else printf 'DO    append to /etc/fstab: %s\n' "$line"; echo "$line" >> "$ROOT/etc/fstab" || failed=1; fi
    [ -d "$ROOT$MOUNT" ] || act "create $MOUNT" mkdir -p "$ROOT$MOUNT"
    act "mount $MOUNT" mount "$ROOT$MOUNT"
  fi
  echo "NOTE  1 GiB pages cannot be reserved reliably at run time: for them add 'default_hugepagesz=1G hugepagesz=1G hugepages=N' to the kernel command line"
fi

write_file "$ROOT/etc/udev/rules.d/80-jetwire-vfio.rules" "# /dev/vfio/* for group $GROUP, so jetwire runs without root (host-setup.sh)
SUBSYSTEM==\"vfio\", GROUP=\"$GROUP\", MODE=\"0660\""

if [ -n "$PCI" ]; then
  if [ ! -e "$SYS/bus/pci/devices/$PCI" ]; then
    echo "host-setup: [port] pci $PCI: no such PCI device; not binding" >&2; failed=1
  else
    r=$(nic_refusal); v=$(nic_vendor); d=$(nic_driver)
    if [ "$v" = 0x15b3 ]; then
      printf 'SKIP  %s: Mellanox, stays on %s (DPDK mlx5 works on the kernel driver)\n' "$PCI" "${d:-no driver}"
    elif [ -n "$r" ]; then
      echo "host-setup: refusing to bind $PCI: $r" >&2; failed=1
    elif [ "$d" = vfio-pci ]; then
      printf 'SKIP  %s already on vfio-pci\n' "$PCI"
    elif [ "$v" != 0x8086 ]; then
      echo "host-setup: $PCI is vendor $v on ${d:-no driver}: not an Intel NIC, so not bound automatically; bind it to the driver its PMD wants (dpdk-devbind.py --bind=vfio-pci $PCI)" >&2; failed=1
    else
      act "load vfio-pci" modprobe vfio-pci
      if have_cmd driverctl; then
        act "bind $PCI to vfio-pci (persistent)" driverctl set-override "$PCI" vfio-pci
      else
        act "bind $PCI to vfio-pci" dpdk-devbind.py --bind=vfio-pci "$PCI"
        echo "NOTE  not persistent across reboots: install driverctl and run host-setup.sh again"
      fi
    fi
  fi
fi
[ "$DRY" = 1 ] && { echo "dry run: nothing was changed"; exit $failed; }
echo "== the result"
run_checks
[ "$failed" = 0 ] || exit 1
exit $bad
