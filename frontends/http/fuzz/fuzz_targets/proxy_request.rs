//! Any bytes as a `POST /v1/messages` body: what Lantern checks itself
//! (validation), then what the pipeline reads from an accepted body (the
//! refinable text, the cache key, the body with a new last text). A refusal
//! is a 4xx; nothing panics.
#![no_main]

use lantern_actors::cache_bridge::CacheKey;
use lantern_actors::cache_bridge::key::fingerprint;
use lantern_actors::messages::{plain_user_text, with_last_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match lantern_http::validate::messages_body(data) {
        Err(e) => assert!((400..500).contains(&e.status), "Lantern answered {} to a bad body", e.status),
        Ok(checked) => {
            let fp = fingerprint(&checked.body, &[], "");
            let _ = CacheKey::new("default", &fp, &checked.body);
            if plain_user_text(&checked.body).is_ok() {
                let changed = with_last_text(&checked.body, "refined");
                assert_eq!(plain_user_text(&changed), Ok("refined"));
                // Only the last user text changed: the fingerprint did not.
                assert_eq!(fingerprint(&changed, &[], ""), fp);
            }
        }
    }
});
