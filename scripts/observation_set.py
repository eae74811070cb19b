from tinyrl.joblog import run_stage
from tinyrl.stages.observation_set import observation_set

run_stage(snakemake, observation_set)
