"""Cost estimates for the CLIs that report tokens but no cost (Codex, Gemini), from a maintained
price table: the `genai-prices` library (pydantic/genai-prices), whose bundled table is updated
with each of its releases; no price is typed into our code. Such a cost is an *estimate* (list
prices, no discounts or credits the account may have) and is marked so wherever it shows.

Importing the library and its table takes a few hundred milliseconds, so ``warm()`` is meant to
run on a worker thread at start-up; ``estimate`` itself is then pure computation.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

log = logging.getLogger("onsembl.pricing")

PACKAGE = "genai-prices"
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Estimate:
    cost_usd: float
    model: str  # the table's name for the model matched
    source: str  # which table: "genai-prices 0.2.5, prices as of 2026-09-28"


@cache
def _library() -> Any:
    try:
        import genai_prices
    except ImportError:  # pragma: no cover - a dependency; an install without it has no estimates
        log.warning("%s is not installed: no cost estimates", PACKAGE)
        return None
    return genai_prices


def warm() -> None:
    """Load the library and its table now (a worker thread at start-up)."""
    with _lock:
        library = _library()
        if library is not None:
            source()


@cache
def source() -> str:
    """Which table, and the date of the latest price change it holds that is in force today."""
    library = _library()
    if library is None:
        return "no price table"
    version = metadata.version(PACKAGE)
    today = _dt.date.today()
    dates = [
        start
        for provider in library.data_snapshot.get_snapshot().providers
        for model in provider.models
        for price in (model.prices if isinstance(model.prices, list) else [])
        if (start := getattr(price.constraint, "start_date", None)) is not None and start <= today
    ]
    as_of = f", prices as of {max(dates).isoformat()}" if dates else ""
    return f"{PACKAGE} {version}{as_of}"


def estimate(
    provider: str, model: str, *, input_tokens: int, cached_tokens: int, output_tokens: int
) -> Estimate | None:
    """The list price of one model's usage; ``input_tokens`` includes the cached ones (as the
    OpenAI and Gemini APIs count them). None when the table does not know the model."""
    library = _library()
    if library is None or not model:
        return None
    usage = library.Usage(
        input_tokens=input_tokens,
        cache_read_tokens=min(cached_tokens, input_tokens),
        output_tokens=output_tokens,
    )
    try:
        with _lock:
            price = library.calc_price(usage, model, provider_id=provider)
    except LookupError:
        return None
    except Exception:  # the table's own errors are its business: no estimate, never a crash
        log.info("no price for %s/%s", provider, model, exc_info=True)
        return None
    return Estimate(float(price.total_price), str(price.model.id), source())
