#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to as real peers:
#   Go + HashiCorp go-plugin + gRPC (the client Grafana uses to launch backend plugins),
#   docker-compose (validates docker-compose.yml), chromium (renders the query editor for a screenshot).
# Needs root (or sudo). Safe to run again: apt-get skips what is installed.
set -euo pipefail
packages=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev docker-compose chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies already installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run as root or install sudo: needs apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
