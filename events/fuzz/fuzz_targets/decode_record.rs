//! Any byte string given to the record decoder either fails with a typed
//! error or decodes to an event that re-encodes to the same bytes and decodes
//! back to the same event (the encoder is the model of the format).
#![no_main]

use lantern_events::codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = codec::decode(data) {
        let again = codec::encode(&event).expect("a decoded event must encode");
        let back = codec::decode(&again).expect("a re-encoded event must decode");
        assert_eq!(format!("{back:?}"), format!("{event:?}"));
        assert_eq!(codec::encode(&back).expect("encode"), again);
    }
});
