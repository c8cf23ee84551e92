"""What the Snakemake workflow catalog reads: its usage file, config/README.md, workflow/Snakefile."""

import yaml

from workflow_helpers import REPO, planned_jobs, write_config


def key_paths(mapping, prefix=""):
    for key, value in mapping.items():
        yield f"{prefix}{key}"
        if isinstance(value, dict) and key != "languages":  # data.languages: one entry per language
            yield from key_paths(value, f"{prefix}{key}.")


def test_config_readme_describes_every_key():
    readme = (REPO / "config/README.md").read_text()
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for path in key_paths(config):
        assert f"`{path.rsplit('.', 1)[-1]}`" in readme, path
    for variant in (REPO / "config").glob("*.yaml"):
        assert f"`{variant.name}`" in readme, variant.name


def test_catalog_usage_file():
    usage = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert usage["software-stack-deployment"]["conda"] is True and usage["report"] is True
    assert usage["mandatory-flags"]["desc"] and usage["mandatory-flags"]["flags"]


def test_catalog_entry_point_plans_the_default_target(tmp_path, toy_conll):
    config = write_config(tmp_path / "c.yaml", toy_conll, languages=["en", "es", "nl"], seeds=[1],
                          single_source={"source": "en", "targets": ["es", "nl"]}, multi_source={"targets": ["es", "nl"]})
    jobs = planned_jobs(tmp_path, "--configfile", str(config), snakefile=REPO / "workflow/Snakefile")
    main = planned_jobs(tmp_path, "--configfile", str(config))
    assert jobs.pop("default") == main.pop("all") == 1 and jobs == main
