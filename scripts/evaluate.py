from tinyrl.joblog import run_stage
from tinyrl.stages.evaluate import evaluate_variant

run_stage(snakemake, evaluate_variant)
