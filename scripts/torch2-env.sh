#!/usr/bin/env bash
# PyTorch 2.6 + torchvision 0.21 + safetensors (Debian 13 "trixie" packages) in a chroot root folder.
# Debian 12's python3-torch is 1.13; trixie's packages need Python 3.13 and a newer libc, so they live in
# their own root made with debootstrap (about 7 minutes and 2.4 GB the first time).
#
#   scripts/torch2-env.sh            build the root if it is missing or unfinished, then verify it
#   scripts/torch2-env.sh --check    verify only (exit 1 when the root is not usable)
#
# The root is $TORCHLET_TORCH2_ROOT (default /var/cache/torchlet/torch2-root), outside the repository.
# A marker file written after a successful build and import check makes a finished root reusable; an
# interrupted build (no marker) is removed and redone. Tests run Python inside with test/helpers/torch.ts.
set -euo pipefail
ROOT="${TORCHLET_TORCH2_ROOT:-/var/cache/torchlet/torch2-root}"
MARKER="$ROOT/.torchlet-torch2-ready"
PKGS=python3-torch,python3-torchvision,python3-safetensors,python3-numpy,libopenblas0-pthread
MIRROR="${TORCHLET_DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
  MIRROR=$(grep -rhoE '^(URIs:|deb) +\S+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

verify() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc" 2>/dev/null || true
  chroot "$ROOT" python3 -c "import torch, torchvision, safetensors; print(torch.__version__, torchvision.__version__, safetensors.__version__)" 2>/dev/null
}

if [ "${1:-}" = "--check" ]; then
  [ -f "$MARKER" ] && verify && exit 0
  echo "torch2-env: no usable PyTorch 2.6 root at $ROOT (run scripts/torch2-env.sh)" >&2; exit 1
fi

if [ -f "$MARKER" ] && verify; then echo "torch2-env: reusing $ROOT"; exit 0; fi

command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }
if [ -d "$ROOT" ]; then
  echo "torch2-env: removing an unfinished root at $ROOT"
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$ROOT"
fi
mkdir -p "$(dirname "$ROOT")"
for attempt in 1 2 3; do
  echo "torch2-env: debootstrap trixie into $ROOT from $MIRROR (attempt $attempt)"
  if debootstrap --variant=minbase --include="$PKGS" trixie "$ROOT" "$MIRROR" > /tmp/torch2-debootstrap.log 2>&1; then
    break
  fi
  tail -5 /tmp/torch2-debootstrap.log >&2
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$ROOT"
  [ "$attempt" = 3 ] && { echo "torch2-env: debootstrap failed 3 times" >&2; exit 1; }
  sleep 10
done
mkdir -p "$ROOT/x"
if out=$(verify); then
  echo "$out" > "$MARKER"
  echo "torch2-env: ready: torch/torchvision/safetensors $out"
else
  echo "torch2-env: the root was built but 'import torch, torchvision, safetensors' fails" >&2; exit 1
fi
