from tinyrl.joblog import job_log
from tinyrl.pipeline import time_variant

with job_log(snakemake.log[0], snakemake.resources):
    time_variant(snakemake.params.timing, snakemake.input.model, snakemake.input.observations,
                 snakemake.output.timing, snakemake.output.onnx)
