from tinyrl.jobs.joblog import run_stage
from tinyrl.stages.time_forward import machine_ceiling

run_stage(snakemake, machine_ceiling)
