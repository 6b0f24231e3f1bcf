#!/bin/sh
# Installs the Debian packages vnca builds and tests with. Debian 12
# (bookworm) or later. As root it installs them; as a user, through sudo.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "setup-debian.sh: installing packages needs root: run it as root (su -c 'sh $0') or install sudo" >&2
        exit 1
    fi
    SUDO="sudo"
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config \
    libopenblas-dev libopenblas-openmp-dev libcjson-dev zlib1g-dev libcmocka-dev \
    libsdl2-dev libsdl2-ttf-dev libfontconfig-dev libstb-dev libpng-dev libjpeg-dev libgif-dev \
    fonts-dejavu-core \
    xvfb xauth desktop-file-utils \
    openmpi-bin libopenmpi-dev \
    valgrind
