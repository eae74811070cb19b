from tinyrl.joblog import job_log
from tinyrl.pipeline import machine_ceiling

with job_log(snakemake.log[0], snakemake.resources):
    machine_ceiling(snakemake.params.timing, snakemake.output.ceiling)
