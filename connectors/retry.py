"""The one retry layer for calendar APIs (tenacity): connection errors, 429 and 5xx are retried
with exponential backoff and jitter, honouring Retry-After, within a bounded total time (the
`retry_seconds` of the backend's config); then the error reaches the pass, which ends with
nothing lost, and the next pass tries again. A server asking for a longer wait than the budget
has left ends the pass at once with `RateLimited(retry_after=...)` instead of being waited out.
Client libraries' own retries are switched off so that delays never stack."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
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
    # How waits are waited: tests pass a recorder, so they see what a server asked for
    # without sleeping through it.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def scaled(self, max_seconds: float) -> RetryPolicy:
        """A budget of `max_seconds`, backoff scaled to it so a short budget still gets a few
        attempts."""
        return RetryPolicy(max_seconds, self.attempts, min(0.5, max_seconds / 10), self.sleep)

    def run(self, action: Callable[[], T], backend: str = "calendar") -> T:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.debug("retrying after %s (attempt %d)", exc, state.attempt_number)
            note(backend, "retry", getattr(exc, "status", "") or "connection")

        retrying = Retrying(
            retry=retry_if_exception_type((Unavailable, RateLimited)),
            # Stops before a wait that would end past the budget: a Retry-After of an hour
            # with a minute to spend ends the pass now, not in an hour.
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.max_seconds),
            wait=_wait(self.first_wait),
            sleep=self.sleep,
            reraise=True,
            before_sleep=before_sleep,
        )
        try:
            result: T = retrying(action)
        except RateLimited as exc:
            if exc.retry_after is not None and exc.retry_after >= self.max_seconds:
                raise RateLimited(
                    f"{exc}; the server asks to wait {exc.retry_after:g} s, beyond the "
                    f"{self.max_seconds:g} s retry budget: the next pass tries again",
                    retry_after=exc.retry_after,
                    status=exc.status,
                ) from None
            raise
        return result


def _wait(first: float) -> Any:
    backoff = wait_exponential_jitter(multiplier=first, max=30.0, jitter=first)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            # Never sooner than the server asked; the budget decides whether to wait at all.
            return max(exc.retry_after, 0.0)
        return float(backoff(state))

    return wait
