#!/bin/sh
# Remakes the screenshots of vnca-studio in docs/screenshots/, by running its
# --script actions under a virtual X server (Debian: xvfb, xauth), and the
# GIF of digits growing there, with `vnca sample --gif`.
#
#   sh scripts/studio-screenshots.sh [MODEL] [STUDIO]
#
# MODEL defaults to the shipped models/vnca-mnist.safetensors, STUDIO to
# build/app/vnca-studio (vnca is the one beside it). Run from the source
# tree's root.
set -eu
model=${1:-models/vnca-mnist.safetensors}
studio=${2:-build/app/vnca-studio}
out=docs/screenshots
mkdir -p "$out"
script=$(mktemp)
trap 'rm -f "$script"' EXIT

studio() {
    SDL_VIDEODRIVER=x11 xvfb-run -a -s "-screen 0 1024x768x24" \
        "$studio" --software --size 760x480 --seed 5 "$@" --script "$script"
}

# N single steps of the paused automaton, as script lines
steps() {
    i=0
    while [ "$i" -lt "$1" ]; do echo "key ."; i=$((i + 1)); done
}

# a digit growing (paused 26 steps in: the default's 32x32 stage, 4 steps
# before its end), the grown digit defaced, regrowing (paused likewise),
# regrown, the hidden channels, the help, another of the strip's alternatives
cat >"$script" <<EOF
key p
wait-idle
$(steps 26)
wait-idle
screenshot $out/growing.png
key p
wait-idle
wheel 1
drag left 14 6 22 12 23 17
wheel -3
drag right 17 27 13 29
wheel 2
move 23 17
screenshot $out/erased.png
key p
key space
wait-idle
$(steps 26)
wait-idle
screenshot $out/regrowing.png
key p
wait-idle
move 40 40
screenshot $out/regrown.png
key tab
screenshot $out/channels.png
key tab
key f1
screenshot $out/help.png
key escape
pick 2
wait-idle
move 40 40
screenshot $out/alternatives.png
EOF
studio --model "$model"

# draw mode: a "2" drawn, its reconstruction grown beside it, and samples of
# its posterior in the strip
cat >"$script" <<EOF
wait-idle
key b
drag left 10 11 12 7 16 5 20 7 22 11 20 16 15 21 10 26 16 26 23 26
key return
wait-idle
move 40 40
screenshot $out/drawing.png
EOF
studio --model "$model"

# four digits from the prior growing, every step
"$(dirname "$studio")/vnca" sample --model "$model" -n 4 --seed 3 --gif "$out/growth.gif" --gif-scale 4

# no model
cat >"$script" <<EOF
wait-idle
screenshot $out/error.png
EOF
studio --model /nonexistent/vnca-mnist.safetensors 2>/dev/null
ls -l "$out"
