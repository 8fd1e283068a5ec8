//! The values the Runner serializer carries: JSON's, plus the JavaScript types it
//! round-trips (`undefined`, non-finite numbers, `bigint`, `Date`, `RegExp`, `Map`, `Set`,
//! registered symbols, `Error`, `URL`, `URLSearchParams` and the binary types).

use indexmap::IndexMap;

/// A plain object: keys in insertion order.
pub type Object = IndexMap<String, Value>;

/// One value of the Runner wire format.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    /// Any JavaScript number (NaN and the infinities included).
    Number(f64),
    String(String),
    /// A `bigint` as canonical decimal digits (`-12`, `0`, `123456789012345678901234567890`).
    BigInt(String),
    /// A `Date` as milliseconds since the epoch (`NaN` for an invalid date).
    Date(f64),
    RegExp {
        pattern: String,
        flags: String,
    },
    /// A `Map`: entries in insertion order, keys unique (SameValueZero for primitives).
    Map(Vec<(Value, Value)>),
    /// A `Set`: values in insertion order, unique (SameValueZero for primitives).
    Set(Vec<Value>),
    Symbol(Symbol),
    Error(Box<ErrorValue>),
    /// A `URL` by its `href`.
    Url(String),
    /// `URLSearchParams` by its string form (`a=1&b=2`).
    UrlSearchParams(String),
    /// `ArrayBuffer`, `DataView`, Node's `Buffer` or a typed array, by its bytes.
    Binary(BinaryKind, Vec<u8>),
    Array(Vec<Value>),
    Object(Object),
}

/// A symbol the serializer can carry: registered (`Symbol.for(key)`) or well known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbol {
    For(String),
    WellKnown(String),
}

/// An `Error` object: its name, message, optional stack and cause, and own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorValue {
    pub name: String,
    pub message: String,
    pub stack: Option<String>,
    /// `Some` when the error had its own `cause` property (which may be `undefined`).
    pub cause: Option<Value>,
    pub custom_fields: Object,
}

/// The binary types, by their JavaScript constructor name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryKind {
    ArrayBuffer,
    DataView,
    Buffer,
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
}

impl BinaryKind {
    pub const ALL: [BinaryKind; 14] = [
        Self::ArrayBuffer,
        Self::DataView,
        Self::Buffer,
        Self::Int8Array,
        Self::Uint8Array,
        Self::Uint8ClampedArray,
        Self::Int16Array,
        Self::Uint16Array,
        Self::Int32Array,
        Self::Uint32Array,
        Self::Float32Array,
        Self::Float64Array,
        Self::BigInt64Array,
        Self::BigUint64Array,
    ];

    /// The `__type` id on the wire (the constructor's name).
    pub fn type_id(self) -> &'static str {
        match self {
            Self::ArrayBuffer => "ArrayBuffer",
            Self::DataView => "DataView",
            Self::Buffer => "Buffer",
            Self::Int8Array => "Int8Array",
            Self::Uint8Array => "Uint8Array",
            Self::Uint8ClampedArray => "Uint8ClampedArray",
            Self::Int16Array => "Int16Array",
            Self::Uint16Array => "Uint16Array",
            Self::Int32Array => "Int32Array",
            Self::Uint32Array => "Uint32Array",
            Self::Float32Array => "Float32Array",
            Self::Float64Array => "Float64Array",
            Self::BigInt64Array => "BigInt64Array",
            Self::BigUint64Array => "BigUint64Array",
        }
    }

    pub fn from_type_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_id() == id)
    }

    /// Bytes per element: a typed array's payload is a whole number of elements.
    pub fn element_size(self) -> usize {
        match self {
            Self::Int16Array | Self::Uint16Array => 2,
            Self::Int32Array | Self::Uint32Array | Self::Float32Array => 4,
            Self::Float64Array | Self::BigInt64Array | Self::BigUint64Array => 8,
            _ => 1,
        }
    }
}

impl Value {
    /// A plain object from pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Self {
        Self::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A member of an object (`None` for other values and missing keys).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Object(map) => map.get(key),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// `undefined`, `null`, booleans, numbers, strings, bigints and symbols: compared by
    /// value (SameValueZero) in `Map` keys and `Set` members; everything else by identity,
    /// so never equal to another decoded value.
    pub fn same_value_zero(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::Undefined, Self::Undefined) | (Self::Null, Self::Null) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Number(a), Self::Number(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Self::String(a), Self::String(b)) | (Self::BigInt(a), Self::BigInt(b)) => a == b,
            (Self::Symbol(a), Self::Symbol(b)) => a == b,
            _ => false,
        }
    }

    /// Convert plain JSON (as `serde_json` holds it) into a value, with no typed records.
    pub fn from_json(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(b),
            serde_json::Value::Number(n) => Self::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Self::String(s),
            serde_json::Value::Array(items) => Self::Array(items.into_iter().map(Self::from_json).collect()),
            serde_json::Value::Object(map) => {
                Self::Object(map.into_iter().map(|(k, v)| (k, Self::from_json(v))).collect())
            }
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Self::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Number(n as f64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Self::Array(items)
    }
}
