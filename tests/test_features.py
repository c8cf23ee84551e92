from transformers import AutoTokenizer

from xner.features import collate, encode, length_batches, special_tokens


def test_first_subword_alignment(tiny_encoder):
    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    words = ["Maria", "MadridBerlin", "vive", "en", "Madrid"]  # not a vocabulary word: several pieces
    [window] = encode(tok, [words], max_length=64)
    prefix, suffix = special_tokens(tok)
    assert window.input_ids[: len(prefix)] == prefix and window.input_ids[-len(suffix) :] == suffix
    pieces = [tok(w, add_special_tokens=False)["input_ids"] for w in words]
    assert len(pieces[1]) > 1
    expected, pos = [], len(prefix)
    for p in pieces:
        expected.append(pos)
        pos += len(p)
    assert window.word_starts == expected
    for start, p in zip(window.word_starts, pieces):
        assert window.input_ids[start] == p[0]


def test_long_sentence_is_windowed_and_every_word_predicted(tiny_encoder):
    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    words = ["Maria", "vive", "en", "Madrid", "SevillaKöln", "."] * 30
    windows = encode(tok, [words, ["Jan", "."]], max_length=16)
    first = [w for w in windows if w.sentence == 0]
    assert len(first) > 1
    assert all(len(w.input_ids) <= 16 for w in windows)
    covered = [w.first_word + i for w in first for i in range(w.n_words)]
    assert covered == list(range(len(words)))  # every word exactly once, in order
    assert [w.sentence for w in windows if w.sentence == 1] == [1]


def test_overlong_word_keeps_its_first_piece(tiny_encoder):
    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    monster = "Sevilla" * 12
    [window] = encode(tok, [[monster]], max_length=8)
    assert len(window.input_ids) == 8
    assert window.input_ids[window.word_starts[0]] == tok(monster, add_special_tokens=False)["input_ids"][0]


def test_batches_cover_all_and_collate_pads(tiny_encoder):
    import numpy as np

    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    sents = [["Jan"] * n for n in (1, 5, 3, 9, 2, 7)]
    windows = encode(tok, sents, max_length=64)
    batches = length_batches(windows, 4, np.random.default_rng(0))
    assert sorted(i for b in batches for i in b) == list(range(len(windows)))
    batch = collate([windows[i] for i in batches[0]], tok.pad_token_id)
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    assert batch["word_mask"].sum().item() == sum(windows[i].n_words for i in batches[0])
