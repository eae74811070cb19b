from tinyrl.joblog import job_log
from tinyrl.pipeline import evaluate_variant

with job_log(snakemake.log[0], snakemake.resources):
    evaluate_variant(snakemake.params.agent, snakemake.params.evaluation,
                     snakemake.input.model, snakemake.output.evaluation)
