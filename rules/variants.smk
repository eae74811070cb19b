rule compress:
    """Make one variant from the float32 policy (or from the variant its `after` names) and save it as its
    deployable file."""
    input:
        checkpoint=compress_source,
        observations="results/{agent}/observations.npy",
    output:
        model="results/{agent}/{variant}/model.pt",
        metadata="results/{agent}/{variant}/metadata.json",
    log:
        "logs/{agent}/{variant}/compress.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("compress", "mem_mb", 2000),
        runtime=budget("compress", "runtime", 30),
    params:
        agent=agent_section("settings"),
        variant=variant_spec,
        finetune=finetune_settings,
    script:
        "../scripts/compress.py"


rule evaluate:
    """Play the evaluation episodes with the variant loaded from its file."""
    input:
        model="results/{agent}/{variant}/model.pt",
    output:
        evaluation="results/{agent}/{variant}/evaluation.json",
        observations="results/{agent}/{variant}/eval_observations.npy",  # a sample, for the backends' check
    log:
        "logs/{agent}/{variant}/evaluate.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("evaluate", "mem_mb", 2000),
        runtime=budget("evaluate", "runtime", 60),
    params:
        agent=agent_section("settings"),
        settings=agent_section("evaluation"),
    script:
        "../scripts/evaluate.py"


rule robustness:
    """The float32 policy off the seed's protocol: under sticky actions, and with no-op starts."""
    input:
        checkpoint=agent_checkpoint,
    output:
        robustness="results/{agent}/robustness.json",
    log:
        "logs/{agent}/robustness.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("robustness", "mem_mb", 2000),
        runtime=budget("robustness", "runtime", 60),
    params:
        agent=agent_section("settings"),
        settings=agent_section("robustness"),
    script:
        "../scripts/robustness.py"


rule time_forward:
    """Forward-pass timing of every variant of one agent, back to back in one process, on every selected
    backend, batch and batch-1 regimes; claims every workflow core so that no other job shares the CPU."""
    input:
        models=agent_variant_files("model.pt"),
        observations="results/{agent}/observations.npy",
        eval_observations=agent_variant_files("eval_observations.npy"),
    output:
        # <variant>.json per variant; <variant>.onnx, its ONNX form, when it exports
        timings=directory("results/{agent}/timing"),
    log:
        "logs/{agent}/time_forward.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: TIMING_CORES
    resources:
        mem_mb=budget("time_forward", "mem_mb", 3000),
        runtime=budget("time_forward", "runtime", 120),
    params:
        settings=agent_section("timing"),
        variants=agent_variants,
    script:
        "../scripts/time_forward.py"


rule machine_ceiling:
    """The machine's float32 GEMM rate, measured once per study: the ceiling each variant's time is read against."""
    output:
        ceiling="results/benchmarks/gemm_ceiling.json",
    log:
        "logs/machine_ceiling.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: TIMING_CORES
    resources:
        mem_mb=budget("machine_ceiling", "mem_mb", 1000),
        runtime=budget("machine_ceiling", "runtime", 10),
    params:
        settings=canonical(PLAN["timing"]),
    script:
        "../scripts/machine_ceiling.py"
