rule train_student:
    input:
        softlabels=student_softlabels,
        start=student_start_teachers,
        corpus=STUDENT_TEXT,
        encoder=encoder_input(STUDENT_ENCODER),
        code=code("student"),
    output:
        directory("results/students/{kind}-{teachers}/{tgt}/seed{seed}"),
    log:
        "results/logs/train_student/{kind}-{teachers}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_student/{kind}-{teachers}/{tgt}/seed{seed}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=8000, runtime=240),
    params:
        encoder=encoder_path(STUDENT_ENCODER),
        hyper=training_flags("student"),
        runtime=RUNTIME_FLAGS,
        targets=student_targets,
    shell:
        "xner train-student --encoder {params.encoder} --softlabels {input.softlabels} {params.targets}"
        " --expect-corpus {input.corpus}"
        " --seed {wildcards.seed} {params.hyper} {params.runtime} --threads {threads}"
        " --out {output} 2> {log}"
