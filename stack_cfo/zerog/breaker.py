"""Per-provider circuit breaker with the seed's gobreaker rule, built on purgatory's state machine.

The seed trips when, within a 60 s window, at least 3 requests finished and at least 60 % of
them failed; it stays open 30 s and then lets 3 trial requests through (3 successes close it,
any failure re-opens it).

purgatory 3.0 cannot express that rule: its ``ClosedState`` trips on N *consecutive*
failures (no window, no ratio, no minimum), its ``HalfOpenedState`` closes on the *first*
success, and its ``OpenedState`` reads ``time.time()`` directly (no injectable clock). What
purgatory does give is a clean State-pattern domain model (``Context`` + ``State``) and its
event vocabulary (``ContextChanged``, ``CircuitBreakerFailed``, ``CircuitBreakerRecovered``).
So this module plugs three ``purgatory.domain.model.State`` subclasses implementing the seed
rule into a ``purgatory.domain.model.Context``, with an injected monotonic clock, and drains
the context's events into a callback (metrics, logs). purgatory's persistence/messagebus
(``AsyncCircuitBreakerFactory``, Redis unit of work) is not used: breaker state is per process.

Outcomes are counted once per logical request to a provider (after its retries), and stale
outcomes (of requests admitted before the last state change) are ignored, like gobreaker's
generations. "Neutral" outcomes (the provider answered 4xx about *our* request, or the caller
cancelled) release a half-open trial slot without counting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Literal

from purgatory.domain.messages.events import CircuitBreakerFailed, ContextChanged
from purgatory.domain.model import CLOSED, HALF_OPENED, OPENED, Context, State

from stack_cfo.zerog.config import BreakerPolicy
from stack_cfo.zerog.errors import BreakerOpen

log = logging.getLogger(__name__)

BreakerStateName = Literal["closed", "open", "half_open"]
_PUBLIC: dict[str, BreakerStateName] = {CLOSED: "closed", OPENED: "open", HALF_OPENED: "half_open"}
#: Gauge values for ``zerog_compute_breaker_state``.
STATE_VALUE: dict[BreakerStateName, int] = {"closed": 0, "half_open": 1, "open": 2}


class _Rejected(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class _RuleContext(Context):
    """purgatory ``Context`` carrying the policy, a clock and a generation counter."""

    def __init__(self, name: str, policy: BreakerPolicy, now: Callable[[], float]) -> None:
        super().__init__(name, threshold=policy.min_requests, ttl=policy.open_for)
        self.policy = policy
        self.now = now
        self.generation = 0
        self._state = _Closed()

    def set_state(self, state: State) -> None:
        self.generation += 1
        super().set_state(state)

    def release(self) -> None:
        current = self._state
        if isinstance(current, _HalfOpen):
            current.admitted = max(0, current.admitted - 1)


class _Closed(State):
    name = CLOSED

    def __init__(self) -> None:
        self.outcomes: deque[tuple[float, bool]] = deque()
        self.failure_count = 0

    def _record(self, context: _RuleContext, ok: bool) -> tuple[int, int]:
        now = context.now()
        self.outcomes.append((now, ok))
        cutoff = now - context.policy.window
        while self.outcomes and self.outcomes[0][0] < cutoff:
            self.outcomes.popleft()
        failures = sum(1 for _, good in self.outcomes if not good)
        self.failure_count = failures
        return len(self.outcomes), failures

    def handle_new_request(self, context: Context) -> None:
        """Closed: every request passes."""

    def handle_exception(self, context: Context, exc: BaseException) -> None:
        assert isinstance(context, _RuleContext)
        total, failures = self._record(context, ok=False)
        context.mark_failure(failures)
        p = context.policy
        if total >= p.min_requests and failures / total >= p.failure_ratio:
            context.set_state(_Open(context.now()))

    def handle_end_request(self, context: Context) -> None:
        assert isinstance(context, _RuleContext)
        self._record(context, ok=True)


class _Open(State):
    name = OPENED

    def __init__(self, opened_at: float) -> None:
        self.opened_at = opened_at
        self.since = opened_at

    def handle_new_request(self, context: Context) -> None:
        assert isinstance(context, _RuleContext)
        if context.now() >= self.since + context.policy.open_for:
            context.set_state(_HalfOpen())
            context.handle_new_request()
            return
        raise _Rejected("open")

    def handle_exception(self, context: Context, exc: BaseException) -> None:
        """Stale outcome of a request admitted before opening: ignored."""

    def handle_end_request(self, context: Context) -> None:
        """Stale outcome: ignored."""


class _HalfOpen(State):
    name = HALF_OPENED

    def __init__(self) -> None:
        self.admitted = 0
        self.successes = 0

    def handle_new_request(self, context: Context) -> None:
        assert isinstance(context, _RuleContext)
        if self.admitted >= context.policy.half_open_trials:
            raise _Rejected("half_open")
        self.admitted += 1

    def handle_exception(self, context: Context, exc: BaseException) -> None:
        assert isinstance(context, _RuleContext)
        context.mark_failure(1)
        context.set_state(_Open(context.now()))

    def handle_end_request(self, context: Context) -> None:
        assert isinstance(context, _RuleContext)
        self.successes += 1
        if self.successes >= context.policy.half_open_trials:
            context.recover_failure()
            context.set_state(_Closed())


class ProviderBreaker:
    """The breaker of one provider. ``acquire`` -> run the request -> ``success``/``failure``/``release``.

    ``acquire`` returns a ticket that the outcome methods take back, so a request that
    outlived a state change cannot close or re-open the breaker.
    """

    def __init__(
        self,
        name: str,
        policy: BreakerPolicy,
        *,
        now: Callable[[], float],
        on_change: Callable[[str, BreakerStateName], None] | None = None,
    ) -> None:
        self.name = name
        self._ctx = _RuleContext(name, policy, now)
        self._on_change = on_change
        if on_change is not None:
            on_change(name, "closed")

    def __repr__(self) -> str:
        return f"ProviderBreaker(name={self.name!r}, state={self.state!r})"

    @property
    def state(self) -> BreakerStateName:
        """Current state. An open state whose period is over reports ``half_open`` (the next requests are
        let through as trials, as compute_account.proto says of it) before a request has moved it there
        (the ``zerog_compute_breaker_state`` gauge says so then too: :meth:`_tell_when_open_period_ends`)."""
        ctx = self._ctx
        current = ctx._state
        if isinstance(current, _Open) and ctx.now() >= current.since + ctx.policy.open_for:
            return "half_open"
        return _PUBLIC[ctx.state]

    def acquire(self) -> int:
        """Admit a request or raise :class:`BreakerOpen`."""
        try:
            self._ctx.handle_new_request()
        except _Rejected as exc:
            raise BreakerOpen(self.name, state=exc.state) from None
        finally:
            self._drain()
        return self._ctx.generation

    def success(self, ticket: int) -> None:
        if ticket == self._ctx.generation:
            self._ctx.handle_end_request()
            self._drain()

    def failure(self, ticket: int, exc: BaseException) -> None:
        if ticket == self._ctx.generation:
            self._ctx.handle_exception(exc)
            self._drain()

    def release(self, ticket: int) -> None:
        """A neutral outcome: frees a half-open trial slot, counts neither way."""
        if ticket == self._ctx.generation:
            self._ctx.release()

    def _tell_when_open_period_ends(self) -> None:
        """Once the open period is over, tell ``on_change`` the breaker is half-open (its next requests are trials):
        the ``zerog_compute_breaker_state`` gauge said "open" until a request came, however long after."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous test): the next request moves it, as before
            return
        opened = self._ctx._state

        def over() -> None:
            if self._ctx._state is opened and self.state == "half_open" and self._on_change is not None:
                self._on_change(self.name, "half_open")

        loop.call_later(self._ctx.policy.open_for + 0.01, over)

    def _drain(self) -> None:
        while self._ctx.messages:
            event = self._ctx.messages.pop(0)
            if isinstance(event, ContextChanged):
                public = _PUBLIC[event.state]
                # 0G providers and webhook endpoints ("webhook:7") share this breaker
                log.warning("circuit breaker %s is now %s", self.name, public,
                            extra={"breaker": self.name, "state": public})
                if self._on_change is not None:
                    self._on_change(self.name, public)
                    if public == "open":
                        self._tell_when_open_period_ends()
            elif isinstance(event, CircuitBreakerFailed):
                log.debug("circuit breaker %s: %d failure(s) in window", self.name, event.failure_count)
