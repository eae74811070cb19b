rule deploy:
    """Each of the agent's answers shipped as the file of the runtime it won on (results/{agent}/deploy/<answer>/:
    the file, policy.json, run_policy.py), played there on the evaluation's episodes and paired with float32."""
    input:
        summary="results/tables/summary.csv",
        models=agent_variant_files("model.pt"),
        evaluations=agent_variant_files("evaluation.json"),
        observations="results/{agent}/observations.npy",
        baseline_evaluation=lambda wildcards: baseline_evaluation(wildcards.agent),
    output:
        deployed=directory("results/{agent}/deploy"),
    log:
        "logs/{agent}/deploy.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("deploy", "mem_mb", 3000),
        runtime=budget("deploy", "runtime", 180),  # up to 3 picks an answer, each a full evaluation
    params:
        variants=agent_variants,
        agent_name=lambda wildcards: wildcards.agent,
        agent=agent_section("settings"),
        settings=agent_section("evaluation"),
    script:
        "../scripts/deploy.py"
