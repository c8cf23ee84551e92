# Multi-source (§3.2): sentence embeddings, teacher weights α, and the Eq. 6 mixtures.


rule embed:
    output:
        "results/embeddings/{lang}/train.h5",
    input:
        corpus="results/corpora/{lang}/train.json",
        encoder=encoder_input(TEACHER_ENCODER),
        code=code("embed", "corpus", "device"),
    params:
        encoder=encoder_path(TEACHER_ENCODER),
        runtime=RUNTIME_FLAGS,
        batch_size=config["eval_batch_size"],
        max_length=config["max_length"],
    threads: config["threads"]
    log:
        "results/logs/embed/{lang}.log",
    benchmark:
        "results/benchmarks/embed/{lang}.tsv"
    resources:
        **network_resources(mem_mb=6000, runtime=60),
    shell:
        "xner embed --encoder {params.encoder} --corpus {input.corpus} --out {output}"
        " --batch-size {params.batch_size} --max-length {params.max_length}"
        " {params.runtime} --threads {threads} 2> {log}"


def alpha_embeddings(wc):
    if wc.method == "avg":
        return []
    return [f"results/embeddings/{lang}/train.h5" for lang in sources_of(wc.tgt) + [wc.tgt]]


def alpha_flags(wc):
    sources = sources_of(wc.tgt)
    if wc.method == "avg":
        return " ".join(f"--source {s}" for s in sources)
    flags = [f"--source {s}=results/embeddings/{s}/train.h5" for s in sources]
    flags.append(f"--target-embeddings results/embeddings/{wc.tgt}/train.h5")
    if wc.method == "sim":
        sim = config["similarity"]
        flags += [
            f"--rank {sim['rank']} --gamma {sim['gamma']} --regularizer {sim['regularizer']}",
            f"--epochs {sim['epochs']} --lr {sim['lr']} --weight-decay {sim['weight_decay']}",
            f"--batch-size {sim['batch_size']} --seed {wc.seed} {RUNTIME_FLAGS}",
        ]
    return " ".join(flags)


rule alpha:
    output:
        "results/alpha/{method}/{tgt}/seed{seed}.json",
    input:
        embeddings=alpha_embeddings,
        code=code("similarity", "embed", "device"),
    params:
        flags=alpha_flags,
    log:
        "results/logs/alpha/{method}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/alpha/{method}/{tgt}/seed{seed}.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "xner alpha --method {wildcards.method} --target {wildcards.tgt} {params.flags}"
        " --out {output} 2> {log}"


def teacher_files(pattern):
    def inputs(wc):
        return {s: pattern.format(src=s, tgt=wc.tgt, seed=wc.seed, split=getattr(wc, "split", "")) for s in sources_of(wc.tgt)}

    return inputs


rule combine_softlabels:
    output:
        "results/softlabels/multi-{method}/{tgt}/seed{seed}.h5",
    input:
        unpack(teacher_files("results/softlabels/{src}/{tgt}/seed{seed}.h5")),
        alpha="results/alpha/{method}/{tgt}/seed{seed}.json",
        code=code("combine", "softlabels"),
    params:
        inputs=lambda wc, input: " ".join(f"--input {s}={input[s]}" for s in sources_of(wc.tgt)),
    log:
        "results/logs/combine/softlabels-{method}/{tgt}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=10,
    shell:
        "xner combine --alpha {input.alpha} {params.inputs} --out {output} 2> {log}"


# MT-avg / MT-sim (Table 4): the weighted teachers applied to the target test set, no student.
use rule combine_softlabels as predict_mt with:
    output:
        "results/predictions/mt-{method}/{tgt}/seed{seed}/{split}.h5",
    input:
        unpack(teacher_files("results/predictions/teacher-{src}/{tgt}/seed{seed}/{split}.h5")),
        alpha="results/alpha/{method}/{tgt}/seed{seed}.json",
        code=code("combine", "softlabels"),
    log:
        "results/logs/combine/mt-{method}/{tgt}/seed{seed}/{split}.log",
