# Every model's output on a corpus is a word-probability HDF5 file. A teacher's on the target
# TRAIN split is its soft labels (results/softlabels); on dev/test they are predictions to score.
PREDICT_CODE = code("apply")


rule softlabels:
    input:
        model="results/teachers/{src}/seed{seed}",
        corpus=STUDENT_TEXT,
        code=PREDICT_CODE,
    output:
        "results/softlabels/{src}/{tgt}/seed{seed}.h5",
    log:
        "results/logs/softlabels/{src}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/softlabels/{src}/{tgt}/seed{seed}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=6000, runtime=60),
    params:
        runtime=RUNTIME_FLAGS,
        batch_size=config["eval_batch_size"],
        max_length=config["max_length"],
    shell:
        "xner predict --model {input.model} --corpus {input.corpus} --out {output}"
        " --batch-size {params.batch_size} --max-length {params.max_length}"
        " {params.runtime} --threads {threads} 2> {log}"


# A model's dev and test predictions come from one job: loading torch, transformers and the
# weights takes a CPU job about 8 s, two thirds of predicting a dev set
# (docs/experiments.md#on-the-amd-epyc-quiet).
rule predict_teacher:
    input:
        model="results/teachers/{src}/seed{seed}",
        corpora=["results/corpora/{tgt}/dev.json", "results/corpora/{tgt}/test.json"],
        code=PREDICT_CODE,
    output:
        dev="results/predictions/teacher-{src}/{tgt}/seed{seed}/dev.h5",
        test="results/predictions/teacher-{src}/{tgt}/seed{seed}/test.h5",
    log:
        "results/logs/predict/teacher-{src}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/predict/teacher-{src}/{tgt}/seed{seed}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=6000, runtime=60),
    params:
        runtime=RUNTIME_FLAGS,
        batch_size=config["eval_batch_size"],
        max_length=config["max_length"],
    shell:
        "xner predict --model {input.model}"
        " --corpus {input.corpora[0]} --out {output.dev} --corpus {input.corpora[1]} --out {output.test}"
        " --batch-size {params.batch_size} --max-length {params.max_length}"
        " {params.runtime} --threads {threads} 2> {log}"


use rule predict_teacher as predict_student with:
    input:
        model="results/students/{kind}-{teachers}/{tgt}/seed{seed}",
        corpora=["results/corpora/{tgt}/dev.json", "results/corpora/{tgt}/test.json"],
        code=PREDICT_CODE,
    output:
        dev="results/predictions/student-{kind}-{teachers}/{tgt}/seed{seed}/dev.h5",
        test="results/predictions/student-{kind}-{teachers}/{tgt}/seed{seed}/test.h5",
    log:
        "results/logs/predict/student-{kind}-{teachers}/{tgt}/seed{seed}.log",
    benchmark:
        "results/benchmarks/predict/student-{kind}-{teachers}/{tgt}/seed{seed}.tsv"


rule score:
    input:
        dev_pred="results/predictions/{system}/{tgt}/seed{seed}/dev.h5",
        test_pred="results/predictions/{system}/{tgt}/seed{seed}/test.h5",
        dev_gold="results/corpora/{tgt}/dev.json",
        test_gold="results/corpora/{tgt}/test.json",
        code=code("evaluate"),
    output:
        "results/metrics/{system}/{tgt}/seed{seed}.json",
    log:
        "results/logs/score/{system}/{tgt}/seed{seed}.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "xner score --system {wildcards.system} --target {wildcards.tgt} --seed {wildcards.seed}"
        " --split dev={input.dev_pred},{input.dev_gold} --split test={input.test_pred},{input.test_gold}"
        " --out {output} 2> {log}"
