from tinyrl.joblog import job_log
from tinyrl.pipeline import observation_set

with job_log(snakemake.log[0], snakemake.resources):
    observation_set(snakemake.params.agent, snakemake.params.observations,
                    snakemake.input.checkpoint, snakemake.output.observations)
