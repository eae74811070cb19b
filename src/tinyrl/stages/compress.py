"""Stage `compress`: make one variant from the float32 policy and save it as its deployable file."""

from __future__ import annotations

import time
import traceback

import torch

from tinyrl.atomic import write_json
from tinyrl.compression.base import CompressContext
from tinyrl.compression.finetune import training_seed_settings
from tinyrl.compression.layer_dtypes import variant_layers
from tinyrl.compression.loading import load_policy
from tinyrl.episodes.observations import load_observations, observation_shape
from tinyrl.errors import VariantFailure, is_refusal
from tinyrl.families import get_family
from tinyrl.jobs.settings import AgentSettings, FinetuneSettings
from tinyrl.policies.checkpoint import save_checkpoint, save_failure
from tinyrl.policies.model_stats import batched_forward, size_stats


def check_outputs(model: torch.nn.Module, observations: torch.Tensor) -> None:
    out = batched_forward(model, observations)
    bad = int((~torch.isfinite(out)).any(dim=1).sum())
    if bad:
        raise VariantFailure(f"outputs NaN or Inf on {bad} of {len(observations)} observations of the observation set")


def compress(
    *,
    checkpoint: str,
    observations: str,
    model: str,
    metadata: str,
    agent: AgentSettings,
    variant: dict,
    finetune: FinetuneSettings,
) -> None:
    """Make the variant from `checkpoint` (the float32 policy, or the model of the variant the recipe's `after`
    names), save it as its deployable file, reload it from that file and record its size.

    `finetune` holds the fine-tuning settings, empty for a variant that does not fine-tune. A bad
    baseline checkpoint or observation set fails the job. A variant whose method fails or whose
    outputs are not finite is recorded as failed (a failure record stands for its model file) and
    the study goes on.
    """
    torch.set_num_threads(1)
    record = {
        "agent_env": agent["env_id"],
        "variant": variant["name"],
        "family": variant["family"],
        "table": variant["table"],
        "source_checkpoint": str(checkpoint),
    }
    recipe = {"family": variant["family"], "params": variant["params"]}
    for key in ("after", "training_seed", "training_seeds", "seed_of"):  # only when set: other recipes unchanged
        if key in variant:
            recipe[key] = variant[key]
    # training seed k of a recipe made from several (tinyrl.plan.config): its own generator and environment seeds
    finetune = training_seed_settings(finetune, variant.get("training_seed", 0))

    def failed(reason: str) -> None:  # a failure record stands for the model file; the metadata says why
        save_failure(model, variant["name"], reason)
        write_json(metadata, record | {"recipe": recipe, "status": "failed", "reason": reason})

    try:
        baseline, source = load_policy(checkpoint, expected_arch=agent["network"])
    except VariantFailure as exc:  # only a variant's file is a failure record: the one `after` names
        if "after" not in variant:
            raise
        return failed(f"made from variant {variant['after']!r}, which failed: {exc}")
    data = torch.as_tensor(load_observations(observations, observation_shape(source["arch"])))
    family = get_family(variant["family"])
    training = source["meta"]
    rl = {
        "algorithm": agent["algorithm"],
        # The settings the checkpoint was trained with, else the config's (a checkpoint from elsewhere).
        "hyperparameters": training.get("hyperparameters") or agent.get("pretrain", {}),
        "critic": training.get("critic"),
    }
    context = CompressContext(data, agent["env_id"], baseline.output_kind, finetune, rl, actions=agent["actions"])
    start = time.perf_counter()
    try:
        result = family.compress(baseline, variant["params"], context)
        check_outputs(result.model, data)
    except Exception as exc:  # a refusal (tinyrl.errors.is_refusal) is this variant's result; anything else fails
        if not is_refusal(exc):
            raise
        traceback.print_exc()
        return failed(f"compression failed: {type(exc).__name__}: {exc}")
    compress_time = time.perf_counter() - start
    recipe["structure"] = result.structure
    save_checkpoint(
        model,
        result.arch or source["arch"],
        result.model.state_dict(),
        meta={"variant": variant["name"], "source_checkpoint": str(checkpoint)},
        recipe=recipe,
    )
    reloaded, _ = load_policy(model)
    record |= {
        "recipe": recipe,
        "compress_time_s": compress_time,
        "size": size_stats(reloaded, model),
        "info": result.info,
        # each compute layer's stored and computed dtypes, read off the file as reloaded where it can be
        "layers": result.layers if result.layers is not None else variant_layers(reloaded),
        "status": "ok",
    }
    write_json(metadata, record)
