rule pretrain:
    """Train an agent from scratch (used when the config names no checkpoint)."""
    output:
        checkpoint="results/{agent}/pretrain/checkpoint.pt",
    log:
        "logs/{agent}/pretrain.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("pretrain", "mem_mb", 3000),
        runtime=budget("pretrain", "runtime", 120),
        gpu=budget("pretrain", "gpu", 0),  # our trainers run on CPU; a cluster may route training to GPU nodes
    params:
        agent=pretrain_settings,
    script:
        "../scripts/pretrain.py"


rule import_policy:
    """A policy file from elsewhere (a Stable-Baselines3 zip, with the RL Zoo's files) as a tiny_rl checkpoint."""
    input:
        unpack(import_sources),
    output:
        checkpoint="results/{agent}/import/checkpoint.pt",
    log:
        "logs/{agent}/import_policy.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("import_policy", "mem_mb", 2000),
        runtime=budget("import_policy", "runtime", 10),
    params:
        agent=agent_section("settings"),
    script:
        "../scripts/import_policy.py"


rule observation_set:
    """The fixed observation set (the seed's data.npy), from the float32 policy's episodes."""
    input:
        checkpoint=agent_checkpoint,
    output:
        observations="results/{agent}/observations.npy",
    log:
        "logs/{agent}/observation_set.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("observation_set", "mem_mb", 2000),
        runtime=budget("observation_set", "runtime", 30),
    params:
        agent=agent_section("settings"),
        settings=agent_section("observations"),
    script:
        "../scripts/observation_set.py"


rule evaluate_random:
    """The uniform-random policy on the evaluation seeds: the score shown beside every agent."""
    output:
        evaluation="results/{agent}/random_policy.json",
    log:
        "logs/{agent}/evaluate_random.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("evaluate_random", "mem_mb", 2000),
        runtime=budget("evaluate_random", "runtime", 30),
    params:
        agent=agent_section("settings"),
        settings=agent_section("evaluation"),
    script:
        "../scripts/evaluate_random.py"
