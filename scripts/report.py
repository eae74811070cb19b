from tinyrl.jobs.joblog import run_stage
from tinyrl.stages.report import report

run_stage(snakemake, report)
