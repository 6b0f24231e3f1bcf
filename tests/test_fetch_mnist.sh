#!/bin/sh
# scripts/fetch-mnist.sh against local sources: small stand-in files whose
# sums the test lists through VNCA_MNIST_SHA256SUMS. A good file is kept, a
# tampered one refused and deleted, an intact one not fetched again. With the
# real MNIST beside the checkout (DATA_DIR), its gz files also pass the
# script's own published sums.
#
#   sh test_fetch_mnist.sh FETCH_SCRIPT [DATA_DIR]
set -u
script=$1
data_dir=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

fail() {
    echo "FAIL: $*" >&2
    sed 's/^/  | /' "$tmp/log" >&2
    status=1
}

run() { # EXPECTED_STATUS [VAR=VALUE...]: the script on $tmp/out, its output in $tmp/log
    expected=$1
    shift
    env "$@" sh "$script" "$tmp/out" >"$tmp/log" 2>&1
    got=$?
    [ "$got" = "$expected" ] || { [ "$expected" = nonzero ] && [ "$got" != 0 ]; } ||
        fail "exit status $got, expected $expected"
}

mnist="train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz"
amat="binarized_mnist_train.amat binarized_mnist_valid.amat binarized_mnist_test.amat"
mkdir -p "$tmp/src/mnist" "$tmp/src/binarized_mnist"
for name in $mnist; do echo "stand-in for $name" >"$tmp/src/mnist/$name"; done
for name in $amat; do echo "stand-in for $name" >"$tmp/src/binarized_mnist/$name"; done
(cd "$tmp/src/mnist" && sha256sum -- * && cd ../binarized_mnist && sha256sum -- *) >"$tmp/sums"

# the files the output dir holds, as "SUBDIR/NAME" (temporary files included)
listing() { (cd "$tmp/out" && find . -type f | sort); }
all_files() { for n in $mnist; do echo "./mnist/$n"; done; for n in $amat; do echo "./binarized_mnist/$n"; done; }
expected_listing=$(all_files | sort)
same_as_source() { cmp -s "$tmp/src/$1" "$tmp/out/$1"; }

export VNCA_MNIST_SHA256SUMS="$tmp/sums"
# the second base is used when the first has nothing; file:// goes through curl
export VNCA_MNIST_URLS="$tmp/nowhere $tmp/src/mnist"
export VNCA_BINARIZED_MNIST_URLS="$tmp/src/binarized_mnist"
command -v curl >/dev/null && VNCA_BINARIZED_MNIST_URLS="file://$tmp/src/binarized_mnist"

# 1. everything fetched, checked, laid out as vnca reads it
run 0
[ "$(listing)" = "$expected_listing" ] || fail "fetched files: $(listing)"
for name in $mnist; do same_as_source "mnist/$name" || fail "mnist/$name differs"; done
for name in $amat; do same_as_source "binarized_mnist/$name" || fail "binarized_mnist/$name differs"; done

# 2. intact files are not fetched again: the sources are gone
run 0 VNCA_MNIST_URLS="$tmp/nowhere" VNCA_BINARIZED_MNIST_URLS="$tmp/nowhere"
grep -q "binarized_mnist_test.amat: already there, sha256 ok" "$tmp/log" || fail "no 'already there'"

# 3. a tampered source: refused, named, deleted, and the run fails
rm "$tmp/out/binarized_mnist/binarized_mnist_valid.amat"
echo "one more line" >>"$tmp/src/binarized_mnist/binarized_mnist_valid.amat"
run nonzero
grep -q "binarized_mnist_valid.amat from .*: sha256 .*refused, deleted" "$tmp/log" || fail "no refusal message"
grep -q "no intact copy of: binarized_mnist_valid.amat" "$tmp/log" || fail "no final message naming the file"
[ ! -e "$tmp/out/binarized_mnist/binarized_mnist_valid.amat" ] || fail "the tampered file was kept"
[ "$(listing)" = "$(all_files | grep -v valid | sort)" ] || fail "left behind: $(listing)"

# 4. a damaged file in the output dir is fetched again
(cd "$tmp/src/binarized_mnist" && echo "stand-in for binarized_mnist_valid.amat" >binarized_mnist_valid.amat)
echo "damaged" >"$tmp/out/mnist/t10k-labels-idx1-ubyte.gz"
run 0
same_as_source mnist/t10k-labels-idx1-ubyte.gz || fail "the damaged file was not replaced"
[ "$(listing)" = "$expected_listing" ] || fail "files after the repair: $(listing)"

# 5. a usage error and an unreadable sums file are refused up front
run nonzero VNCA_MNIST_SHA256SUMS="$tmp/no-such-sums"
grep -q "cannot read $tmp/no-such-sums" "$tmp/log" || fail "unreadable sums file not named"
sh "$script" >"$tmp/log" 2>&1 && fail "no DIR accepted"

# 6. the real gz files pass the published sums (the .amat ones stay stand-ins)
if [ -n "$data_dir" ] && [ -d "$data_dir/mnist" ]; then
    rm -rf "$tmp/out"
    grep amat "$tmp/sums" >"$tmp/amat-sums"
    run 0 VNCA_MNIST_SHA256SUMS="$tmp/amat-sums" VNCA_MNIST_URLS="$data_dir/mnist"
    for name in $mnist; do cmp -s "$data_dir/mnist/$name" "$tmp/out/mnist/$name" || fail "mnist/$name"; done
else
    echo "no MNIST at '$data_dir': the published sums are not checked"
fi

[ "$status" = 0 ] && echo "fetch-mnist: all checks passed"
exit "$status"
