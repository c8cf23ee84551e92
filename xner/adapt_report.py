"""An adaptation's label-free report (docs/adapt.md#what-comes-out): what the student and its
teachers believe about the target's text, where no gold tags exist to score them.

Everything here is read from word-probability files of the text (each teacher's soft labels, their
mixture, the student's own predictions), the text's tag-free corpus, α and the student's training
summary; no file holding tags is ever opened.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from seqeval.metrics.sequence_labeling import get_entities

from .checks import read_json
from .corpus import read_corpus_tokens
from .errors import XnerError
from .io import atomic_output
from .metrics import score
from .plots import _colors, _pyplot
from .softlabels import WordProbs

MIXTURE, STUDENT = "mixture", "student"
HISTOGRAM_BINS = np.linspace(0, 1, 21)  # max probability, in steps of 0.05
NOT_SEEN = "The student never saw target-language gold tags: the text was read as tokens only, and its only training input is the teachers' probabilities on those tokens."


# --- pure functions over tags and probabilities -----------------------------------------------


def entity_types(label_names) -> list[str]:
    """The entity types of a label set, in its order (PER, ORG, LOC, MISC for the workflow's)."""
    return list(dict.fromkeys(label[2:] for label in label_names if label != "O"))


def entity_counts(tags_by_system: dict, types) -> pd.DataFrame:
    """Entities per type (seqeval's default mode) of each system: one row per system."""
    rows = []
    for system, tag_lists in tags_by_system.items():
        found = [kind for kind, _, _ in get_entities([list(t) for t in tag_lists])]
        rows.append({"system": system, **{kind: found.count(kind) for kind in types}, "all": len(found)})
    return pd.DataFrame(rows)


def entity_f1(reference, other) -> float:
    """seqeval's micro F1 (default mode) of `other` against `reference`; NaN where neither holds an
    entity, since two systems that find nothing agree rather than score 0."""
    scores = score(reference, other)
    if not scores["n_gold_entities"] and not scores["n_pred_entities"]:
        return float("nan")
    return scores["default"]["f1"]


def pairwise_agreement(tags_by_system: dict) -> pd.DataFrame:
    """For each pair of systems: the share of words with the same argmax label, and entity F1 of
    the second against the first as reference (micro F1 is the same either way round)."""
    names, rows = list(tags_by_system), []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = tags_by_system[first], tags_by_system[second]
            words = sum(len(s) for s in a)
            same = sum(x == y for s, t in zip(a, b) for x, y in zip(s, t))
            rows.append({
                "reference": first, "other": second, "word_agreement": same / words if words else float("nan"),
                "entity_f1": entity_f1(a, b),
            })
    return pd.DataFrame(rows, columns=["reference", "other", "word_agreement", "entity_f1"])


def confidence_histogram(probs_by_system: dict, bins=HISTOGRAM_BINS) -> pd.DataFrame:
    """Words per bin of their highest label probability, one column per system (float32 rows may
    sum a hair above 1, hence the clip: every word lands in a bin)."""
    counts = {system: np.histogram(np.clip(probs.max(axis=1), 0, 1), bins=bins)[0] for system, probs in probs_by_system.items()}
    table = pd.DataFrame(counts)
    table.insert(0, "max_probability", [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(bins[:-1], bins[1:])])
    return table


def agreement_curve(history) -> pd.DataFrame:
    """The agreement-set measurements of a training summary's history, in step order."""
    rows = [
        {"step": r["step"], "epoch": r.get("epoch"), "entity_agreement": r["heldout_entity_agreement"],
         "mse": r.get("heldout_mse"), "kl": r.get("heldout_kl")}
        for r in history if r.get("heldout_entity_agreement") is not None
    ]
    return pd.DataFrame(rows, columns=["step", "epoch", "entity_agreement", "mse", "kl"])


def example_indices(entity_sentences, n_sentences: int, n: int, seed: int) -> list[int]:
    """`n` sentences (all when fewer), drawn with `seed`: sentences with an entity first, the
    others only to make up the number; returned in text order."""
    with_entities = sorted(set(entity_sentences))
    others = sorted(set(range(n_sentences)) - set(with_entities))
    rng = np.random.default_rng(seed)
    chosen = list(rng.choice(with_entities, size=min(n, len(with_entities)), replace=False)) if with_entities else []
    rest = n - len(chosen)
    if rest > 0 and others:
        chosen += list(rng.choice(others, size=min(rest, len(others)), replace=False))
    return sorted(int(i) for i in chosen)


def tagged(words, probs, label_names) -> str:
    """A sentence in the style of the paper's Figure 4: each word with its argmax label and probability."""
    return " ".join(f"{w} [{label_names[row.argmax()]} {row.max():.2f}]" for w, row in zip(words, probs))


# --- reading the inputs ------------------------------------------------------------------------


def read_systems(corpus_path, teachers: dict, mixture, student_probs) -> tuple[dict, dict]:
    """(text header, {system: WordProbs}) with every file checked to be of the same text and labels."""
    header = {k: v for k, v in read_json(corpus_path, "corpus JSON file").items() if k != "sentences"}
    corpus = read_corpus_tokens(corpus_path)
    if MIXTURE in teachers or STUDENT in teachers:
        raise XnerError("--teacher", f"a teacher may not be called {MIXTURE!r} or {STUDENT!r}", "rename it")
    paths = {**teachers, MIXTURE: mixture, STUDENT: student_probs}
    systems = {name: WordProbs(path, for_corpus=corpus) for name, path in paths.items()}
    labels = systems[MIXTURE].label_names
    for probs in systems.values():
        if probs.label_names != labels:
            raise XnerError(probs.path, f"labels {probs.label_names} differ from the mixture's {labels}", "give files of one label set")
    return header, systems


def read_alpha(alpha_path, teachers) -> tuple[str, dict]:
    alpha = read_json(alpha_path, "alpha JSON file")
    weights = alpha.get("alpha", {}) if isinstance(alpha, dict) else {}
    if sorted(weights) != sorted(teachers):
        raise XnerError(alpha_path, f"weights teachers {sorted(weights)} but the --teacher files are of {sorted(teachers)}", "give the α of these teachers")
    return alpha.get("method", "?"), {t: float(weights[t]) for t in teachers}


def read_training_summary(student_folder) -> dict:
    path = Path(student_folder) / "training_summary.json"
    if not path.is_file():
        raise XnerError(student_folder, "has no training_summary.json", "give the student folder that `xner adapt-student` wrote")
    summary = read_json(path, "training summary")
    if summary.get("role") != "student":
        raise XnerError(path, f"is the summary of a {summary.get('role')!r}, not a student", "give the adaptation's student folder")
    return summary


# --- the report ----------------------------------------------------------------------------------


def _markdown(table: pd.DataFrame) -> str:
    # tabulate would print a whole table's integers (steps, counts) with the floats' decimals.
    formats = tuple(".0f" if pd.api.types.is_integer_dtype(table[c]) else ".4f" for c in table.columns)
    return table.to_markdown(index=False, floatfmt=formats) + "\n"


def _curve_figure(curve: pd.DataFrame, out_png) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(curve["step"], curve["entity_agreement"], marker="o", markersize=3)
    ax.set_xlabel("training step")
    ax.set_ylabel("entity agreement with the mixture")
    ax.set_ylim(0, 1.02)
    ax.set_title("agreement set: words the mixture calls an entity, same argmax", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, format="png", dpi=110)
    plt.close(fig)


def _histogram_figure(histogram: pd.DataFrame, bins, out_png) -> None:
    plt = _pyplot()
    systems = list(histogram.columns[1:])
    colors = _colors(systems)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    centres = (bins[:-1] + bins[1:]) / 2
    for system in systems:
        share = histogram[system] / max(1, histogram[system].sum())
        ax.plot(centres, share, drawstyle="steps-mid", color=colors[system], label=system,
                linewidth=2.2 if system in (MIXTURE, STUDENT) else 1.2)
    ax.set_xlabel("a word's highest label probability")
    ax.set_ylabel("share of the text's words")
    ax.set_xlim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, format="png", dpi=110)
    plt.close(fig)


def write_report(name, corpus_path, teachers: dict, mixture, student_probs, student_folder, alpha_path, out,
                 examples: int = 20, seed: int = 0) -> None:
    """Write `out`/ (report.md, agreement.png, confidence.png) at once: an interrupted run leaves none."""
    header, systems = read_systems(corpus_path, teachers, mixture, student_probs)
    method, alpha = read_alpha(alpha_path, teachers)
    summary = read_training_summary(student_folder)
    labels = systems[MIXTURE].label_names
    tags = {system: probs.tag_lists() for system, probs in systems.items()}
    words = systems[MIXTURE].token_lists()

    curve = agreement_curve(summary.get("history", []))
    held = (summary.get("agreement_set") or {}).get("indices") or []
    if any(not 0 <= i < len(words) for i in held):
        raise XnerError(student_folder, f"its agreement set names sentences beyond the text's {len(words)}", "give the student trained on this text")
    counts = entity_counts(tags, entity_types(labels))
    pairs = pairwise_agreement({t: tags[t] for t in teachers} | {MIXTURE: tags[MIXTURE], STUDENT: tags[STUDENT]})
    histogram = confidence_histogram({system: probs.probs for system, probs in systems.items()})
    entity_sentences = [i for i, (s, m) in enumerate(zip(tags[STUDENT], tags[MIXTURE])) if any(t != "O" for t in s + m)]
    chosen = example_indices(entity_sentences, len(words), examples, seed)

    text_hash = f"`{header['text_sha256']}`" if header.get("text_sha256") else "none (read from the hub)"
    lines = [
        f"# Adaptation `{name}`: what the student and its teachers believe", "",
        f"**{NOT_SEEN}** There is no gold here: every figure below compares systems with each other.", "",
        f"- text: {header.get('source', '?')}",
        f"- sha256 of the file: {text_hash}; sha256 of the tokens: `{header['tokens_sha256']}`",
        f"- {len(words)} sentences, {sum(map(len, words))} words",
        f"- teachers (weighting `{method}`): " + ", ".join(f"{t} α = {alpha[t]:.4f}" for t in teachers), "",
        "## Agreement of the student with the mixture during training", "",
    ]
    if len(held) and len(curve):
        f1 = entity_f1([tags[MIXTURE][i] for i in held], [tags[STUDENT][i] for i in held])
        lines += [
            f"Measured on {len(held)} held-out soft-labelled sentences the student never trained on: entity agreement is"
            " the share of the words the mixture calls an entity where the student's argmax is the same label."
            f" Entity F1 of the finished student against the mixture's argmax tags there: **{f1:.4f}** (seqeval, default mode).", "",
            "![agreement curve](agreement.png)", "", _markdown(curve),
        ]
        if curve["entity_agreement"].isna().any():
            lines += ["nan: the mixture's argmax marks no word of the agreement set as an entity there, so entity agreement is undefined.", ""]
    else:
        lines += ["No agreement set was held out (agreement_sentences: 0), so no curve was measured.", ""]
    lines += [
        "## How often the systems agree on the text", "",
        "Word agreement: share of words with the same argmax label; entity F1: seqeval (default mode) of `other`"
        " against `reference` (micro F1 is the same either way round); nan where neither finds an entity.", "", _markdown(pairs),
        "## Entities per type", "", "Entities (seqeval, default mode) in the argmax tags of each system over the whole text.", "",
        _markdown(counts),
        "## Confidence", "", "Each word's highest label probability in bins of 0.05: the figure shows the share of the text's words per bin,"
        " the table the number of words.", "",
        "![confidence histogram](confidence.png)", "", _markdown(histogram),
        f"## {len(chosen)} example sentences", "",
        f"Drawn with seed {seed}, sentences where the student or the mixture finds an entity first. Each word carries"
        " its argmax label and that label's probability: `student` first, the `mixture` that taught it beside.", "",
    ]
    for i in chosen:
        rows = systems[STUDENT].sentence_slice(i)
        lines += [
            f"Sentence {i}:", "", "```text",
            f"student  {tagged(words[i], systems[STUDENT].probs[rows], labels)}",
            f"mixture  {tagged(words[i], systems[MIXTURE].probs[rows], labels)}", "```", "",
        ]
    with atomic_output(out, directory=True) as tmp:
        if len(held) and len(curve):
            _curve_figure(curve, Path(tmp) / "agreement.png")
        _histogram_figure(histogram, HISTOGRAM_BINS, Path(tmp) / "confidence.png")
        (Path(tmp) / "report.md").write_text("\n".join(lines), encoding="utf-8")
