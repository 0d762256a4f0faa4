// The peer libraries of `cargo xtask bench` (phoenix, socket.io-client, centrifuge), as the
// bench pages drive them: how each is loaded, how a frame is wrapped in its own envelope, a
// client fed from memory through a fake WebSocket, and a client connected to the reference
// server's `/peers/…` endpoints (server/src/peers.rs). The files' URLs come from the xtask
// (xtask/src/peers.rs), which pins and installs the packages.

const HOUR = 3600000;
const PHOENIX_TOPIC = "bench:lobby";
const CENTRIFUGE_CHANNEL = "bench";
// What the server's endpoints send (server/src/peers.rs), and a centrifuge connect reply that
// also subscribes the client to the bench's channel on the server's side.
const ENGINE_IO_OPEN = `0{"sid":"bench-eio","upgrades":[],"pingInterval":${HOUR},"pingTimeout":20000,"maxPayload":1000000}`;
const SOCKET_IO_CONNECTED = `40{"sid":"bench-sio"}`;
const centrifugeConnected = (id) =>
  JSON.stringify({ id, connect: { client: "bench-client", version: "0.0.0", subs: { [CENTRIFUGE_CHANNEL]: {} } } });

/** A WebSocket stand-in, constructed by a library as its WebSocket. It opens on the next task
 * and sends `greeting()`; it answers each send with `answer(text)` on a later task, as a
 * server would; `onmessage` is called synchronously by whoever holds it (`FakeSocket.last`). */
class FakeSocket {
  /** The socket most recently constructed. */
  static last = null;
  constructor() {
    this.readyState = 0;
    this.binaryType = "blob";
    this.protocol = "";
    this.extensions = "";
    this.bufferedAmount = 0;
    FakeSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({ type: "open" });
      for (const data of this.greeting()) this.onmessage?.({ data });
    }, 0);
  }
  greeting() { return []; }
  answer() { return []; }
  send(data) {
    const replies = this.answer(String(data));
    if (replies.length) setTimeout(() => { for (const data of replies) this.onmessage?.({ data }); }, 0);
  }
  close(code = 1000, reason = "") {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 0);
  }
}

class PhoenixFake extends FakeSocket {
  answer(text) {
    const [joinRef, ref, topic] = JSON.parse(text);
    return [JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }])];
  }
}
class EngineIoFake extends FakeSocket {
  greeting() { return [ENGINE_IO_OPEN]; }
  answer(text) { return text.startsWith("40") ? [SOCKET_IO_CONNECTED] : []; }
}
class CentrifugeFake extends FakeSocket {
  answer(text) {
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line)).filter((c) => c.connect)
      .map((c) => centrifugeConnected(c.id));
  }
}

const script = (url, global) => new Promise((resolve, reject) => {
  const s = document.createElement("script");
  s.src = url;
  s.onload = () => resolve(globalThis[global]);
  s.onerror = () => reject(new Error(`cannot load ${url}`));
  document.head.append(s);
});
const settle = (on, ok, fail) => new Promise((resolve, reject) => {
  on(ok, resolve);
  on(fail, (e) => reject(new Error(`${fail}: ${e?.message ?? e?.reason ?? JSON.stringify(e)}`)));
});
const joined = (channel) => new Promise((resolve, reject) => {
  channel.join().receive("ok", resolve).receive("error", (e) => reject(new Error(`phx_join: ${JSON.stringify(e)}`)))
    .receive("timeout", () => reject(new Error("phx_join timed out")));
});

/** Per peer (by npm package): `load(url)` → the library; `preload`, the hint that fetches its
 * file ahead as `load` will use it (`"script"`: `<link rel="preload" as="script">`; `"module"`:
 * `<link rel="modulepreload">`); `envelope(type, frame)` → the
 * frame as this library's server would send the event; `fed(lib, types, onPayload)` → a
 * connected client fed from memory, `{ socket, close }`, whose `onPayload` gets each decoded
 * payload; `connect(lib)` → resolves when the client's handshake with the reference server
 * completes (its first frame), `{ close }`. */
export const PEERS = {
  phoenix: {
    load: (url) => script(url, "Phoenix"),
    preload: "script",
    // The v2 JSON serializer: [join_ref, ref, topic, event, payload].
    envelope: (type, frame) => `[null,null,"${PHOENIX_TOPIC}","${type}",${frame}]`,
    async fed(lib, types, onPayload) {
      const socket = new lib.Socket("/peers/phoenix", { transport: PhoenixFake, heartbeatIntervalMs: HOUR });
      socket.connect();
      const channel = socket.channel(PHOENIX_TOPIC);
      for (const type of types) channel.on(type, onPayload);
      await joined(channel);
      return { socket: FakeSocket.last, close: () => socket.disconnect() };
    },
    async connect(lib) {
      const socket = new lib.Socket(`ws://${location.host}/peers/phoenix`, { heartbeatIntervalMs: HOUR });
      socket.connect();
      await joined(socket.channel(PHOENIX_TOPIC));
      return { close: () => socket.disconnect() };
    },
  },
  "socket.io-client": {
    load: (url) => import(url),
    preload: "module",
    // engine.io message (4) carrying a socket.io event (2) of the default namespace.
    envelope: (type, frame) => `42["${type}",${frame}]`,
    async fed(lib, types, onPayload) {
      class Transport extends lib.WebSocket { createSocket() { return new EngineIoFake(); } }
      const socket = lib.io(location.origin, { transports: [Transport], reconnection: false, forceNew: true });
      for (const type of types) socket.on(type, onPayload);
      await settle((e, f) => socket.once(e, f), "connect", "connect_error");
      return { socket: FakeSocket.last, close: () => socket.disconnect() };
    },
    async connect(lib) {
      const socket = lib.io(location.origin,
        { path: "/peers/socket.io/", transports: ["websocket"], reconnection: false, forceNew: true });
      await settle((e, f) => socket.once(e, f), "connect", "connect_error");
      return { close: () => socket.disconnect() };
    },
  },
  centrifuge: {
    load: (url) => script(url, "Centrifuge"),
    preload: "script",
    // The JSON protocol's push of a publication to a channel the connection is subscribed to.
    envelope: (_type, frame) => `{"push":{"channel":"${CENTRIFUGE_CHANNEL}","pub":{"data":${frame}}}}`,
    async fed(Centrifuge, _types, onPayload) {
      const client = new Centrifuge("ws://fake/peers/centrifuge", { websocket: CentrifugeFake });
      client.on("publication", (ctx) => onPayload(ctx.data));
      const connected = settle((e, f) => client.once(e, f), "connected", "disconnected");
      client.connect();
      await connected;
      return { socket: FakeSocket.last, close: () => client.disconnect() };
    },
    async connect(Centrifuge) {
      const client = new Centrifuge(`ws://${location.host}/peers/centrifuge`);
      const connected = settle((e, f) => client.once(e, f), "connected", "disconnected");
      client.connect();
      await connected;
      return { close: () => client.disconnect() };
    },
  },
};
