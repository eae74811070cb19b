from tinyrl.joblog import run_stage
from tinyrl.stages.robustness import robustness

run_stage(snakemake, robustness)
