from tinyrl.joblog import run_stage
from tinyrl.stages.evaluate import evaluate_random

run_stage(snakemake, evaluate_random)
