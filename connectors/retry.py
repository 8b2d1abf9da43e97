"""The one retry layer for calendar APIs (tenacity): connection errors, 429 and 5xx are retried
with exponential backoff and jitter, honouring Retry-After, up to a bounded total time; then
the error reaches the pass, which ends with nothing lost, and the next pass tries again.
Client libraries' own retries are switched off so that delays never stack."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from connectors.base import RateLimited, Unavailable
from connectors.observe import note

log = logging.getLogger("racecal.retry")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    # Total time one request may spend on retries before the pass gives up on it.
    max_seconds: float = 60.0
    attempts: int = 6
    first_wait: float = 0.5

    def scaled(self, max_seconds: float) -> RetryPolicy:
        """A budget of `max_seconds`, backoff scaled to it so a short budget still gets a few
        attempts."""
        return RetryPolicy(max_seconds, self.attempts, min(0.5, max_seconds / 10))

    def run(self, action: Callable[[], T], backend: str = "calendar") -> T:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.debug("retrying after %s (attempt %d)", exc, state.attempt_number)
            note(backend, "retry", getattr(exc, "status", "") or "connection")

        retrying = Retrying(
            retry=retry_if_exception_type((Unavailable, RateLimited)),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            wait=_wait(self.first_wait),
            reraise=True,
            before_sleep=before_sleep,
        )
        result: T = retrying(action)
        return result


def _wait(first: float) -> Any:
    backoff = wait_exponential_jitter(multiplier=first, max=30.0, jitter=first)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, 120.0)
        return float(backoff(state))

    return wait
