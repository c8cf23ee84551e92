"""Tag raw text with a trained model folder: CoNLL columns or JSON lines with entity spans.

Input is one sentence per line (`text`), split into words by a tokenisation of xner.text
(whitespace, or punctuation split off too), or the first column of CoNLL (`conll`: blank line
between sentences, -DOCSTART- skipped). Long sentences are split into windows and stitched back,
as in every other stage (xner.features). For text, each entity also gets its character offsets in
the line, and its text is cut from the line as written.
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
from .text import split_words


def read_text(lines, tokenisation="whitespace"):
    """(line number, tokens, line, character spans of the tokens) per non-blank line."""
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\n").removesuffix("\r")
        words = split_words(line, tokenisation)
        if words:
            yield number, [w for w, _, _ in words], line, [(start, end) for _, start, end in words]


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


def entities(tokens, tags, probs, label_names, line=None, char_spans=None):
    """Entity spans (seqeval's reading of the tags): [start, end) word offsets, type, text and the
    mean over the span's words of the probability of each word's predicted tag.

    Given the `line` and each token's (start, end) character span in it, an entity also gets
    [char_start, char_end) in the line, and its text is the line's own characters there (so
    "O'Neill" or "3,5 %" keep their spacing); otherwise its text is its tokens joined by spaces."""
    index = {name: i for i, name in enumerate(label_names)}
    found = []
    for kind, start, last in get_entities(list(tags)):
        p = [float(probs[i, index[tags[i]]]) for i in range(start, last + 1)]
        entity = {"start": start, "end": last + 1, "type": kind}
        if char_spans is None:
            entity["text"] = " ".join(tokens[start : last + 1])
        else:
            char_start, char_end = char_spans[start][0], char_spans[last][1]
            entity.update(char_start=char_start, char_end=char_end, text=line[char_start:char_end])
        entity["probability"] = round(sum(p) / len(p), 4)
        found.append(entity)
    return found


def tag_sentences(model_dir, sentences, max_length=128, batch_size=64, device="auto", precision="fp32"):
    """Yield {"line", "tokens", "tags", "probabilities", "entities"} per sentence: (line number,
    tokens), or (line number, tokens, line, character spans of the tokens) as read_text gives."""
    sentences = list(sentences)
    model, tokenizer, label_names = load_model(model_dir)
    token_lists = [sentence[1] for sentence in sentences]
    blocks = predict_blocks(model, tokenizer, token_lists, max_length, batch_size, resolve_device(device), precision, desc="tag")
    done = 0
    for block in blocks:
        for probs in block:
            number, tokens, *text = sentences[done]
            done += 1
            best = probs.argmax(axis=1)
            tags = [label_names[j] for j in best]
            yield {
                "line": number,
                "tokens": tokens,
                "tags": tags,
                "probabilities": [round(float(probs[i, j]), 4) for i, j in enumerate(best)],
                "entities": entities(tokens, tags, probs, label_names, *text),
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
             max_length=128, batch_size=64, device="auto", precision="fp32", tokenisation="whitespace") -> int:
    """Tag `source` (a path or - for stdin) into `out` (a path or - for stdout); returns the sentences.

    tokenisation (xner.text.TOKENISERS) splits text input into words; CoNLL input is words already.
    A file output appears only when complete (an interrupted or failed run leaves an earlier one
    as it was); stdout is written as sentences are tagged, so that a pipe sees them at once."""
    if input_format == "conll" and tokenisation != "whitespace":
        raise XnerError("--tokenisation", "CoNLL input is split into words already", "use it with --input-format text")
    check_trained_model(str(model_dir), "--model")  # before reading the input, which may be a long stdin
    lines = read_lines(source)
    sentences = list(read_conll_tokens(lines) if input_format == "conll" else read_text(lines, tokenisation))
    records = tag_sentences(model_dir, sentences, max_length, batch_size, device, precision)
    if out == "-":
        return write_records(sys.stdout, records, output_format)
    with atomic_output(out) as tmp, open(tmp, "w", encoding="utf-8") as f:
        return write_records(f, records, output_format)
