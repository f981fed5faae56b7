"""A signature is over one exchange: a provider that answers the signature request of a new answer with a genuine
signature of an earlier one (to pass off a text it did not sign as verified) gets FAILED, not VERIFIED (a fault
tester: the second answer, "A completely different, fabricated answer", was VERIFIED with the first one's receipt
text and signature; common.proto VERIFIED: "The signature over the answer recovered to the service's registered TEE
signer")."""

from __future__ import annotations

from stack_cfo.core.ai import CompletionOptions, Message, Verification
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import ProviderStandIn, Reply

ASK = [Message("system", "You are a CFO."), Message("user", "How did my portfolio do this week?")]


class _Replaying(dict[str, dict[str, str]]):
    """The stand-in's signatures, each answer's request answered with the one genuine signature given."""

    def __init__(self, genuine: dict[str, str]) -> None:
        super().__init__()
        self.genuine = genuine

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        return self.genuine if key in self else default


async def test_a_signature_given_again_for_another_answer_fails(provider: ProviderStandIn,
                                                                 make_client: ClientFactory) -> None:
    client = make_client([provider])
    first = await client.complete(ASK, options=CompletionOptions(operation="chat"))
    assert first.verification is Verification.VERIFIED and first.chat_id
    provider.signatures = _Replaying(provider.signatures[first.chat_id])  # type: ignore[assignment]

    provider.default_reply = Reply.ok("A completely different, fabricated answer: sell everything now.")
    forged = await client.complete(ASK, options=CompletionOptions(operation="chat"))
    assert forged.chat_id and forged.chat_id != first.chat_id
    assert forged.verification is Verification.FAILED
    assert forged.extra.get("verification_error") == "signature_reused"


async def test_a_signature_given_again_under_the_same_chat_id_fails(provider: ProviderStandIn,
                                                                    make_client: ClientFactory) -> None:
    """The provider sets the chat id (``ZG-Res-Key``): a new answer under the earlier answer's id, whose signature it
    gives again, was VERIFIED (a reviewer). The exchange is told by the response bytes, not by the id."""
    client = make_client([provider])
    first = await client.complete(ASK, options=CompletionOptions(operation="chat"))
    assert first.verification is Verification.VERIFIED and first.chat_id
    again = await client.complete(ASK, options=CompletionOptions(operation="chat"))  # a re-check of another answer
    assert again.verification is Verification.VERIFIED

    provider.default_reply = Reply.ok("Sell everything now.", chat_key=first.chat_id, signature=False)
    forged = await client.complete(ASK, options=CompletionOptions(operation="chat"))
    assert forged.chat_id == first.chat_id
    assert forged.verification is Verification.FAILED
    assert forged.extra.get("verification_error") == "signature_reused"


async def test_answers_with_their_own_signatures_stay_verified(provider: ProviderStandIn,
                                                               make_client: ClientFactory) -> None:
    client = make_client([provider])
    results = [await client.complete(ASK, options=CompletionOptions(operation="chat")) for _ in range(3)]
    assert [r.verification for r in results] == [Verification.VERIFIED] * 3
