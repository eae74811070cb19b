from tinyrl.jobs.joblog import run_stage
from tinyrl.stages.aggregate import aggregate

run_stage(snakemake, aggregate)
