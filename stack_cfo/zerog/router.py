"""Router mode: the hosted, OpenAI-compatible 0G Router (``broker_endpoint`` + API key).

``POST {base}/chat/completions`` with ``Authorization: Bearer <api key>``; optional routing
hints ``X-0G-Provider-Address`` / ``X-0G-Provider-Sort``; ``verify_tee: true`` asks the router
to check the provider's TEE signature and report it in ``x_0g_trace.tee_verified``.
``GET {base}/models`` lists models, ``GET {base}/account/balance`` the deposit (neuron).
Errors are OpenAI-shaped; 402 means the router balance is spent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from opentelemetry import trace
from opentelemetry.context import Context

from stack_cfo.core.ai import Verification
from stack_cfo.core.errors import StackCfoError
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.config import ComputeConfig, to_0g
from stack_cfo.zerog.errors import InsufficientFunds, ProviderRejected, ProviderUnavailable
from stack_cfo.zerog.sse import valid_text
from stack_cfo.zerog.status import ProviderStatus
from stack_cfo.zerog.transport import Http, PreparedRequest
from stack_cfo.zerog.upstream import Answer, Upstream, classify_common, error_code, error_message

tracer = trace.get_tracer("stack_cfo.zerog")
ROUTER = "router"


@dataclass(frozen=True, slots=True)
class RouterBalance:
    """Router account balance in neuron."""

    address: str
    deposit_balance: int
    total_balance: int


class RouterUpstream(Upstream):
    kind = "router"

    def __init__(self, *, cfg: ComputeConfig, http: Http) -> None:
        assert cfg.broker_endpoint and cfg.api_key
        self.name = ROUTER
        self._cfg = cfg
        self._base = cfg.broker_endpoint.rstrip("/")
        self._http = http

    def __repr__(self) -> str:
        return f"RouterUpstream(base={self._base!r})"

    def _auth(self) -> dict[str, str]:
        assert self._cfg.api_key is not None
        return {"Authorization": f"Bearer {self._cfg.api_key.get()}"}

    async def prepare(self, payload: dict[str, Any], model: str | None) -> PreparedRequest:
        used_model = model or self._cfg.default_model
        body_obj: dict[str, Any] = {"model": used_model, **payload}
        if self._cfg.verify:
            body_obj["verify_tee"] = True
        headers = {**self._auth(), "Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._cfg.router_provider:
            headers["X-0G-Provider-Address"] = self._cfg.router_provider
        if self._cfg.router_sort:
            headers["X-0G-Provider-Sort"] = self._cfg.router_sort
        return PreparedRequest(
            url=f"{self._base}/chat/completions",
            headers=headers,
            body=json.dumps(body_obj, separators=(",", ":")).encode(),
            model=used_model,
        )

    def classify(self, status: int, text: str, headers: Mapping[str, str]) -> Exception:
        if status == 402:
            return InsufficientFunds(
                f"0G Router balance is too low: {error_message(text)}",
                provider=ROUTER,
                metadata={"http_status": status, "router_code": error_code(text) or ""},
            )
        if status in (401, 403):
            return ProviderRejected(
                f"0G Router refused the API key: {error_message(text)}",
                provider=ROUTER,
                status=status,
                reason="ZEROG_ROUTER_AUTH_REJECTED",
                metadata={"router_code": error_code(text) or ""},
            )
        return classify_common(ROUTER, status, text, headers)

    async def verify(
        self, answer: Answer, prepared: PreparedRequest, *, parent: Context | None
    ) -> tuple[Verification, dict[str, str]]:
        tr = answer.trace or {}
        extra: dict[str, str] = {}
        if tr.get("provider"):
            extra["router_provider"] = valid_text(str(tr["provider"]))
        if tr.get("request_id"):
            extra["router_request_id"] = valid_text(str(tr["request_id"]))
        if not self._cfg.verify or "tee_verified" not in tr:
            return Verification.NOT_APPLICABLE, extra
        # The router checks the provider's TEE signature itself but exposes no signature we could
        # check, so the contract reports router answers as NOT_APPLICABLE; its claim goes on the receipt.
        with tracer.start_as_current_span("compute.verify_response", context=parent) as span:
            claim = tr.get("tee_verified") is True
            extra["router_tee_verified"] = "true" if claim else "false"
            span.set_attribute("zerog.verification", Verification.NOT_APPLICABLE.value)
            span.set_attribute("zerog.router_tee_verified", claim)
            span.set_attribute("zerog.provider", ROUTER)
        return Verification.NOT_APPLICABLE, extra

    def fee(self, prepared: PreparedRequest, answer: Answer) -> int:
        """``x_0g_trace.billing.total_cost`` in neuron; 0 when absent or not a uint256."""
        billing = (answer.trace or {}).get("billing")
        if isinstance(billing, Mapping):
            try:
                fee = int(str(billing.get("total_cost", "0")))
            except ValueError:
                return 0
            return fee if 0 <= fee < 2**256 else 0
        return 0

    # ------------------------------------------------------------------ account API

    async def _get(self, path: str) -> Any:
        try:
            async with self._http.session.get(
                f"{self._base}{path}",
                headers=self._auth(),
                timeout=aiohttp.ClientTimeout(total=self._cfg.timeouts.verify, sock_connect=self._cfg.timeouts.connect),
                allow_redirects=False,
            ) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise self.classify(resp.status, text, resp.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderUnavailable(f"cannot reach the 0G Router: {type(exc).__name__}", provider=ROUTER) from exc
        try:
            return json_loads(text)
        except ValueError:
            raise ProviderUnavailable("0G Router answered non-JSON", provider=ROUTER, retryable=False) from None

    async def models(self) -> list[dict[str, Any]]:
        """``GET /models``: the OpenAI list's ``data`` items."""
        data = await self._get("/models")
        items = data.get("data", []) if isinstance(data, dict) else data
        return [m for m in items if isinstance(m, dict)]

    async def balance(self) -> RouterBalance:
        """``GET /account/balance`` (neuron)."""
        data = await self._get("/account/balance")
        return RouterBalance(
            address=str(data.get("address", "")),
            deposit_balance=int(str(data.get("deposit_balance", "0"))),
            total_balance=int(str(data.get("total_balance", "0"))),
        )

    async def status(self, breaker_state: str) -> ProviderStatus:
        error = None
        deposit = total = None
        try:
            bal = await self.balance()
            deposit, total = to_0g(bal.deposit_balance), to_0g(bal.total_balance)
        except StackCfoError as exc:
            error = exc.reason
        except ValueError:
            error = "ZEROG_ROUTER_MALFORMED"
        return ProviderStatus(
            name=ROUTER,
            kind=self.kind,
            url=self._base,
            model=self._cfg.default_model,
            verifiability="router",
            verifiable=self._cfg.verify,
            breaker_state=breaker_state,
            balance=deposit,
            total_balance=total,
            error=error,
        )
