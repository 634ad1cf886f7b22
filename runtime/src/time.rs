//! Provider timestamps → RFC 3339 UTC instants, whatever format and zone the provider uses.

use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The name of the format that accepts any RFC 3339 / ISO 8601 instant with an offset.
pub const RFC3339: &str = "rfc3339";

/// Resolves an IANA time zone name (`Europe/Amsterdam`, `UTC`).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("unknown time zone `{name}`: {e}"))
}

/// Parses `text` with the first format that accepts it. Formats without an offset are read
/// as wall-clock time in `tz`.
pub fn parse_timestamp(text: &str, formats: &[&str], tz: &TimeZone) -> Result<Timestamp, String> {
    for format in formats {
        if *format == RFC3339 {
            if let Ok(ts) = text.parse::<Timestamp>() {
                return Ok(ts);
            }
            continue;
        }
        if let Ok(parsed) = strtime::parse(format, text) {
            if let Ok(ts) = parsed.to_timestamp() {
                return Ok(ts);
            }
            if let Ok(dt) = parsed.to_datetime() {
                return local_to_timestamp(dt, tz);
            }
        }
    }
    Err(format!(
        "`{text}` matches none of the formats {}",
        formats.join(", ")
    ))
}

fn local_to_timestamp(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, String> {
    // Ambiguous wall-clock times (the repeated hour in autumn) take the earlier instant.
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z: Zoned| z.timestamp())
        .map_err(|e| format!("`{dt}` does not exist in the time zone: {e}"))
}

/// Parses a calendar date: `YYYY-MM-DD`, or a timestamp read in `tz`.
pub fn parse_date(
    text: &str,
    formats: &[&str],
    tz: &TimeZone,
) -> Result<jiff::civil::Date, String> {
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d);
    }
    for format in formats {
        if let Ok(d) = strtime::parse(format, text).and_then(|p| p.to_date()) {
            return Ok(d);
        }
    }
    parse_timestamp(text, formats, tz).map(|ts| ts.to_zoned(tz.clone()).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_local_times_become_utc() {
        let tz = zone("Europe/Amsterdam").unwrap();
        let f = ["%Y-%m-%d %H:%M:%S", RFC3339];
        // Winter: UTC+1; summer: UTC+2.
        let ts = parse_timestamp("2024-02-19 16:00:08", &f, &tz).unwrap();
        assert_eq!(ts.to_string(), "2024-02-19T15:00:08Z");
        let ts = parse_timestamp("2023-07-04 09:16:42", &f, &tz).unwrap();
        assert_eq!(ts.to_string(), "2023-07-04T07:16:42Z");
        let ts = parse_timestamp("2021-12-06T13:02:53.000000Z", &f, &tz).unwrap();
        assert_eq!(ts.to_string(), "2021-12-06T13:02:53Z");
        assert!(parse_timestamp("yesterday", &f, &tz).is_err());
    }
}
