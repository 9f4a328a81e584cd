//! The envelope every event travels in, and the identifiers it carries.

use crate::schema::{Event, FrontendKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Identifies one session (a CLI run, a window, a proxy connection group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionId(pub Uuid);

/// Ties together one prompt's whole chain of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId(pub Uuid);

macro_rules! time_ordered_id {
    ($t:ident) => {
        impl $t {
            /// A new time-ordered (UUIDv7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }
        impl Default for $t {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::str::FromStr for $t {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}
time_ordered_id!(SessionId);
time_ordered_id!(RequestId);

/// Which part of Lantern emitted an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// A frontend, on behalf of its user.
    Frontend(FrontendKind),
    /// The Refiner.
    Refiner,
    /// An approval policy.
    Policy,
    /// The CacheBridge (Widget-Log).
    CacheBridge,
    /// The Suggester.
    Suggester,
    /// The Telemetry journal itself.
    Telemetry,
}

/// Microseconds since the Unix epoch, UTC. Rendered as RFC 3339 in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(micros)
    }

    /// Parses the RFC 3339 form this type renders (`YYYY-MM-DDTHH:MM:SS.ffffffZ`).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 27 || b[4] != b'-' || b[10] != b'T' || b[19] != b'.' || b[26] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
        let secs = days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
        Some(Self(secs * 1_000_000 + num(20..26)?))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", sod / 3600, sod % 3600 / 60, sod % 60)
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { s.serialize_i64(self.0) }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Self::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
        } else {
            i64::deserialize(d).map(Self)
        }
    }
}

/// An event not yet committed: everything but its seq.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// When it happened.
    pub at: Timestamp,
    /// Its session.
    pub session: SessionId,
    /// The prompt chain it belongs to; `None` for session-level events.
    pub request: Option<RequestId>,
    /// Who emitted it.
    pub actor: Actor,
    /// Seq of the event that led to this one.
    pub cause: Option<u64>,
    /// The fact itself.
    pub event: Event,
}

impl NewEvent {
    /// An event happening now, with no request and no cause.
    pub fn now(session: SessionId, actor: Actor, event: Event) -> Self {
        Self { at: Timestamp::now(), session, request: None, actor, cause: None, event }
    }

    /// Sets the request the event belongs to.
    pub fn in_request(mut self, request: RequestId) -> Self {
        self.request = Some(request);
        self
    }

    /// Sets the seq of the event that caused this one.
    pub fn caused_by(mut self, seq: u64) -> Self {
        self.cause = Some(seq);
        self
    }

    /// The committed form, once the log has assigned `seq`.
    pub fn committed(self, seq: u64) -> Envelope {
        let NewEvent { at, session, request, actor, cause, event } = self;
        Envelope { seq, at, session, request, actor, cause, event }
    }
}

/// A committed event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Dense, global position in the log, assigned at commit (starts at 1).
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Its session.
    pub session: SessionId,
    /// The prompt chain it belongs to.
    pub request: Option<RequestId>,
    /// Who emitted it.
    pub actor: Actor,
    /// Seq of the event that led to this one.
    pub cause: Option<u64>,
    /// The fact itself.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_renders_and_parses_rfc3339() {
        let t = Timestamp(1_763_702_810_123_456);
        assert_eq!(t.to_string(), "2025-11-21T05:26:50.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999999Z");
        assert_eq!(Timestamp::parse_rfc3339("2025-11-21 05:26:50Z"), None);
    }
}
