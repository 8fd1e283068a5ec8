//! The core's errors as Ruby exceptions: `Spikard::Error` (a `StandardError` with a
//! `code`) and its subclasses `ConfigError`, `RouteError` and `ServerError`, defined by
//! the package and raised here by the name the core picks (`SpikardError::class`).

use magnus::value::ReprValue;
use magnus::{Class, Error, ExceptionClass, Module, RModule, Ruby};
use spikard_core::error::ErrorClass;
use spikard_core::SpikardError;

fn raise(ruby: &Ruby, class: &str, code: &str, message: String) -> Error {
    let found = ruby
        .class_object()
        .const_get::<_, RModule>("Spikard")
        .and_then(|m| m.const_get::<_, ExceptionClass>(class));
    match found {
        Ok(cls) => match cls.new_instance((message.clone(), code)) {
            Ok(exception) => match magnus::Exception::from_value(exception.as_value()) {
                Some(e) => Error::from(e),
                None => Error::new(ruby.exception_runtime_error(), message),
            },
            Err(e) => e,
        },
        Err(_) => Error::new(ruby.exception_runtime_error(), message),
    }
}

/// A core error as the package's exception of its class.
pub fn rb_error(ruby: &Ruby, err: &SpikardError) -> Error {
    raise(ruby, err.class().name(), err.code(), err.to_string())
}

/// The server's I/O failure (an address in use, a refused bind) as `Spikard::ServerError`
/// or the class the core picks.
pub fn server_error(ruby: &Ruby, err: &std::io::Error) -> Error {
    let (class, message, code): (ErrorClass, String, &str) = ErrorClass::of_server_failure(err);
    raise(ruby, class.name(), code, message)
}

/// A misuse of the native API (a wrong argument the package should not pass).
pub fn argument(ruby: &Ruby, message: impl Into<String>) -> Error {
    Error::new(ruby.exception_arg_error(), message.into())
}
