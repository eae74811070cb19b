from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.evaluate import evaluate_random

run_stage(snakemake, evaluate_random, setup=pin_portable_numerics)
