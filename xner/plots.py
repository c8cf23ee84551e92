"""Figures for the Snakemake report: teacher weights α, training curves and per-job runtimes.

Each function reads files the workflow has written (alpha JSON, a model folder's
training_summary.json, Snakemake benchmark TSVs) and writes a PNG (and the runtimes a CSV)
atomically, so an interrupted job never leaves a figure that looks finished.
"""

import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import read_json
from .io import atomic_output


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_png, dpi=110) -> None:
    plt = _pyplot()
    with atomic_output(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)


def _colors(keys):
    """A stable colour per key (language), in the order given."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return {key: cmap(i % 10) for i, key in enumerate(keys)}


# --- teacher weights α -----------------------------------------------------------------------


def read_alpha(paths) -> tuple[str, pd.DataFrame]:
    """The method of the alpha files and one row per (file, source): target, source, alpha."""
    methods, records = set(), []
    for path in paths:
        data = read_json(path, "alpha JSON file")
        methods.add(data["method"])
        records += [{"target": data["target"]["lang"], "source": source, "alpha": float(value)}
                    for source, value in data["alpha"].items()]
    if len(methods) > 1:
        raise ValueError(f"alpha files of several methods given: {sorted(methods)}; one figure is one method")
    if not records:
        raise ValueError("no alpha files given")
    return methods.pop(), pd.DataFrame(records)


def alpha_figure(paths, out_png) -> None:
    """Grouped bars: per target, one bar per source language, mean α over seeds ± std over seeds
    (a single seed draws no error bar)."""
    method, alpha = read_alpha(paths)
    stats = alpha.groupby(["target", "source"], sort=False)["alpha"].agg(["mean", "std", "size"]).fillna({"std": 0.0})
    plt = _pyplot()
    targets, sources = list(pd.unique(alpha["target"])), list(pd.unique(alpha["source"]))
    colors = _colors(sources)
    seeds = sorted(stats["size"].unique())
    fig, ax = plt.subplots(figsize=(max(4.5, 1.6 * len(targets) + 2), 3.6))
    width = 0.8 / max(1, len(sources))
    for k, source in enumerate(sources):
        x, means, stds = [], [], []
        for i, target in enumerate(targets):
            if (target, source) in stats.index:
                x.append(i + (k - (len(sources) - 1) / 2) * width)
                means.append(stats.loc[(target, source), "mean"])
                stds.append(stats.loc[(target, source), "std"])
        bars = ax.bar(x, means, width, yerr=stds, capsize=3, color=colors[source], label=source)
        ax.bar_label(bars, labels=[f"{m:.2f}" for m in means], fontsize=7, padding=2)
    ax.set_xticks(range(len(targets)))
    ax.set_xticklabels(targets)
    ax.set_xlabel("target language")
    ax.set_ylabel("teacher weight α")
    ax.set_ylim(0, min(1.05, alpha["alpha"].max() * 1.25 + 0.05))
    n = "/".join(str(s) for s in seeds)
    ax.set_title(f"α ({method}): mean over {n} seed(s), error bars: std over seeds", fontsize=9)
    ax.legend(title="source (teacher)", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    _save(fig, out_png)


# --- training curves -------------------------------------------------------------------------


def read_summary(folder):
    """(role, language the model is for, seed, history) of a model folder's training_summary.json."""
    summary = read_json(Path(folder) / "training_summary.json", "training summary")
    role = summary.get("role", "model")
    if role == "teacher":
        lang = summary.get("train_corpus", {}).get("lang")
    else:
        lang = summary.get("softlabels", {}).get("lang")
    return role, lang or "?", summary.get("settings", {}).get("seed"), summary.get("history", [])


PANELS = [
    ("loss", "training loss"),
    ("entity_agreement", "entity agreement with targets"),
    ("heldout_entity_agreement", "agreement set: entity agreement"),
    ("source_dev_f1", "source dev F1 (per epoch)"),
]


def training_curves(models, out_png) -> None:
    """`models`: (system, folder) pairs. One row of panels per system: loss and entity agreement
    against step (every model), and the teachers' source-dev F1 after each epoch. Colour: the
    language the model is for (a teacher's source, a student's target); one line per seed."""
    plt = _pyplot()
    systems = defaultdict(list)
    for system, folder in models:
        systems[system].append(read_summary(folder))
    if not systems:
        raise ValueError("no models given")
    colors = _colors(sorted({lang for runs in systems.values() for _, lang, _, _ in runs}))
    present = {key for runs in systems.values() for *_, h in runs for r in h for key in r}
    panels = [(key, title) for key, title in PANELS if key in present]
    fig, axes = plt.subplots(
        len(systems), len(panels), figsize=(4.3 * len(panels), 2.3 * len(systems) + 0.4), squeeze=False
    )
    for row, (system, runs) in enumerate(systems.items()):
        seeds = sorted({seed for _, _, seed, _ in runs if seed is not None})
        for col, (key, title) in enumerate(panels):
            ax = axes[row][col]
            drawn = set()
            for _, lang, seed, history in runs:
                points = [(r["step"], r[key]) for r in history if key in r and r[key] is not None]
                if not points:
                    continue
                steps, values = zip(*points)
                ax.plot(
                    steps, values, color=colors[lang], alpha=0.8, linewidth=1.2,
                    marker="o" if key == "source_dev_f1" or len(points) < 3 else None, markersize=3,
                    label=None if lang in drawn else lang,
                )
                drawn.add(lang)
            if not drawn:
                ax.axis("off")
                continue
            ax.set_title(f"{system}: {title}", fontsize=9)
            ax.tick_params(labelsize=8)
            if key != "loss":
                ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("step", fontsize=8)
            if col == 0:
                ax.legend(
                    title=f"{len(seeds)} seed(s)", fontsize=7, title_fontsize=7, loc="upper right"
                )
    fig.tight_layout()
    _save(fig, out_png, dpi=90)


# --- runtimes ----------------------------------------------------------------------------------


def _pattern_regex(pattern):
    """A regex for a Snakemake path pattern: each {wildcard} matches one or more characters."""
    parts = re.split(r"\{([^{}]+)\}", os.path.normpath(pattern))
    names = parts[1::2]
    regex = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z"), [n.split(",")[0].strip() for n in names]


def read_benchmarks(folder, patterns=None) -> pd.DataFrame:
    """One row per benchmark file under `folder`: the rule that wrote it (the first of `patterns`,
    {rule: path pattern}, that matches; else the file's top folder under `folder`), its wildcards,
    and the measurements (the mean over repeats where a rule was benchmarked several times)."""
    folder = Path(folder)
    compiled = [(rule, *_pattern_regex(p)) for rule, p in (patterns or {}).items()]
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        relative = path.relative_to(folder)
        rule, wildcards = relative.parts[0] if len(relative.parts) > 1 else relative.stem, ""
        for name, regex, names in compiled:
            match = regex.match(os.path.normpath(str(path)))
            if match:
                rule = name
                wildcards = ", ".join(f"{n}={v}" for n, v in zip(names, match.groups()))
                break
        repeats = pd.read_csv(path, sep="\t").drop(columns=["h:m:s"], errors="ignore")
        if repeats.empty:
            continue
        means = repeats.apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan).mean().round(4)
        rows.append({"rule": rule, "job": str(relative.with_suffix("")), "wildcards": wildcards,
                     "repeats": len(repeats), **means.to_dict()})
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["rule", "job", "wildcards", "repeats"])


def runtimes(folder, patterns, out_csv, out_png) -> list[dict]:
    """Write every benchmark file's measurements (CSV) and a bar chart of total seconds per rule;
    return the rows (measurements that are NA in a file are left out of its row)."""
    table = read_benchmarks(folder, patterns)
    with atomic_output(out_csv) as tmp:
        table.to_csv(tmp, index=False, na_rep="")
    per_rule = table.groupby("rule")["s"].agg(["sum", "size"]) if "s" in table else pd.DataFrame(columns=["sum", "size"])
    totals, jobs = per_rule["sum"].to_dict(), per_rule["size"].to_dict()
    plt = _pyplot()
    order = sorted(totals, key=totals.get)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * max(1, len(order))))
    if order:
        bars = ax.barh(order, [totals[r] for r in order], color="tab:blue")
        ax.bar_label(
            bars, labels=[f"{totals[r]:.1f} s, {jobs[r]} job{'s' if jobs[r] > 1 else ''}" for r in order],
            fontsize=8, padding=3,
        )
        ax.set_xlim(0, max(totals.values()) * 1.35 or 1)
        ax.set_title(f"wall-clock seconds per rule, summed over {len(table)} benchmarked jobs", fontsize=9)
    else:
        ax.text(0.5, 0.5, f"no benchmark files under {folder}", ha="center", va="center")
        ax.set_yticks([])
    ax.set_xlabel("seconds (sum over jobs)")
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    _save(fig, out_png)
    return [{k: v for k, v in row.items() if not pd.isna(v)} for row in table.to_dict("records")]
