rule prepare_corpus:
    output:
        "results/corpora/{lang}/{split}.json",
    input:
        code("conll", "corpus", "labels"),
    params:
        source=lambda wc: json.dumps(language_source(wc.lang)),
        labels=",".join(config["labels"]),
        max_sentences=lambda wc: config["data"]["max_sentences"][wc.split] or "",
        seed=config["data"]["subsample_seed"],
    log:
        "results/logs/prepare_corpus/{lang}/{split}.log",
    benchmark:
        "results/benchmarks/prepare_corpus/{lang}/{split}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "xner prepare --lang {wildcards.lang} --split {wildcards.split} --source '{params.source}'"
        " --labels {params.labels} --seed {params.seed}"
        " $( [ -n '{params.max_sentences}' ] && echo --max-sentences {params.max_sentences} )"
        " --out {output} 2> {log}"
