"""Play a policy that tiny_rl shipped, with its runtime and gymnasium only (no tiny_rl).

    python run_policy.py [--episodes 1] [--seed 0] [--threads 1]

Reads policy.json beside this file: the policy file, the runtime that loads it, the environment and its
protocol, and what the host does with the file's output (nothing, when the action rule is inside the file).
Prints each episode's return and length. tiny_rl's deploy job plays its evaluation episodes through `load`
below, so the code that loads the file here is the code its verdict was measured with.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np

HERE = Path(__file__).resolve().parent
Outputs = Callable[[np.ndarray], np.ndarray]  # a float32 observation batch -> the file's outputs


def _onnxruntime(path: Path, loader: dict, threads: int) -> Outputs:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda obs: session.run(None, {name: obs})[0]


def _torch(path: Path, loader: dict, threads: int) -> Outputs:
    import torch

    torch.set_num_threads(threads)
    for module in loader.get("imports", []):  # a library whose tensor types the program holds (torchao)
        importlib.import_module(module)
    if "quantized_engine" in loader:  # TorchScript repacks quantized weights for the engine set when it loads
        torch.backends.quantized.engine = loader["quantized_engine"]
        module = torch.jit.load(str(path))
    else:
        module = torch.export.load(str(path)).module()
        if loader.get("compile"):  # as the pick was timed: static shapes, and the Inductor options it was made for
            compiled = torch.compile(module, dynamic=False)
            options = loader.get("inductor_options") or {}

            def module(obs, compiled=compiled, options=options):
                with torch._inductor.config.patch(options):
                    return compiled(obs)

    def run(obs):
        with torch.inference_mode():
            return module(torch.from_numpy(obs)).numpy()

    return run


def _executorch(path: Path, loader: dict, threads: int) -> Outputs:
    import torch
    from executorch.extension.pybindings import portable_lib

    portable_lib._unsafe_reset_threadpool(threads)
    method = portable_lib._load_for_executorch(str(path))
    largest = int(loader["max_batch"])  # the program takes at most this many observations at once

    def run(obs):
        chunks = [torch.from_numpy(obs[i : i + largest]) for i in range(0, len(obs), largest)]
        return np.concatenate([method.forward((chunk,))[0].numpy() for chunk in chunks])

    return run


def _openvino(path: Path, loader: dict, threads: int) -> Outputs:
    import openvino as ov

    config = {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "INFERENCE_PRECISION_HINT": "f32"}
    request = ov.Core().compile_model(str(path), "CPU", config).create_infer_request()
    return lambda obs: request.infer({0: obs})[0].copy()


def _c(path: Path, loader: dict, threads: int) -> Outputs:
    """The C file built with policy.json's build line (in a scratch folder, so the shipped folder stays as
    written), loaded through ctypes. One thread: the loop is serial."""
    import ctypes
    import shlex
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="policy-c-") as scratch:
        shutil.copy(path, Path(scratch) / path.name)
        try:
            built = subprocess.run(shlex.split(loader["build"]), cwd=scratch, capture_output=True, text=True)
        except OSError as exc:  # no compiler by that name
            raise ValueError(f"policy.json: field 'runtime.loader.build': {loader['build']!r}: {exc}") from None
        if built.returncode:
            raise ValueError(f"policy.json: field 'runtime.loader.build': {loader['build']!r} failed: {built.stderr}")
        library = ctypes.CDLL(str(Path(scratch) / loader["library"]))  # stays mapped once its file is gone
    act = getattr(library, loader["entry"])
    act.argtypes, act.restype = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int], None
    dtype, shape = np.dtype(loader["action_dtype"]), tuple(loader["action_shape"])

    def run(obs):
        obs = np.ascontiguousarray(obs, dtype=np.float32)
        if obs.size != len(obs) * loader["inputs"]:  # the C loop would read past each observation
            raise ValueError(f"{path} takes {loader['inputs']} observation values, not {obs.size // max(len(obs), 1)}")
        actions = np.empty((len(obs), *shape), dtype=dtype)
        act(obs.ctypes.data, actions.ctypes.data, len(obs))
        return actions

    return run


RUNTIMES = {"onnxruntime": _onnxruntime, "torch": _torch, "executorch": _executorch, "openvino": _openvino, "c": _c}


def load(folder: Path = HERE, threads: int = 1) -> tuple[dict, Outputs]:
    """(the manifest, a function from a float32 observation batch to the file's outputs) of the policy in `folder`."""
    manifest = json.loads((folder / "policy.json").read_text())
    runtime = manifest["runtime"]["name"]
    if runtime not in RUNTIMES:
        raise ValueError(f"{folder / 'policy.json'}: field 'runtime.name': unknown runtime {runtime!r}")
    outputs = RUNTIMES[runtime](folder / manifest["file"]["name"], manifest["runtime"].get("loader", {}), threads)
    return manifest, outputs


def host_step(step: str, out: np.ndarray, action: dict, rng: np.random.Generator) -> np.ndarray:
    """One of the steps policy.json's `action.host_steps` names, on a batch of the file's outputs."""
    if step == "argmax":
        return out.argmax(axis=1)
    if step == "softmax":
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    if step == "clip":
        space = action["space"]
        return np.clip(out, np.reshape(space["low"], space["shape"]), np.reshape(space["high"], space["shape"]))
    if step == "draw_from_probabilities":
        return np.array([rng.choice(len(p), p=p / p.sum()) for p in out.astype(np.float64)])
    if step == "add_gaussian_noise":
        return out + np.exp(np.asarray(action["log_std"], dtype=np.float32)) * rng.standard_normal(out.shape)
    raise ValueError(f"policy.json: field 'action.host_steps': unknown step {step!r}")


def make_env(environment: dict) -> gym.Env:
    """The environment under the protocol the policy was evaluated with."""
    env_id, protocol = environment["env_id"], environment["protocol"]
    if protocol == "gymnasium":
        limit = environment.get("max_episode_steps")  # the evaluation's own limit, else the env's
        env = gym.make(env_id, **({"max_episode_steps": limit} if limit else {}))
        return gym.wrappers.ClipAction(env) if isinstance(env.action_space, gym.spaces.Box) else env
    if protocol == "ale-seed":  # the seed study's Atari protocol: gymnasium's own wrappers give it bit for bit
        import ale_py

        gym.register_envs(ale_py)
        env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0, full_action_space=False)
        env = gym.wrappers.AtariPreprocessing(
            env, frame_skip=4, screen_size=84, noop_max=0, terminal_on_life_loss=False, grayscale_obs=True
        )
        env = gym.wrappers.FrameStackObservation(env, 4)
        return gym.wrappers.TimeLimit(env, environment["max_episode_steps"])
    raise ValueError(
        f"policy.json: field 'environment.protocol': {protocol!r} is the wrappers of the library the policy was "
        "trained with; build its env with that library and call `load` from this file"
    )


def play(folder: Path = HERE, episodes: int = 1, seed: int = 0, threads: int = 1) -> list[tuple[float, int]]:
    """(return, length) of each episode, episode i reset with seed + i."""
    manifest, outputs = load(folder, threads)
    action, steps = manifest["action"], manifest["action"]["host_steps"]
    env, rng, results = make_env(manifest["environment"]), np.random.default_rng(seed), []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        total, length, done = 0.0, 0, False
        while not done:
            out = outputs(np.asarray(obs, dtype=np.float32)[None])
            for step in steps:
                out = host_step(step, out, action, rng)
            obs, reward, terminated, truncated, _ = env.step(out[0])
            total, length, done = total + float(reward), length + 1, terminated or truncated
        results.append((total, length))
    env.close()
    return results


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--episodes", type=int, default=1)
    arguments.add_argument("--seed", type=int, default=0, help="episode i is reset with seed + i")
    arguments.add_argument("--threads", type=int, default=1, help="the runtime's threads")
    return arguments


def main() -> None:
    args = parser().parse_args()
    try:
        results = play(HERE, args.episodes, args.seed, args.threads)
    except ValueError as exc:  # a manifest this script cannot follow: said plainly
        raise SystemExit(f"run_policy.py: {exc}") from None
    for episode, (total, length) in enumerate(results):
        print(f"episode {episode} (seed {args.seed + episode}): return {total:.1f}, {length} steps")


if __name__ == "__main__":
    main()
