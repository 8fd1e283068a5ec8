//! String `format` checks where the project follows pydantic rather than RFC 3339.
//!
//! JSON Schema's `time` is RFC 3339 `full-time`, which requires a UTC offset
//! (`14:30:00Z`). pydantic's `time` (the vocabulary this project follows) accepts a
//! local time as people write it: `14:30`, `14:30:00`, `14:30:00.123456`, each with
//! an optional `Z` or `±HH:MM` offset. [`SchemaValidator`](crate::validation::SchemaValidator)
//! registers [`is_time`] for `format: time`.
//!
//! ```
//! use spikard_core::formats::is_time;
//! assert!(is_time("14:30:00"));
//! assert!(is_time("09:05+02:00"));
//! assert!(!is_time("25:00"));
//! ```

/// A time of day `HH:MM[:SS[.fraction]]` with an optional `Z` / `±HH:MM` / `±HHMM` offset.
pub fn is_time(value: &str) -> bool {
    let (clock, offset) = split_offset(value);
    offset.is_none_or(is_offset) && is_clock(clock)
}

fn split_offset(value: &str) -> (&str, Option<&str>) {
    if let Some(clock) = value.strip_suffix(['Z', 'z']) {
        return (clock, None);
    }
    match value.rfind(['+', '-']) {
        Some(at) => (&value[..at], Some(&value[at + 1..])),
        None => (value, None),
    }
}

fn is_clock(clock: &str) -> bool {
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let limits: &[u32] = &[23, 59, 59];
    let shape_ok = matches!((parts.len(), fraction), (2, None) | (3, _));
    shape_ok
        && parts
            .iter()
            .zip(limits)
            .all(|(p, max)| two_digits(p).is_some_and(|n| n <= *max))
        && fraction.is_none_or(|f| !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()))
}

fn is_offset(offset: &str) -> bool {
    let (h, m) = match offset.split_once(':') {
        Some(hm) => hm,
        None if offset.len() == 4 => offset.split_at(2),
        None => return false,
    };
    two_digits(h).is_some_and(|h| h <= 23) && two_digits(m).is_some_and(|m| m <= 59)
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::is_time;

    #[test]
    fn accepts_local_and_offset_times() {
        for ok in [
            "00:00",
            "23:59:59",
            "14:30:00.5",
            "14:30:00.123456Z",
            "07:15-05:30",
            "07:15:00+0100",
        ] {
            assert!(is_time(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_out_of_range_and_malformed() {
        for bad in [
            "24:00",
            "12:60",
            "12:00:61",
            "7:15",
            "12",
            "12:00.5",
            "12:00:00.",
            "12:00+5",
            "noon",
            "",
        ] {
            assert!(!is_time(bad), "{bad}");
        }
    }
}
