//! The upcaster chain: turns a payload of an older schema into the current one.
//!
//! Each step lives in its own module `vN_to_vN+1` and converts one version
//! into the next by decoding the old types and re-encoding the new ones. The
//! chain is applied in order, so a v1 record read by a v4 binary goes
//! v1→v2→v3→v4. The mechanism is also exercised by the tests below with a
//! chain of their own.
//!
//! - v1 → v2: v2 appended `Event::RefinementSkipped` and the miss reasons
//!   `ExactOnly`, `NoWords` and `Unavailable`. Appending variants
//!   leaves every v1 payload a valid v2 payload, so the step only copies; the
//!   version still changed so that a v1 build refuses a v2 log with
//!   [`CodecError::SchemaTooNew`] instead of failing on an unknown variant.
//! - v2 → v3: v3 appended `Event::OfferDecided` and the cache outcome
//!   `SemanticOffered`; again only appended variants, so the step copies.

use super::CodecError;
use std::borrow::Cow;

/// Converts a payload of version `from` into version `from + 1`.
pub type Step = fn(&[u8]) -> Result<Vec<u8>, CodecError>;

/// An ordered list of steps, ending at `current`.
#[derive(Debug)]
pub struct Chain {
    /// Oldest version the chain can read.
    pub oldest: u16,
    /// The version steps lead to.
    pub current: u16,
    /// `steps[i]` upgrades `oldest + i` to `oldest + i + 1`.
    pub steps: &'static [Step],
}

/// The chain this build reads with.
pub static CHAIN: Chain = Chain { oldest: 1, current: super::SCHEMA_VERSION, steps: &[v1_to_v2, v2_to_v3] };

/// v1 → v2: the same bytes (v2 only appended a variant).
fn v1_to_v2(payload: &[u8]) -> Result<Vec<u8>, CodecError> {
    Ok(payload.to_vec())
}

/// v2 → v3: the same bytes (v3 only appended variants).
fn v2_to_v3(payload: &[u8]) -> Result<Vec<u8>, CodecError> {
    Ok(payload.to_vec())
}

impl Chain {
    /// Brings a payload of version `from` up to `current`.
    pub fn to_current<'a>(&self, from: u16, payload: &'a [u8]) -> Result<Cow<'a, [u8]>, CodecError> {
        if from > self.current {
            return Err(CodecError::SchemaTooNew { found: from, supported: self.current });
        }
        if from < self.oldest {
            return Err(CodecError::UnknownSchema(from));
        }
        let mut bytes = Cow::Borrowed(payload);
        for step in &self.steps[usize::from(from - self.oldest)..] {
            bytes = Cow::Owned(step(&bytes)?);
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_payload, encode_payload};
    use serde::{Deserialize, Serialize};

    // A toy history: v1 had a name, v2 split it, v3 added a count.
    #[derive(Serialize, Deserialize)]
    struct V1 {
        name: String,
    }
    #[derive(Serialize, Deserialize)]
    struct V2 {
        first: String,
        last: String,
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V3 {
        first: String,
        last: String,
        count: u32,
    }

    fn v1_to_v2(b: &[u8]) -> Result<Vec<u8>, CodecError> {
        let old: V1 = decode_payload(b)?;
        let (first, last) = old.name.split_once(' ').unwrap_or((&old.name, ""));
        encode_payload(&V2 { first: first.into(), last: last.into() })
    }
    fn v2_to_v3(b: &[u8]) -> Result<Vec<u8>, CodecError> {
        let old: V2 = decode_payload(b)?;
        encode_payload(&V3 { first: old.first, last: old.last, count: 0 })
    }

    static TOY: Chain = Chain { oldest: 1, current: 3, steps: &[v1_to_v2, v2_to_v3] };

    #[test]
    fn steps_apply_in_order_from_any_version() {
        let v1 = encode_payload(&V1 { name: "Ada Lovelace".into() }).unwrap();
        let out: V3 = decode_payload(&TOY.to_current(1, &v1).unwrap()).unwrap();
        assert_eq!(out, V3 { first: "Ada".into(), last: "Lovelace".into(), count: 0 });

        let v2 = encode_payload(&V2 { first: "Grace".into(), last: "Hopper".into() }).unwrap();
        let out: V3 = decode_payload(&TOY.to_current(2, &v2).unwrap()).unwrap();
        assert_eq!(out.last, "Hopper");

        let v3 = encode_payload(&V3 { first: "a".into(), last: "b".into(), count: 7 }).unwrap();
        assert!(matches!(TOY.to_current(3, &v3).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn newer_and_unknown_versions_are_typed_errors() {
        assert_eq!(TOY.to_current(4, b"").unwrap_err(), CodecError::SchemaTooNew { found: 4, supported: 3 });
        assert_eq!(TOY.to_current(0, b"").unwrap_err(), CodecError::UnknownSchema(0));
    }

    #[test]
    fn a_failing_step_surfaces_its_error() {
        let garbage = [0xff_u8; 3];
        assert!(matches!(TOY.to_current(1, &garbage), Err(CodecError::Payload(_))));
    }

    #[test]
    fn production_chain_reads_exactly_its_own_version() {
        assert_eq!(CHAIN.current, crate::codec::SCHEMA_VERSION);
        assert_eq!(CHAIN.steps.len(), usize::from(CHAIN.current - CHAIN.oldest));
    }
}
