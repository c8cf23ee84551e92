"""Result tables: measured rows (mean ± std over seeds, test F1 in %) beside the paper's reported ones."""

import csv
from collections import defaultdict

import numpy as np

from .checks import read_json
from .io import atomic_output

TARGETS = ["es", "nl", "de"]

# Wu et al. (2020), Tables 2–5: entity-level F1 on CoNLL test, mBERT-base, mean of 5 runs.
REPORTED = {
    "table2": [
        ("Täckström et al. (2012)", [59.30, 58.40, 40.40]),
        ("Tsai et al. (2016)", [60.55, 61.56, 48.12]),
        ("Ni et al. (2017)", [65.10, 65.40, 58.50]),
        ("Mayhew et al. (2017)", [65.95, 66.50, 59.11]),
        ("Xie et al. (2018)", [72.37, 71.25, 57.76]),
        ("Wu and Dredze (2019)†", [74.50, 79.50, 71.10]),
        ("Moon et al. (2019)†", [75.67, 80.38, 71.42]),
        ("Wu et al. (2020)", [76.75, 80.44, 73.16]),
        ("Ours", [76.94, 80.89, 73.22]),
    ],
    "table3": [
        ("Täckström (2012)", [61.90, 59.90, 36.40]),
        ("Rahimi et al. (2019)", [71.80, 67.60, 59.10]),
        ("Chen et al. (2019)", [73.50, 72.40, 56.00]),
        ("Moon et al. (2019)†", [76.53, 83.35, 72.44]),
        ("Ours-avg", [77.75, 80.70, 74.97]),
        ("Ours-sim", [78.00, 81.33, 75.33]),
    ],
    "table4": [
        ("Ours", [76.94, 80.89, 73.22]),
        ("HL", [76.60, 80.43, 72.98]),
        ("MT", [75.60, 79.99, 71.76]),
        ("Ours-avg", [77.75, 80.70, 74.97]),
        ("HL-avg", [77.65, 80.39, 74.31]),
        ("MT-avg", [77.25, 80.53, 74.18]),
        ("Ours-sim", [78.00, 81.33, 75.33]),
        ("HL-sim", [77.81, 80.27, 74.63]),
        ("MT-sim", [77.12, 80.24, 74.33]),
    ],
    "table5": [
        ("Ours-sim", [78.00, 81.33, 75.33]),
        ("cosine", [77.86, 79.94, 75.24]),
        ("l2", [77.72, 79.74, 75.09]),
    ],
}


def row_label(table: str, system: str) -> str:
    """The paper's row name for one of our systems."""
    kind, _, rest = system.partition("-")
    if kind == "teacher":
        return "MT" if table == "table4" else f"MT: direct transfer from {rest}"
    if kind == "mt":
        return f"MT-{rest}"
    student_kind, _, teachers = rest.partition("-")
    multi = teachers in ("avg", "sim", "cosine", "l2")
    if table == "table5" and teachers in ("cosine", "l2"):
        return teachers
    name = "Ours" if student_kind == "ts" else "HL"
    return f"{name}-{teachers}" if multi else name


def load_metrics(paths):
    """{(system, target): [test F1 in %, one per seed]} plus the strict-mode counterpart."""
    f1, strict = defaultdict(list), defaultdict(list)
    for path in paths:
        m = read_json(path, "metrics JSON file")
        f1[(m["system"], m["target"])].append(100 * m["test"]["default"]["f1"])
        strict[(m["system"], m["target"])].append(100 * m["test"]["strict"]["f1"])
    return f1, strict


def _stats(values):
    """Mean, sample std (None with fewer than two seeds: a spread of one run is unknown, not 0) and n."""
    if not values:
        return None, None, 0
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return float(np.mean(values)), std, len(values)


def _fmt(mean, std, n):
    if mean is None:
        return ""
    return f"{mean:.2f} (n={n})" if std is None else f"{mean:.2f} ± {std:.2f} (n={n})"


def build_rows(name, metric_paths):
    f1, strict = load_metrics(metric_paths)
    targets = [t for t in TARGETS if any(k[1] == t for k in f1)] + sorted({k[1] for k in f1} - set(TARGETS))
    if name == "direct_transfer":
        sources = sorted({k[0].split("-", 1)[1] for k in f1})
        targets = sorted({k[1] for k in f1})
        rows = []
        for s in sources:
            row = {"source": s}
            for t in targets:
                mean, std, n = _stats(f1.get((f"teacher-{s}", t), []))
                row |= {t: _round(mean), f"{t}_std": _round(std), f"{t}_seeds": n}
            rows.append(row)
        return rows, ["source"] + [c for t in targets for c in (t, f"{t}_std", f"{t}_seeds")], targets
    rows = [
        {"row": label, "origin": "reported (Wu et al., 2020; mBERT)"} | {t: v for t, v in zip(TARGETS, values) if t in targets}
        for label, values in REPORTED[name]
    ]
    for system in dict.fromkeys(k[0] for k in f1):
        row = {"row": row_label(name, system), "origin": f"measured ({system})"}
        for t in targets:
            mean, std, n = _stats(f1.get((system, t), []))
            strict_mean, _, _ = _stats(strict.get((system, t), []))
            row |= {t: _round(mean), f"{t}_std": _round(std), f"{t}_seeds": n, f"{t}_strict": _round(strict_mean)}
        rows.append(row)
    columns = ["row", "origin"] + [c for t in targets for c in (t, f"{t}_std", f"{t}_seeds", f"{t}_strict")]
    return rows, columns, targets


def _round(x):
    return None if x is None else round(x, 2)


def markdown(name, rows, targets, alpha_notes):
    key = "source" if name == "direct_transfer" else "row"
    head = ["source → target" if key == "source" else "", *([] if key == "source" else ["origin"]), *targets]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r[key]] + ([] if key == "source" else [r["origin"]])
        for t in targets:
            if r.get(f"{t}_seeds"):
                cells.append(_fmt(r[t], r[f"{t}_std"], r[f"{t}_seeds"]))
            else:
                cells.append("" if r.get(t) is None else f"{r[t]:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    text = f"## {name}\n\nEntity-level F1 (%) on CoNLL test, seqeval default mode; measured rows: mean ± std over seeds.\n\n"
    text += "\n".join(lines) + "\n"
    if alpha_notes:
        text += "\n" + alpha_notes
    return text


def alpha_summary(alpha_paths) -> str:
    """Mean α over seeds per (method, target), for the notes under Tables 3 and 5."""
    found = defaultdict(list)
    for path in alpha_paths:
        a = read_json(path, "alpha JSON file")
        found[(a["method"], a["target"]["lang"])].append(a["alpha"])
    if not found:
        return ""
    lines = ["Teacher weights α (mean over seeds):", ""]
    for (method, target), alphas in sorted(found.items()):
        langs = list(alphas[0])
        mean = {lang: np.mean([a[lang] for a in alphas]) for lang in langs}
        lines.append(f"- {method}, target {target}: " + ", ".join(f"{lang} {mean[lang]:.3f}" for lang in langs))
    return "\n".join(lines) + "\n"


def write_table(name, metric_paths, alpha_paths, out_csv) -> None:
    rows, columns, targets = build_rows(name, metric_paths)
    with atomic_output(out_csv) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with atomic_output(str(out_csv)[: -len(".csv")] + ".md") as tmp:
        tmp.write_text(markdown(name, rows, targets, alpha_summary(alpha_paths)), encoding="utf-8")
