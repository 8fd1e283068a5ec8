//! Query strings and `application/x-www-form-urlencoded` bodies: the pair parser, the
//! object parser, bracket nesting (`a[b][0]=1`) and coercion against a schema, and the
//! parameter plan extracting typed query parameters.
//!
//! Input: the raw query / form bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use spikard_core::body::form_nesting::nest_brackets;
use spikard_core::body::{parse_pairs, parse_urlencoded};
use spikard_core::params::{coerce_form, ParamSource, ParamSpec, ParameterPlan, RawParams};

fn plan() -> &'static ParameterPlan {
    static PLAN: OnceLock<ParameterPlan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let specs = [
            (
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
            ),
            ("tag", json!({"type": "string", "optional": true})),
            (
                "ids",
                json!({"type": "array", "items": {"type": "integer"}, "optional": true}),
            ),
            (
                "csv",
                json!({"type": "array", "items": {"type": "number"}, "separator": ",", "optional": true}),
            ),
            ("on", json!({"type": "boolean", "optional": true})),
            ("when", json!({"type": "string", "format": "date", "optional": true})),
            ("sort", json!({"enum": ["asc", "desc"], "optional": true})),
            ("q", json!({"type": "string", "minLength": 2, "pattern": "^[a-z ]+$"})),
        ];
        let specs = specs
            .iter()
            .map(|(name, schema)| ParamSpec::from_schema(name, ParamSource::Query, schema))
            .collect();
        ParameterPlan::compile(specs).expect("the query schemas compile")
    })
}

fuzz_target!(|data: &[u8]| {
    let pairs = parse_pairs(data);
    let form = parse_urlencoded(data);
    // Both parsers agree on whether the input decodes.
    assert_eq!(pairs.is_ok(), form.is_ok(), "parse_pairs and parse_urlencoded disagree");
    if let Ok(pairs) = &pairs {
        let raw = RawParams {
            query: pairs,
            ..Default::default()
        };
        let _ = plan().extract(&raw);
    }
    if let Ok(form) = form {
        for schema in spikard_fuzz::schemas() {
            if let Ok(nested) = nest_brackets(form.clone(), Some(&schema)) {
                let coerced = coerce_form(nested, &schema);
                let _ = serde_json::to_vec(&Value::Object(coerced));
            }
        }
        let _ = nest_brackets(form, None);
    }
});
