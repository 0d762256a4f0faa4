//! The names that cross the boundary, written for users in the README and the TypeScript types,
//! checked against their one source in the core: the options (`core::options`), the failure
//! kinds (`FailureKind::ALL` and their subjects), the topics and the dialects.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

use std::collections::BTreeSet;

use chat_sentinel::core::options::{
    CLIENT_OPTIONS, DEBUG, NUMBER_OPTIONS, OTHER_OPTIONS, RECONNECT, RECONNECT_PREFIX, TELEMETRY, TELEMETRY_OPTIONS,
    TELEMETRY_PREFIX, TOPICS,
};
use chat_sentinel::core::{Config, DialectChoice, FailureKind, Subject, AGENT_EVENTS};

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The rows of the first table after `heading`: its cells, the backticks of the first removed.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rows = text[start..].lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|'));
    rows.skip(2) // the header and its rule
        .map(|row| {
            let cells: Vec<String> = row.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect();
            let mut cells = cells;
            cells[0] = cells[0].trim_matches('`').to_owned();
            cells
        })
        .collect()
}

/// The string literals of the TypeScript declaration `start … end` in the types.
fn literals(types: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = types.find(start).unwrap_or_else(|| panic!("no {start} in the types"));
    let body = &types[from + start.len()..];
    let body = &body[..body.find(end).unwrap()];
    body.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The member names of the TypeScript interface `name` in the types.
fn members(types: &str, name: &str) -> BTreeSet<String> {
    let start = format!("interface {name} {{");
    let from = types.find(&start).unwrap_or_else(|| panic!("no {start}"));
    let body = &types[from + start.len()..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('/') && !l.starts_with('*'))
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim().trim_end_matches('?').to_owned()))
        .filter(|n| !n.is_empty() && !n.contains(' '))
        .collect()
}

/// The TypeScript types the package ships (the custom section of the JavaScript API).
fn types() -> String {
    let source = read("src/browser/client.rs");
    let start = source.find("const TYPES: &str = r#\"").unwrap();
    let body = &source[start..];
    body[..body.find("\"#;").unwrap()].to_owned()
}

fn names<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}

#[test]
fn the_readme_option_table_lists_every_option_with_its_default() {
    let rows = table_after(&read("README.md"), "### Options");
    let listed: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    let all = names(
        CLIENT_OPTIONS
            .into_iter()
            .chain(OTHER_OPTIONS.into_iter().filter(|o| *o != RECONNECT))
            .chain(NUMBER_OPTIONS.iter().map(|o| o.name)),
    );
    assert_eq!(listed, all, "README options vs core::options");
    let defaults = Config::default();
    for option in &NUMBER_OPTIONS {
        let row = rows.iter().find(|r| r[0] == option.name).unwrap();
        assert_eq!(row[1], (option.get)(&defaults).to_string(), "the README's default of {}", option.name);
    }
    let dialect = rows.iter().find(|r| r[0] == "dialect").unwrap();
    let default = DialectChoice::NAMES[DialectChoice::ALL.iter().position(|d| *d == defaults.dialect).unwrap()];
    assert_eq!(dialect[1], format!("`\"{default}\"`"));
    for name in DialectChoice::NAMES {
        assert!(dialect[2].contains(&format!("\"{name}\"")), "the README names the dialect {name}");
    }
}

#[test]
fn the_typescript_options_are_the_cores() {
    let types = types();
    let settings = members(&types, "ChatClientSettings");
    let top = names(
        OTHER_OPTIONS
            .into_iter()
            .chain([DEBUG, TELEMETRY])
            .chain(NUMBER_OPTIONS.iter().map(|o| o.name).filter(|n| !n.starts_with(RECONNECT_PREFIX))),
    );
    assert_eq!(settings, top, "ChatClientSettings vs core::options");
    let reconnect = members(&types, "ReconnectOptions");
    let members_of_reconnect = names(NUMBER_OPTIONS.iter().filter_map(|o| o.name.strip_prefix(RECONNECT_PREFIX)));
    assert_eq!(reconnect, members_of_reconnect, "ReconnectOptions vs core::options");
    let telemetry = members(&types, "TelemetryOptions");
    let members_of_telemetry = names(TELEMETRY_OPTIONS.iter().filter_map(|o| o.strip_prefix(TELEMETRY_PREFIX)));
    assert_eq!(telemetry, members_of_telemetry, "TelemetryOptions vs core::options");
    let dialects = literals(&types, "dialect?: ", ";");
    assert!(dialects.contains("auto"), "the dialect option takes \"auto\"");
    let named = literals(&types, "export type DialectName =", ";");
    assert_eq!(
        dialects.union(&named).cloned().collect::<BTreeSet<_>>(),
        names(DialectChoice::NAMES),
        "the TypeScript dialects"
    );
}

#[test]
fn the_typescript_kinds_and_their_subjects_are_the_cores() {
    let types = types();
    let group = |name: &str| literals(&types, &format!("export type {name} ="), ";");
    for (ts, subject) in [
        ("MessageFailureKind", Subject::Message),
        ("RunFailureKind", Subject::Run),
        ("RangeFailureKind", Subject::Range),
        ("OtherFailureKind", Subject::Other),
    ] {
        let core = names(FailureKind::ALL.iter().filter(|k| k.subject() == subject).map(|k| k.as_str()));
        assert_eq!(group(ts), core, "{ts} vs FailureKind::subject");
    }
    let agent = members(&types, "AgentEventData");
    assert_eq!(agent, names(AGENT_EVENTS), "AgentEventData vs AGENT_EVENTS");
    assert_eq!(members(&types, "TopicValues"), names(TOPICS), "TopicValues vs TOPICS");
}

#[test]
fn the_readme_kind_table_is_every_kind_at_its_severity() {
    let rows = table_after(&read("README.md"), "## What it detects");
    let listed: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(listed, names(FailureKind::ALL.iter().map(|k| k.as_str())), "README kinds vs FailureKind::ALL");
    for kind in FailureKind::ALL {
        let row = rows.iter().find(|r| r[0] == kind.as_str()).unwrap();
        assert!(row[1].contains(kind.severity().as_str()), "{}: README says {}", kind.as_str(), row[1]);
    }
}

#[test]
fn the_readme_rust_test_example_is_the_test_that_runs() {
    let test = read("tests/browser_scripted.rs");
    let begin = "// README example: begin\n";
    let example = &test[test.find(begin).unwrap() + begin.len()..test.find("// README example: end").unwrap()];
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("```rust,ignore\n{example}```")),
        "README's Rust test example differs from tests/browser_scripted.rs"
    );
}

#[test]
fn the_readme_node_example_is_the_test_that_runs() {
    let test = read("tests/node/esm.mjs");
    let begin = "// README example: begin\n";
    let example = &test[test.find(begin).unwrap() + begin.len()..test.find("// README example: end").unwrap()];
    let example: String = example.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!("{l}\n")).collect();
    assert!(
        read("README.md").contains(&format!("```js\n{example}```")),
        "README's Node example differs from tests/node/esm.mjs"
    );
}

#[test]
fn the_readme_opentelemetry_example_is_the_fixture_app_that_runs() {
    let app = read("tests/fixtures/otel/src/main.js");
    let begin = "// README example: begin\n";
    let example = &app[app.find(begin).unwrap() + begin.len()..app.find("  // README example: end").unwrap()];
    let example: String = example.lines().map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l))).collect();
    assert!(
        read("README.md").contains(&format!("```js\n{example}```")),
        "README's OpenTelemetry example differs from tests/fixtures/otel/src/main.js"
    );
}
