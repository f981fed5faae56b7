-- Receipts lose the bytes their signature is over; ai_receipt_insert is migration 16's again.
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
        snapshot_shared
    ) VALUES (
        r.id, r.user_id, r.surface, r.subject, r.provider, r.model, r.response_id, r.verification, r.tee_signer,
        r.signature, r.signed_text, r.router_tee_verified, r.prompt_sha256, r.data_sha256, r.data_snapshot,
        r.data_as_of, r.text, r.text_sha256, r.grounding, r.extra_facts, r.prompt_tokens, r.completion_tokens,
        r.fee_neuron, r.degraded_reason, r.created_at, r.snapshot_shared
    )
    ON CONFLICT (id) DO NOTHING;
END
$$;
ALTER TABLE ai_receipts
    DROP COLUMN IF EXISTS signed_request,
    DROP COLUMN IF EXISTS signed_response;
