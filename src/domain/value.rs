//! Values as people type and read them: amounts in đồng, local date-times,
//! e-mail addresses, query strings.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// `datetime-local` value of a UTC time in the unit's time zone.
pub fn local_input(dt: &DateTime<Utc>, tz: Tz) -> String {
    dt.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` (or `dd/mm/yyyy HH:MM`) value typed in the unit's time zone.
pub fn parse_local(value: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let v = value.trim();
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%d/%m/%Y %H:%M"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// An amount in whole đồng: digits with optional `.`/`,`/space thousands separators
/// ("1.250.000"); no decimals, no sign.
pub fn parse_amount(value: &str) -> Option<i64> {
    let v = value.trim().trim_end_matches(['₫', 'đ']).trim();
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' '))
    {
        return None;
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok()
}

/// `1.250.000 ₫`.
pub fn fmt_vnd(amount: i64) -> String {
    format!("{} ₫", fmt_thousands(amount))
}

/// `1.250.000`: thousands grouped with dots, as Vietnamese writes numbers.
/// A count as shown, with "+" when counting stopped at a cap ("500+").
pub fn fmt_at_least(n: i64, more: bool) -> String {
    let n = fmt_thousands(n);
    if more {
        format!("{n}+")
    } else {
        n
    }
}

pub fn fmt_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out}", if n < 0 { "-" } else { "" })
}

/// A pragmatic address check: one `@`, a dotted domain, no spaces or control
/// characters, at most 254 characters.
pub fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
}

/// A keyset position (a row's time and id) as a query-string value:
/// `<unix microseconds>_<id>`.
pub fn cursor(at: DateTime<Utc>, id: i64) -> String {
    format!("{}_{id}", at.timestamp_micros())
}

/// The time and id of a [`cursor`]; None for anything else.
pub fn parse_cursor(v: &str) -> Option<(DateTime<Utc>, i64)> {
    let (micros, id) = v.split_once('_')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.parse().ok()?))
}

/// Percent-encodes a value for a query string.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// "1.5 MB"-style sizes for people; under 1 KB in bytes ("512 B", not "0 KB").
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_vietnamese_separators_only() {
        assert_eq!(parse_amount("1.250.000"), Some(1_250_000));
        assert_eq!(parse_amount("1,250,000 ₫"), Some(1_250_000));
        assert_eq!(parse_amount(" 500000 "), Some(500_000));
        assert_eq!(parse_amount("-5"), None);
        assert_eq!(parse_amount("1.5e6"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(fmt_vnd(1_250_000), "1.250.000 ₫");
        assert_eq!(fmt_vnd(0), "0 ₫");
    }

    #[test]
    fn local_times_are_read_in_the_unit_time_zone() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let d = parse_local("2026-12-01T07:30", tz).expect("parse");
        assert_eq!(d.to_rfc3339(), "2026-12-01T00:30:00+00:00");
        assert_eq!(parse_local("01/12/2026 07:30", tz), Some(d));
        assert_eq!(local_input(&d, tz), "2026-12-01T07:30");
        assert!(parse_local("2026-13-01T07:30", tz).is_none());
    }

    #[test]
    fn sizes_under_a_kilobyte_are_in_bytes() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
    }
}
