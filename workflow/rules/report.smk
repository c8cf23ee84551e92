# Figures for `snakemake --report report.html`: teacher weights α, training curves, runtimes.
# These rules keep no benchmark file of their own: `runtimes` reads every benchmark file present,
# and a figure rule's file would appear there or not depending on the order the jobs ran in.


rule report_figures:
    input:
        report_outputs(),


rule alpha_figure:
    input:
        alpha=expand(
            "results/alpha/{{method}}/{tgt}/seed{seed}.json",
            tgt=MULTI_TARGETS,
            seed=SEEDS,
        ),
        code=code("plots"),
    output:
        report(
            "results/figures/alpha_{method}.png",
            caption="../report/alpha.rst",
            category="Teacher weights",
            labels={"method": "{method}"},
        ),
    log:
        "results/logs/figures/alpha_{method}.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "xner plot-alpha --alpha {input.alpha} --out {output} 2> {log}"


rule training_curves:
    input:
        models=list(trained_models()),
        code=code("plots"),
    output:
        report(
            "results/figures/training_curves.png",
            caption="../report/training.rst",
            category="Training curves",
            labels={"figure": "teachers and students"},
        ),
    log:
        "results/logs/figures/training_curves.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        models=training_curve_flags(),
    shell:
        "xner plot-training {params.models} --out {output} 2> {log}"


# Every benchmarked job is upstream of the tables and Figure 5; the files are read when this runs.
rule runtimes:
    input:
        results=result_outputs(),
        code=code("plots"),
    output:
        csv=report(
            "results/figures/runtimes.csv",
            caption="../report/runtimes.rst",
            category="Runtimes",
            labels={"content": "seconds, memory and load per job"},
        ),
        png=report(
            "results/figures/runtimes.png",
            caption="../report/runtimes.rst",
            category="Runtimes",
            labels={"content": "seconds per rule"},
        ),
    log:
        "results/logs/figures/runtimes.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        rules=lambda wc: benchmark_flags(),
    shell:
        "xner runtimes --benchmarks results/benchmarks {params.rules}"
        " --out-csv {output.csv} --out-png {output.png} 2> {log}"
