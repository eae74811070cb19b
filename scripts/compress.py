from tinyrl.joblog import run_stage
from tinyrl.stages.compress import compress

run_stage(snakemake, compress)
