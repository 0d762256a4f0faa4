//! Telemetry through the application's own OpenTelemetry SDK (`telemetry: { logger, meter }`):
//! each [`Observation`] the core hands over becomes a `logger.emit(…)`, a `counter.add(…)` or
//! a `histogram.record(…)`. The core decides what and when; the application's SDK batches and
//! exports. A logger or an instrument that throws loses that one observation, said on the
//! console.

use alloc::vec::Vec;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::core::{AttributeValue, Instrument, LogRecord, Measurement, Observation, LATENCY_BOUNDS_MS};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// `meter.createHistogram(name, {unit, description, advice: {explicitBucketBoundaries:
    /// bounds}})` for a histogram, else `meter.createCounter(name, {unit, description})`.
    #[wasm_bindgen(catch)]
    fn otel_instrument(
        meter: &JsValue,
        histogram: bool,
        name: &str,
        unit: &str,
        description: &str,
        bounds: &[f64],
    ) -> Result<JsValue, JsValue>;
    /// `logger.emit({timestamp, severityNumber, severityText, body, attributes})`, the
    /// attributes given as `[key, value, …]`.
    fn otel_emit(
        logger: &JsValue,
        timestamp: f64,
        severity_number: u8,
        severity_text: &str,
        body: &str,
        attributes: Array,
    );
    /// `instrument.record(value, attributes)` for a histogram, else `instrument.add(…)`; the
    /// attributes `{[key]: value}`, or none when `key` is `undefined`.
    fn otel_measure(instrument: &JsValue, histogram: bool, value: f64, key: Option<&str>, attribute: Option<&str>);
}

/// The application meter's instruments, one per [`Instrument`], made once with the client.
pub(crate) struct Instruments(Vec<JsValue>);

impl Instruments {
    /// `None` when the meter makes no instrument (not a meter, or it threw).
    pub(crate) fn new(meter: &JsValue) -> Option<Self> {
        let bounds = LATENCY_BOUNDS_MS.map(|ms| ms as f64);
        let make = |i: Instrument| {
            let made = otel_instrument(meter, i.is_histogram(), i.name(), i.unit(), i.description(), &bounds);
            made.ok().filter(JsValue::is_object)
        };
        Instrument::ALL.into_iter().map(make).collect::<Option<Vec<_>>>().map(Instruments)
    }
}

/// Where observations go (the `telemetry` option's logger and meter).
pub(crate) struct Application {
    pub(crate) logger: Option<JsValue>,
    pub(crate) instruments: Option<Instruments>,
}

impl Application {
    /// The call that hands `observation` to the application, to make with no borrow held.
    pub(crate) fn work(&self, observation: Observation) -> Option<Work> {
        match observation {
            Observation::Record(record) => self.logger.clone().map(|logger| Work::Emit(logger, record)),
            Observation::Measurement(measurement) => {
                let instrument = self.instruments.as_ref()?.0.get(measurement.instrument.index())?;
                Some(Work::Measure(instrument.clone(), measurement))
            }
        }
    }
}

/// A call into the application's OpenTelemetry SDK.
pub(crate) enum Work {
    Emit(JsValue, LogRecord),
    Measure(JsValue, Measurement),
}

impl Work {
    pub(crate) fn run(self) {
        match self {
            Work::Emit(logger, record) => {
                let attributes = Array::new();
                for attribute in &record.attributes {
                    attributes.push(&JsValue::from_str(attribute.key));
                    attributes.push(&match &attribute.value {
                        AttributeValue::String(value) => JsValue::from_str(value),
                        AttributeValue::Int(value) => JsValue::from_f64(*value as f64),
                    });
                }
                let severity = record.severity;
                let time = record.time_unix_ms as f64;
                otel_emit(&logger, time, severity.number(), severity.text(), &record.body, attributes);
            }
            Work::Measure(instrument, m) => {
                let (key, value) = m.attribute.unzip();
                otel_measure(&instrument, m.instrument.is_histogram(), m.value as f64, key, value);
            }
        }
    }
}
