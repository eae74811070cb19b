from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.deploy import deploy_answers

run_stage(snakemake, deploy_answers, setup=pin_portable_numerics)
