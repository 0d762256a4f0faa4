//! The JavaScript API: `ChatClient`, and the TypeScript types of everything it hands out.

use alloc::rc::Rc;
use alloc::string::String;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::bytes;
use super::convert::{self, Names};
use super::crash;
use super::driver::{self, Input, Shared, Sink};
use super::error::OptionError;
use super::inbound::InFrame;
use super::listeners::{self, Topic};
use super::options;
use crate::core::{Event, Output, Receipt, Report, Tracker, Turn, AGENT_EVENTS};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// A new promise and the functions that settle it: `[promise, resolve, reject]`.
    fn deferred() -> Array;

    /// The `MessageHandle` of `sendMessage`: the `acknowledged` promise itself, with
    /// `messageId`, `acknowledged` and `completed` set on it. Neither promise raises an
    /// unhandled rejection (its failure is emitted to the listeners too).
    fn message_handle(acknowledged: &Promise, message_id: &str, completed: &Promise) -> Promise;

    /// The `MessageHandle` of a `sendMessage` that could not be taken: both promises rejected
    /// with `error` (only `completed` pre-caught), `messageId` `null`.
    fn refused_handle(error: &JsValue) -> Promise;

    /// Calls `abort` when `signal` is aborted (at once if it already is).
    fn on_abort(signal: &JsValue, abort: &JsValue);
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** The failures of a user message: their reports always name it (`messageId`). */
export type MessageFailureKind = "ack_timeout" | "no_response" | "send_failed" | "unacknowledged";
/** The failures of a run: their reports always name it (`runId`). */
export type RunFailureKind = "run_stalled" | "tool_unfinished";
/** The losses of a range of sequence numbers: their reports always carry it (`seq`). */
export type RangeFailureKind = "seq_gap" | "tail_gap" | "recovery_failed";
/** Every other failure. */
export type OtherFailureKind =
  | "duplicate" | "out_of_order" | "missing_event" | "heartbeat_timeout" | "connection_lost"
  | "connect_failed" | "server_error" | "protocol_violation" | "credential_echoed"
  | "client_crashed" | "connect_cancelled";
/** The stable name of a failure. */
export type FailureKind = MessageFailureKind | RunFailureKind | RangeFailureKind | OtherFailureKind;
export type Severity = "warning" | "critical";
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";
export type DialectName = "netra" | "sequenced";
export type RecoveryVerdict = "full" | "partial" | "none";
/**
 * Where a message's turn stands. `complete`, `incomplete` and `failed` are final: every turn
 * ends in exactly one of them.
 */
export type TurnState =
  | "queued" | "sent" | "acknowledged" | "running" | "complete" | "incomplete" | "failed";

/** An inclusive range of sequence numbers; `to` is absent when the end is unknown. */
export interface SeqRange { from: number; to?: number; }

/**
 * Fleet telemetry: reports, turn verdicts and counters (README, "Fleet telemetry"), either
 * exported as OTLP/HTTP JSON to `endpoint` (with `headers`, `resource`, `maxBatch`,
 * `flushIntervalMs`), or handed to the application's own OpenTelemetry `logger` and/or `meter`.
 */
export interface TelemetryOptions {
  /** The receiver's base URL (an OpenTelemetry Collector): `/v1/logs` and `/v1/metrics` are appended. */
  endpoint?: string;
  /** Extra request headers (a Collector's API key); never the chat token. */
  headers?: Record<string, string>;
  /** Resource attributes, such as `service.name`. */
  resource?: Record<string, string>;
  /** The share of incidents and turns whose records are exported, 0 to 1 (default 1); counters count all. */
  sampleRate?: number;
  /** Records per export at most (default 50). */
  maxBatch?: number;
  /** The longest a record waits for its batch (default 5000). */
  flushIntervalMs?: number;
  /** Records waiting at most; more are dropped and counted (default 500). */
  maxQueue?: number;
  /** The application's OpenTelemetry logger, given every record instead of an endpoint. */
  logger?: TelemetryLogger;
  /** The application's OpenTelemetry meter, whose counters and histogram count instead of an endpoint. */
  meter?: TelemetryMeter;
}

/** What the client uses of an OpenTelemetry `Logger` (`@opentelemetry/api-logs`). */
export interface TelemetryLogger {
  emit(record: {
    timestamp?: number; severityNumber?: number; severityText?: string; body?: string;
    attributes?: Record<string, string | number>;
  }): void;
}

/** What the client uses of an OpenTelemetry `Meter` (`@opentelemetry/api`). */
export interface TelemetryMeter {
  createCounter(name: string, options?: { unit?: string; description?: string; valueType?: number }): {
    add(value: number, attributes?: Record<string, string>): void;
  };
  createHistogram(name: string, options?: {
    unit?: string; description?: string; valueType?: number; advice?: { explicitBucketBoundaries?: number[] };
  }): { record(value: number, attributes?: Record<string, string>): void };
}

export interface ReconnectOptions {
  /** Base delay before the first attempt (default 500). */
  minDelayMs?: number;
  /** Ceiling of any delay (default 20000). */
  maxDelayMs?: number;
  /** Attempts after a lost connection before giving up; 0 never reconnects (default 10). */
  maxAttempts?: number;
}

/**
 * Callbacks handed to `Transport.connect`, fresh for every connection attempt. They may be
 * called at any time, also synchronously from inside `connect`, `send` or `close`; once the
 * client has let a connection go, its callbacks do nothing.
 */
export interface TransportCallbacks {
  /**
   * The connection is open: the client may send. The server's handshake frame comes next.
   * `protocol` is the subprotocol the server accepted, if any.
   */
  open(protocol?: string): void;
  /** One inbound text frame (anything but a string counts as a binary frame). */
  message(text: string): void;
  /** The connection ended, whoever ended it; `closed` after `close()` is optional. */
  closed(code: number, reason: string, wasClean: boolean): void;
}

/** One connection of a transport: what `Transport.connect` returns. */
export interface TransportConnection {
  /**
   * Sends one text frame. Called only between `open()` and `closed()`. Throwing or returning
   * `false` means "not sent": the client reports it (a user message fails with `send_failed`).
   */
  send(text: string): boolean | void;
  /** Closes the connection (`code` 1000 or 4000-4999); no callback is needed afterwards. */
  close(code: number, reason: string): void;
}

/**
 * A replacement for the browser WebSocket, written in JavaScript: an in-page scripted server
 * for tests, a worker, a multiplexed connection. `connect` is called for the first connection
 * and again for each reconnect. Throwing from it counts as a refused connection.
 */
export interface Transport {
  connect(callbacks: TransportCallbacks): TransportConnection;
}

/** Where to connect: exactly one of `url` (a WebSocket, the default) and `transport`. */
export type ChatClientOptions = ChatClientSettings & (
  | {
      /** ws:// or wss:// URL; must not contain the token. */
      url: string;
      /**
       * Sent only as the subprotocol `jwt.<base64url(token)>`, next to `jwt-auth`. Optional:
       * without it (or with `""`) no subprotocol is offered.
       */
      token?: string;
      transport?: undefined;
    }
  | {
      /** A JavaScript transport instead of a WebSocket. It authenticates itself: no `token`. */
      transport: Transport;
      url?: undefined;
      token?: undefined;
    }
);

/** Everything but the endpoint. */
export interface ChatClientSettings {
  /**
   * Logs every decision of the client (states, connects, reports, turns, events), one line
   * each, never with the token: `true` to `console.debug`, or a function given each line.
   */
  debug?: boolean | ((line: string) => void);
  dialect?: "auto" | DialectName;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  ackTimeoutMs?: number;
  /**
   * Netra: acknowledge a message only by the server's `system_message` ack. By default (no
   * Netra build sends it) the first event of the message's run stands for the ack, and the
   * receipt says `inferred: true`.
   */
  requireExplicitAck?: boolean;
  /**
   * Netra: confirm each agent event that carries an `event_id` to the server
   * (`event_confirmation`) even when the handshake does not ask for it.
   */
  confirmEvents?: boolean;
  firstEventTimeoutMs?: number;
  runStallTimeoutMs?: number;
  reorderWindowMs?: number;
  lateWakeMs?: number;
  requiredEvents?: string[];
  reconnect?: ReconnectOptions;
  telemetry?: TelemetryOptions;
  maxFrameBytes?: number;
  maxDepth?: number;
  dedupWindow?: number;
  dedupWindowMs?: number;
  sendBufferCap?: number;
  pendingCap?: number;
  runTableCap?: number;
  reorderBufferCap?: number;
  outputQueueCap?: number;
  jitterSeed?: number;
}

export interface SendMessageOptions { threadId?: string; }

/** What every delivered event carries besides its type and body. */
export interface EventFields {
  runId: string | null;
  seq: number | null;
  recovered: boolean;
  atMs: number;
}

/** The bodies (`data` or `payload`) of the Netra agent events, as far as they are fixed. */
export interface AgentEventData {
  agent_started: { agent_name?: string; run_id?: string; [key: string]: unknown };
  agent_thinking: { reasoning?: string; step_number?: number; [key: string]: unknown };
  tool_executing: { tool_name?: string; tool?: string; parameters?: Record<string, unknown>; [key: string]: unknown };
  tool_completed: { tool_name?: string; tool?: string; result?: unknown; [key: string]: unknown };
  agent_completed: { result?: unknown; run_id?: string; [key: string]: unknown };
}
export type AgentEventType = keyof AgentEventData;

/** One of the five agent events of a turn, its body typed. */
export type AgentEvent = {
  [T in AgentEventType]: EventFields & { type: T; data: AgentEventData[T] };
}[AgentEventType];

/** Any other frame the server sent (delivered too, its body untyped). */
export interface OtherEvent extends EventFields {
  type: string;
  data: Record<string, unknown>;
}

/**
 * An event, delivered once and in order. Narrow it by `type`: the agent events have typed
 * bodies, every other type is delivered as an `OtherEvent`.
 */
export type ChatEvent = AgentEvent | OtherEvent;

/** What every failure report carries. */
export interface ReportFields {
  /**
   * `critical` once per incident (one loss); the reports that follow from the same loss are
   * `warning`s carrying the same `incident`.
   */
  severity: Severity;
  runId: string | null;
  /** The message whose turn this is about: set on every report about a run that answers one. */
  messageId: string | null;
  /** The incident (one loss) this report belongs to; `null` for a warning about no loss. */
  incident: number | null;
  seq: SeqRange | null;
  detail: string;
  atMs: number;
}

/**
 * A failure, discriminated by `kind`: the failures of a message always name it, those of a run
 * name the run, and the losses of a range carry it.
 */
export type FailureReport =
  | (ReportFields & { kind: MessageFailureKind; messageId: string })
  | (ReportFields & { kind: RunFailureKind; runId: string })
  | (ReportFields & { kind: RangeFailureKind; seq: SeqRange })
  | (ReportFields & { kind: OtherFailureKind });

export interface Recovery {
  verdict: RecoveryVerdict;
  missing: SeqRange[];
  reason: string;
  atMs: number;
}

export interface Receipt {
  messageId: string;
  /** The run the message started, once known. */
  runId: string | null;
  /** No ack frame came: the first event of the message's run stood for it (Netra). */
  inferred: boolean;
  latencyMs: number;
}

/** A turn's new state: one per change, on `on("turn")`. */
export interface Turn {
  messageId: string;
  state: TurnState;
  runId: string | null;
  /** The incident that made the turn incomplete or failed (or marked it, when it completed). */
  incident: number | null;
  /** For `incomplete` and `failed`: the report that ended the turn. */
  report: FailureReport | null;
  atMs: number;
}

/**
 * What `sendMessage` returns: the acknowledgement promise, with the turn's id and its end.
 * Neither promise raises an unhandled rejection: their failures also reach `on("failure")`
 * and `on("turn")`.
 */
export interface MessageHandle extends Promise<Receipt> {
  /**
   * The message's id, known at once: key the message bubble by it. (`null` only when the
   * arguments were refused, which TypeScript callers cannot do: both promises then reject.)
   */
  readonly messageId: string;
  /** Resolves once the server acknowledged the message (this very promise). */
  readonly acknowledged: Promise<Receipt>;
  /**
   * Resolves with the final `complete` turn; rejects with a `ChatError` when the turn ends
   * `incomplete` or `failed`.
   */
  readonly completed: Promise<Turn>;
}

export interface Health {
  state: ConnectionState;
  dialect: DialectName | null;
  received: number;
  delivered: number;
  duplicates: number;
  gaps: number;
  pendingAcks: number;
  openRuns: number;
  heldEvents: number;
  lastFrameAgeMs: number | null;
  reconnects: number;
  failures: number;
  wakes: number;
  droppedOutputs: number;
  /** Content keys pushed out of the duplicate window by `dedupWindow` (a duplicate of one would go unseen). */
  dedupEvicted: number;
  /** Bytes the client holds of what the server sent; bounded by the byte budgets (README). */
  bytesHeld: number;
}

/**
 * What `connect()`, `sendMessage()` and `completed` reject with: the failure report, as an
 * `Error` (`instanceof ChatError` holds). Its message is the report's detail.
 */
export declare class ChatError extends Error {
  readonly name: "ChatError";
  readonly kind: FailureKind;
  readonly messageId: string | null;
  readonly report: FailureReport;
  private constructor();
}

/** The value each topic's listeners get. */
export interface TopicValues {
  event: ChatEvent;
  failure: FailureReport;
  state: ConnectionState;
  recovery: Recovery;
  turn: Turn;
}
export type Topic = keyof TopicValues;

/**
 * Whether `event` is one of the agent events of a turn (of type `type`, when given): narrows
 * it to that event's typed body. `event.type === "tool_executing"` alone cannot narrow, since
 * any other type is delivered too.
 */
export function isAgentEvent<T extends AgentEventType = AgentEventType>(
  event: ChatEvent,
  type?: T,
): event is Extract<AgentEvent, { type: T }>;

/** What `connect()` takes. */
export interface ConnectOptions {
  /**
   * Aborting it closes the client: a `connect()` still waiting then rejects with
   * `connect_cancelled`.
   */
  signal?: AbortSignal;
}

export interface ChatClient {
  /** Adds a listener; returns the function that removes it. Listeners may call back in. */
  on<T extends Topic>(name: T, listener: (value: TopicValues[T]) => void): () => void;
  /** As `on`, for the next value of the topic only. */
  once<T extends Topic>(name: T, listener: (value: TopicValues[T]) => void): () => void;
  /** Removes every registration of `listener` (every listener of the topic without one). */
  off<T extends Topic>(name: T, listener?: (value: TopicValues[T]) => void): void;
}
"#;

/// The JavaScript API's side of the driver: promises, and listeners called synchronously
/// (outside any borrow).
pub(crate) struct JsSink {
    /// The listeners by topic, shared with the [`ChatClient`] (see [`listeners`]).
    listeners: Array,
    /// Event types and run ids as JavaScript strings.
    kinds: Names,
    runs: Names,
    /// The `debug` option's logger, given each line of the decisions' log.
    logger: Option<Function>,
}

/// Work for the page, done with no borrow held.
pub(crate) enum JsJob {
    /// Calls a topic's listener entries (of the listener table) with a value.
    Emit(Array, Topic, JsValue, JsValue),
    /// Gives the logger a line.
    Log(Function, JsValue),
}

/// A JavaScript promise awaiting a `connect()` or `sendMessage()`, settled through its own
/// `resolve` and `reject`: no Rust executor is involved.
pub(crate) struct Promised {
    resolve: Function,
    reject: Function,
}

impl Promised {
    /// A waiter for a new promise, and the promise.
    fn new() -> (Promised, Promise) {
        let parts = deferred();
        let waiter = Promised { resolve: parts.get(1).unchecked_into(), reject: parts.get(2).unchecked_into() };
        (waiter, parts.get(0).unchecked_into())
    }

    /// Resolves the promise with `value`, or rejects it with a `ChatError` of the report.
    fn settle(self, result: Result<JsValue, Report>) {
        let (function, value) = match result {
            Ok(value) => (self.resolve, value),
            Err(report) => (self.reject, convert::chat_error(&report)),
        };
        // `resolve` and `reject` of a promise never throw.
        let _ = function.call1(&JsValue::UNDEFINED, &value);
    }
}

impl Sink for JsSink {
    type ConnectWaiter = Promised;
    type SendWaiter = Promised;
    type TurnWaiter = Promised;
    type Job = JsJob;

    const LOCATES_EVENTS: bool = true;

    fn connected(waiter: Promised, result: Result<(), Report>) {
        waiter.settle(result.map(|()| JsValue::UNDEFINED));
    }

    fn sent(waiter: Promised, result: Result<Receipt, Report>) {
        waiter.settle(result.map(|receipt| convert::receipt(&receipt)));
    }

    fn finished(waiter: Promised, result: Result<Turn, Report>) {
        waiter.settle(result.map(|turn| convert::turn(&turn)));
    }

    fn event(&mut self, event: Event, in_frame: Option<InFrame>) -> Option<Self::Job> {
        let entries = listeners::of(&self.listeners, Topic::Event)?;
        let value = convert::event(&event, in_frame.as_ref(), &mut self.kinds, &mut self.runs);
        Some(JsJob::Emit(self.listeners.clone(), Topic::Event, entries, value))
    }

    fn output(&mut self, output: Output) -> Option<Self::Job> {
        let topic = Topic::of(&output)?;
        let entries = listeners::of(&self.listeners, topic)?;
        Some(JsJob::Emit(self.listeners.clone(), topic, entries, convert::output(&output)))
    }

    fn run(job: JsJob) {
        match job {
            JsJob::Emit(all, topic, entries, value) => listeners::emit(&all, topic as u32, &entries, &value),
            // A logger that throws loses its line, nothing else.
            JsJob::Log(logger, line) => drop(logger.call1(&JsValue::UNDEFINED, &line)),
        }
    }

    fn logs(&self) -> bool {
        self.logger.is_some()
    }

    fn log(&mut self, line: String) -> Option<JsJob> {
        Some(JsJob::Log(self.logger.clone()?, JsValue::from_str(&line)))
    }
}

/// A chat connection that reports every lost, duplicated, reordered or stalled agent event.
#[wasm_bindgen]
pub struct ChatClient {
    shared: Shared<JsSink>,
    /// The listeners by topic, shared with the driver's [`JsSink`] (see [`listeners`]).
    listeners: Array,
}

#[wasm_bindgen]
impl ChatClient {
    /// A closed client. Throws a `TypeError` or `RangeError` naming a bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ChatClientOptions")] options: JsValue,
    ) -> Result<ChatClient, JsValue> {
        let options = options::client(&options)?;
        let tracker = Tracker::new(options.config).map_err(|e| OptionError::config(&e).to_js())?;
        let listeners = Array::new();
        let sink =
            JsSink { listeners: listeners.clone(), kinds: Names::new(16), runs: Names::new(4), logger: options.logger };
        let shared = driver::new(tracker, options.endpoint, options.telemetry, sink);
        crash::watch_client(&listeners);
        Ok(ChatClient { shared, listeners })
    }

    /// Adds a listener for `"event"`, `"failure"`, `"state"`, `"recovery"` or `"turn"`; returns a
    /// function that removes it. Listeners may call back into the client.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, name: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        listeners::on(&self.listeners, &name, &listener, false)
    }

    /// As `on`, for the next output of the topic only.
    #[wasm_bindgen(skip_typescript)]
    pub fn once(&self, name: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        listeners::on(&self.listeners, &name, &listener, true)
    }

    /// Removes every registration of `listener` for the topic (every listener of the topic
    /// without one).
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, name: JsValue, listener: JsValue) -> Result<(), JsValue> {
        listeners::off(&self.listeners, &name, &listener)
    }

    /// Connects. Resolves once open and handshaken; rejects with a `ChatError` on the first
    /// connection failure before that (the client keeps retrying per its reconnect policy), or
    /// of kind `connect_cancelled` if the client is closed or `signal` aborted first.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectOptions")] options: JsValue,
    ) -> Promise {
        if let Err(crashed) = crash::check() {
            return Promise::reject(&crashed);
        }
        let signal = match options::connect(&options) {
            Ok(signal) => signal,
            Err(error) => return Promise::reject(&error),
        };
        let (waiter, promise) = Promised::new();
        driver::input(&self.shared, Input::Connect(waiter));
        if let Some(signal) = signal {
            let shared = Rc::downgrade(&self.shared);
            let abort = Closure::<dyn Fn()>::new(move || {
                if let Some(shared) = shared.upgrade() {
                    driver::input(&shared, Input::CancelConnect);
                }
            });
            // The JavaScript garbage collector frees the closure with the signal.
            on_abort(&signal, &crash::guard(&abort.into_js_value()));
        }
        promise
    }

    /// Sends a user message (buffered while reconnecting) and starts its turn. Returns its
    /// `MessageHandle`: a promise of the receipt (rejecting with a `ChatError` of kind
    /// `ack_timeout`, `no_response`, `send_failed` or `unacknowledged`, also emitted as a
    /// failure) with the `messageId` and the `completed` promise of the turn's end. Bad
    /// arguments never throw: both promises reject with the `TypeError` (and `messageId` is
    /// `null`).
    #[wasm_bindgen(js_name = sendMessage, unchecked_return_type = "MessageHandle")]
    pub fn send_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SendMessageOptions")] options: JsValue,
    ) -> Promise {
        let sent = crash::check().and_then(|()| options::send(&text, &options)).and_then(|(text, options)| {
            let (waiter, acknowledged) = Promised::new();
            let (turn, completed) = Promised::new();
            let id = driver::send(&self.shared, text, options, waiter, turn).ok_or_else(crash::trapped)?;
            Ok(message_handle(&acknowledged, &id.to_wire(), &completed))
        });
        sent.unwrap_or_else(|error| refused_handle(&error))
    }

    /// A snapshot of state and counters.
    #[wasm_bindgen(unchecked_return_type = "Health")]
    pub fn health(&self) -> Result<JsValue, JsValue> {
        crash::check()?;
        let (health, now) = driver::health(&self.shared).ok_or_else(crash::trapped)?;
        Ok(convert::health(&health, now))
    }

    /// Closes the connection and stops every timer and listener of the page; messages without
    /// an outcome fail with `send_failed`. `connect()` may be called again.
    pub fn close(&self) {
        if crash::check().is_ok() {
            driver::input(&self.shared, Input::Close);
        }
    }
}

/// Whether `event` (a delivered `ChatEvent`) is one of the agent events of a turn — and of type
/// `type` when given — so that TypeScript narrows its body (see `AgentEventData`).
#[wasm_bindgen(js_name = isAgentEvent, skip_typescript)]
pub fn is_agent_event(event: &JsValue, r#type: &JsValue) -> bool {
    let kind = js_sys::Reflect::get(event, &JsValue::from_str("type")).ok().and_then(|k| bytes::to_string(&k));
    let wanted = bytes::to_string(r#type);
    kind.is_some_and(|k| AGENT_EVENTS.contains(&k.as_str()) && wanted.is_none_or(|w| w == k))
}

impl Drop for ChatClient {
    fn drop(&mut self) {
        crash::unwatch(&self.listeners);
    }
}
