from tinyrl.joblog import run_stage
from tinyrl.stages.pretrain import pretrain

run_stage(snakemake, pretrain)
