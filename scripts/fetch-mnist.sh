#!/bin/sh
# Downloads the data vnca trains and evaluates on into DIR, laid out as
# `vnca ... --data DIR` reads it:
#
#   DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#       MNIST (LeCun, Cortes, Burges; CC BY-SA 3.0), the original idx files
#   DIR/binarized_mnist/binarized_mnist_{train,valid,test}.amat
#       the static binarization of MNIST (Salakhutdinov & Murray 2008) as
#       published by Hugo Larochelle
#
# Every file must match its published sha256, or it is deleted and the
# script fails naming it; a file already in DIR that matches is kept.
#
# Environment, for mirrors and tests:
#   VNCA_MNIST_URLS            bases tried in turn (default: the mirror that
#                              torchvision uses, then the original page)
#   VNCA_BINARIZED_MNIST_URLS  bases of the .amat files (default: Larochelle's)
#   A base is a URL (fetched with curl or wget) or a local directory (copied).
#   VNCA_MNIST_SHA256SUMS      a file of "SHA256  NAME" lines (sha256sum's
#                              format) whose sums replace the ones below for
#                              the files they name
set -eu

MNIST_URLS=${VNCA_MNIST_URLS:-https://ossci-datasets.s3.amazonaws.com/mnist http://yann.lecun.com/exdb/mnist}
BINARIZED_URLS=${VNCA_BINARIZED_MNIST_URLS:-http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist}

# The gz files are byte-identical to those of http://yann.lecun.com/exdb/mnist/
# (their md5 are the ones torchvision checks); the .amat sums are the ones
# tensorflow-datasets records for Larochelle's files.
published_sums() {
    cat <<'EOF'
440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609  train-images-idx3-ubyte.gz
3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c  train-labels-idx1-ubyte.gz
8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6  t10k-images-idx3-ubyte.gz
f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6  t10k-labels-idx1-ubyte.gz
ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d  binarized_mnist_train.amat
1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2  binarized_mnist_valid.amat
e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c  binarized_mnist_test.amat
EOF
}

die() {
    echo "fetch-mnist: $*" >&2
    exit 1
}

[ $# -eq 1 ] || {
    echo "usage: sh scripts/fetch-mnist.sh DIR" >&2
    exit 2
}
dir=$1
sums=${VNCA_MNIST_SHA256SUMS:-}
[ -z "$sums" ] || [ -r "$sums" ] || die "VNCA_MNIST_SHA256SUMS: cannot read $sums"

if command -v sha256sum >/dev/null 2>&1; then
    sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
    sha256_of() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
    die "needs sha256sum (or shasum) to check the files"
fi

expected_sum() { # NAME: the first sum listed for it, VNCA_MNIST_SHA256SUMS first
    { [ -z "$sums" ] || cat "$sums"; published_sums; } | awk -v name="$1" '$2 == name { print $1; exit }'
}

fetch() { # URL_OR_PATH FILE
    case $1 in
    *://*)
        if command -v curl >/dev/null 2>&1; then
            curl -fSL --retry 3 --progress-bar -o "$2" "$1"
        elif command -v wget >/dev/null 2>&1; then
            wget -q -O "$2" "$1"
        else
            die "needs curl or wget to download $1"
        fi
        ;;
    *) cp "$1" "$2" ;;
    esac
}

part=""
trap 'rm -f "$part"' EXIT
trap 'exit 130' INT TERM
failed=""

get() { # SUBDIR NAME BASES
    out=$dir/$1/$2
    want=$(expected_sum "$2")
    if [ -f "$out" ]; then
        if [ "$(sha256_of "$out")" = "$want" ]; then
            echo "$out: already there, sha256 ok"
            return
        fi
        echo "$out: sha256 mismatch, fetching it again" >&2
    fi
    part=$out.part.$$
    for base in $3; do
        echo "fetching $base/$2" >&2
        if fetch "$base/$2" "$part"; then
            got=$(sha256_of "$part")
            if [ "$got" = "$want" ]; then
                mv -f "$part" "$out"
                echo "$out: sha256 ok"
                return
            fi
            echo "fetch-mnist: $2 from $base: sha256 $got, expected $want: refused, deleted" >&2
        fi
        rm -f "$part"
    done
    failed="$failed $2"
}

mkdir -p "$dir/mnist" "$dir/binarized_mnist"
for name in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
    t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    get mnist "$name" "$MNIST_URLS"
done
for split in train valid test; do
    get binarized_mnist "binarized_mnist_$split.amat" "$BINARIZED_URLS"
done
[ -z "$failed" ] || die "no intact copy of:$failed (see above)"
echo "done: vnca ... --data $dir"
