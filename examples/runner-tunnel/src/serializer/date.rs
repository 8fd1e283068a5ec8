//! `Date` on the wire: JavaScript's `toISOString()` form (`2024-02-29T12:34:56.789Z`,
//! `+275760-09-13T00:00:00.000Z` beyond year 9999) read into milliseconds since the
//! epoch and written back the same way, as `new Date(iso)` and `toISOString()` do.

/// The largest time value a JavaScript `Date` holds (±100,000,000 days).
const MAX_TIME: f64 = 8.64e15;
const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A tiny cursor over the ASCII of a date string.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, count: usize) -> Option<i64> {
        let end = self.pos.checked_add(count)?;
        let slice = self.bytes.get(self.pos..end)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos = end;
        Some(slice.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
}

/// Milliseconds since the epoch of an ISO 8601 date string in the forms JavaScript's
/// `Date` parses (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, each optionally followed by
/// `THH:mm`, `:ss`, `.sss` and `Z` or `±HH:mm`; `±YYYYYY` years); `NaN` for anything
/// else (an invalid date, as `new Date("nonsense")` gives). A time without an offset is
/// read as UTC.
pub fn parse_iso(text: &str) -> f64 {
    parse(text).unwrap_or(f64::NAN)
}

fn parse(text: &str) -> Option<f64> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = match c.peek()? {
        b'+' | b'-' => {
            let negative = c.peek() == Some(b'-');
            c.pos += 1;
            let y = c.digits(6)?;
            if negative && y == 0 {
                return None;
            }
            if negative {
                -y
            } else {
                y
            }
        }
        _ => c.digits(4)?,
    };
    let (mut month, mut day) = (1, 1);
    if c.eat(b'-') {
        month = c.digits(2)?;
        if c.eat(b'-') {
            day = c.digits(2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_minutes = 0;
    if c.eat(b'T') {
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') {
                let start = c.pos;
                while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.pos += 1;
                }
                let frac = &text[start..c.pos];
                if frac.is_empty() {
                    return None;
                }
                let padded = format!("{:0<3}", &frac[..frac.len().min(3)]);
                millis = padded.parse::<i64>().ok()?;
            }
        }
        if hour > 24 || minute > 59 || second > 59 || (hour == 24 && (minute, second, millis) != (0, 0, 0)) {
            return None;
        }
        match c.peek() {
            Some(b'Z') => c.pos += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.pos += 1;
                let h = c.digits(2)?;
                if !c.eat(b':') {
                    return None;
                }
                let m = c.digits(2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                offset_minutes = (h * 60 + m) * if sign == b'-' { -1 } else { 1 };
            }
            _ => {}
        }
    }
    if c.pos != c.bytes.len() {
        return None;
    }
    let ms = days_from_civil(year, month, day) * MS_PER_DAY
        + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000
        + millis;
    let ms = ms as f64;
    (ms.abs() <= MAX_TIME).then_some(ms)
}

/// A time value as `Date` holds it: `NaN` outside the representable range, whole
/// milliseconds otherwise (`new Date(number)` truncates the same way).
pub fn time_clip(ms: f64) -> f64 {
    if !ms.is_finite() || ms.abs() > MAX_TIME {
        return f64::NAN;
    }
    ms.trunc() + 0.0
}

/// `toISOString()`: `None` for an invalid date (JavaScript throws a `RangeError`).
pub fn format_iso(ms: f64) -> Option<String> {
    if !ms.is_finite() || ms.abs() > MAX_TIME {
        return None;
    }
    let ms = ms as i64;
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year < 0 {
        format!("-{:06}", -year)
    } else {
        format!("+{year:06}")
    };
    Some(format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_round_trip() {
        for iso in [
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T12:34:56.789Z",
            "1969-12-31T23:59:59.999Z",
            "0000-01-01T00:00:00.000Z",
            "-000001-12-31T00:00:00.000Z",
            "+275760-09-13T00:00:00.000Z",
            "-271821-04-20T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
            "+010000-01-01T00:00:00.000Z",
        ] {
            let ms = parse_iso(iso);
            assert!(ms.is_finite(), "{iso}");
            assert_eq!(format_iso(ms).as_deref(), Some(iso));
        }
        assert_eq!(parse_iso("2024-02-29T12:34:56.789Z"), 1_709_210_096_789.0);
    }

    #[test]
    fn shorter_forms_and_offsets() {
        assert_eq!(parse_iso("1970"), 0.0);
        assert_eq!(parse_iso("1970-01-02"), 86_400_000.0);
        assert_eq!(parse_iso("1970-01-01T01:00+01:00"), 0.0);
        assert_eq!(parse_iso("1970-01-01T00:00:00.1234Z"), 123.0);
        assert_eq!(parse_iso("1970-01-01T24:00:00Z"), 86_400_000.0);
    }

    #[test]
    fn invalid_dates_are_nan() {
        for bad in [
            "",
            "nonsense",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T25:00Z",
            "2024-01-01T10:00:00.Z",
            "-000000-01-01",
            "+275760-09-13T00:00:00.001Z",
            "2024-01-01Z",
        ] {
            assert!(parse_iso(bad).is_nan(), "{bad}");
        }
        assert_eq!(format_iso(f64::NAN), None);
        assert_eq!(time_clip(1.9), 1.0);
        assert!(time_clip(9e15).is_nan());
    }
}
