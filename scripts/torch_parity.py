#!/usr/bin/python3
"""PyTorch reference for vnca's model, written as the fixture of tests/test_parity.c.

For three small random models -- a conv3x3 perception, a Sobel perception, and
a persistent model whose genome carries its latent and position, with a far
perception -- this writes a model file, reads it back, builds the same VNCA in
PyTorch (scripts/vnca_torch.py) and computes in float64, for fixed images and noise:
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
import math
import os
import sys

import numpy as np
import torch

from vnca_torch import (config_to_metadata, encode, grow, layout, load_model, negative_elbo,
                        write_safetensors)


# ---- the parameters ---------------------------------------------------------

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
    cfg, p = load_model(model_path, torch.float64)
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
        states = list(grow(p, cfg, z, total, destroy))

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
