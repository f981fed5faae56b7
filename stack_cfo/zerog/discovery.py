"""Provider discovery from the InferenceServing contract (``eth_call`` + ABI decoding), TTL-cached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from eth_utils import to_checksum_address

from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.contracts import GET_ALL_SERVICES, GET_SERVICE, MAX_SERVICES_PAGE, ServiceRecord
from stack_cfo.zerog.errors import ProviderUnavailable, TransactionReverted

CHATBOT = "chatbot"


class Discovery:
    """Reads service records; each is reused for ``ttl`` seconds."""

    def __init__(
        self,
        chain: ChainRpc,
        inference_address: str,
        *,
        ttl: float = 300.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chain = chain
        self._address = to_checksum_address(inference_address)
        self._ttl = ttl
        self._now = now
        self._cache: dict[str, tuple[float, ServiceRecord]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.chain_reads = 0

    async def service(self, provider: str) -> ServiceRecord:
        """The provider's service record. A provider without one is unavailable (not retried)."""
        key = provider.lower()
        hit = self._cache.get(key)
        if hit is not None and self._now() - hit[0] < self._ttl:
            return hit[1]
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._cache.get(key)
            if hit is not None and self._now() - hit[0] < self._ttl:
                return hit[1]
            try:
                data = await self._chain.eth_call(self._address, GET_SERVICE.encode_call(to_checksum_address(provider)))
            except TransactionReverted as exc:
                raise ProviderUnavailable(
                    f"provider {provider} has no service registered",
                    provider=provider,
                    retryable=False,
                    reason="ZEROG_SERVICE_NOT_FOUND",
                ) from exc
            self.chain_reads += 1
            (raw,) = GET_SERVICE.decode_result(data)
            record = ServiceRecord.from_tuple(raw)
            self._cache[key] = (self._now(), record)
            return record

    async def services(self, *, include_unacknowledged: bool = False) -> list[ServiceRecord]:
        """All registered services (paged by 50). Like the SDK, services whose TEE signer the
        contract owner has not acknowledged are left out unless asked for."""
        out: list[ServiceRecord] = []
        offset = 0
        while True:
            data = await self._chain.eth_call(self._address, GET_ALL_SERVICES.encode_call(offset, MAX_SERVICES_PAGE))
            self.chain_reads += 1
            page, total = GET_ALL_SERVICES.decode_result(data)
            records = [ServiceRecord.from_tuple(t) for t in page]
            now = self._now()
            for r in records:
                self._cache[r.provider.lower()] = (now, r)
            out.extend(records)
            offset += len(records)
            if not records or offset >= int(total):
                break
        return [r for r in out if include_unacknowledged or r.tee_signer_acknowledged]

    async def providers_for(self, model: str) -> list[ServiceRecord]:
        """Chat services for ``model``: verifiable ones first, then cheapest output, then input."""
        wanted = model.lower()
        matches = [
            r for r in await self.services() if r.service_type == CHATBOT and r.model.lower() == wanted and r.url
        ]
        matches.sort(key=lambda r: (not r.verifiable, r.output_price, r.input_price, r.provider))
        return matches

    def invalidate(self, provider: str) -> None:
        self._cache.pop(provider.lower(), None)
