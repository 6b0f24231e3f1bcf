#!/bin/sh
# Installs the Debian packages vnca builds and tests with (run as root or
# through sudo). Debian 12 (bookworm) or later.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config \
    libopenblas-dev libopenblas-openmp-dev libcjson-dev zlib1g-dev libcmocka-dev \
    libsdl2-dev libsdl2-ttf-dev libfontconfig-dev libstb-dev libpng-dev libjpeg-dev \
    fonts-dejavu-core \
    xvfb xauth \
    openmpi-bin libopenmpi-dev \
    valgrind
