from tinyrl.algorithms.ddqn import DDQNConfig, train
from tinyrl.policies.networks import build_network


def test_ddqn_smoke_run_is_deterministic():
    cfg = DDQNConfig(
        total_steps=600,
        learning_starts=200,
        batch_size=16,
        buffer_size=1000,
        hidden=[16],
        eval_every=300,
        eval_episodes=1,
        seed=4,
    )
    arch, state, meta = train(cfg, log=lambda _: None)
    assert arch == {"kind": "mlp_q", "obs_dim": 8, "n_actions": 4, "hidden": [16]}
    build_network(arch).load_state_dict(state)
    assert [h["step"] for h in meta["history"]] == [300, 600]
    assert meta["selected_step"] in (300, 600)
    _, state_again, meta_again = train(cfg, log=lambda _: None)
    assert meta_again["selection_score"] == meta["selection_score"]
    assert all((state[k] == state_again[k]).all() for k in state)
