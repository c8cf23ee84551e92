rule train_teacher:
    input:
        train="results/corpora/{src}/train.json",
        dev="results/corpora/{src}/dev.json",
        encoder=encoder_input(TEACHER_ENCODER),
        code=code("teacher"),
    output:
        directory("results/teachers/{src}/seed{seed}"),
    log:
        "results/logs/train_teacher/{src}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_teacher/{src}/seed{seed}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=8000, runtime=240),
    params:
        encoder=encoder_path(TEACHER_ENCODER),
        hyper=training_flags("teacher"),
        runtime=RUNTIME_FLAGS,
        eval_batch_size=config["eval_batch_size"],
    shell:
        "xner train-teacher --encoder {params.encoder} --train {input.train} --dev {input.dev}"
        " --seed {wildcards.seed} {params.hyper} {params.runtime} --threads {threads}"
        " --eval-batch-size {params.eval_batch_size} --out {output} 2> {log}"
