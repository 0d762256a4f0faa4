//! One browser `WebSocket`, tagged with a generation number.
//!
//! Its four handlers forward to the driver with the generation, so that events of a socket the
//! driver has already let go never reach the tracker. Dropping a [`Socket`] removes the
//! handlers and closes it if it is still open.

use alloc::rc::Weak;
use core::cell::RefCell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::driver::{self, Inner, Input, SocketEvent};

/// A socket the driver owns.
pub(crate) struct Socket {
    ws: WebSocket,
    generation: u64,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

fn forward(shared: &Weak<RefCell<Inner>>, generation: u64, event: SocketEvent) {
    if let Some(shared) = shared.upgrade() {
        driver::input(&shared, Input::Socket(generation, event));
    }
}

impl Socket {
    /// Opens `new WebSocket(url, protocols)`. `Err` when the browser refuses (a bad URL or
    /// subprotocol); the exception is dropped unread, as it may quote the subprotocols.
    pub(crate) fn open(
        url: &str,
        protocols: &JsValue,
        generation: u64,
        shared: &Weak<RefCell<Inner>>,
    ) -> Result<Socket, ()> {
        let ws = WebSocket::new_with_str_sequence(url, protocols).map_err(drop)?;
        ws.set_binary_type(BinaryType::Arraybuffer);

        let weak = shared.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            forward(&weak, generation, SocketEvent::Open);
        });
        let weak = shared.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let event = if data.is_string() {
                SocketEvent::Text(data)
            } else {
                let len = data.dyn_ref::<js_sys::ArrayBuffer>().map_or(0, |b| b.byte_length());
                SocketEvent::Binary(len as usize)
            };
            forward(&weak, generation, event);
        });
        let weak = shared.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let closed = SocketEvent::Closed { code: event.code(), reason: event.reason(), clean: event.was_clean() };
            forward(&weak, generation, closed);
        });
        // Browsers give no detail on `error`; the `close` that follows carries what there is.
        let on_error = Closure::<dyn FnMut(Event)>::new(|_: Event| {});

        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            generation,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Sends one text frame. `false` if the socket is not open or the browser refused: the
    /// caller hands the frame back to the tracker (never a silent drop; see gloo#499).
    pub(crate) fn send(&self, text: &str) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_str(text).is_ok()
    }

    /// Closes with `code` and `reason` (the handlers are removed when dropped).
    pub(crate) fn close(self, code: u16, reason: &str) {
        if self.is_live() {
            let _ = self.ws.close_with_code_and_reason(code, reason);
        }
    }

    fn is_live(&self) -> bool {
        matches!(self.ws.ready_state(), WebSocket::CONNECTING | WebSocket::OPEN)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        if self.is_live() {
            let _ = self.ws.close_with_code_and_reason(1000, "client closed");
        }
    }
}
