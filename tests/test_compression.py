import pytest
import torch

from tinyrl.checkpoint import load_policy, save_checkpoint
from tinyrl.compression import FAMILIES
from tinyrl.compression.eager_quant import available_engines
from tinyrl.model_stats import size_stats

from conftest import SMALL_ARCH

CASES = [("baseline", {}), ("ptq_dynamic", {"dtype": "qint8", "engine": "x86"}),
         ("ptq_dynamic", {"dtype": "float16", "engine": "x86"}), ("ptq_static", {"dtype": "float16", "engine": "x86"})]
CASES += [("ptq_static", {"dtype": "qint8", "engine": e}) for e in available_engines()]


@pytest.mark.parametrize("family, params", CASES)
def test_variant_file_reloads_to_the_same_model(tmp_path, small_policy, family, params):
    torch.manual_seed(1)
    calibration = torch.randn(256, 8)
    compressed = FAMILIES[family].compress(small_policy, params, calibration)
    path = tmp_path / "variant.pt"
    save_checkpoint(path, SMALL_ARCH, compressed.state_dict(), meta={}, recipe={"family": family, "params": params})
    reloaded, data = load_policy(path)
    x = torch.randn(32, 8)
    with torch.inference_mode():
        assert torch.equal(reloaded(x), compressed(x)), "file must hold the whole variant"
        error = (reloaded(x) - small_policy(x)).abs().max().item()
    scale = small_policy(x).abs().max().item()
    assert error < 0.1 * scale, f"{family} {params}: error {error} too large vs output scale {scale}"
    stats = size_stats(reloaded, path)
    assert stats["parameters"] == sum(p.numel() for p in small_policy.parameters())
    assert data["recipe"] == {"family": family, "params": params}


def test_int8_file_is_smaller_than_fp32(tmp_path):
    from tinyrl.networks import build_network

    arch = {**SMALL_ARCH, "hidden": [256, 256]}
    model = build_network(arch).eval()
    sizes = {}
    for family, params in [("baseline", {}), ("ptq_dynamic", {"dtype": "qint8", "engine": "x86"})]:
        path = tmp_path / f"{family}.pt"
        save_checkpoint(path, arch, FAMILIES[family].compress(model, params, torch.randn(64, 8)).state_dict(),
                        meta={}, recipe={"family": family, "params": params})
        sizes[family] = path.stat().st_size
    assert sizes["ptq_dynamic"] < 0.35 * sizes["baseline"]
