"""Keep one seed of a finished run in the repository, small: what the multi-seed tables are rebuilt from.

Writes OUT/seed-N/ (default OUT: docs/results/cpu-multi) from a results folder:
  manifest.json           seed, config (path and sha256), commit, machine (lscpu), wall time if
                          given, every system and α file exported, and per test set what the gold
                          must hash to (tokens_sha256, sha256) and how to prepare it again
  metrics/SYSTEM/TGT.json every system's metrics JSON (results/metrics/SYSTEM/TGT/seedN.json)
  alpha/METHOD/TGT.json   the α files (results/alpha/METHOD/TGT/seedN.json)
  predictions/TGT.npz     each system's predicted tag on every test word: `tags` int8
                          [systems, words] (an index into `label_names`, the argmax of the
                          system's word probabilities), `systems`, `label_names`, `offsets`
                          (sentence i is words offsets[i]:offsets[i+1]) and `tokens_sha256`
  agreement.csv / .md     each student's agreement-set curve in brief (benchmarks/agreement_summary.py)
No models, soft labels or probabilities, and no CoNLL text or gold tags (the data's licence): the
seed-tables script takes the gold from the CoNLL files when it rebuilds the tables. A synthetic
seed the shape of config/cpu-multi.yaml's came to 0.76 MB (docs/seeds.md); the export prints the
size it wrote. An existing OUT/seed-N/ is replaced as a whole.

The commit is that of the git checkout the results folder lies in (with "tracked changes" if its
tracked files differ from it), so export right after the run, before that checkout moves on, or
give --commit. The machine is this one's lscpu, so export on the machine that ran the seed, or give
--machine.

Usage: python benchmarks/export_seed.py --results RESULTS --config CONFIG --seed N
         [--out docs/results/cpu-multi] [--wall-time 2:07:38] [--note TEXT] [--commit HASH] [--machine TEXT]
"""

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from agreement_summary import students, summarise
from xner import __version__
from xner.checks import read_yaml
from xner.corpus import read_corpus
from xner.errors import XnerError, reported
from xner.io import atomic_output, write_json
from xner.softlabels import WordProbs

REPO = Path(__file__).resolve().parents[1]
FORMAT = "xner-seed-export/1"
PREDICTIONS_FORMAT = "xner-seed-predictions/1"


def merged(defaults: dict, overrides: dict) -> dict:
    """`overrides` on top of `defaults`, nested mappings merged key by key (as Snakemake's --configfile)."""
    out = dict(defaults)
    for key, value in overrides.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit(folder: Path) -> dict | None:
    """HEAD of the checkout `folder` lies in, and whether its tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"hash": git("rev-parse", "HEAD"), "tracked_changes": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return None


def this_machine() -> dict:
    """CPU model and count (lscpu) and memory (/proc/meminfo) of the machine running the export."""
    machine = {"source": "lscpu and /proc/meminfo of the machine that exported"}
    try:
        fields = dict(line.split(":", 1) for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines() if ":" in line)
        machine |= {"cpu": fields.get("Model name", "").strip(), "cpus": int(fields.get("CPU(s)", "0").strip() or 0)}
    except (OSError, subprocess.CalledProcessError, ValueError):
        machine["cpu"] = "unknown (no lscpu)"
    try:
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:"))
        machine["memory_gib"] = round(kib / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return machine


def wall_seconds(text: str) -> float:
    """Seconds of `H:MM:SS`, `MM:SS` or a plain number of seconds."""
    try:
        seconds = 0.0
        for part in text.split(":"):
            seconds = 60 * seconds + float(part)
        return seconds
    except ValueError:
        raise XnerError("--wall-time", f"{text!r} is not H:MM:SS, MM:SS or seconds", "e.g. --wall-time 2:07:38") from None


def seed_files(results: Path, kind: str, seed: int) -> dict[tuple[str, str], Path]:
    """{(name, target): file} of results/KIND/NAME/TARGET/seedN.json."""
    return {(p.parent.parent.name, p.parent.name): p for p in sorted(results.glob(f"{kind}/*/*/seed{seed}.json"))}


def test_sets(results: Path, targets, config: dict) -> dict:
    """Per target: what the gold test corpus hashes to and the data settings it was prepared with."""
    data = config["data"]
    out = {}
    for target in targets:
        corpus = read_corpus(results / "corpora" / target / "test.json")
        entry = data["languages"].get(target, {})
        out[target] = {
            "conll_file": f"{target}/test.txt", "encoding": entry.get("encoding", "utf-8"), "scheme": entry.get("scheme", "auto"),
            "max_sentences": data["max_sentences"].get("test") or None, "subsample_seed": data["subsample_seed"],
            "label_names": list(corpus.label_names), "n_sentences": len(corpus.sentences), "n_words": corpus.n_words,
            "tokens_sha256": corpus.tokens_sha256, "sha256": corpus.sha256,
        }
    return out


def predicted_ids(path: Path, label_names: list[str], tokens_sha: str) -> tuple[np.ndarray, np.ndarray]:
    """(label ids in `label_names` order per word, offsets) of a test prediction file."""
    pred = WordProbs(path)
    if pred.attrs.get("tokens_sha256") != tokens_sha:
        raise XnerError(path, f"predicts another text than the prepared test corpus (tokens_sha256 {pred.attrs.get('tokens_sha256')!r})", "rerun the seed's predictions")
    missing = set(pred.label_names) - set(label_names)
    if missing:
        raise XnerError(path, f"labels {sorted(missing)} are not among the corpus's {label_names}", "predict with a model of this label set")
    to_corpus_order = np.array([label_names.index(name) for name in pred.label_names], dtype=np.int8)
    return to_corpus_order[pred.probs.argmax(axis=1)], pred.offsets


def write_predictions(path: Path, results: Path, target: str, systems: list[str], seed: int, test_set: dict) -> None:
    label_names = test_set["label_names"]
    if len(label_names) > 127:
        raise XnerError(path, f"{len(label_names)} labels do not fit int8 ids")
    rows, offsets = [], None
    for system in systems:
        ids, system_offsets = predicted_ids(results / "predictions" / system / target / f"seed{seed}" / "test.h5", label_names, test_set["tokens_sha256"])
        offsets = system_offsets if offsets is None else offsets
        rows.append(ids)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f, format=np.array(PREDICTIONS_FORMAT), tags=np.stack(rows), systems=np.array(systems),
                label_names=np.array(label_names), offsets=offsets, tokens_sha256=np.array(test_set["tokens_sha256"]),
            )


def read_predictions(path) -> dict:
    """An exported predictions file: {"systems", "label_names", "offsets", "tags", "tokens_sha256"}."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise XnerError(path, "file does not exist", "export the seed again") from None
    except (OSError, ValueError) as e:
        raise XnerError(path, f"not a readable .npz file ({e})", "export the seed again") from None
    if str(data.get("format", "")) != PREDICTIONS_FORMAT:
        raise XnerError(path, f"not an exported predictions file (format {str(data.get('format', ''))!r})", "export the seed again")
    tags, offsets = data["tags"], data["offsets"]
    if tags.ndim != 2 or len(tags) != len(data["systems"]) or offsets[-1] != tags.shape[1] or tags.max(initial=0) >= len(data["label_names"]):
        raise XnerError(path, f"inconsistent layout: tags {tags.shape} for {len(data['systems'])} systems, offsets ending at {offsets[-1]}", "export the seed again")
    return {"systems": [str(s) for s in data["systems"]], "label_names": [str(n) for n in data["label_names"]],
            "offsets": offsets, "tags": tags, "tokens_sha256": str(data["tokens_sha256"])}


def tag_lists(predictions: dict, system: str) -> list[list[str]]:
    """One system's predicted tags per sentence, decoded from an exported predictions file."""
    names, offsets = predictions["label_names"], predictions["offsets"]
    ids = predictions["tags"][predictions["systems"].index(system)]
    return [[names[i] for i in ids[offsets[s]:offsets[s + 1]]] for s in range(len(offsets) - 1)]


def agreement_rows(results: Path, seed: int) -> pd.DataFrame:
    if not any(results.glob("students/*/*/seed*/training_summary.json")):  # students() would exit
        return pd.DataFrame()
    found = [(folder, name, s) for folder, name, s in students([results]) if s == str(seed)]
    return pd.DataFrame([summarise(*student) for student in found])


def export_seed(results: Path, config_path: Path, seed: int, out: Path, wall_time=None, note=None, commit=None, machine=None) -> Path:
    """Write out/seed-N (see the module's docstring) and return it."""
    results = Path(results)
    metrics = seed_files(results, "metrics", seed)
    if not metrics:
        raise XnerError(results / "metrics", f"no */*/seed{seed}.json", f"give the results folder of a run of seed {seed}")
    # The defaults the run merged its config into: the run's own config.yaml, else this checkout's.
    run_defaults = results.resolve().parent / "config.yaml"
    defaults_path = run_defaults if run_defaults.is_file() else REPO / "config.yaml"
    config = merged(read_yaml(defaults_path), read_yaml(config_path) or {})
    targets = sorted({target for _, target in metrics})
    tests = test_sets(results, targets, config)
    alpha = seed_files(results, "alpha", seed)

    manifest = {
        "format": FORMAT, "seed": seed,
        "config": {"path": str(config_path), "sha256": sha256_of(Path(config_path)), "defaults": str(defaults_path), "defaults_sha256": sha256_of(defaults_path)},
        "single_source": config["single_source"], "multi_source": config["multi_source"],
        "commit": {"hash": commit, "tracked_changes": None, "source": "--commit"} if commit else git_commit(results.resolve().parent),
        "machine": {"given": machine} if machine else this_machine(),
        "wall_time": {"given": wall_time, "seconds": wall_seconds(wall_time)} if wall_time else None,
        "note": note,
        "results": str(results), "exported": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "xner_version": __version__,
        "systems": {t: [s for s, target in metrics if target == t] for t in targets},
        "alpha": {m: sorted(t for method, t in alpha if method == m) for m in sorted({m for m, _ in alpha})},
        "test_sets": tests,
    }
    folder = Path(out) / f"seed-{seed}"
    with atomic_output(folder, directory=True) as tmp:
        for (system, target), path in metrics.items():
            (tmp / "metrics" / system).mkdir(parents=True, exist_ok=True)
            (tmp / "metrics" / system / f"{target}.json").write_bytes(path.read_bytes())
        for (method, target), path in alpha.items():
            (tmp / "alpha" / method).mkdir(parents=True, exist_ok=True)
            (tmp / "alpha" / method / f"{target}.json").write_bytes(path.read_bytes())
        for target in targets:
            write_predictions(tmp / "predictions" / f"{target}.npz", results, target, manifest["systems"][target], seed, tests[target])
        agreement = agreement_rows(results, seed)
        if len(agreement):
            agreement.to_csv(tmp / "agreement.csv", index=False)
            (tmp / "agreement.md").write_text(agreement.to_markdown(index=False) + "\n", encoding="utf-8")
        write_json(tmp / "manifest.json", manifest)
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="the run's results folder")
    parser.add_argument("--config", type=Path, required=True, help="the --configfile of the run, e.g. config/cpu-multi.yaml")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, default=REPO / "docs/results/cpu-multi", help="where seed-N/ goes (default: docs/results/cpu-multi)")
    parser.add_argument("--wall-time", help="the Snakemake call's wall time, H:MM:SS or seconds (recorded as given)")
    parser.add_argument("--note", help="free text for the manifest, e.g. what else ran on the machine")
    parser.add_argument("--commit", help="the commit the seed ran with (default: HEAD of the results folder's checkout)")
    parser.add_argument("--machine", help="the machine the seed ran on (default: this machine's lscpu)")
    args = parser.parse_args(argv)
    with reported("export_seed.py"):
        folder = export_seed(args.results, args.config, args.seed, args.out, args.wall_time, args.note, args.commit, args.machine)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    manifest = json.loads((folder / "manifest.json").read_text())
    systems = sum(len(s) for s in manifest["systems"].values())
    print(f"{folder}: {systems} system-target pairs, {sum(len(t) for t in manifest['alpha'].values())} α files, {size / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
