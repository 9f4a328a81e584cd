//! Property: every event survives encode → decode unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::SessionId;
use lantern_events::codec::{self, CodecError};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_decode_round_trips(event in support::arb_new_event()) {
        let record = codec::encode(&event).unwrap();
        let back = codec::decode(&record).unwrap();
        // Debug comparison so that NaN similarities compare equal to themselves.
        prop_assert_eq!(format!("{back:?}"), format!("{event:?}"));
        prop_assert_eq!(codec::encode(&back).unwrap(), record);
    }

    #[test]
    fn truncated_records_are_errors_not_panics(event in support::arb_new_event(), cut in 0usize..64) {
        let record = codec::encode(&event).unwrap();
        let cut = cut.min(record.len().saturating_sub(1));
        prop_assert!(codec::decode(&record[..cut]).is_err());
    }
}

#[test]
fn header_errors_are_typed() {
    let mut rng = support::Rng::new(1);
    let session = SessionId::new();
    let event = support::request_chain(&mut rng, session, 0).remove(0);
    let good = codec::encode(&event).unwrap();

    assert_eq!(codec::decode(&good[..3]).unwrap_err(), CodecError::Truncated(3));
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(codec::decode(&bad).unwrap_err(), CodecError::BadMagic);
    let mut bad = good.clone();
    bad[4] = 9;
    assert_eq!(codec::decode(&bad).unwrap_err(), CodecError::UnsupportedFormat { found: 9 });
    let mut bad = good.clone();
    bad[5..7].copy_from_slice(&7u16.to_le_bytes());
    assert_eq!(
        codec::decode(&bad).unwrap_err(),
        CodecError::SchemaTooNew { found: 7, supported: codec::SCHEMA_VERSION }
    );
    let mut bad = good.clone();
    bad[5..7].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(codec::decode(&bad).unwrap_err(), CodecError::UnknownSchema(0));
    let mut bad = good;
    bad.push(0);
    assert_eq!(codec::decode(&bad).unwrap_err(), CodecError::TrailingBytes(1));
}

#[test]
fn a_huge_length_prefix_is_an_error_not_an_allocation() {
    // The shape of the fuzzer's first finding: a varint length of ~2^62.
    let mut record =
        codec::encode(&support::request_chain(&mut support::Rng::new(2), SessionId::new(), 0).remove(0)).unwrap();
    record.truncate(codec::HEADER_LEN + 2);
    record.extend_from_slice(&[0xff, 0x3f, 0, 0, 0, 0, 0, 0, 0x3f, 0x10, 0x4c]);
    assert!(matches!(codec::decode(&record), Err(CodecError::Payload(_))));
}

#[test]
fn an_event_over_the_size_limit_is_refused_at_encode() {
    let mut e = support::request_chain(&mut support::Rng::new(4), SessionId::new(), 0).remove(0);
    if let lantern_events::schema::Event::PromptSubmitted(p) = &mut e.event {
        p.text = "x".repeat(codec::MAX_PAYLOAD + 1).into();
    }
    let r = codec::encode(&e);
    assert!(matches!(r, Err(CodecError::Encode(_))), "{:?}", r.as_ref().map(Vec::len));
}
