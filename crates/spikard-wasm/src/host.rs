//! Values between JavaScript and Rust, and how the dispatcher wakes JavaScript.

use std::sync::{Arc, Weak};

use js_sys::{Array, Function, Object, Reflect};
use send_wrapper::SendWrapper;
use serde_json::Value;
use spikard_core::SpikardError;
use spikard_js::app::described_error;
use spikard_js::dispatch::{Dispatcher, JsCall, Wake};
use wasm_bindgen::JsValue;

/// A core error as the JavaScript `Error` the package rethrows as its class (the message
/// is `{"class", "code", "message"}`).
pub fn js_error(err: &SpikardError) -> JsValue {
    js_sys::Error::new(&described_error(err)).into()
}

/// A JavaScript value as JSON (what the core's declarations and configs are read from).
pub fn to_json(value: JsValue, what: &str) -> Result<Value, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| js_error(&SpikardError::Config(format!("{what}: {e}"))))
}

/// A plain struct of the shared protocol from a JavaScript object (`None` for `undefined`/`null`).
pub fn read<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<Option<T>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(value)
        .map(Some)
        .map_err(|e| js_error(&SpikardError::Internal(format!("{what}: {e}"))))
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// JSON as a JavaScript value; integers beyond 2^53 become `BigInt`s (exact).
pub fn from_json(value: &Value) -> JsValue {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) if u > MAX_SAFE => js_sys::BigInt::from(u).into(),
            (None, Some(i)) if i.unsigned_abs() > MAX_SAFE => js_sys::BigInt::from(i).into(),
            _ => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(from_json).collect::<Array>().into(),
        Value::Object(map) => {
            let out = Object::new();
            for (k, v) in map {
                set(&out, k, &from_json(v));
            }
            out.into()
        }
    }
}

/// One call as the package's dispatcher reads it: `{id, func, args, json}`.
fn call_object(call: &JsCall) -> JsValue {
    let out = Object::new();
    set(&out, "id", &JsValue::from(call.id));
    set(&out, "func", &JsValue::from(call.func));
    set(&out, "args", &call.args.iter().map(from_json).collect::<Array>());
    let json = call.json.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    set(&out, "json", &json);
    out.into()
}

/// The wake-up inside the host's event loop: a microtask drains the dispatcher and hands
/// the calls to the package's `dispatch(calls)` (never from inside the call that queued
/// them, so JavaScript does not run in the middle of a poll).
struct MicrotaskWake {
    dispatch: SendWrapper<Function>,
    dispatcher: Weak<Dispatcher>,
}

impl Wake for MicrotaskWake {
    fn wake(&self) -> Result<(), String> {
        let dispatch = (*self.dispatch).clone();
        let dispatcher = self.dispatcher.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(d) = dispatcher.upgrade() else { return };
            let calls: Array = d.drain().iter().map(call_object).collect();
            if let Err(e) = dispatch.call1(&JsValue::NULL, &calls) {
                // The package's dispatcher settles every call itself; reaching here is a bug there.
                web_log(&format!("spikard: the dispatcher threw: {e:?}"));
            }
        });
        Ok(())
    }
}

/// `console.error(message)`.
pub fn web_log(message: &str) {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("console"))
        .ok()
        .and_then(|console| {
            let error = Reflect::get(&console, &JsValue::from_str("error")).ok()?;
            let error: Function = error.into();
            error.call1(&console, &JsValue::from_str(message)).ok()
        });
}

/// Log a panic's message and place with `console.error` before the module traps (a panic
/// aborts: the package turns the trap into a 500 problem and starts a fresh instance).
pub fn log_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| web_log(&format!("spikard (wasm) panicked: {info}"))));
    });
}

/// A dispatcher handing its calls to `dispatch(calls)`.
pub fn dispatcher(dispatch: Function) -> Arc<Dispatcher> {
    let dispatcher = Dispatcher::new();
    dispatcher.set_wake(MicrotaskWake {
        dispatch: SendWrapper::new(dispatch),
        dispatcher: Arc::downgrade(&dispatcher),
    });
    dispatcher
}
