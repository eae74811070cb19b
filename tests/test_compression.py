"""Every compression family: made, saved as a file, reloaded from it, and checked for what it promises."""

import copy

import pytest
import torch
from conftest import SMALL_ARCH
from torch import nn

from tinyrl.compression.base import CompressContext
from tinyrl.compression.eager_quant import available_engines
from tinyrl.compression.finetune import distill, distillation_loss
from tinyrl.compression.loading import load_policy
from tinyrl.errors import CheckpointError, VariantFailure
from tinyrl.families import all_families
from tinyrl.families.low_rank import factorise
from tinyrl.plan.config import finetune_settings
from tinyrl.policies.checkpoint import SUBCLASS_MARK, load_state_into, read_checkpoint, save_checkpoint
from tinyrl.policies.model_stats import size_stats, weight_tensors
from tinyrl.policies.networks import build_network

FAMILIES = all_families()

WIDE_ARCH = {**SMALL_ARCH, "hidden": [256, 256]}
FINETUNE = finetune_settings(
    {
        "learning_rate": 1e-3,
        "batch_size": 64,
        "rounds": 2,
        "onpolicy_episodes": 2,
        "max_episode_steps": 40,
        "seed": 0,
    }
)


@pytest.fixture(scope="module")
def wide_policy():
    torch.manual_seed(0)
    return build_network(WIDE_ARCH).eval()


def context(n_obs: int = 512) -> CompressContext:
    torch.manual_seed(1)
    return CompressContext(torch.randn(n_obs, 8), "LunarLander-v3", "q_values", FINETUNE)


def make(tmp_path, policy, family, params, name="variant"):
    """Compress, save, reload; the reloaded model must be the compressed one, exactly."""
    params = {**FAMILIES[family].defaults, **params}
    result = FAMILIES[family].compress(policy, params, context())
    path = tmp_path / f"{name}.pt"
    save_checkpoint(
        path,
        result.arch or policy.arch,
        result.model.state_dict(),
        meta={},
        recipe={"family": family, "params": params, "structure": result.structure},
    )
    reloaded, _ = load_policy(path)
    x = torch.randn(64, 8)
    with torch.inference_mode():
        assert torch.allclose(reloaded(x), result.model(x), atol=1e-6), "the file must hold the whole variant"
    return reloaded, result, path


def output_error(model, reference, n=256):
    """Largest output difference relative to the largest output, on observations like the ones the variant
    was calibrated on (static int8 clips what lies beyond them; a fresh draw would test luck)."""
    x = context().observations[:n]
    with torch.inference_mode():
        return ((model(x) - reference(x)).abs().max() / reference(x).abs().max()).item()


def layer_sparsity(model, names):
    tensors = dict(weight_tensors(model))
    total = sum(tensors[f"{n}.weight"].numel() for n in names)
    return sum(int((tensors[f"{n}.weight"] == 0).sum()) for n in names) / total


QUANT_CASES = [
    ("baseline", {}),
    ("ptq_dynamic", {"dtype": "qint8"}),
    ("ptq_dynamic", {"dtype": "float16"}),
    ("ptq_static", {"dtype": "float16"}),
]
QUANT_CASES += [("ptq_static", {"dtype": "qint8", "engine": e}) for e in available_engines()]
QUANT_CASES += [("torchao_quant", {"scheme": scheme}) for scheme in ("int8_dynamic", "int8_weight_only")]
QUANT_CASES += [("executorch_program", {"dtype": dtype}) for dtype in ("int8", "float32")]
# NNCF's int8 moves this tiny random network's outputs by up to 0.42 of their largest while keeping 99% of its
# greedy actions: tests/test_speed.py checks its actions; the study's verdicts judge it
QUANT_CASES += [("openvino_program", {"dtype": "float32"})]
QUANT_CASES += [("pt2e_x86_int8", {})]


@pytest.mark.parametrize("family, params", QUANT_CASES)
def test_post_training_quantization(tmp_path, small_policy, family, params):
    model, _, path = make(tmp_path, small_policy, family, params)
    assert output_error(model, small_policy) < 0.1
    assert size_stats(model, path)["parameters"] == sum(p.numel() for p in small_policy.parameters())


def test_int8_file_is_smaller_than_fp32(tmp_path, wide_policy):
    _, _, base = make(tmp_path, wide_policy, "baseline", {}, "base")
    _, _, dyn = make(tmp_path, wide_policy, "ptq_dynamic", {"dtype": "qint8"}, "dyn")
    assert dyn.stat().st_size < 0.35 * base.stat().st_size


def test_qat_int8_trains_towards_the_teacher_and_converts(tmp_path, small_policy):
    short, _, _ = make(tmp_path, small_policy, "qat_int8", {"finetune_steps": 50}, "short")
    model, result, _ = make(tmp_path, small_policy, "qat_int8", {"finetune_steps": 400}, "long")
    assert result.info["finetune_steps"] == 400
    x = context().observations  # the distribution it was trained on
    with torch.inference_mode():
        errors = [((m(x) - small_policy(x)) ** 2).mean().item() for m in (short, model)]
    assert errors[1] < errors[0]
    assert isinstance(model.fc1, torch.ao.nn.quantized.Linear)


@pytest.mark.parametrize("scope", ["global", "layerwise"])
def test_unstructured_pruning_reaches_the_amount(tmp_path, wide_policy, scope):
    model, _, _ = make(tmp_path, wide_policy, "prune_l1", {"amount": 0.75, "scope": scope, "layers": ["hidden"]})
    assert layer_sparsity(model, ["fc1", "fc2"]) == pytest.approx(0.75, abs=0.005)
    assert layer_sparsity(model, ["head"]) == 0.0
    if scope == "layerwise":
        assert layer_sparsity(model, ["fc1"]) == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize("fmt", ["csr", "bitmask", "auto"])
def test_sparse_storage_is_smaller_and_computes_the_same(tmp_path, wide_policy, fmt):
    dense, _, dense_path = make(tmp_path, wide_policy, "prune_l1", {"amount": 0.9}, "dense")
    sparse, result, sparse_path = make(
        tmp_path, wide_policy, "prune_l1", {"amount": 0.9, "storage": "sparse", "sparse_format": fmt}, "sparse"
    )
    assert set(result.structure["sparse_layers"]) == {"fc1", "fc2", "head"}
    assert sparse_path.stat().st_size <= 0.3 * dense_path.stat().st_size
    x = torch.randn(100, 8)
    with torch.inference_mode():
        assert torch.allclose(sparse(x), dense(x), atol=1e-5)
    assert size_stats(sparse, sparse_path)["nonzeros"] == size_stats(dense, dense_path)["nonzeros"]


def test_finetuning_recovers_what_pruning_lost(tmp_path, wide_policy):
    naive, _, _ = make(tmp_path, wide_policy, "prune_l1", {"amount": 0.9}, "naive")
    tuned, result, _ = make(tmp_path, wide_policy, "prune_l1", {"amount": 0.9, "finetune_steps": 300}, "tuned")
    assert result.info["finetune_steps"] == 300 and result.info["finetune_dataset_size"] > 512
    assert layer_sparsity(tuned, ["fc1", "fc2", "head"]) == pytest.approx(0.9, abs=0.005)
    assert output_error(tuned, wide_policy) < output_error(naive, wide_policy)


def test_iterative_pruning_hits_its_target(tmp_path, wide_policy):
    model, result, _ = make(
        tmp_path, wide_policy, "prune_iterative", {"target_sparsity": 0.95, "rounds": 3, "finetune_steps": 30}
    )
    assert layer_sparsity(model, ["fc1", "fc2", "head"]) == pytest.approx(0.95, abs=0.005)
    assert result.info["finetune_rounds"] == 3


def test_structured_pruning_zeroes_whole_columns(tmp_path, wide_policy):
    model, _, _ = make(
        tmp_path, wide_policy, "prune_ln_structured", {"amount": 0.5, "n": 2, "dim": 1, "layers": ["fc2"]}
    )
    weight = dict(weight_tensors(model))["fc2.weight"]
    zero_columns = int((weight.abs().sum(dim=0) == 0).sum())
    assert zero_columns == 128
    assert weight.shape == (256, 256)  # zeroed, not removed


def test_structural_pruning_removes_neurons(tmp_path, wide_policy):
    model, result, path = make(tmp_path, wide_policy, "prune_structural", {"amounts": {"fc1": 0.3}})
    assert model.fc1.out_features == 180 and model.fc2.in_features == 180  # the seed's 256 -> 180
    assert result.info["channels_removed"] == {"fc1": 76}
    _, _, base = make(tmp_path, wide_policy, "baseline", {}, "base")
    assert path.stat().st_size < base.stat().st_size


def test_structural_pruning_follows_every_head_of_ppo_rnd():
    """PPO-RND's fc2 feeds the policy and the value branches (x + relu(fc(x)) each): its removed neurons
    leave both residual branches, so every head still runs (the policy head alone once left the value
    branch at 448 inputs)."""
    torch.manual_seed(0)
    model = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18}).eval()
    params = {**FAMILIES["prune_structural"].defaults, "amounts": {"fc1": 0.3, "fc2": 0.3}}
    frames = torch.randint(0, 256, (64, 4, 84, 84), dtype=torch.uint8).float()
    ctx = CompressContext(frames, "ALE/MontezumaRevenge-v5", "logits", FINETUNE)
    pruned = FAMILIES["prune_structural"].compress(model, params, ctx).model
    assert pruned.fc2.out_features == 314  # 448 - floor(448 x 0.3)
    for layer in ("extra_value_fc", "extra_policy_fc"):
        assert list(pruned.get_submodule(layer).weight.shape) == [314, 314]
    assert pruned.int_value.in_features == pruned.ext_value.in_features == pruned.policy.in_features == 314
    logits, int_value, ext_value = pruned.heads(frames[:2])
    assert logits.shape == (2, 18) and int_value.shape == ext_value.shape == (2,)


def test_structural_pruning_refuses_the_head(wide_policy):
    params = {**FAMILIES["prune_structural"].defaults, "amounts": {"head": 0.5}}
    with pytest.raises(VariantFailure, match="head"):
        FAMILIES["prune_structural"].compress(wide_policy, params, context())


def test_low_rank_ranks_and_exactness(tmp_path, wide_policy):
    model, result, _ = make(tmp_path, wide_policy, "low_rank", {"rank_reduction": 0.5, "min_rank_last": 4})
    assert result.info["ranks"] == {"fc1": 4, "fc2": 128, "head": 4}
    exact, _, _ = make(tmp_path, wide_policy, "low_rank", {"rank_reduction": 0.0}, "exact")
    assert output_error(exact, wide_policy) < 1e-4
    assert output_error(model, wide_policy) > output_error(exact, wide_policy)


def test_low_rank_convolution_at_full_rank_is_exact():
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3, stride=2, padding=1)
    x = torch.randn(2, 4, 9, 9)
    with torch.no_grad():
        assert torch.allclose(factorise(conv, 8)(x), conv(x), atol=1e-5)


def test_binary_layers_are_packed_20x(tmp_path, wide_policy):
    model, result, path = make(tmp_path, wide_policy, "binary", {"finetune_steps": 100})
    assert list(result.structure["layers"]) == ["fc2"]  # first and last stay real-valued
    assert result.info["binarized_compression"] >= 20
    assert result.info["training_form_bytes"] > path.stat().st_size
    weight = dict(weight_tensors(model))["fc2.weight"]
    assert all(len(torch.unique(row.abs())) == 1 for row in weight[:5])  # alpha * sign(w) per row


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_bit_width_sweep_packs_bits(tmp_path, wide_policy, bits):
    model, result, path = make(tmp_path, wide_policy, "fake_quant", {"bits": bits, "activations": True})
    packed = model.fc2.packed.numel()
    assert packed == (256 * 256 * bits + 7) // 8
    codes_levels = len(torch.unique(dict(weight_tensors(model))["fc2.weight"][0]))
    assert codes_levels <= 2**bits
    if bits == 8:
        assert output_error(model, wide_policy) < 0.05


def test_bit_width_finetuning_trains_through_the_quantizer(tmp_path, wide_policy):
    naive, _, _ = make(tmp_path, wide_policy, "fake_quant", {"bits": 2}, "naive")
    tuned, result, _ = make(tmp_path, wide_policy, "fake_quant", {"bits": 2, "finetune_steps": 300}, "tuned")
    assert result.info["finetune_steps"] == 300
    assert len(torch.unique(dict(weight_tensors(tuned))["fc2.weight"][0])) <= 4  # still 2-bit
    x = context().observations
    with torch.inference_mode():
        errors = [((m(x) - wide_policy(x)) ** 2).mean().item() for m in (naive, tuned)]
    assert errors[1] < errors[0]


def test_student_is_smaller_and_loads_with_its_own_architecture(tmp_path, wide_policy):
    model, result, path = make(tmp_path, wide_policy, "distill_student", {"hidden": [32, 32], "finetune_steps": 200})
    assert result.arch["hidden"] == [32, 32]
    assert model.fc1.out_features == 32
    _, _, base = make(tmp_path, wide_policy, "baseline", {}, "base")
    assert path.stat().st_size < 0.1 * base.stat().st_size


def test_q_value_distillation_cares_about_the_action_ranking():
    teacher = torch.tensor([[50.0, 50.1, 49.0, 49.5]])
    shifted = teacher + 2.0  # same ranking, values off by 2
    swapped = torch.tensor([[50.1, 50.0, 49.0, 49.5]])  # values off by 0.1, best action changed
    assert distillation_loss(teacher, teacher, "q_values").item() == pytest.approx(0.0, abs=1e-7)
    assert distillation_loss(swapped, teacher, "q_values") > distillation_loss(shifted, teacher, "q_values")
    # Plain MSE gets this backwards, which is why it is not the Q-value loss.
    assert torch.nn.functional.mse_loss(swapped, teacher) < torch.nn.functional.mse_loss(shifted, teacher)


def test_logit_matching_sees_the_tail_of_a_confident_policy():
    """A student that makes the teacher's rare actions 20x likelier (a slip of 0.18% per step, most of a
    1000-step route's episodes) is almost free under KL, and costs under logit matching, which ignores a
    shift of all logits as softmax does."""
    teacher = torch.tensor([[10.0, 0.0, 0.0]])
    slipping = torch.tensor([[10.0, 3.0, 3.0]])
    assert torch.softmax(slipping, dim=1)[0, 1:].sum() > 20 * torch.softmax(teacher, dim=1)[0, 1:].sum()
    assert distillation_loss(slipping, teacher, "logits").item() < 2e-3
    assert distillation_loss(slipping, teacher, "logits", logits_loss="logit_mse").item() == pytest.approx(2.0)
    assert distillation_loss(teacher + 5.0, teacher, "logits", logits_loss="logit_mse").item() == pytest.approx(0.0)


FAMILY_EXAMPLES = {
    "baseline": {},
    "ptq_dynamic": {"dtype": "qint8"},
    "ptq_static": {"dtype": "qint8"},
    "qat_int8": {"finetune_steps": 5},
    "fake_quant": {"bits": 4, "activations": True, "finetune_steps": 5},
    "prune_l1": {"amount": 0.5, "storage": "sparse", "finetune_steps": 5},
    "prune_iterative": {"target_sparsity": 0.5, "rounds": 2, "finetune_steps": 3},
    "prune_ln_structured": {"amount": 0.5, "layers": ["fc1"], "finetune_steps": 5},
    "prune_structural": {"amounts": {"fc1": 0.5}, "finetune_steps": 5},
    "low_rank": {"rank_reduction": 0.5, "finetune_steps": 5},
    "binary": {"finetune_steps": 5},
    "distill_student": {"hidden": [8, 8], "finetune_steps": 5},
    "ort_static_int8": {},
    "torchao_quant": {"scheme": "int8_weight_only"},
    "executorch_program": {"dtype": "int8"},
    "openvino_program": {"dtype": "int8"},
    "pt2e_x86_int8": {},
    "c_int8": {},
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_leave_the_teacher_unchanged(small_policy, family):
    """Families distil from the fp32 model they are given, so none may modify it."""
    before = {k: v.clone() for k, v in small_policy.state_dict().items()}
    FAMILIES[family].compress(small_policy, {**FAMILIES[family].defaults, **FAMILY_EXAMPLES[family]}, context())
    after = small_policy.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], before[k]) for k in before)


GAUSSIAN_ARCH = {"kind": "mlp_gaussian", "obs_dim": 17, "act_dim": 6, "hidden": [16, 16]}


@pytest.fixture(scope="module")
def gaussian_policy():
    torch.manual_seed(0)
    policy = build_network(GAUSSIAN_ARCH).eval()
    with torch.no_grad():  # a trained normaliser and std, which every variant must keep
        policy.obs_mean.copy_(torch.linspace(-1, 1, 17))
        policy.obs_var.copy_(torch.linspace(0.5, 4, 17))
        policy.log_std.fill_(-1.3)
    return policy


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_compresses_a_gaussian_policy(tmp_path, gaussian_policy, family):
    params = {**FAMILIES[family].defaults, **FAMILY_EXAMPLES[family]}
    torch.manual_seed(2)  # the same observations whatever ran before (calibration depends on them)
    ctx = CompressContext(torch.randn(256, 17) * 2, "HalfCheetah-v5", "gaussian_mean", FINETUNE)
    result = FAMILIES[family].compress(gaussian_policy, params, ctx)
    path = tmp_path / "variant.pt"
    save_checkpoint(
        path,
        result.arch or gaussian_policy.arch,
        result.model.state_dict(),
        meta={},
        recipe={"family": family, "params": params, "structure": result.structure},
    )
    reloaded, _ = load_policy(path)
    x = torch.randn(32, 17) * 2
    with torch.inference_mode():
        out = reloaded(x)
        assert out.shape == (32, 6)
        assert torch.allclose(out, result.model(x), atol=1e-6)
    if family in (
        "ort_static_int8",
        "executorch_program",
        "openvino_program",
        "pt2e_x86_int8",
        "c_int8",
    ):  # normaliser in graph
        without = copy.deepcopy(gaussian_policy)
        without.obs_mean.zero_()
        without.obs_var.fill_(1.0)
        kept, dropped = ((out - reference(x)).abs().mean().item() for reference in (gaussian_policy, without))
        # int8 rounding, far from what dropping the normaliser does (NNCF's default int8 rounds more than the others
        # on this small random network)
        limit = 0.5 if family == "openvino_program" else 0.25
        assert kept < limit * dropped, (kept, dropped)
        return
    state = reloaded.state_dict()
    assert torch.equal(state["obs_mean"], gaussian_policy.obs_mean)
    assert torch.equal(state["obs_var"], gaussian_policy.obs_var)
    assert torch.allclose(reloaded.log_std.detach(), torch.full((6,), -1.3))


def test_first_and_last_layers_are_chosen_by_role_not_by_module_order():
    """PPO-RND's last module is a value head (ext_value): the input layer and the action head are the ones
    binary keeps real-valued and low_rank's minimum ranks protect."""
    from tinyrl.families.binary import default_layers
    from tinyrl.families.low_rank import target_ranks

    model = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18})
    assert default_layers(model) == ["conv2", "conv3", "fc1", "fc2", "extra_value_fc", "extra_policy_fc"]
    params = {"rank_reduction": 0.9, "min_rank_first": 8, "min_rank_last": 12}
    ranks = target_ranks(model, ["conv1", "fc2", "policy", "ext_value"], params)
    assert ranks == {"conv1": 8, "fc2": 26, "policy": 12, "ext_value": 1}


def test_in_memory_bytes_count_quantized_weights(wide_policy):
    """Quantized Linear layers keep their weights in a (weight, bias) tuple: they are counted, as int8."""
    from tinyrl.compression import eager_quant
    from tinyrl.policies.model_stats import state_bytes

    fp32 = state_bytes(wide_policy.state_dict())
    weights = sum(4 * m.weight.numel() for m in wide_policy.modules() if isinstance(m, torch.nn.Linear))
    assert fp32 == sum(4 * t.numel() for t in wide_policy.state_dict().values())
    dynamic = state_bytes(eager_quant.dynamic(wide_policy, "qint8", "x86").state_dict())
    assert fp32 - weights + weights / 4 <= dynamic < fp32 - weights + weights / 4 + 1000
    static = state_bytes(eager_quant.static_int8(wide_policy, "x86", torch.randn(64, 8)).state_dict())
    assert 0.2 * fp32 < static < 0.3 * fp32


def test_torchao_files_hold_plain_tensors_and_run_compiled(tmp_path, wide_policy):
    """torchao's quantized weights are tensor subclasses: the file keeps their int8 codes and scales as
    plain tensors, and the reloaded variant runs eager and through torch.compile with the same outputs."""
    model, _, path = make(tmp_path, wide_policy, "torchao_quant", {"scheme": "int8_dynamic"})
    stored = read_checkpoint(path)["state_dict"]["fc1.weight"]
    assert stored[SUBCLASS_MARK] == "Int8Tensor"
    assert stored["inner"]["qdata"].dtype == torch.int8 and type(stored["inner"]["qdata"]) is torch.Tensor
    assert path.stat().st_size < 0.35 * _float_file_bytes(tmp_path, wide_policy)  # int8 codes, not float32
    assert output_error(model, wide_policy) < 0.05
    x = torch.randn(16, 8)
    with torch.inference_mode():
        assert torch.allclose(torch.compile(model)(x), model(x), atol=1e-4)


def _float_file_bytes(tmp_path, policy) -> int:
    path = tmp_path / "float.pt"
    save_checkpoint(path, policy.arch, policy.state_dict(), meta={})
    return path.stat().st_size


def test_a_packed_tensor_subclass_must_match_the_skeletons(tmp_path, wide_policy):
    _, _, path = make(tmp_path, wide_policy, "torchao_quant", {"scheme": "int8_weight_only"})
    data = read_checkpoint(path)
    data["recipe"] = {"family": "baseline", "params": {}, "structure": {}}  # a float skeleton
    with pytest.raises(CheckpointError, match="'state_dict.fc1.weight' holds a Int8Tensor"):
        load_state_into(build_network(data["arch"]), data["state_dict"], str(path))


def test_the_teachers_own_episodes_join_the_distillation_data(wide_policy):
    """teacher_episodes: the float32 policy plays that many episodes in the agent's action mode, once, and
    their states join the data (two 40-step episodes: 80 more states than without)."""
    observations = torch.randn(64, 8)
    sizes = {}
    for episodes in (0, 2):
        settings = FINETUNE | {"rounds": 1, "onpolicy_episodes": 0, "teacher_episodes": episodes}
        ctx = CompressContext(observations, "LunarLander-v3", "q_values", settings, actions="sampled")
        student = copy.deepcopy(wide_policy)
        sizes[episodes] = distill(student, wide_policy, ctx, steps=2)["finetune_dataset_size"]
    assert sizes[0] == 64 and 64 < sizes[2] <= 64 + 80


def test_a_nested_tensor_subclass_is_refused_before_anything_is_written(tmp_path):
    """Loading refuses nested tensor subclasses, so saving does too, and no file is left behind."""
    from torch.testing._internal.two_tensor import TwoTensor

    plain = torch.ones(2, 2)
    nested = TwoTensor(TwoTensor(plain, plain), plain)
    with pytest.raises(ValueError, match="nested tensor subclasses cannot be stored"):
        save_checkpoint(tmp_path / "nested.pt", SMALL_ARCH, {"fc1.weight": nested}, meta={})
    assert not (tmp_path / "nested.pt").exists()
    assert save_checkpoint(tmp_path / "flat.pt", SMALL_ARCH, {"fc1.weight": TwoTensor(plain, plain)}, meta={}) is None
