rule table:
    output:
        csv="results/tables/{table}.csv",
        md="results/tables/{table}.md",
    input:
        metrics=lambda wc: table_inputs(wc.table),
        alpha=lambda wc: alpha_inputs(wc.table),
        code=code("tables"),
    wildcard_constraints:
        table="direct_transfer|table2|table3|table4|table5",
    log:
        "results/logs/tables/{table}.log",
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "xner table {wildcards.table} --metrics {input.metrics} --alpha {input.alpha} --out {output.csv} 2> {log}"


def figure5_cases(wc):
    return {
        f"{kind}_{t}_{seed}": f"results/predictions/{system}-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5"
        for t in SINGLE_TARGETS
        for seed in SEEDS
        for kind, system in (("teacher", "teacher"), ("student", "student-ts"))
    }


rule figure5:
    output:
        csv="results/figures/figure5.csv",
        png="results/figures/figure5.png",
        cases="results/figures/figure4_cases.txt",
    input:
        unpack(figure5_cases),
        gold=expand("results/corpora/{tgt}/test.json", tgt=SINGLE_TARGETS),
        code=code("analysis", "softlabels", "corpus"),
    params:
        cases=" ".join(
            f"--case {t}=results/predictions/teacher-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5,"
            f"results/predictions/student-ts-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5,results/corpora/{t}/test.json"
            for t in SINGLE_TARGETS
            for seed in SEEDS
        ),
    log:
        "results/logs/figure5.log",
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "xner figure5 {params.cases} --out-csv {output.csv} --out-png {output.png}"
        " --out-cases {output.cases} 2> {log}"
