"""Configuration refused once a process runs (what only the database can tell, found when it
answers: a master key that does not unwrap the data keys stored under its id). A module of its own,
so that the wiring that finds such a refusal (``wiring.archive``) and the command that acts on it
(``cli``) need nothing else of each other."""

from __future__ import annotations

import logging

from stack_cfo.config import ConfigError

log = logging.getLogger(__name__)


_refusals: list[ConfigError] = []
_stop_on_refusal = False


def stop_on_refusal() -> None:
    """``stack-cfo serve``: a configuration refused once the process runs (:func:`refuse`: what
    only the database can tell, found when it answers) stops the process the way SIGTERM does,
    then ``serve`` exits 2 with the refusal's line (:func:`refusal`). Elsewhere the refusal is an
    exception of the start-up that found it (the scheduler's ends its run)."""
    global _stop_on_refusal
    _stop_on_refusal = True


def refuse(exc: ConfigError) -> None:
    """Record a configuration refused after start-up; under :func:`stop_on_refusal`, stop."""
    _refusals.append(exc)
    if _stop_on_refusal:
        import signal

        log.error("the configuration is refused; stopping", extra={"key": exc.key})
        signal.raise_signal(signal.SIGTERM)  # serve's handler: a graceful stop, never ready


def refusal() -> ConfigError | None:
    """The first configuration refused after start-up, if any."""
    return _refusals[0] if _refusals else None
