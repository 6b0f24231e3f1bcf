#!/usr/bin/env bash
# libvnca as another program sees it: installs a build into a temporary
# directory, checks vnca-studio's desktop entry and icon there, compiles examples/decode_prior.c against the installed headers
# and shared library (flags from pkg-config, nothing from the source tree),
# runs it on the installed model and checks that it drew digits.
#
#   tests/install_example.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --quiet

# the .pc names the real prefix; point it into the staging directory
pc=$(find "$work/root" -name vnca.pc)
[ -n "$pc" ] || { echo "install_example: meson install wrote no vnca.pc"; exit 1; }
prefix=$work/root$(sed -n 's/^prefix=//p' "$pc")
vnca_pc() { PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$prefix" "$@" vnca; }

# vnca-studio in the desktop's menus: its entry, and its icon in the folder of
# the icon's real size (a PNG's width and height are big-endian at byte 16)
desktop=$prefix/share/applications/vnca-studio.desktop
[ -f "$desktop" ] || { echo "install_example: meson install wrote no $desktop"; exit 1; }
grep -qx 'Exec=vnca-studio %f' "$desktop" || { echo "install_example: $desktop: no Exec=vnca-studio %f"; exit 1; }
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$desktop"; fi
icon=$(find "$prefix/share/icons/hicolor" -path '*/apps/vnca-studio.png')
[ -n "$icon" ] || { echo "install_example: meson install wrote no hicolor icon vnca-studio.png"; exit 1; }
read -r w3 w2 w1 w0 h3 h2 h1 h0 < <(od -An -tu1 -j16 -N8 "$icon")
size=$(( (w3 << 24 | w2 << 16 | w1 << 8 | w0) ))x$(( (h3 << 24 | h2 << 16 | h1 << 8 | h0) ))
case $icon in
    */hicolor/"$size"/apps/vnca-studio.png) echo "install_example: $size icon, desktop entry valid" ;;
    *) echo "install_example: $icon is $size pixels"; exit 1 ;;
esac

# shellcheck disable=SC2046  # the flags are meant to split into words
cc -std=c11 -Wall -Wextra -Werror examples/decode_prior.c $(vnca_pc --cflags --libs) \
    -o "$work/decode_prior"
if ! readelf -d "$work/decode_prior" | grep -q 'NEEDED.*\[libvnca\.so\.'; then
    echo "install_example: decode_prior is not linked to the shared libvnca"
    exit 1
fi

model=$(find "$prefix" -name vnca-mnist.safetensors)
[ -n "$model" ] || { echo "install_example: meson install wrote no vnca-mnist.safetensors"; exit 1; }
LD_LIBRARY_PATH=$(vnca_pc --variable=libdir) "$work/decode_prior" "$model" 7 > "$work/digits.txt"
cat "$work/digits.txt"

# three 32x32 digits side by side: each some ink (#) on a background (.)
awk '
    length($0) != 3 * 32 + 2 || !/^[#. ]+$/ { bad = "a line is not three rows of 32 pixels" }
    { for (i = 0; i < 3; i++) ink[i] += gsub(/#/, "", $(i + 1)) }
    END {
        if (NR != 32) bad = "expected 32 lines, got " NR
        for (i = 0; i < 3; i++)
            if (!bad && (ink[i] < 40 || ink[i] > 400)) bad = "digit " i + 1 " has " ink[i] " ink pixels"
        if (bad) { print "install_example: " bad; exit 1 }
        print "install_example: 3 digits, " ink[0] ", " ink[1] ", " ink[2] " ink pixels"
    }' "$work/digits.txt"
