//! The Runner serializer's wire format (`@bluelibs/runner`'s `Serializer`), in Rust:
//! what `stringify` writes and `parse` reads, so typed values (dates, regular
//! expressions, maps, sets, bigints, binary, errors, URLs, symbols, `undefined`,
//! non-finite numbers) cross the tunnel and come back exactly.
//!
//! ```
//! use runner_tunnel::serializer::{parse, stringify, Value};
//!
//! let wire = br#"{"at":{"__type":"Date","value":"2024-02-29T12:00:00.000Z"},"n":{"__type":"BigInt","value":"12345678901234567890"}}"#;
//! let value = parse(wire).unwrap();
//! assert_eq!(value.get("n"), Some(&Value::BigInt("12345678901234567890".into())));
//! assert_eq!(stringify(&value).unwrap(), wire.to_vec());
//! ```

mod date;
mod decode;
mod encode;
pub mod regexp;
mod value;

pub use date::{format_iso, parse_iso};
pub use decode::{from_json, parse};
pub use encode::{stringify, write};
pub use value::{BinaryKind, ErrorValue, Object, Symbol, Value};

/// The prefix that escapes reserved object keys (`__type`, `__graph`) on the wire.
pub const ESCAPE_PREFIX: &str = "$runner.escape::";

/// Why a payload could not be read or a value could not be written (the package's
/// serializer error kinds).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SerializerError {
    #[error("Invalid JSON payload.")]
    InvalidJson,
    #[error("{0}")]
    InvalidPayload(String),
    #[error("{0}")]
    Validation(String),
    #[error("Maximum depth exceeded ({0})")]
    DepthExceeded(usize),
    #[error("{0}")]
    Reference(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    TypeRegistry(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(wire: &str) {
        let value = parse(wire.as_bytes()).unwrap_or_else(|e| panic!("{wire}: {e}"));
        assert_eq!(String::from_utf8(stringify(&value).unwrap()).unwrap(), wire);
    }

    #[test]
    fn every_builtin_type_round_trips() {
        for wire in [
            r#"{"a":1,"b":[true,null,"x"],"c":1.5,"d":-3}"#,
            r#"{"__type":"Undefined","value":null}"#,
            r#"[{"__type":"NonFiniteNumber","value":"NaN"},{"__type":"NonFiniteNumber","value":"-Infinity"}]"#,
            r#"{"__type":"BigInt","value":"-98765432109876543210"}"#,
            r#"{"__type":"Date","value":"2024-02-29T12:34:56.789Z"}"#,
            r#"{"__type":"RegExp","value":{"pattern":"^a\\d+$","flags":"gi"}}"#,
            r#"{"__type":"Map","value":[["k",{"__type":"Set","value":[1,2]}],[1,"one"]]}"#,
            r#"{"__type":"Symbol","value":{"kind":"For","key":"app.token"}}"#,
            r#"{"__type":"Symbol","value":{"kind":"WellKnown","key":"iterator"}}"#,
            r#"{"__type":"Error","value":{"name":"TypeError","message":"bad","customFields":{"code":42},"stack":"TypeError: bad","cause":"root"}}"#,
            r#"{"__type":"URL","value":"https://example.com/a?b=1"}"#,
            r#"{"__type":"URLSearchParams","value":"a=1&b=2"}"#,
            r#"{"__type":"Uint8Array","value":[0,1,255]}"#,
            r#"{"__type":"Float64Array","value":[0,0,0,0,0,0,240,63]}"#,
            r#"{"__type":"Buffer","value":[104,105]}"#,
            r#"{"__type":"ArrayBuffer","value":[]}"#,
            r#"{"$runner.escape::__type":"kept","$runner.escape::$runner.escape::x":1}"#,
        ] {
            round_trip(wire);
        }
    }

    #[test]
    fn reserved_keys_are_unescaped_and_unsafe_keys_dropped() {
        let value = parse(br#"{"$runner.escape::__type":"t","__proto__":{"x":1},"constructor":1,"ok":2}"#).unwrap();
        assert_eq!(
            value,
            Value::object([("__type", Value::from("t")), ("ok", Value::from(2.0))])
        );
    }

    #[test]
    fn sets_and_maps_keep_unique_members() {
        let set = parse(br#"{"__type":"Set","value":[1,1,{"__type":"NonFiniteNumber","value":"NaN"},{"__type":"NonFiniteNumber","value":"NaN"},{},{}]}"#).unwrap();
        let Value::Set(members) = set else { panic!("not a set") };
        assert_eq!(members.len(), 4);
        let map = parse(br#"{"__type":"Map","value":[["a",1],["b",2],["a",3]]}"#).unwrap();
        assert_eq!(
            map,
            Value::Map(vec![("a".into(), 3.0.into()), ("b".into(), 2.0.into())])
        );
    }

    #[test]
    fn bad_payloads_are_refused() {
        for (wire, error) in [
            (&b"{"[..], SerializerError::InvalidJson),
            (
                br#"{"__type":"Nope","value":1}"#,
                SerializerError::TypeRegistry("Unknown type: Nope".into()),
            ),
            (
                br#"{"__type":"BigInt","value":"1.5"}"#,
                SerializerError::InvalidPayload("Invalid bigint payload".into()),
            ),
            (
                br#"{"__type":"Uint8Array","value":[256]}"#,
                SerializerError::InvalidPayload("Invalid Uint8Array payload".into()),
            ),
            (
                br#"{"__type":"Uint16Array","value":[1]}"#,
                SerializerError::InvalidPayload("Invalid Uint16Array payload".into()),
            ),
            (
                br#"{"__type":"RegExp","value":{"pattern":"(a+)+","flags":""}}"#,
                SerializerError::Validation("Unsafe RegExp pattern".into()),
            ),
            (
                br#"{"__type":"RegExp","value":{"pattern":"a"}}"#,
                SerializerError::InvalidPayload("Invalid RegExp payload".into()),
            ),
            (
                br#"{"__type":"Symbol","value":{"kind":"Unique","key":"x"}}"#,
                SerializerError::InvalidPayload("Invalid symbol payload".into()),
            ),
            (
                br#"{"__type":"Error","value":{"name":1,"message":"m"}}"#,
                SerializerError::InvalidPayload("Invalid Error payload".into()),
            ),
            (
                br#"{"__type":"NonFiniteNumber","value":"1"}"#,
                SerializerError::InvalidPayload("Invalid non-finite number payload".into()),
            ),
        ] {
            assert_eq!(parse(wire), Err(error), "{}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn graph_payloads_resolve_shared_references_and_refuse_cycles() {
        let shared = br#"{"__graph":true,"version":1,"root":{"__ref":"obj_1"},"nodes":{
            "obj_1":{"kind":"object","value":{"a":{"__ref":"obj_2"},"b":{"__ref":"obj_2"}}},
            "obj_2":{"kind":"array","value":[1,{"__ref":"obj_3"}]},
            "obj_3":{"kind":"type","type":"Map","value":[["k","v"]]}}}"#;
        let value = parse(shared).unwrap();
        assert_eq!(value.get("a"), value.get("b"));
        assert_eq!(
            String::from_utf8(stringify(&value).unwrap()).unwrap(),
            r#"{"a":[1,{"__type":"Map","value":[["k","v"]]}],"b":[1,{"__type":"Map","value":[["k","v"]]}]}"#
        );
        let cycle = br#"{"__graph":true,"version":1,"root":{"__ref":"obj_1"},"nodes":{"obj_1":{"kind":"object","value":{"self":{"__ref":"obj_1"}}}}}"#;
        assert!(matches!(parse(cycle), Err(SerializerError::Unsupported(_))));
        let dangling = br#"{"__graph":true,"version":1,"root":{"__ref":"obj_9"},"nodes":{}}"#;
        assert!(matches!(parse(dangling), Err(SerializerError::Reference(_))));
    }

    #[test]
    fn numbers_are_written_as_javascript_reads_them() {
        let value = Value::Array(vec![
            3.0.into(),
            (-0.0).into(),
            0.1.into(),
            1e21.into(),
            2f64.powi(60).into(),
        ]);
        let text = String::from_utf8(stringify(&value).unwrap()).unwrap();
        assert_eq!(text, "[3,0,0.1,1e+21,1152921504606846976]");
        assert!(stringify(&Value::Date(f64::NAN)).is_err());
    }
}
