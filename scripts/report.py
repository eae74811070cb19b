from tinyrl.joblog import job_log
from tinyrl.pipeline import report

with job_log(snakemake.log[0], snakemake.resources):
    report(snakemake.config, snakemake.input.summary, snakemake.input.backends, snakemake.input.ceiling,
           snakemake.params.agents, snakemake.input.checkpoints,
           snakemake.input.figures, snakemake.output.markdown, snakemake.output.html,
           snakemake.params.repo_dir)
