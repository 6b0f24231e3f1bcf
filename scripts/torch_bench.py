#!/usr/bin/python3
"""vnca beside PyTorch: decoding and training speed of the same model.

Each SIZE is a model file, a named configuration (made with `vnca init
--config NAME`) or Z/H/R: latent, hidden and residual blocks, with a conv3x3
perception, 8 steps per stage from 2x2 to 32x32 and encoder width 32. For
each, the model file is timed in PyTorch (scripts/vnca_torch.py in float32,
PyTorch's default CPU convolutions, in NCHW and in channels_last: the faster
counts) and by `vnca bench --model FILE`:
  - decode, z -> logits through the whole schedule, at batch 1 and at the
    large batch: ms per image;
  - a training step at the large batch (encoder, reparameterization, decode,
    negative ELBO with Bernoulli BCE and analytic KL, backward): images per
    second. vnca's figure has no optimizer update, so PyTorch's has none
    either; the Adam step PyTorch would add is given under the table.
Both run on the same number of threads (OMP_NUM_THREADS, default 2); each
figure is the median of --repeats runs of at least --seconds each, after a
warm-up. Prints a markdown table; a ratio is vnca's speed over PyTorch's
(above 1: vnca is faster).

    /usr/bin/python3 scripts/torch_bench.py --vnca build/app/vnca [--seconds 5] [SIZE...]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

import vnca_torch

DEFAULT_SIZES = ["16/32/1", "64/128/1", "128/128/2", "tiny"]
SCHEDULE = "2:8,4:8,8:8,16:8,32:8"
LAYOUTS = {"NCHW": torch.contiguous_format, "NHWC": torch.channels_last}
FIGURES = ("decode b1", "decode bN", "train bN")  # each in images per second


def run_vnca(args, env=None):
    """vnca's standard output; exits with its error if it fails"""
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def model_file(vnca, size, tmp_dir):
    """the model file SIZE names, written into tmp_dir by vnca init unless it is one"""
    if os.path.isfile(size):
        return size
    if size.endswith(".safetensors"):
        sys.exit(f"{size}: no such model file")
    zhr = re.fullmatch(r"(\d+)/(\d+)/(\d+)", size)
    if zhr:
        options = ["--latent", zhr[1], "--hidden", zhr[2], "--res-blocks", zhr[3],
                   "--perception", "conv3x3", "--schedule", SCHEDULE, "--encoder-width", "32"]
    else:
        options = ["--config", size]
    path = os.path.join(tmp_dir, size.replace("/", "-") + ".safetensors")
    run_vnca([vnca, "init", *options, "--output", path])
    return path


def images_per_second(run_batch, batch, seconds, repeats):
    """the median over `repeats` runs of at least `seconds` each, after two warm-up batches"""
    run_batch()
    run_batch()
    rates = []
    for _ in range(repeats):
        runs, start = 0, time.perf_counter()
        while True:
            run_batch()
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(runs * batch / elapsed)
    return statistics.median(rates)


def torch_figures(path, memory_format, batch, seconds, repeats):
    """FIGURES of PyTorch in memory_format, and the ms of one Adam step"""
    cfg, p = vnca_torch.load_model(path, torch.float32, memory_format)
    gen = torch.Generator().manual_seed(2)
    size = cfg["image_size"]
    x = (torch.rand(batch, size, size, generator=gen) < 0.2).float()
    eps = torch.randn(batch, cfg["latent"], generator=gen)

    def decode(n):
        with torch.inference_mode():
            vnca_torch.decode(p, cfg, eps[:n], memory_format)

    def train_step():
        for t in p.values():
            t.grad = None
        loss, _, _ = vnca_torch.negative_elbo(p, cfg, x, eps, memory_format)
        loss.backward()

    figures = {
        "decode b1": images_per_second(lambda: decode(1), 1, seconds, repeats),
        "decode bN": images_per_second(lambda: decode(batch), batch, seconds, repeats),
        "train bN": images_per_second(train_step, batch, seconds, repeats),
    }
    adam = torch.optim.Adam(p.values(), lr=1e-3)  # on the last step's gradients
    adam_ms = 1e3 / images_per_second(adam.step, 1, min(seconds, 1.0), repeats)
    return figures, adam_ms


BENCH_LINE = re.compile(r"(decode|train)\s+batch\s+(\d+)\s+[\d.]+ ms/image\s+([\d.]+) images/s")


def vnca_figures(vnca, path, batch, seconds, repeats, threads):
    """FIGURES of `vnca bench`, each the median over `repeats` runs of it"""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    names = {("decode", 1): "decode b1", ("decode", batch): "decode bN", ("train", batch): "train bN"}
    runs = []
    for _ in range(repeats):
        out = run_vnca([vnca, "bench", "--model", path, "--seconds", str(seconds),
                        "--batch", str(batch)], env)
        found = {}
        for line in out.splitlines():  # by prefix: vnca bench prints other lines too
            m = BENCH_LINE.match(line.strip())
            if m and (m[1], int(m[2])) in names:
                found[names[m[1], int(m[2])]] = float(m[3])
        if set(found) != set(FIGURES):
            sys.exit(f"vnca bench printed no {sorted(set(FIGURES) - set(found))} "
                     f"figure for {path}:\n{out}")
        runs.append(found)
    return {f: statistics.median(r[f] for r in runs) for f in FIGURES}


def bench_size(args, size, tmp_dir):
    """one row: (label, PyTorch's best figures, their layouts, Adam ms, vnca's figures)"""
    path = model_file(args.vnca, size, tmp_dir)
    best, best_layout, adam_ms = {}, {}, None
    for name in args.layouts:
        print(f"{size}: PyTorch {name}...", file=sys.stderr, flush=True)
        figures, adam = torch_figures(path, LAYOUTS[name], args.batch, args.seconds, args.repeats)
        adam_ms = adam if adam_ms is None else min(adam_ms, adam)
        for f, rate in figures.items():
            if rate > best.get(f, 0.0):
                best[f], best_layout[f] = rate, name
    print(f"{size}: vnca...", file=sys.stderr, flush=True)
    ours = vnca_figures(args.vnca, path, args.batch, args.seconds, args.repeats, args.threads)
    label = os.path.basename(size) if os.path.isfile(size) else size
    return label, best, best_layout, adam_ms, ours


def shown(figures):
    """decode figures in ms per image, train in images per second"""
    return [f"{1e3 / figures['decode b1']:.2f}", f"{1e3 / figures['decode bN']:.2f}",
            f"{figures['train bN']:.1f}"]


def print_table(args, rows):
    n = args.batch
    print(f"PyTorch {torch.__version__} (float32, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}) and {args.vnca}, "
          f"{args.threads} threads; median of {args.repeats} runs of >= {args.seconds} s each.\n")
    print(f"| size | PyTorch decode b1 ms/img | decode b{n} ms/img | train b{n} img/s "
          f"| vnca decode b1 ms/img | decode b{n} ms/img | train b{n} img/s "
          f"| vnca/PyTorch decode b1 | decode b{n} | train b{n} | PyTorch layout |")
    print("|---" * 11 + "|")
    for label, theirs, layouts, _, ours in rows:
        ratios = [f"{ours[f] / theirs[f]:.2f}" for f in FIGURES]
        cells = [label, *shown(theirs), *shown(ours), *ratios, "/".join(layouts[f] for f in FIGURES)]
        print("| " + " | ".join(cells) + " |")
    print(f"\nTrain figures are forward and backward only (vnca bench has no optimizer update). "
          f"PyTorch's Adam step, per batch of {n}:")
    for label, theirs, _, adam_ms, _ in rows:
        step_ms = 1e3 * n / theirs["train bN"]
        print(f"- {label}: {adam_ms:.2f} ms ({100 * adam_ms / step_ms:.1f}% of its training step)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", metavar="SIZE", nargs="*",
                        help="model file, named configuration or Z/H/R (default: "
                             + " ".join(DEFAULT_SIZES) + ")")
    parser.add_argument("--vnca", required=True, help="the vnca executable (build/app/vnca)")
    parser.add_argument("--paper", action="store_true", help="add the paper's model (slow)")
    parser.add_argument("--seconds", type=int, default=5, help="least seconds per timed run (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (default 3)")
    parser.add_argument("--batch", type=int, default=32, help="the large batch (default 32)")
    parser.add_argument("--layout", choices=["NCHW", "NHWC", "both"], default="both",
                        help="PyTorch's memory format (default: both, the faster counts)")
    args = parser.parse_args()
    if args.seconds < 1 or args.repeats < 1 or args.batch < 2:
        parser.error("--seconds and --repeats must be at least 1, --batch at least 2")
    if not os.access(args.vnca, os.X_OK):
        parser.error(f"--vnca {args.vnca}: not an executable (build it: ninja -C build)")
    args.layouts = list(LAYOUTS) if args.layout == "both" else [args.layout]
    args.threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(args.threads)
    sizes = (args.sizes or DEFAULT_SIZES) + (["paper"] if args.paper else [])
    with tempfile.TemporaryDirectory() as tmp_dir:
        rows = [bench_size(args, size, tmp_dir) for size in sizes]
    print_table(args, rows)


if __name__ == "__main__":
    main()
