//! A value of the binding's language the core holds by handle (a dependency, a generator,
//! an iterator, a background task, an exception): the binding keeps the value in a table
//! of its own, and the handle tells it when the core lets go.

use std::sync::{Arc, Weak};

use crate::di::Resolved;

/// Forgets the values behind handles the core let go of (the binding's table).
pub trait Releases: Send + Sync + 'static {
    /// Called from any thread when the last holder of `handle` dropped it.
    fn release(&self, handle: u32);
}

/// A handle into the binding's value table, released there when dropped.
pub struct Handle {
    pub id: u32,
    /// `None`: not released by this holder (registered with the app, or an alias).
    owner: Option<Weak<dyn Releases>>,
}

impl Handle {
    /// A handle `owner` releases when this is dropped (`None`: never released).
    pub fn new<R: Releases>(id: u32, owner: Option<&Arc<R>>) -> Self {
        Self {
            id,
            owner: owner.map(|o| Arc::downgrade(o) as Weak<dyn Releases>),
        }
    }

    /// The same handle, not released by this holder (another one releases it).
    pub fn alias(&self) -> Self {
        Self {
            id: self.id,
            owner: None,
        }
    }

    /// As a resolved dependency, labelled with the JSON type the value stands for (checked
    /// against a route's `expected_types`; an unknown name is no label).
    pub fn resolved(self, json_type: Option<&str>) -> Resolved {
        let known = ["null", "boolean", "integer", "number", "string", "array", "object"];
        let label = json_type.and_then(|t| known.into_iter().find(|k| *k == t));
        let r = Resolved::new(self);
        match label {
            Some(t) => r.with_type_name(t),
            None => r,
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.as_ref().and_then(Weak::upgrade) {
            owner.release(self.id);
        }
    }
}
