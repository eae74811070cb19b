from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.robustness import robustness

run_stage(snakemake, robustness, setup=pin_portable_numerics)
