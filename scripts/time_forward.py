from tinyrl.jobs.joblog import run_stage
from tinyrl.stages.time_forward import time_forward

run_stage(snakemake, time_forward)
