"""Stage `pretrain`: train an agent from scratch with its algorithm's trainer."""

from __future__ import annotations

from tinyrl.algorithms import get_algorithm
from tinyrl.jobs.settings import PretrainSettings
from tinyrl.policies.checkpoint import save_checkpoint


def pretrain(*, checkpoint: str, agent: PretrainSettings, log=print) -> None:
    algorithm = get_algorithm(agent["algorithm"])
    hyper = {**agent["pretrain"], "env_id": agent["env_id"]}
    if "hidden" in agent["network"]:  # MLP trainers take the widths; CNN policies have a fixed shape
        hyper["hidden"] = agent["network"]["hidden"]
    arch, state_dict, meta = algorithm.train(algorithm.config(**hyper), log=log)
    save_checkpoint(checkpoint, arch, state_dict, meta | {"produced_by": "tinyrl pretrain rule"})
