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
    if value.starts_with('[') || value.starts_with('{') || value.starts_with('<') || value.contains("date -u") {
        return Err(TimestampError::Placeholder);
    }
    let core = [" (", " - ", " — ", ", "].iter().filter_map(|it| value.find(it)).min().map_or(value, |at| &value[..at]);
    let core = core.trim();
    if core.ends_with('Z') && core.len() > 7 {
        let before = &core[..core.len() - 1];
        // Six bytes back may fall inside a character; then the tail is no `+HH:MM` anyway.
        let tail = before.get(before.len().saturating_sub(6)..).unwrap_or_default();
        if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes().get(3) == Some(&b':') {
            return Err(TimestampError::OffsetAndZulu);
        }
    }
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
