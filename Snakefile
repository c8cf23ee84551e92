# xner: zero-resource cross-lingual NER by teacher-student learning (Wu et al., ACL 2020).
# Targets: results/tables/{direct_transfer,table2,table3,table4,table5}.csv, results/figures/figure5.png,
# the report's figures (results/figures/{alpha_*,training_curves,runtimes}.png) and each adaptation's
# student (results/adapt/<name>/student, target `adapt`). After a run,
# `snakemake --report report.html` (or report.zip) collects tables and figures in one file.


from snakemake.utils import min_version

min_version("8.8.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/corpora.smk"
include: "workflow/rules/encoders.smk"
include: "workflow/rules/teachers.smk"
include: "workflow/rules/predictions.smk"
include: "workflow/rules/students.smk"
include: "workflow/rules/similarity.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/adapt.smk"


# Jobs of seconds run where Snakemake runs instead of waiting in a cluster queue.
localrules:
    all,
    prepare_corpus,
    encoder_tiny,
    score,
    alpha_avg,
    combine_softlabels,
    predict_mt,
    table,
    figure5,
    report_figures,
    alpha_figure,
    training_curves,
    runtimes,


rule all:
    default_target: True
    input:
        all_outputs() + adapt_outputs(),
