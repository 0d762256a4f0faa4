//! The `debug` option's log: one line per decision of the client (every output and command of
//! the core), redacted of the credential like every text the client emits.

use alloc::string::String;

use crate::core::json::push_u64;
use crate::core::{Command, Credential, Output, Verdict};

/// The line that logs `command`, `chat-sentinel: ` first.
pub(crate) fn command_line(command: Command) -> String {
    let mut out = String::from(PREFIX);
    match command {
        Command::Connect => out.push_str("connect: opening a connection"),
        Command::Disconnect { code, reason } => {
            out.push_str("disconnect: closing the connection with ");
            push_u64(&mut out, u64::from(code));
            out.push(' ');
            out.push_str(reason);
        }
    }
    out
}

/// What every line starts with.
const PREFIX: &str = "chat-sentinel: ";

/// The line that logs `output`, [`PREFIX`] first, without the credential.
pub(crate) fn line(output: &Output, credential: Option<&Credential>) -> String {
    let mut out = String::from(PREFIX);
    match output {
        Output::Connected(Ok(())) => out.push_str("connect(): resolved, the connection is open"),
        Output::Connected(Err(report)) => {
            out.push_str("connect(): rejected with ");
            out.push_str(report.kind.as_str());
            out.push_str(": ");
            out.push_str(&report.detail);
        }
        Output::State(state) => {
            out.push_str("state: ");
            out.push_str(state.as_str());
        }
        Output::Failure(report) => {
            out.push_str("failure: ");
            out.push_str(report.kind.as_str());
            out.push(' ');
            out.push_str(report.severity.as_str());
            if let Some(incident) = report.incident {
                out.push_str(" (incident ");
                push_u64(&mut out, incident.get());
                out.push(')');
            }
            if let Some(id) = report.message_id {
                out.push_str(" message ");
                out.push_str(&id.to_wire());
            }
            if let Some(run) = &report.run_id {
                out.push_str(" run ");
                out.push_str(run);
            }
            out.push_str(": ");
            out.push_str(&report.detail);
        }
        Output::Event(event) => {
            out.push_str("event: ");
            out.push_str(&event.kind);
            if let Some(run) = &event.run_id {
                out.push_str(" run ");
                out.push_str(run);
            }
            if let Some(seq) = event.seq {
                out.push_str(" seq ");
                push_u64(&mut out, seq);
            }
        }
        Output::Acked(receipt) => {
            out.push_str("acknowledged: ");
            out.push_str(&receipt.message_id.to_wire());
            out.push_str(if receipt.inferred { " (inferred from its run) in " } else { " in " });
            push_u64(&mut out, receipt.latency_ms);
            out.push_str(" ms");
        }
        Output::Turn(turn) => {
            out.push_str("turn: ");
            out.push_str(&turn.message_id.to_wire());
            out.push(' ');
            out.push_str(turn.state.as_str());
        }
        Output::Recovery(recovery) => {
            out.push_str("recovery: ");
            out.push_str(recovery.verdict.as_str());
            if recovery.verdict != Verdict::Full {
                out.push_str(": ");
                out.push_str(recovery.reason);
            }
        }
    }
    match credential {
        Some(credential) => credential.redact(&out).into_owned(),
        None => out,
    }
}
