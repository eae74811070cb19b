from tinyrl.jobs.joblog import run_stage
from tinyrl.stages.figures import figures

run_stage(snakemake, figures)
