"""Score predictions against gold tags: seqeval entity-level P/R/F1, default and strict (per split)."""

from .corpus import read_corpus
from .errors import XnerError
from .io import write_json
from .metrics import score
from .softlabels import WordProbs


def gold_and_predicted(predictions_path, gold_path):
    """(gold corpus, gold tag lists, predicted tag lists) of a prediction file and the corpus it is for."""
    gold = read_corpus(gold_path)
    pred = WordProbs(predictions_path, for_corpus=gold)
    if set(pred.label_names) != set(gold.label_names):
        raise XnerError(predictions_path, f"label set {pred.label_names} differs from {gold.label_names} of {gold_path}", "predict with a model of this label set")
    return gold, [list(s.tags) for s in gold.sentences], pred.tag_lists()


def score_predictions(predictions_path, gold_path) -> dict:
    gold, gold_tags, predicted_tags = gold_and_predicted(predictions_path, gold_path)
    result = score(gold_tags, predicted_tags)
    result["predictions"] = str(predictions_path)
    result["gold"] = {"path": str(gold_path), "sha256": gold.sha256}
    return result


def write_metrics(out, system: str, target: str, seed, splits: dict[str, tuple[str, str]]) -> dict:
    """`splits` maps a split name to (predictions file, gold corpus file)."""
    metrics = {"system": system, "target": target, "seed": seed}
    metrics.update({split: score_predictions(p, g) for split, (p, g) in splits.items()})
    write_json(out, metrics)
    return metrics
