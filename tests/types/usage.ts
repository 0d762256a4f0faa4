// Compiled by `cargo xtask test` (tsc --noEmit, strict, skipLibCheck false) against the built
// package's .d.ts: what a strict TypeScript chat app writes must type-check, and the lines
// marked @ts-expect-error must not (if one starts to compile, tsc fails on the unused marker).
import init, {
  ChatClient,
  ChatError,
  isAgentEvent,
  type ChatEvent,
  type FailureReport,
  type MessageHandle,
  type TelemetryOptions,
  type Turn,
} from "../../pkg/chat_sentinel.js";

export async function chat(url: string, token: string, signal: AbortSignal): Promise<string[]> {
  await init();
  const client = new ChatClient({ url, token, dialect: "netra", reconnect: { maxAttempts: 3 } });
  const seen: string[] = [];

  const off = client.on("event", (event: ChatEvent) => {
    if (isAgentEvent(event, "tool_executing")) {
      // The agent events have typed bodies.
      const tool: string | undefined = event.data.tool_name;
      seen.push(tool ?? "?");
    } else {
      seen.push(event.type);
    }
  });
  off();
  client.once("turn", (turn: Turn) => seen.push(turn.state));
  client.on("failure", (report: FailureReport) => {
    switch (report.kind) {
      case "ack_timeout":
      case "no_response":
        // The failures of a message always name it.
        seen.push(report.messageId.toUpperCase());
        break;
      case "seq_gap":
        seen.push(String(report.seq.from));
        break;
      case "run_stalled":
        seen.push(report.runId);
        break;
      default:
        // @ts-expect-error: other kinds may have no message
        seen.push(report.messageId.toUpperCase());
    }
  });
  client.off("failure");

  try {
    await client.connect({ signal });
  } catch (e) {
    if (e instanceof ChatError && e.kind === "connect_cancelled") return seen;
    throw e;
  }
  const handle: MessageHandle = client.sendMessage("hello", { threadId: "th_1" });
  const id: string = handle.messageId;
  const receipt = await handle;
  const inferred: boolean = receipt.inferred;
  await handle.completed.catch((e: unknown) => {
    if (e instanceof ChatError) seen.push(e.report.kind);
  });
  seen.push(id, String(inferred), client.health().state);

  // @ts-expect-error: not a topic
  client.on("events", () => {});
  // @ts-expect-error: a state listener gets a ConnectionState, not a report
  client.on("state", (report: FailureReport) => report);
  // @ts-expect-error: unknown option
  new ChatClient({ url, heartbeatMs: 5 });
  const telemetry: TelemetryOptions = { endpoint: "https://otel.example", resource: { "service.name": "chat-web" }, sampleRate: 0.5 };
  new ChatClient({ url, telemetry, confirmEvents: true });
  // The application's own OpenTelemetry logger and meter (shapes of @opentelemetry/api-logs and api).
  const logger = { emit: (record: { body?: unknown; attributes?: object }) => void seen.push(String(record.body)) };
  const instrument = { add: (_value: number) => {}, record: (_value: number) => {} };
  const meter = { createCounter: () => instrument, createHistogram: () => instrument };
  new ChatClient({ url, telemetry: { logger, meter, sampleRate: 0.1 } });
  // @ts-expect-error: a logger has emit
  new ChatClient({ url, telemetry: { logger: { log: () => {} } } });
  // @ts-expect-error: a transport authenticates itself
  new ChatClient({ transport: { connect: () => ({ send: () => true, close: () => {} }) }, token });
  client.close();
  client.free();
  return seen;
}
