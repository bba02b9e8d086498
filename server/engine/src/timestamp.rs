//! Dates and timestamps as trackers write them: `2026-01-17` in TODO.md, ISO 8601 with `Z` in
//! plans and state.json, `2025-09-06 21:22` in Backlog.md.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    /// UTC, or the civil time as written when no offset is given.
    pub at: DateTime,
    pub date_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampError {
    /// `2025-12-28T22:50:33+00:00Z`: an offset and a `Z` together.
    OffsetAndZulu,
    /// `[RUN: date -u ...]`, `{ISO timestamp}`: a template never filled in.
    Placeholder,
    Invalid(String),
}

impl TimestampError {
    pub fn describe(&self, value: &str) -> String {
        match self {
            TimestampError::OffsetAndZulu => {
                format!("malformed timestamp `{value}`: it has both a UTC offset and `Z`; write one of them")
            }
            TimestampError::Placeholder => format!("`{value}` is a placeholder, not a date"),
            TimestampError::Invalid(reason) if value.starts_with(|c: char| c.is_ascii_digit()) => {
                format!("`{value}` is not a valid date or ISO 8601 timestamp ({reason})")
            }
            TimestampError::Invalid(_) => format!("`{value}` is not a date or ISO 8601 timestamp"),
        }
    }
}

/// Parses a timestamp field's value. Trailing remarks (`2026-01-17 (estimated)`) are ignored.
pub fn parse(value: &str) -> Result<Moment, TimestampError> {
    let value = value.trim().trim_matches('`').trim_matches('*').trim();
    // A remark and the `date -u` placeholder both start with a space or a comma, which most
    // values (`2026-01-17`, `2025-12-28T22:48:00Z`) have none of: they skip the searches.
    let remarks = value.bytes().any(|it| it == b' ' || it == b',');
    if value.starts_with('[')
        || value.starts_with('{')
        || value.starts_with('<')
        || remarks && value.contains("date -u")
    {
        return Err(TimestampError::Placeholder);
    }
    let core = if remarks {
        [" (", " - ", " — ", ", "].iter().filter_map(|it| value.find(it)).min().map_or(value, |at| &value[..at])
    } else {
        value
    };
    let core = core.trim();
    if core.ends_with('Z') && core.len() > 7 {
        let before = &core[..core.len() - 1];
        // Six bytes back may fall inside a character; then the tail is no `+HH:MM` anyway.
        let tail = before.get(before.len().saturating_sub(6)..).unwrap_or_default();
        if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes().get(3) == Some(&b':') {
            return Err(TimestampError::OffsetAndZulu);
        }
    }
    if let Some(moment) = common_form(core) {
        return Ok(moment);
    }
    general_form(core)
}

/// `2026-01-17` and `2025-12-28T22:48:00Z`, the forms nearly every tracker writes, read from
/// their digits: the general parser below was most of what checking timestamps cost. `None`
/// for anything else, and for digits that make no valid date or time (the general parser then
/// says why); years from 1 to 9998 only, well inside what the general parser takes.
fn common_form(core: &str) -> Option<Moment> {
    let bytes = core.as_bytes();
    let number = |at: std::ops::Range<usize>| -> Option<i16> {
        bytes.get(at)?.iter().try_fold(0i16, |sum, it| it.is_ascii_digit().then(|| sum * 10 + i16::from(it - b'0')))
    };
    let at = |position: usize, byte: u8| bytes.get(position) == Some(&byte);
    if !(at(4, b'-') && at(7, b'-')) {
        return None;
    }
    let year = number(0..4).filter(|it| (1..=9998).contains(it))?;
    let date = Date::new(year, i8::try_from(number(5..7)?).ok()?, i8::try_from(number(8..10)?).ok()?).ok()?;
    match bytes.len() {
        10 => Some(Moment { at: date.at(0, 0, 0, 0), date_only: true }),
        20 if at(10, b'T') && at(13, b':') && at(16, b':') && at(19, b'Z') => {
            let part = |at: std::ops::Range<usize>| number(at).and_then(|it| i8::try_from(it).ok());
            let time = jiff::civil::Time::new(part(11..13)?, part(14..16)?, part(17..19)?, 0).ok()?;
            Some(Moment { at: date.to_datetime(time), date_only: false })
        }
        _ => None,
    }
}

/// Any other form trackers write, through jiff's parser.
fn general_form(core: &str) -> Result<Moment, TimestampError> {
    if core.len() == 10 {
        return core
            .parse::<Date>()
            .map(|date| Moment { at: date.at(0, 0, 0, 0), date_only: true })
            .map_err(|error| TimestampError::Invalid(error.to_string()));
    }
    if let Ok(timestamp) = core.parse::<jiff::Timestamp>() {
        return Ok(Moment { at: timestamp.to_zoned(TimeZone::UTC).datetime(), date_only: false });
    }
    let civil = core.replacen(' ', "T", 1);
    civil
        .parse::<DateTime>()
        .map(|at| Moment { at, date_only: false })
        .map_err(|error| TimestampError::Invalid(error.to_string()))
}

/// Today's date and now, in the two styles trackers use, computed by the adapter's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Now {
    pub date: String,
    pub timestamp: String,
}

impl Now {
    /// `2026-11-22` and `2026-11-22T05:33:43Z` from a UTC instant.
    pub fn from_timestamp(timestamp: jiff::Timestamp) -> Now {
        let zoned = timestamp.to_zoned(TimeZone::UTC);
        Now { date: zoned.date().to_string(), timestamp: zoned.strftime("%Y-%m-%dT%H:%M:%SZ").to_string() }
    }

    /// What a user passes as `--date`: a day (its timestamps at midnight UTC) or an instant.
    pub fn parse(value: &str) -> Result<Now, String> {
        // An instant first: jiff reads the day out of a full timestamp as a `Date` too.
        if let Ok(instant) = value.parse::<jiff::Timestamp>() {
            return Ok(Now::from_timestamp(instant));
        }
        value
            .parse::<Date>()
            .map(|date| Now { date: date.to_string(), timestamp: format!("{date}T00:00:00Z") })
            .map_err(|error| format!("--date {value}: not a date (YYYY-MM-DD) or an RFC 3339 instant: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_trackers_write() {
        assert!(parse("2026-01-17").unwrap().date_only);
        assert!(!parse("2025-12-28T22:48:00Z").unwrap().date_only);
        assert!(parse("2025-09-28T17:54:16.000Z").is_ok());
        assert!(parse("2025-12-28T22:48:00+01:00").is_ok());
        assert!(parse("2025-09-06 21:22").is_ok());
        assert!(parse("2026-01-17T12:23:06.000000").is_ok());
        assert!(parse("2026-01-17 (estimated)").is_ok());
    }

    #[test]
    fn the_common_forms_read_as_the_general_parser_reads_them() {
        let samples = [
            "2026-01-17",
            "2024-02-29",
            "2023-02-29",
            "2025-13-01",
            "2025-00-10",
            "0000-01-01",
            "9999-12-31",
            "2025-12-28T22:48:00Z",
            "2025-12-28T24:00:00Z",
            "2025-12-28T23:59:60Z",
            "2025-12-28T23:60:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2025-12-28t22:48:00z",
            "2025-1-28",
            "2025/12/28",
        ];
        assert!(common_form("2026-01-17").is_some() && common_form("2025-12-28T22:48:00Z").is_some());
        for sample in samples {
            if let Some(fast) = common_form(sample) {
                assert_eq!(Ok(fast), general_form(sample), "{sample}");
            }
        }
        proptest::proptest!(|(value in "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?")| {
            if let Some(fast) = common_form(&value) {
                proptest::prop_assert_eq!(Ok(fast), general_form(&value));
            }
        });
    }

    #[test]
    fn malformed_values() {
        assert_eq!(parse("2025-12-28T22:50:33.931946+00:00Z"), Err(TimestampError::OffsetAndZulu));
        // A multi-byte character where the offset would be: an error, not a panic.
        assert!(matches!(parse("2026-01-01Té00:00Z"), Err(TimestampError::Invalid(_))));
        assert_eq!(parse("[RUN: date -u +%Y]"), Err(TimestampError::Placeholder));
        assert_eq!(parse("{ISO timestamp}"), Err(TimestampError::Placeholder));
        assert!(matches!(parse("2025-13-45"), Err(TimestampError::Invalid(_))));
        assert!(matches!(parse("yesterday"), Err(TimestampError::Invalid(_))));
    }

    #[test]
    fn ordering_mixes_dates_and_instants() {
        let started = parse("2025-12-28T22:48:00Z").unwrap();
        let completed = parse("2025-12-29").unwrap();
        assert!(started < completed);
        let now = Now::from_timestamp("2026-11-22T05:33:43Z".parse().unwrap());
        assert_eq!((now.date.as_str(), now.timestamp.as_str()), ("2026-11-22", "2026-11-22T05:33:43Z"));
        let day = Now::parse("2026-11-23").unwrap();
        assert_eq!((day.date.as_str(), day.timestamp.as_str()), ("2026-11-23", "2026-11-23T00:00:00Z"));
        assert_eq!(Now::parse("2026-11-23T10:00:00+01:00").unwrap().timestamp, "2026-11-23T09:00:00Z");
        assert!(Now::parse("tomorrow").unwrap_err().contains("not a date"));
    }
}
