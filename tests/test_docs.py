"""The README and docs/ cannot rot: every link and anchor resolves, every path and config key they
name exists, every `xner` command line parses with the real parser, every `snakemake … results/…`
command plans jobs, every benchmark script is cited, and the text speaks of the project only.

Each check is a function returning the problems it finds, so the tests below can also show that it
reports a broken link, sub-command, option or key (a check that finds nothing in any text would
pass on broken docs too)."""

import argparse
import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from workflow_helpers import REPO, planned_jobs

README = REPO / "README.md"
README_MAX_LINES = 350
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Names in the repository a text may point at as a path (others, e.g. results/…, are outputs).
REPO_TOP = ("benchmarks", "config", "docs", "envs", "profiles", "scripts", "tests", "workflow", "xner", ".ci")
REPO_FILES = {"config.yaml", "Makefile", "LICENSE", "requirements.txt", "pyproject.toml", "Snakefile"}
FILE_SUFFIXES = {"py", "yaml", "yml", "md", "json", "h5", "txt", "csv", "png", "sh", "tsv", "html", "zip", "smk", "log", "safetensors", "rst"}
PLACEHOLDER = re.compile(r"[<>{}*…]|\.\.\.|\bCOMMAND\b")


def doc_files():
    """The pages a reader is sent to: the README and every page of docs/ present in the checkout."""
    return [README, *sorted((REPO / "docs").glob("*.md"))]


def doc_id(path):
    return str(path.relative_to(REPO))


def prose(text):
    """The text outside fenced code blocks."""
    return FENCE.sub("", text)


def shell_blocks(text):
    """Commands of the bash (or unlabelled) code blocks: continuation lines joined, comments dropped."""
    commands = []
    for lang, body in FENCE.findall(text):
        if lang not in ("bash", "sh", ""):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def inline_spans(text):
    """Inline code of the prose, with line breaks inside a span read as spaces (as Markdown does)."""
    return [" ".join(span.split()) for span in INLINE.findall(prose(text))]


def command_segments(line, program):
    """The parts of a shell line that run `program` (pipes and && split a line), as argument lists
    after the program name, or None where the line cannot be split into words."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return []
    segments, current = [], []
    for word in words:
        if word in ("|", "&&", ";"):
            segments.append(current)
            current = []
        else:
            current.append(word)
    segments.append(current)
    found = []
    for segment in segments:
        env = {}
        while segment and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", segment[0]):
            key, _, value = segment.pop(0).partition("=")
            env[key] = value
        if segment and segment[0] == program:
            found.append((env, segment[1:]))
    return found


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(text):
    seen, out = {}, set()
    for match in re.finditer(r"^#{1,6} +(.+?) *#*$", prose(text), re.M):
        base = slug(match.group(1))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def link_problems(path, text):
    """Relative links whose file is missing or whose #anchor is no heading of the page it names."""
    problems = []
    for target in LINK.findall(prose(text)):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
            problems.append(f"{target}: no heading with this anchor in {linked.name}")
    return problems


# A page (and section) that a comment or docstring of the code sends a reader to, named from the
# repository root: `docs/experiments.md#more-steps`.
CODE_REFERENCE = re.compile(r"(?<![\w/.-])((?:docs/[\w-]+|README|config/README)\.md)(?:#([\w-]+))?")


def code_files():
    """Configs, package, workflow and benchmark files, whose comments may point into the docs."""
    patterns = ("config.yaml", "Makefile", "config/*.yaml", "xner/**/*.py", "workflow/Snakefile", "workflow/**/*.smk", "benchmarks/*.py", "benchmarks/*.sh")
    return sorted({path for pattern in patterns for path in REPO.glob(pattern) if path.is_file()})


def code_reference_problems(text):
    """Pages named in the code that are missing, or whose #anchor is no heading of the page."""
    problems = []
    for page, anchor in CODE_REFERENCE.findall(text):
        path = REPO / page
        if not path.is_file():
            problems.append(f"{page}: no such page")
        elif anchor and anchor not in anchors(path.read_text(encoding="utf-8")):
            problems.append(f"{page}#{anchor}: no heading with this anchor in {page}")
    return problems


def named_paths(text):
    """Repository paths named in inline code or in the shell blocks."""
    words = []
    for chunk in inline_spans(text) + shell_blocks(text):
        words += chunk.split()
    out = set()
    for word in words:
        word = word.strip("\"'(),;:")
        if PLACEHOLDER.search(word) or "=" in word:
            continue
        if word.split("/")[0] in REPO_TOP and "/" in word or word in REPO_FILES:
            out.add(word.rstrip("."))
    return out


def path_problems(text):
    return [f"{name}: not in the repository" for name in sorted(named_paths(text)) if not (REPO / name).exists()]


def xner_parser():
    from xner.cli import build_parser

    return build_parser()


def subcommands(parser):
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def xner_problems(text, parser):
    """Every `xner …` line: its sub-command and options exist; a code-block line also parses whole."""
    lines = [(line, True) for line in shell_blocks(text)] + [(span, False) for span in inline_spans(text)]
    problems = []
    for line, whole in lines:
        for _, args in command_segments(line, "xner"):
            problems += _one_xner_command(args, parser, whole and not PLACEHOLDER.search(line))
    return problems


def _one_xner_command(args, parser, parse_whole):
    shown = "xner " + " ".join(args)
    top_options = set(parser._option_string_actions)
    rest = list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0).split("=")[0]
        if option not in top_options:
            return [f"{shown}: xner has no option {option}"]
        if option == "--log-level" and rest:
            rest.pop(0)
    if not rest or PLACEHOLDER.search(rest[0]) or rest[0].endswith(":"):  # "xner workflow: error: …" is a message
        return []
    commands = subcommands(parser)
    if rest[0] not in commands:
        return [f"{shown}: no sub-command {rest[0]!r}"]
    known = set(commands[rest[0]]._option_string_actions)
    problems = [f"{shown}: {rest[0]} has no option {word.split('=')[0]}" for word in rest[1:] if word.startswith("--") and word.split("=")[0] not in known]
    if parse_whole and not problems:
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                parser.parse_args(args)
        except SystemExit as stop:
            if stop.code:
                problems.append(f"{shown}: {stderr.getvalue().strip()}")
    return problems


def schema():
    return yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def _key_exists(node, segments, definitions):
    for segment in segments:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        if segment in node.get("properties", {}):
            node = node["properties"][segment]
        elif isinstance(node.get("additionalProperties"), dict):  # a placeholder such as <lang>, or a language
            node = node["additionalProperties"]
        else:
            return False
    return True


def config_keys(text):
    """Dotted config keys named in inline code (`student.init`, `student.init: teachers`) and the keys
    of `--config KEY=VALUE` in snakemake commands."""
    keys = set()
    for span in inline_spans(text):
        match = re.fullmatch(r"([a-z_][a-z0-9_]*(?:\.[a-z_<>][a-z0-9_<>]*)+)(?:: .+)?", span)
        if not match or match.group(1).startswith(("xner.", "torch.")):
            continue
        if match.group(1).rsplit(".", 1)[1] in FILE_SUFFIXES:
            continue
        keys.add(match.group(1))
    for line in shell_blocks(text) + inline_spans(text):
        for _, args in command_segments(line, "snakemake"):
            for i, word in enumerate(args[:-1]):
                if word == "--config":
                    for item in args[i + 1 :]:
                        if item.startswith("-") or "=" not in item:
                            break
                        keys.add(item.split("=")[0])
    return keys


def config_key_problems(text, config_schema):
    definitions = config_schema.get("definitions", {})
    return [f"{key}: not a key of the config schema" for key in sorted(config_keys(text)) if not _key_exists(config_schema, key.split("."), definitions)]


def _expand_braces(word):
    match = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if not match:
        return [word]
    return [w for option in match.group(1).split(",") for w in _expand_braces(word[: match.start()] + option + word[match.end() :])]


def snakemake_commands():
    """(page, env, arguments) of every snakemake command shown with a results/… target, once each."""
    found, seen = [], set()
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for line in shell_blocks(text) + inline_spans(text):
            if PLACEHOLDER.search(line.replace("{", "").replace("}", "").replace(",", " ")):
                continue
            for env, args in command_segments(line, "snakemake"):
                args = [w for word in args for w in _expand_braces(word)]
                if not any(w.startswith("results/") for w in args) or {"--unlock", "--touch", "--report"} & set(args):
                    continue
                key = (tuple(sorted(env.items())), tuple(args))
                if key not in seen:
                    seen.add(key)
                    found.append((doc_id(path), env, args))
    return found


def _absolute_paths(args):
    """Config files and profiles of a command as paths in the checkout (the dry run runs elsewhere)."""
    out, taking = [], False
    for word in args:
        if word.startswith("-"):
            taking = word in ("--configfile", "--configfiles", "--workflow-profile")
            out.append(word)
        elif taking and (REPO / word).exists():
            out.append(str(REPO / word))
            taking = word != args[-1] and word.endswith((".yaml", ".yml"))  # --configfile takes several
        else:
            taking = False
            out.append(word)
    return out


# ---- the docs as they are ----------------------------------------------------------------------


def test_readme_is_a_guide_of_at_most_350_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def markdown_tables(text):
    """Each table of a markdown text: its block of consecutive lines that start with `|`."""
    return re.findall(r"(?:^\|.*\n)+", text, re.M)


def glance_problems(readme_text, glance_text):
    """The tables of benchmarks/seed_tables.py's glance.md that README.md does not hold verbatim."""
    return [f"README.md lacks this table of glance.md: {table.splitlines()[0]}"
            for table in markdown_tables(glance_text) if table not in readme_text]


def test_readme_results_are_the_seed_tables():
    """The README's results at a glance are benchmarks/seed_tables.py's, as rebuilt from the kept seeds."""
    glance = REPO / "docs/results/cpu-multi/tables/glance.md"
    assert len(markdown_tables(glance.read_text(encoding="utf-8"))) == 2
    assert glance_problems(README.read_text(encoding="utf-8"), glance.read_text(encoding="utf-8")) == []


def test_glance_check_reports_a_changed_figure():
    glance = "intro\n\n| a | b |\n|:--|:--|\n| x | 68.52 |\n\n| c |\n|:--|\n| +0.12 |\n"
    assert glance_problems("text\n" + glance, glance) == []
    problems = glance_problems(glance.replace("68.52", "68.53"), glance)
    assert problems == ["README.md lacks this table of glance.md: | a | b |"]


def test_docs_has_its_pages():
    for page in ("method.md", "workflow.md", "results.md", "experiments.md"):
        assert (REPO / "docs" / page).is_file(), page


@pytest.mark.parametrize("path", doc_files(), ids=doc_id)
def test_links_and_anchors_resolve(path):
    assert link_problems(path, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", doc_files(), ids=doc_id)
def test_named_repository_paths_exist(path):
    assert path_problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", doc_files(), ids=doc_id)
def test_xner_command_lines_parse(path):
    assert xner_problems(path.read_text(encoding="utf-8"), xner_parser()) == []


@pytest.mark.parametrize("path", doc_files(), ids=doc_id)
def test_named_config_keys_exist(path):
    assert config_key_problems(path.read_text(encoding="utf-8"), schema()) == []


@pytest.mark.parametrize("path", doc_files(), ids=doc_id)
def test_text_speaks_of_the_project(path):
    """No issue numbers, and no story of which round of work changed what."""
    text = path.read_text(encoding="utf-8")
    for pattern in (r"\bissues? *#?\d+", r"(?<![\w/&])#\d+\b", r"\bsessions?\b"):
        assert not re.search(pattern, text, re.I), (pattern, re.search(pattern, text, re.I).group(0))


def test_every_benchmark_script_is_cited():
    """benchmarks/ holds repeatable measurements that a page cites; an uncited one-off probe goes."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in doc_files())
    scripts = [p for p in sorted((REPO / "benchmarks").iterdir()) if p.suffix in (".py", ".sh")]
    uncited = [p.name for p in scripts if f"benchmarks/{p.name}" not in text]
    assert uncited == []


CODE_WITH_REFERENCES = [path for path in code_files() if CODE_REFERENCE.search(path.read_text(encoding="utf-8"))]


def test_code_sends_readers_to_docs_pages():
    """The research record moved from the README to docs/; comments say where, as page#anchor."""
    assert any("docs/" in CODE_REFERENCE.search(path.read_text(encoding="utf-8")).group(0) for path in CODE_WITH_REFERENCES)


@pytest.mark.parametrize("path", CODE_WITH_REFERENCES, ids=doc_id)
def test_code_references_to_pages_resolve(path):
    assert code_reference_problems(path.read_text(encoding="utf-8")) == []


def _conll_dir():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    return (REPO / config["data"]["conll_dir"]).resolve()


SNAKEMAKE_COMMANDS = snakemake_commands()


def test_docs_show_snakemake_commands():
    assert len(SNAKEMAKE_COMMANDS) >= 5


@pytest.mark.skipif(not _conll_dir().is_dir(), reason="CoNLL data not in ../shared/data/conll")
@pytest.mark.parametrize("page,env,args", SNAKEMAKE_COMMANDS, ids=[" ".join(a)[:80] for _, _, a in SNAKEMAKE_COMMANDS])
def test_snakemake_command_plans_jobs(page, env, args, tmp_path, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    jobs = planned_jobs(tmp_path, *_absolute_paths(args))
    assert sum(jobs.values()) >= 1, f"{page}: snakemake {' '.join(args)} plans nothing"


# ---- the checks find what is broken ------------------------------------------------------------


def test_link_check_reports_a_missing_page_and_a_missing_anchor(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n")
    text = "# Page\n\n[ok](other.md#a-section) [self](#page) [gone](missing.md) [bad](other.md#no-such)\n"
    page.write_text(text)
    assert link_problems(page, text) == ["missing.md: no such file", "other.md#no-such: no heading with this anchor in other.md"]


def test_code_reference_check_reports_a_missing_page_and_a_missing_anchor():
    text = (
        "# measured in docs/experiments.md#more-steps (see README.md#tests)\n"
        "# docs/no-such-page.md and docs/method.md#no-such-section; model_dir/README.md is a model card\n"
    )
    assert code_reference_problems(text) == [
        "docs/no-such-page.md: no such page",
        "docs/method.md#no-such-section: no heading with this anchor in docs/method.md",
    ]


def test_anchor_slugs_follow_github():
    text = "# Demo (`make demo`, `config/demo.yaml`)\n## The students' rate\n## The students' rate\n```bash\n# not a heading\n```\n"
    assert anchors(text) == {"demo-make-demo-configdemoyaml", "the-students-rate", "the-students-rate-1"}


def test_xner_check_reports_an_unknown_subcommand_option_and_bad_line():
    parser = xner_parser()
    text = (
        "Run `xner inspect FILE.h5 --json` or `xner frobnicate --x`.\n\n"
        "```bash\nxner inspect a.h5 --no-such-option\nxner tag --model m --batch-size many\necho x | xner tag --model m\n```\n"
    )
    problems = xner_problems(text, parser)
    assert len(problems) == 3, problems
    assert "no sub-command 'frobnicate'" in problems[2]
    assert "inspect has no option --no-such-option" in problems[0]
    assert "--batch-size" in problems[1]


def test_config_key_check_reports_unknown_keys():
    text = (
        "`student.init: teachers`, `data.languages.<lang>.encoding`, `data.max_sentences.student` and "
        "`xner.student.start_from_teachers` exist; `student.inti` and `datum.conll_dir` do not.\n\n"
        "```bash\nsnakemake --config threads=1 trheads=2 -- results/tables/table3.csv\n```\n"
    )
    assert config_key_problems(text, schema()) == [
        "datum.conll_dir: not a key of the config schema",
        "student.inti: not a key of the config schema",
        "trheads: not a key of the config schema",
    ]


def test_path_check_reports_a_missing_file():
    text = "See `benchmarks/throughput.py --help`, `config/nothing.yaml` and `results/tables/table3.csv`.\n"
    assert path_problems(text) == ["config/nothing.yaml: not in the repository"]


def test_snakemake_commands_are_found_with_their_config_and_braces_expanded(tmp_path):
    assert any("config/cpu-multi.yaml" in args and "results/tables/table5.csv" in args for _, _, args in SNAKEMAKE_COMMANDS)
    assert _expand_braces("results/tables/table{3,4}.csv") == ["results/tables/table3.csv", "results/tables/table4.csv"]
    assert _absolute_paths(["--configfile", "config/demo.yaml", "--", "results/x"])[1] == str(REPO / "config/demo.yaml")
    assert os.path.isabs(_absolute_paths(["--workflow-profile", "workflow/profiles/slurm", "results/x"])[1])
