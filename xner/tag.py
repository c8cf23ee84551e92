"""Tag raw text with a trained model folder: CoNLL columns or JSON lines with entity spans.

Input is one sentence per line with whitespace tokens (`text`), or the first column of CoNLL
(`conll`: blank line between sentences, -DOCSTART- skipped). Long sentences are split into
windows and stitched back, as in every other stage (xner.features).
"""

import json
import sys
from pathlib import Path

from seqeval.metrics.sequence_labeling import get_entities

from .checks import check_trained_model
from .device import resolve_device
from .errors import XnerError
from .io import atomic_output
from .model import load_model
from .predict import predict_blocks


def read_text(lines):
    """(line number, tokens) per non-blank line."""
    for number, line in enumerate(lines, 1):
        tokens = line.split()
        if tokens:
            yield number, tokens


def read_conll_tokens(lines):
    """(line number of the first token, tokens) per sentence of a CoNLL file; only column 1 is read."""
    first, tokens = None, []
    for number, line in enumerate(lines, 1):
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            if tokens:
                yield first, tokens
            first, tokens = None, []
            continue
        first = first or number
        tokens.append(columns[0])
    if tokens:
        yield first, tokens


def entities(tokens, tags, probs, label_names):
    """Entity spans (seqeval's reading of the tags): [start, end) word offsets, type, text and the
    mean over the span's words of the probability of each word's predicted tag."""
    index = {name: i for i, name in enumerate(label_names)}
    found = []
    for kind, start, last in get_entities(list(tags)):
        p = [float(probs[i, index[tags[i]]]) for i in range(start, last + 1)]
        found.append({
            "start": start, "end": last + 1, "type": kind,
            "text": " ".join(tokens[start : last + 1]), "probability": round(sum(p) / len(p), 4),
        })
    return found


def tag_sentences(model_dir, sentences, max_length=128, batch_size=64, device="auto", precision="fp32"):
    """Yield {"line", "tokens", "tags", "probabilities", "entities"} per (line, tokens) sentence."""
    sentences = list(sentences)
    model, tokenizer, label_names = load_model(model_dir)
    token_lists = [tokens for _, tokens in sentences]
    blocks = predict_blocks(model, tokenizer, token_lists, max_length, batch_size, resolve_device(device), precision, desc="tag")
    done = 0
    for block in blocks:
        for probs in block:
            line, tokens = sentences[done]
            done += 1
            best = probs.argmax(axis=1)
            tags = [label_names[j] for j in best]
            yield {
                "line": line,
                "tokens": tokens,
                "tags": tags,
                "probabilities": [round(float(probs[i, j]), 4) for i, j in enumerate(best)],
                "entities": entities(tokens, tags, probs, label_names),
            }


def read_lines(source) -> list[str]:
    """The lines of a UTF-8 text file, or of stdin for -; text that is not UTF-8 is an XnerError
    naming the file, line and byte offset."""
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff").splitlines()
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        where = f"{'stdin' if source == '-' else source}:{line}"
        raise XnerError(where, f"byte {e.start} is not UTF-8", "convert the text to UTF-8, e.g. iconv -f latin1 -t utf-8") from None


def write_records(f, records, output_format) -> int:
    n = 0
    for record in records:
        n += 1
        if output_format == "jsonl":
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            for token, tag, p in zip(record["tokens"], record["tags"], record["probabilities"]):
                f.write(f"{token}\t{tag}\t{p:.4f}\n")
            f.write("\n")
    return n


def tag_file(model_dir, source="-", out="-", input_format="text", output_format="conll",
             max_length=128, batch_size=64, device="auto", precision="fp32") -> int:
    """Tag `source` (a path or - for stdin) into `out` (a path or - for stdout); returns the sentences.

    A file output appears only when complete (an interrupted or failed run leaves an earlier one
    as it was); stdout is written as sentences are tagged, so that a pipe sees them at once."""
    check_trained_model(str(model_dir), "--model")  # before reading the input, which may be a long stdin
    reader = read_conll_tokens if input_format == "conll" else read_text
    sentences = list(reader(read_lines(source)))
    records = tag_sentences(model_dir, sentences, max_length, batch_size, device, precision)
    if out == "-":
        return write_records(sys.stdout, records, output_format)
    with atomic_output(out) as tmp, open(tmp, "w", encoding="utf-8") as f:
        return write_records(f, records, output_format)
