from tinyrl.joblog import run_stage
from tinyrl.numerics import pin_portable_numerics
from tinyrl.stages.robustness import robustness

run_stage(snakemake, robustness, setup=pin_portable_numerics)
