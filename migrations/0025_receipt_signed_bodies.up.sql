-- An outside verifier holding only a receipt could not tie the provider's TEE signature to the
-- receipt's text, model or prompt: `signed_text` is sha256(request):sha256(response), and neither
-- body was kept, so signature fields copied from another receipt, or a changed text with its hash
-- recomputed, still verified. The receipt now keeps the exact bytes the provider signed over
-- (docs/api.md, "Verify a receipt"): the request body sent and the response bytes received (the
-- SSE stream or the JSON body), each only when its SHA-256 is the one signed. NULL when none (router
-- mode, offline texts, unsigned or cut answers, and every receipt written before this migration).
-- Stored compressed: a user's receipt sealed like its text (an `sc1:` token, zlib-compressed inside,
-- as ASCII bytes), a shared one (news summaries) as a zlib stream (stack_cfo/store/receipts.py).
ALTER TABLE ai_receipts
    ADD COLUMN signed_request  BYTEA,
    ADD COLUMN signed_response BYTEA;

-- ai_receipt_insert (migration 16) writes the new columns too (the JSON carries them in bytea's
-- text form, '\x' + hex).
CREATE OR REPLACE FUNCTION ai_receipt_insert(p_receipt jsonb, p_shared_snapshot text)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    r ai_receipts := jsonb_populate_record(NULL::ai_receipts, p_receipt);
BEGIN
    IF r.snapshot_shared THEN
        INSERT INTO ai_receipt_snapshots AS x (user_id, data_sha256, data_snapshot)
        VALUES (r.user_id, r.data_sha256, p_shared_snapshot)
        ON CONFLICT (user_id, data_sha256) DO UPDATE SET last_used_at = now();
    END IF;
    INSERT INTO ai_receipts (
        id, user_id, surface, subject, provider, model, response_id, verification, tee_signer, signature,
        signed_text, router_tee_verified, prompt_sha256, data_sha256, data_snapshot, data_as_of, text, text_sha256,
        grounding, extra_facts, prompt_tokens, completion_tokens, fee_neuron, degraded_reason, created_at,
        snapshot_shared, signed_request, signed_response
    ) VALUES (
        r.id, r.user_id, r.surface, r.subject, r.provider, r.model, r.response_id, r.verification, r.tee_signer,
        r.signature, r.signed_text, r.router_tee_verified, r.prompt_sha256, r.data_sha256, r.data_snapshot,
        r.data_as_of, r.text, r.text_sha256, r.grounding, r.extra_facts, r.prompt_tokens, r.completion_tokens,
        r.fee_neuron, r.degraded_reason, r.created_at, r.snapshot_shared, r.signed_request, r.signed_response
    )
    ON CONFLICT (id) DO NOTHING;
END
$$;
