"""The model card (README.md) of a teacher or student folder, written from its training summary.

Everything on the card comes from the summary that `save_model` also writes as
training_summary.json, so a new summary field only needs a line here to show.
"""

from pathlib import Path

from . import __version__

PAPER = "Wu et al. (2020), Single-/Multi-Source Cross-Lingual NER via Teacher-Student Learning on Unlabeled Data in Target Language, ACL 2020"
HOW_TO_LOAD = (
    "A standard Hugging Face token-classification folder: `AutoModelForTokenClassification` or"
    " `xner tag --model <this folder>` load it. For entities by words in `transformers`:"
    " `pipeline(\"token-classification\", model=<this folder>, pipeline_class=xner.hf_pipeline.WordTokenClassificationPipeline)`."
)


def _last(history, key):
    values = [h[key] for h in history if key in h]
    return values[-1] if values else None


def _front_matter(summary, lang) -> str:
    lines = ["---", "library_name: transformers", "pipeline_tag: token-classification"]
    if lang:
        lines.append(f"language: [{lang}]")
    lines += ["tags: [ner, cross-lingual, xner, " + summary["role"] + "]", "---", ""]
    return "\n".join(lines)


def _data_section(summary):
    if summary["role"] == "teacher":
        train, dev = summary["train_corpus"], summary["dev_corpus"]
        return [
            f"- Trained on gold tags of the **{train['lang']}** train corpus `{train['path']}`"
            f" ({train['n_sentences']} sentences, sha256 `{train['sha256'][:16]}…`).",
            f"- Learning curve on the {dev['lang']} dev corpus `{dev['path']}` (source language only).",
        ]
    soft = summary["softlabels"]
    lines = [
        f"- Trained on the **{summary['targets']}** targets of the soft-label file `{soft['path']}`:"
        f" the teachers' distributions over the words of the {soft.get('lang')} {soft.get('split')} text"
        f" (tokens sha256 `{str(soft.get('tokens_sha256'))[:16]}…`).",
        f"- Teacher(s): {soft.get('teachers') or soft.get('source_model')}"
        + (f", weights α {soft['alpha']}" if soft.get("alpha") else "") + ".",
        "- **This student never saw target-language gold tags**: its only training input is the"
        " soft-label file (words and teacher probabilities).",
    ]
    return lines


def _figures(summary):
    history = summary.get("history", [])
    lines = []
    dev_f1 = _last(history, "source_dev_f1")
    if dev_f1 is not None:
        lines.append(f"- Source-language dev F1 (seqeval, after the last epoch): {100 * dev_f1:.2f}")
    agreement = _last(history, "entity_agreement")
    if agreement is not None:
        target = "gold tags" if summary["role"] == "teacher" else "the teachers' most probable labels"
        lines.append(f"- Entity agreement with {target} (last training log record): {100 * agreement:.2f} %")
    for key, value in summary.items():  # figures a newer summary adds, e.g. agreement on a held-out set
        if key.endswith(("_f1", "_agreement")) and isinstance(value, (int, float)):
            lines.append(f"- {key.replace('_', ' ')}: {100 * value:.2f}")
    stopping = summary.get("stopping") or {}
    if stopping.get("best_heldout_entity_agreement") is not None and stopping.get("best_step") is not None:
        held = (summary.get("agreement_set") or {}).get("sentences")
        lines.append(
            f"- Entity agreement with the soft labels on {held} held-out soft-labelled sentences"
            f" (best, step {stopping['best_step']}): {100 * stopping['best_heldout_entity_agreement']:.2f} %;"
            f" weights kept: {stopping.get('weights')}"
        )
    if "train_seconds" in summary:
        lines.append(f"- Training time: {summary['train_seconds']:.0f} s")
    return lines or ["- No figures recorded."]


def model_card(summary: dict) -> str:
    role = summary["role"]
    lang = summary.get("train_corpus", {}).get("lang") or summary.get("softlabels", {}).get("lang")
    settings = summary.get("settings", {})
    lines = [
        _front_matter(summary, lang),
        f"# xner {role} ({lang})",
        "",
        f"A named-entity {role} of the teacher-student method of {PAPER}, trained with xner {__version__}.",
        HOW_TO_LOAD,
        "",
        "## Encoder",
        "",
        f"`{summary['encoder']}` with dropout and one linear layer over the labels (§3.1.1).",
        "",
        "## Data",
        "",
        *_data_section(summary),
        "",
        "## Labels",
        "",
        ", ".join(f"`{name}`" for name in summary["label_names"]),
        "",
        "## Settings",
        "",
        "| setting | value |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in settings.items()),
        *(f"| {key} | {summary[key]} |" for key in ("loss", "trained_sentences") if key in summary),
        *([f"| init | {summary['init']['from']} |"] if isinstance(summary.get("init"), dict) else []),
        "",
        "## Figures",
        "",
        *_figures(summary),
        "",
        "## Licence",
        "",
        "xner is MIT-licensed. The weights derive from the encoder (see its own licence) and from"
        " CoNLL-2002/2003 data, which carry their own research licence.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(folder, summary: dict) -> None:
    Path(folder, "README.md").write_text(model_card(summary), encoding="utf-8")
