"""`--set section.key=value` for the benchmark scripts: numbers and booleans parsed as JSON, text kept."""

from __future__ import annotations

import json


def parse_set(items: list[str]) -> dict:
    """['data.patch=1', 'model.hidden=32'] -> {'data': {'patch': 1}, 'model': {'hidden': 32}}."""
    out: dict = {}
    for item in items:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(section, {})[name] = parsed
    return out
