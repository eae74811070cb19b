# tiny_rl: compress trained RL policies, evaluate and time every variant, render one report.
# Layout follows the snakemake-workflows catalog: config validated against a JSON
# schema, rules in rules/*.smk, logic in the tinyrl library (src/tinyrl).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


# Validates the config against src/tinyrl/plan/schemas/config.schema.yaml and each compression
# family's parameter schema (errors name the field), then expands the sweeps.
include: "rules/common.smk"
include: "rules/pretrain.smk"
include: "rules/variants.smk"
include: "rules/deploy.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,


rule tables:
    """The tables alone (results/tables), without figures or report: tools/check_tables.py."""
    input:
        rules.aggregate.output,
