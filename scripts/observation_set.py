from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.observation_set import observation_set

run_stage(snakemake, observation_set, setup=pin_portable_numerics)
