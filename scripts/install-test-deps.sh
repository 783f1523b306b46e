#!/bin/sh
# System packages the test suite uses (real components, no mocks), then Debian's kernels for
# the guest tests. Debian 12; run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  gcc libc6-dev \
  rt-tests rtla stress-ng linux-perf \
  openssh-server openssh-client \
  qemu-system-x86 busybox-static cpio \
  chromium \
  librsvg2-bin poppler-utils texlive-latex-base texlive-latex-recommended \
  util-linux procps iproute2 time ca-certificates
here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/fetch-kernels.sh" ]; then "$here/fetch-kernels.sh"; fi
