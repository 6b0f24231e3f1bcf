#!/usr/bin/python3
"""PyTorch reference for vnca's model, written as the fixture of tests/test_parity.c.

For three small random models -- a conv3x3 perception, a Sobel perception, and
a persistent model whose genome carries its latent and position, with a far
perception -- this writes a model file, reads it back, builds the same VNCA in
PyTorch and computes in float64, for fixed images and noise:
  - q(z|x): mu and log-sigma, and z = mu + sigma * eps;
  - the cell states after every NCA step of a step-by-step decode of z
    (channel 0 holds the logits), for the persistent model with cells
    destroyed on the way and extra steps after the schedule;
  - the negative ELBO (loss, recon, kl; batch means) and every parameter's
    gradient of the loss.
Per case it writes, into the output directory:
  parity-<case>.model.safetensors   the model, as vnca loads it
  parity-<case>.ref.safetensors     the inputs and the reference (float32)

Regenerate (Debian packages python3-torch and python3-numpy; neither the
build nor the tests need them):
    /usr/bin/python3 scripts/torch_parity.py tests/data
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

POSITION_OCTAVES = 4
POSITION_FEATURES = 4 * POSITION_OCTAVES


# ---- safetensors files (F32 only, as vnca writes them) ----------------------

def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> array, written as little-endian float32, atomically."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, value in tensors.items():
        data = np.ascontiguousarray(value, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(data.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        blobs.append(data.tobytes())
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keeps the data 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def read_safetensors(path):
    """-> (name -> float32 array, metadata dict)"""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: tensor '{name}' is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return tensors, metadata


# ---- the configuration and the parameter layout (core/src/model.c) --------

def config_from_metadata(meta):
    stages = [tuple(int(v) for v in s.split(":")) for s in meta["vnca.schedule"].split(",")]
    return {
        "latent": int(meta["vnca.latent"]), "hidden": int(meta["vnca.hidden"]),
        "res_blocks": int(meta["vnca.res_blocks"]),
        "encoder_width": int(meta["vnca.encoder_width"]),
        "image_size": int(meta["vnca.image_size"]),
        "perception": meta["vnca.perception"], "variant": meta["vnca.variant"],
        "genome": meta.get("vnca.genome", "none"), "far_reach": int(meta.get("vnca.far_reach", 0)),
        "stages": stages,  # [(grid, steps)]
    }


def config_to_metadata(cfg):
    meta = {"vnca.format": "1", "vnca.perception": cfg["perception"],
            "vnca.variant": cfg["variant"],
            "vnca.schedule": ",".join(f"{g}:{s}" for g, s in cfg["stages"])}
    for key in ("latent", "hidden", "res_blocks", "encoder_width", "image_size"):
        meta["vnca." + key] = str(cfg[key])
    if cfg["genome"] != "none":
        meta["vnca.genome"] = cfg["genome"]
    if cfg["far_reach"]:
        meta["vnca.far_reach"] = str(cfg["far_reach"])
    return meta


def encoder_convs(cfg):
    return 1 + int(math.log2(cfg["image_size"] // 2))


def layout(cfg):
    """[(name, shape)] in file order"""
    c, h = cfg["latent"], cfg["hidden"]
    out, c_in = [], 1
    for i in range(encoder_convs(cfg)):
        c_out = cfg["encoder_width"] << i
        out += [(f"encoder.conv{i + 1}.weight", (c_out, c_in, 5, 5)),
                (f"encoder.conv{i + 1}.bias", (c_out,))]
        c_in = c_out
    out += [("encoder.fc.weight", (2 * c, 4 * c_in)), ("encoder.fc.bias", (2 * c,))]
    sobel = cfg["perception"] == "sobel"
    out += [("nca.perceive.weight", (h, 3 * c, 1, 1) if sobel else (h, c, 3, 3)),
            ("nca.perceive.bias", (h,))]
    if cfg["far_reach"]:
        out.append(("nca.perceive_far.weight", (h, c, 3, 3)))
    if cfg["genome"] != "none":
        out.append(("nca.genome.weight", (h, c, 3, 3)))
    if cfg["genome"] == "latent+position":
        out.append(("nca.position.weight", (h, POSITION_FEATURES, 1, 1)))
    for r in range(cfg["res_blocks"]):
        for conv in ("conv1", "conv2"):
            out += [(f"nca.res.{r}.{conv}.weight", (h, h, 1, 1)), (f"nca.res.{r}.{conv}.bias", (h,))]
    out += [("nca.out.weight", (c, h, 1, 1)), ("nca.out.bias", (c,))]
    return out


def random_parameters(cfg, gen):
    """PyTorch's default init, U(+-1/sqrt(fan_in)), for every tensor, the last
    conv included (vnca zeroes it, which would make the update the identity
    and stop every NCA gradient). A bias takes its weight's fan_in."""
    params, bound = {}, 0.0
    for name, shape in layout(cfg):
        if len(shape) > 1:
            bound = 1.0 / math.sqrt(math.prod(shape[1:]))
        params[name] = (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound
    return params


# ---- the model, as vnca computes it -----------------------------------------

def encode(p, cfg, x):
    """x [n, S, S] -> mu, logsig [n, Z] (core/src/encoder.c)"""
    a = x[:, None]
    for i in range(encoder_convs(cfg)):
        a = F.elu(F.conv2d(a, p[f"encoder.conv{i + 1}.weight"], p[f"encoder.conv{i + 1}.bias"],
                           stride=1 if i == 0 else 2, padding=2))
    q = F.linear(a.flatten(1), p["encoder.fc.weight"], p["encoder.fc.bias"])  # (c, y, x) order
    return q[:, :cfg["latent"]], q[:, cfg["latent"]:]


def sobel(state):
    """[n, C, g, g] -> [n, 3C, g, g]: the channels, their Sobel-x, their Sobel-y"""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
                      dtype=state.dtype) / 8
    c = state.shape[1]
    gx = F.conv2d(state, kx.expand(c, 1, 3, 3), padding=1, groups=c)
    gy = F.conv2d(state, kx.t().expand(c, 1, 3, 3), padding=1, groups=c)
    return torch.cat([state, gx, gy], dim=1)


def position_features(g, dtype):
    """[16, g, g]: per octave k, sin and cos of the column's then the row's
    coordinate (2i + 1)/g - 1 times pi 2^k (core/src/ops_position.c). The
    angle is formed in float32 as vnca forms it; its sine in float64."""
    coord = (2.0 * torch.arange(g, dtype=torch.float32) + 1.0) / g - 1.0
    feats = []
    for k in range(POSITION_OCTAVES):
        angle = (torch.tensor(math.pi, dtype=torch.float32) * (1 << k) * coord).to(dtype)
        column = angle[None, :].expand(g, g)  # [y, x]: x's coordinate
        row = angle[:, None].expand(g, g)
        feats += [column.sin(), column.cos(), row.sin(), row.cos()]
    return torch.stack(feats)


def update(p, cfg, state, z, alive):
    """f(state): state [n, C, g, g], z [n, Z], alive [n, 1, g, g] -> delta (core/src/nca.c)"""
    if cfg["perception"] == "sobel":
        x = F.conv2d(sobel(state), p["nca.perceive.weight"], p["nca.perceive.bias"])
    else:
        x = F.conv2d(state, p["nca.perceive.weight"], p["nca.perceive.bias"], padding=1)
    if cfg["far_reach"]:
        r = cfg["far_reach"]
        x = x + F.conv2d(state, p["nca.perceive_far.weight"], padding=r, dilation=r)
    if cfg["genome"] != "none":
        # every cell that holds its genome holds z; a dead cell and the border read zero
        genome = z[:, :, None, None] * alive
        x = x + F.conv2d(genome, p["nca.genome.weight"], padding=1)
    if cfg["genome"] == "latent+position":
        where = position_features(state.shape[-1], state.dtype)[None] * alive
        x = x + F.conv2d(where, p["nca.position.weight"])
    for r in range(cfg["res_blocks"]):
        a = F.elu(F.conv2d(x, p[f"nca.res.{r}.conv1.weight"], p[f"nca.res.{r}.conv1.bias"]))
        x = x + F.conv2d(a, p[f"nca.res.{r}.conv2.weight"], p[f"nca.res.{r}.conv2.bias"])
    return F.conv2d(x, p["nca.out.weight"], p["nca.out.bias"])


def divide(cells):
    """every cell into a 2x2 block (nearest neighbour)"""
    return cells.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def spread(alive):
    """a cell holds its genome after a step where any cell of its 3x3 did before"""
    return F.max_pool2d(alive, 3, stride=1, padding=1)


def grow(p, cfg, z, total_steps, destroy=()):
    """The step-by-step decode of VncaGrowth (core/src/growth.c): states
    [n, C, g, g] after each of total_steps steps (past the schedule: extra
    steps at full size). destroy: (before_step, image, x, y), applied when
    that many steps minus one are done."""
    n, grid = z.shape[0], cfg["stages"][0][0]
    state = z[:, :, None, None].expand(n, cfg["latent"], grid, grid).clone()
    alive = torch.ones(n, 1, grid, grid, dtype=z.dtype)
    stage, step, states = 0, 0, []
    for t in range(1, total_steps + 1):
        hit = [(i, x, y) for before, i, x, y in destroy if before == t]
        if hit:  # on copies: the previous step's state is kept as it was
            state, alive = state.clone(), alive.clone()
        for i, x, y in hit:
            state[i, :, y, x] = 0
            alive[i, :, y, x] = 0
        while step >= cfg["stages"][stage][1] and stage + 1 < len(cfg["stages"]):
            state, alive, stage, step = divide(state), divide(alive), stage + 1, 0
        state = state + update(p, cfg, state, z, alive)
        alive = spread(alive)
        step += 1
        states.append(state)
    return states


def negative_elbo(p, cfg, x, eps):
    """(loss, recon, kl), batch means (core/src/elbo.c); the growth's
    genome is whole (no cell destroyed)"""
    mu, logsig = encode(p, cfg, x)
    z = mu + logsig.exp() * eps
    logits = grow(p, cfg, z, sum(steps for _, steps in cfg["stages"]))[-1][:, 0]
    # (vnca also divides through trailing stages of no steps; these cases have none)
    assert logits.shape[-1] == cfg["image_size"]
    n = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = 0.5 * (mu ** 2 + (2 * logsig).exp() - 1 - 2 * logsig).sum() / n
    return recon + kl, recon, kl


# ---- the cases ---------------------------------------------------------------

SMALL = {"latent": 8, "hidden": 16, "res_blocks": 2, "encoder_width": 4, "image_size": 8,
         "variant": "doubling", "genome": "none", "far_reach": 0,
         "stages": [(2, 2), (4, 2), (8, 2)]}

CASES = {
    "conv3": dict(SMALL, perception="conv3x3"),
    "sobel": dict(SMALL, perception="sobel"),
    # as the shipped heal model, in small: one residual block, a genome with
    # position, a far perception; 3 extra steps after the schedule, a 3x3
    # hole in image 1 at 4x4 (its middle still dead when the cells divide)
    # and one in image 0 at full size
    "heal": dict(SMALL, perception="conv3x3", res_blocks=1, variant="persistent",
                 genome="latent+position", far_reach=2),
}
EXTRA_STEPS = {"heal": 3}
DESTROY = {"heal": [(4, 1, x, y) for y in range(3) for x in range(3)] +
                   [(7, 0, x, y) for y in range(2, 5) for x in range(3, 6)]}
BATCH = 3


def as_f32(t):
    """the float32 numbers vnca reads, in float64"""
    return t.to(torch.float32).to(torch.float64)


def nhwc(t):
    return t.permute(0, 2, 3, 1).detach().numpy()


def make_case(name, cfg, out_dir, seed):
    gen = torch.Generator().manual_seed(seed)
    model_path = os.path.join(out_dir, f"parity-{name}.model.safetensors")
    write_safetensors(model_path, {k: v.numpy() for k, v in random_parameters(cfg, gen).items()},
                      config_to_metadata(cfg))

    # the reference is built from the file, as vnca loads it
    tensors, meta = read_safetensors(model_path)
    cfg = config_from_metadata(meta)
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in tensors.items()}
    s, zdim = cfg["image_size"], cfg["latent"]
    x = (torch.rand(BATCH, s, s, generator=gen) < 0.3).to(torch.float64)
    eps = as_f32(torch.randn(BATCH, zdim, generator=gen, dtype=torch.float64))

    loss, recon, kl = negative_elbo(p, cfg, x, eps)
    loss.backward()
    with torch.no_grad():
        mu, logsig = encode(p, cfg, x)
        z = as_f32(mu + logsig.exp() * eps)  # the decode below starts from the float32 z
        total = sum(steps for _, steps in cfg["stages"]) + EXTRA_STEPS.get(name, 0)
        destroy = DESTROY.get(name, [])
        states = grow(p, cfg, z, total, destroy)

    ref = {"x": x.numpy(), "eps": eps.numpy(), "mu": mu.numpy(), "logsig": logsig.numpy(),
           "z": z.numpy(), "elbo": np.array([loss.item(), recon.item(), kl.item()])}
    if destroy:
        ref["destroy"] = np.array(destroy, dtype=np.float64)
    for t, state in enumerate(states, 1):
        ref[f"state.{t}"] = nhwc(state)
    for k, v in p.items():
        ref["grad." + k] = v.grad.numpy()
    ref_path = os.path.join(out_dir, f"parity-{name}.ref.safetensors")
    write_safetensors(ref_path, ref, {"parity.case": name, "parity.steps": str(total)})
    print(f"{name}: loss {loss.item():.6f} (recon {recon.item():.6f}, kl {kl.item():.6f}), "
          f"{total} steps, final |logit| <= {states[-1][:, 0].abs().max().item():.3f}; "
          f"{model_path}, {ref_path}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for seed, (name, cfg) in enumerate(CASES.items(), 1):
        make_case(name, cfg, out_dir, seed)


if __name__ == "__main__":
    main()
