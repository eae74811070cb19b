from tinyrl.joblog import run_stage
from tinyrl.stages.import_policy import import_policy

run_stage(snakemake, import_policy)
