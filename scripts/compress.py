from tinyrl.jobs.joblog import run_stage
from tinyrl.jobs.numerics import pin_portable_numerics
from tinyrl.stages.compress import compress

run_stage(snakemake, compress, setup=pin_portable_numerics)
