"""C (policy.c) for picks timed on the `c` backend: the MLP's C file (tinyrl.runtimes.c_runtime; float, or a c_int8
variant's with its int8 layers) with the action rule's step after it, as `policy_act`, and the line that builds it
into a shared library. The folder's run_policy.py builds it with that line and calls it through ctypes; a device's
firmware compiles the same file into its own loop."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from tinyrl.deploy.acting import ARGMAX, CLIP, SOFTMAX, ActionRule, box_bounds
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.runtimes.c_runtime import FLAGS, c_floats, compiler, compiler_version, export_c

FILE, LIBRARY = "policy.c", "libpolicy.so"


def build_line(cc: str | None) -> str:
    """The line that builds the file into the library run_policy.py loads, with the compiler the timing used."""
    return f"{Path(cc).name if cc else 'cc'} {' '.join(FLAGS)} -shared -fPIC -o {LIBRARY} {FILE} -lm"


def act_source(step: str | None, action_space: dict) -> tuple[str, str]:
    """`policy_act(x, a, n)`: forward() then the rule's step, for n observations; with the actions' numpy dtype."""
    if step == ARGMAX:
        body = (
            "    int best = 0;\n    for (int o = 1; o < N_OUT; o++) if (y[o] > y[best]) best = o;\n    a[s] = best;\n"
        )
        return _act("long long", "", body), "int64"
    if step == SOFTMAX:
        body = (
            "    float top = y[0], total = 0.0f;\n    for (int o = 1; o < N_OUT; o++) if (y[o] > top) top = y[o];\n"
            "    for (int o = 0; o < N_OUT; o++) { y[o] = expf(y[o] - top); total += y[o]; }\n"
            "    for (int o = 0; o < N_OUT; o++) a[(size_t)s * N_OUT + o] = y[o] / total;\n"
        )
        return _act("float", "", body), "float32"
    if step == CLIP:
        low, high = box_bounds(action_space)
        bounds = (
            f"static const float LOW[N_OUT] = {{{c_floats(low)}}};\n"
            f"static const float HIGH[N_OUT] = {{{c_floats(high)}}};\n"
        )
        body = (
            "    for (int o = 0; o < N_OUT; o++)\n"
            "      a[(size_t)s * N_OUT + o] = y[o] < LOW[o] ? LOW[o] : (y[o] > HIGH[o] ? HIGH[o] : y[o]);\n"
        )
        return _act("float", bounds, body), "float32"
    return _act("float", "", "    for (int o = 0; o < N_OUT; o++) a[(size_t)s * N_OUT + o] = y[o];\n"), "float32"


def _act(c_type: str, constants: str, step: str) -> str:
    loop = "  float y[N_OUT];\n  for (int s = 0; s < n; s++) {\n    forward(x + (size_t)s * N_IN, y);\n"
    return f"\n{constants}void policy_act(const float *x, {c_type} *a, int n) {{\n{loop}{step}  }}\n}}\n"


def write(model: nn.Module, rule: ActionRule, action_space: dict, example: torch.Tensor, backend: str, folder: Path):
    act, dtype = act_source(rule.graph_step, action_space)
    with torch.inference_mode():
        width = int(model(example[:1].float()).shape[1])
    cc = compiler()
    header = (
        "/* A tiny_rl policy as C: policy_act(x, a, n) maps n float32 observations to their actions\n"
        f" * ({rule.graph_step or 'the network outputs'}). Build: {build_line(cc)}\n */\n"
    )
    (folder / FILE).write_text(header + export_c(model).decode() + act)
    loader = {
        "build": build_line(cc),
        "library": LIBRARY,
        "entry": "policy_act",
        "inputs": int(example[0].numel()),
        "action_dtype": dtype,
        "action_shape": [] if dtype == "int64" else [width],
        "built_with": compiler_version(cc) if cc else "no C compiler on the machine that wrote it",
    }
    return Written(FILE, in_graph=True, loader=loader)


FORMAT = DeployFormat(runtime="c", backends=("c",), write=write, packages=())
