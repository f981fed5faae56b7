// A small stack-cfo client for Node.js a TypeScript team can copy: Connect's gRPC transport
// (@connectrpc/connect-node) with the generated code in ../src. It syncs a portfolio, reads its
// summary, streams one SendMessage answer to its `completed` event, and reads the error details every
// stack-cfo error carries (google.rpc.ErrorInfo, BadRequest, RetryInfo, PreconditionFailure).
//
//   npm ci && npm run build
//   node dist/examples/smoke.js --addr 127.0.0.1:50051 --user USER_ID --token "$(stack-cfo token --user USER_ID)" \
//     [--service-token "$(stack-cfo token --service ingest)"]   # also records a price (service principals only)
//
// tests/e2e/test_node_client.py runs it against a real server.
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../src/stack/cfo/v1/chat_pb.js";
import { AssetClass, PortfolioSummaryService, PricePointSchema } from "../src/stack/cfo/v1/portfolio_pb.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from "../src/google/rpc/error_details_pb.js";

const { values: args } = parseArgs({
  options: {
    addr: { type: "string", default: "127.0.0.1:50051" },
    user: { type: "string" },
    token: { type: "string", default: process.env.STACK_CFO_TOKEN },
    "service-token": { type: "string" },
    question: { type: "string", default: "How is my portfolio doing this week?" },
  },
});
if (!args.user || !args.token) {
  console.error("--user and --token are required");
  process.exit(2);
}
const user: string = args.user;
const userToken: string = args.token;

// The user's token on every call, unless the call brings its own (a service principal's).
const bearer: Interceptor = (next) => async (req) => {
  if (!req.header.has("authorization")) {
    req.header.set("authorization", `Bearer ${userToken}`);
  }
  return next(req);
};

// gRPC over HTTP/2 (always, in connect-node v2: no httpVersion option). Plain text here, a local
// server; use "https://host:50051" in production. Keepalive: the server allows a client ping every
// 10 s or slower, also without calls in flight; faster pings get GOAWAY too_many_pings.
const transport = createGrpcTransport({
  baseUrl: `http://${args.addr}`,
  interceptors: [bearer],
  pingIntervalMs: 30_000,
  pingIdleConnection: true,
  pingTimeoutMs: 10_000,
  defaultTimeoutMs: 30_000, // a deadline on every call (override per call with timeoutMs)
  readMaxBytes: 8 << 20, // the server's message size limit (server.max_message_bytes), both ways
  writeMaxBytes: 8 << 20,
});
const portfolios = createClient(PortfolioSummaryService, transport);
const chat = createClient(ChatService, transport);
const portfolio = `users/${user}/portfolio`;

async function main(): Promise<void> {
  // 1. A service principal records a daily close: a oneof is {case, value} in protobuf-es
  //    (JSON: "date": {"year": ..., "month": ..., "day": ...}).
  if (args["service-token"]) {
    const now = new Date();
    const point = create(PricePointSchema, {
      symbol: "AAPL",
      at: { case: "date", value: { year: now.getUTCFullYear() - 1, month: 6, day: 2 } },
      close: "190.50",
      currency: "USD",
    });
    const recorded = await portfolios.recordPrices(
      { points: [point], requestId: randomUUID() },
      { headers: { authorization: `Bearer ${args["service-token"]}` } },
    );
    console.log(`prices: inserted=${recorded.insertedCount} updated=${recorded.updatedCount} unchanged=${recorded.unchangedCount}`);
  }

  // 2. The user's holdings, then the summary the service computes from them.
  const synced = await portfolios.syncPortfolio({
    portfolio,
    positions: [
      { symbol: "AAPL", quantity: "10", averageCost: "150", sector: "Information Technology", assetClass: AssetClass.EQUITY },
    ],
    cashBalance: "1000",
    baseCurrency: "USD",
    requestId: randomUUID(),
  });
  console.log(`sync: ${synced.portfolio} positions=${synced.positionCount}`);

  const summary = await portfolios.getPortfolioSummary({ portfolio }, { timeoutMs: 10_000 });
  console.log(
    `summary: total_value=${summary.totalValue} ${summary.baseCurrency} cash=${summary.cashBalance} ` +
      `positions=${summary.positions.map((p) => p.symbol).join(",")}`,
  );

  // 3. A chat session and one answer streamed as deltas; `completed` is always the last event.
  const session = await chat.createSession({ parent: `users/${user}`, session: { title: "Node smoke client" } });
  console.log(`session: ${session.name}`);
  let deltas = 0;
  let text = "";
  const events = chat.sendMessage(
    { name: session.name, content: args.question, requestId: randomUUID() },
    { timeoutMs: 120_000 },
  );
  for await (const res of events) {
    switch (res.event.case) {
      case "accepted":
        console.log(`accepted: message ${res.event.value.userMessageId}`);
        break;
      case "delta":
        deltas++;
        text += res.event.value.text;
        break;
      case "replaced": // discard what was streamed and show this text instead
        text = res.event.value.text;
        break;
      case "completed": {
        const c = res.event.value;
        console.log(
          `completed: ${deltas} deltas, ${c.assistantMessage?.content.length ?? 0} characters, ` +
            `degraded=${c.degraded} offline=${c.offline} (${c.assistantMessage?.degradedReason ?? ""}), provider ${c.provider}`,
        );
        break;
      }
    }
  }

  // 4. Errors carry details: a session without a title is INVALID_ARGUMENT with an ErrorInfo (the reason
  //    to switch on) and a BadRequest naming the field.
  try {
    await chat.createSession({ parent: `users/${user}`, session: {} });
    throw new Error("a session without a title was accepted");
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code !== Code.InvalidArgument) {
      throw e;
    }
    console.log(`error: ${Code[e.code]}: ${e.rawMessage}`);
    printDetails(e);
  }
}

/** The google.rpc details of the grpc-status-details-bin trailer, decoded with the generated schemas. */
function printDetails(e: ConnectError): void {
  for (const info of e.findDetails(ErrorInfoSchema)) {
    console.log(`  ErrorInfo: reason=${info.reason} domain=${info.domain} metadata=${JSON.stringify(info.metadata)}`);
  }
  for (const bad of e.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) {
      console.log(`  BadRequest: ${v.field}: ${v.description}`);
    }
  }
  for (const retry of e.findDetails(RetryInfoSchema)) {
    // a duration, often fractional (0.946 s): whole seconds alone would say "retry after 0s"
    const ms = Number(retry.retryDelay?.seconds ?? 0n) * 1000 + (retry.retryDelay?.nanos ?? 0) / 1e6;
    console.log(`  RetryInfo: retry after ${(ms / 1000).toFixed(3)}s`);
  }
  for (const pre of e.findDetails(PreconditionFailureSchema)) {
    for (const v of pre.violations) {
      console.log(`  PreconditionFailure: ${v.type} ${v.subject}: ${v.description}`);
    }
  }
}

main().catch((err: unknown) => {
  const e = ConnectError.from(err);
  console.error(`failed: ${Code[e.code]}: ${e.rawMessage}`);
  printDetails(e);
  process.exit(1);
});
