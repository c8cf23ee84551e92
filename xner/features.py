"""Words to sub-word model inputs: first-sub-word alignment and windows for long sentences.

A word's label is read at its first sub-word (as in the paper and the Hugging Face token
classification example). Sentences whose sub-words do not fit `max_length` are cut into
consecutive, non-overlapping windows at word boundaries, so that every word is predicted exactly
once; the reference implementation silently truncated them instead.
"""

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Window:
    sentence: int  # index of the sentence in the corpus
    first_word: int  # index, in its sentence, of the window's first word
    input_ids: list[int]  # with the tokenizer's special tokens
    word_starts: list[int]  # position in input_ids of each word's first sub-word

    @property
    def n_words(self) -> int:
        return len(self.word_starts)


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a single sequence ([CLS]/[SEP], <s>/</s>, ...)."""
    bare = tokenizer(["x"], is_split_into_words=True, add_special_tokens=False)["input_ids"]
    full = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return full[:start], full[start + len(bare) :]
    raise ValueError("cannot locate the special tokens of this tokenizer")


def encode(tokenizer, token_lists, max_length: int) -> list[Window]:
    """Tokenise word lists and cut them into windows of at most max_length sub-words."""
    prefix, suffix = special_tokens(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(f"max_length {max_length} leaves no room for words")
    unk = tokenizer.unk_token_id
    windows = []
    if not token_lists:
        return windows
    # verbose=False: whole sentences are tokenised before windowing, so the tokenizer's warning
    # that a sentence exceeds the model's length ("will result in indexing errors") is false here.
    encoded = tokenizer(
        [list(t) for t in token_lists], is_split_into_words=True, add_special_tokens=False, verbose=False
    )
    for s, words in enumerate(token_lists):
        pieces = [[] for _ in words]
        for piece, w in zip(encoded["input_ids"][s], encoded.word_ids(s)):
            if w is not None:
                pieces[w].append(piece)
        # A word the tokenizer maps to nothing (e.g. a lone control character) still needs a
        # first sub-word to be predicted at.
        pieces = [p if p else [unk] for p in pieces]
        start = 0
        while start < len(words):
            ids, starts, end = [], [], start
            while end < len(words):
                word_pieces = pieces[end]
                if ids and len(ids) + len(word_pieces) > budget:
                    break
                starts.append(len(prefix) + len(ids))
                ids.extend(word_pieces[: budget - len(ids)])  # one over-long word keeps its head
                end += 1
            windows.append(Window(s, start, prefix + ids + suffix, starts))
            start = end
    return windows


def length_batches(windows, batch_size: int, generator: np.random.Generator | None = None):
    """Index batches of similar length (little padding); shuffled batch order when a generator is given."""
    order = np.argsort([len(w.input_ids) for w in windows], kind="stable")
    if generator is not None:
        # Shuffle within small length buckets first, so batches differ from epoch to epoch.
        noise = generator.random(len(windows))
        lengths = np.array([len(w.input_ids) for w in windows])
        order = np.lexsort((noise, lengths // 8))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if generator is not None:
        generator.shuffle(batches)
    return batches


def collate(windows, pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch: input ids, attention mask, first-sub-word positions and their mask."""
    seq_len = max(len(w.input_ids) for w in windows)
    max_words = max(w.n_words for w in windows)
    input_ids = torch.full((len(windows), seq_len), pad_id, dtype=torch.long)
    attention = torch.zeros((len(windows), seq_len), dtype=torch.long)
    starts = torch.zeros((len(windows), max_words), dtype=torch.long)
    word_mask = torch.zeros((len(windows), max_words), dtype=torch.bool)
    for i, w in enumerate(windows):
        input_ids[i, : len(w.input_ids)] = torch.tensor(w.input_ids)
        attention[i, : len(w.input_ids)] = 1
        starts[i, : w.n_words] = torch.tensor(w.word_starts)
        word_mask[i, : w.n_words] = True
    return {"input_ids": input_ids, "attention_mask": attention, "word_starts": starts, "word_mask": word_mask}
