from tinyrl.joblog import job_log
from tinyrl.pipeline import figures

with job_log(snakemake.log[0], snakemake.resources):
    figures(snakemake.input.summary, snakemake.output.figures)
