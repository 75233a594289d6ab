"""Optimizer parameter groups: which parameters take weight decay.

A model may offer `optimizer_groups(weight_decay) -> list[dict]` (torch.optim's param-group
format); the trainer uses it when present and `decay_groups` otherwise, so the trainer never
decides by parameter name what a model's parameters are. A group may carry `lr_scale`: the
trainer multiplies the scheduled learning rate by it for that group.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def decay_groups(model: nn.Module, weight_decay: float, skip: tuple[nn.Parameter, ...] = ()) -> list[dict[str, Any]]:
    """Decay weight matrices only: biases, norm gains and embedding tables are left alone
    (standard AdamW practice). Parameters keep `named_parameters()` order (a tied matrix counts
    once, as the embedding it is); empty groups are dropped."""
    embedded = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decay, no_decay = [], []
    skipped = {id(p) for p in skip}  # parameters the caller puts in groups of its own
    for p in model.parameters():
        if p.requires_grad and id(p) not in skipped:
            (decay if p.dim() >= 2 and id(p) not in embedded else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def optimizer_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """The model's own groups when it offers them, else `decay_groups`."""
    own = getattr(model, "optimizer_groups", None)
    return own(weight_decay) if callable(own) else decay_groups(model, weight_decay)
