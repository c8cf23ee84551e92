"""The report: figures of xner.plots, and `snakemake --report` after a tiny run of the whole workflow."""

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workflow_helpers import REPO, planned_jobs, snakemake

PNG = b"\x89PNG\r\n\x1a\n"


def alpha_file(path, method, target, alpha):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"method": method, "target": {"lang": target}, "alpha": alpha}))
    return path


def test_alpha_figure(tmp_path):
    from xner.plots import alpha_figure, read_alpha

    files = [
        alpha_file(tmp_path / "es1.json", "sim", "es", {"en": 0.5, "de": 0.2, "nl": 0.3}),
        alpha_file(tmp_path / "es2.json", "sim", "es", {"en": 0.7, "de": 0.1, "nl": 0.2}),
        alpha_file(tmp_path / "nl1.json", "sim", "nl", {"en": 0.4, "de": 0.4, "es": 0.2}),
    ]
    method, alpha = read_alpha(files)
    assert method == "sim" and list(alpha.query("target == 'es' and source == 'en'")["alpha"]) == [0.5, 0.7]
    assert set(alpha.query("target == 'nl'")["source"]) == {"en", "de", "es"}
    alpha_figure(files, tmp_path / "fig/alpha.png")
    assert (tmp_path / "fig/alpha.png").read_bytes().startswith(PNG)
    other = alpha_file(tmp_path / "x.json", "l2", "es", {"en": 1.0})
    with pytest.raises(ValueError, match="several methods"):
        read_alpha(files + [other])


def summary(folder, role, lang, seed, history):
    folder.mkdir(parents=True)
    key = {"teacher": {"train_corpus": {"lang": lang}}, "student": {"softlabels": {"lang": lang}}}[role]
    (folder / "training_summary.json").write_text(
        json.dumps({"role": role, **key, "settings": {"seed": seed}, "history": history})
    )
    return folder


def test_training_curves(tmp_path):
    from xner.plots import read_summary, training_curves

    steps = [{"step": s, "epoch": s / 4, "loss": 1 / s, "entity_agreement": 1 - 1 / s} for s in (1, 2, 3, 4)]
    teacher = summary(tmp_path / "t", "teacher", "en", 1, steps + [{"step": 4, "epoch": 1, "source_dev_f1": 0.5}])
    heldout = [{"step": s, "epoch": s / 4, "heldout_entity_agreement": 0.5 + s / 10} for s in (0, 2, 4)]
    student = summary(tmp_path / "s", "student", "es", 1, steps + heldout)
    assert read_summary(teacher)[:3] == ("teacher", "en", 1)
    assert read_summary(student)[:3] == ("student", "es", 1)
    training_curves([("teacher-en", teacher), ("student-ts-en", student)], tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)


def test_runtimes_name_each_files_rule(tmp_path):
    from xner.plots import runtimes

    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    files = {
        "predict/teacher-en/es/seed1/test.tsv": "2.5\t0:00:02\t100.1\t1\t1\t1\t0\t0\t50\t2.0\n",
        "predict/student-ts-avg/es/seed1/test.tsv": "1.5\t0:00:01\t90\t1\t1\t1\t0\t0\t40\t1.0\n",
        "encoder_tiny.tsv": "1.0\t0:00:01\tNA\t1\t1\t1\t0\t0\t10\t0.5\n2.0\t0:00:02\tNA\t1\t1\t1\t0\t0\t10\t0.5\n",
        "odd/one.tsv": "4\t0:00:04\t1\t1\t1\t1\t0\t0\t1\t1\n",
    }
    root = tmp_path / "results/benchmarks"
    for name, rows in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(header + rows)
    patterns = {
        "predict_teacher": f"{root}/predict/teacher-{{src}}/{{tgt}}/seed{{seed}}/{{split}}.tsv",
        "predict_student": f"{root}/predict/student-{{kind}}-{{teachers}}/{{tgt}}/seed{{seed}}/{{split}}.tsv",
        "encoder_tiny": f"{root}/encoder_tiny.tsv",
    }
    rows = runtimes(root, patterns, tmp_path / "r.csv", tmp_path / "r.png")
    by_job = {r["job"]: r for r in rows}
    assert by_job["predict/teacher-en/es/seed1/test"]["rule"] == "predict_teacher"
    assert by_job["predict/teacher-en/es/seed1/test"]["wildcards"] == "src=en, tgt=es, seed=1, split=test"
    assert by_job["predict/student-ts-avg/es/seed1/test"]["rule"] == "predict_student"
    assert by_job["encoder_tiny"]["repeats"] == 2 and by_job["encoder_tiny"]["s"] == 1.5
    assert "max_rss" not in by_job["encoder_tiny"]  # NA
    assert by_job["odd/one"]["rule"] == "odd"  # no pattern: the top folder
    written = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert len(written) == 4 and written[0]["rule"] and "cpu_time" in written[0]
    assert (tmp_path / "r.png").read_bytes().startswith(PNG)
    # No benchmark files at all: an empty table and a figure that says so.
    assert runtimes(tmp_path / "none", {}, tmp_path / "e.csv", tmp_path / "e.png") == []
    assert (tmp_path / "e.png").read_bytes().startswith(PNG)


FIGURES = ["alpha_avg.png", "alpha_sim.png", "alpha_cosine.png", "alpha_l2.png", "training_curves.png", "runtimes.png"]
TABLES = ["direct_transfer", "table2", "table3", "table4", "table5"]


@pytest.fixture(scope="module")
def reported(finished):
    """The shared tiny run, completed to everything `rule all` asks for, and its report."""
    run_dir, config, _ = finished
    snakemake(run_dir, "--cores", "2", "--configfile", str(config))
    snakemake(run_dir, "--report", "report.html", "--configfile", str(config))
    return run_dir, config


@pytest.mark.slow
def test_all_builds_the_report_figures(reported):
    run_dir, config = reported
    for name in FIGURES + ["figure5.png"]:
        assert (run_dir / "results/figures" / name).read_bytes().startswith(PNG), name
    rules = {r["rule"] for r in csv.DictReader(open(run_dir / "results/figures/runtimes.csv"))}
    assert {"prepare_corpus", "train_teacher", "train_student", "predict_teacher", "predict_student", "alpha"} <= rules
    # The figures are part of the finished run, and `report_figures` asks for exactly them.
    assert planned_jobs(run_dir, "--configfile", str(config)) == {}
    forced = planned_jobs(
        run_dir, "report_figures", "--configfile", str(config), "--forcerun", "alpha_figure", "training_curves", "runtimes"
    )
    assert forced == {"alpha_figure": 4, "training_curves": 1, "runtimes": 1, "report_figures": 1}


@pytest.mark.slow
def test_report_html_holds_tables_and_figures(reported):
    run_dir, _ = reported
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for name in [f"{t}.csv" for t in TABLES] + FIGURES + ["figure5.png", "figure4_cases.txt", "runtimes.csv"]:
        assert name in html, name
    for category in ("Tables", "Teacher weights", "Analysis", "Training curves", "Runtimes"):
        assert category in html, category
    assert "teacher-student learning" in html  # workflow/report/workflow.rst


@pytest.mark.slow
def test_report_zip(reported, tmp_path):
    run_dir, config = reported
    snakemake(run_dir, "--report", str(tmp_path / "report.zip"), "--configfile", str(config))
    names = zipfile.ZipFile(tmp_path / "report.zip").namelist()
    assert any(n.endswith("report.html") for n in names)
    for name in FIGURES + ["table3.csv", "figure5.png"]:
        assert any(n.endswith(name) for n in names), name


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_a_headless_browser(reported, tmp_path):
    run_dir, _ = reported
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts/check_report_render.py"), str(run_dir / "report.html"),
         "--screenshot", str(tmp_path / "report.png"), "--show", "alpha_sim.png", "--show", "table3.csv"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK:" in result.stdout
    for name in ("report.png", "report-alpha_sim.png", "report-table3.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG), name


def test_stage_times_summarise_benchmark_files(tmp_path):
    import runpy

    stage_table = runpy.run_path(str(Path(__file__).parents[1] / "benchmarks/stage_times.py"))["stage_table"]
    header = "s\th:m:s\tmax_rss\n"
    for name, row in {"train/en/seed1.tsv": "2.5\t0:00:02\t100\n", "train/es.tsv": "4\t0:00:04\tNA\n",
                      "encoder.tsv": "1\t0:00:01\t5\n"}.items():
        (tmp_path / "benchmarks" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "benchmarks" / name).write_text(header + row)
    table = stage_table(tmp_path)
    assert table.loc["train", "jobs"] == 2 and table.loc["train", "total_s"] == 6 and table.loc["train", "max_s"] == 4
    assert table.loc["train", "peak_rss_mb"] == 100 and table.loc["train", "slowest_job"] == "train/es"
    assert table.loc["encoder", "jobs"] == 1


def test_agreement_summary_tells_a_levelled_curve_from_a_rising_one(tmp_path):
    import runpy

    summarise = runpy.run_path(str(REPO / "benchmarks/agreement_summary.py"))["summarise"]

    def student(name, values):
        folder = tmp_path / name
        folder.mkdir()
        history = [{"step": 25 * i, "heldout_entity_agreement": v, "heldout_mse": 0.001, "heldout_entity_words": 300}
                   for i, v in enumerate(values)]
        summary = {"history": history, "settings": {"lr": 2e-5}, "init": {"from": "teachers"},
                   "stopping": {"steps": history[-1]["step"]}, "train_seconds": 1.0}
        (folder / "training_summary.json").write_text(json.dumps(summary))
        return summarise(folder, name, 1)

    # Flat but noisy at the end (the last 50 steps gain 0.02): levelled; climbing 0.02 per 25 steps: not.
    flat = student("flat", [1.0, 0.80, 0.90, 0.91, 0.90, 0.91, 0.90, 0.89, 0.90, 0.91])
    rising = student("rising", [1.0, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96])
    assert flat["levelled"] == "yes" and float(flat["last 50 steps"]) > 0.011
    assert rising["levelled"] == "no" and float(rising["words/50"]) == pytest.approx(12.0, abs=0.1)
    assert flat["before training"] == 1.0 and flat["lowest"] == 0.80 and rising["final"] == 0.96
    # The slope's standard error: none for points on a line; for the flat second half (0.91, 0.90,
    # 0.89, 0.90, 0.91 at steps 125-225) sqrt(0.00028 / 3 / 6250) per step, x 50 x 300 words.
    assert float(rising["± se"]) == 0.0 and float(flat["± se"]) == pytest.approx(1.83, abs=0.05)


def test_student_margins_compare_with_the_best_teacher_and_per_seed(tmp_path):
    import math
    import runpy

    margins = runpy.run_path(str(REPO / "benchmarks/student_margins.py"))
    scored = {  # (system, target, seed): test F1
        ("teacher-en", "es", 1): 0.60, ("teacher-nl", "es", 1): 0.65, ("teacher-es", "es", 1): 0.90,
        ("teacher-en", "es", 2): 0.62, ("teacher-nl", "es", 2): 0.61,
        ("mt-avg", "es", 1): 0.66, ("student-ts-avg", "es", 1): 0.68,
        ("mt-avg", "es", 2): 0.64, ("student-ts-avg", "es", 2): 0.63,
        ("mt-sim", "es", 1): 0.67,  # seed 1 has no Ours-sim: that comparison stays blank, not 0
    }
    for (system, target, seed), f1 in scored.items():
        path = tmp_path / "metrics" / system / target / f"seed{seed}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"system": system, "target": target, "seed": str(seed),
                                           "test": {"default": {"f1": f1}, "strict": {"f1": f1}}}))
    f1 = margins["scores"](tmp_path)
    table = margins["against_best_teacher"](f1, ["es"])
    # The in-language teacher (es on es, 90) is not a source: the best teacher is nl (65) in seed 1, en (62) in seed 2.
    assert "nl 65.00 (of 2, seed 1)" in table.loc["best single teacher", "es"]
    assert "en 62.00 (of 2, seed 2)" in table.loc["best single teacher", "es"]
    assert table.loc["student-ts-avg", "es"] == "65.50 (+2.00, n=2)"  # margins (+3, +1) per seed, then the mean
    comparisons = margins["comparisons"](f1, ["es"]).set_index("comparison")
    avg = comparisons.loc["Ours-avg − MT-avg"]
    assert avg["seed 1"] == pytest.approx(2.0) and avg["seed 2"] == pytest.approx(-1.0) and avg["mean"] == pytest.approx(0.5)
    assert math.isnan(comparisons.loc["Ours-sim − MT-sim", "seed 1"])

    # The paired bootstrap reads test predictions against the prepared gold corpus.
    import numpy as np

    from xner.conll import Sentence
    from xner.corpus import Corpus, write_corpus
    from xner.softlabels import write_word_probs

    labels = ["O", "B-PER", "I-PER"]
    sentences = [Sentence(("Ann", "sang", str(i)), ("B-PER", "O", "O")) for i in range(30)]
    gold = Corpus("es", "test", labels, sentences, "toy")
    write_corpus(tmp_path / "corpora/es/test.json", gold)
    one_hot = np.eye(3, dtype=np.float32)
    for system, finds in (("student-ts-avg", 30), ("mt-avg", 15)):  # finds Ann in that many sentences
        probs = [one_hot[[1 if i < finds else 0, 0, 0]] for i in range(30)]
        path = tmp_path / "predictions" / system / "es/seed1/test.h5"
        path.parent.mkdir(parents=True)
        write_word_probs(path, [s.tokens for s in sentences], [probs], labels,
                         {"lang": "es", "split": "test", "tokens_sha256": gold.tokens_sha256})
    intervals = margins["bootstrap"](tmp_path, f1, ["es"], 200)
    # Only seed 1 of Ours-avg − MT-avg has both prediction files: F1 100 against 2·15/45 = 66.67.
    assert intervals[["comparison", "seed"]].values.tolist() == [["Ours-avg − MT-avg", "1"]]
    row = intervals.iloc[0]
    assert row["difference"] == pytest.approx(33.33) and row["P(not better)"] == 0.0


def test_step_profile_counts_the_matrix_products_flops(toy_corpora, tiny_encoder, capsys):
    import runpy

    main = runpy.run_path(str(REPO / "benchmarks/step_profile.py"))["main"]
    main(["--corpus", str(toy_corpora["en", "train"]), "--encoder", str(tiny_encoder), "--steps", "2",
          "--batch-size", "4", "--freeze-layers", "1", "--top", "3", "--peak-size", "256"])
    out = capsys.readouterr().out
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in out.splitlines() if line.startswith("| ")}
    # The profiler saw the Linear layers' products and counted their FLOPs; the groups' shares add up.
    assert float(rows["matrix products"][3]) > 0 and "ceiling, matrix products only" in out
    assert sum(float(r[2].rstrip("%")) for name, r in rows.items() if name != "group" and not name.startswith("---")) == pytest.approx(100, abs=0.5)


def test_step_profile_compares_attention_dropout_in_one_process(toy_corpora, tiny_encoder, capsys):
    import runpy

    main = runpy.run_path(str(REPO / "benchmarks/step_profile.py"))["main"]
    main(["--corpus", str(toy_corpora["en", "train"]), "--encoder", str(tiny_encoder), "--steps", "2",
          "--batch-size", "4", "--freeze-layers", "1", "--peak-size", "256", "--attention-dropout-ab", "2"])
    out = capsys.readouterr().out
    rounds = [line.split(" | ") for line in out.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert len(rounds) == 2 and all(float(r[1]) > 0 and float(r[2]) > 0 for r in rounds)
    assert "median speed-up without attention dropout" in out and "ceiling" not in out  # nothing profiled
