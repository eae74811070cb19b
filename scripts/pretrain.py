from tinyrl.joblog import job_log
from tinyrl.pipeline import pretrain

with job_log(snakemake.log[0], snakemake.resources):
    pretrain(snakemake.params.agent, snakemake.output.checkpoint)
