from tinyrl.joblog import job_log
from tinyrl.pipeline import aggregate

with job_log(snakemake.log[0], snakemake.resources):
    aggregate(snakemake.params.pairs, snakemake.input.metadata, snakemake.input.evaluations,
              snakemake.input.timings, snakemake.params.agents, snakemake.input.random,
              snakemake.input.ceiling, snakemake.output.summary)
