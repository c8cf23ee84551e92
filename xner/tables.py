"""Result tables: measured rows (mean ± std over seeds, test F1 in %) beside the paper's reported ones."""

import pandas as pd

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


def load_metrics(paths) -> pd.DataFrame:
    """One row per metrics file: system, target, seed, test F1 and strict-mode F1 (both in %)."""
    records = []
    for path in paths:
        m = read_json(path, "metrics JSON file")
        records.append({
            "system": m["system"], "target": m["target"], "seed": m["seed"],
            "f1": 100 * m["test"]["default"]["f1"], "strict": 100 * m["test"]["strict"]["f1"],
        })
    return pd.DataFrame(records, columns=["system", "target", "seed", "f1", "strict"])


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std (NaN with one seed: a spread of one run is unknown, not 0), seeds and the
    strict-mode mean per (system, target), systems in the order they come."""
    return metrics.groupby(["system", "target"], sort=False).agg(
        mean=("f1", "mean"), std=("f1", "std"), n=("f1", "size"), strict=("strict", "mean")
    ).reset_index()


def _wide(stats: pd.DataFrame, key: str, targets, strict: bool) -> pd.DataFrame:
    """One row per `key` value (in order of appearance): per target its mean, std, seeds (and strict)."""
    grid = stats.pivot(index=key, columns="target", values=["mean", "std", "n", "strict"])
    grid = grid.reindex(pd.unique(stats[key]))
    out = pd.DataFrame(index=grid.index)
    for t in targets:
        out[t] = grid["mean", t].astype(float).round(2)
        out[f"{t}_std"] = grid["std", t].astype(float).round(2)
        out[f"{t}_seeds"] = grid["n", t].fillna(0).astype("Int64")
        if strict:
            out[f"{t}_strict"] = grid["strict", t].astype(float).round(2)
    return out.rename_axis(key).reset_index()


def build_table(name, metric_paths) -> tuple[pd.DataFrame, list[str]]:
    """The table's rows (the paper's reported ones first, except for direct transfer) and its targets."""
    stats = summarise(load_metrics(metric_paths))
    found = list(pd.unique(stats["target"]))
    if name == "direct_transfer":
        stats["source"] = stats["system"].str.split("-", n=1).str[1]
        targets = sorted(found)
        return _wide(stats.sort_values("source"), "source", targets, strict=False), targets
    targets = [t for t in TARGETS if t in found] + sorted(set(found) - set(TARGETS))
    reported = pd.DataFrame(
        [{"row": label, "origin": "reported (Wu et al., 2020; mBERT)"} | dict(zip(TARGETS, values))
         for label, values in REPORTED[name]]
    )
    measured = _wide(stats, "system", targets, strict=True)
    measured.insert(0, "row", [row_label(name, system) for system in measured["system"]])
    measured.insert(1, "origin", [f"measured ({system})" for system in measured["system"]])
    columns = ["row", "origin"] + [c for t in targets for c in (t, f"{t}_std", f"{t}_seeds", f"{t}_strict")]
    table = pd.concat([reported, measured], ignore_index=True).reindex(columns=columns)
    return table.astype({f"{t}_seeds": "Int64" for t in targets}), targets


def _cell(mean, std, n):
    """`mean ± std (n=seeds)` for a measured cell, the bare figure for a reported one."""
    if pd.isna(mean):
        return ""
    if pd.isna(n) or n == 0:
        return f"{mean:.2f}"
    return f"{mean:.2f} (n={n})" if pd.isna(std) else f"{mean:.2f} ± {std:.2f} (n={n})"


def markdown(name, table: pd.DataFrame, targets, alpha_notes) -> str:
    if name == "direct_transfer":
        shown = table[["source"]].rename(columns={"source": "source → target"})
    else:
        shown = table[["row", "origin"]].rename(columns={"row": ""})
    for t in targets:
        shown[t] = [_cell(m, s, n) for m, s, n in zip(table[t], table[f"{t}_std"], table[f"{t}_seeds"])]
    text = f"## {name}\n\nEntity-level F1 (%) on CoNLL test, seqeval default mode; measured rows: mean ± std over seeds.\n\n"
    text += shown.to_markdown(index=False) + "\n"
    if alpha_notes:
        text += "\n" + alpha_notes
    return text


def alpha_summary(alpha_paths) -> str:
    """Mean α over seeds per (method, target), for the notes under Tables 3 and 5."""
    records = []
    for path in alpha_paths:
        a = read_json(path, "alpha JSON file")
        records += [{"method": a["method"], "target": a["target"]["lang"], "source": lang, "alpha": value}
                    for lang, value in a["alpha"].items()]
    if not records:
        return ""
    mean = pd.DataFrame(records).groupby(["method", "target", "source"], sort=False)["alpha"].mean()
    lines = ["Teacher weights α (mean over seeds):", ""]
    for (method, target), sources in mean.groupby(level=["method", "target"], sort=True):
        lines.append(f"- {method}, target {target}: " + ", ".join(
            f"{source} {value:.3f}" for (_, _, source), value in sources.items()))
    return "\n".join(lines) + "\n"


def write_table(name, metric_paths, alpha_paths, out_csv) -> None:
    table, targets = build_table(name, metric_paths)
    with atomic_output(out_csv) as tmp:
        table.to_csv(tmp, index=False, na_rep="", encoding="utf-8")
    with atomic_output(str(out_csv)[: -len(".csv")] + ".md") as tmp:
        tmp.write_text(markdown(name, table, targets, alpha_summary(alpha_paths)), encoding="utf-8")
