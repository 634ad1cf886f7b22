//! Provider timestamps → RFC 3339 UTC instants, whatever format and zone the provider uses.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;

/// The name of the format that accepts any RFC 3339 / ISO 8601 instant with an offset.
pub const RFC3339: &str = "rfc3339";

/// Resolves an IANA time zone name (`Europe/Amsterdam`, `UTC`).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("unknown time zone `{name}`: {e}"))
}

/// A provider date format, read once: a `strftime`-style format (or [`RFC3339`]) and, when it
/// is made only of `%Y %m %d %H %M %S` and literal bytes, the fields a direct reader takes in
/// turn. The direct reader handles the exact form (zero-padded numbers, the literal bytes as
/// written); any other text goes to `jiff`'s `strtime`, so results never differ from it.
#[derive(Debug, Clone)]
pub struct Format {
    text: String,
    fields: Option<Vec<Field>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Byte(u8),
}

impl Format {
    pub fn new(text: &str) -> Self {
        let mut fields = Vec::new();
        let mut bytes = text.bytes();
        let direct = loop {
            let field = match bytes.next() {
                None => break true,
                Some(b'%') => match bytes.next() {
                    Some(b'Y') => Field::Year,
                    Some(b'm') => Field::Month,
                    Some(b'd') => Field::Day,
                    Some(b'H') => Field::Hour,
                    Some(b'M') => Field::Minute,
                    Some(b'S') => Field::Second,
                    _ => break false,
                },
                // A space in a `strtime` format matches any run of whitespace; read directly,
                // one space. Other whitespace is left to `strtime`.
                Some(b) if b.is_ascii_graphic() || b == b' ' => Field::Byte(b),
                Some(_) => break false,
            };
            fields.push(field);
        };
        Format {
            text: text.to_owned(),
            fields: (direct && text != RFC3339).then_some(fields),
        }
    }

    /// Reads the exact form of a direct format: a wall-clock time, or `None`.
    fn read(&self, text: &str) -> Option<DateTime> {
        let fields = self.fields.as_deref()?;
        let mut rest = text.as_bytes();
        let (mut year, mut month, mut day, mut hour, mut minute, mut second) = (0, 1, 1, 0, 0, 0);
        for field in fields {
            match field {
                Field::Year => year = digits(&mut rest, 4)?,
                Field::Month => month = digits(&mut rest, 2)?,
                Field::Day => day = digits(&mut rest, 2)?,
                Field::Hour => hour = digits(&mut rest, 2)?,
                Field::Minute => minute = digits(&mut rest, 2)?,
                Field::Second => second = digits(&mut rest, 2)?,
                Field::Byte(b) => match rest.split_first() {
                    Some((first, tail)) if first == b => rest = tail,
                    _ => return None,
                },
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
}

/// A number of exactly `count` digits at the start of `rest`.
fn digits(rest: &mut &[u8], count: usize) -> Option<i16> {
    let (head, tail) = rest.split_at_checked(count)?;
    *rest = tail;
    head.iter().try_fold(0i16, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + i16::from(d - b'0'))
    })
}

/// Parses `text` with the first format that accepts it. Formats without an offset are read
/// as wall-clock time in `tz`.
pub fn parse_timestamp(text: &str, formats: &[Format], tz: &TimeZone) -> Result<Timestamp, String> {
    for format in formats {
        if format.text == RFC3339 {
            if let Ok(ts) = text.parse::<Timestamp>() {
                return Ok(ts);
            }
            continue;
        }
        if let Some(dt) = format.read(text) {
            return local_to_timestamp(dt, tz);
        }
        if let Ok(parsed) = strtime::parse(&format.text, text) {
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
        formats
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
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
    formats: &[Format],
    tz: &TimeZone,
) -> Result<jiff::civil::Date, String> {
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d);
    }
    for format in formats {
        if let Ok(d) = strtime::parse(&format.text, text).and_then(|p| p.to_date()) {
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
        let f = ["%Y-%m-%d %H:%M:%S", RFC3339].map(Format::new);
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
        let format = Format::new("%d/%m/%Y %H:%M:%S");
        assert!(format.fields.is_some());
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
            let strtime = strtime::parse("%d/%m/%Y %H:%M:%S", text)
                .and_then(|p| p.to_datetime())
                .map_err(|_| ())
                .and_then(|dt| local_to_timestamp(dt, &tz).map_err(|_| ()));
            let ours = parse_timestamp(text, std::slice::from_ref(&format), &tz).map_err(|_| ());
            assert_eq!(ours, strtime, "{text}");
            if let Some(dt) = format.read(text) {
                assert_eq!(
                    Ok(dt),
                    strtime::parse("%d/%m/%Y %H:%M:%S", text)
                        .and_then(|p| p.to_datetime())
                        .map_err(|_| ()),
                    "{text}"
                );
            }
        }
        assert!(Format::new("%Y-%m-%dT%H:%M:%S%z").fields.is_none());
        assert!(Format::new(RFC3339).fields.is_none());
    }
}
