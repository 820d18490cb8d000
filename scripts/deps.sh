#!/usr/bin/env bash
# Install what jetwire needs to build, test, run and benchmark on Debian 12 (as root).
# Idempotent: when every package is present it does nothing and touches no network.
set -euo pipefail
PKGS=(build-essential pkg-config clang
      dpdk dpdk-dev libdpdk-dev liburcu-dev libnats-dev nats-server libcmocka-dev
      librdkafka-dev libssl-dev libsodium-dev python3 python3-scapy tcpdump iproute2 util-linux
      procps gnuplot-nox jq curl ethtool iputils-ping
      golang-go golang-github-nats-io-go-nats-dev
      python3-prometheus-client systemd
      python3-nacl golang-github-nats-io-nkeys-dev golang-github-nats-io-jwt-dev
      linux-perf)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
