"""TEE signature check of a direct-mode answer (research/zerog.md §2).

``GET {service.url}/v1/proxy/signature/{chatID}?model={service.model}`` returns
``{"text": "<sha256(req)>:<sha256(resp)>", "signature": "0x..", "signing_address": "0x.."}``;
the answer is verified when the EIP-191 signer of ``text`` is the service's expected signer
(the TEE signer, or ``TargetTeeAddress`` for separated targets). The hashes in ``text`` are
compared with what we sent and received only as a soft signal (providers hash their
post-processing bodies), reported in ``extra`` and never changing the outcome. Each body whose
hash is the one signed goes into ``extra`` as well (``tee_signed_request``,
``tee_signed_response``: the bytes as a latin-1 string, since ``extra`` holds strings; lossless),
so the receipt keeps the bytes the signature is over and anyone can check its text against them.

A signature is over one exchange: the same signed text given again for another exchange (a provider that answers
every signature request with one genuine signature of an earlier answer, to pass off answers it did not sign, under a
new chat id or the old one) is FAILED, ``verification_error: signature_reused``. :class:`SignedTexts` remembers, for
the last signed texts this process verified, the exchange each was given for: the hash of the response bytes
received (the chat id when there is none). A replay of a signature this process never verified (before a restart,
in another worker, another customer's) is not caught here; a client comparing the receipt's hashes with its
``signed_request`` and ``signed_response`` (docs/api.md) catches every one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from urllib.parse import quote

import aiohttp
from coincurve import PublicKey
from Crypto.Hash import keccak
from eth_account import Account
from eth_account.messages import encode_defunct

from stack_cfo.core.ai import Verification
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.contracts import ServiceRecord

log = logging.getLogger(__name__)


class SignedTexts:
    """The exchange each signed text was first given for, for the last ``size`` texts over all signers (a replayed
    signature is caught while its first use is remembered: 10,000 answers, about 5 MB)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._first: OrderedDict[tuple[str, str], str] = OrderedDict()

    def claim(self, signer: str, text: str, exchange: str) -> str:
        """The exchange ``text`` signed by ``signer`` was first given for (``exchange`` when it is new)."""
        key = (signer.lower(), text)
        first = self._first.get(key)
        if first is None:
            self._first[key] = exchange
            while len(self._first) > self._size:
                self._first.popitem(last=False)
            return exchange
        self._first.move_to_end(key)
        return first


SIGNED_TEXTS = SignedTexts()


def chat_id_candidates(header_id: str | None, body_id: str | None) -> list[str]:
    """Signature keys to try: the ``ZG-Res-Key`` header, else the body id (bare uuid first)."""
    if header_id:
        return [header_id]
    out: list[str] = []
    if body_id:
        if body_id.startswith("chatcmpl-"):
            out.append(body_id.removeprefix("chatcmpl-"))
        out.append(body_id)
    return out


async def verify_answer(
    session: aiohttp.ClientSession,
    service: ServiceRecord,
    chat_ids: list[str],
    *,
    request_body: bytes,
    response_sha256: str | None,
    response_body: bytes | None = None,
    timeout: float,
    attempts: int = 2,
    retry_delay: float = 0.25,
    seen: SignedTexts = SIGNED_TEXTS,
) -> tuple[Verification, dict[str, str]]:
    """Fetch the signature and check it. Never raises."""
    if not service.verifiable:
        return Verification.UNVERIFIED_SERVICE, {}
    if not chat_ids:
        return Verification.UNAVAILABLE, {"verification_error": "no_chat_id"}
    body: dict[str, object] | None = None
    error = "not_found"
    chat_id = chat_ids[0]
    for chat_id in chat_ids:
        url = f"{service.url}/v1/proxy/signature/{quote(chat_id, safe='')}"
        for attempt in range(attempts):
            try:
                async with session.get(
                    url, params={"model": service.model}, timeout=aiohttp.ClientTimeout(total=timeout),
                    allow_redirects=False,
                ) as resp:
                    text = await resp.text()
                    if resp.status == 200:
                        parsed = json_loads(text)
                        body = parsed if isinstance(parsed, dict) else None
                        error = "malformed" if body is None else ""
                        break
                    error = f"http_{resp.status}"
            except (aiohttp.ClientError, TimeoutError):
                error = "unreachable"
            except ValueError:
                error = "malformed"
                break
            if attempt + 1 < attempts:
                await asyncio.sleep(retry_delay)
        if body is not None:
            break
    if body is None:
        outcome = Verification.FAILED if error == "malformed" else Verification.UNAVAILABLE
        return outcome, {"verification_error": error}
    signed_text = body.get("text")
    signature = body.get("signature")
    if not isinstance(signed_text, str) or not isinstance(signature, str):
        return Verification.FAILED, {"verification_error": "malformed"}
    text = signed_text
    try:
        signer = recover_signer(text, signature)
    except Exception:  # malformed signature bytes: eth_keys raises several types
        return Verification.FAILED, {"verification_error": "bad_signature"}
    expected = service.expected_signer
    # The receipt keeps what anyone needs to re-verify: the signed text, the signature, the signer.
    extra = {"tee_signer": signer, "tee_signature": signature, "tee_signed_text": signed_text}
    req_hash, _, resp_hash = text.partition(":")
    request_signed = req_hash == hashlib.sha256(request_body).hexdigest()
    extra["request_hash_match"] = str(request_signed).lower()
    if request_signed:
        extra["tee_signed_request"] = request_body.decode("latin-1")
    if response_sha256 is not None:
        extra["response_hash_match"] = str(resp_hash == response_sha256).lower()
        if response_body is not None and resp_hash == response_sha256:  # (the bytes response_sha256 hashed)
            extra["tee_signed_response"] = response_body.decode("latin-1")
    if signer.lower() != expected.lower():
        log.warning("zerog: TEE signature of %s answer signed by %s, expected %s", service.provider, signer, expected)
        extra["verification_error"] = "signer_mismatch"
        return Verification.FAILED, extra
    exchange = f"response:{response_sha256}" if response_sha256 is not None else f"chat:{chat_id}"
    first = seen.claim(signer, signed_text, exchange)
    if first != exchange:
        log.warning("zerog: %s gave the signature of another answer (%s) for answer %s", service.provider, first,
                    chat_id)
        extra["verification_error"] = "signature_reused"
        return Verification.FAILED, extra
    return Verification.VERIFIED, extra


def _keccak(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def recover_signer(text: str, signature: str) -> str:
    """The checksummed address whose key signed ``text`` (EIP-191 personal message), as
    ``Account.recover_message`` returns it, in about 40% of its CPU (~0.18 ms instead of
    ~0.43 per answer): libsecp256k1 directly, keccak and the EIP-55 checksum without
    eth_utils' validating wrappers. Anything but a well-formed 65-byte signature with v in
    {0, 1, 27, 28} goes through ``Account.recover_message`` (same result, same errors)."""
    raw = signature[2:] if signature[:2] in ("0x", "0X") else signature
    try:
        sig = bytes.fromhex(raw) if len(raw) == 130 else b""
    except ValueError:
        sig = b""
    if len(sig) != 65 or sig[64] not in (0, 1, 27, 28):
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    data = text.encode()
    digest = _keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
    key = PublicKey.from_signature_and_message(sig[:64] + bytes((sig[64] % 27,)), digest, hasher=None)
    address = _keccak(key.format(compressed=False)[1:])[-20:].hex()
    mask = _keccak(address.encode()).hex()[:40]
    return "0x" + "".join(c.upper() if m in "89abcdef" else c for c, m in zip(address, mask, strict=True))
