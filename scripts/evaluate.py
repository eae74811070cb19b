from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.evaluate import evaluate_variant

run_stage(snakemake, evaluate_variant, setup=pin_portable_numerics)
