"""Label set and tagging-scheme normalisation."""

# The paper's label set (CoNLL PER/ORG/LOC/MISC in BIO). Every model and every probability
# array stores the label names it was made with, so the order here is only a default.
DEFAULT_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def entity_type(tag: str) -> str | None:
    return None if tag == "O" else tag[2:]


def to_bio(tags: list[str]) -> list[str]:
    """Convert IOB1 (or already-BIO) tags to BIO/IOB2.

    In IOB1 an entity starts with I- unless it directly follows an entity of the same type; in BIO
    every entity starts with B-. An I-X that does not continue an X entity becomes B-X; everything
    else is kept, so BIO input passes through unchanged.
    """
    out = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and entity_type(previous) != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out
