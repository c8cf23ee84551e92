rule prepare_corpus:
    input:
        data=corpus_source_file,
        code=code("corpus"),
    output:
        "results/corpora/{lang}/{split}.json",
    log:
        "results/logs/prepare_corpus/{lang}/{split}.log",
    benchmark:
        "results/benchmarks/prepare_corpus/{lang}/{split}.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        source=lambda wc: json.dumps(language_source(wc.lang)),
        labels=",".join(config["labels"]),
        subsample=lambda wc: (
            f"--max-sentences {config['data']['max_sentences'][wc.split]}"
            if config["data"]["max_sentences"][wc.split]
            else ""
        ),
        seed=config["data"]["subsample_seed"],
    shell:
        "xner prepare --lang {wildcards.lang} --split {wildcards.split} --source {params.source:q}"
        " --labels {params.labels} --seed {params.seed}"
        " {params.subsample}"
        " --out {output} 2> {log}"


# The students' own subsample of a target's training text (data.max_sentences.student), planned
# only when it differs from the teachers' (common.smk: STUDENT_TEXT).
use rule prepare_corpus as prepare_student_text with:
    output:
        "results/corpora/{lang}/{split}-student.json",
    log:
        "results/logs/prepare_corpus/{lang}/{split}-student.log",
    benchmark:
        "results/benchmarks/prepare_corpus/{lang}/{split}-student.tsv"
    wildcard_constraints:
        split="train",
    params:
        subsample=(
            f"--max-sentences {config['data']['max_sentences']['student']}"
            if config["data"]["max_sentences"].get("student")
            else ""
        ),
