DROP FUNCTION IF EXISTS ai_receipt_insert(jsonb, text);
DROP FUNCTION IF EXISTS chat_complete_turn(uuid, uuid, date, integer, boolean, uuid, integer, jsonb);
DROP FUNCTION IF EXISTS chat_begin_turn(uuid, date, uuid, text, text, timestamptz, integer, uuid, double precision,
                                        uuid[]);
DROP FUNCTION IF EXISTS chat_after_message(uuid, integer, timestamptz, integer, boolean, uuid);
