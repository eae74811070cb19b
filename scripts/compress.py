from tinyrl.joblog import run_stage
from tinyrl.numerics import pin_portable_numerics
from tinyrl.stages.compress import compress

run_stage(snakemake, compress, setup=pin_portable_numerics)
