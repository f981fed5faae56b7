"""ABI of the few 0G contract functions the compute client uses, and typed records for their results.

Written from the Solidity sources (0g-serving-contract ``contracts/inference/InferenceService.sol``,
``InferenceAccount.sol``, ``InferenceServing.sol``, ``contracts/ledger/LedgerManager.sol``)::

    struct Service { address provider; string serviceType; string url; uint inputPrice;
                     uint outputPrice; uint updatedAt; string model; string verifiability;
                     string additionalInfo; address teeSignerAddress; bool teeSignerAcknowledged; }
    struct Refund  { uint index; uint amount; uint createdAt; bool processed; }
    struct Account { address user; address provider; uint nonce; uint balance; uint pendingRefund;
                     Refund[] refunds; string additionalInfo; bool acknowledged;
                     uint validRefundsLength; uint generation; uint256 revokedBitmap; }
    struct Ledger  { address user; uint availableBalance; uint totalBalance; string additionalInfo; }
    struct ServiceInfo { address serviceAddress; address serviceContract; string serviceType;
                     string version; string fullName; string description; bool isRecommended;
                     uint256 registeredAt; }

    InferenceServing.getService(address provider) view returns (Service)
    InferenceServing.getAllServices(uint offset, uint limit) view returns (Service[], uint total)  # limit <= 50
    InferenceServing.getAccount(address user, address provider) view returns (Account)
        # reverts AccountNotExists(address user, address provider)
    LedgerManager.getLedger(address user) view returns (Ledger)       # reverts LedgerNotExists(address)
    LedgerManager.getServiceInfo(address serviceAddress) view returns (ServiceInfo)
    LedgerManager.transferFund(address provider, string serviceName, uint amount)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from stack_cfo.zerog._recursion import json_loads

SERVICE = "(address,string,string,uint256,uint256,uint256,string,string,string,address,bool)"
REFUND = "(uint256,uint256,uint256,bool)"
ACCOUNT = f"(address,address,uint256,uint256,uint256,{REFUND}[],string,bool,uint256,uint256,uint256)"
LEDGER = "(address,uint256,uint256,string)"
SERVICE_INFO = "(address,address,string,string,string,string,bool,uint256)"


@dataclass(frozen=True, slots=True)
class Function:
    """One contract function: canonical signature, selector, argument and return encoding."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.inputs)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]

    def encode_call(self, *args: Any) -> bytes:
        return self.selector + encode(list(self.inputs), list(args))

    def decode_result(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(list(self.outputs), data))


@dataclass(frozen=True, slots=True)
class CustomError:
    """A Solidity custom error, to recognise reverts by their 4-byte selector."""

    name: str
    inputs: tuple[str, ...]

    @property
    def selector(self) -> bytes:
        return keccak(text=f"{self.name}({','.join(self.inputs)})")[:4]

    def matches(self, revert_data: bytes) -> bool:
        return revert_data[:4] == self.selector


GET_SERVICE = Function("getService", ("address",), (SERVICE,))
GET_ALL_SERVICES = Function("getAllServices", ("uint256", "uint256"), (f"{SERVICE}[]", "uint256"))
GET_ACCOUNT = Function("getAccount", ("address", "address"), (ACCOUNT,))
GET_LEDGER = Function("getLedger", ("address",), (LEDGER,))
GET_SERVICE_INFO = Function("getServiceInfo", ("address",), (SERVICE_INFO,))
TRANSFER_FUND = Function("transferFund", ("address", "string", "uint256"))

ACCOUNT_NOT_EXISTS = CustomError("AccountNotExists", ("address", "address"))
LEDGER_NOT_EXISTS = CustomError("LedgerNotExists", ("address",))
SERVICE_NOT_EXIST = CustomError("ServiceNotExist", ("address",))

MAX_SERVICES_PAGE = 50  # InferenceServing reverts LimitTooLarge above this


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A provider's on-chain service entry. Prices are neuron per token."""

    provider: str
    service_type: str
    url: str
    input_price: int
    output_price: int
    updated_at: int
    model: str
    verifiability: str
    additional_info_raw: str
    tee_signer: str
    tee_signer_acknowledged: bool
    additional_info: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_tuple(cls, t: tuple[Any, ...]) -> ServiceRecord:
        raw = str(t[8])
        try:
            info = json_loads(raw) if raw.strip() else {}
        except ValueError:
            info = {}
        return cls(
            provider=to_checksum_address(t[0]),
            service_type=str(t[1]),
            url=str(t[2]).rstrip("/"),
            input_price=int(t[3]),
            output_price=int(t[4]),
            updated_at=int(t[5]),
            model=str(t[6]),
            verifiability=str(t[7]),
            additional_info_raw=raw,
            tee_signer=to_checksum_address(t[9]),
            tee_signer_acknowledged=bool(t[10]),
            additional_info=info if isinstance(info, dict) else {},
        )

    @property
    def verifiable(self) -> bool:
        """A TEE-backed service whose signer the contract owner acknowledged."""
        return self.verifiability.lower() == "teeml" and self.tee_signer_acknowledged and int(self.tee_signer, 16) != 0

    @property
    def expected_signer(self) -> str:
        """Who must have signed answers: the TEE signer, or ``TargetTeeAddress`` for a
        decentralised provider whose model runs in a separate TEE (``TargetSeparated``)."""
        info = self.additional_info
        target = info.get("TargetTeeAddress")
        if (
            info.get("TargetSeparated") is True
            and str(info.get("ProviderType", "")).lower() != "centralized"
            and isinstance(target, str)
            and target
        ):
            return target
        return self.tee_signer

    def fee(self, prompt_tokens: int, completion_tokens: int) -> int:
        """What the provider bills (neuron), mirroring its own formula."""
        return prompt_tokens * self.input_price + completion_tokens * self.output_price


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """The user's sub-account with one provider (amounts in neuron)."""

    user: str
    provider: str
    nonce: int
    balance: int
    pending_refund: int
    acknowledged: bool
    generation: int
    revoked_bitmap: int

    @classmethod
    def from_tuple(cls, t: tuple[Any, ...]) -> AccountRecord:
        return cls(
            user=to_checksum_address(t[0]),
            provider=to_checksum_address(t[1]),
            nonce=int(t[2]),
            balance=int(t[3]),
            pending_refund=int(t[4]),
            acknowledged=bool(t[7]),
            generation=int(t[9]),
            revoked_bitmap=int(t[10]),
        )

    @property
    def available(self) -> int:
        """Funds the provider can draw on: ``balance - pendingRefund``."""
        return max(0, self.balance - self.pending_refund)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """The user's main balance in the LedgerManager (neuron)."""

    user: str
    available_balance: int
    total_balance: int

    @classmethod
    def from_tuple(cls, t: tuple[Any, ...]) -> LedgerRecord:
        return cls(user=to_checksum_address(t[0]), available_balance=int(t[1]), total_balance=int(t[2]))


@dataclass(frozen=True, slots=True)
class ServiceInfoRecord:
    """A service registered in the LedgerManager; ``full_name`` is ``transferFund``'s serviceName."""

    service_address: str
    service_type: str
    version: str
    full_name: str

    @classmethod
    def from_tuple(cls, t: tuple[Any, ...]) -> ServiceInfoRecord:
        return cls(
            service_address=to_checksum_address(t[0]),
            service_type=str(t[2]),
            version=str(t[3]),
            full_name=str(t[4]),
        )
