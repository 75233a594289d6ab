"""Recurrent state helpers. A state is a tensor (RNN, GRU) or a tuple (h, c) (LSTM), each
(layers * directions, B, H), exactly as `torch.nn.RNN/GRU/LSTM` take and return it."""

from __future__ import annotations

from typing import Union

import torch

State = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor], None]


def detach_state(state: State) -> State:
    """Cut the graph at a chunk boundary (truncated BPTT) while keeping the values."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)


def state_to(state: State, device: torch.device | str) -> State:
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.to(device)
    return tuple(s.to(device) for s in state)


def select_state(state: State, index: torch.Tensor | slice) -> State:
    """The state of a subset of the batch (dimension 1)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state[:, index]
    return tuple(s[:, index] for s in state)
