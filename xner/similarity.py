"""Teacher weights α for multi-source teacher-student learning (Wu et al., 2020, §3.2.2).

* "avg": α_k = 1/K (Eq. 7).
* "sim": a language-identification model (Eq. 8-10) trained on *unlabelled* source sentences,
  whose only labels are the source-language index; its scores on the unlabelled target sentences
  give α through a temperature softmax averaged over sentences (Eq. 11).
* "cosine" / "l2": Table 5's alternatives; s(x', µ_k) is the cosine similarity / the negative
  Euclidean distance between g(x') and the mean source-k sentence embedding, with the same
  temperature rule.

Notation follows the paper: m is the sentence-embedding size, K the number of sources, d the rank
of the bilinear operator M = UᵀV, P ∈ R^{m×K} the language-embedding matrix with columns µ_k.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F

from xner.device import resolve_device
from xner.errors import XnerError
from xner.io import write_json

log = logging.getLogger("xner.similarity")

METHODS = ("avg", "sim", "cosine", "l2")
REGULARIZERS = ("paper", "kxk")


class LanguageIdentifier(torch.nn.Module):
    """s(u, µ_k) = g(u)ᵀ M µ_k with M = UᵀV (Eq. 8, low rank as in §4.1), and q = softmax (Eq. 9).

    The authors' code builds U and V as nn.Linear layers *with* bias, which adds terms linear in g
    and in µ_k. We follow the paper's equation: a pure bilinear form, no bias.
    """

    def __init__(self, language_means: torch.Tensor, rank: int = 64, seed: int = 0):
        super().__init__()
        means = torch.as_tensor(language_means, dtype=torch.float32)
        if means.ndim != 2:
            raise ValueError(f"language_means must be [K, m]; got shape {tuple(means.shape)}")
        k, m = means.shape
        if k < 1 or m < 1 or rank < 1:
            raise ValueError(f"need K >= 1, m >= 1 and rank >= 1; got K={k}, m={m}, rank={rank}")
        # P ∈ R^{m×K}: column k is µ_k, initialised with source k's mean sentence embedding (§4.1).
        self.P = torch.nn.Parameter(means.t().clone().contiguous())
        # U, V ∈ R^{d×m}. With std 1/sqrt(m), U g has entries of the size of g's RMS value, so the
        # initial scores are O(sqrt(d)) × (RMS of g) × (RMS of µ): non-degenerate logits, and AdamW
        # steps of lr=1e-4 are ~0.3% of a typical weight, so 10 epochs move the weights by O(1).
        # Near-zero inits would start from uniform q and flat gradients; nn.Linear's default
        # (uniform ±1/sqrt(m), std 1/sqrt(3m)) is of the same order as ours.
        generator = torch.Generator().manual_seed(seed)
        std = 1.0 / m**0.5
        self.U = torch.nn.Parameter(torch.randn(rank, m, generator=generator) * std)
        self.V = torch.nn.Parameter(torch.randn(rank, m, generator=generator) * std)

    @property
    def num_languages(self) -> int:
        return self.P.shape[1]

    def bilinear(self) -> torch.Tensor:
        """M = UᵀV ∈ R^{m×m} (for inspection; `scores` never forms it)."""
        return self.U.t() @ self.V

    def scores(self, g: torch.Tensor) -> torch.Tensor:
        """[N, m] sentence embeddings -> [N, K] scores gᵀ M P = (U g)ᵀ (V P)."""
        return (g @ self.U.t()) @ (self.V @ self.P)

    def forward(self, g: torch.Tensor) -> torch.Tensor:
        return self.scores(g)

    def regularizer(self, form: str = "paper") -> torch.Tensor:
        """The orthogonality penalty of Eq. 10.

        form "paper": ‖P Pᵀ − I_m‖²_F exactly as Eq. 10 is written. With P ∈ R^{m×K}, P Pᵀ is m×m
          of rank ≤ K, so m − K of its eigenvalues are 0 and the penalty can never drop below
          m − K (765 for mBERT with K = 3; the authors' default `MᵀM − I_768` is this form).
        form "kxk": ‖Pᵀ P − I_K‖²_F, which asks the µ_k to be orthonormal and can reach 0.

        The two differ by exactly that constant: ‖PPᵀ − I_m‖² = tr((PᵀP)²) − 2 tr(PᵀP) + m
        = ‖PᵀP − I_K‖² + (m − K). Gradients, and so training, are identical; only the reported loss
        differs. "paper" is the default so that logged losses match the equation.
        """
        p = self.P
        if form == "paper":
            eye = torch.eye(p.shape[0], dtype=p.dtype, device=p.device)
            return ((p @ p.t() - eye) ** 2).sum()
        if form == "kxk":
            eye = torch.eye(p.shape[1], dtype=p.dtype, device=p.device)
            return ((p.t() @ p - eye) ** 2).sum()
        raise ValueError(f"regularizer form must be one of {REGULARIZERS}; got {form!r}")


def _stack_sources(source_embeddings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if len(source_embeddings) < 1:
        raise ValueError("need at least one source language")
    arrays = [np.asarray(e, dtype=np.float32) for e in source_embeddings]
    dims = {a.shape[1] if a.ndim == 2 else None for a in arrays}
    if None in dims or len(dims) != 1:
        raise ValueError(f"source embeddings must all be [N_k, m] with one m; got {[a.shape for a in arrays]}")
    for k, a in enumerate(arrays):
        if a.shape[0] == 0:
            raise ValueError(f"source {k} has no sentences")
    x = np.concatenate(arrays, axis=0)
    y = np.concatenate([np.full(a.shape[0], k, dtype=np.int64) for k, a in enumerate(arrays)])
    return x, y


@torch.no_grad()
def _scores_in_batches(model: LanguageIdentifier, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    return torch.cat([model.scores(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])


def train_language_identifier(
    source_embeddings: list[np.ndarray],
    rank: int = 64,
    gamma: float = 0.01,
    regularizer: str = "paper",
    epochs: int = 10,
    lr: float = 1e-4,
    weight_decay: float = 1e-5,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "auto",
) -> tuple[LanguageIdentifier, list[dict]]:
    """Fit M = UᵀV and P on the language-identification task (Eq. 10).

    `source_embeddings[k]` are g(u) of source k's unlabelled sentences; the label is k and nothing
    else. Loss per minibatch = mean CE(softmax(gᵀMP), k) + γ · regulariser; AdamW, no warmup, no
    schedule (the authors' settings: 10 epochs, lr 1e-4, weight decay 1e-5, batch 32, γ 0.01).
    History has one entry per epoch: minibatch means of loss / ce / reg, and the source-id
    accuracy of the end-of-epoch model over all source sentences.
    """
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {REGULARIZERS}; got {regularizer!r}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1; got {epochs}, {batch_size}")
    torch_device = resolve_device(device)
    x_np, y_np = _stack_sources(source_embeddings)
    means = np.stack([np.asarray(e, dtype=np.float64).mean(axis=0) for e in source_embeddings])

    model = LanguageIdentifier(torch.as_tensor(means, dtype=torch.float32), rank=rank, seed=seed).to(torch_device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    x = torch.as_tensor(x_np, device=torch_device)
    y = torch.as_tensor(y_np, device=torch_device)
    n = x.shape[0]
    shuffler = torch.Generator().manual_seed(seed)

    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=shuffler).to(torch_device)
        totals = {"loss": 0.0, "ce": 0.0, "reg": 0.0}
        steps = 0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            ce = F.cross_entropy(model.scores(x[idx]), y[idx])
            reg = model.regularizer(regularizer)
            loss = ce + gamma * reg
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals["loss"] += loss.item()
            totals["ce"] += ce.item()
            totals["reg"] += reg.item()
            steps += 1
        model.eval()
        accuracy = (_scores_in_batches(model, x).argmax(dim=1) == y).float().mean().item()
        entry = {"epoch": epoch, **{k: v / steps for k, v in totals.items()}, "train_accuracy": accuracy}
        history.append(entry)
        log.info(
            "language id epoch %d/%d: loss %.4f  ce %.4f  reg(%s) %.4f  source-id accuracy %.4f",
            epoch, epochs, entry["loss"], entry["ce"], regularizer, entry["reg"], accuracy,
        )
    return model.cpu().eval(), history


def temperature(scores: np.ndarray) -> float:
    """τ = the variance of all values of the N×K score matrix (§3.2.2, after Eq. 11).

    Population variance (np.var, ddof=0); the authors' code uses torch.var, the unbiased (N·K − 1)
    estimator, which differs by a factor NK/(NK − 1): negligible for thousands of sentences.
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        raise ValueError("temperature: empty score matrix")
    tau = float(np.var(values))
    if not np.isfinite(tau):
        raise ValueError(f"temperature: variance of the scores is not finite ({tau})")
    # np.var of identical values can come out as ~1e-32 instead of 0 (the mean is rounded), so test
    # for constant scores directly too.
    if tau == 0.0 or np.ptp(values) == 0.0:
        raise ValueError(
            "temperature: all similarity scores are equal (variance 0), so τ = var(scores) would divide "
            "by zero; the sources cannot be told apart on this target data"
        )
    return tau


def alpha_from_scores(scores: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Eq. 11: α_k = mean over target sentences of softmax_k(s(x', µ_k) / τ).

    Returns (alpha [K], τ, per-sentence weights [N, K]); α ≥ 0 and sums to 1.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty [N, K] matrix; got shape {s.shape}")
    tau = temperature(s)
    z = s / tau
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    per_sentence = e / e.sum(axis=1, keepdims=True)
    alpha = per_sentence.mean(axis=0)
    return alpha, tau, per_sentence


def _means(source_means) -> np.ndarray:
    mu = np.asarray(source_means, dtype=np.float64)
    if mu.ndim != 2:
        raise ValueError(f"source_means must be [K, m]; got shape {mu.shape}")
    return mu


def cosine_scores(g_target: np.ndarray, source_means: np.ndarray) -> np.ndarray:
    """[N, K] cosine similarity between each target embedding and each source's mean embedding."""
    g = np.asarray(g_target, dtype=np.float64)
    mu = _means(source_means)
    eps = 1e-12
    g_n = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), eps)
    mu_n = mu / np.maximum(np.linalg.norm(mu, axis=1, keepdims=True), eps)
    return g_n @ mu_n.T


def neg_l2_scores(g_target: np.ndarray, source_means: np.ndarray) -> np.ndarray:
    """[N, K] negative Euclidean distance between each target embedding and each source mean."""
    g = np.asarray(g_target, dtype=np.float64)
    mu = _means(source_means)
    sq = (g**2).sum(axis=1, keepdims=True) - 2.0 * g @ mu.T + (mu**2).sum(axis=1)[None, :]
    return -np.sqrt(np.maximum(sq, 0.0))


def _summary(values: np.ndarray) -> dict:
    q = np.percentile(values, [5, 25, 50, 75, 95])
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values)),
        "min": float(np.min(values)),
        "p05": float(q[0]),
        "p25": float(q[1]),
        "median": float(q[2]),
        "p75": float(q[3]),
        "p95": float(q[4]),
        "max": float(np.max(values)),
    }


def compute_alpha(
    method: str,
    source_langs: list[str],
    source_embeddings: list[np.ndarray] | None,
    target_embeddings: np.ndarray | None,
    **train_kwargs,
) -> dict:
    """Teacher weights by `method` (avg | sim | cosine | l2), as a JSON-serialisable dict.

    For "avg" the embeddings are not needed (either may be None). For "sim", `train_kwargs` go to
    `train_language_identifier` (rank, gamma, regularizer, epochs, lr, weight_decay, batch_size,
    seed, device); they are rejected for the other methods.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    langs = list(source_langs)
    k = len(langs)
    if k < 1 or len(set(langs)) != k:
        raise ValueError(f"source_langs must be non-empty and distinct; got {langs}")
    if source_embeddings is not None and len(source_embeddings) != k:
        raise ValueError(f"{k} source languages but {len(source_embeddings)} source embedding arrays")
    if method != "sim" and train_kwargs:
        raise TypeError(f"training options {sorted(train_kwargs)} only apply to method 'sim'")

    result: dict = {"method": method, "sources": langs}
    n_target = None if target_embeddings is None else int(np.asarray(target_embeddings).shape[0])
    if source_embeddings is not None:
        result["n_source_sentences"] = {lang: int(len(e)) for lang, e in zip(langs, source_embeddings)}

    if method == "avg":
        alpha = np.full(k, 1.0 / k)
        tau = None
        per_sentence = np.full((max(n_target or 1, 1), k), 1.0 / k)
    else:
        if source_embeddings is None or target_embeddings is None:
            raise ValueError(f"method {method!r} needs source and target embeddings")
        target = np.asarray(target_embeddings, dtype=np.float32)
        if target.ndim != 2 or target.shape[0] == 0:
            raise ValueError(f"target embeddings must be a non-empty [N, m] array; got shape {target.shape}")
        if method == "sim":
            params = {
                "rank": 64, "gamma": 0.01, "regularizer": "paper", "epochs": 10, "lr": 1e-4,
                "weight_decay": 1e-5, "batch_size": 32, "seed": 0, "device": "auto",
            }
            unknown = set(train_kwargs) - set(params)
            if unknown:
                raise TypeError(f"unknown training options for method 'sim': {sorted(unknown)}")
            params.update(train_kwargs)
            model, history = train_language_identifier(source_embeddings, **params)
            with torch.no_grad():
                scores = _scores_in_batches(model, torch.as_tensor(target)).double().numpy()
            result["trained_on"] = {
                "source_sentences": {lang: int(len(e)) for lang, e in zip(langs, source_embeddings)},
                "labels_used": "language identity only",
                "hyper_parameters": params,
            }
            result["history"] = history
            result["source_id_accuracy"] = history[-1]["train_accuracy"]
        else:
            means = np.stack([np.asarray(e, dtype=np.float64).mean(axis=0) for e in source_embeddings])
            scorer = cosine_scores if method == "cosine" else neg_l2_scores
            scores = scorer(target, means)
        alpha, tau, per_sentence = alpha_from_scores(scores)

    result["alpha"] = {lang: float(a) for lang, a in zip(langs, alpha)}
    result["tau"] = tau
    result["per_sentence_weights"] = {lang: _summary(per_sentence[:, i]) for i, lang in enumerate(langs)}
    result["n_target_sentences"] = n_target
    return result


def write_alpha_json(path, result: dict) -> None:
    """Write `result` as indented JSON, atomically."""
    write_json(path, result)


def alpha_from_files(method, target, sources: dict, target_embeddings, out, **training) -> dict:
    """`compute_alpha` on embedding files: `sources` maps each source language to its file (None for
    avg), `target_embeddings` is the target's file (None for avg). Writes and returns the result."""
    from .embed import read_embeddings

    langs = list(sources)
    if method == "avg":
        result = compute_alpha("avg", langs, None, None)
    else:
        if not target_embeddings or not all(sources.values()):
            raise XnerError("--source", f"--method {method} needs LANG=EMBEDDINGS.h5 for each source", "and --target-embeddings")
        source_vectors = [read_embeddings(sources[lang])[0] for lang in langs]
        result = compute_alpha(method, langs, source_vectors, read_embeddings(target_embeddings)[0], **training)
    result["target"] = {"lang": target, "embeddings": target_embeddings}
    write_alpha_json(out, result)
    return result
