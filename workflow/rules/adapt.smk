# Adaptation (config `adapt`, docs/adapt.md): a student for a language that has only raw text. The
# text becomes a tag-free corpus; each teacher (trained here, or a given model whose labels are
# mapped onto `labels`) labels it; α weights them; their mixture teaches the student. A labelled
# test file is read by the scoring rules at the end only.
ADAPT_CODE = code("adapt")


rule adapt_text:
    input:
        data=lambda wc: adapt_text_file(ADAPT[wc.name]["text"]),
        code=ADAPT_CODE,
    output:
        "results/adapt/{name}/text.json",
    log:
        "results/logs/adapt/{name}/text.log",
    benchmark:
        "results/benchmarks/adapt/{name}/text.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        spec=lambda wc: json.dumps(ADAPT[wc.name]["text"]),
        labels=",".join(config["labels"]),
        subsample=lambda wc: adapt_subsample(wc.name),
        seed=lambda wc: ADAPT[wc.name]["subsample_seed"],
    shell:
        "xner adapt-text --name {wildcards.name} --spec {params.spec:q} --labels {params.labels}"
        " {params.subsample} --seed {params.seed} --out {output} 2> {log}"


# A given model's source-language text, for α by sim, cosine or l2.
rule adapt_source_text:
    input:
        data=lambda wc: adapt_text_file(adapt_teacher(wc)["source_text"]),
        code=ADAPT_CODE,
    output:
        "results/adapt/{name}/sources/{teacher}.json",
    log:
        "results/logs/adapt/{name}/sources/{teacher}.log",
    benchmark:
        "results/benchmarks/adapt/{name}/sources/{teacher}.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        spec=lambda wc: json.dumps(adapt_teacher(wc)["source_text"]),
        labels=",".join(config["labels"]),
        subsample=lambda wc: adapt_subsample(wc.name),
        seed=lambda wc: ADAPT[wc.name]["subsample_seed"],
    shell:
        "xner adapt-text --name {wildcards.teacher} --split source --spec {params.spec:q}"
        " --labels {params.labels} {params.subsample} --seed {params.seed} --out {output} 2> {log}"


rule adapt_softlabels:
    input:
        model=adapt_teacher_model,
        corpus="results/adapt/{name}/text.json",
        code=ADAPT_CODE,
    output:
        "results/adapt/{name}/softlabels/{teacher}.h5",
    log:
        "results/logs/adapt/{name}/softlabels/{teacher}.log",
    benchmark:
        "results/benchmarks/adapt/{name}/softlabels/{teacher}.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=6000, runtime=60),
    params:
        teacher=adapt_predict_flags,
        labels=",".join(config["labels"]),
        runtime=RUNTIME_FLAGS,
        batch_size=config["eval_batch_size"],
        max_length=config["max_length"],
    shell:
        "xner adapt-predict {params.teacher} --labels {params.labels}"
        " --corpus {input.corpus} --out {output}"
        " --batch-size {params.batch_size} --max-length {params.max_length}"
        " {params.runtime} --threads {threads} 2> {log}"


use rule embed as adapt_embed_text with:
    input:
        corpus="results/adapt/{name}/text.json",
        encoder=encoder_input(TEACHER_ENCODER),
        code=code("embed"),
    output:
        "results/adapt/{name}/embeddings/text.h5",
    log:
        "results/logs/adapt/{name}/embed-text.log",
    benchmark:
        "results/benchmarks/adapt/{name}/embed-text.tsv"


use rule embed as adapt_embed_source with:
    input:
        corpus="results/adapt/{name}/sources/{teacher}.json",
        encoder=encoder_input(TEACHER_ENCODER),
        code=code("embed"),
    output:
        "results/adapt/{name}/embeddings/teachers/{teacher}.h5",
    log:
        "results/logs/adapt/{name}/embed-{teacher}.log",
    benchmark:
        "results/benchmarks/adapt/{name}/embed-{teacher}.tsv"


rule adapt_alpha:
    input:
        embeddings=adapt_alpha_inputs,
        code=code("similarity"),
    output:
        "results/adapt/{name}/alpha.json",
    log:
        "results/logs/adapt/{name}/alpha.log",
    benchmark:
        "results/benchmarks/adapt/{name}/alpha.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        method=lambda wc: ADAPT[wc.name]["weighting"],
        flags=adapt_alpha_flags,
    shell:
        "xner alpha --method {params.method} --target {wildcards.name} {params.flags}"
        " --out {output} 2> {log}"


rule adapt_mixture:
    input:
        unpack(adapt_teacher_outputs("results/adapt/{name}/softlabels/{teacher}.h5")),
        alpha="results/adapt/{name}/alpha.json",
        corpus="results/adapt/{name}/text.json",
        code=code("combine"),
    output:
        "results/adapt/{name}/mixture.h5",
    log:
        "results/logs/adapt/{name}/mixture.log",
    benchmark:
        "results/benchmarks/adapt/{name}/mixture.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        inputs=adapt_inputs_flag(
            "--input", "results/adapt/{name}/softlabels/{teacher}.h5"
        ),
    shell:
        "xner combine --alpha {input.alpha} {params.inputs} --expect-corpus {input.corpus}"
        " --out {output} 2> {log}"


rule adapt_student:
    input:
        unpack(adapt_teacher_outputs("results/adapt/{name}/softlabels/{teacher}.h5")),
        mixture="results/adapt/{name}/mixture.h5",
        alpha="results/adapt/{name}/alpha.json",
        corpus="results/adapt/{name}/text.json",
        start=adapt_start_teachers,
        encoder=encoder_input(STUDENT_ENCODER),
        code=ADAPT_CODE,
    output:
        directory("results/adapt/{name}/student"),
    log:
        "results/logs/adapt/{name}/student.log",
    benchmark:
        "results/benchmarks/adapt/{name}/student.tsv"
    conda:
        "../../envs/xner.yaml"
    threads: config["threads"]
    resources:
        **network_resources(mem_mb=8000, runtime=240),
    params:
        encoder=encoder_path(STUDENT_ENCODER),
        hyper=adapt_student_flags,
        teachers=adapt_inputs_flag(
            "--teacher", "results/adapt/{name}/softlabels/{teacher}.h5"
        ),
        seed=lambda wc: ADAPT[wc.name]["seed"],
        runtime=RUNTIME_FLAGS,
    shell:
        "xner adapt-student --name {wildcards.name} --encoder {params.encoder}"
        " --softlabels {input.mixture} --corpus {input.corpus} --alpha {input.alpha} {params.teachers}"
        " --seed {params.seed} {params.hyper} {params.runtime} --threads {threads}"
        " --out {output} 2> {log}"


# --- Scoring: only with a labelled test file, and only after the student exists. ---------------


rule adapt_test:
    input:
        test=lambda wc: ADAPT[wc.name]["test"]["path"],
        student="results/adapt/{name}/student",  # gold tags are read only once the student exists
        code=ADAPT_CODE,
    output:
        "results/adapt/{name}/test/gold.json",
    log:
        "results/logs/adapt/{name}/test.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        encoding=lambda wc: ADAPT[wc.name]["test"].get("encoding", "utf-8"),
        scheme=lambda wc: ADAPT[wc.name]["test"].get("scheme", "auto"),
        labels=",".join(config["labels"]),
    shell:
        "xner adapt-test --name {wildcards.name} --test {input.test} --encoding {params.encoding}"
        " --scheme {params.scheme} --labels {params.labels} --out {output} 2> {log}"


use rule adapt_softlabels as adapt_predict_teacher with:
    input:
        model=adapt_teacher_model,
        corpus="results/adapt/{name}/test/gold.json",
        code=ADAPT_CODE,
    output:
        "results/adapt/{name}/test/teachers/{teacher}.h5",
    log:
        "results/logs/adapt/{name}/test/{teacher}.log",
    benchmark:
        "results/benchmarks/adapt/{name}/test/{teacher}.tsv"


use rule adapt_mixture as adapt_predict_ensemble with:
    input:
        unpack(adapt_teacher_outputs("results/adapt/{name}/test/teachers/{teacher}.h5")),
        alpha="results/adapt/{name}/alpha.json",
        corpus="results/adapt/{name}/test/gold.json",
        code=code("combine"),
    output:
        "results/adapt/{name}/test/ensemble.h5",
    log:
        "results/logs/adapt/{name}/test/ensemble.log",
    benchmark:
        "results/benchmarks/adapt/{name}/test/ensemble.tsv"
    params:
        inputs=adapt_inputs_flag(
            "--input", "results/adapt/{name}/test/teachers/{teacher}.h5"
        ),


rule adapt_predict_student:
    input:
        model="results/adapt/{name}/student",
        corpus="results/adapt/{name}/test/gold.json",
        code=PREDICT_CODE,
    output:
        "results/adapt/{name}/test/student.h5",
    log:
        "results/logs/adapt/{name}/test/student.log",
    benchmark:
        "results/benchmarks/adapt/{name}/test/student.tsv"
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


# Each teacher alone (MT), the α-weighted ensemble and the student, with the paired bootstrap of
# the student against each; the log repeats the table, so the run shows the comparison.
rule adapt_scores:
    input:
        unpack(adapt_teacher_outputs("results/adapt/{name}/test/teachers/{teacher}.h5")),
        ensemble="results/adapt/{name}/test/ensemble.h5",
        student="results/adapt/{name}/test/student.h5",
        gold="results/adapt/{name}/test/gold.json",
        code=ADAPT_CODE,
    output:
        csv="results/adapt/{name}/scores.csv",
        md="results/adapt/{name}/scores.md",
    log:
        "results/logs/adapt/{name}/scores.log",
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        systems=adapt_inputs_flag(
            "--system", "results/adapt/{name}/test/teachers/{teacher}.h5"
        ),
    shell:
        "xner adapt-scores --gold {input.gold} {params.systems} --system ensemble={input.ensemble}"
        " --system student={input.student} --student student --out {output.csv} 2> {log}"
        " && cat {output.md} >&2"


# --- The report: from the text alone, no test file needed. -----------------------------------


# The student's own predictions on the text, for the report beside its teachers' soft labels.
use rule adapt_predict_student as adapt_student_on_text with:
    input:
        model="results/adapt/{name}/student",
        corpus="results/adapt/{name}/text.json",
        code=PREDICT_CODE,
    output:
        "results/adapt/{name}/student_on_text.h5",
    log:
        "results/logs/adapt/{name}/student_on_text.log",
    benchmark:
        "results/benchmarks/adapt/{name}/student_on_text.tsv"


# What the student and its teachers believe about the text, with no gold: agreement curve, how
# often the systems agree, entities per type, confidence, tagged examples (docs/adapt.md).
rule adapt_report:
    input:
        unpack(adapt_teacher_outputs("results/adapt/{name}/softlabels/{teacher}.h5")),
        mixture="results/adapt/{name}/mixture.h5",
        student_probs="results/adapt/{name}/student_on_text.h5",
        student="results/adapt/{name}/student",
        alpha="results/adapt/{name}/alpha.json",
        corpus="results/adapt/{name}/text.json",
        code=code("adapt_report"),
    output:
        directory("results/adapt/{name}/report"),
    log:
        "results/logs/adapt/{name}/report.log",
    benchmark:
        "results/benchmarks/adapt/{name}/report.tsv"
    conda:
        "../../envs/xner.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        teachers=adapt_inputs_flag(
            "--teacher", "results/adapt/{name}/softlabels/{teacher}.h5"
        ),
        seed=lambda wc: ADAPT[wc.name]["seed"],
    shell:
        "xner adapt-report --name {wildcards.name} --corpus {input.corpus} {params.teachers}"
        " --mixture {input.mixture} --student-probs {input.student_probs} --student {input.student}"
        " --alpha {input.alpha} --seed {params.seed} --out {output} 2> {log}"


rule adapt:
    input:
        adapt_outputs(),
