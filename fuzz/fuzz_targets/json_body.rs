//! Body decoding and schema validation: JSON (with the nesting limit), urlencoded and
//! multipart bodies decoded by a route's body plan and validated against the schemas
//! routes declare, with the pydantic-style error entries built for every failure.
//!
//! Input: `content-type` NUL body. Without a NUL the whole input is a JSON body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use spikard_core::request_body::{json_depth_exceeds, BodyPlan, FileSpec};
use spikard_core::validation::SchemaValidator;

const MAX_DEPTH: usize = 32;

fn plans() -> &'static [(BodyPlan, SchemaValidator)] {
    static PLANS: OnceLock<Vec<(BodyPlan, SchemaValidator)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        spikard_fuzz::schemas()
            .into_iter()
            .map(|schema| {
                let files = vec![FileSpec {
                    name: "avatar".into(),
                    content_type: vec!["image/png".into(), "text/plain".into()],
                    validate_magic_numbers: true,
                    max_size: Some(1024),
                    ..Default::default()
                }];
                let plan = BodyPlan::compile(Some(schema.clone()), None, MAX_DEPTH, files).expect("schema compiles");
                (plan, SchemaValidator::compile(&schema).expect("schema compiles"))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let parts = spikard_fuzz::split_nul(data, 2);
    let (content_type, body) = match parts.as_slice() {
        [ct, body] => (std::str::from_utf8(ct).ok(), *body),
        _ => (Some("application/json"), data),
    };
    let too_deep = json_depth_exceeds(body, MAX_DEPTH);
    if !too_deep {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            for (_, validator) in plans() {
                let errors = validator.validate(&value, &[]);
                // The quick check and the full validation agree.
                assert_eq!(validator.is_valid(&value), errors.is_empty());
                for e in &errors {
                    assert!(!e.error_type.is_empty() && !e.msg.is_empty());
                }
            }
        }
    }
    for (plan, _) in plans() {
        match plan.decode(content_type, body) {
            Ok(_) => {}
            Err(e) => assert!(e.status() < 500, "decoding answered {}: {e}", e.status()),
        }
    }
});
