// Shared types for the stack-cfo v1 API.
//
// Conventions that hold in every file of package stack.cfo.v1 (client teams: read this first):
//
// * Decimal strings. Money and quantities are never floats. They travel as base-10 strings matching
//   `^-?\d+(\.\d+)?$` (for example "1234.56", "-0.5", "10"): no exponent, no thousands separators, no
//   leading "+", no surrounding spaces. Fields that must be non-negative say so. Servers accept at most 18
//   digits after the point and never round what they store; values computed by the server (market value,
//   P&L) are exact products of the inputs, rounded half-even to at most 8 fractional digits. An empty
//   string means "not provided" or "not available", as each field states.
// * Ranges. Every number a request carries has a range, stated on its field, chosen so that everything
//   computed from it later stays exact: decimal strings have at most 30 integer digits, and quantities and
//   prices are below 10^12, cash and flow amounts below 10^15, supplied context amounts below 10^18;
//   doubles in requests are finite and at most 10^12 in absolute value; Dates and Timestamps lie in the
//   years 1900 to 2199; Durations are valid (each field clamps or refuses what it cannot use). Out of
//   range is INVALID_ARGUMENT (OUT_OF_RANGE, or INVALID_DURATION) naming the field; nothing is stored.
// * Limits. Calls count per principal against rates per class (reads, writes, paid AI calls, streams
//   opened), open server streams against a per-principal cap, and calls in flight (unary and streaming,
//   until their status is sent) against another. A refusal is RESOURCE_EXHAUSTED with a RetryInfo and an
//   ErrorInfo reason RATE_LIMITED (metadata `class`, `limit`, `retry_after_seconds`), TOO_MANY_STREAMS
//   (metadata `class` = "streams", `limit`) or TOO_MANY_CALLS_IN_FLIGHT (metadata `class`, `limit`), before
//   any work is done. Health and reflection calls on the API port need no token and share one cap on calls in
//   flight: beyond it RESOURCE_EXHAUSTED (TOO_MANY_UNAUTHENTICATED_CALLS), and Health.Watch UNIMPLEMENTED (so
//   client-side health checking treats the connection as serving). Heavy writes (SyncPortfolio,
//   ImportHoldingsHistory, BatchCreateTransactions, UpdateTransaction, DeleteTransaction, RecordPrices,
//   RecordExchangeRates, IngestNews, UpdatePortfolioContext) also spend a per-principal CPU budget: when it is
//   spent, RESOURCE_EXHAUSTED (WRITE_CPU_BUDGET_EXHAUSTED, with RetryInfo; metadata `class` = "writes", `limit`,
//   `burst`) before the request is read; at most three of a principal's run at once per server, more wait.
// * A call's request message must arrive within the server's request read timeout (120 s by default) of the
//   call's start: else DEADLINE_EXCEEDED (REQUEST_READ_TIMEOUT, metadata `timeout_seconds`).
// * A request body that does not decode is INVALID_ARGUMENT (MALFORMED_REQUEST, metadata `message_type`);
//   strings that are not UTF-8 are named in its BadRequest (`positions[1].symbol`).
//   Values echoed in errors are cut to 256 characters (messages to 512).
// * Currencies are ISO 4217 alphabetic codes in upper case ("USD", "EUR").
// * Percentages and fractions. A field whose name ends in `_percent` is in percentage points
//   (12.5 means +12.5 %). Every other ratio (weights, returns in risk metrics, volatility, drawdown) is a
//   plain fraction (0.125 means 12.5 %). Ratios are doubles and are never NaN or Infinity: an undefined
//   figure is absent, and where a reason matters it is a `Metric` carrying a `MetricUnavailableReason`.
// * Time. Instants are google.protobuf.Timestamp (UTC). Calendar days are `Date` (below), interpreted in
//   the exchange calendar of the prices (America/New_York for US listings) unless a field says otherwise.
//   Lengths of time are google.protobuf.Duration.
// * Resource names follow AIP-122: `users/{user}`, `users/{user}/portfolio`, `users/{user}/sessions/{session}`,
//   `users/{user}/notificationPreferences`, `users/{user}/devices/{device}`,
//   `users/{user}/notifications/{notification}`. `{user}` is the user id (the `sub` claim of the caller's JWT).
// * Errors are google.rpc.Status with an ErrorInfo detail (domain "stack-cfo", `reason` UPPER_SNAKE_CASE,
//   `metadata` holding every dynamic value in the message) and, for bad input, a BadRequest detail whose
//   field violations name the offending field path (for example "positions[2].quantity"). Each RPC comment
//   lists the reasons it may return in addition to these, which any RPC may return:
//   UNAUTHENTICATED (TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED), PERMISSION_DENIED (SERVICE_PRINCIPAL_REQUIRED)
//   on service-only RPCs, INVALID_ARGUMENT (INVALID_ENUM) for an enum field holding a number its enum does
//   not define (fields the server reads: output-only fields, such as a resource's `status` sent back in a
//   create request, are ignored whatever they hold, as AIP-203 says), INVALID_ARGUMENT (TEXT_TOO_LONG, limit in metadata "max_chars") for a text field longer
//   than its comment allows, INVALID_ARGUMENT (INVALID_TEXT, one field violation per field) for any string
//   holding the NUL character U+0000, which no text field accepts (other control characters are stripped
//   where a field says so), NOT_FOUND for resources of another user with the reason of a missing one
//   (SESSION_NOT_FOUND, DEVICE_NOT_FOUND, ..., USER_NOT_FOUND for `users/{user}` itself; never
//   PERMISSION_DENIED, so existence does not leak; RESOURCE_NOT_FOUND for another service's
//   `services/{service}` resources), UNAVAILABLE (DATABASE_UNAVAILABLE, retryable, with a RetryInfo of 1 s), UNIMPLEMENTED (NOT_IMPLEMENTED_YET) for a
//   capability that has not landed, INTERNAL (INTERNAL) for anything unexpected.
// * Idempotency (AIP-155). Mutations that cost money or send something take an optional `request_id`
//   (a UUID chosen by the client, written as 8-4-4-4-12 hex digits; a random UUID4 is the recommended
//   kind, but the version digit is not checked, so a UUID7 works too; case does not matter, other
//   spellings such as braces or "urn:uuid:" are INVALID_ARGUMENT (INVALID_REQUEST_ID)). Retrying with the
//   same request_id returns the original result instead of repeating the effect. Reusing a request_id with
//   a different request is INVALID_ARGUMENT (REQUEST_ID_REUSED). A request id is scoped to the RPC and the
//   caller (SendMessage: to the user, across sessions): the same id sent to another RPC, or by another
//   caller, is another request. Servers remember request ids for at least 24 hours.

// @generated by protoc-gen-es v2.13.0 with parameter "target=ts,import_extension=js"
// @generated from file stack/cfo/v1/common.proto (package stack.cfo.v1, syntax proto3)
/* eslint-disable */

import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import { enumDesc, fileDesc, messageDesc } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { file_google_protobuf_timestamp } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";

/**
 * Describes the file stack/cfo/v1/common.proto.
 */
export const file_stack_cfo_v1_common: GenFile = /*@__PURE__*/
  fileDesc("ChlzdGFjay9jZm8vdjEvY29tbW9uLnByb3RvEgxzdGFjay5jZm8udjEiMAoERGF0ZRIMCgR5ZWFyGAEgASgFEg0KBW1vbnRoGAIgASgFEgsKA2RheRgDIAEoBSIrCglUaW1lT2ZEYXkSDQoFaG91cnMYASABKAUSDwoHbWludXRlcxgCIAEoBSJZCglEYXRlUmFuZ2USJgoKc3RhcnRfZGF0ZRgBIAEoCzISLnN0YWNrLmNmby52MS5EYXRlEiQKCGVuZF9kYXRlGAIgASgLMhIuc3RhY2suY2ZvLnYxLkRhdGUiXQoGTWV0cmljEhIKBXZhbHVlGAEgASgBSACIAQESNQoGcmVhc29uGAIgASgOMiUuc3RhY2suY2ZvLnYxLk1ldHJpY1VuYXZhaWxhYmxlUmVhc29uQggKBl92YWx1ZSI+CgpUb2tlblVzYWdlEhUKDXByb21wdF90b2tlbnMYASABKAMSGQoRY29tcGxldGlvbl90b2tlbnMYAiABKAMixQEKBkZpZ3VyZRIMCgR0ZXh0GAEgASgJEg0KBXN0YXJ0GAIgASgFEgsKA2VuZBgDIAEoBRITCgtzdGFydF91dGYxNhgEIAEoBRIRCgllbmRfdXRmMTYYBSABKAUSDQoFdmFsdWUYBiABKAkSJgoEa2luZBgHIAEoDjIYLnN0YWNrLmNmby52MS5GaWd1cmVLaW5kEhAKCGdyb3VuZGVkGAggASgIEgwKBGZhY3QYCSABKAkSEgoKZmFjdF92YWx1ZRgKIAEoCSJ7CglHcm91bmRpbmcSLQoGc3RhdHVzGAEgASgOMh0uc3RhY2suY2ZvLnYxLkdyb3VuZGluZ1N0YXR1cxIlCgdmaWd1cmVzGAIgAygLMhQuc3RhY2suY2ZvLnYxLkZpZ3VyZRIYChB1bmdyb3VuZGVkX2NvdW50GAMgASgFIrEFCgdSZWNlaXB0EgwKBG5hbWUYASABKAkSKAoHc3VyZmFjZRgCIAEoDjIXLnN0YWNrLmNmby52MS5BaVN1cmZhY2USDwoHc3ViamVjdBgDIAEoCRIQCghwcm92aWRlchgEIAEoCRINCgVtb2RlbBgFIAEoCRITCgtyZXNwb25zZV9pZBgGIAEoCRI2Cgx2ZXJpZmljYXRpb24YByABKA4yIC5zdGFjay5jZm8udjEuVmVyaWZpY2F0aW9uU3RhdHVzEhoKEnRlZV9zaWduZXJfYWRkcmVzcxgIIAEoCRIRCglzaWduYXR1cmUYCSABKAkSEwoLc2lnbmVkX3RleHQYCiABKAkSFQoNcHJvbXB0X3NoYTI1NhgLIAEoCRITCgtkYXRhX3NoYTI1NhgMIAEoCRIVCg1kYXRhX3NuYXBzaG90GA0gASgJEi4KCmRhdGFfYXNfb2YYDiABKAsyGi5nb29nbGUucHJvdG9idWYuVGltZXN0YW1wEgwKBHRleHQYDyABKAkSEwoLdGV4dF9zaGEyNTYYECABKAkSKgoJZ3JvdW5kaW5nGBEgASgLMhcuc3RhY2suY2ZvLnYxLkdyb3VuZGluZxInCgV1c2FnZRgSIAEoCzIYLnN0YWNrLmNmby52MS5Ub2tlblVzYWdlEgsKA2ZlZRgTIAEoCRIXCg9kZWdyYWRlZF9yZWFzb24YFCABKAkSIAoTcm91dGVyX3RlZV92ZXJpZmllZBgVIAEoCEgAiAEBEi8KC2NyZWF0ZV90aW1lGBYgASgLMhouZ29vZ2xlLnByb3RvYnVmLlRpbWVzdGFtcBIWCg5zaWduZWRfcmVxdWVzdBgXIAEoDBIXCg9zaWduZWRfcmVzcG9uc2UYGCABKAxCFgoUX3JvdXRlcl90ZWVfdmVyaWZpZWQqigMKF01ldHJpY1VuYXZhaWxhYmxlUmVhc29uEikKJU1FVFJJQ19VTkFWQUlMQUJMRV9SRUFTT05fVU5TUEVDSUZJRUQQABIyCi5NRVRSSUNfVU5BVkFJTEFCTEVfUkVBU09OX0lOU1VGRklDSUVOVF9ISVNUT1JZEAESLQopTUVUUklDX1VOQVZBSUxBQkxFX1JFQVNPTl9aRVJPX0RJU1BFUlNJT04QAhIqCiZNRVRSSUNfVU5BVkFJTEFCTEVfUkVBU09OX05PX0JFTkNITUFSSxADEikKJU1FVFJJQ19VTkFWQUlMQUJMRV9SRUFTT05fTk9fRFJBV0RPV04QBBInCiNNRVRSSUNfVU5BVkFJTEFCTEVfUkVBU09OX1VOREVGSU5FRBAFEjMKL01FVFJJQ19VTkFWQUlMQUJMRV9SRUFTT05fTUlTU0lOR19FWENIQU5HRV9SQVRFEAYSLAooTUVUUklDX1VOQVZBSUxBQkxFX1JFQVNPTl9TUEFSU0VfSElTVE9SWRAHKvQBChJWZXJpZmljYXRpb25TdGF0dXMSIwofVkVSSUZJQ0FUSU9OX1NUQVRVU19VTlNQRUNJRklFRBAAEiAKHFZFUklGSUNBVElPTl9TVEFUVVNfVkVSSUZJRUQQARIqCiZWRVJJRklDQVRJT05fU1RBVFVTX1VOVkVSSUZJRURfU0VSVklDRRACEh4KGlZFUklGSUNBVElPTl9TVEFUVVNfRkFJTEVEEAMSIwofVkVSSUZJQ0FUSU9OX1NUQVRVU19VTkFWQUlMQUJMRRAEEiYKIlZFUklGSUNBVElPTl9TVEFUVVNfTk9UX0FQUExJQ0FCTEUQBSq2AQoPR3JvdW5kaW5nU3RhdHVzEiAKHEdST1VORElOR19TVEFUVVNfVU5TUEVDSUZJRUQQABIdChlHUk9VTkRJTkdfU1RBVFVTX0dST1VOREVEEAESHwobR1JPVU5ESU5HX1NUQVRVU19VTkdST1VOREVEEAISHwobR1JPVU5ESU5HX1NUQVRVU19OT19GSUdVUkVTEAMSIAocR1JPVU5ESU5HX1NUQVRVU19OT1RfQ0hFQ0tFRBAEKqABCgpGaWd1cmVLaW5kEhsKF0ZJR1VSRV9LSU5EX1VOU1BFQ0lGSUVEEAASFgoSRklHVVJFX0tJTkRfQU1PVU5UEAESFwoTRklHVVJFX0tJTkRfUEVSQ0VOVBACEhUKEUZJR1VSRV9LSU5EX1JBVElPEAMSFQoRRklHVVJFX0tJTkRfQ09VTlQQBBIWChJGSUdVUkVfS0lORF9OVU1CRVIQBSrAAQoJQWlTdXJmYWNlEhoKFkFJX1NVUkZBQ0VfVU5TUEVDSUZJRUQQABIaChZBSV9TVVJGQUNFX0NIQVRfQU5TV0VSEAESIgoeQUlfU1VSRkFDRV9QT1JURk9MSU9fTkFSUkFUSVZFEAISGwoXQUlfU1VSRkFDRV9EQUlMWV9ESUdFU1QQAxIdChlBSV9TVVJGQUNFX1dFRUtMWV9TVU1NQVJZEAQSGwoXQUlfU1VSRkFDRV9ORVdTX1NVTU1BUlkQBUI6WjhnaXRodWIuY29tL3N0YWNrLWNmby9zdGFjay1jZm8vZ2VuL2dvL3N0YWNrL2Nmby92MTtjZm92MWIGcHJvdG8z", [file_google_protobuf_timestamp]);

/**
 * A whole calendar date with no time zone (a trading day, a cash-flow day). Same shape as google.type.Date,
 * but all three fields are always set: year 1..9999, month 1..12, day 1..31 and valid for the month.
 *
 * @generated from message stack.cfo.v1.Date
 */
export type Date = Message<"stack.cfo.v1.Date"> & {
  /**
   * Year, for example 2026. Dates in requests lie in the years 1900 to 2199 (as do request Timestamps);
   * others are INVALID_ARGUMENT (OUT_OF_RANGE) naming the field.
   *
   * @generated from field: int32 year = 1;
   */
  year: number;

  /**
   * Month of the year, 1 (January) to 12 (December).
   *
   * @generated from field: int32 month = 2;
   */
  month: number;

  /**
   * Day of the month, 1 to 31.
   *
   * @generated from field: int32 day = 3;
   */
  day: number;
};

/**
 * Describes the message stack.cfo.v1.Date.
 * Use `create(DateSchema)` to create a new message.
 */
export const DateSchema: GenMessage<Date> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 0);

/**
 * A time of day on a wall clock, in a time zone given by the enclosing message. Same shape as the first two
 * fields of google.type.TimeOfDay.
 *
 * @generated from message stack.cfo.v1.TimeOfDay
 */
export type TimeOfDay = Message<"stack.cfo.v1.TimeOfDay"> & {
  /**
   * Hours, 0 to 23.
   *
   * @generated from field: int32 hours = 1;
   */
  hours: number;

  /**
   * Minutes, 0 to 59.
   *
   * @generated from field: int32 minutes = 2;
   */
  minutes: number;
};

/**
 * Describes the message stack.cfo.v1.TimeOfDay.
 * Use `create(TimeOfDaySchema)` to create a new message.
 */
export const TimeOfDaySchema: GenMessage<TimeOfDay> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 1);

/**
 * An inclusive range of calendar dates.
 *
 * @generated from message stack.cfo.v1.DateRange
 */
export type DateRange = Message<"stack.cfo.v1.DateRange"> & {
  /**
   * First day of the range (inclusive). Required.
   *
   * @generated from field: stack.cfo.v1.Date start_date = 1;
   */
  startDate?: Date | undefined;

  /**
   * Last day of the range (inclusive). Required; must not be before start_date nor in the future.
   *
   * @generated from field: stack.cfo.v1.Date end_date = 2;
   */
  endDate?: Date | undefined;
};

/**
 * Describes the message stack.cfo.v1.DateRange.
 * Use `create(DateRangeSchema)` to create a new message.
 */
export const DateRangeSchema: GenMessage<DateRange> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 2);

/**
 * A ratio that may be undefined for the data at hand. Exactly one of `value` and a non-UNSPECIFIED
 * `reason` is set: clients show `value` when present and otherwise explain `reason`.
 *
 * @generated from message stack.cfo.v1.Metric
 */
export type Metric = Message<"stack.cfo.v1.Metric"> & {
  /**
   * The figure, finite. Absent when it cannot be computed; `reason` then says why.
   *
   * @generated from field: optional double value = 1;
   */
  value?: number | undefined;

  /**
   * Why `value` is absent. METRIC_UNAVAILABLE_REASON_UNSPECIFIED whenever `value` is present.
   *
   * @generated from field: stack.cfo.v1.MetricUnavailableReason reason = 2;
   */
  reason: MetricUnavailableReason;
};

/**
 * Describes the message stack.cfo.v1.Metric.
 * Use `create(MetricSchema)` to create a new message.
 */
export const MetricSchema: GenMessage<Metric> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 3);

/**
 * Tokens counted by the AI provider for one completion.
 *
 * @generated from message stack.cfo.v1.TokenUsage
 */
export type TokenUsage = Message<"stack.cfo.v1.TokenUsage"> & {
  /**
   * Tokens in the prompt sent to the model (system message, context, summary, history, question).
   *
   * @generated from field: int64 prompt_tokens = 1;
   */
  promptTokens: bigint;

  /**
   * Tokens the model generated.
   *
   * @generated from field: int64 completion_tokens = 2;
   */
  completionTokens: bigint;
};

/**
 * Describes the message stack.cfo.v1.TokenUsage.
 * Use `create(TokenUsageSchema)` to create a new message.
 */
export const TokenUsageSchema: GenMessage<TokenUsage> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 4);

/**
 * One figure found in a text, and the fact it is tied to.
 *
 * Offsets locate the figure in the text it was found in (ChatMessage.content, NarrativeCompleted.text,
 * Receipt.text), in two units so every platform can slice without converting: `start`/`end` count Unicode
 * code points (Python, Go runes, Rust chars), `start_utf16`/`end_utf16` count UTF-16 code units (JavaScript,
 * Java/Kotlin String, Swift NSString/NSRange). `end` is exclusive. They differ only after characters outside
 * the Basic Multilingual Plane (emoji), which take two UTF-16 units.
 *
 * @generated from message stack.cfo.v1.Figure
 */
export type Figure = Message<"stack.cfo.v1.Figure"> & {
  /**
   * The figure as written, e.g. "$31,041.20" or "3%" (a direction word before it, as in "fell 3%", is not
   * part of it: it signs `value`). The lower end of a range is written without the suffix it shares with the
   * upper end: in "5-10%" the figure "5" is a PERCENT of value "5"; in "$5-10M" the figure "$5" has value
   * "5000000". A figure glued to a name starts at its digits, or at its sign when one sits between them
   * ("XOM33.6%": "33.6%"; "XOM-3.1%": "-3.1%", value "-3.1"). A number written in words is a figure only with a
   * percent or currency unit ("twenty-five percent", value "25"); "6.2e3" has value "6200". A COUNT whose
   * noun is left out after a name is written as the number alone: in "3 positions: 2 in Technology" the
   * figure "2" is a COUNT of value "2"; one whose noun is that of the next count of a list is written with its
   * name: in "3 Energy and 3 Technology positions" the figure "3 Energy" is a COUNT of value "3".
   *
   * @generated from field: string text = 1;
   */
  text: string;

  /**
   * First code point of the figure (0-based).
   *
   * @generated from field: int32 start = 2;
   */
  start: number;

  /**
   * Code point after the figure (exclusive).
   *
   * @generated from field: int32 end = 3;
   */
  end: number;

  /**
   * First UTF-16 code unit of the figure (0-based).
   *
   * @generated from field: int32 start_utf16 = 4;
   */
  startUtf16: number;

  /**
   * UTF-16 code unit after the figure (exclusive).
   *
   * @generated from field: int32 end_utf16 = 5;
   */
  endUtf16: number;

  /**
   * The number the figure reads as, decimal string, signed and scaled: "31041.20", "-3" (for "fell 3%"),
   * "1200" (for "1.2k"). Percent figures are in percent ("6.8" for "6.8%").
   *
   * @generated from field: string value = 6;
   */
  value: string;

  /**
   * What kind of number it is.
   *
   * @generated from field: stack.cfo.v1.FigureKind kind = 7;
   */
  kind: FigureKind;

  /**
   * True when the figure matches a fact (within the precision the text shows: "$31k" matches 31,041.20;
   * "6.8%" matches a weight of 0.0679). False marks a figure nothing computed supports: render it flagged.
   *
   * @generated from field: bool grounded = 8;
   */
  grounded: boolean;

  /**
   * Stable path of the fact it matches, e.g. "total_value", "positions[AAPL].weight", "risk.sharpe",
   * "baskets[Tech].return_1w", or "user[1][0]" for the first number of the second of the user's messages the
   * prompt carries (0-based: a compressed conversation's earlier messages are in its summary, `summary[i]`). Empty
   * when not grounded. The keys are those of the data the text was written from, which differ by surface:
   * a chat answer's data block has "risk.sharpe" and "positions[AAPL].weight" (a fraction); the summary a
   * narrative, digest or weekly summary is written from has "risk.sharpe_ratio" and
   * "positions[AAPL].weight_percent" (in percent). Paths index Receipt.data_snapshot (JSON): dotted keys, `[KEY]` for a list item whose
   * key is unique in its list, else `[N]` (0-based). An item's key is the first of its fields `symbol`,
   * `name`, `code`, `sector`, `basket` holding a non-empty string that is not all digits and has no `[` or
   * `]`, so a bracket of digits is always an index and any other bracket names exactly one item (receipts
   * stored before this rule may name the first of several items sharing a key; ReplayReceipt still
   * resolves them). Two kinds of path name a
   * figure the snapshot does not hold as a key: a count of a list ("positions.count": how many items
   * `positions` has) and a number written inside a text, counted from 0 in reading order ("article[2]":
   * the third number of the article's `title` then `text`; "summary[0]" of an earlier-turns summary;
   * "user[1][0]" as above; `.abs` appended when the text's negative figure is repeated as a magnitude).
   *
   * @generated from field: string fact = 9;
   */
  fact: string;

  /**
   * The fact's value as the server computed it, decimal string, in its key's unit: a key ending in
   * `_percent` in percent ("6.79"), other ratios as fractions ("0.0679"), amounts as "31041.2"; empty when
   * not grounded.
   *
   * @generated from field: string fact_value = 10;
   */
  factValue: string;
};

/**
 * Describes the message stack.cfo.v1.Figure.
 * Use `create(FigureSchema)` to create a new message.
 */
export const FigureSchema: GenMessage<Figure> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 5);

/**
 * The result of checking every figure of an AI-written text against the facts the model was given (a
 * deterministic check run by the server after the text is complete; no AI involved).
 *
 * @generated from message stack.cfo.v1.Grounding
 */
export type Grounding = Message<"stack.cfo.v1.Grounding"> & {
  /**
   * Overall outcome.
   *
   * @generated from field: stack.cfo.v1.GroundingStatus status = 1;
   */
  status: GroundingStatus;

  /**
   * Every figure found, in text order.
   *
   * @generated from field: repeated stack.cfo.v1.Figure figures = 2;
   */
  figures: Figure[];

  /**
   * How many of `figures` are not grounded.
   *
   * @generated from field: int32 ungrounded_count = 3;
   */
  ungroundedCount: number;
};

/**
 * Describes the message stack.cfo.v1.Grounding.
 * Use `create(GroundingSchema)` to create a new message.
 */
export const GroundingSchema: GenMessage<Grounding> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 6);

/**
 * Everything needed to check an AI-written text after the fact (resource `users/{user}/receipts/{receipt}`,
 * or `receipts/{receipt}` for shared news summaries, which belong to no user).
 *
 * The receipt records who wrote the text and under what signature, exactly what data the model saw, and how
 * each figure of the text compares with that data. To re-verify a provider's TEE signature (direct mode):
 * recover the EIP-191 signer of `signed_text` from `signature` and compare it with the provider's TEE signer
 * registered on chain (InferenceServing.getService(provider).teeSignerAddress) and with `tee_signer_address`
 * (which is recovered from the signature, so matching it alone proves only that the two belong together);
 * see docs/api.md for a ten-line example. `signed_text` is "<sha256 of the provider's request>:<sha256 of its
 * response>", as 0G providers sign it, and the receipt holds those exact bytes (`signed_request`,
 * `signed_response`), so the signature binds the receipt's `model`, `prompt_sha256` and `text` too: an outside
 * verifier checks that
 *   1. hex SHA-256 of `signed_request` is the part of `signed_text` before the ":", and of `signed_response`
 *      the part after it;
 *   2. the EIP-191 signer of `signed_text` (from `signature`) is the registered TEE signer (above);
 *   3. `model` is the request's JSON `model` (when the response names a model, as providers do, `model` is
 *      the one it names: the `model` of the first data event that has an `id`; the two are the same unless
 *      the provider served another model);
 *   4. `prompt_sha256` is the SHA-256 of the request's `messages` array re-serialised canonically (see
 *      `prompt_sha256`);
 *   5. `text` is the text of `signed_response` (see `signed_response`), and `text_sha256` its SHA-256.
 * docs/api.md, "Verify a receipt", has the code and the relation for texts that are not exactly the
 * response's (news summaries).
 *
 * @generated from message stack.cfo.v1.Receipt
 */
export type Receipt = Message<"stack.cfo.v1.Receipt"> & {
  /**
   * Resource name, `users/{user}/receipts/{receipt}` or `receipts/{receipt}`. {receipt} is a UUID.
   *
   * @generated from field: string name = 1;
   */
  name: string;

  /**
   * Which kind of text it covers.
   *
   * @generated from field: stack.cfo.v1.AiSurface surface = 2;
   */
  surface: AiSurface;

  /**
   * What the text belongs to: a message (`users/{user}/sessions/{session}/messages/{message}`), a
   * notification (`users/{user}/notifications/{notification}`), a narrative (`users/{user}/portfolio`) or a
   * news article (`news/{article}`).
   *
   * @generated from field: string subject = 3;
   */
  subject: string;

  /**
   * Who wrote it: a 0G provider address ("0x..."), "router", or "offline" for the deterministic writer.
   *
   * @generated from field: string provider = 4;
   */
  provider: string;

  /**
   * Model id ("offline" for the deterministic writer).
   *
   * @generated from field: string model = 5;
   */
  model: string;

  /**
   * The provider's response id (the OpenAI-style completion id), when it gave one.
   *
   * @generated from field: string response_id = 6;
   */
  responseId: string;

  /**
   * Outcome of the provider signature check. Router answers are NOT_APPLICABLE: the router does not expose
   * provider signatures (its own claim, `x_0g_trace.tee_verified`, is in `router_tee_verified`).
   *
   * @generated from field: stack.cfo.v1.VerificationStatus verification = 7;
   */
  verification: VerificationStatus;

  /**
   * Address of the TEE key that signed the answer (recovered from the signature); empty when unsigned.
   *
   * @generated from field: string tee_signer_address = 8;
   */
  teeSignerAddress: string;

  /**
   * The provider's EIP-191 signature over `signed_text`, 0x-prefixed hex; empty when unsigned.
   *
   * @generated from field: string signature = 9;
   */
  signature: string;

  /**
   * The exact text the provider signed; empty when unsigned.
   *
   * @generated from field: string signed_text = 10;
   */
  signedText: string;

  /**
   * SHA-256 (hex) of the prompt messages sent to the model: canonical JSON of [{"content","role"}...], the
   * same rules as data_snapshot (sorted keys, no spaces, UTF-8 as is: non-ASCII characters not escaped),
   * hashed as UTF-8 bytes. It is recomputable from `signed_request`: parse it as JSON, take its `messages`
   * array (objects of exactly `role` and `content`, in the order sent) and hash that array in canonical JSON
   * (Python: `json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`).
   *
   * @generated from field: string prompt_sha256 = 11;
   */
  promptSha256: string;

  /**
   * SHA-256 (hex) of `data_snapshot` (its UTF-8 bytes).
   *
   * @generated from field: string data_sha256 = 12;
   */
  dataSha256: string;

  /**
   * The data the model was given, as canonical JSON (sorted keys, no spaces). Filled by GetReceipt and
   * ReplayReceipt only; empty when a receipt is embedded in another message (ChatMessage, Notification).
   *
   * @generated from field: string data_snapshot = 13;
   */
  dataSnapshot: string;

  /**
   * When the data was computed (the portfolio's as-of time).
   *
   * @generated from field: google.protobuf.Timestamp data_as_of = 14;
   */
  dataAsOf?: Timestamp | undefined;

  /**
   * The AI's text exactly as it was produced (what `grounding` covers; in direct mode it was read from
   * `signed_response`, whose SHA-256 `signed_text` carries: see `signed_response` for the exact relation). It
   * equals the message or narrative text unless the server replaced an ungrounded answer (degraded_reason
   * AI_UNGROUNDED).
   *
   * @generated from field: string text = 15;
   */
  text: string;

  /**
   * SHA-256 (hex) of `text`.
   *
   * @generated from field: string text_sha256 = 16;
   */
  textSha256: string;

  /**
   * How each figure of `text` compares with `data_snapshot` (and the numbers the user wrote).
   *
   * @generated from field: stack.cfo.v1.Grounding grounding = 17;
   */
  grounding?: Grounding | undefined;

  /**
   * Tokens used.
   *
   * @generated from field: stack.cfo.v1.TokenUsage usage = 18;
   */
  usage?: TokenUsage | undefined;

  /**
   * Provider fee in 0G (1 0G = 10^18 neuron), decimal string: (prompt tokens x input price + completion tokens x
   * output price) / 10^18, at the provider's on-chain prices in neuron per token; "0" for offline text; empty when
   * unknown.
   *
   * @generated from field: string fee = 19;
   */
  fee: string;

  /**
   * Why the text is degraded (the codes of ChatMessage.degraded_reason and NarrativeCompleted.degraded_reason);
   * empty otherwise.
   *
   * @generated from field: string degraded_reason = 20;
   */
  degradedReason: string;

  /**
   * The router's own report that it checked the provider's TEE signature; only set in router mode.
   *
   * @generated from field: optional bool router_tee_verified = 21;
   */
  routerTeeVerified?: boolean | undefined;

  /**
   * When the receipt was written.
   *
   * @generated from field: google.protobuf.Timestamp create_time = 22;
   */
  createTime?: Timestamp | undefined;

  /**
   * The exact HTTP request body sent to the provider (UTF-8 JSON: `model`, `messages`, `stream`,
   * `stream_options`, `max_tokens`, `temperature`) whose hex SHA-256 is the part of `signed_text` before the
   * ":". Set when the receipt carries a signature over it (direct mode); empty when unsigned (router mode,
   * whose answers carry no provider signature; offline texts; verification switched off; an incomplete
   * answer, which is never signed) and when the provider signed the hash of other bytes than the ones sent.
   * Filled by GetReceipt and ReplayReceipt only (like `data_snapshot`); empty when a receipt is embedded in
   * another message. Receipts written before this field existed have none.
   *
   * @generated from field: bytes signed_request = 23;
   */
  signedRequest: Uint8Array;

  /**
   * The exact response body bytes received from the provider, whose hex SHA-256 is the part of `signed_text`
   * after the ":": the raw server-sent-event stream up to and including the read that held `data: [DONE]`
   * (Content-Type text/event-stream), or the whole JSON body (application/json). Set and filled under the
   * same conditions as `signed_request`. The answer's text is read from it as the server read it: for an
   * event stream, the concatenation over the `data:` events before `[DONE]` of `choices[0].delta.content`
   * (`choices[0].message.content` when the event has no `delta` or an empty one); for a JSON body,
   * `choices[0].message.content`. Missing or null contents add nothing; invalid UTF-8 and lone UTF-16
   * surrogates (JSON `\ud800` escapes) read as U+FFFD. `text` is exactly that text for chat answers,
   * narratives, digest paragraphs and weekly summaries (also when the server replaced an ungrounded answer:
   * `text` is still the AI's); for news summaries `text` is it with every run of whitespace replaced by one
   * space and the ends trimmed, and, when that is longer than 280 characters, its first 279 characters up to
   * their last space, followed by "…". An answer that was cut short has no signature and so no bytes.
   *
   * @generated from field: bytes signed_response = 24;
   */
  signedResponse: Uint8Array;
};

/**
 * Describes the message stack.cfo.v1.Receipt.
 * Use `create(ReceiptSchema)` to create a new message.
 */
export const ReceiptSchema: GenMessage<Receipt> = /*@__PURE__*/
  messageDesc(file_stack_cfo_v1_common, 7);

/**
 * Why a Metric has no value.
 *
 * @generated from enum stack.cfo.v1.MetricUnavailableReason
 */
export enum MetricUnavailableReason {
  /**
   * The metric has a value.
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_UNSPECIFIED = 0;
   */
  UNSPECIFIED = 0,

  /**
   * Too few observations: fewer than 2 daily returns for any dispersion-based figure, or fewer than the
   * configured minimum history (default 63 trading days) for annualised figures (volatility, Sharpe,
   * Sortino, CAGR, Calmar, alpha).
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY = 1;
   */
  INSUFFICIENT_HISTORY = 1,

  /**
   * The denominator is a dispersion that is zero (constant returns for Sharpe, no returns below the
   * required return for Sortino, a constant benchmark for beta).
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION = 2;
   */
  ZERO_DISPERSION = 2,

  /**
   * The figure needs the benchmark (beta, alpha) and it has no prices on at least 2 common dates.
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_NO_BENCHMARK = 3;
   */
  NO_BENCHMARK = 3,

  /**
   * The figure divides by the maximum drawdown (Calmar) and the portfolio never fell.
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN = 4;
   */
  NO_DRAWDOWN = 4,

  /**
   * Mathematically undefined for another reason (for example a return below -100 %, an empty portfolio).
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_UNDEFINED = 5;
   */
  UNDEFINED = 5,

  /**
   * A figure needs an exchange rate that was not recorded (see RecordExchangeRates); never computed with 1.
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE = 6;
   */
  MISSING_EXCHANGE_RATE = 6,

  /**
   * The return series is not daily (closes recorded weekly, monthly, quarterly...): fewer returns than
   * half the weekdays between RiskMetrics.start_date and end_date. The figures that assume one return per
   * trading day (volatility, Sharpe, Sortino, CAGR, Calmar, alpha, 1-day VaR and CVaR) would be scaled
   * wrongly by 252 a year, so they are absent; cumulative return, drawdowns and beta stay. Not checked
   * when the server's minimum history (portfolio.min_history_days) is 0.
   *
   * @generated from enum value: METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY = 7;
   */
  SPARSE_HISTORY = 7,
}

/**
 * Describes the enum stack.cfo.v1.MetricUnavailableReason.
 */
export const MetricUnavailableReasonSchema: GenEnum<MetricUnavailableReason> = /*@__PURE__*/
  enumDesc(file_stack_cfo_v1_common, 0);

/**
 * Outcome of checking the provider's TEE signature over an AI answer (0G verifiable services).
 * A failed verification does not hide the answer; it marks it.
 *
 * @generated from enum stack.cfo.v1.VerificationStatus
 */
export enum VerificationStatus {
  /**
   * Not reported (older servers) — treat as NOT_APPLICABLE.
   *
   * @generated from enum value: VERIFICATION_STATUS_UNSPECIFIED = 0;
   */
  UNSPECIFIED = 0,

  /**
   * The signature over the answer recovered to the service's registered TEE signer.
   *
   * @generated from enum value: VERIFICATION_STATUS_VERIFIED = 1;
   */
  VERIFIED = 1,

  /**
   * The service is not verifiable (no TEE signer registered), so nothing could be checked.
   *
   * @generated from enum value: VERIFICATION_STATUS_UNVERIFIED_SERVICE = 2;
   */
  UNVERIFIED_SERVICE = 2,

  /**
   * A signature was present but recovered to another signer, was malformed, or was one the provider had
   * already given for another answer (a replayed signature): do not trust the text.
   *
   * @generated from enum value: VERIFICATION_STATUS_FAILED = 3;
   */
  FAILED = 3,

  /**
   * The signature could not be fetched (no chat id, provider error, timeout).
   *
   * @generated from enum value: VERIFICATION_STATUS_UNAVAILABLE = 4;
   */
  UNAVAILABLE = 4,

  /**
   * No provider answer to verify: the text came from the deterministic offline writer, or from the router,
   * which does not expose signatures.
   *
   * @generated from enum value: VERIFICATION_STATUS_NOT_APPLICABLE = 5;
   */
  NOT_APPLICABLE = 5,
}

/**
 * Describes the enum stack.cfo.v1.VerificationStatus.
 */
export const VerificationStatusSchema: GenEnum<VerificationStatus> = /*@__PURE__*/
  enumDesc(file_stack_cfo_v1_common, 1);

/**
 * How the figures of an AI-written text compare with the numbers the server computed and gave the model.
 *
 * @generated from enum stack.cfo.v1.GroundingStatus
 */
export enum GroundingStatus {
  /**
   * Not reported (older servers) — treat as NOT_CHECKED.
   *
   * @generated from enum value: GROUNDING_STATUS_UNSPECIFIED = 0;
   */
  UNSPECIFIED = 0,

  /**
   * Every figure in the text matches a fact the model was given (or a number the user wrote).
   *
   * @generated from enum value: GROUNDING_STATUS_GROUNDED = 1;
   */
  GROUNDED = 1,

  /**
   * At least one figure matches nothing the model was given: show it flagged (see Figure.grounded).
   *
   * @generated from enum value: GROUNDING_STATUS_UNGROUNDED = 2;
   */
  UNGROUNDED = 2,

  /**
   * The text states no figures.
   *
   * @generated from enum value: GROUNDING_STATUS_NO_FIGURES = 3;
   */
  NO_FIGURES = 3,

  /**
   * The text was stored before the check existed; nothing is known about its figures.
   *
   * @generated from enum value: GROUNDING_STATUS_NOT_CHECKED = 4;
   */
  NOT_CHECKED = 4,
}

/**
 * Describes the enum stack.cfo.v1.GroundingStatus.
 */
export const GroundingStatusSchema: GenEnum<GroundingStatus> = /*@__PURE__*/
  enumDesc(file_stack_cfo_v1_common, 2);

/**
 * What kind of number a figure is, as written.
 *
 * @generated from enum stack.cfo.v1.FigureKind
 */
export enum FigureKind {
  /**
   * Unknown.
   *
   * @generated from enum value: FIGURE_KIND_UNSPECIFIED = 0;
   */
  UNSPECIFIED = 0,

  /**
   * An amount of money ("$31,041.20", "EUR 1.2k", "€3.4M").
   *
   * @generated from enum value: FIGURE_KIND_AMOUNT = 1;
   */
  AMOUNT = 1,

  /**
   * A percentage or percentage points ("6.8%", "-3 %", "0.4 pp"); `value` is in percent (6.8).
   *
   * @generated from enum value: FIGURE_KIND_PERCENT = 2;
   */
  PERCENT = 2,

  /**
   * A ratio or multiple ("Sharpe 2.10", "beta 0.87", "1.5x").
   *
   * @generated from enum value: FIGURE_KIND_RATIO = 3;
   */
  RATIO = 3,

  /**
   * A count with a unit, whatever its size ("12 positions", "63 trading days", "8 of your positions", "9 daily
   * returns"); `text` includes the words up to the noun. Grounded only by a count of what it counts: a whole
   * count never by a fractional one ("4 positions" is not an effective count of 3.87) unless the text says
   * "effective"/"effectively"; a name before the noun or after "of"/"in" ("3 Health Care positions", "12 shares
   * of MSFT"; "Tech" for the one sector whose name a word of it starts) limits it to that name's count, and so
   * do "2 positions in the Energy sector", "im Energiesektor", "de energía", "2 lignes Énergie"; a count under
   * no name ("Your portfolio holds 2 positions", unless its clause names a group before it: "In Health Care
   * you hold 2 positions") is grounded only by a portfolio-wide count (a `fact` with no bracketed name, such
   * as `position_count`), never by one sector's or position's count; "2 effective positions" only by an
   * effective count; a ticker
   * not in the data ("10 TSLA shares") is not grounded; other capitalised words that name nothing in the data
   * ("5 US stocks", "2 Big Tech positions"), and a count picked by rank ("your 3 largest positions"), count a
   * part of the portfolio: grounded by an equal portfolio count,
   * not grounded when larger, otherwise not checkable and not listed; "N other positions" (or "N posiciones
   * más") counts the rest after one named (`fact` is the count of all, `fact_value` N + 1); "over"/"above" before a
   * count mean "more than" only as in "you hold over 20 positions" ("spread over 2 sectors" is exactly 2). The part
   * of a stated whole ("3 of your 5 positions", "3 Ihrer 5 Positionen", "2 de vos 4 lignes") is a COUNT of
   * the whole's noun whose `text` is the number alone ("3"): grounded when a count equals it; when none does
   * but it is at most the whole and the whole is grounded, it cannot be checked and is not listed; a part
   * larger than its whole, or of an ungrounded whole, is listed ungrounded. Words after the noun ("im Plus",
   * "above 50%") qualify the things counted, not the count.
   *
   * @generated from enum value: FIGURE_KIND_COUNT = 4;
   */
  COUNT = 4,

  /**
   * Any other number.
   *
   * @generated from enum value: FIGURE_KIND_NUMBER = 5;
   */
  NUMBER = 5,
}

/**
 * Describes the enum stack.cfo.v1.FigureKind.
 */
export const FigureKindSchema: GenEnum<FigureKind> = /*@__PURE__*/
  enumDesc(file_stack_cfo_v1_common, 3);

/**
 * Which kind of AI-written text a receipt covers.
 *
 * @generated from enum stack.cfo.v1.AiSurface
 */
export enum AiSurface {
  /**
   * Unknown.
   *
   * @generated from enum value: AI_SURFACE_UNSPECIFIED = 0;
   */
  UNSPECIFIED = 0,

  /**
   * An assistant answer in a chat session.
   *
   * @generated from enum value: AI_SURFACE_CHAT_ANSWER = 1;
   */
  CHAT_ANSWER = 1,

  /**
   * The portfolio narrative of StreamPortfolioSummary.
   *
   * @generated from enum value: AI_SURFACE_PORTFOLIO_NARRATIVE = 2;
   */
  PORTFOLIO_NARRATIVE = 2,

  /**
   * The portfolio paragraph of a daily digest.
   *
   * @generated from enum value: AI_SURFACE_DAILY_DIGEST = 3;
   */
  DAILY_DIGEST = 3,

  /**
   * A weekly summary.
   *
   * @generated from enum value: AI_SURFACE_WEEKLY_SUMMARY = 4;
   */
  WEEKLY_SUMMARY = 4,

  /**
   * The summary of a news article (shared by every holder of the symbols it mentions).
   *
   * @generated from enum value: AI_SURFACE_NEWS_SUMMARY = 5;
   */
  NEWS_SUMMARY = 5,
}

/**
 * Describes the enum stack.cfo.v1.AiSurface.
 */
export const AiSurfaceSchema: GenEnum<AiSurface> = /*@__PURE__*/
  enumDesc(file_stack_cfo_v1_common, 4);

