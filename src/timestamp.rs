//! Timestamps as the AWS CLI writes them (`2026-11-22T17:00:00Z`) and as we may
//! find them: RFC 3339 with any offset or fractional seconds, and the older CLI's
//! `…UTC` suffix. Pure functions.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds.
pub fn format_utc(t: OffsetDateTime) -> String {
    let c = compact_utc(t);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &c[0..4],
        &c[4..6],
        &c[6..8],
        &c[8..10],
        &c[10..12],
        &c[12..14]
    )
}

/// The instants sso-helper accepts from a file or the network: UTC, from 1970 to
/// the end of 9998, so that adding a year to one never overflows and every one
/// formats as `YYYY-MM-DDTHH:MM:SSZ`. Anything else (an RFC 3339 value such as
/// `9999-12-31T23:59:59-23:59`, which is year 10000 in UTC) is `None`: a cache
/// miss or a malformed answer, never a panic.
pub fn in_range(t: OffsetDateTime) -> Option<OffsetDateTime> {
    let utc = t.checked_to_offset(UtcOffset::UTC)?;
    (1970..=9998).contains(&utc.year()).then_some(utc)
}

/// `YYYYMMDDHHMMSS`, UTC (backup file names).
pub fn compact_utc(t: OffsetDateTime) -> String {
    // Out of range only for a value that skipped `in_range`: keep its own offset.
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses what the AWS CLI, botocore, smithy-rs or an older CLI may have written,
/// within `in_range`.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    parse_any(s).and_then(in_range)
}

fn parse_any(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // `2021-01-20T05:40:13UTC` (old CLI v2), or a zone-less `…T05:40:13` taken as UTC.
    let bare = s
        .strip_suffix("UTC")
        .or_else(|| s.strip_suffix("+00:00"))
        .unwrap_or(s)
        .trim_end();
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let fmt_frac = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    PrimitiveDateTime::parse(bare, &fmt)
        .or_else(|_| PrimitiveDateTime::parse(bare, &fmt_frac))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Epoch milliseconds (the portal's `expiration`) to a UTC instant, within
/// `in_range`.
pub fn from_epoch_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(in_range)
}

/// Epoch seconds (OIDC's `clientSecretExpiresAt`) to a UTC instant, within
/// `in_range`.
pub fn from_epoch_seconds(s: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(s)
        .ok()
        .and_then(in_range)
}

/// `now` plus `seconds` from the network (`expiresIn`), when `seconds` is within
/// `1..=max` — else `None`.
pub fn after(now: OffsetDateTime, seconds: i64, max: time::Duration) -> Option<OffsetDateTime> {
    let d = time::Duration::seconds(seconds);
    if seconds < 1 || d > max {
        return None;
    }
    now.checked_add(d).and_then(in_range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn out_of_range_values_are_none_not_panics() {
        for s in [
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert_eq!(from_epoch_millis(i64::MAX), None);
        assert_eq!(from_epoch_millis(i64::MIN), None);
        assert_eq!(from_epoch_seconds(i64::MAX), None);
        let now = datetime!(2026-11-23 12:00:00 UTC);
        let year = time::Duration::days(366);
        assert_eq!(after(now, i64::MAX, year), None);
        assert_eq!(after(now, 1_000_000_000_000_000, year), None);
        assert_eq!(after(now, 0, year), None);
        assert_eq!(after(now, -5, year), None);
        assert_eq!(
            after(now, 3600, year),
            Some(datetime!(2026-11-23 13:00:00 UTC))
        );
        assert_eq!(
            parse("2026-11-23T12:00:00-05:00"),
            Some(datetime!(2026-11-23 17:00:00 UTC))
        );
    }

    #[test]
    fn formats_like_the_aws_cli() {
        assert_eq!(
            format_utc(datetime!(2026-11-22 17:00:00.9 UTC)),
            "2026-11-22T17:00:00Z"
        );
        assert_eq!(
            format_utc(datetime!(2026-11-22 18:00:00 +01:00)),
            "2026-11-22T17:00:00Z"
        );
    }

    #[test]
    fn parses_leniently() {
        let want = datetime!(2026-11-22 17:00:00 UTC);
        for s in [
            "2026-11-22T17:00:00Z",
            "2026-11-22T17:00:00UTC",
            "2026-11-22T17:00:00+00:00",
            "2026-11-22T18:00:00+01:00",
            "2026-11-22T17:00:00",
            " 2026-11-22T17:00:00Z ",
        ] {
            assert_eq!(parse(s), Some(want), "{s}");
        }
        assert_eq!(
            parse("2026-11-22T17:00:00.250Z"),
            Some(want + time::Duration::milliseconds(250))
        );
        for bad in ["", "yesterday", "2026-13-40T00:00:00Z", "1700000000"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_millis() {
        assert_eq!(
            from_epoch_millis(1_795_000_000_000)
                .map(format_utc)
                .as_deref(),
            Some("2026-11-18T11:06:40Z")
        );
    }
}
