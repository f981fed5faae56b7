"""Direct mode: one provider broker, reached at ``<service url>/v1/proxy/chat/completions``
with a wallet-signed ``app-sk-`` session token."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp
from eth_utils import to_checksum_address
from opentelemetry import trace
from opentelemetry.context import Context

from stack_cfo.core.ai import Verification
from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.tasks import detached_task
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.config import ComputeConfig, to_0g
from stack_cfo.zerog.contracts import ServiceRecord
from stack_cfo.zerog.discovery import Discovery
from stack_cfo.zerog.errors import InsufficientFunds, SessionRejected
from stack_cfo.zerog.funding import Funding, parse_insufficient
from stack_cfo.zerog.session_token import SessionTokens
from stack_cfo.zerog.status import ProviderStatus
from stack_cfo.zerog.transport import Http, PreparedRequest
from stack_cfo.zerog.upstream import Answer, Upstream, classify_common, error_message
from stack_cfo.zerog.verify import chat_id_candidates, verify_answer

log = logging.getLogger(__name__)
tracer = trace.get_tracer("stack_cfo.zerog")

_SESSION_MARKERS = (
    "validate session",
    "session token",
    "authorization header",
    "signature verification failed",
    "generation expired",
    "future generation",
    "ephemeral token",
)


def _per_million(price: int) -> Decimal:
    return to_0g(price * 1_000_000)


class DirectUpstream(Upstream):
    kind = "direct"

    def __init__(
        self,
        provider: str,
        *,
        cfg: ComputeConfig,
        http: Http,
        tokens: SessionTokens,
        discovery: Discovery | None,
        funding: Funding | None,
        url_override: str | None = None,
    ) -> None:
        self.name = to_checksum_address(provider)
        self._cfg = cfg
        self._http = http
        self._tokens = tokens
        self._discovery = discovery
        self._funding = funding
        self._override: ServiceRecord | None = None
        if url_override:
            # Discovery skipped: no TEE signer or prices are known, so answers are unverifiable.
            self._override = ServiceRecord(
                provider=self.name,
                service_type="chatbot",
                url=url_override.rstrip("/"),
                input_price=0,
                output_price=0,
                updated_at=0,
                model=cfg.default_model,
                verifiability="",
                additional_info_raw="",
                tee_signer="0x" + "00" * 20,
                tee_signer_acknowledged=False,
            )
        self._background: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"DirectUpstream(provider={self.name!r})"

    async def service(self) -> ServiceRecord:
        if self._override is not None:
            return self._override
        assert self._discovery is not None
        return await self._discovery.service(self.name)

    # ------------------------------------------------------------------ request

    async def prepare(self, payload: dict[str, Any], model: str | None) -> PreparedRequest:
        service = await self.service()
        authorization = await self._tokens.authorization(self.name)
        used_model = model or service.model or self._cfg.default_model
        body = json.dumps({"model": used_model, **payload}, separators=(",", ":")).encode()
        return PreparedRequest(
            url=f"{service.url}/v1/proxy/chat/completions",
            headers={
                "Authorization": authorization,
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
            },
            body=body,
            model=used_model,
            service=service,
        )

    def classify(self, status: int, text: str, headers: Mapping[str, str]) -> Exception:
        low = text.lower()
        if "insufficient balance" in low and 400 <= status < 500:
            parsed = parse_insufficient(text)
            md: dict[str, object] = {}
            if parsed is not None:
                md = {"locked_balance_0g": to_0g(parsed[0]), "required_balance_0g": to_0g(parsed[1])}
            return InsufficientFunds(
                f"provider {self.name} sub-account balance is too low: {error_message(text)}",
                provider=self.name,
                locked_neuron=parsed[0] if parsed else None,
                required_neuron=parsed[1] if parsed else None,
                metadata={"http_status": status, **md},
            )
        if "account not exist" in low and 400 <= status < 500:
            # No sub-account with this provider yet: a transfer creates (and acknowledges) one.
            return InsufficientFunds(
                f"no sub-account with provider {self.name} yet: {error_message(text)}",
                provider=self.name,
                reason="ZEROG_NO_SUB_ACCOUNT",
                metadata={"http_status": status},
            )
        if status in (400, 401, 403) and any(m in low for m in _SESSION_MARKERS):
            return SessionRejected(
                f"provider {self.name} refused the session token: {error_message(text)}",
                provider=self.name,
                status=status,
            )
        return classify_common(self.name, status, text, headers)

    async def on_session_rejected(self) -> None:
        # Expired, revoked (generation bumped) or otherwise refused: sign a new token, which
        # re-reads the account generation from the chain.
        self._tokens.invalidate(self.name)

    # ------------------------------------------------------------------ funding

    async def unsettled_fee(self) -> int:
        """``GET {url}/v1/user/{addr}/unsettledfee`` (neuron)."""
        service = await self.service()
        auth = await self._tokens.authorization(self.name)
        async with self._http.session.get(
            f"{service.url}/v1/user/{self._tokens.address}/unsettledfee",
            headers={"Authorization": auth},
            timeout=aiohttp.ClientTimeout(total=self._cfg.timeouts.verify, sock_connect=self._cfg.timeouts.connect),
            allow_redirects=False,  # (the session token goes only to the provider's own address)
        ) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise self.classify(resp.status, text, resp.headers)
        data = json_loads(text)
        return int(str(data.get("unsettledFee", "0")) or 0)

    async def ensure_funds(self, exc: Exception, *, timeout: float | None) -> bool:
        if self._funding is None or not self._funding.policy.auto_topup:
            return False
        if self._funding.recently_topped_up(self.name):
            return True  # a transfer just landed; the provider re-reads the chain on refusal
        locked = exc.locked_neuron if isinstance(exc, InsufficientFunds) else None
        required = exc.required_neuron if isinstance(exc, InsufficientFunds) else None
        try:
            unsettled = await self.unsettled_fee()
        except (StackCfoError, aiohttp.ClientError, TimeoutError, ValueError):
            unsettled = 0
        tx = await self._funding.top_up(
            self.name,
            unsettled=unsettled,
            provider_locked=locked,
            provider_required=required,
            receipt_timeout=timeout,
        )
        # None can also mean another task's transfer landed while we waited for the lock
        return tx is not None or self._funding.recently_topped_up(self.name)

    def background_checks(self) -> None:
        f = self._funding
        if f is None or not f.policy.auto_topup or not f.check_due(self.name):
            return
        # the account's upkeep, due during whichever request came first: not that request's task
        task = detached_task(self._check_funds(), name=f"zerog-funding-{self.name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _check_funds(self) -> None:
        assert self._funding is not None
        try:
            unsettled = await self.unsettled_fee()
            await self._funding.top_up(self.name, unsettled=unsettled)
        except Exception as exc:  # background upkeep: log, never crash
            log.warning("zerog: funding check for %s failed: %s", self.name, exc)

    # ------------------------------------------------------------------ answer

    async def verify(
        self, answer: Answer, prepared: PreparedRequest, *, parent: Context | None
    ) -> tuple[Verification, dict[str, str]]:
        if not self._cfg.verify:
            return Verification.NOT_APPLICABLE, {}
        service = prepared.service or await self.service()
        with tracer.start_as_current_span("compute.verify_response", context=parent) as span:
            outcome, extra = await verify_answer(
                self._http.session,
                service,
                chat_id_candidates(answer.chat_id, answer.body_id),
                request_body=answer.request_body,
                response_sha256=answer.response_sha256,
                response_body=answer.response_body,
                timeout=self._cfg.timeouts.verify,
            )
            span.set_attribute("zerog.verification", outcome.value)
            span.set_attribute("zerog.provider", self.name)
        return outcome, extra

    def fee(self, prepared: PreparedRequest, answer: Answer) -> int:
        usage = answer.usage or {}
        if prepared.service is None:
            return 0
        return prepared.service.fee(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))

    # ------------------------------------------------------------------ status

    async def status(self, breaker_state: str) -> ProviderStatus:
        error: str | None = None
        service: ServiceRecord | None = None
        balance = pending = unsettled = None
        try:
            service = await self.service()
        except StackCfoError as exc:
            error = exc.reason
        if self._funding is not None:
            try:
                acct = await self._funding.sub_account(self.name)
                balance = to_0g(acct.available) if acct else Decimal(0)
                pending = to_0g(acct.pending_refund) if acct else Decimal(0)
            except StackCfoError as exc:
                error = error or exc.reason
        if service is not None:
            try:
                unsettled = to_0g(await self.unsettled_fee())
            except StackCfoError as exc:
                error = error or exc.reason
            except (aiohttp.ClientError, TimeoutError, ValueError):
                error = error or "ZEROG_PROVIDER_UNAVAILABLE"
        return ProviderStatus(
            name=self.name,
            kind=self.kind,
            url=service.url if service else (self._override.url if self._override else ""),
            model=service.model if service else "",
            verifiability=service.verifiability if service else "",
            verifiable=bool(service and service.verifiable and self._cfg.verify),
            tee_signer_address=service.expected_signer if service and service.verifiable else "",
            breaker_state=breaker_state,
            balance=balance,
            pending_refund=pending,
            unsettled_fee=unsettled,
            input_price_per_million=_per_million(service.input_price) if service else None,
            output_price_per_million=_per_million(service.output_price) if service else None,
            error=error,
        )

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
