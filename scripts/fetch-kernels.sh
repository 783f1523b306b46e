#!/bin/sh
# Fetches Debian's current PREEMPT_RT and generic amd64 kernel images for guest deployments
# (`kernel: debian-rt` / `kernel: debian`) into a cache folder:
#   $UNILAT_KERNEL_CACHE, else $XDG_CACHE_HOME/unilat/kernels, else ~/.cache/unilat/kernels
# leaving vmlinuz-rt, vmlinuz and manifest.json (package, version, sha256 of each image).
# Only the kernel image is kept: guest initramfs images need no modules (8250 serial, devtmpfs,
# proc, sysfs, virtio-less console are built into Debian's kernels).
# Idempotent: an image already present is kept. Needs apt-get and dpkg-deb (Debian/Ubuntu);
# `apt-get download` works without root, but the package lists must be current (apt-get update).
set -eu

cache=${UNILAT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unilat/kernels}
mkdir -p "$cache"

# The versioned package a metapackage depends on (linux-image-rt-amd64 -> linux-image-6.1.0-NN-rt-amd64).
resolve() {
  dep=$(apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
  if [ -z "$dep" ]; then
    echo "fetch-kernels: cannot resolve $1 (run apt-get update?)" >&2
    exit 1
  fi
  echo "$dep"
}

# fetch METAPACKAGE OUTPUT_NAME
fetch() {
  meta=$1
  out=$2
  if [ -s "$cache/$out" ] && [ -s "$cache/$out.manifest" ]; then
    echo "fetch-kernels: $cache/$out present ($(sed -n 's/.*"package": *"\([^"]*\)".*/\1/p' "$cache/$out.manifest"))"
    return 0
  fi
  pkg=$(resolve "$meta")
  work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT INT TERM
  # As root, apt drops to _apt for downloads, which cannot write into a private cache folder.
  sandbox=; [ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
  (cd "$work" && apt-get download $sandbox "$pkg" >/dev/null)
  deb=$(ls "$work"/*.deb | head -n1)
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb -x "$deb" "$work/root"
  img=$(ls "$work"/root/boot/vmlinuz-* | head -n1)
  [ -s "$img" ] || { echo "fetch-kernels: no /boot/vmlinuz-* in $pkg" >&2; exit 1; }
  sum=$(sha256sum "$img" | cut -d' ' -f1)
  kver=$(basename "$img" | sed 's/^vmlinuz-//')
  # Image first, then its manifest: a manifest never names an image that is not fully there.
  cp "$img" "$cache/$out.tmp" && mv -f "$cache/$out.tmp" "$cache/$out"
  printf '{"file": "%s", "package": "%s", "version": "%s", "kernelRelease": "%s", "sha256": "%s"}\n' \
    "$out" "$pkg" "$version" "$kver" "$sum" >"$cache/$out.manifest.tmp"
  mv -f "$cache/$out.manifest.tmp" "$cache/$out.manifest"
  rm -rf "$work"
  trap - EXIT INT TERM
  echo "fetch-kernels: $pkg $version -> $cache/$out"
}

fetch linux-image-rt-amd64 vmlinuz-rt
fetch linux-image-amd64 vmlinuz

# One manifest for both images (the per-image ones stay, so each image is checked on its own).
{
  echo '['
  sed 's/$/,/' "$cache/vmlinuz-rt.manifest"
  cat "$cache/vmlinuz.manifest"
  echo ']'
} >"$cache/manifest.json.tmp"
mv -f "$cache/manifest.json.tmp" "$cache/manifest.json"
