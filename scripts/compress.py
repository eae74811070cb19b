from tinyrl.joblog import job_log
from tinyrl.pipeline import compress

with job_log(snakemake.log[0], snakemake.resources):
    compress(snakemake.params.agent, snakemake.params.variant, snakemake.params.finetune, snakemake.input.checkpoint,
             snakemake.input.observations, snakemake.output.model, snakemake.output.metadata)
