from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.pretrain import pretrain

run_stage(snakemake, pretrain, setup=pin_portable_numerics)
