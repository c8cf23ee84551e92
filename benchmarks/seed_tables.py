"""Rebuild the multi-seed tables and the paper's comparisons from exported seeds (benchmarks/export_seed.py).

Reads SEEDS_DIR/seed-*/ (default docs/results/cpu-multi) and the gold test sets from the CoNLL
files (--conll, default ../shared/data/conll beside this checkout), and writes to OUT (default
SEEDS_DIR/tables):
  table3 / table4 / table5 / direct_transfer .csv and .md
      xner's own tables (xner.tables.write_table): the paper's reported rows, then ours as mean ±
      sample std over the seeds (n = seeds), with α as mean over seeds under Tables 3, 4 and 5;
  comparisons.csv / .md
      the paper's comparisons (Ours-sim − MT-sim, Ours-avg − MT-avg, Ours-sim − Ours-avg, Ours −
      HL, and Table 4's other differences), per target: the paper's value, each seed's value,
      their mean and a 95 % bootstrap interval, in F1 points (test F1, seqeval default mode);
  provenance.csv
      per seed: commit, machine, wall time and config, from its manifest;
  glance.md
      the README's "Results at a glance" tables: every Table 4 and 5 system as paper / mean ± sample
      std, and the headline comparisons as paper / mean [95 % interval]. The README holds them
      verbatim (tests/test_docs.py checks it), so its figures are this script's.

The interval: a bootstrap that resamples seeds and test sentences together. Each of --resamples
replicates draws S of the S seeds with replacement and, independently, n of the n test sentences
with replacement (one draw of sentences shared by every seed and both systems of the replicate:
the test set is one sample of sentences that every seed is scored on). The replicate's value is
the mean over the drawn seeds of F1(system) − F1(baseline), both scored on the drawn sentences
(micro F1 from summed per-sentence entity counts, as seqeval counts them). The interval is the 2.5
and 97.5 percentiles of the replicates. The sentence draws are fixed (numpy seed 0) and the same
for every comparison on a test set, so a rebuild gives the same intervals again. It therefore holds both training noise (which seeds) and
test-set noise (which sentences). With few seeds it is too narrow rather than too wide: resampling
S values spreads their mean by a factor sqrt((S − 1) / S) less than the sample std says, and with one
seed it holds the test sentences' noise only.

Before anything is written, each test set prepared from the CoNLL files must hash to what the
seeds' manifests recorded, and every exported system's F1 recomputed from its exported tags and
that gold must equal its metrics file's; either failing is one line naming the file. No network,
nothing trained: five seeds take seconds of CPU (docs/seeds.md). --no-intervals leaves out the
intervals (and the gold): tables and per-seed values come from the metrics files alone.

Usage: python benchmarks/seed_tables.py [--seeds-dir docs/results/cpu-multi] [--conll ../shared/data/conll]
         [--out SEEDS_DIR/tables] [--resamples 2000] [--no-intervals]
"""

import argparse
import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from export_seed import read_predictions
from xner.checks import read_json
from xner.corpus import prepare_corpus
from xner.errors import XnerError, reported
from xner.io import atomic_output
from xner.metrics import f1_of_counts
from xner.tables import REPORTED, TARGETS, row_label, write_table

REPO = Path(__file__).resolve().parents[1]
BOOTSTRAP_SEED = 0

# (name, system, baseline); {src} is the single source (single_source.source of the config).
COMPARISONS = [
    ("Ours-sim − MT-sim", "student-ts-sim", "mt-sim"),
    ("Ours-avg − MT-avg", "student-ts-avg", "mt-avg"),
    ("Ours-sim − Ours-avg", "student-ts-sim", "student-ts-avg"),
    ("Ours − HL", "student-ts-{src}", "student-hl-{src}"),
    ("Ours-avg − HL-avg", "student-ts-avg", "student-hl-avg"),
    ("Ours-sim − HL-sim", "student-ts-sim", "student-hl-sim"),
    ("Ours − MT", "student-ts-{src}", "teacher-{src}"),
]


def table_systems(name: str, source: str, single_targets, multi_targets, langs) -> list[tuple[str, str]]:
    """The (system, target) pairs of a table, in the paper's row order: as the workflow's
    table_systems (workflow/rules/common.smk), which this script cannot import."""
    if name == "direct_transfer":
        return [(f"teacher-{s}", t) for s in langs for t in langs]
    if name == "table3":
        return [(f"student-ts-{m}", t) for t in multi_targets for m in ("avg", "sim")]
    if name == "table4":
        single = [(s, t) for t in single_targets for s in (f"student-ts-{source}", f"student-hl-{source}", f"teacher-{source}")]
        return single + [(s, t) for t in multi_targets for m in ("avg", "sim") for s in (f"student-ts-{m}", f"student-hl-{m}", f"mt-{m}")]
    return [(f"student-ts-{m}", t) for t in multi_targets for m in ("sim", "cosine", "l2")]


ALPHA_METHODS = {"table3": ["avg", "sim"], "table4": ["avg", "sim"], "table5": ["sim", "cosine", "l2"], "direct_transfer": []}


# --- entity counts -------------------------------------------------------------------------------

def entity_keys(ids: np.ndarray, offsets: np.ndarray, label_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(one int64 key per entity, the sentence it is in) of BIO label ids, as seqeval's default mode
    chunks them: an entity starts at B-X, or at I-X after O, after another type or at a sentence's
    start, and runs over the I-X that follow. Vectorised; xner.metrics.entity_counts is the
    reference it is tested against."""
    bad = [n for n in label_names if n != "O" and n[:2] not in ("B-", "I-")]
    if bad:
        raise ValueError(f"labels {bad} are not O, B-X or I-X")
    types = sorted({n[2:] for n in label_names if n != "O"})
    kind_of = np.array([0 if n == "O" else 1 if n.startswith("B-") else 2 for n in label_names])
    type_of = np.array([-1 if n == "O" else types.index(n[2:]) for n in label_names])
    kind, kind_type = kind_of[ids], type_of[ids]
    prev_kind, prev_type = np.roll(kind, 1), np.roll(kind_type, 1)
    starts_of_sentences = offsets[:-1][offsets[:-1] < len(ids)]
    prev_kind[starts_of_sentences], prev_type[starts_of_sentences] = 0, -1
    inside = kind != 0
    start = inside & ((kind == 1) | (prev_kind == 0) | (prev_type != kind_type))
    first = np.flatnonzero(start)
    # Every inside word belongs to the entity of the last start; its last word is the entity's end.
    positions = np.flatnonzero(inside)
    entity_of = np.cumsum(start)[positions] - 1
    last = positions[np.searchsorted(entity_of, np.arange(len(first)), side="right") - 1]
    total = len(ids) + 1
    keys = (first.astype(np.int64) * total + last) * max(len(types), 1) + kind_type[first]
    return keys, np.searchsorted(offsets, first, side="right") - 1


def entity_counts(gold: tuple, predicted: tuple, n_sentences: int) -> np.ndarray:
    """[n_sentences, 3] of [correct, predicted, gold] entities, from two entity_keys results."""
    (gold_keys, gold_sentences), (pred_keys, pred_sentences) = gold, predicted
    correct = np.isin(pred_keys, gold_keys)
    return np.stack([np.bincount(pred_sentences[correct], minlength=n_sentences),
                     np.bincount(pred_sentences, minlength=n_sentences),
                     np.bincount(gold_sentences, minlength=n_sentences)], axis=1)


# --- the bootstrap --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def sentence_weights(sentences: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, sentences]: each replicate's draw of n of the n sentences with replacement, as
    per-sentence multiplicities. The same for every comparison on a test set, so drawn once."""
    rng = np.random.default_rng(seed)
    weights = np.empty((resamples, sentences), dtype=np.float32)  # whole numbers up to n: exact
    for done in range(0, resamples, 250):
        size = min(250, resamples - done)
        draws = rng.integers(0, sentences, size=(size, sentences)) + sentences * np.arange(size)[:, None]
        weights[done:done + size] = np.bincount(draws.ravel(), minlength=size * sentences).reshape(size, sentences)
    return weights


def seed_sentence_bootstrap(counts_a: np.ndarray, counts_b: np.ndarray, resamples: int = 2000, seed: int = BOOTSTRAP_SEED) -> dict:
    """Mean over seeds of F1(a) − F1(b), and its 95 % interval when seeds and test sentences are
    resampled together (the module's docstring). counts_*: [seeds, sentences, 3] entity counts of
    each seed on the same test sentences. Values are F1 fractions, not points."""
    counts_a, counts_b = np.asarray(counts_a), np.asarray(counts_b)
    if counts_a.shape != counts_b.shape or counts_a.ndim != 3:
        raise ValueError(f"counts of shapes {counts_a.shape} and {counts_b.shape}, expected both [seeds, sentences, 3]")
    seeds, n, _ = counts_a.shape
    mean = float((f1_of_counts(counts_a.sum(1)) - f1_of_counts(counts_b.sum(1))).mean())
    # Per sentence: both systems' counts in every seed side by side, so one product sums them all
    # (sums of whole numbers below 2^24: exact in float32).
    columns = np.concatenate([counts_a, counts_b]).transpose(1, 0, 2).reshape(n, 2 * seeds * 3).astype(np.float32)
    sums = (sentence_weights(n, resamples, seed) @ columns).astype(np.float64)
    f1 = f1_of_counts(sums.reshape(resamples, 2, seeds, 3))
    differences = f1[:, 0] - f1[:, 1]  # [resamples, seeds]
    drawn_seeds = np.random.default_rng([seed, seeds]).integers(0, seeds, size=(resamples, seeds))
    replicates = np.take_along_axis(differences, drawn_seeds, axis=1).mean(axis=1)
    low, high = np.percentile(replicates, [2.5, 97.5])
    return {"mean": mean, "low": float(low), "high": float(high)}


# --- reading the seeds ----------------------------------------------------------------------------

def read_seeds(seeds_dir: Path) -> dict[int, dict]:
    """{seed: manifest} of every seed-N/ under seeds_dir, each manifest with its `folder`."""
    manifests = {}
    for path in sorted(Path(seeds_dir).glob("seed-*/manifest.json")):
        manifest = read_json(path, "seed manifest")
        if manifest.get("format") != "xner-seed-export/1":
            raise XnerError(path, f"not a seed export manifest (format {manifest.get('format')!r})", "export the seed with benchmarks/export_seed.py")
        manifests[int(manifest["seed"])] = manifest | {"folder": path.parent}
    if not manifests:
        raise XnerError(seeds_dir, "no seed-*/manifest.json", "export a seed first: python benchmarks/export_seed.py --results RESULTS --config CONFIG --seed N")
    return dict(sorted(manifests.items()))


def test_f1(manifests: dict[int, dict]) -> pd.DataFrame:
    """system, target, seed, f1 (%) of every exported metrics file."""
    rows = [{"system": system, "target": target, "seed": seed,
             "f1": 100 * read_json(m["folder"] / "metrics" / system / f"{target}.json", "metrics JSON file")["test"]["default"]["f1"]}
            for seed, m in manifests.items() for target, systems in m["systems"].items() for system in systems]
    return pd.DataFrame(rows, columns=["system", "target", "seed", "f1"])


def gold_entities(conll: Path, target: str, test_set: dict, where) -> tuple:
    """The target's gold test set prepared from the CoNLL files as the run prepared it, checked
    against the hashes a manifest recorded: (entity keys, their sentences)."""
    file = Path(conll) / test_set["conll_file"]
    if not file.is_file():
        raise XnerError(file, "gold test file does not exist", "give --conll FOLDER holding <lang>/test.txt, or --no-intervals for tables and per-seed values only")
    spec = {"format": "conll", "path": str(file.parent), "encoding": test_set["encoding"], "scheme": test_set["scheme"]}
    corpus = prepare_corpus(spec, target, "test", test_set["label_names"], test_set["max_sentences"], test_set["subsample_seed"])
    if (corpus.tokens_sha256, corpus.sha256) != (test_set["tokens_sha256"], test_set["sha256"]):
        raise XnerError(file, f"prepares to another test set than the one {where} was scored on (sha256 {corpus.sha256[:12]}…, recorded {test_set['sha256'][:12]}…)",
                        "give --conll the CoNLL files the seed ran on")
    names = test_set["label_names"]
    ids = np.array([names.index(tag) for s in corpus.sentences for tag in s.tags], dtype=np.int8)
    offsets = np.concatenate([[0], np.cumsum([len(s.tags) for s in corpus.sentences])])
    return entity_keys(ids, offsets, names), len(corpus.sentences)


def exported_counts(manifests: dict[int, dict], conll: Path, f1: pd.DataFrame) -> dict:
    """{(system, target, seed): per-sentence entity counts} of every exported system, each checked
    against its metrics file's F1."""
    counts, gold_cache = {}, {}
    recorded = f1.set_index(["system", "target", "seed"]).f1
    for seed, manifest in manifests.items():
        for target in manifest["systems"]:
            test_set = manifest["test_sets"][target]
            if test_set["sha256"] not in gold_cache:
                gold_cache[test_set["sha256"]] = gold_entities(conll, target, test_set, manifest["folder"])
            gold, n_sentences = gold_cache[test_set["sha256"]]
            path = manifest["folder"] / "predictions" / f"{target}.npz"
            predictions = read_predictions(path)
            if predictions["tokens_sha256"] != test_set["tokens_sha256"] or predictions["label_names"] != test_set["label_names"]:
                raise XnerError(path, "predicts another test set or label order than its manifest records", "export the seed again")
            for system in manifest["systems"][target]:
                row = predictions["systems"].index(system)
                c = entity_counts(gold, entity_keys(predictions["tags"][row], predictions["offsets"], predictions["label_names"]), n_sentences)
                if abs(100 * f1_of_counts(c.sum(0)) - recorded[system, target, seed]) > 1e-6:
                    raise XnerError(path, f"{system}'s tags score {100 * f1_of_counts(c.sum(0)):.4f} F1 against the gold, its metrics file {recorded[system, target, seed]:.4f}",
                                    "export the seed again from its results folder")
                counts[system, target, seed] = c
    return counts


# --- outputs -----------------------------------------------------------------------------------

def paper_value(table: str, row: str, target: str) -> float | None:
    """The paper's reported F1 of a row of one of its tables on a target; None where it has none."""
    values = dict(REPORTED[table]).get(row)
    return dict(zip(TARGETS, values)).get(target) if values else None


def paper_difference(system: str, baseline: str, target: str) -> float:
    a = paper_value("table4", row_label("table4", system), target)
    b = paper_value("table4", row_label("table4", baseline), target)
    return float("nan") if a is None or b is None else round(a - b, 2)


def comparisons(manifests: dict[int, dict], f1: pd.DataFrame, counts: dict | None, resamples: int) -> pd.DataFrame:
    """One row per comparison and target: the paper, each seed, the mean and (with counts) the interval, in F1 points."""
    source = next(iter(manifests.values()))["single_source"]["source"]
    by = f1.set_index(["system", "target", "seed"]).f1
    targets = [t for t in TARGETS if t in set(f1.target)] + sorted(set(f1.target) - set(TARGETS))
    rows = []
    for name, system, baseline in COMPARISONS:
        system, baseline = system.format(src=source), baseline.format(src=source)
        for target in targets:
            seeds = [s for s in manifests if (system, target, s) in by.index and (baseline, target, s) in by.index]
            if not seeds:
                continue
            row = {"comparison": name, "system": system, "baseline": baseline, "target": target, "paper": paper_difference(system, baseline, target)}
            row |= {f"seed {s}": by[system, target, s] - by[baseline, target, s] if s in seeds else float("nan") for s in manifests}
            row |= {"mean": float(np.mean([row[f"seed {s}"] for s in seeds])), "seeds": len(seeds)}
            if counts is not None:
                result = seed_sentence_bootstrap(np.stack([counts[system, target, s] for s in seeds]),
                                                 np.stack([counts[baseline, target, s] for s in seeds]), resamples)
                row |= {"low": 100 * result["low"], "high": 100 * result["high"]}
            rows.append(row)
    return pd.DataFrame(rows)


def provenance(manifests: dict[int, dict]) -> pd.DataFrame:
    rows = []
    for seed, m in manifests.items():
        commit, machine, wall = m.get("commit") or {}, m["machine"], m.get("wall_time") or {}
        rows.append({
            "seed": seed, "commit": (commit.get("hash") or "unknown")[:12] + (" (tracked changes)" if commit.get("tracked_changes") else ""),
            "machine": machine.get("given") or f"{machine.get('cpu', '?')}, {machine.get('cpus', '?')} CPUs, {machine.get('memory_gib', '?')} GiB",
            "wall time": wall.get("given", ""), "config": f"{m['config']['path']} (sha256 {m['config']['sha256'][:12]})", "note": m.get("note") or "",
        })
    return pd.DataFrame(rows)


def comparisons_markdown(table: pd.DataFrame, origin: pd.DataFrame, resamples: int | None) -> str:
    seeds = [c for c in table.columns if c.startswith("seed ")]
    shown = table[["comparison", "target"]].copy()
    shown["paper"] = [f"{v:+.2f}" if pd.notna(v) else "" for v in table["paper"]]
    for c in seeds:
        shown[c] = [f"{v:+.2f}" if pd.notna(v) else "" for v in table[c]]
    shown["mean"] = [f"**{v:+.2f}** (n={n})" for v, n in zip(table["mean"], table["seeds"])]
    if resamples:
        shown["95 % interval"] = [f"[{lo:+.2f}, {hi:+.2f}]" for lo, hi in zip(table["low"], table["high"])]
    text = "## The paper's comparisons over seeds\n\nTest F1 differences in points (seqeval default mode), per seed and their mean"
    if resamples:
        text += (f"; the interval: {resamples} bootstrap replicates resampling seeds and test sentences together"
                 " (benchmarks/seed_tables.py says how)")
    # disable_numparse: tabulate would turn "+0.88" back into a number and drop its sign.
    text += ". Paper: Wu et al. (2020), Tables 3 and 4 (mBERT).\n\n" + shown.to_markdown(index=False, disable_numparse=True) + "\n\n"
    return text + "Seeds (from their manifests):\n\n" + origin.to_markdown(index=False) + "\n"


# The README's summary: (row, system, the paper's table and row) and the headline comparisons.
GLANCE_SYSTEMS = [
    ("Ours, single source {src} (2, 4)", "student-ts-{src}", "table4", "Ours"),
    ("HL, single source {src} (4)", "student-hl-{src}", "table4", "HL"),
    ("MT, teacher {src} alone (4)", "teacher-{src}", "table4", "MT"),
    ("Ours-avg (3, 4)", "student-ts-avg", "table4", "Ours-avg"),
    ("HL-avg (4)", "student-hl-avg", "table4", "HL-avg"),
    ("MT-avg (4)", "mt-avg", "table4", "MT-avg"),
    ("Ours-sim (3, 4, 5)", "student-ts-sim", "table4", "Ours-sim"),
    ("HL-sim (4)", "student-hl-sim", "table4", "HL-sim"),
    ("MT-sim (4)", "mt-sim", "table4", "MT-sim"),
    ("Ours-cosine (5)", "student-ts-cosine", "table5", "cosine"),
    ("Ours-ℓ2 (5)", "student-ts-l2", "table5", "l2"),
]
GLANCE_COMPARISONS = ["Ours-sim − MT-sim", "Ours-avg − MT-avg", "Ours-sim − Ours-avg", "Ours − HL"]


def signed(value: float) -> str:
    """+0.88 or −0.56, with a true minus sign as the README writes it."""
    return f"{value:+.2f}".replace("-", "−")


def glance_markdown(f1: pd.DataFrame, table: pd.DataFrame, source: str, seeds: list[int]) -> str:
    """The README's two summary tables: systems (paper, mean ± sample std over seeds) and the
    headline comparisons (paper, mean [95 % interval] or the mean alone without intervals)."""
    targets = [t for t in TARGETS if t in set(f1.target)]
    # The paper's single-source rows have English as the source: for another source they are left blank.
    stats = f1.groupby(["system", "target"]).f1.agg(["mean", "std", "count"])
    rows = []
    for label, template, paper_table, paper_row in GLANCE_SYSTEMS:
        system = template.format(src=source)
        if not any((system, t) in stats.index for t in targets):
            continue
        row = {"system (paper table)": label.format(src=source)}
        applies = source == "en" or "{src}" not in template
        for t in targets:
            reported = paper_value(paper_table, paper_row, t) if applies else None
            row[f"{t} paper"] = f"{reported:.2f}" if reported is not None else ""
            if (system, t) in stats.index:
                mean, std, n = stats.loc[(system, t)]
                row[f"{t} xner"] = f"{mean:.2f} ± {std:.2f}" if n > 1 else f"{mean:.2f}"
            else:
                row[f"{t} xner"] = ""
        rows.append(row)
    headline = []
    for name in GLANCE_COMPARISONS:
        row = {"comparison (F1 points)": name}
        for t in targets:
            found = table[(table.comparison == name) & (table.target == t)]
            if found.empty:
                row[f"{t} paper"] = row[f"{t} xner"] = ""
                continue
            r = found.iloc[0]
            row[f"{t} paper"] = signed(r.paper) if pd.notna(r.paper) else ""
            row[f"{t} xner"] = signed(r["mean"]) + (f" [{signed(r.low)}, {signed(r.high)}]" if "low" in r else "")
        headline.append(row)
    shown_seeds = ", ".join(str(s) for s in seeds)
    # disable_numparse: tabulate would turn "+0.88" into a number and drop its sign.
    interval = " [95 % interval, seeds and test sentences resampled together]" if "low" in table.columns else ""
    return (f"xner: test F1, mean ± sample std over seeds {shown_seeds} (n = {len(seeds)}); "
            f"comparisons: mean over seeds{interval}.\n\n"
            + pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True) + "\n\n"
            + pd.DataFrame(headline).to_markdown(index=False, disable_numparse=True) + "\n")


def rebuild(seeds_dir: Path, conll: Path, out: Path, resamples: int = 2000, intervals: bool = True) -> list[Path]:
    manifests = read_seeds(seeds_dir)
    f1 = test_f1(manifests)
    counts = exported_counts(manifests, conll, f1) if intervals else None  # every check before any file
    first = next(iter(manifests.values()))
    source, single, multi = first["single_source"]["source"], first["single_source"]["targets"], first["multi_source"]["targets"]
    langs = sorted({t for m in manifests.values() for t in m["systems"]} | {source} | {s.removeprefix("teacher-") for s in f1.system if s.startswith("teacher-")})
    written = []
    for name in ("table3", "table4", "table5", "direct_transfer"):
        pairs = table_systems(name, source, single, multi, langs)
        metrics = [m["folder"] / "metrics" / system / f"{target}.json" for system, target in pairs for m in manifests.values()]
        metrics = [p for p in metrics if p.is_file()]
        if not metrics:
            continue
        alpha = [m["folder"] / "alpha" / method / f"{t}.json" for method in ALPHA_METHODS[name] for t in multi for m in manifests.values()]
        write_table(name, metrics, [p for p in alpha if p.is_file()], out / f"{name}.csv")
        written += [out / f"{name}.csv", out / f"{name}.md"]
    table, origin = comparisons(manifests, f1, counts, resamples), provenance(manifests)
    for name, frame in (("comparisons", table.round(2)), ("provenance", origin)):
        with atomic_output(out / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False, na_rep="")
        written.append(out / f"{name}.csv")
    with atomic_output(out / "comparisons.md") as tmp:
        tmp.write_text(comparisons_markdown(table, origin, resamples if intervals else None), encoding="utf-8")
    with atomic_output(out / "glance.md") as tmp:
        tmp.write_text(glance_markdown(f1, table, source, list(manifests)), encoding="utf-8")
    return written + [out / "comparisons.md", out / "glance.md"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds-dir", type=Path, default=REPO / "docs/results/cpu-multi", help="the folder holding seed-N/ (default: docs/results/cpu-multi)")
    parser.add_argument("--conll", type=Path, default=REPO.parent / "shared/data/conll", help="CoNLL folder with <lang>/test.txt (default: ../shared/data/conll)")
    parser.add_argument("--out", type=Path, help="where the tables go (default: SEEDS_DIR/tables)")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap replicates (default: 2000)")
    parser.add_argument("--no-intervals", action="store_true", help="no gold, no intervals: tables and per-seed values only")
    args = parser.parse_args(argv)
    if args.resamples < 1:
        parser.error("--resamples must be at least 1")
    with reported("seed_tables.py"):
        written = rebuild(args.seeds_dir, args.conll, args.out or args.seeds_dir / "tables", args.resamples, not args.no_intervals)
    print(f"wrote {len(written)} files to {written[0].parent}", file=sys.stderr)


if __name__ == "__main__":
    main()
