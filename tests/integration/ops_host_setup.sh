#!/usr/bin/env bash
# scripts/host-setup.sh on this machine (no NIC for DPDK, no hugepages, no IOMMU):
#   - --check prints one OK/FIX line per item and exits 0 or 1, with and without -c, and
#     changes nothing: /proc/meminfo's HugePages lines, the hugetlbfs mounts, vm.* sysctls,
#     /etc/fstab, the groups, /etc/sysctl.d, /etc/udev/rules.d, /etc/systemd/system are the
#     same before and after (and after the --dry-run runs below);
#   - a config whose [port] pci is the NIC carrying the default route: --check says so,
#     --dry-run refuses to bind it (exit 1) and changes nothing;
#   - --dry-run on the reference config lists what it would do and changes nothing;
#   - the checks' parsing against a made-up sysfs (JW_HOST_SYSFS): an Intel NIC on
#     vfio-pci on NUMA node 1 while the lcores' CPUs are on node 0 and isolated.
#   - the apply mode twice in a scratch root with stand-in commands (JW_HOST_ROOT,
#     JW_HOST_STUBS; nothing else can run): the first run reserves, mounts, creates the
#     group, writes the udev rule and binds the made-up Intel NIC, then every check is OK;
#     the second run finds everything in place, calls no command and changes no file.
# It never runs the apply mode on the real host.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x build/jetwire ] || { echo "build first (make)"; exit 1; }
HS=scripts/host-setup.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

snapshot() {
  {
    grep HugePages_ /proc/meminfo
    echo "-- hugetlbfs mounts"; grep hugetlbfs /proc/mounts || true
    echo "-- vm sysctls"; sysctl -a 2>/dev/null | grep '^vm\.' | grep -v '^vm\.stat_' || true
    echo "-- files"; md5sum /etc/fstab /etc/group /etc/gshadow 2>/dev/null || true
    ls -la /etc/sysctl.d /etc/udev/rules.d /etc/systemd/system 2>/dev/null || true
    ls -d /dev/hugepages-jetwire 2>/dev/null || true
  } > "$1"
}
ITEMS='hugepages-2M hugepages-1G iommu vfio-pci nic numa isolation shm_group dpdk-devbind'
check_report() { # file
  local it
  while IFS= read -r l; do
    [[ $l =~ ^(OK\ \ \ |FIX\ \ )[a-z] ]] || fail "not an OK/FIX line: $l"
  done < "$1"
  for it in $ITEMS; do
    grep -qE "^(OK|FIX) +${it//_/ } " "$1" || fail "no line for $it"
  done
  [ "$(wc -l < "$1")" -eq 9 ] || fail "$(wc -l < "$1") lines, expected 9"
}

snapshot "$TMP/before"

echo "== --check -c dpdk-config/default.conf"
rc=0; $HS --check -c dpdk-config/default.conf > "$TMP/r1" || rc=$?
cat "$TMP/r1"
[ $rc = 0 ] || [ $rc = 1 ] || fail "exit $rc"
check_report "$TMP/r1"
if grep -q '^FIX' "$TMP/r1"; then [ $rc = 1 ] || fail "FIX lines but exit 0"; else [ $rc = 0 ] || fail "all OK but exit $rc"; fi
grep -q '^OK   nic .*vdev net_af_packet0' "$TMP/r1" || fail "vdev not recognised"
grep -q '^OK   iommu .*not needed: \[port\] vdev' "$TMP/r1" || fail "a vdev needs no IOMMU"
echo "ok exit $rc, 9 items"
rc=0; $HS --check -c dpdk-config/default.conf --set eal.hugepages=no > "$TMP/r1b" || rc=$?
check_report "$TMP/r1b"
grep -q '^OK   hugepages-2M not used' "$TMP/r1b" || fail "hugepages = no"

echo "== --check without a config"
rc=0; $HS --check > "$TMP/r2" || rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "exit $rc"
check_report "$TMP/r2"
echo "ok exit $rc"

echo "== the default-route NIC"
DEF=$(ip route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1)
PCI=
if [ -n "$DEF" ] && [ -e "/sys/class/net/$DEF/device" ]; then
  d=$(readlink -f "/sys/class/net/$DEF/device")
  while [ "$d" != / ] && ! [[ $(basename "$d") =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; do d=$(dirname "$d"); done
  [ "$d" != / ] && PCI=$(basename "$d")
fi
if [ -n "$PCI" ]; then
  sed "s|^vdev = .*|pci = $PCI|" dpdk-config/default.conf > "$TMP/defroute.conf"
  rc=0; $HS --check -c "$TMP/defroute.conf" > "$TMP/r3" || rc=$?
  grep '^... *nic' "$TMP/r3"
  [ $rc = 1 ] && grep -q "^FIX  nic .*$DEF carries the default route" "$TMP/r3" || fail "--check did not flag $PCI ($DEF)"
  rc=0; $HS --dry-run -c "$TMP/defroute.conf" > "$TMP/d1" 2>&1 || rc=$?
  [ $rc = 1 ] && grep -q "refusing to bind $PCI: its interface $DEF carries the default route" "$TMP/d1" ||
    { cat "$TMP/d1"; fail "--dry-run did not refuse $PCI"; }
  ! grep -q "WOULD bind" "$TMP/d1" || fail "--dry-run would bind the default-route NIC"
  echo "ok $PCI ($DEF, default route): flagged by --check, refused by --dry-run"
else
  fail "cannot find the PCI device of the default-route interface '$DEF'"
fi

echo "== --dry-run -c dpdk-config/default.conf"
rc=0; $HS --dry-run -c dpdk-config/default.conf > "$TMP/d2" 2>&1 || rc=$?
cat "$TMP/d2"
[ $rc = 0 ] || fail "dry run exit $rc"
grep -q '^dry run: nothing was changed' "$TMP/d2" || fail "no dry-run summary"
grep -q '^DO ' "$TMP/d2" && fail "dry run did something"
rc=0; $HS --check --dry-run > /dev/null 2>&1 || rc=$?; [ $rc = 2 ] || fail "--check --dry-run rc $rc"

echo "== nothing changed"
snapshot "$TMP/after"
diff "$TMP/before" "$TMP/after" || fail "host-setup changed the host"
echo "ok /proc/meminfo HugePages, hugetlbfs mounts, vm.* sysctls and /etc files identical"

echo "== parsing against a made-up sysfs"
F=$TMP/sys
N=$F/bus/pci/devices/0000:3b:00.0
mkdir -p "$N" "$F/bus/pci/drivers/vfio-pci" "$F/kernel/iommu_groups/7" \
  "$F/devices/system/cpu/cpu0/node0" "$F/devices/system/cpu/cpu1/node0" "$F/devices/system/node/node1" \
  "$F/kernel/mm/hugepages/hugepages-2048kB"
echo 0x8086 > "$N/vendor"; echo 1 > "$N/numa_node"; ln -s ../../drivers/vfio-pci "$N/driver"
echo 0-1 > "$F/devices/system/cpu/isolated"; echo 0-1 > "$F/devices/system/cpu/nohz_full"
echo 2-3 > "$F/devices/system/node/node1/cpulist"
echo 512 > "$F/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
echo 512 > "$F/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
sed "s|^vdev = .*|pci = 0000:3b:00.0|" dpdk-config/default.conf > "$TMP/intel.conf"
rc=0; JW_HOST_SYSFS=$F $HS --check -c "$TMP/intel.conf" --set 'eal.lcores=1@0,2@1' > "$TMP/r4" || rc=$?
cat "$TMP/r4"
check_report "$TMP/r4"
grep -q '^OK   nic .*Intel, bound to vfio-pci' "$TMP/r4" || fail "Intel on vfio-pci"
grep -q '^FIX  numa .*node 1 but lcore CPUs 0,1 are on node(s) 0: pick CPUs of node 1 (2-3)' "$TMP/r4" || fail "numa"
grep -q '^OK   isolation .*CPUs 0,1 are in isolcpus' "$TMP/r4" || fail "isolation"
grep -q '^OK   iommu .*1 IOMMU groups' "$TMP/r4" || fail "iommu"
grep -q '^OK   vfio-pci .*loaded' "$TMP/r4" || fail "vfio-pci"
echo 0 > "$F/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"; echo 0 > "$F/devices/system/cpu/nohz_full"
rc=0; JW_HOST_SYSFS=$F $HS --check -c "$TMP/intel.conf" --set 'eal.lcores=1@0,2@1' > "$TMP/r5" || rc=$?
grep -q '^FIX  isolation .*isolcpus=0,1 nohz_full=0,1' "$TMP/r5" || { cat "$TMP/r5"; fail "nohz_full missing not flagged"; }
grep -q '^FIX  hugepages-2M 0 free of 512, need 273 for memory_mb 256 + 145 for the rings' "$TMP/r5" || { cat "$TMP/r5"; fail "no free pages not flagged"; }
# rings kept on tmpfs: the EAL's pages only
rc=0; JW_HOST_SYSFS=$F $HS --check -c "$TMP/intel.conf" --set 'eal.lcores=1@0,2@1' --set shm.hugepages=off > "$TMP/r5b" || rc=$?
grep -q '^FIX  hugepages-2M 0 free of 512, need 128 for memory_mb 256:' "$TMP/r5b" || { cat "$TMP/r5b"; fail "shm.hugepages = off still counts the rings"; }
[ $rc = 1 ] || fail "exit $rc with FIX lines"

echo "== apply mode, twice, in a scratch root with stand-in commands"
R=$TMP/root ST=$TMP/stubs CALLS=$TMP/calls M=$TMP/mounts
mkdir -p "$R/etc/sysctl.d" "$R/etc/udev/rules.d" "$R/dev" "$ST"
: > "$R/etc/group"; : > "$R/etc/fstab"; : > "$CALLS"; : > "$M"
rm -f "$N/driver"; mkdir -p "$F/bus/pci/drivers/ice"; ln -s ../../drivers/ice "$N/driver"
echo 0 > "$N/numa_node"; echo 0-1 > "$F/devices/system/cpu/nohz_full"
echo 0 > "$F/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
stub() { printf '#!/usr/bin/env bash\necho "%s $*" >> %s\n%s\n' "$1" "$CALLS" "$2" > "$ST/$1"; chmod +x "$ST/$1"; }
stub groupadd "echo \"\${@: -1}:x:987:\" >> $R/etc/group"
stub sysctl "n=\$(sed -n 's/^vm.nr_hugepages = //p' \"\${@: -1}\"); echo \$n > $F/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; echo \$n > $F/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
stub mkdir "case \"\${@: -1}\" in $R/*) /bin/mkdir \"\$@\" ;; *) exit 9 ;; esac"
stub mount "echo \"hugetlbfs \$1 hugetlbfs rw,relatime,gid=987,mode=1770,pagesize=2M 0 0\" >> $M"
stub modprobe ":"
stub dpdk-devbind.py "rm -f $N/driver; ln -s ../../drivers/vfio-pci $N/driver"
run_apply() {
  JW_HOST_SYSFS=$F JW_HOST_MOUNTS=$M JW_HOST_ROOT=$R JW_HOST_STUBS=$ST \
    $HS -c "$TMP/intel.conf" --set 'eal.lcores=1@0,2@1' > "$1" 2>&1
}
rc=0; run_apply "$TMP/a1" || rc=$?
cat "$TMP/a1"
[ $rc = 0 ] || fail "first apply exit $rc"
for c in 'groupadd --system jetwire' "sysctl -q -p $R/etc/sysctl.d/80-jetwire-hugepages.conf" \
         "mkdir -p $R/dev/hugepages-jetwire" "mount $R/dev/hugepages-jetwire" 'modprobe vfio-pci' \
         'dpdk-devbind.py --bind=vfio-pci 0000:3b:00.0'; do
  grep -qxF "$c" "$CALLS" || { cat "$CALLS"; fail "first apply did not run: $c"; }
done
grep -q '^vm.nr_hugepages = 337$' "$R/etc/sysctl.d/80-jetwire-hugepages.conf" || fail "sysctl.d file"
grep -qxF 'hugetlbfs /dev/hugepages-jetwire hugetlbfs pagesize=2M,gid=987,mode=1770 0 0' "$R/etc/fstab" || fail "fstab line"
grep -q 'SUBSYSTEM=="vfio", GROUP="jetwire", MODE="0660"' "$R/etc/udev/rules.d/80-jetwire-vfio.rules" || fail "udev rule"
[ "$(grep -c '^OK' "$TMP/a1")" = 9 ] || fail "not every item OK after the apply"
echo "ok first apply: $(wc -l < "$CALLS") commands, then 9 items OK"
before=$(cd "$R" && find . -type f -exec md5sum {} + | sort; cat "$M")
calls=$(wc -l < "$CALLS")
rc=0; run_apply "$TMP/a2" || rc=$?
cat "$TMP/a2"
[ $rc = 0 ] || fail "second apply exit $rc"
[ "$(wc -l < "$CALLS")" = "$calls" ] || { tail -n +$((calls + 1)) "$CALLS"; fail "second apply ran commands"; }
grep -q '^DO ' "$TMP/a2" && fail "second apply did something"
[ "$before" = "$(cd "$R" && find . -type f -exec md5sum {} + | sort; cat "$M")" ] || fail "second apply changed files"
echo "ok second apply: nothing to do (idempotent)"
rc=0; JW_HOST_ROOT=$R $HS --check > /dev/null 2>&1 || rc=$?; [ $rc = 2 ] || fail "partial test hooks accepted"
snapshot "$TMP/after2"
diff "$TMP/before" "$TMP/after2" || fail "the scratch-root runs changed the host"
echo "PASS ops_host_setup"
