"""Teachers given as models: their label names and distributions onto the workflow's labels.

A separate module from labels.py, which every corpus job imports: editing this one reruns only
the adaptation jobs.
"""

import numpy as np

from .errors import XnerError

# Type names that other NER models use for the CoNLL types (OntoNotes, WikiANN-style models).
TYPE_ALIASES = {
    "PERSON": "PER", "PERS": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG", "ORGANISATION": "ORG",
    "MISCELLANEOUS": "MISC",
}


def split_label(label: str) -> tuple[str, str | None] | None:
    """("O", None), (prefix, type) for B-/I- labels, or None for anything else (S-, E-, LABEL_3)."""
    if label == "O":
        return "O", None
    prefix, sep, kind = label.partition("-")
    if sep and prefix in ("B", "I") and kind:
        return prefix, kind
    return None


def label_mapping(teacher_labels, workflow_labels, explicit: dict | None = None, where: str = "labels") -> dict[str, str]:
    """{teacher label: workflow label} for every label of a teacher.

    Automatic where the type names match (case aside) or are usual aliases (PERSON/PER, LOCATION/LOC,
    ORGANIZATION/ORG), for B-/I- labels of BIO or IOB1 teachers. `explicit` maps a teacher label
    (B-GPE, LABEL_3) or a teacher type (GPE) to a workflow label, a workflow type or "O" and wins
    over the automatic rule. A label that maps nowhere is one XnerError at `where` listing them all.
    """
    explicit = dict(explicit or {})
    workflow_types = {split_label(w)[1] for w in workflow_labels if split_label(w)} - {None}
    by_upper = {t.upper(): t for t in workflow_types}

    def workflow_type(kind):
        upper = kind.upper()
        return by_upper.get(upper) or by_upper.get(TYPE_ALIASES.get(upper, ""))

    mapping, unmapped = {}, []
    for label in teacher_labels:
        parts = split_label(label)
        target = None
        if label in explicit:
            target = str(explicit[label])
            if target not in workflow_labels and parts and parts[1] and workflow_type(target):
                target = f"{parts[0]}-{workflow_type(target)}"  # a type given for a B-/I- label
        elif parts and parts[1] in explicit:
            given = str(explicit[parts[1]])
            target = "O" if given == "O" else f"{parts[0]}-{workflow_type(given) or given}"
        elif parts:
            kind = parts[1] and workflow_type(parts[1])
            target = "O" if parts[0] == "O" else kind and f"{parts[0]}-{kind}"
        if target is None or target not in workflow_labels:
            unmapped.append(label)
        else:
            mapping[label] = target
    if unmapped:
        raise XnerError(
            where, f"teacher label(s) {', '.join(unmapped)} map onto none of {', '.join(workflow_labels)}",
            "map each under the teacher's `labels:`, e.g. {GPE: LOC} or {B-DATE: O}",
        )
    return mapping


def iob1_types(teacher_labels, mapping: dict[str, str]) -> list[str]:
    """Workflow types that a teacher marks with I- labels only: an IOB1 tagger, whose I- also
    starts an entity."""
    mapped = [split_label(mapping[t]) for t in teacher_labels if mapping[t] != "O"]
    inside = {kind for prefix, kind in mapped if prefix == "I"}
    begin = {kind for prefix, kind in mapped if prefix == "B"}
    return sorted(inside - begin)


def map_probabilities(probs: np.ndarray, teacher_labels, mapping: dict[str, str], workflow_labels) -> np.ndarray:
    """One sentence's teacher distributions [words, teacher labels] as distributions over the
    workflow's labels [words, workflow labels].

    Teacher labels that map onto one workflow label add up. A workflow type the teacher does not
    know (no MISC) gets no mass from it, so each row still sums to 1 and an α-weighted mixture
    of such rows does too: the other teachers alone speak for that type. For an IOB1 teacher's type
    the I- mass of a word moves to B- where the word before it is not most probably of that type
    (the IOB1-to-BIO rule of `to_bio`, applied to distributions).
    """
    column = {name: j for j, name in enumerate(workflow_labels)}
    project = np.zeros((len(teacher_labels), len(workflow_labels)), dtype=np.float64)
    for i, label in enumerate(teacher_labels):
        project[i, column[mapping[label]]] = 1.0
    out = probs.astype(np.float64) @ project
    kinds = [split_label(w)[1] for w in workflow_labels]
    for kind in iob1_types(teacher_labels, mapping):
        best = np.array([kinds[j] for j in out.argmax(axis=1)], dtype=object)
        starts = np.ones(len(out), dtype=bool)
        starts[1:] = best[:-1] != kind
        inside, begin = column[f"I-{kind}"], column[f"B-{kind}"]
        out[starts, begin] += out[starts, inside]
        out[starts, inside] = 0.0
    return out.astype(np.float32)
