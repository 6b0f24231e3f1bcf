"""vnca's model in PyTorch, as vnca computes it: its model files (safetensors,
F32), the configuration and the parameter layout of core/src/model.c, the
encoder, the NCA decode through the growth schedule, and the negative ELBO.
Shared by scripts/torch_parity.py (float64, the fixture of tests/test_parity.c)
and scripts/torch_bench.py (float32, speed beside vnca's).
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


def load_model(path, dtype, memory_format=torch.contiguous_format):
    """-> (cfg, name -> parameter tensor of dtype, requiring grad): the model
    file at path; its 4-D weights in memory_format"""
    tensors, meta = read_safetensors(path)
    cfg = config_from_metadata(meta)
    expected = [name for name, _ in layout(cfg)]
    if sorted(tensors) != sorted(expected):
        sys.exit(f"{path}: tensors {sorted(tensors)} differ from the layout {sorted(expected)}")
    params = {}
    for name in expected:
        t = torch.tensor(tensors[name], dtype=dtype)
        if t.dim() == 4:
            t = t.contiguous(memory_format=memory_format)
        params[name] = t.requires_grad_()
    return cfg, params


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


def grow(p, cfg, z, total_steps, destroy=(), memory_format=torch.contiguous_format):
    """The step-by-step decode of VncaGrowth (core/src/growth.c): yields the
    states [n, C, g, g] after each of total_steps steps (past the schedule:
    extra steps at full size), in memory_format. destroy: (before_step,
    image, x, y), applied when that many steps minus one are done."""
    n, grid = z.shape[0], cfg["stages"][0][0]
    state = z[:, :, None, None].expand(n, cfg["latent"], grid, grid).clone()
    alive = torch.ones(n, 1, grid, grid, dtype=z.dtype)
    stage, step = 0, 0
    for t in range(1, total_steps + 1):
        hit = [(i, x, y) for before, i, x, y in destroy if before == t]
        if hit:  # on copies: the previous step's state is kept as it was
            state, alive = state.clone(), alive.clone()
        for i, x, y in hit:
            state[i, :, y, x] = 0
            alive[i, :, y, x] = 0
        while step >= cfg["stages"][stage][1] and stage + 1 < len(cfg["stages"]):
            state, alive, stage, step = divide(state), divide(alive), stage + 1, 0
        # seeding and dividing make contiguous tensors: back to the format the convs get
        state = state.contiguous(memory_format=memory_format)
        alive = alive.contiguous(memory_format=memory_format)
        state = state + update(p, cfg, state, z, alive)
        alive = spread(alive)
        step += 1
        yield state


def decode(p, cfg, z, memory_format=torch.contiguous_format):
    """z [n, Z] -> logits [n, S, S] (vnca_decode): the whole schedule, the
    genome whole (no cell destroyed)"""
    for state in grow(p, cfg, z, sum(steps for _, steps in cfg["stages"]),
                      memory_format=memory_format):
        pass  # (keeping only the last state)
    # (vnca also divides through trailing stages of no steps; no model here has them)
    assert state.shape[-1] == cfg["image_size"], "a schedule that ends in stages of no steps"
    return state[:, 0]


def negative_elbo(p, cfg, x, eps, memory_format=torch.contiguous_format):
    """(loss, recon, kl), batch means (core/src/elbo.c)"""
    mu, logsig = encode(p, cfg, x)
    z = mu + logsig.exp() * eps
    logits = decode(p, cfg, z, memory_format)
    n = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = 0.5 * (mu ** 2 + (2 * logsig).exp() - 1 - 2 * logsig).sum() / n
    return recon + kl, recon, kl
