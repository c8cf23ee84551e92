# Multi-source (§3.2): sentence embeddings, teacher weights α, and the Eq. 6 mixtures.


rule embed:
    input:
        corpus="results/corpora/{lang}/train.json",
        encoder=encoder_input(TEACHER_ENCODER),
        code=code("embed"),
    output:
        "results/embeddings/{lang}/train.h5",
    log:
        "results/logs/embed/{lang}.log",
    benchmark:
        "results/benchmarks/embed/{lang}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=6000, runtime=60),
    params:
        encoder=encoder_path(TEACHER_ENCODER),
        runtime=RUNTIME_FLAGS,
        batch_size=config["eval_batch_size"],
        max_length=config["max_length"],
    shell:
        "xner embed --encoder {params.encoder} --corpus {input.corpus} --out {output}"
        " --batch-size {params.batch_size} --max-length {params.max_length}"
        " {params.runtime} --threads {threads} 2> {log}"


rule alpha:
    input:
        embeddings=alpha_embeddings,
        code=code("similarity"),
    output:
        "results/alpha/{method}/{tgt}/seed{seed}.json",
    log:
        "results/logs/alpha/{method}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/alpha/{method}/{tgt}/seed{seed}.tsv"
    wildcard_constraints:
        method="sim|cosine|l2",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        flags=alpha_flags,
    shell:
        "xner alpha --method {wildcards.method} --target {wildcards.tgt} {params.flags}"
        " --out {output} 2> {log}"


# α of avg is 1/K per source: a second's work, run where Snakemake runs (localrules in common.smk).
use rule alpha as alpha_avg with:
    output:
        "results/alpha/{method}/{tgt}/seed{seed}.json",
    log:
        "results/logs/alpha/{method}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/alpha_avg/{method}/{tgt}/seed{seed}.tsv"
    wildcard_constraints:
        method="avg",


rule combine_softlabels:
    input:
        unpack(teacher_files("results/softlabels/{src}/{tgt}/seed{seed}.h5")),
        alpha="results/alpha/{method}/{tgt}/seed{seed}.json",
        corpus=STUDENT_TEXT,
        code=code("combine"),
    output:
        "results/softlabels/multi-{method}/{tgt}/seed{seed}.h5",
    log:
        "results/logs/combine/softlabels-{method}/{tgt}/seed{seed}.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        inputs=lambda wc, input: " ".join(
            f"--input {s}={input[s]}" for s in sources_of(wc.tgt)
        ),
    shell:
        "xner combine --alpha {input.alpha} {params.inputs} --expect-corpus {input.corpus}"
        " --out {output} 2> {log}"


# MT-avg / MT-sim (Table 4): the weighted teachers applied to the target test set, no student.
use rule combine_softlabels as predict_mt with:
    input:
        unpack(
            teacher_files(
                "results/predictions/teacher-{src}/{tgt}/seed{seed}/{split}.h5"
            )
        ),
        alpha="results/alpha/{method}/{tgt}/seed{seed}.json",
        corpus="results/corpora/{tgt}/{split}.json",
        code=code("combine"),
    output:
        "results/predictions/mt-{method}/{tgt}/seed{seed}/{split}.h5",
    log:
        "results/logs/combine/mt-{method}/{tgt}/seed{seed}/{split}.log",
