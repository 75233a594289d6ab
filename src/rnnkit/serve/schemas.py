"""Request bodies, with the CLI's names and every bound checked before a model runs.

The generated-length bound is the server's `--max-length` (checked in the app, since it is a
server setting); everything else is fixed here so it shows in the OpenAPI docs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from rnnkit.config import GENERATE_TEMPERATURE

MAX_PROMPT = 10_000  # characters
MAX_POINTS = 100_000  # posted series length
DEFAULT_LENGTH = 200  # generated characters when a request gives no length
MAX_FEATURES = 64
MAX_TEXT = 100_000  # characters to classify
NAME = Field(default=None, max_length=200, description="a loaded model's name (GET /v1/models); "
             "optional when only one model of the kind is loaded")


class Strict(BaseModel):
    # a misspelt field is an error, not silently ignored; "20" or true for a number is a 422, not 20 or 1
    model_config = ConfigDict(extra="forbid", strict=True)


class GenerateRequest(Strict):
    model: str | None = NAME
    prompt: str = Field(default="", max_length=MAX_PROMPT, description="text to continue")
    length: int | None = Field(default=None, ge=0, description=f"characters to generate (at most the server's "
                               f"--max-length; default {DEFAULT_LENGTH}, or --max-length when that is lower)")
    temperature: float = Field(default=GENERATE_TEMPERATURE, gt=0, le=100, allow_inf_nan=False)
    top_k: int | None = Field(default=None, ge=1, le=1_000_000)
    top_p: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="same seed, same text")


class SeriesPoint(Strict):
    ds: str | int = Field(description="date (any format pandas reads) or integer position")
    y: float = Field(allow_inf_nan=False)
    features: dict[str, float] | None = Field(default=None, max_length=MAX_FEATURES,
                                              description="exogenous features the model was trained with")


class ForecastRequest(Strict):
    model: str | None = NAME
    horizon: int | None = Field(default=None, ge=1, le=10_000, description="default: the trained horizon")
    series: list[SeriesPoint] | None = Field(default=None, min_length=1, max_length=MAX_POINTS,
                                             description="history to forecast from; default: the stored context")


class ClassifyRequest(Strict):
    model: str | None = NAME
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    series: list[float] | list[list[float]] | None = Field(
        default=None, min_length=1, max_length=MAX_POINTS,
        description="a numeric sequence: one number per step, or one list of features per step")
