"""Figure 5 and Figure 4 of the paper: which teacher mistakes does the student correct?

For every target test word the teacher gets wrong, bin the teacher's probability of its own
(wrong) prediction and count how often the student predicts the gold label instead. Gold tags of
the target TEST split are read here, for analysis only; nothing flows back into training.
"""

import csv
from collections import defaultdict

import numpy as np

from .corpus import read_corpus
from .errors import XnerError
from .io import atomic_output
from .softlabels import WordProbs

BINS = np.round(np.arange(0.1, 1.01, 0.1), 1)  # intervals [0.1,0.2) … [0.9,1.0]; no max-prob is below 1/9


def corrections(teacher: WordProbs, student: WordProbs, gold_tags):
    """Per mispredicted word: (teacher probability, corrected by the student?)."""
    if teacher.words != student.words:
        raise XnerError(student.path, f"describes another text than {teacher.path}", "give files over one corpus")
    label_id = {name: i for i, name in enumerate(teacher.label_names)}
    if student.label_names != teacher.label_names:
        raise XnerError(student.path, f"label set differs from that of {teacher.path}", "give files with one label set")
    gold = np.array([label_id[t] for tags in gold_tags for t in tags])
    t_best, s_best = teacher.probs.argmax(1), student.probs.argmax(1)
    wrong = t_best != gold
    return teacher.probs.max(1)[wrong], (s_best == gold)[wrong]


def figure5(cases, out_csv, out_png, out_cases, max_examples=5) -> None:
    """`cases`: (target, teacher file, student file, gold corpus) tuples, pooled per target."""
    pooled = defaultdict(lambda: ([], []))
    examples = []
    for target, teacher_path, student_path, gold_path in cases:
        gold = read_corpus(gold_path)
        teacher, student = WordProbs(teacher_path, for_corpus=gold), WordProbs(student_path, for_corpus=gold)
        gold_tags = [list(s.tags) for s in gold.sentences]
        probs, fixed = corrections(teacher, student, gold_tags)
        pooled[target][0].append(probs)
        pooled[target][1].append(fixed)
        if len([e for e in examples if e[0] == target]) < max_examples:
            examples += [(target, text) for text in fixed_sentences(teacher, student, gold_tags, max_examples)]
    rows = []
    for target, (probs, fixed) in pooled.items():
        probs, fixed = np.concatenate(probs), np.concatenate(fixed)
        for low, high in zip(BINS[:-1], BINS[1:]):
            inside = (probs >= low) & ((probs < high) | (high == 1.0))
            n = int(inside.sum())
            rows.append({"target": target, "low": low, "high": high, "mispredicted": n, "corrected": int(fixed[inside].sum()),
                         "share": round(float(fixed[inside].mean()), 4) if n else None})
    with atomic_output(out_csv) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["target", "low", "high", "mispredicted", "corrected", "share"])
        writer.writeheader()
        writer.writerows(rows)
    _plot(rows, out_png)
    with atomic_output(out_cases) as tmp:
        tmp.write_text("\n\n".join(f"[{t}]\n{text}" for t, text in examples) + "\n", encoding="utf-8")


def fixed_sentences(teacher, student, gold_tags, limit):
    """Figure-4-style cases: sentences where the student fixes a confident-enough teacher error."""
    out = []
    names = teacher.label_names
    for i in range(teacher.n_sentences):
        rows = teacher.sentence_slice(i)
        t, s = teacher.probs[rows], student.probs[rows]
        gold = gold_tags[i]
        fixed = [j for j in range(len(gold)) if names[t[j].argmax()] != gold[j] and names[s[j].argmax()] == gold[j]]
        broken = [j for j in range(len(gold)) if names[t[j].argmax()] == gold[j] and names[s[j].argmax()] != gold[j]]
        if not fixed or broken:
            continue
        words = teacher.words[rows]
        teacher_line = " ".join(f"{w} [{names[t[j].argmax()]}, {t[j].max():.2f}]" if j in fixed else w for j, w in enumerate(words))
        student_line = " ".join(f"{w} [{names[s[j].argmax()]}]" if j in fixed else w for j, w in enumerate(words))
        out.append(f"teacher: {teacher_line}\nstudent: {student_line}")
        if len(out) >= limit:
            break
    return out


def _plot(rows, out_png):
    from .plots import _pyplot, _save

    fig, ax = _pyplot().subplots(figsize=(6, 3.5))
    targets = list(dict.fromkeys(r["target"] for r in rows))
    width = 0.8 / max(1, len(targets))
    for k, target in enumerate(targets):
        mine = [r for r in rows if r["target"] == target]
        x = np.arange(len(mine)) + k * width
        ax.bar(x, [100 * (r["share"] or 0) for r in mine], width, label=target)
    ax.set_xticks(np.arange(len(BINS) - 1) + 0.4 - width / 2)
    ax.set_xticklabels([f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(BINS[:-1], BINS[1:])], rotation=30)
    ax.set_xlabel("teacher probability of its (wrong) prediction")
    ax.set_ylabel("% corrected by the student")
    ax.legend(title="target")
    fig.tight_layout()
    _save(fig, out_png, dpi=120)
