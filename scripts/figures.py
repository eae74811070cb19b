from tinyrl.joblog import job_log
from tinyrl.pipeline import figures

with job_log(snakemake.log[0]):
    figures(snakemake.input.summary, snakemake.output.figures)
