rule aggregate:
    """Every variant's results into results/tables (summary plus one table per method family)."""
    input:
        metadata=per_variant("results/{agent}/{variant}/metadata.json"),
        evaluations=per_variant("results/{agent}/{variant}/evaluation.json"),
        timings=expand("results/{agent}/timing", agent=AGENTS),
        random=expand("results/{agent}/random_policy.json", agent=AGENTS),
        ceiling="results/benchmarks/gemm_ceiling.json",
    output:
        summary="results/tables/summary.csv",
        summary_md="results/tables/summary.md",
        backends="results/tables/backends.csv",
        training_seeds="results/tables/training_seeds.csv",
        tables=expand("results/tables/{table}.{ext}", table=TABLES, ext=["csv", "md"]),
    log:
        "logs/aggregate.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("aggregate", "mem_mb", 1000),
        runtime=budget("aggregate", "runtime", 10),
    params:
        pairs=PAIRS,
        agents=AGENTS,
        comparison=canonical({agent: PLAN["agents"][agent]["evaluation"] for agent in AGENTS}),
    script:
        "../scripts/aggregate.py"


rule figures:
    input:
        summary="results/tables/summary.csv",
    output:
        figures=expand("results/figures/{name}.png", name=FIGURES),
    log:
        "logs/figures.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("figures", "mem_mb", 1000),
        runtime=budget("figures", "runtime", 10),
    script:
        "../scripts/figures.py"


rule report:
    """report/report.md and a self-contained report/report.html."""
    input:
        summary="results/tables/summary.csv",
        backends="results/tables/backends.csv",
        ceiling="results/benchmarks/gemm_ceiling.json",
        figures=rules.figures.output.figures,
        checkpoints=[checkpoint_of(agent) for agent in AGENTS],
        robustness=expand("results/{agent}/robustness.json", agent=ROBUST_AGENTS),
        robustness_baselines=[baseline_evaluation(agent) for agent in ROBUST_AGENTS],
        deployments=expand("results/{agent}/deploy", agent=DEPLOY_AGENTS),
    output:
        markdown="report/report.md",
        html="report/report.html",
    log:
        "logs/report.log",
    conda:
        "../envs/tinyrl.yaml"
    threads: CORE_SHARE
    resources:
        mem_mb=budget("report", "mem_mb", 1000),
        runtime=budget("report", "runtime", 10),
    params:
        settings=canonical(PLAN["report"]),
        agents=AGENTS,
        robust_agents=ROBUST_AGENTS,
        deployed_agents=DEPLOY_AGENTS,
        repo_dir=workflow.basedir,
    script:
        "../scripts/report.py"
