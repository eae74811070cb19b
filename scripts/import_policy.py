from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.import_policy import import_policy

run_stage(snakemake, import_policy, setup=pin_portable_numerics)
