def student_softlabels(wc):
    """Single-source students learn from one teacher's file, multi-source ones from the Eq. 6 mix."""
    if wc.teachers in LANGS:
        return f"results/softlabels/{wc.teachers}/{wc.tgt}/seed{wc.seed}.h5"
    return f"results/softlabels/multi-{wc.teachers}/{wc.tgt}/seed{wc.seed}.h5"


rule train_student:
    output:
        directory("results/students/{kind}-{teachers}/{tgt}/seed{seed}"),
    input:
        softlabels=student_softlabels,
        encoder=encoder_input(STUDENT_ENCODER),
        code=code("student", "train", "softlabels", *NETWORK_CODE),
    params:
        encoder=encoder_path(STUDENT_ENCODER),
        hyper=training_flags("student"),
        runtime=RUNTIME_FLAGS,
        hard=lambda wc: "--hard" if wc.kind == "hl" else "",
    threads: config["threads"]
    log:
        "results/logs/train_student/{kind}-{teachers}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_student/{kind}-{teachers}/{tgt}/seed{seed}.tsv"
    resources:
        **network_resources(mem_mb=8000, runtime=240),
    shell:
        "xner train-student --encoder {params.encoder} --softlabels {input.softlabels} {params.hard}"
        " --seed {wildcards.seed} {params.hyper} {params.runtime} --threads {threads}"
        " --out {output} 2> {log}"
