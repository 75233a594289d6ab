"""Many-to-one sequence classifier: (embedding | numeric input) -> recurrent encoder -> linear head.

Encoders (`kind`):
  bilstm     bidirectional LSTM; the final summary is the last real forward step joined with the first backward step
  attention  bidirectional LSTM whose step outputs are pooled by additive attention (weights per step)
  lstm, gru, rnn  unidirectional; the final summary is the top layer's state at each sequence's last real step

How the recurrent kinds (all but attention) turn the sequence into a prediction (`summary`):
  final   one head on the final state(s), which know the order of the whole sequence
  pooled  one head on the mean and the maximum of the step outputs over real steps
  both    a head on each; training puts a loss on each head (so the encoder must serve both), and the
          prediction averages their probabilities: the final state knows the order, the pooled
          outputs which patterns occur anywhere (the comparison: bench/results/classify.md).
Variable-length batches are packed (or masked, for attention and pooling), so padding never changes a prediction.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from rnnkit.models.attention import length_mask
from rnnkit.models.encoders import recurrent_encoder
from rnnkit.models.groups import decay_groups
from rnnkit.models.recurrent import CELLS
from rnnkit.models.state import State

CLASSIFIER_KINDS = ("bilstm", "attention", *CELLS)  # every encoder kind, the default first
SUMMARIES = ("final", "pooled", "both")
BAG_WEIGHTINGS = ("mean", "tfidf")
LINEAR_HEADS = ("train", "fit", "fit_train")  # how the heads over fixed features learn (see __init__)


class Classified(NamedTuple):
    logits: torch.Tensor  # (B, C); with two heads, the log of their mean probabilities
    weights: torch.Tensor | None  # (B, T) attention weights (attention kind only), 0 on padding
    heads: tuple[torch.Tensor, ...] = ()  # (B, C) logits of each head, when there are two (training loss)


class SequenceClassifier(nn.Module):
    """x: (B, T) int64 token ids when `vocab_size` is set, else (B, T, F) float; lengths: (B,) or None.
    -> (Classified(logits (B, C), weights (B, T) | None), final recurrent state)."""

    def __init__(
        self, kind: str, n_classes: int, input_size: int = 0, vocab_size: int | None = None,
        hidden: int = 64, layers: int = 1, dropout: float = 0.0, embed_dim: int | None = None,
        layer_norm: bool = False, summary: str = "final", kernels: int = 0,
        unpatch: tuple[int, int, int] = (1, 0, 1), series_len: int = 0, ngrams: int = 0,
        bag_lr_scale: float = 1.0, bag_weighting: str = "mean", linear_heads: str = "train",
        head_weights: list[float] | None = None, char_ngrams: int = 0, char_table: torch.Tensor | None = None,
    ):
        super().__init__()
        if kind not in CLASSIFIER_KINDS:
            raise ValueError(f"unknown classifier kind {kind!r}; choose one of {', '.join(CLASSIFIER_KINDS)}")
        if bag_weighting not in BAG_WEIGHTINGS:
            raise ValueError(f"unknown bag weighting {bag_weighting!r}; choose one of {', '.join(BAG_WEIGHTINGS)}")
        if linear_heads not in LINEAR_HEADS:
            raise ValueError(f"unknown linear_heads {linear_heads!r}; choose one of {', '.join(LINEAR_HEADS)}")
        if summary not in SUMMARIES:
            raise ValueError(f"unknown summary {summary!r}; choose one of {', '.join(SUMMARIES)}")
        self.kind = kind
        self.summary = "final" if kind == "attention" else summary  # attention pools by its own weights
        if vocab_size is not None:
            embed_dim = embed_dim or hidden
            self.embed: nn.Module | None = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            input_size = embed_dim
        else:
            self.embed = None
        self.encoder = recurrent_encoder(kind, input_size, hidden, layers, dropout, bidirectional_attention=True)
        out_dim = self.encoder.out_dim
        self.norm = nn.LayerNorm(out_dim) if layer_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        # `head` reads the final (or attention) summary, `pooled_head` the [mean; max] of the step outputs
        self.head = nn.Linear(out_dim, n_classes) if self.summary != "pooled" else None
        self.pooled_head = nn.Linear(2 * out_dim, n_classes) if self.summary != "final" else None
        # numeric input only: random-convolution features of the raw series feed one more head.
        # `unpatch` = (patch, context, features) undoes the input's folding: each recurrent step
        # holds 2 * context + 1 patches of `patch` steps x `features`; the middle one is its own.
        self.unpatch = unpatch
        self.features = None
        if kernels > 0 and vocab_size is None:
            self.features = RandomConvFeatures(unpatch[2], kernels, max(series_len, RandomConvFeatures.LENGTH))
            self.feature_head: nn.Module | None = nn.Linear(self.features.out_dim, n_classes)
        else:
            self.feature_head = None
        # token input only: a bag of the text's tokens and hashed token pairs (fastText's idea)
        # feeds one more head, a linear model of which words and pairs occur; `ngrams` pair buckets.
        # `bag_weighting`: mean (every occurrence weighs the same) | tfidf (what the TF-IDF baseline
        # reads: sublinear term frequency x inverse document frequency of the training texts, L2-normalised)
        # `char_ngrams` more buckets hold the hashed character 2-5-grams of each in-vocabulary token,
        # read through `char_table` (vocab, G), which classify/encoding.py builds from the vocabulary
        # (not saved: rebuilt from it on load)
        self.vocab_size, self.ngrams = vocab_size or 0, ngrams if vocab_size is not None else 0
        self.chars = char_ngrams if self.ngrams > 0 else 0
        self.bag_size = self.vocab_size + self.ngrams + self.chars
        self.bag = nn.Embedding(self.bag_size, n_classes) if self.ngrams > 0 else None
        self.bag_lr_scale, self.bag_weighting = bag_lr_scale, bag_weighting
        if self.chars:
            if char_table is None or char_table.shape[0] != self.vocab_size:
                raise ValueError("char_ngrams needs the char_table of the vocabulary (one row per token)")
            self.register_buffer("char_table", char_table.long(), persistent=False)
        if self.bag is not None:
            nn.init.zeros_(self.bag.weight)  # the head starts uniform: no opinion before training
            if bag_weighting == "tfidf":  # fit_features sets it from the training texts
                self.register_buffer("bag_idf", torch.ones(self.bag_size))
        # the heads over fixed features (random convolutions, the bag) are linear models of inputs
        # that never change: `linear_heads` = train (from zero, by the optimizer, with the network) |
        # fit (set once by a convex fit on the training part, classify/linear_heads.py, then frozen) |
        # fit_train (that fit is where the optimizer starts)
        self.linear_heads = linear_heads
        if linear_heads == "fit":
            for head in self.fixed_feature_heads():
                head.requires_grad_(False)
        # the weights of the heads' probabilities in the prediction, in `head_names()` order
        # (None: equal; classify/blend.py chooses others on a validation part). Each head still
        # trains on its own loss, so the weights change only how the trained heads are combined.
        if head_weights and len(head_weights) != len(self.head_names()):
            raise ValueError(f"{len(head_weights)} head weights for {len(self.head_names())} heads "
                             f"({', '.join(self.head_names())})")
        self.head_weights = list(head_weights) if head_weights else None

    def head_names(self) -> list[str]:
        """The heads the prediction averages, in the order of `Classified.heads`."""
        names = ["attention" if self.kind == "attention" else "final"] if self.head is not None else []
        names += ["pooled"] if self.pooled_head is not None else []
        return names + (["features"] if self.features is not None else []) + (["bag"] if self.bag is not None else [])

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[Classified, State]:
        x0 = x
        if self.embed is not None:
            x = self.drop(self.embed(x))  # (B, T, E)
        weights = None
        if self.kind == "attention":
            attended, state = self.encoder(x, state, lengths)
            summary, weights = attended.context, attended.weights  # (B, 2H), (B, T)
            logits = self.head(self.drop(self.norm(summary)))
            heads = [logits]
            if self.features is not None:
                heads.append(self.feature_head(self.drop(self.features(*self.raw_series(x0, lengths)))))
            if self.bag is not None:
                heads.append(self.bag_logits(x0))
            if len(heads) == 1:
                return Classified(logits, weights), state
            return Classified(average_heads(heads, self.head_weights), weights, tuple(heads)), state
        out, state = self.encoder(x, state, lengths)  # (B, T, D); the state at each last real step
        summary = self.encoder.summary(state)  # (B, D)
        heads = []
        if self.head is not None:
            heads.append(self.head(self.drop(self.norm(summary))))
        if self.pooled_head is not None:
            heads.append(self.pooled_head(self.drop(mean_max(self.norm(out), lengths))))
        if self.features is not None:
            heads.append(self.feature_head(self.drop(self.features(*self.raw_series(x0, lengths)))))
        if self.bag is not None:
            heads.append(self.bag_logits(x0))
        if len(heads) == 1:
            return Classified(heads[0], weights), state
        return Classified(average_heads(heads, self.head_weights), weights, tuple(heads)), state

    def optimizer_groups(self, weight_decay: float) -> list[dict]:
        """The usual groups (models/groups.py); the n-gram bag, a linear model read through a mean
        over hundreds of rows, learns at `bag_lr_scale` times the learning rate."""
        if self.bag is None or not self.bag.weight.requires_grad:
            return decay_groups(self, weight_decay)
        return [*decay_groups(self, weight_decay, skip=(self.bag.weight,)),
                {"params": [self.bag.weight], "weight_decay": 0.0, "lr_scale": self.bag_lr_scale}]

    def bag_grams(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) token ids (0 = padding) -> ((B, G) gram ids, (B, G) bool real): every token, every
        pair of neighbouring tokens (hashed into `ngrams` buckets after the vocabulary) and, with
        `char_ngrams`, each token's character n-grams (buckets after those); G = 2T - 1 (+ T x 64)."""
        real = ids != 0
        pairs = self.vocab_size + (ids[:, :-1] * 1_000_003 + ids[:, 1:]) % self.ngrams  # (B, T-1)
        grams, reals = [ids, pairs], [real, real[:, :-1] & real[:, 1:]]
        if self.chars:
            table = self.char_table[ids]  # (B, T, 64): -1 past a token's last gram
            grams.append((self.vocab_size + self.ngrams + table.clamp(min=0)).flatten(1))
            reals.append(((table >= 0) & real.unsqueeze(-1)).flatten(1))
        return torch.cat(grams, dim=1), torch.cat(reals, dim=1)

    def bag_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, C): the bag's rows of every gram, weighted by `bag_weights`."""
        grams, weight = self.bag_weights(ids)
        return (self.bag(grams) * weight.unsqueeze(-1)).sum(1)

    def bag_weights(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) token ids -> ((B, G) gram ids, (B, G) weight of each occurrence): averaged (mean) or
        (1 + log tf) * idf / L2 norm, each gram counted once (tfidf); 0 on padding."""
        grams, real = self.bag_grams(ids)
        keep = real.float()
        if self.bag_weighting == "mean":
            return grams, keep / keep.sum(1, keepdim=True).clamp(min=1.0)
        tf = occurrences(grams, real)  # occurrences of each position's gram in its text
        value = (1.0 + torch.log(tf)) * self.bag_idf[grams] * keep  # the gram's tf-idf, at each occurrence
        norm = ((value * value) / tf).sum(1, keepdim=True).sqrt().clamp(min=1e-12)  # once per gram
        return grams, value / tf / norm  # the occurrences of one gram share its weight

    @torch.no_grad()
    def bag_matrix(self, ids: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        """(N, T) token ids -> sparse (N, vocab + ngrams) matrix whose product with the bag's table
        is `bag_logits` (the features the bag head is a linear model of)."""
        rows, cols, vals = [], [], []
        for start in range(0, len(ids), chunk):
            grams, weight = self.bag_weights(ids[start: start + chunk])
            nz = weight != 0
            rows.append((torch.arange(len(grams)).unsqueeze(1) + start).expand_as(grams)[nz])
            cols.append(grams[nz])
            vals.append(weight[nz])
        index = torch.stack([torch.cat(rows), torch.cat(cols)])
        return torch.sparse_coo_tensor(index, torch.cat(vals), (len(ids), self.bag_size),
                                       check_invariants=True).coalesce()

    @torch.no_grad()
    def feature_matrix(self, x: torch.Tensor, lengths: torch.Tensor | None, chunk: int = 256) -> torch.Tensor:
        """(N, ...) folded numeric inputs -> (N, 2K) standardised random-convolution features, `chunk`
        sequences at a time (the convolutions of a whole training part at once can outgrow memory)."""
        parts = []
        for start in range(0, len(x), chunk):
            part = None if lengths is None else lengths[start: start + chunk]
            parts.append(self.features(*self.raw_series(x[start: start + chunk], part)))
        return torch.cat(parts)

    def fixed_feature_heads(self) -> list[nn.Module]:
        """The linear heads whose inputs never train (random-convolution features, the n-gram bag)."""
        return [h for h in (self.feature_head, self.bag) if h is not None]

    def fit_bag(self, ids: torch.Tensor, chunk: int = 256) -> None:
        """Set the inverse document frequencies from the training texts (B, T): log((1 + n) / (1 +
        df)) + 1, scikit-learn's smoothed idf; 0 for grams no training text holds, which, like the
        baseline's vocabulary, the bag then ignores (their rows never learned anything)."""
        size = self.bag_size
        df = torch.zeros(size)
        for start in range(0, ids.shape[0], chunk):
            grams, real = self.bag_grams(ids[start: start + chunk])
            rows = torch.arange(grams.shape[0]).unsqueeze(1).expand_as(grams)
            held = torch.unique(rows[real] * size + grams[real]) % size  # each (text, gram) once
            df += torch.bincount(held, minlength=size).float()
        idf = torch.log((1.0 + ids.shape[0]) / (1.0 + df)) + 1.0
        self.bag_idf.copy_(torch.where(df > 0, idf, torch.zeros_like(idf)))

    def raw_series(self, x: torch.Tensor, lengths: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, S, (2c+1)*p*F) folded input -> ((B, S*p, F) series, (B,) lengths in steps)."""
        p, c, f = self.unpatch
        own = x[..., c * p * f: (c + 1) * p * f]  # (B, S, p*F): the step's own patch, its neighbours dropped
        return unfold_patches(own, p, f), None if lengths is None else lengths * p

    def fit_features(self, x: torch.Tensor, lengths: torch.Tensor | None) -> None:
        """Fit what is fit on the training inputs: the random features' scaler, the bag's idf."""
        if self.features is not None:
            self.features.fit_scale(*self.raw_series(x, lengths))
        if self.bag is not None and self.bag_weighting == "tfidf":
            self.fit_bag(x)


class EnsembleClassifier(nn.Module):
    """Members with the same input and classes; the prediction is their mean probability (as
    logits, its log) and the attention weights, when members have them, their mean.
    x, lengths as SequenceClassifier -> (Classified(logits (B, C), weights (B, T) | None), None)."""

    def __init__(self, members: list[SequenceClassifier]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.kind = members[0].kind

    def forward(self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
                ) -> tuple[Classified, State]:
        outs = [m(x, lengths=lengths)[0] for m in self.members]
        weights = None if outs[0].weights is None else torch.stack([o.weights for o in outs]).mean(0)
        return Classified(average_heads([o.logits for o in outs]), weights), None


def unfold_patches(own: torch.Tensor, p: int, f: int) -> torch.Tensor:
    """(B, S, p*F) patches -> (B, S*p, F) steps.

    A transposed convolution with a 0/1 kernel (stride p) rather than a reshape: each output is
    exactly one input (times 1, plus zeros), and the length is worked out when the graph runs, where
    an exported reshape would freeze S*p at the length it was traced with (ONNX export)."""
    if p == 1:
        return own
    # kernel[c, j, k] = 1 where input channel c = k*F + j: patch position k, feature j
    kernel = torch.eye(p * f, dtype=own.dtype, device=own.device).reshape(p * f, p, f).transpose(1, 2)
    return F.conv_transpose1d(own.transpose(1, 2), kernel, stride=p).transpose(1, 2)


def occurrences(grams: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """(B, G) gram ids and real flags -> (B, G) float: how often each position's gram occurs among
    its row's real positions (at least 1), by sorting each row: O(G log G) where comparing every
    pair of positions would take G x G."""
    key = torch.where(real, grams, torch.full_like(grams, -1))
    ordered, order = key.sort(dim=1)
    start = torch.ones_like(ordered, dtype=torch.bool)
    start[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run = start.long().cumsum(1) - 1  # (B, G): which run of equal grams each sorted position is in
    count = torch.zeros_like(run).scatter_add(1, run, torch.ones_like(run)).gather(1, run)
    return torch.zeros_like(count).scatter(1, order, count).float().clamp(min=1.0)


def average_heads(heads: list[torch.Tensor], weights: list[float] | None = None) -> torch.Tensor:
    """The heads' mean probability (weighted by `weights`, summing to 1; None: equal), as logits
    (its log). A head of weight 0 is left out."""
    if not weights:
        return torch.logsumexp(torch.stack([torch.log_softmax(z.float(), -1) for z in heads]), 0) - math.log(len(heads))
    kept = [torch.log_softmax(z.float(), -1) + math.log(w) for z, w in zip(heads, weights) if w > 0]
    return torch.logsumexp(torch.stack(kept), 0)


def mean_max(out: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """(B, T, D) step outputs -> (B, 2D): [mean; max] over each sequence's real steps."""
    if lengths is None:  # every step is real
        return torch.cat([out.mean(1), out.amax(1)], dim=-1)
    mask = length_mask(lengths, out.shape[0], out.shape[1], out.device).unsqueeze(-1)  # (B, T, 1)
    count = mask.sum(1).clamp(min=1)
    mean = out.masked_fill(~mask, 0.0).sum(1) / count
    peak = out.masked_fill(~mask, float("-inf")).amax(1)
    return torch.cat([mean, peak], dim=-1)


class RandomConvFeatures(nn.Module):
    """ROCKET-style features (Dempster et al. 2020): `n_kernels` fixed random convolutions of length
    9 over all input channels, each at a power-of-two dilation drawn uniformly in log scale up to the series length, with
    a random bias; per kernel the share of positive outputs (PPV) and the maximum, over real steps.
    Nothing here trains: weights, biases and the feature scaler (fit once on the training part by
    `fit_scale`) are buffers, so they travel in the state_dict.
    x: (B, T, F) raw (scaled) series, lengths (B,) real steps -> (B, 2 * n_kernels) standardised."""

    LENGTH = 9

    def __init__(self, n_features: int, n_kernels: int, series_len: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        top = math.log2(max((series_len - 1) / (self.LENGTH - 1), 1.0))
        # powers of two (as MiniRocket's fixed set): few distinct dilations, so few conv1d calls
        dilations = (2 ** torch.floor(torch.rand(n_kernels, generator=g) * (math.floor(top) + 1))).long()
        dilations = torch.sort(dilations).values  # kernels of one dilation are neighbours: one conv1d each
        weight = torch.randn(n_kernels, n_features, self.LENGTH, generator=g)
        weight = weight - weight.mean(dim=(1, 2), keepdim=True)
        self.register_buffer("weight", weight)
        self.register_buffer("bias", torch.rand(n_kernels, generator=g) * 2 - 1)
        self.register_buffer("dilation", dilations)
        self.register_buffer("mean", torch.zeros(2 * n_kernels))
        self.register_buffer("std", torch.ones(2 * n_kernels))
        values, counts = torch.unique_consecutive(dilations, return_counts=True)
        self.groups = [(int(d), int(c)) for d, c in zip(values, counts)]  # (dilation, kernels)
        self.out_dim = 2 * n_kernels

    def raw(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """Unscaled features (B, 2K): [PPV of every kernel; max of every kernel]."""
        x = x.float().transpose(1, 2)  # (B, F, T)
        b, _, t = x.shape
        mask = None if lengths is None else length_mask(lengths, b, t, x.device).unsqueeze(1)  # (B, 1, T)
        if mask is not None:
            x = x.masked_fill(~mask, 0.0)
        count = None if mask is None else mask.sum(-1).float().clamp(min=1)  # (B, 1)
        ppv, peak, start = [], [], 0
        for d, k in self.groups:
            w, bias = self.weight[start: start + k], self.bias[start: start + k]
            start += k
            z = F.conv1d(x, w, bias, padding=(self.LENGTH - 1) * d // 2, dilation=d)  # (B, k, T), 'same'
            if mask is None:
                ppv.append((z > 0).float().mean(-1))
                peak.append(z.amax(-1))
            else:
                ppv.append(((z > 0) & mask).sum(-1).float() / count)
                peak.append(z.masked_fill(~mask, float("-inf")).amax(-1))
        return torch.cat(ppv + peak, dim=1)

    @torch.no_grad()
    def fit_scale(self, x: torch.Tensor, lengths: torch.Tensor | None, chunk: int = 256) -> None:
        f = torch.cat([self.raw(x[i: i + chunk], None if lengths is None else lengths[i: i + chunk])
                       for i in range(0, len(x), chunk)])
        self.mean.copy_(f.mean(0))
        self.std.copy_(f.std(0, unbiased=False).clamp(min=1e-6))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return (self.raw(x, lengths) - self.mean) / self.std
