rule table:
    input:
        metrics=lambda wc: table_inputs(wc.table),
        alpha=lambda wc: alpha_inputs(wc.table),
        code=code("tables"),
    output:
        csv=report(
            "results/tables/{table}.csv",
            caption="../report/tables.rst",
            category="Tables",
            labels={"table": "{table}"},
        ),
        md="results/tables/{table}.md",
    log:
        "results/logs/tables/{table}.log",
    wildcard_constraints:
        table="direct_transfer|table2|table3|table4|table5",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "xner table {wildcards.table} --metrics {input.metrics} --alpha {input.alpha} --out {output.csv} 2> {log}"


rule figure5:
    input:
        unpack(figure5_cases),
        gold=expand("results/corpora/{tgt}/test.json", tgt=SINGLE_TARGETS),
        code=code("analysis"),
    output:
        csv="results/figures/figure5.csv",
        png=report(
            "results/figures/figure5.png",
            caption="../report/figure5.rst",
            category="Analysis",
            labels={"figure": "Figure 5: teacher errors the student corrects"},
        ),
        cases=report(
            "results/figures/figure4_cases.txt",
            caption="../report/figure4_cases.rst",
            category="Analysis",
            labels={"figure": "Figure 4: sentences the student corrects"},
        ),
    log:
        "results/logs/figure5.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cases=figure5_flags(),
    shell:
        "xner figure5 {params.cases} --out-csv {output.csv} --out-png {output.png}"
        " --out-cases {output.cases} 2> {log}"
