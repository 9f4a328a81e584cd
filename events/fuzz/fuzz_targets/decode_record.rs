//! Any byte string given to the decoders either fails with a typed error or
//! decodes to something that re-encodes consistently (the encoder is the
//! model of the format): first as one record, then as a frame of records.
#![no_main]

use lantern_events::codec::{self, frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = codec::decode(data) {
        let again = codec::encode(&event).expect("a decoded event must encode");
        let back = codec::decode(&again).expect("a re-encoded event must decode");
        assert_eq!(format!("{back:?}"), format!("{event:?}"));
        assert_eq!(codec::encode(&back).expect("encode"), again);
    }
    if let Ok(records) = frame::records(1, data)
        && frame::is_sealed(data)
    {
        assert_eq!(frame::encode(1, records.iter().copied()), data, "a frame re-encodes to its bytes");
        for r in records {
            let _ = codec::decode(r);
        }
    }
});
