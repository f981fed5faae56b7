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

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.28.1
// 	protoc        (unknown)
// source: stack/cfo/v1/common.proto

package cfov1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	timestamppb "google.golang.org/protobuf/types/known/timestamppb"
	reflect "reflect"
	sync "sync"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// Why a Metric has no value.
type MetricUnavailableReason int32

const (
	// The metric has a value.
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_UNSPECIFIED MetricUnavailableReason = 0
	// Too few observations: fewer than 2 daily returns for any dispersion-based figure, or fewer than the
	// configured minimum history (default 63 trading days) for annualised figures (volatility, Sharpe,
	// Sortino, CAGR, Calmar, alpha).
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY MetricUnavailableReason = 1
	// The denominator is a dispersion that is zero (constant returns for Sharpe, no returns below the
	// required return for Sortino, a constant benchmark for beta).
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION MetricUnavailableReason = 2
	// The figure needs the benchmark (beta, alpha) and it has no prices on at least 2 common dates.
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_NO_BENCHMARK MetricUnavailableReason = 3
	// The figure divides by the maximum drawdown (Calmar) and the portfolio never fell.
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN MetricUnavailableReason = 4
	// Mathematically undefined for another reason (for example a return below -100 %, an empty portfolio).
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_UNDEFINED MetricUnavailableReason = 5
	// A figure needs an exchange rate that was not recorded (see RecordExchangeRates); never computed with 1.
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE MetricUnavailableReason = 6
	// The return series is not daily (closes recorded weekly, monthly, quarterly...): fewer returns than
	// half the weekdays between RiskMetrics.start_date and end_date. The figures that assume one return per
	// trading day (volatility, Sharpe, Sortino, CAGR, Calmar, alpha, 1-day VaR and CVaR) would be scaled
	// wrongly by 252 a year, so they are absent; cumulative return, drawdowns and beta stay. Not checked
	// when the server's minimum history (portfolio.min_history_days) is 0.
	MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY MetricUnavailableReason = 7
)

// Enum value maps for MetricUnavailableReason.
var (
	MetricUnavailableReason_name = map[int32]string{
		0: "METRIC_UNAVAILABLE_REASON_UNSPECIFIED",
		1: "METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY",
		2: "METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION",
		3: "METRIC_UNAVAILABLE_REASON_NO_BENCHMARK",
		4: "METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN",
		5: "METRIC_UNAVAILABLE_REASON_UNDEFINED",
		6: "METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE",
		7: "METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY",
	}
	MetricUnavailableReason_value = map[string]int32{
		"METRIC_UNAVAILABLE_REASON_UNSPECIFIED":           0,
		"METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY":  1,
		"METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION":       2,
		"METRIC_UNAVAILABLE_REASON_NO_BENCHMARK":          3,
		"METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN":           4,
		"METRIC_UNAVAILABLE_REASON_UNDEFINED":             5,
		"METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE": 6,
		"METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY":        7,
	}
)

func (x MetricUnavailableReason) Enum() *MetricUnavailableReason {
	p := new(MetricUnavailableReason)
	*p = x
	return p
}

func (x MetricUnavailableReason) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (MetricUnavailableReason) Descriptor() protoreflect.EnumDescriptor {
	return file_stack_cfo_v1_common_proto_enumTypes[0].Descriptor()
}

func (MetricUnavailableReason) Type() protoreflect.EnumType {
	return &file_stack_cfo_v1_common_proto_enumTypes[0]
}

func (x MetricUnavailableReason) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use MetricUnavailableReason.Descriptor instead.
func (MetricUnavailableReason) EnumDescriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{0}
}

// Outcome of checking the provider's TEE signature over an AI answer (0G verifiable services).
// A failed verification does not hide the answer; it marks it.
type VerificationStatus int32

const (
	// Not reported (older servers) — treat as NOT_APPLICABLE.
	VerificationStatus_VERIFICATION_STATUS_UNSPECIFIED VerificationStatus = 0
	// The signature over the answer recovered to the service's registered TEE signer.
	VerificationStatus_VERIFICATION_STATUS_VERIFIED VerificationStatus = 1
	// The service is not verifiable (no TEE signer registered), so nothing could be checked.
	VerificationStatus_VERIFICATION_STATUS_UNVERIFIED_SERVICE VerificationStatus = 2
	// A signature was present but recovered to another signer, was malformed, or was one the provider had
	// already given for another answer (a replayed signature): do not trust the text.
	VerificationStatus_VERIFICATION_STATUS_FAILED VerificationStatus = 3
	// The signature could not be fetched (no chat id, provider error, timeout).
	VerificationStatus_VERIFICATION_STATUS_UNAVAILABLE VerificationStatus = 4
	// No provider answer to verify: the text came from the deterministic offline writer, or from the router,
	// which does not expose signatures.
	VerificationStatus_VERIFICATION_STATUS_NOT_APPLICABLE VerificationStatus = 5
)

// Enum value maps for VerificationStatus.
var (
	VerificationStatus_name = map[int32]string{
		0: "VERIFICATION_STATUS_UNSPECIFIED",
		1: "VERIFICATION_STATUS_VERIFIED",
		2: "VERIFICATION_STATUS_UNVERIFIED_SERVICE",
		3: "VERIFICATION_STATUS_FAILED",
		4: "VERIFICATION_STATUS_UNAVAILABLE",
		5: "VERIFICATION_STATUS_NOT_APPLICABLE",
	}
	VerificationStatus_value = map[string]int32{
		"VERIFICATION_STATUS_UNSPECIFIED":        0,
		"VERIFICATION_STATUS_VERIFIED":           1,
		"VERIFICATION_STATUS_UNVERIFIED_SERVICE": 2,
		"VERIFICATION_STATUS_FAILED":             3,
		"VERIFICATION_STATUS_UNAVAILABLE":        4,
		"VERIFICATION_STATUS_NOT_APPLICABLE":     5,
	}
)

func (x VerificationStatus) Enum() *VerificationStatus {
	p := new(VerificationStatus)
	*p = x
	return p
}

func (x VerificationStatus) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (VerificationStatus) Descriptor() protoreflect.EnumDescriptor {
	return file_stack_cfo_v1_common_proto_enumTypes[1].Descriptor()
}

func (VerificationStatus) Type() protoreflect.EnumType {
	return &file_stack_cfo_v1_common_proto_enumTypes[1]
}

func (x VerificationStatus) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use VerificationStatus.Descriptor instead.
func (VerificationStatus) EnumDescriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{1}
}

// How the figures of an AI-written text compare with the numbers the server computed and gave the model.
type GroundingStatus int32

const (
	// Not reported (older servers) — treat as NOT_CHECKED.
	GroundingStatus_GROUNDING_STATUS_UNSPECIFIED GroundingStatus = 0
	// Every figure in the text matches a fact the model was given (or a number the user wrote).
	GroundingStatus_GROUNDING_STATUS_GROUNDED GroundingStatus = 1
	// At least one figure matches nothing the model was given: show it flagged (see Figure.grounded).
	GroundingStatus_GROUNDING_STATUS_UNGROUNDED GroundingStatus = 2
	// The text states no figures.
	GroundingStatus_GROUNDING_STATUS_NO_FIGURES GroundingStatus = 3
	// The text was stored before the check existed; nothing is known about its figures.
	GroundingStatus_GROUNDING_STATUS_NOT_CHECKED GroundingStatus = 4
)

// Enum value maps for GroundingStatus.
var (
	GroundingStatus_name = map[int32]string{
		0: "GROUNDING_STATUS_UNSPECIFIED",
		1: "GROUNDING_STATUS_GROUNDED",
		2: "GROUNDING_STATUS_UNGROUNDED",
		3: "GROUNDING_STATUS_NO_FIGURES",
		4: "GROUNDING_STATUS_NOT_CHECKED",
	}
	GroundingStatus_value = map[string]int32{
		"GROUNDING_STATUS_UNSPECIFIED": 0,
		"GROUNDING_STATUS_GROUNDED":    1,
		"GROUNDING_STATUS_UNGROUNDED":  2,
		"GROUNDING_STATUS_NO_FIGURES":  3,
		"GROUNDING_STATUS_NOT_CHECKED": 4,
	}
)

func (x GroundingStatus) Enum() *GroundingStatus {
	p := new(GroundingStatus)
	*p = x
	return p
}

func (x GroundingStatus) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (GroundingStatus) Descriptor() protoreflect.EnumDescriptor {
	return file_stack_cfo_v1_common_proto_enumTypes[2].Descriptor()
}

func (GroundingStatus) Type() protoreflect.EnumType {
	return &file_stack_cfo_v1_common_proto_enumTypes[2]
}

func (x GroundingStatus) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use GroundingStatus.Descriptor instead.
func (GroundingStatus) EnumDescriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{2}
}

// What kind of number a figure is, as written.
type FigureKind int32

const (
	// Unknown.
	FigureKind_FIGURE_KIND_UNSPECIFIED FigureKind = 0
	// An amount of money ("$31,041.20", "EUR 1.2k", "€3.4M").
	FigureKind_FIGURE_KIND_AMOUNT FigureKind = 1
	// A percentage or percentage points ("6.8%", "-3 %", "0.4 pp"); `value` is in percent (6.8).
	FigureKind_FIGURE_KIND_PERCENT FigureKind = 2
	// A ratio or multiple ("Sharpe 2.10", "beta 0.87", "1.5x").
	FigureKind_FIGURE_KIND_RATIO FigureKind = 3
	// A count with a unit, whatever its size ("12 positions", "63 trading days", "8 of your positions", "9 daily
	// returns"); `text` includes the words up to the noun. Grounded only by a count of what it counts: a whole
	// count never by a fractional one ("4 positions" is not an effective count of 3.87) unless the text says
	// "effective"/"effectively"; a name before the noun or after "of"/"in" ("3 Health Care positions", "12 shares
	// of MSFT"; "Tech" for the one sector whose name a word of it starts) limits it to that name's count, and so
	// do "2 positions in the Energy sector", "im Energiesektor", "de energía", "2 lignes Énergie"; a count under
	// no name ("Your portfolio holds 2 positions", unless its clause names a group before it: "In Health Care
	// you hold 2 positions") is grounded only by a portfolio-wide count (a `fact` with no bracketed name, such
	// as `position_count`), never by one sector's or position's count; "2 effective positions" only by an
	// effective count; a ticker
	// not in the data ("10 TSLA shares") is not grounded; other capitalised words that name nothing in the data
	// ("5 US stocks", "2 Big Tech positions"), and a count picked by rank ("your 3 largest positions"), count a
	// part of the portfolio: grounded by an equal portfolio count,
	// not grounded when larger, otherwise not checkable and not listed; "N other positions" (or "N posiciones
	// más") counts the rest after one named (`fact` is the count of all, `fact_value` N + 1); "over"/"above" before a
	// count mean "more than" only as in "you hold over 20 positions" ("spread over 2 sectors" is exactly 2). The part
	// of a stated whole ("3 of your 5 positions", "3 Ihrer 5 Positionen", "2 de vos 4 lignes") is a COUNT of
	// the whole's noun whose `text` is the number alone ("3"): grounded when a count equals it; when none does
	// but it is at most the whole and the whole is grounded, it cannot be checked and is not listed; a part
	// larger than its whole, or of an ungrounded whole, is listed ungrounded. Words after the noun ("im Plus",
	// "above 50%") qualify the things counted, not the count.
	FigureKind_FIGURE_KIND_COUNT FigureKind = 4
	// Any other number.
	FigureKind_FIGURE_KIND_NUMBER FigureKind = 5
)

// Enum value maps for FigureKind.
var (
	FigureKind_name = map[int32]string{
		0: "FIGURE_KIND_UNSPECIFIED",
		1: "FIGURE_KIND_AMOUNT",
		2: "FIGURE_KIND_PERCENT",
		3: "FIGURE_KIND_RATIO",
		4: "FIGURE_KIND_COUNT",
		5: "FIGURE_KIND_NUMBER",
	}
	FigureKind_value = map[string]int32{
		"FIGURE_KIND_UNSPECIFIED": 0,
		"FIGURE_KIND_AMOUNT":      1,
		"FIGURE_KIND_PERCENT":     2,
		"FIGURE_KIND_RATIO":       3,
		"FIGURE_KIND_COUNT":       4,
		"FIGURE_KIND_NUMBER":      5,
	}
)

func (x FigureKind) Enum() *FigureKind {
	p := new(FigureKind)
	*p = x
	return p
}

func (x FigureKind) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (FigureKind) Descriptor() protoreflect.EnumDescriptor {
	return file_stack_cfo_v1_common_proto_enumTypes[3].Descriptor()
}

func (FigureKind) Type() protoreflect.EnumType {
	return &file_stack_cfo_v1_common_proto_enumTypes[3]
}

func (x FigureKind) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use FigureKind.Descriptor instead.
func (FigureKind) EnumDescriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{3}
}

// Which kind of AI-written text a receipt covers.
type AiSurface int32

const (
	// Unknown.
	AiSurface_AI_SURFACE_UNSPECIFIED AiSurface = 0
	// An assistant answer in a chat session.
	AiSurface_AI_SURFACE_CHAT_ANSWER AiSurface = 1
	// The portfolio narrative of StreamPortfolioSummary.
	AiSurface_AI_SURFACE_PORTFOLIO_NARRATIVE AiSurface = 2
	// The portfolio paragraph of a daily digest.
	AiSurface_AI_SURFACE_DAILY_DIGEST AiSurface = 3
	// A weekly summary.
	AiSurface_AI_SURFACE_WEEKLY_SUMMARY AiSurface = 4
	// The summary of a news article (shared by every holder of the symbols it mentions).
	AiSurface_AI_SURFACE_NEWS_SUMMARY AiSurface = 5
)

// Enum value maps for AiSurface.
var (
	AiSurface_name = map[int32]string{
		0: "AI_SURFACE_UNSPECIFIED",
		1: "AI_SURFACE_CHAT_ANSWER",
		2: "AI_SURFACE_PORTFOLIO_NARRATIVE",
		3: "AI_SURFACE_DAILY_DIGEST",
		4: "AI_SURFACE_WEEKLY_SUMMARY",
		5: "AI_SURFACE_NEWS_SUMMARY",
	}
	AiSurface_value = map[string]int32{
		"AI_SURFACE_UNSPECIFIED":         0,
		"AI_SURFACE_CHAT_ANSWER":         1,
		"AI_SURFACE_PORTFOLIO_NARRATIVE": 2,
		"AI_SURFACE_DAILY_DIGEST":        3,
		"AI_SURFACE_WEEKLY_SUMMARY":      4,
		"AI_SURFACE_NEWS_SUMMARY":        5,
	}
)

func (x AiSurface) Enum() *AiSurface {
	p := new(AiSurface)
	*p = x
	return p
}

func (x AiSurface) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (AiSurface) Descriptor() protoreflect.EnumDescriptor {
	return file_stack_cfo_v1_common_proto_enumTypes[4].Descriptor()
}

func (AiSurface) Type() protoreflect.EnumType {
	return &file_stack_cfo_v1_common_proto_enumTypes[4]
}

func (x AiSurface) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use AiSurface.Descriptor instead.
func (AiSurface) EnumDescriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{4}
}

// A whole calendar date with no time zone (a trading day, a cash-flow day). Same shape as google.type.Date,
// but all three fields are always set: year 1..9999, month 1..12, day 1..31 and valid for the month.
type Date struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// Year, for example 2026. Dates in requests lie in the years 1900 to 2199 (as do request Timestamps);
	// others are INVALID_ARGUMENT (OUT_OF_RANGE) naming the field.
	Year int32 `protobuf:"varint,1,opt,name=year,proto3" json:"year,omitempty"`
	// Month of the year, 1 (January) to 12 (December).
	Month int32 `protobuf:"varint,2,opt,name=month,proto3" json:"month,omitempty"`
	// Day of the month, 1 to 31.
	Day int32 `protobuf:"varint,3,opt,name=day,proto3" json:"day,omitempty"`
}

func (x *Date) Reset() {
	*x = Date{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[0]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *Date) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Date) ProtoMessage() {}

func (x *Date) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[0]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Date.ProtoReflect.Descriptor instead.
func (*Date) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{0}
}

func (x *Date) GetYear() int32 {
	if x != nil {
		return x.Year
	}
	return 0
}

func (x *Date) GetMonth() int32 {
	if x != nil {
		return x.Month
	}
	return 0
}

func (x *Date) GetDay() int32 {
	if x != nil {
		return x.Day
	}
	return 0
}

// A time of day on a wall clock, in a time zone given by the enclosing message. Same shape as the first two
// fields of google.type.TimeOfDay.
type TimeOfDay struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// Hours, 0 to 23.
	Hours int32 `protobuf:"varint,1,opt,name=hours,proto3" json:"hours,omitempty"`
	// Minutes, 0 to 59.
	Minutes int32 `protobuf:"varint,2,opt,name=minutes,proto3" json:"minutes,omitempty"`
}

func (x *TimeOfDay) Reset() {
	*x = TimeOfDay{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[1]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *TimeOfDay) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TimeOfDay) ProtoMessage() {}

func (x *TimeOfDay) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[1]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TimeOfDay.ProtoReflect.Descriptor instead.
func (*TimeOfDay) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{1}
}

func (x *TimeOfDay) GetHours() int32 {
	if x != nil {
		return x.Hours
	}
	return 0
}

func (x *TimeOfDay) GetMinutes() int32 {
	if x != nil {
		return x.Minutes
	}
	return 0
}

// An inclusive range of calendar dates.
type DateRange struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// First day of the range (inclusive). Required.
	StartDate *Date `protobuf:"bytes,1,opt,name=start_date,json=startDate,proto3" json:"start_date,omitempty"`
	// Last day of the range (inclusive). Required; must not be before start_date nor in the future.
	EndDate *Date `protobuf:"bytes,2,opt,name=end_date,json=endDate,proto3" json:"end_date,omitempty"`
}

func (x *DateRange) Reset() {
	*x = DateRange{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[2]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *DateRange) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DateRange) ProtoMessage() {}

func (x *DateRange) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[2]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DateRange.ProtoReflect.Descriptor instead.
func (*DateRange) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{2}
}

func (x *DateRange) GetStartDate() *Date {
	if x != nil {
		return x.StartDate
	}
	return nil
}

func (x *DateRange) GetEndDate() *Date {
	if x != nil {
		return x.EndDate
	}
	return nil
}

// A ratio that may be undefined for the data at hand. Exactly one of `value` and a non-UNSPECIFIED
// `reason` is set: clients show `value` when present and otherwise explain `reason`.
type Metric struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// The figure, finite. Absent when it cannot be computed; `reason` then says why.
	Value *float64 `protobuf:"fixed64,1,opt,name=value,proto3,oneof" json:"value,omitempty"`
	// Why `value` is absent. METRIC_UNAVAILABLE_REASON_UNSPECIFIED whenever `value` is present.
	Reason MetricUnavailableReason `protobuf:"varint,2,opt,name=reason,proto3,enum=stack.cfo.v1.MetricUnavailableReason" json:"reason,omitempty"`
}

func (x *Metric) Reset() {
	*x = Metric{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[3]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *Metric) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Metric) ProtoMessage() {}

func (x *Metric) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[3]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Metric.ProtoReflect.Descriptor instead.
func (*Metric) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{3}
}

func (x *Metric) GetValue() float64 {
	if x != nil && x.Value != nil {
		return *x.Value
	}
	return 0
}

func (x *Metric) GetReason() MetricUnavailableReason {
	if x != nil {
		return x.Reason
	}
	return MetricUnavailableReason_METRIC_UNAVAILABLE_REASON_UNSPECIFIED
}

// Tokens counted by the AI provider for one completion.
type TokenUsage struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// Tokens in the prompt sent to the model (system message, context, summary, history, question).
	PromptTokens int64 `protobuf:"varint,1,opt,name=prompt_tokens,json=promptTokens,proto3" json:"prompt_tokens,omitempty"`
	// Tokens the model generated.
	CompletionTokens int64 `protobuf:"varint,2,opt,name=completion_tokens,json=completionTokens,proto3" json:"completion_tokens,omitempty"`
}

func (x *TokenUsage) Reset() {
	*x = TokenUsage{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[4]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *TokenUsage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TokenUsage) ProtoMessage() {}

func (x *TokenUsage) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[4]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TokenUsage.ProtoReflect.Descriptor instead.
func (*TokenUsage) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{4}
}

func (x *TokenUsage) GetPromptTokens() int64 {
	if x != nil {
		return x.PromptTokens
	}
	return 0
}

func (x *TokenUsage) GetCompletionTokens() int64 {
	if x != nil {
		return x.CompletionTokens
	}
	return 0
}

// One figure found in a text, and the fact it is tied to.
//
// Offsets locate the figure in the text it was found in (ChatMessage.content, NarrativeCompleted.text,
// Receipt.text), in two units so every platform can slice without converting: `start`/`end` count Unicode
// code points (Python, Go runes, Rust chars), `start_utf16`/`end_utf16` count UTF-16 code units (JavaScript,
// Java/Kotlin String, Swift NSString/NSRange). `end` is exclusive. They differ only after characters outside
// the Basic Multilingual Plane (emoji), which take two UTF-16 units.
type Figure struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// The figure as written, e.g. "$31,041.20" or "3%" (a direction word before it, as in "fell 3%", is not
	// part of it: it signs `value`). The lower end of a range is written without the suffix it shares with the
	// upper end: in "5-10%" the figure "5" is a PERCENT of value "5"; in "$5-10M" the figure "$5" has value
	// "5000000". A figure glued to a name starts at its digits, or at its sign when one sits between them
	// ("XOM33.6%": "33.6%"; "XOM-3.1%": "-3.1%", value "-3.1"). A number written in words is a figure only with a
	// percent or currency unit ("twenty-five percent", value "25"); "6.2e3" has value "6200". A COUNT whose
	// noun is left out after a name is written as the number alone: in "3 positions: 2 in Technology" the
	// figure "2" is a COUNT of value "2"; one whose noun is that of the next count of a list is written with its
	// name: in "3 Energy and 3 Technology positions" the figure "3 Energy" is a COUNT of value "3".
	Text string `protobuf:"bytes,1,opt,name=text,proto3" json:"text,omitempty"`
	// First code point of the figure (0-based).
	Start int32 `protobuf:"varint,2,opt,name=start,proto3" json:"start,omitempty"`
	// Code point after the figure (exclusive).
	End int32 `protobuf:"varint,3,opt,name=end,proto3" json:"end,omitempty"`
	// First UTF-16 code unit of the figure (0-based).
	StartUtf16 int32 `protobuf:"varint,4,opt,name=start_utf16,json=startUtf16,proto3" json:"start_utf16,omitempty"`
	// UTF-16 code unit after the figure (exclusive).
	EndUtf16 int32 `protobuf:"varint,5,opt,name=end_utf16,json=endUtf16,proto3" json:"end_utf16,omitempty"`
	// The number the figure reads as, decimal string, signed and scaled: "31041.20", "-3" (for "fell 3%"),
	// "1200" (for "1.2k"). Percent figures are in percent ("6.8" for "6.8%").
	Value string `protobuf:"bytes,6,opt,name=value,proto3" json:"value,omitempty"`
	// What kind of number it is.
	Kind FigureKind `protobuf:"varint,7,opt,name=kind,proto3,enum=stack.cfo.v1.FigureKind" json:"kind,omitempty"`
	// True when the figure matches a fact (within the precision the text shows: "$31k" matches 31,041.20;
	// "6.8%" matches a weight of 0.0679). False marks a figure nothing computed supports: render it flagged.
	Grounded bool `protobuf:"varint,8,opt,name=grounded,proto3" json:"grounded,omitempty"`
	// Stable path of the fact it matches, e.g. "total_value", "positions[AAPL].weight", "risk.sharpe",
	// "baskets[Tech].return_1w", or "user[1][0]" for the first number of the second of the user's messages the
	// prompt carries (0-based: a compressed conversation's earlier messages are in its summary, `summary[i]`). Empty
	// when not grounded. The keys are those of the data the text was written from, which differ by surface:
	// a chat answer's data block has "risk.sharpe" and "positions[AAPL].weight" (a fraction); the summary a
	// narrative, digest or weekly summary is written from has "risk.sharpe_ratio" and
	// "positions[AAPL].weight_percent" (in percent). Paths index Receipt.data_snapshot (JSON): dotted keys, `[KEY]` for a list item whose
	// key is unique in its list, else `[N]` (0-based). An item's key is the first of its fields `symbol`,
	// `name`, `code`, `sector`, `basket` holding a non-empty string that is not all digits and has no `[` or
	// `]`, so a bracket of digits is always an index and any other bracket names exactly one item (receipts
	// stored before this rule may name the first of several items sharing a key; ReplayReceipt still
	// resolves them). Two kinds of path name a
	// figure the snapshot does not hold as a key: a count of a list ("positions.count": how many items
	// `positions` has) and a number written inside a text, counted from 0 in reading order ("article[2]":
	// the third number of the article's `title` then `text`; "summary[0]" of an earlier-turns summary;
	// "user[1][0]" as above; `.abs` appended when the text's negative figure is repeated as a magnitude).
	Fact string `protobuf:"bytes,9,opt,name=fact,proto3" json:"fact,omitempty"`
	// The fact's value as the server computed it, decimal string, in its key's unit: a key ending in
	// `_percent` in percent ("6.79"), other ratios as fractions ("0.0679"), amounts as "31041.2"; empty when
	// not grounded.
	FactValue string `protobuf:"bytes,10,opt,name=fact_value,json=factValue,proto3" json:"fact_value,omitempty"`
}

func (x *Figure) Reset() {
	*x = Figure{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[5]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *Figure) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Figure) ProtoMessage() {}

func (x *Figure) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[5]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Figure.ProtoReflect.Descriptor instead.
func (*Figure) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{5}
}

func (x *Figure) GetText() string {
	if x != nil {
		return x.Text
	}
	return ""
}

func (x *Figure) GetStart() int32 {
	if x != nil {
		return x.Start
	}
	return 0
}

func (x *Figure) GetEnd() int32 {
	if x != nil {
		return x.End
	}
	return 0
}

func (x *Figure) GetStartUtf16() int32 {
	if x != nil {
		return x.StartUtf16
	}
	return 0
}

func (x *Figure) GetEndUtf16() int32 {
	if x != nil {
		return x.EndUtf16
	}
	return 0
}

func (x *Figure) GetValue() string {
	if x != nil {
		return x.Value
	}
	return ""
}

func (x *Figure) GetKind() FigureKind {
	if x != nil {
		return x.Kind
	}
	return FigureKind_FIGURE_KIND_UNSPECIFIED
}

func (x *Figure) GetGrounded() bool {
	if x != nil {
		return x.Grounded
	}
	return false
}

func (x *Figure) GetFact() string {
	if x != nil {
		return x.Fact
	}
	return ""
}

func (x *Figure) GetFactValue() string {
	if x != nil {
		return x.FactValue
	}
	return ""
}

// The result of checking every figure of an AI-written text against the facts the model was given (a
// deterministic check run by the server after the text is complete; no AI involved).
type Grounding struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// Overall outcome.
	Status GroundingStatus `protobuf:"varint,1,opt,name=status,proto3,enum=stack.cfo.v1.GroundingStatus" json:"status,omitempty"`
	// Every figure found, in text order.
	Figures []*Figure `protobuf:"bytes,2,rep,name=figures,proto3" json:"figures,omitempty"`
	// How many of `figures` are not grounded.
	UngroundedCount int32 `protobuf:"varint,3,opt,name=ungrounded_count,json=ungroundedCount,proto3" json:"ungrounded_count,omitempty"`
}

func (x *Grounding) Reset() {
	*x = Grounding{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[6]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *Grounding) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Grounding) ProtoMessage() {}

func (x *Grounding) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[6]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Grounding.ProtoReflect.Descriptor instead.
func (*Grounding) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{6}
}

func (x *Grounding) GetStatus() GroundingStatus {
	if x != nil {
		return x.Status
	}
	return GroundingStatus_GROUNDING_STATUS_UNSPECIFIED
}

func (x *Grounding) GetFigures() []*Figure {
	if x != nil {
		return x.Figures
	}
	return nil
}

func (x *Grounding) GetUngroundedCount() int32 {
	if x != nil {
		return x.UngroundedCount
	}
	return 0
}

// Everything needed to check an AI-written text after the fact (resource `users/{user}/receipts/{receipt}`,
// or `receipts/{receipt}` for shared news summaries, which belong to no user).
//
// The receipt records who wrote the text and under what signature, exactly what data the model saw, and how
// each figure of the text compares with that data. To re-verify a provider's TEE signature (direct mode):
// recover the EIP-191 signer of `signed_text` from `signature` and compare it with the provider's TEE signer
// registered on chain (InferenceServing.getService(provider).teeSignerAddress) and with `tee_signer_address`
// (which is recovered from the signature, so matching it alone proves only that the two belong together);
// see docs/api.md for a ten-line example. `signed_text` is "<sha256 of the provider's request>:<sha256 of its
// response>", as 0G providers sign it, and the receipt holds those exact bytes (`signed_request`,
// `signed_response`), so the signature binds the receipt's `model`, `prompt_sha256` and `text` too: an outside
// verifier checks that
//  1. hex SHA-256 of `signed_request` is the part of `signed_text` before the ":", and of `signed_response`
//     the part after it;
//  2. the EIP-191 signer of `signed_text` (from `signature`) is the registered TEE signer (above);
//  3. `model` is the request's JSON `model` (when the response names a model, as providers do, `model` is
//     the one it names: the `model` of the first data event that has an `id`; the two are the same unless
//     the provider served another model);
//  4. `prompt_sha256` is the SHA-256 of the request's `messages` array re-serialised canonically (see
//     `prompt_sha256`);
//  5. `text` is the text of `signed_response` (see `signed_response`), and `text_sha256` its SHA-256.
//
// docs/api.md, "Verify a receipt", has the code and the relation for texts that are not exactly the
// response's (news summaries).
type Receipt struct {
	state         protoimpl.MessageState
	sizeCache     protoimpl.SizeCache
	unknownFields protoimpl.UnknownFields

	// Resource name, `users/{user}/receipts/{receipt}` or `receipts/{receipt}`. {receipt} is a UUID.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// Which kind of text it covers.
	Surface AiSurface `protobuf:"varint,2,opt,name=surface,proto3,enum=stack.cfo.v1.AiSurface" json:"surface,omitempty"`
	// What the text belongs to: a message (`users/{user}/sessions/{session}/messages/{message}`), a
	// notification (`users/{user}/notifications/{notification}`), a narrative (`users/{user}/portfolio`) or a
	// news article (`news/{article}`).
	Subject string `protobuf:"bytes,3,opt,name=subject,proto3" json:"subject,omitempty"`
	// Who wrote it: a 0G provider address ("0x..."), "router", or "offline" for the deterministic writer.
	Provider string `protobuf:"bytes,4,opt,name=provider,proto3" json:"provider,omitempty"`
	// Model id ("offline" for the deterministic writer).
	Model string `protobuf:"bytes,5,opt,name=model,proto3" json:"model,omitempty"`
	// The provider's response id (the OpenAI-style completion id), when it gave one.
	ResponseId string `protobuf:"bytes,6,opt,name=response_id,json=responseId,proto3" json:"response_id,omitempty"`
	// Outcome of the provider signature check. Router answers are NOT_APPLICABLE: the router does not expose
	// provider signatures (its own claim, `x_0g_trace.tee_verified`, is in `router_tee_verified`).
	Verification VerificationStatus `protobuf:"varint,7,opt,name=verification,proto3,enum=stack.cfo.v1.VerificationStatus" json:"verification,omitempty"`
	// Address of the TEE key that signed the answer (recovered from the signature); empty when unsigned.
	TeeSignerAddress string `protobuf:"bytes,8,opt,name=tee_signer_address,json=teeSignerAddress,proto3" json:"tee_signer_address,omitempty"`
	// The provider's EIP-191 signature over `signed_text`, 0x-prefixed hex; empty when unsigned.
	Signature string `protobuf:"bytes,9,opt,name=signature,proto3" json:"signature,omitempty"`
	// The exact text the provider signed; empty when unsigned.
	SignedText string `protobuf:"bytes,10,opt,name=signed_text,json=signedText,proto3" json:"signed_text,omitempty"`
	// SHA-256 (hex) of the prompt messages sent to the model: canonical JSON of [{"content","role"}...], the
	// same rules as data_snapshot (sorted keys, no spaces, UTF-8 as is: non-ASCII characters not escaped),
	// hashed as UTF-8 bytes. It is recomputable from `signed_request`: parse it as JSON, take its `messages`
	// array (objects of exactly `role` and `content`, in the order sent) and hash that array in canonical JSON
	// (Python: `json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`).
	PromptSha256 string `protobuf:"bytes,11,opt,name=prompt_sha256,json=promptSha256,proto3" json:"prompt_sha256,omitempty"`
	// SHA-256 (hex) of `data_snapshot` (its UTF-8 bytes).
	DataSha256 string `protobuf:"bytes,12,opt,name=data_sha256,json=dataSha256,proto3" json:"data_sha256,omitempty"`
	// The data the model was given, as canonical JSON (sorted keys, no spaces). Filled by GetReceipt and
	// ReplayReceipt only; empty when a receipt is embedded in another message (ChatMessage, Notification).
	DataSnapshot string `protobuf:"bytes,13,opt,name=data_snapshot,json=dataSnapshot,proto3" json:"data_snapshot,omitempty"`
	// When the data was computed (the portfolio's as-of time).
	DataAsOf *timestamppb.Timestamp `protobuf:"bytes,14,opt,name=data_as_of,json=dataAsOf,proto3" json:"data_as_of,omitempty"`
	// The AI's text exactly as it was produced (what `grounding` covers; in direct mode it was read from
	// `signed_response`, whose SHA-256 `signed_text` carries: see `signed_response` for the exact relation). It
	// equals the message or narrative text unless the server replaced an ungrounded answer (degraded_reason
	// AI_UNGROUNDED).
	Text string `protobuf:"bytes,15,opt,name=text,proto3" json:"text,omitempty"`
	// SHA-256 (hex) of `text`.
	TextSha256 string `protobuf:"bytes,16,opt,name=text_sha256,json=textSha256,proto3" json:"text_sha256,omitempty"`
	// How each figure of `text` compares with `data_snapshot` (and the numbers the user wrote).
	Grounding *Grounding `protobuf:"bytes,17,opt,name=grounding,proto3" json:"grounding,omitempty"`
	// Tokens used.
	Usage *TokenUsage `protobuf:"bytes,18,opt,name=usage,proto3" json:"usage,omitempty"`
	// Provider fee in 0G (1 0G = 10^18 neuron), decimal string: (prompt tokens x input price + completion tokens x
	// output price) / 10^18, at the provider's on-chain prices in neuron per token; "0" for offline text; empty when
	// unknown.
	Fee string `protobuf:"bytes,19,opt,name=fee,proto3" json:"fee,omitempty"`
	// Why the text is degraded (the codes of ChatMessage.degraded_reason and NarrativeCompleted.degraded_reason);
	// empty otherwise.
	DegradedReason string `protobuf:"bytes,20,opt,name=degraded_reason,json=degradedReason,proto3" json:"degraded_reason,omitempty"`
	// The router's own report that it checked the provider's TEE signature; only set in router mode.
	RouterTeeVerified *bool `protobuf:"varint,21,opt,name=router_tee_verified,json=routerTeeVerified,proto3,oneof" json:"router_tee_verified,omitempty"`
	// When the receipt was written.
	CreateTime *timestamppb.Timestamp `protobuf:"bytes,22,opt,name=create_time,json=createTime,proto3" json:"create_time,omitempty"`
	// The exact HTTP request body sent to the provider (UTF-8 JSON: `model`, `messages`, `stream`,
	// `stream_options`, `max_tokens`, `temperature`) whose hex SHA-256 is the part of `signed_text` before the
	// ":". Set when the receipt carries a signature over it (direct mode); empty when unsigned (router mode,
	// whose answers carry no provider signature; offline texts; verification switched off; an incomplete
	// answer, which is never signed) and when the provider signed the hash of other bytes than the ones sent.
	// Filled by GetReceipt and ReplayReceipt only (like `data_snapshot`); empty when a receipt is embedded in
	// another message. Receipts written before this field existed have none.
	SignedRequest []byte `protobuf:"bytes,23,opt,name=signed_request,json=signedRequest,proto3" json:"signed_request,omitempty"`
	// The exact response body bytes received from the provider, whose hex SHA-256 is the part of `signed_text`
	// after the ":": the raw server-sent-event stream up to and including the read that held `data: [DONE]`
	// (Content-Type text/event-stream), or the whole JSON body (application/json). Set and filled under the
	// same conditions as `signed_request`. The answer's text is read from it as the server read it: for an
	// event stream, the concatenation over the `data:` events before `[DONE]` of `choices[0].delta.content`
	// (`choices[0].message.content` when the event has no `delta` or an empty one); for a JSON body,
	// `choices[0].message.content`. Missing or null contents add nothing; invalid UTF-8 and lone UTF-16
	// surrogates (JSON `\ud800` escapes) read as U+FFFD. `text` is exactly that text for chat answers,
	// narratives, digest paragraphs and weekly summaries (also when the server replaced an ungrounded answer:
	// `text` is still the AI's); for news summaries `text` is it with every run of whitespace replaced by one
	// space and the ends trimmed, and, when that is longer than 280 characters, its first 279 characters up to
	// their last space, followed by "…". An answer that was cut short has no signature and so no bytes.
	SignedResponse []byte `protobuf:"bytes,24,opt,name=signed_response,json=signedResponse,proto3" json:"signed_response,omitempty"`
}

func (x *Receipt) Reset() {
	*x = Receipt{}
	if protoimpl.UnsafeEnabled {
		mi := &file_stack_cfo_v1_common_proto_msgTypes[7]
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		ms.StoreMessageInfo(mi)
	}
}

func (x *Receipt) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Receipt) ProtoMessage() {}

func (x *Receipt) ProtoReflect() protoreflect.Message {
	mi := &file_stack_cfo_v1_common_proto_msgTypes[7]
	if protoimpl.UnsafeEnabled && x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Receipt.ProtoReflect.Descriptor instead.
func (*Receipt) Descriptor() ([]byte, []int) {
	return file_stack_cfo_v1_common_proto_rawDescGZIP(), []int{7}
}

func (x *Receipt) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Receipt) GetSurface() AiSurface {
	if x != nil {
		return x.Surface
	}
	return AiSurface_AI_SURFACE_UNSPECIFIED
}

func (x *Receipt) GetSubject() string {
	if x != nil {
		return x.Subject
	}
	return ""
}

func (x *Receipt) GetProvider() string {
	if x != nil {
		return x.Provider
	}
	return ""
}

func (x *Receipt) GetModel() string {
	if x != nil {
		return x.Model
	}
	return ""
}

func (x *Receipt) GetResponseId() string {
	if x != nil {
		return x.ResponseId
	}
	return ""
}

func (x *Receipt) GetVerification() VerificationStatus {
	if x != nil {
		return x.Verification
	}
	return VerificationStatus_VERIFICATION_STATUS_UNSPECIFIED
}

func (x *Receipt) GetTeeSignerAddress() string {
	if x != nil {
		return x.TeeSignerAddress
	}
	return ""
}

func (x *Receipt) GetSignature() string {
	if x != nil {
		return x.Signature
	}
	return ""
}

func (x *Receipt) GetSignedText() string {
	if x != nil {
		return x.SignedText
	}
	return ""
}

func (x *Receipt) GetPromptSha256() string {
	if x != nil {
		return x.PromptSha256
	}
	return ""
}

func (x *Receipt) GetDataSha256() string {
	if x != nil {
		return x.DataSha256
	}
	return ""
}

func (x *Receipt) GetDataSnapshot() string {
	if x != nil {
		return x.DataSnapshot
	}
	return ""
}

func (x *Receipt) GetDataAsOf() *timestamppb.Timestamp {
	if x != nil {
		return x.DataAsOf
	}
	return nil
}

func (x *Receipt) GetText() string {
	if x != nil {
		return x.Text
	}
	return ""
}

func (x *Receipt) GetTextSha256() string {
	if x != nil {
		return x.TextSha256
	}
	return ""
}

func (x *Receipt) GetGrounding() *Grounding {
	if x != nil {
		return x.Grounding
	}
	return nil
}

func (x *Receipt) GetUsage() *TokenUsage {
	if x != nil {
		return x.Usage
	}
	return nil
}

func (x *Receipt) GetFee() string {
	if x != nil {
		return x.Fee
	}
	return ""
}

func (x *Receipt) GetDegradedReason() string {
	if x != nil {
		return x.DegradedReason
	}
	return ""
}

func (x *Receipt) GetRouterTeeVerified() bool {
	if x != nil && x.RouterTeeVerified != nil {
		return *x.RouterTeeVerified
	}
	return false
}

func (x *Receipt) GetCreateTime() *timestamppb.Timestamp {
	if x != nil {
		return x.CreateTime
	}
	return nil
}

func (x *Receipt) GetSignedRequest() []byte {
	if x != nil {
		return x.SignedRequest
	}
	return nil
}

func (x *Receipt) GetSignedResponse() []byte {
	if x != nil {
		return x.SignedResponse
	}
	return nil
}

var File_stack_cfo_v1_common_proto protoreflect.FileDescriptor

var file_stack_cfo_v1_common_proto_rawDesc = []byte{
	0x0a, 0x19, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2f, 0x63, 0x66, 0x6f, 0x2f, 0x76, 0x31, 0x2f, 0x63,
	0x6f, 0x6d, 0x6d, 0x6f, 0x6e, 0x2e, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x12, 0x0c, 0x73, 0x74, 0x61,
	0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x1a, 0x1f, 0x67, 0x6f, 0x6f, 0x67, 0x6c,
	0x65, 0x2f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x62, 0x75, 0x66, 0x2f, 0x74, 0x69, 0x6d, 0x65, 0x73,
	0x74, 0x61, 0x6d, 0x70, 0x2e, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x22, 0x42, 0x0a, 0x04, 0x44, 0x61,
	0x74, 0x65, 0x12, 0x12, 0x0a, 0x04, 0x79, 0x65, 0x61, 0x72, 0x18, 0x01, 0x20, 0x01, 0x28, 0x05,
	0x52, 0x04, 0x79, 0x65, 0x61, 0x72, 0x12, 0x14, 0x0a, 0x05, 0x6d, 0x6f, 0x6e, 0x74, 0x68, 0x18,
	0x02, 0x20, 0x01, 0x28, 0x05, 0x52, 0x05, 0x6d, 0x6f, 0x6e, 0x74, 0x68, 0x12, 0x10, 0x0a, 0x03,
	0x64, 0x61, 0x79, 0x18, 0x03, 0x20, 0x01, 0x28, 0x05, 0x52, 0x03, 0x64, 0x61, 0x79, 0x22, 0x3b,
	0x0a, 0x09, 0x54, 0x69, 0x6d, 0x65, 0x4f, 0x66, 0x44, 0x61, 0x79, 0x12, 0x14, 0x0a, 0x05, 0x68,
	0x6f, 0x75, 0x72, 0x73, 0x18, 0x01, 0x20, 0x01, 0x28, 0x05, 0x52, 0x05, 0x68, 0x6f, 0x75, 0x72,
	0x73, 0x12, 0x18, 0x0a, 0x07, 0x6d, 0x69, 0x6e, 0x75, 0x74, 0x65, 0x73, 0x18, 0x02, 0x20, 0x01,
	0x28, 0x05, 0x52, 0x07, 0x6d, 0x69, 0x6e, 0x75, 0x74, 0x65, 0x73, 0x22, 0x6d, 0x0a, 0x09, 0x44,
	0x61, 0x74, 0x65, 0x52, 0x61, 0x6e, 0x67, 0x65, 0x12, 0x31, 0x0a, 0x0a, 0x73, 0x74, 0x61, 0x72,
	0x74, 0x5f, 0x64, 0x61, 0x74, 0x65, 0x18, 0x01, 0x20, 0x01, 0x28, 0x0b, 0x32, 0x12, 0x2e, 0x73,
	0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x44, 0x61, 0x74, 0x65,
	0x52, 0x09, 0x73, 0x74, 0x61, 0x72, 0x74, 0x44, 0x61, 0x74, 0x65, 0x12, 0x2d, 0x0a, 0x08, 0x65,
	0x6e, 0x64, 0x5f, 0x64, 0x61, 0x74, 0x65, 0x18, 0x02, 0x20, 0x01, 0x28, 0x0b, 0x32, 0x12, 0x2e,
	0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x44, 0x61, 0x74,
	0x65, 0x52, 0x07, 0x65, 0x6e, 0x64, 0x44, 0x61, 0x74, 0x65, 0x22, 0x6c, 0x0a, 0x06, 0x4d, 0x65,
	0x74, 0x72, 0x69, 0x63, 0x12, 0x19, 0x0a, 0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x18, 0x01, 0x20,
	0x01, 0x28, 0x01, 0x48, 0x00, 0x52, 0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x88, 0x01, 0x01, 0x12,
	0x3d, 0x0a, 0x06, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x18, 0x02, 0x20, 0x01, 0x28, 0x0e, 0x32,
	0x25, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x4d,
	0x65, 0x74, 0x72, 0x69, 0x63, 0x55, 0x6e, 0x61, 0x76, 0x61, 0x69, 0x6c, 0x61, 0x62, 0x6c, 0x65,
	0x52, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x52, 0x06, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x42, 0x08,
	0x0a, 0x06, 0x5f, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x22, 0x5e, 0x0a, 0x0a, 0x54, 0x6f, 0x6b, 0x65,
	0x6e, 0x55, 0x73, 0x61, 0x67, 0x65, 0x12, 0x23, 0x0a, 0x0d, 0x70, 0x72, 0x6f, 0x6d, 0x70, 0x74,
	0x5f, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x73, 0x18, 0x01, 0x20, 0x01, 0x28, 0x03, 0x52, 0x0c, 0x70,
	0x72, 0x6f, 0x6d, 0x70, 0x74, 0x54, 0x6f, 0x6b, 0x65, 0x6e, 0x73, 0x12, 0x2b, 0x0a, 0x11, 0x63,
	0x6f, 0x6d, 0x70, 0x6c, 0x65, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x73,
	0x18, 0x02, 0x20, 0x01, 0x28, 0x03, 0x52, 0x10, 0x63, 0x6f, 0x6d, 0x70, 0x6c, 0x65, 0x74, 0x69,
	0x6f, 0x6e, 0x54, 0x6f, 0x6b, 0x65, 0x6e, 0x73, 0x22, 0x95, 0x02, 0x0a, 0x06, 0x46, 0x69, 0x67,
	0x75, 0x72, 0x65, 0x12, 0x12, 0x0a, 0x04, 0x74, 0x65, 0x78, 0x74, 0x18, 0x01, 0x20, 0x01, 0x28,
	0x09, 0x52, 0x04, 0x74, 0x65, 0x78, 0x74, 0x12, 0x14, 0x0a, 0x05, 0x73, 0x74, 0x61, 0x72, 0x74,
	0x18, 0x02, 0x20, 0x01, 0x28, 0x05, 0x52, 0x05, 0x73, 0x74, 0x61, 0x72, 0x74, 0x12, 0x10, 0x0a,
	0x03, 0x65, 0x6e, 0x64, 0x18, 0x03, 0x20, 0x01, 0x28, 0x05, 0x52, 0x03, 0x65, 0x6e, 0x64, 0x12,
	0x1f, 0x0a, 0x0b, 0x73, 0x74, 0x61, 0x72, 0x74, 0x5f, 0x75, 0x74, 0x66, 0x31, 0x36, 0x18, 0x04,
	0x20, 0x01, 0x28, 0x05, 0x52, 0x0a, 0x73, 0x74, 0x61, 0x72, 0x74, 0x55, 0x74, 0x66, 0x31, 0x36,
	0x12, 0x1b, 0x0a, 0x09, 0x65, 0x6e, 0x64, 0x5f, 0x75, 0x74, 0x66, 0x31, 0x36, 0x18, 0x05, 0x20,
	0x01, 0x28, 0x05, 0x52, 0x08, 0x65, 0x6e, 0x64, 0x55, 0x74, 0x66, 0x31, 0x36, 0x12, 0x14, 0x0a,
	0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x18, 0x06, 0x20, 0x01, 0x28, 0x09, 0x52, 0x05, 0x76, 0x61,
	0x6c, 0x75, 0x65, 0x12, 0x2c, 0x0a, 0x04, 0x6b, 0x69, 0x6e, 0x64, 0x18, 0x07, 0x20, 0x01, 0x28,
	0x0e, 0x32, 0x18, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31,
	0x2e, 0x46, 0x69, 0x67, 0x75, 0x72, 0x65, 0x4b, 0x69, 0x6e, 0x64, 0x52, 0x04, 0x6b, 0x69, 0x6e,
	0x64, 0x12, 0x1a, 0x0a, 0x08, 0x67, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x65, 0x64, 0x18, 0x08, 0x20,
	0x01, 0x28, 0x08, 0x52, 0x08, 0x67, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x65, 0x64, 0x12, 0x12, 0x0a,
	0x04, 0x66, 0x61, 0x63, 0x74, 0x18, 0x09, 0x20, 0x01, 0x28, 0x09, 0x52, 0x04, 0x66, 0x61, 0x63,
	0x74, 0x12, 0x1d, 0x0a, 0x0a, 0x66, 0x61, 0x63, 0x74, 0x5f, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x18,
	0x0a, 0x20, 0x01, 0x28, 0x09, 0x52, 0x09, 0x66, 0x61, 0x63, 0x74, 0x56, 0x61, 0x6c, 0x75, 0x65,
	0x22, 0x9d, 0x01, 0x0a, 0x09, 0x47, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x12, 0x35,
	0x0a, 0x06, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x18, 0x01, 0x20, 0x01, 0x28, 0x0e, 0x32, 0x1d,
	0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x47, 0x72,
	0x6f, 0x75, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x53, 0x74, 0x61, 0x74, 0x75, 0x73, 0x52, 0x06, 0x73,
	0x74, 0x61, 0x74, 0x75, 0x73, 0x12, 0x2e, 0x0a, 0x07, 0x66, 0x69, 0x67, 0x75, 0x72, 0x65, 0x73,
	0x18, 0x02, 0x20, 0x03, 0x28, 0x0b, 0x32, 0x14, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63,
	0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x46, 0x69, 0x67, 0x75, 0x72, 0x65, 0x52, 0x07, 0x66, 0x69,
	0x67, 0x75, 0x72, 0x65, 0x73, 0x12, 0x29, 0x0a, 0x10, 0x75, 0x6e, 0x67, 0x72, 0x6f, 0x75, 0x6e,
	0x64, 0x65, 0x64, 0x5f, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x18, 0x03, 0x20, 0x01, 0x28, 0x05, 0x52,
	0x0f, 0x75, 0x6e, 0x67, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x65, 0x64, 0x43, 0x6f, 0x75, 0x6e, 0x74,
	0x22, 0xc6, 0x07, 0x0a, 0x07, 0x52, 0x65, 0x63, 0x65, 0x69, 0x70, 0x74, 0x12, 0x12, 0x0a, 0x04,
	0x6e, 0x61, 0x6d, 0x65, 0x18, 0x01, 0x20, 0x01, 0x28, 0x09, 0x52, 0x04, 0x6e, 0x61, 0x6d, 0x65,
	0x12, 0x31, 0x0a, 0x07, 0x73, 0x75, 0x72, 0x66, 0x61, 0x63, 0x65, 0x18, 0x02, 0x20, 0x01, 0x28,
	0x0e, 0x32, 0x17, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31,
	0x2e, 0x41, 0x69, 0x53, 0x75, 0x72, 0x66, 0x61, 0x63, 0x65, 0x52, 0x07, 0x73, 0x75, 0x72, 0x66,
	0x61, 0x63, 0x65, 0x12, 0x18, 0x0a, 0x07, 0x73, 0x75, 0x62, 0x6a, 0x65, 0x63, 0x74, 0x18, 0x03,
	0x20, 0x01, 0x28, 0x09, 0x52, 0x07, 0x73, 0x75, 0x62, 0x6a, 0x65, 0x63, 0x74, 0x12, 0x1a, 0x0a,
	0x08, 0x70, 0x72, 0x6f, 0x76, 0x69, 0x64, 0x65, 0x72, 0x18, 0x04, 0x20, 0x01, 0x28, 0x09, 0x52,
	0x08, 0x70, 0x72, 0x6f, 0x76, 0x69, 0x64, 0x65, 0x72, 0x12, 0x14, 0x0a, 0x05, 0x6d, 0x6f, 0x64,
	0x65, 0x6c, 0x18, 0x05, 0x20, 0x01, 0x28, 0x09, 0x52, 0x05, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x12,
	0x1f, 0x0a, 0x0b, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x5f, 0x69, 0x64, 0x18, 0x06,
	0x20, 0x01, 0x28, 0x09, 0x52, 0x0a, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x49, 0x64,
	0x12, 0x44, 0x0a, 0x0c, 0x76, 0x65, 0x72, 0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e,
	0x18, 0x07, 0x20, 0x01, 0x28, 0x0e, 0x32, 0x20, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63,
	0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e, 0x56, 0x65, 0x72, 0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x69,
	0x6f, 0x6e, 0x53, 0x74, 0x61, 0x74, 0x75, 0x73, 0x52, 0x0c, 0x76, 0x65, 0x72, 0x69, 0x66, 0x69,
	0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x12, 0x2c, 0x0a, 0x12, 0x74, 0x65, 0x65, 0x5f, 0x73, 0x69,
	0x67, 0x6e, 0x65, 0x72, 0x5f, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73, 0x18, 0x08, 0x20, 0x01,
	0x28, 0x09, 0x52, 0x10, 0x74, 0x65, 0x65, 0x53, 0x69, 0x67, 0x6e, 0x65, 0x72, 0x41, 0x64, 0x64,
	0x72, 0x65, 0x73, 0x73, 0x12, 0x1c, 0x0a, 0x09, 0x73, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72,
	0x65, 0x18, 0x09, 0x20, 0x01, 0x28, 0x09, 0x52, 0x09, 0x73, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75,
	0x72, 0x65, 0x12, 0x1f, 0x0a, 0x0b, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x5f, 0x74, 0x65, 0x78,
	0x74, 0x18, 0x0a, 0x20, 0x01, 0x28, 0x09, 0x52, 0x0a, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x54,
	0x65, 0x78, 0x74, 0x12, 0x23, 0x0a, 0x0d, 0x70, 0x72, 0x6f, 0x6d, 0x70, 0x74, 0x5f, 0x73, 0x68,
	0x61, 0x32, 0x35, 0x36, 0x18, 0x0b, 0x20, 0x01, 0x28, 0x09, 0x52, 0x0c, 0x70, 0x72, 0x6f, 0x6d,
	0x70, 0x74, 0x53, 0x68, 0x61, 0x32, 0x35, 0x36, 0x12, 0x1f, 0x0a, 0x0b, 0x64, 0x61, 0x74, 0x61,
	0x5f, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x18, 0x0c, 0x20, 0x01, 0x28, 0x09, 0x52, 0x0a, 0x64,
	0x61, 0x74, 0x61, 0x53, 0x68, 0x61, 0x32, 0x35, 0x36, 0x12, 0x23, 0x0a, 0x0d, 0x64, 0x61, 0x74,
	0x61, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x18, 0x0d, 0x20, 0x01, 0x28, 0x09,
	0x52, 0x0c, 0x64, 0x61, 0x74, 0x61, 0x53, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x12, 0x38,
	0x0a, 0x0a, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x61, 0x73, 0x5f, 0x6f, 0x66, 0x18, 0x0e, 0x20, 0x01,
	0x28, 0x0b, 0x32, 0x1a, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x70, 0x72, 0x6f, 0x74,
	0x6f, 0x62, 0x75, 0x66, 0x2e, 0x54, 0x69, 0x6d, 0x65, 0x73, 0x74, 0x61, 0x6d, 0x70, 0x52, 0x08,
	0x64, 0x61, 0x74, 0x61, 0x41, 0x73, 0x4f, 0x66, 0x12, 0x12, 0x0a, 0x04, 0x74, 0x65, 0x78, 0x74,
	0x18, 0x0f, 0x20, 0x01, 0x28, 0x09, 0x52, 0x04, 0x74, 0x65, 0x78, 0x74, 0x12, 0x1f, 0x0a, 0x0b,
	0x74, 0x65, 0x78, 0x74, 0x5f, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x18, 0x10, 0x20, 0x01, 0x28,
	0x09, 0x52, 0x0a, 0x74, 0x65, 0x78, 0x74, 0x53, 0x68, 0x61, 0x32, 0x35, 0x36, 0x12, 0x35, 0x0a,
	0x09, 0x67, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x18, 0x11, 0x20, 0x01, 0x28, 0x0b,
	0x32, 0x17, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e, 0x76, 0x31, 0x2e,
	0x47, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x52, 0x09, 0x67, 0x72, 0x6f, 0x75, 0x6e,
	0x64, 0x69, 0x6e, 0x67, 0x12, 0x2e, 0x0a, 0x05, 0x75, 0x73, 0x61, 0x67, 0x65, 0x18, 0x12, 0x20,
	0x01, 0x28, 0x0b, 0x32, 0x18, 0x2e, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2e, 0x63, 0x66, 0x6f, 0x2e,
	0x76, 0x31, 0x2e, 0x54, 0x6f, 0x6b, 0x65, 0x6e, 0x55, 0x73, 0x61, 0x67, 0x65, 0x52, 0x05, 0x75,
	0x73, 0x61, 0x67, 0x65, 0x12, 0x10, 0x0a, 0x03, 0x66, 0x65, 0x65, 0x18, 0x13, 0x20, 0x01, 0x28,
	0x09, 0x52, 0x03, 0x66, 0x65, 0x65, 0x12, 0x27, 0x0a, 0x0f, 0x64, 0x65, 0x67, 0x72, 0x61, 0x64,
	0x65, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x18, 0x14, 0x20, 0x01, 0x28, 0x09, 0x52,
	0x0e, 0x64, 0x65, 0x67, 0x72, 0x61, 0x64, 0x65, 0x64, 0x52, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x12,
	0x33, 0x0a, 0x13, 0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x5f, 0x74, 0x65, 0x65, 0x5f, 0x76, 0x65,
	0x72, 0x69, 0x66, 0x69, 0x65, 0x64, 0x18, 0x15, 0x20, 0x01, 0x28, 0x08, 0x48, 0x00, 0x52, 0x11,
	0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x54, 0x65, 0x65, 0x56, 0x65, 0x72, 0x69, 0x66, 0x69, 0x65,
	0x64, 0x88, 0x01, 0x01, 0x12, 0x3b, 0x0a, 0x0b, 0x63, 0x72, 0x65, 0x61, 0x74, 0x65, 0x5f, 0x74,
	0x69, 0x6d, 0x65, 0x18, 0x16, 0x20, 0x01, 0x28, 0x0b, 0x32, 0x1a, 0x2e, 0x67, 0x6f, 0x6f, 0x67,
	0x6c, 0x65, 0x2e, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x62, 0x75, 0x66, 0x2e, 0x54, 0x69, 0x6d, 0x65,
	0x73, 0x74, 0x61, 0x6d, 0x70, 0x52, 0x0a, 0x63, 0x72, 0x65, 0x61, 0x74, 0x65, 0x54, 0x69, 0x6d,
	0x65, 0x12, 0x25, 0x0a, 0x0e, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x5f, 0x72, 0x65, 0x71, 0x75,
	0x65, 0x73, 0x74, 0x18, 0x17, 0x20, 0x01, 0x28, 0x0c, 0x52, 0x0d, 0x73, 0x69, 0x67, 0x6e, 0x65,
	0x64, 0x52, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x12, 0x27, 0x0a, 0x0f, 0x73, 0x69, 0x67, 0x6e,
	0x65, 0x64, 0x5f, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x18, 0x18, 0x20, 0x01, 0x28,
	0x0c, 0x52, 0x0e, 0x73, 0x69, 0x67, 0x6e, 0x65, 0x64, 0x52, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73,
	0x65, 0x42, 0x16, 0x0a, 0x14, 0x5f, 0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x5f, 0x74, 0x65, 0x65,
	0x5f, 0x76, 0x65, 0x72, 0x69, 0x66, 0x69, 0x65, 0x64, 0x2a, 0x8a, 0x03, 0x0a, 0x17, 0x4d, 0x65,
	0x74, 0x72, 0x69, 0x63, 0x55, 0x6e, 0x61, 0x76, 0x61, 0x69, 0x6c, 0x61, 0x62, 0x6c, 0x65, 0x52,
	0x65, 0x61, 0x73, 0x6f, 0x6e, 0x12, 0x29, 0x0a, 0x25, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f,
	0x55, 0x4e, 0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53,
	0x4f, 0x4e, 0x5f, 0x55, 0x4e, 0x53, 0x50, 0x45, 0x43, 0x49, 0x46, 0x49, 0x45, 0x44, 0x10, 0x00,
	0x12, 0x32, 0x0a, 0x2e, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f, 0x55, 0x4e, 0x41, 0x56, 0x41,
	0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f, 0x4e, 0x5f, 0x49, 0x4e,
	0x53, 0x55, 0x46, 0x46, 0x49, 0x43, 0x49, 0x45, 0x4e, 0x54, 0x5f, 0x48, 0x49, 0x53, 0x54, 0x4f,
	0x52, 0x59, 0x10, 0x01, 0x12, 0x2d, 0x0a, 0x29, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f, 0x55,
	0x4e, 0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f,
	0x4e, 0x5f, 0x5a, 0x45, 0x52, 0x4f, 0x5f, 0x44, 0x49, 0x53, 0x50, 0x45, 0x52, 0x53, 0x49, 0x4f,
	0x4e, 0x10, 0x02, 0x12, 0x2a, 0x0a, 0x26, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f, 0x55, 0x4e,
	0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f, 0x4e,
	0x5f, 0x4e, 0x4f, 0x5f, 0x42, 0x45, 0x4e, 0x43, 0x48, 0x4d, 0x41, 0x52, 0x4b, 0x10, 0x03, 0x12,
	0x29, 0x0a, 0x25, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f, 0x55, 0x4e, 0x41, 0x56, 0x41, 0x49,
	0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f, 0x4e, 0x5f, 0x4e, 0x4f, 0x5f,
	0x44, 0x52, 0x41, 0x57, 0x44, 0x4f, 0x57, 0x4e, 0x10, 0x04, 0x12, 0x27, 0x0a, 0x23, 0x4d, 0x45,
	0x54, 0x52, 0x49, 0x43, 0x5f, 0x55, 0x4e, 0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45,
	0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f, 0x4e, 0x5f, 0x55, 0x4e, 0x44, 0x45, 0x46, 0x49, 0x4e, 0x45,
	0x44, 0x10, 0x05, 0x12, 0x33, 0x0a, 0x2f, 0x4d, 0x45, 0x54, 0x52, 0x49, 0x43, 0x5f, 0x55, 0x4e,
	0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52, 0x45, 0x41, 0x53, 0x4f, 0x4e,
	0x5f, 0x4d, 0x49, 0x53, 0x53, 0x49, 0x4e, 0x47, 0x5f, 0x45, 0x58, 0x43, 0x48, 0x41, 0x4e, 0x47,
	0x45, 0x5f, 0x52, 0x41, 0x54, 0x45, 0x10, 0x06, 0x12, 0x2c, 0x0a, 0x28, 0x4d, 0x45, 0x54, 0x52,
	0x49, 0x43, 0x5f, 0x55, 0x4e, 0x41, 0x56, 0x41, 0x49, 0x4c, 0x41, 0x42, 0x4c, 0x45, 0x5f, 0x52,
	0x45, 0x41, 0x53, 0x4f, 0x4e, 0x5f, 0x53, 0x50, 0x41, 0x52, 0x53, 0x45, 0x5f, 0x48, 0x49, 0x53,
	0x54, 0x4f, 0x52, 0x59, 0x10, 0x07, 0x2a, 0xf4, 0x01, 0x0a, 0x12, 0x56, 0x65, 0x72, 0x69, 0x66,
	0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x53, 0x74, 0x61, 0x74, 0x75, 0x73, 0x12, 0x23, 0x0a,
	0x1f, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43, 0x41, 0x54, 0x49, 0x4f, 0x4e, 0x5f, 0x53, 0x54,
	0x41, 0x54, 0x55, 0x53, 0x5f, 0x55, 0x4e, 0x53, 0x50, 0x45, 0x43, 0x49, 0x46, 0x49, 0x45, 0x44,
	0x10, 0x00, 0x12, 0x20, 0x0a, 0x1c, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43, 0x41, 0x54, 0x49,
	0x4f, 0x4e, 0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49,
	0x45, 0x44, 0x10, 0x01, 0x12, 0x2a, 0x0a, 0x26, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43, 0x41,
	0x54, 0x49, 0x4f, 0x4e, 0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x55, 0x4e, 0x56, 0x45,
	0x52, 0x49, 0x46, 0x49, 0x45, 0x44, 0x5f, 0x53, 0x45, 0x52, 0x56, 0x49, 0x43, 0x45, 0x10, 0x02,
	0x12, 0x1e, 0x0a, 0x1a, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43, 0x41, 0x54, 0x49, 0x4f, 0x4e,
	0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x46, 0x41, 0x49, 0x4c, 0x45, 0x44, 0x10, 0x03,
	0x12, 0x23, 0x0a, 0x1f, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43, 0x41, 0x54, 0x49, 0x4f, 0x4e,
	0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x55, 0x4e, 0x41, 0x56, 0x41, 0x49, 0x4c, 0x41,
	0x42, 0x4c, 0x45, 0x10, 0x04, 0x12, 0x26, 0x0a, 0x22, 0x56, 0x45, 0x52, 0x49, 0x46, 0x49, 0x43,
	0x41, 0x54, 0x49, 0x4f, 0x4e, 0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x4e, 0x4f, 0x54,
	0x5f, 0x41, 0x50, 0x50, 0x4c, 0x49, 0x43, 0x41, 0x42, 0x4c, 0x45, 0x10, 0x05, 0x2a, 0xb6, 0x01,
	0x0a, 0x0f, 0x47, 0x72, 0x6f, 0x75, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x53, 0x74, 0x61, 0x74, 0x75,
	0x73, 0x12, 0x20, 0x0a, 0x1c, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x49, 0x4e, 0x47, 0x5f, 0x53,
	0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x55, 0x4e, 0x53, 0x50, 0x45, 0x43, 0x49, 0x46, 0x49, 0x45,
	0x44, 0x10, 0x00, 0x12, 0x1d, 0x0a, 0x19, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x49, 0x4e, 0x47,
	0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x45, 0x44,
	0x10, 0x01, 0x12, 0x1f, 0x0a, 0x1b, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x49, 0x4e, 0x47, 0x5f,
	0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x55, 0x4e, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x45,
	0x44, 0x10, 0x02, 0x12, 0x1f, 0x0a, 0x1b, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x49, 0x4e, 0x47,
	0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x4e, 0x4f, 0x5f, 0x46, 0x49, 0x47, 0x55, 0x52,
	0x45, 0x53, 0x10, 0x03, 0x12, 0x20, 0x0a, 0x1c, 0x47, 0x52, 0x4f, 0x55, 0x4e, 0x44, 0x49, 0x4e,
	0x47, 0x5f, 0x53, 0x54, 0x41, 0x54, 0x55, 0x53, 0x5f, 0x4e, 0x4f, 0x54, 0x5f, 0x43, 0x48, 0x45,
	0x43, 0x4b, 0x45, 0x44, 0x10, 0x04, 0x2a, 0xa0, 0x01, 0x0a, 0x0a, 0x46, 0x69, 0x67, 0x75, 0x72,
	0x65, 0x4b, 0x69, 0x6e, 0x64, 0x12, 0x1b, 0x0a, 0x17, 0x46, 0x49, 0x47, 0x55, 0x52, 0x45, 0x5f,
	0x4b, 0x49, 0x4e, 0x44, 0x5f, 0x55, 0x4e, 0x53, 0x50, 0x45, 0x43, 0x49, 0x46, 0x49, 0x45, 0x44,
	0x10, 0x00, 0x12, 0x16, 0x0a, 0x12, 0x46, 0x49, 0x47, 0x55, 0x52, 0x45, 0x5f, 0x4b, 0x49, 0x4e,
	0x44, 0x5f, 0x41, 0x4d, 0x4f, 0x55, 0x4e, 0x54, 0x10, 0x01, 0x12, 0x17, 0x0a, 0x13, 0x46, 0x49,
	0x47, 0x55, 0x52, 0x45, 0x5f, 0x4b, 0x49, 0x4e, 0x44, 0x5f, 0x50, 0x45, 0x52, 0x43, 0x45, 0x4e,
	0x54, 0x10, 0x02, 0x12, 0x15, 0x0a, 0x11, 0x46, 0x49, 0x47, 0x55, 0x52, 0x45, 0x5f, 0x4b, 0x49,
	0x4e, 0x44, 0x5f, 0x52, 0x41, 0x54, 0x49, 0x4f, 0x10, 0x03, 0x12, 0x15, 0x0a, 0x11, 0x46, 0x49,
	0x47, 0x55, 0x52, 0x45, 0x5f, 0x4b, 0x49, 0x4e, 0x44, 0x5f, 0x43, 0x4f, 0x55, 0x4e, 0x54, 0x10,
	0x04, 0x12, 0x16, 0x0a, 0x12, 0x46, 0x49, 0x47, 0x55, 0x52, 0x45, 0x5f, 0x4b, 0x49, 0x4e, 0x44,
	0x5f, 0x4e, 0x55, 0x4d, 0x42, 0x45, 0x52, 0x10, 0x05, 0x2a, 0xc0, 0x01, 0x0a, 0x09, 0x41, 0x69,
	0x53, 0x75, 0x72, 0x66, 0x61, 0x63, 0x65, 0x12, 0x1a, 0x0a, 0x16, 0x41, 0x49, 0x5f, 0x53, 0x55,
	0x52, 0x46, 0x41, 0x43, 0x45, 0x5f, 0x55, 0x4e, 0x53, 0x50, 0x45, 0x43, 0x49, 0x46, 0x49, 0x45,
	0x44, 0x10, 0x00, 0x12, 0x1a, 0x0a, 0x16, 0x41, 0x49, 0x5f, 0x53, 0x55, 0x52, 0x46, 0x41, 0x43,
	0x45, 0x5f, 0x43, 0x48, 0x41, 0x54, 0x5f, 0x41, 0x4e, 0x53, 0x57, 0x45, 0x52, 0x10, 0x01, 0x12,
	0x22, 0x0a, 0x1e, 0x41, 0x49, 0x5f, 0x53, 0x55, 0x52, 0x46, 0x41, 0x43, 0x45, 0x5f, 0x50, 0x4f,
	0x52, 0x54, 0x46, 0x4f, 0x4c, 0x49, 0x4f, 0x5f, 0x4e, 0x41, 0x52, 0x52, 0x41, 0x54, 0x49, 0x56,
	0x45, 0x10, 0x02, 0x12, 0x1b, 0x0a, 0x17, 0x41, 0x49, 0x5f, 0x53, 0x55, 0x52, 0x46, 0x41, 0x43,
	0x45, 0x5f, 0x44, 0x41, 0x49, 0x4c, 0x59, 0x5f, 0x44, 0x49, 0x47, 0x45, 0x53, 0x54, 0x10, 0x03,
	0x12, 0x1d, 0x0a, 0x19, 0x41, 0x49, 0x5f, 0x53, 0x55, 0x52, 0x46, 0x41, 0x43, 0x45, 0x5f, 0x57,
	0x45, 0x45, 0x4b, 0x4c, 0x59, 0x5f, 0x53, 0x55, 0x4d, 0x4d, 0x41, 0x52, 0x59, 0x10, 0x04, 0x12,
	0x1b, 0x0a, 0x17, 0x41, 0x49, 0x5f, 0x53, 0x55, 0x52, 0x46, 0x41, 0x43, 0x45, 0x5f, 0x4e, 0x45,
	0x57, 0x53, 0x5f, 0x53, 0x55, 0x4d, 0x4d, 0x41, 0x52, 0x59, 0x10, 0x05, 0x42, 0x3a, 0x5a, 0x38,
	0x67, 0x69, 0x74, 0x68, 0x75, 0x62, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x73, 0x74, 0x61, 0x63, 0x6b,
	0x2d, 0x63, 0x66, 0x6f, 0x2f, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2d, 0x63, 0x66, 0x6f, 0x2f, 0x67,
	0x65, 0x6e, 0x2f, 0x67, 0x6f, 0x2f, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2f, 0x63, 0x66, 0x6f, 0x2f,
	0x76, 0x31, 0x3b, 0x63, 0x66, 0x6f, 0x76, 0x31, 0x62, 0x06, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x33,
}

var (
	file_stack_cfo_v1_common_proto_rawDescOnce sync.Once
	file_stack_cfo_v1_common_proto_rawDescData = file_stack_cfo_v1_common_proto_rawDesc
)

func file_stack_cfo_v1_common_proto_rawDescGZIP() []byte {
	file_stack_cfo_v1_common_proto_rawDescOnce.Do(func() {
		file_stack_cfo_v1_common_proto_rawDescData = protoimpl.X.CompressGZIP(file_stack_cfo_v1_common_proto_rawDescData)
	})
	return file_stack_cfo_v1_common_proto_rawDescData
}

var file_stack_cfo_v1_common_proto_enumTypes = make([]protoimpl.EnumInfo, 5)
var file_stack_cfo_v1_common_proto_msgTypes = make([]protoimpl.MessageInfo, 8)
var file_stack_cfo_v1_common_proto_goTypes = []interface{}{
	(MetricUnavailableReason)(0),  // 0: stack.cfo.v1.MetricUnavailableReason
	(VerificationStatus)(0),       // 1: stack.cfo.v1.VerificationStatus
	(GroundingStatus)(0),          // 2: stack.cfo.v1.GroundingStatus
	(FigureKind)(0),               // 3: stack.cfo.v1.FigureKind
	(AiSurface)(0),                // 4: stack.cfo.v1.AiSurface
	(*Date)(nil),                  // 5: stack.cfo.v1.Date
	(*TimeOfDay)(nil),             // 6: stack.cfo.v1.TimeOfDay
	(*DateRange)(nil),             // 7: stack.cfo.v1.DateRange
	(*Metric)(nil),                // 8: stack.cfo.v1.Metric
	(*TokenUsage)(nil),            // 9: stack.cfo.v1.TokenUsage
	(*Figure)(nil),                // 10: stack.cfo.v1.Figure
	(*Grounding)(nil),             // 11: stack.cfo.v1.Grounding
	(*Receipt)(nil),               // 12: stack.cfo.v1.Receipt
	(*timestamppb.Timestamp)(nil), // 13: google.protobuf.Timestamp
}
var file_stack_cfo_v1_common_proto_depIdxs = []int32{
	5,  // 0: stack.cfo.v1.DateRange.start_date:type_name -> stack.cfo.v1.Date
	5,  // 1: stack.cfo.v1.DateRange.end_date:type_name -> stack.cfo.v1.Date
	0,  // 2: stack.cfo.v1.Metric.reason:type_name -> stack.cfo.v1.MetricUnavailableReason
	3,  // 3: stack.cfo.v1.Figure.kind:type_name -> stack.cfo.v1.FigureKind
	2,  // 4: stack.cfo.v1.Grounding.status:type_name -> stack.cfo.v1.GroundingStatus
	10, // 5: stack.cfo.v1.Grounding.figures:type_name -> stack.cfo.v1.Figure
	4,  // 6: stack.cfo.v1.Receipt.surface:type_name -> stack.cfo.v1.AiSurface
	1,  // 7: stack.cfo.v1.Receipt.verification:type_name -> stack.cfo.v1.VerificationStatus
	13, // 8: stack.cfo.v1.Receipt.data_as_of:type_name -> google.protobuf.Timestamp
	11, // 9: stack.cfo.v1.Receipt.grounding:type_name -> stack.cfo.v1.Grounding
	9,  // 10: stack.cfo.v1.Receipt.usage:type_name -> stack.cfo.v1.TokenUsage
	13, // 11: stack.cfo.v1.Receipt.create_time:type_name -> google.protobuf.Timestamp
	12, // [12:12] is the sub-list for method output_type
	12, // [12:12] is the sub-list for method input_type
	12, // [12:12] is the sub-list for extension type_name
	12, // [12:12] is the sub-list for extension extendee
	0,  // [0:12] is the sub-list for field type_name
}

func init() { file_stack_cfo_v1_common_proto_init() }
func file_stack_cfo_v1_common_proto_init() {
	if File_stack_cfo_v1_common_proto != nil {
		return
	}
	if !protoimpl.UnsafeEnabled {
		file_stack_cfo_v1_common_proto_msgTypes[0].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*Date); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[1].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*TimeOfDay); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[2].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*DateRange); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[3].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*Metric); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[4].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*TokenUsage); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[5].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*Figure); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[6].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*Grounding); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
		file_stack_cfo_v1_common_proto_msgTypes[7].Exporter = func(v interface{}, i int) interface{} {
			switch v := v.(*Receipt); i {
			case 0:
				return &v.state
			case 1:
				return &v.sizeCache
			case 2:
				return &v.unknownFields
			default:
				return nil
			}
		}
	}
	file_stack_cfo_v1_common_proto_msgTypes[3].OneofWrappers = []interface{}{}
	file_stack_cfo_v1_common_proto_msgTypes[7].OneofWrappers = []interface{}{}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: file_stack_cfo_v1_common_proto_rawDesc,
			NumEnums:      5,
			NumMessages:   8,
			NumExtensions: 0,
			NumServices:   0,
		},
		GoTypes:           file_stack_cfo_v1_common_proto_goTypes,
		DependencyIndexes: file_stack_cfo_v1_common_proto_depIdxs,
		EnumInfos:         file_stack_cfo_v1_common_proto_enumTypes,
		MessageInfos:      file_stack_cfo_v1_common_proto_msgTypes,
	}.Build()
	File_stack_cfo_v1_common_proto = out.File
	file_stack_cfo_v1_common_proto_rawDesc = nil
	file_stack_cfo_v1_common_proto_goTypes = nil
	file_stack_cfo_v1_common_proto_depIdxs = nil
}
