import pytest
import yaml
from conftest import REPO

from tinyrl.errors import ConfigError
from tinyrl.families import all_families
from tinyrl.plan.config import config_hash, validate_config
from tinyrl.plan.layering import apply_layering

FAMILIES = all_families()
ONLY_IN_FULL_STUDY = set()  # families the default study's budget leaves to configs/full.yaml


def test_families_left_out_of_the_default_study_are_in_the_full_one(default_config):
    full_yaml = yaml.safe_load((REPO / "configs" / "full.yaml").read_text())
    # layered over config.yaml: its variant list and agent selection replace the default study's
    full = validate_config(
        {**default_config, "variants": full_yaml["variants"], "only_agents": full_yaml["only_agents"]}
    )
    assert ONLY_IN_FULL_STUDY <= {v["family"] for v in full["lunarlander"]}


def test_default_config_expands_sweeps(default_config):
    variants = validate_config(default_config)["lunarlander"]
    names = [v["name"] for v in variants]
    assert names[0] == "fp32"
    assert {"static_qint8_x86", "bits2", "bits4", "bits8"} <= set(names)
    # Every family is in the default study, but those its 15-minute budget leaves to configs/full.yaml
    assert {v["family"] for v in variants} == set(FAMILIES) - ONLY_IN_FULL_STUDY
    cheetah = validate_config(default_config)["halfcheetah"]
    # structured Ln is the seed's Montezuma row (and LunarLander's fine-tuned one); iterative pruning LunarLander's
    skipped = {"prune_iterative", "prune_ln_structured"}
    assert {v["family"] for v in cheetah} >= set(FAMILIES) - skipped - ONLY_IN_FULL_STUDY
    assert {"lowrank_0.9_ft", "qat_int8", "binary_weights"} <= {v["name"] for v in cheetah}
    assert "l1_0.9_dense_rl" in names  # RL fine-tuning in the default study (both agents' in configs/full.yaml)
    assert "student_64x64" in names and "tp_fc1-0.3_fc2-0.3" in names
    static = next(v for v in variants if v["name"] == "static_qint8_x86")
    assert static["params"] == {"dtype": "qint8", "engine": "x86"}


def test_family_defaults_are_filled(tiny_config):
    dynamic = next(v for v in validate_config(tiny_config)["lunarlander"] if v["name"] == "dynamic_qint8")
    assert dynamic["params"] == {"dtype": "qint8", "engine": "x86"}
    assert dynamic["table"] == "quantization"


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda c: c.update(unknown_key=1), "unknown_key"),
        (lambda c: c["evaluation"].update(episodes=-3), "evaluation.episodes"),
        (lambda c: c["evaluation"].update(episodes="many"), "evaluation.episodes"),
        (lambda c: c.update(variants=[]), "variants"),
        (lambda c: c["variants"][0].update(family="magic"), "variants[0].family"),
        (lambda c: c["variants"][1]["params"].update(engine="tpu"), "variants[1].params.engine"),
        (lambda c: c["variants"][1]["params"].update(bits=4), "variants[1].params"),
        (lambda c: c["agents"]["lunarlander"]["pretrain"].update(learning_rat=0.1), "agents.lunarlander.pretrain"),
        (lambda c: c["variants"].insert(1, {"name": "fp32", "family": "baseline"}), "variants[1].name"),
        (lambda c: c["variants"][5]["params"].update(layers=["fc9"]), "variants[5].params.layers"),
        (lambda c: c["variants"][2].update(name="static_qint8"), "variants[2].name"),
        (lambda c: c["variants"][1].update(name="deploy"), "variants[1].name"),  # results/<agent>/deploy
        (lambda c: c["variants"][0].update(agents=["pong"]), "variants[0].agents"),
        (lambda c: c["agents"]["halfcheetah"].update(actions="greedy"), "agents.halfcheetah.actions"),
        (lambda c: c["agents"]["lunarlander"].update(actions="mean"), "agents.lunarlander.actions"),
        (lambda c: c["variants"][6]["params"].update(finetune_with="magic"), "variants[6].params.finetune_with"),
        (
            lambda c: c["finetune"].update(rl_hyperparameters={"ppo": {"learning_rat": 1}}),
            "finetune.rl_hyperparameters.ppo",
        ),
    ],
)
def test_bad_config_names_the_field(tiny_config, mutate, field):
    mutate(tiny_config)
    with pytest.raises(ConfigError) as err:
        validate_config(tiny_config)
    assert f"config field {field}" in str(err.value)


def test_enum_errors_list_allowed_values(tiny_config):
    tiny_config["variants"][1]["params"]["engine"] = "tpu"
    with pytest.raises(ConfigError, match="allowed: x86, fbgemm, onednn, qnnpack"):
        validate_config(tiny_config)


def test_config_hash_ignores_key_order(tiny_config):
    reordered = dict(reversed(list(tiny_config.items())))
    assert config_hash(reordered) == config_hash(tiny_config)


def test_unknown_layer_lists_the_network_layers(tiny_config):
    pruned = next(v for v in tiny_config["variants"] if v["name"] == "l1_0.9_sparse_ft")
    pruned["params"]["layers"] = ["fc9"]
    with pytest.raises(ConfigError, match="layers: fc1, fc2, head; parts: hidden, head, all"):
        validate_config(tiny_config)


def test_an_agent_can_override_evaluation_settings(default_config):
    from tinyrl.plan.config import agent_evaluation

    assert agent_evaluation(default_config, "halfcheetah")["episodes"] == 30
    assert agent_evaluation(default_config, "lunarlander") == default_config["evaluation"]
    default_config["agents"]["halfcheetah"]["evaluation"]["seed"] = 5  # seeds are shared by every agent
    with pytest.raises(ConfigError, match="agents.halfcheetah.evaluation"):
        validate_config(default_config)


def test_fine_tuning_seeds_may_not_meet_evaluation_seeds(tiny_config):
    tiny_config["finetune"]["seed"] = 0  # round 0 resets environments with seeds 0-999; evaluation uses 0-2
    with pytest.raises(ConfigError, match=r"finetune.seed: .* seeds 0-999 .* 'lunarlander''s evaluation seeds 0-2"):
        validate_config(tiny_config)
    tiny_config["variants"] = [v for v in tiny_config["variants"] if "finetune_steps" not in v.get("params", {})]
    validate_config(tiny_config)  # no variant fine-tunes: nothing to keep apart


def test_a_variants_own_fine_tuning_rounds_count_in_the_seed_check(tiny_config):
    """Iterative pruning fine-tunes in its own `rounds`, each round on the next 1000 seeds."""
    tiny_config["evaluation"]["seed"] = 51000  # beyond finetune.seed's one round (50000-50999)
    validate_config(tiny_config)
    tiny_config["variants"].append(
        {"name": "iterative", "family": "prune_iterative", "params": {"target_sparsity": 0.5, "rounds": 2}}
    )
    with pytest.raises(ConfigError, match="seeds 50000-51999"):
        validate_config(tiny_config)


def test_an_agent_to_be_trained_needs_its_algorithm_network_and_pretrain(tiny_config):
    del tiny_config["agents"]["lunarlander"]["network"]
    with pytest.raises(ConfigError, match=r"agents\.lunarlander: network must be set when checkpoint is null"):
        validate_config(tiny_config)


def test_a_checkpoint_file_that_cannot_be_read_is_named_in_the_config_error(tiny_config, tmp_path):
    agent = tiny_config["agents"]["lunarlander"]
    del agent["network"]
    agent["checkpoint"] = str(tmp_path / "missing.pt")
    with pytest.raises(ConfigError, match=r"agents\.lunarlander\.checkpoint: .*missing\.pt: file does not exist"):
        validate_config(tiny_config)


def test_a_variant_made_from_another_names_it(tiny_config):
    chained = validate_config(tiny_config)["lunarlander"][-1]
    assert chained["name"] == "lowrank_0.5_ort_int8" and chained["after"] == "lowrank_0.5"
    # every other variant's recipe stays as it was: no `after` key, so their jobs' params do not change
    assert all("after" not in variant for variant in validate_config(tiny_config)["lunarlander"][:-1])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"after": "lowrank_0.9"}, "no variant 'lowrank_0.9' for agent 'lunarlander' before this one"),
        ({"family": "ptq_dynamic", "params": {"dtype": "qint8"}}, "family 'ptq_dynamic' saves weights for"),
    ],
)
def test_a_variant_made_from_another_is_checked(tiny_config, change, message):
    tiny_config["variants"][-1].update(change)
    where = f"config field variants[{len(tiny_config['variants']) - 1}].after"
    with pytest.raises(ConfigError, match=message) as err:
        validate_config(tiny_config)
    assert where in str(err.value)


def test_a_variant_is_made_only_from_one_that_comes_before_it(tiny_config):
    tiny_config["variants"].insert(0, tiny_config["variants"].pop())
    with pytest.raises(ConfigError, match="must come earlier"):
        validate_config(tiny_config)


def test_the_teachers_own_episodes_count_in_the_seed_check(tiny_config):
    """An agent's `teacher_episodes` play on the seed block after its rounds' (one round here: 51000-51999)."""
    tiny_config["evaluation"]["seed"] = 51000
    validate_config(tiny_config)
    tiny_config["agents"]["montezuma"]["finetune"] = {"teacher_episodes": 2}
    with pytest.raises(ConfigError, match=r"seeds 50000-51999 .* agent 'montezuma''s"):
        validate_config(tiny_config)


def test_selection_seeds_may_not_meet_evaluation_seeds(tiny_config):
    tiny_config["selection"] = {"seed": 1, "episodes": 5}  # the tiny study evaluates on seeds 0-2
    with pytest.raises(ConfigError, match=r"config field selection\.seed: its episodes \(seeds 1-5\) include agent"):
        validate_config(tiny_config)


def test_a_trainers_own_selection_seeds_may_not_meet_evaluation_seeds(tiny_config):
    tiny_config["agents"]["lunarlander"]["pretrain"]["selection_seed"] = 2
    with pytest.raises(ConfigError, match=r"agents\.lunarlander\.pretrain\.selection_seed: its episodes"):
        validate_config(tiny_config)


def test_a_chosen_setting_is_one_of_its_candidates(tiny_config):
    spec = {
        "name": "l1_ft",
        "family": "prune_l1",
        "agents": ["lunarlander"],
        "params": {"amount": 0.5, "finetune_steps": 30},
    }
    tiny_config["variants"].append(spec | {"chosen": {"param": "finetune_steps", "candidates": [10, 20]}})
    with pytest.raises(ConfigError, match=r"chosen: params\.finetune_steps = 30 is not one of its candidates"):
        validate_config(tiny_config)
    tiny_config["variants"][-1]["chosen"]["candidates"] = [10, 30]
    assert "l1_ft" in {variant["name"] for variant in validate_config(tiny_config)["lunarlander"]}


def test_a_trained_variant_from_several_training_seeds_expands_into_one_variant_per_seed(tiny_config):
    variants = {v["name"]: v for v in validate_config(tiny_config)["lunarlander"]}
    recipe, second = variants["l1_0.9_sparse_ft"], variants["l1_0.9_sparse_ft_seed1"]
    assert recipe["training_seeds"] == 2 and "seed_of" not in recipe
    assert second["seed_of"] == "l1_0.9_sparse_ft" and second["training_seed"] == 1
    assert second["params"] == recipe["params"]
    assert "training_seeds" not in variants["lowrank_0.5"]  # untrained: one file whatever the seed


def test_finetune_seeds_apply_to_every_trained_variant_and_only_to_those(tiny_config):
    tiny_config["finetune"]["seeds"] = 3
    names = [v["name"] for v in validate_config(tiny_config)["lunarlander"]]
    assert {"l1_0.5_rl_seed1", "l1_0.5_rl_seed2", "l1_0.9_sparse_ft_seed1"} <= set(names)
    assert "l1_0.9_sparse_ft_seed2" not in names  # the variant's own `seeds: 2` wins
    assert not any(name.startswith("lowrank_0.5_seed") for name in names)


def test_seeds_on_a_variant_that_does_not_train_is_an_error(tiny_config):
    tiny_config["variants"].append({"name": "l1_half", "family": "prune_l1", "params": {"amount": 0.5}, "seeds": 3})
    with pytest.raises(ConfigError, match=r"variants\[\d+\]\.seeds: variant 'l1_half' does not train"):
        validate_config(tiny_config)


def test_every_training_seeds_block_is_kept_from_the_evaluation_seeds(tiny_config):
    """Training seed 1 resets environments from finetune.seed + 10000: 60000-60999 here."""
    tiny_config["evaluation"]["seed"] = 60500
    with pytest.raises(ConfigError, match=r"training seed 1\) resets environments with seeds 60000-60999"):
        validate_config(tiny_config)


def test_a_command_line_naming_a_new_agent_studies_it_with_a_preset():
    config = {"agents": {"a": {}, "b": {}}, "variants": [{"name": "fp32", "family": "baseline"}]}
    apply_layering(config, {"agents": {"b": {"env_id": "CartPole-v1"}}}, defined={"a"})
    assert config["only_agents"] == ["b"] and config["variants"] == "recommended"
    kept = {"agents": {"a": {}, "b": {}}, "variants": ["mine"], "only_agents": ["a", "b"]}
    apply_layering(kept, {"agents": {"b": {}}, "variants": ["mine"], "only_agents": ["a", "b"]}, defined={"a"})
    assert kept == {"agents": {"a": {}, "b": {}}, "variants": ["mine"], "only_agents": ["a", "b"]}  # as said
    tweak = {"agents": {"a": {"evaluation": {"episodes": 100}}}, "variants": ["curated"]}
    apply_layering(tweak, {"agents": {"a": {"evaluation": {"episodes": 100}}}}, defined={"a"})  # config.yaml's
    assert tweak == {"agents": {"a": {"evaluation": {"episodes": 100}}}, "variants": ["curated"]}


def test_a_preset_of_variants_is_made_for_each_agents_network(tiny_config):
    tiny_config["variants"] = "quick"
    tiny_config["only_agents"] = ["lunarlander", "montezuma"]
    variants = validate_config(tiny_config)
    assert [v["name"] for v in variants["lunarlander"]] == ["fp32", "dynamic_qint8", "ort_static_int8"]
    assert list(variants) == ["lunarlander", "montezuma"]
    tiny_config["variants"] = "everything"
    with pytest.raises(ConfigError, match="config field variants: 'everything' is neither a list"):
        validate_config(tiny_config)
