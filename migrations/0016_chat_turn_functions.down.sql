DROP FUNCTION IF EXISTS chat_complete_turn(uuid, uuid, date, integer, boolean, uuid, uuid, text, text, integer, integer,
                                           numeric, text, text, text, boolean, boolean, boolean, text, boolean,
                                           boolean, text, uuid, timestamptz, jsonb, uuid, integer);
DROP FUNCTION IF EXISTS chat_begin_turn(uuid, date, uuid, text, text, timestamptz, integer, uuid, double precision,
                                        uuid[]);
DROP FUNCTION IF EXISTS chat_after_message(uuid, integer, timestamptz, integer, boolean, uuid);
