from tinyrl.joblog import job_log
from tinyrl.pipeline import evaluate_random

with job_log(snakemake.log[0], snakemake.resources):
    evaluate_random(snakemake.params.agent, snakemake.params.evaluation, snakemake.output.evaluation)
