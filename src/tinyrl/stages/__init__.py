"""One module per workflow stage, one function each; rules' scripts only hand it the job (joblog.run_stage).

A stage function takes the rule's named inputs, outputs and params as keyword arguments and writes
only the outputs its rule declares, each atomically, so a stage can be run, tested and rerun on its
own. Each job is a fresh Python process that imports only its stage's module: an evaluation job
never imports the trainers, the reporting libraries or the other families.
"""
