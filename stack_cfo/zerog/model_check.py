"""Direct mode: is ``default_model`` served by the providers the client will call?

A chat session stores the model it was created with and sends it with every turn; a provider
serves exactly one model and refuses any other (real providers block wallets that keep sending a
wrong one). A ``default_model`` that no configured provider serves therefore degrades every chat
answer while narratives (which send no model) work. The processes check it at start
(:func:`check_default_model`) from the providers' on-chain service records.
"""

from __future__ import annotations

from dataclasses import dataclass

from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.config import ComputeConfig, ComputeMode
from stack_cfo.zerog.discovery import Discovery


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome: ``served_by`` the providers offering the model (empty: none does);
    ``offered`` every model seen, provider -> model."""

    model: str
    served_by: tuple[str, ...]
    offered: dict[str, str]
    discovering: bool
    """No provider_id configured: providers are discovered by model on-chain."""

    @property
    def ok(self) -> bool:
        return bool(self.served_by)

    def problem(self) -> str:
        offered = ", ".join(sorted(set(self.offered.values()))) or "none"
        if self.discovering:
            return f"no provider on the network serves {self.model!r}; models on offer: {offered}"
        who = "; ".join(f"{p} serves {m!r}" for p, m in self.offered.items())
        return f"{self.model!r} is not served by the configured providers ({who}); use one of: {offered}"


def needs_check(cfg: ComputeConfig) -> bool:
    """Direct providers are in use (direct mode, or auto with a wallet key)."""
    return cfg.direct_enabled and cfg.mode in (ComputeMode.DIRECT, ComputeMode.AUTO)


async def check_default_model(cfg: ComputeConfig) -> ModelCheck:
    """Read the service records (raises the chain's errors when it cannot be reached).

    A provider whose URL is configured (``provider_url``) is still read from the chain: its
    record says which model it serves."""
    chain = ChainRpc(cfg.rpc_url, timeout=cfg.timeouts.rpc)
    try:
        discovery = Discovery(chain, cfg.inference)
        wanted = cfg.default_model.lower()
        if cfg.provider_ids:
            records = [await discovery.service(p) for p in cfg.provider_ids]
            offered = {r.provider: r.model for r in records}
            served = tuple(r.provider for r in records if r.model.lower() == wanted)
            return ModelCheck(cfg.default_model, served, offered, discovering=False)
        found = await discovery.providers_for(cfg.default_model)
        offered = {r.provider: r.model for r in await discovery.services()}
        return ModelCheck(cfg.default_model, tuple(r.provider for r in found), offered, discovering=True)
    finally:
        await chain.close()
