//! Provider timestamps → RFC 3339 UTC instants, whatever format and zone the provider uses.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;

/// The name of the format that accepts any RFC 3339 / ISO 8601 instant with an offset.
pub const RFC3339: &str = "rfc3339";
/// The name of the format that reads seconds since the Unix epoch (a number, or its text).
pub const UNIX: &str = "unix";

/// Resolves an IANA time zone name (`Europe/Amsterdam`, `UTC`).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("unknown time zone `{name}`: {e}"))
}

/// Parses `text` with the first format that accepts it. Formats without an offset are read
/// as wall-clock time in `tz`.
pub fn parse_timestamp(
    text: &str,
    formats: &[impl AsRef<str>],
    tz: &TimeZone,
) -> Result<Timestamp, String> {
    for format in formats.iter().map(AsRef::as_ref) {
        if format == RFC3339 {
            if let Ok(ts) = text.parse::<Timestamp>() {
                return Ok(ts);
            }
            continue;
        }
        if format == UNIX {
            // Out of jiff's range (years -9999 to 9999) is an error, never a wrap.
            if let Some(ts) = text
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|s| Timestamp::from_second(s).ok())
            {
                return Ok(ts);
            }
            continue;
        }
        if let Some(dt) = read_plain(format, text) {
            return local_to_timestamp(dt, tz);
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
    let names: Vec<&str> = formats.iter().map(AsRef::as_ref).collect();
    Err(format!(
        "`{text}` matches none of the formats {}",
        names.join(", ")
    ))
}

/// Reads `text` in the exact form of a format made only of `%Y %m %d %H %M %S`, spaces and
/// printable characters: zero-padded numbers, literal characters as written (a space in a
/// `strtime` format matches any run of whitespace; read here, one space). Anything else —
/// another directive, another form of the text — is `None` and left to `strtime`, so results
/// never differ from it; this only spares the common case `strtime`'s generality.
fn read_plain(format: &str, text: &str) -> Option<DateTime> {
    let mut format = format.bytes();
    let mut rest = text.as_bytes();
    let (mut year, mut month, mut day, mut hour, mut minute, mut second) = (0, 1, 1, 0, 0, 0);
    while let Some(b) = format.next() {
        match b {
            b'%' => {
                let (field, width) = match format.next()? {
                    b'Y' => (&mut year, 4),
                    b'm' => (&mut month, 2),
                    b'd' => (&mut day, 2),
                    b'H' => (&mut hour, 2),
                    b'M' => (&mut minute, 2),
                    b'S' => (&mut second, 2),
                    _ => return None,
                };
                *field = digits(&mut rest, width)?;
            }
            b if b.is_ascii_graphic() || b == b' ' => match rest.split_first() {
                Some((first, tail)) if *first == b => rest = tail,
                _ => return None,
            },
            _ => return None,
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let narrow = |n: i16| i8::try_from(n).ok();
    DateTime::new(
        year,
        narrow(month)?,
        narrow(day)?,
        narrow(hour)?,
        narrow(minute)?,
        narrow(second)?,
        0,
    )
    .ok()
}

/// A number of exactly `count` digits at the start of `rest`.
fn digits(rest: &mut &[u8], count: usize) -> Option<i16> {
    let (head, tail) = rest.split_at_checked(count)?;
    *rest = tail;
    head.iter().try_fold(0i16, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + i16::from(d - b'0'))
    })
}

fn local_to_timestamp(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, String> {
    // Ambiguous wall-clock times (the repeated hour in autumn) take the earlier instant.
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|e| format!("`{dt}` does not exist in the time zone: {e}"))
}

/// Parses a calendar date: `YYYY-MM-DD`, or a timestamp read in `tz`.
pub fn parse_date(
    text: &str,
    formats: &[impl AsRef<str>],
    tz: &TimeZone,
) -> Result<jiff::civil::Date, String> {
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d);
    }
    for format in formats {
        if let Ok(d) = strtime::parse(format.as_ref(), text).and_then(|p| p.to_date()) {
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

    /// The direct reader agrees with `strtime` wherever it answers, and leaves everything else
    /// (other widths, out-of-range fields, trailing text) to it.
    #[test]
    fn direct_reading_agrees_with_strtime() {
        let tz = zone("Europe/Amsterdam").unwrap();
        let format = "%d/%m/%Y %H:%M:%S";
        for text in [
            "19/02/2024 16:00:08",
            "31/03/2024 02:30:00", // skipped by the spring change
            "27/10/2024 02:30:00", // repeated by the autumn change
            "9/2/2024 16:00:08",
            "30/02/2024 16:00:08",
            "19/02/2024 24:00:00",
            "19/02/2024 16:00:60",
            "19/02/2024 16:00:08Z",
            "19/02/2024  16:00:08",
            "",
        ] {
            let strtime = strtime::parse(format, text)
                .and_then(|p| p.to_datetime())
                .map_err(|_| ())
                .and_then(|dt| local_to_timestamp(dt, &tz).map_err(|_| ()));
            let ours = parse_timestamp(text, &[format], &tz).map_err(|_| ());
            assert_eq!(ours, strtime, "{text}");
            if let Some(dt) = read_plain(format, text) {
                assert_eq!(
                    Ok(dt),
                    strtime::parse(format, text)
                        .and_then(|p| p.to_datetime())
                        .map_err(|_| ()),
                    "{text}"
                );
            }
        }
        assert!(read_plain("%Y-%m-%dT%H:%M:%S%z", "2024-02-19T16:00:08+0100").is_none());
        assert!(read_plain("%Y-%m-%d %H:%M:%S", "2024-02-19 16:00:08").is_some());
    }
}
