//! The one place that knows the on-disk record format.
//!
//! A record is a 7-byte header followed by the bincode (serde, standard
//! config) encoding of a [`NewEvent`]:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `LNEV` |
//! | 4 | format version (this layout), currently 1 |
//! | 5..7 | schema version of the payload, little-endian u16 |
//!
//! Records are stored in [`frame`]s, several consecutive seqs per value.
//!
//! Older schema versions are upcast on read through [`upcast::CHAIN`], one
//! step per version. A newer version is a typed error, never a guess.

pub mod frame;
pub mod upcast;

use crate::envelope::NewEvent;
use thiserror::Error;

/// Record magic.
pub const MAGIC: [u8; 4] = *b"LNEV";
/// Version of the record layout itself.
pub const FORMAT_VERSION: u8 = 1;
/// Version of the event schema this binary writes.
pub const SCHEMA_VERSION: u16 = 3;
/// Header length in bytes.
pub const HEADER_LEN: usize = 7;

/// Why a record could not be encoded or decoded.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// Shorter than a header.
    #[error("record is {0} bytes, shorter than the {HEADER_LEN}-byte header")]
    Truncated(usize),
    /// Not a Lantern record.
    #[error("record does not start with the Lantern magic")]
    BadMagic,
    /// Written with a record layout this binary does not know.
    #[error("record layout version {found} is not supported (this build reads {FORMAT_VERSION}); upgrade Lantern")]
    UnsupportedFormat {
        /// Version found.
        found: u8,
    },
    /// Written by a newer Lantern.
    #[error("event schema v{found} is newer than this build (v{supported}); upgrade Lantern to read this log")]
    SchemaTooNew {
        /// Version found.
        found: u16,
        /// Newest version this build reads.
        supported: u16,
    },
    /// A version with no upcaster (older than the chain reaches).
    #[error("event schema v{0} is unknown to this build")]
    UnknownSchema(u16),
    /// The payload does not decode.
    #[error("payload does not decode: {0}")]
    Payload(String),
    /// The payload decoded but bytes were left over.
    #[error("payload has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A frame's layout is damaged.
    #[error("frame is damaged: {0}")]
    BadFrame(String),
    /// A frame's bytes do not match its checksum.
    #[error("frame checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum {
        /// Checksum stored with the frame.
        stored: u32,
        /// Checksum of the bytes read.
        computed: u32,
    },
    /// Encoding failed.
    #[error("event does not encode: {0}")]
    Encode(String),
}

/// Largest payload a record may have. bincode checks every length it reads
/// against this before allocating, so a damaged length prefix is an error,
/// not an attempt to allocate exabytes (found by fuzzing).
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// The largest prompt text a record is sure to hold, with room left for
/// the rest of its event. Frontends that accept text from outside (the
/// proxy's body limit) stay at or below it, so that every request they
/// accept is journalled whole.
pub const MAX_PROMPT_BYTES: usize = MAX_PAYLOAD - 64 * 1024;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_PAYLOAD>()
}

/// Encodes an event as a record of the current schema.
pub fn encode(event: &NewEvent) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
    bincode::serde::encode_into_std_write(event, &mut out, config()).map_err(|e| CodecError::Encode(e.to_string()))?;
    if out.len() - HEADER_LEN > MAX_PAYLOAD {
        return Err(CodecError::Encode(format!("event is larger than the {MAX_PAYLOAD}-byte record limit")));
    }
    Ok(out)
}

/// Splits a record into its schema version and payload.
pub fn read_header(record: &[u8]) -> Result<(u16, &[u8]), CodecError> {
    if record.len() < HEADER_LEN {
        return Err(CodecError::Truncated(record.len()));
    }
    if record[..4] != MAGIC {
        return Err(CodecError::BadMagic);
    }
    if record[4] != FORMAT_VERSION {
        return Err(CodecError::UnsupportedFormat { found: record[4] });
    }
    let schema = u16::from_le_bytes([record[5], record[6]]);
    Ok((schema, &record[HEADER_LEN..]))
}

/// Decodes a record of any supported schema version into the current schema.
pub fn decode(record: &[u8]) -> Result<NewEvent, CodecError> {
    let (schema, payload) = read_header(record)?;
    let payload = upcast::CHAIN.to_current(schema, payload)?;
    decode_payload(&payload)
}

/// Decodes a current-schema payload, rejecting trailing bytes.
pub(crate) fn decode_payload<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, CodecError> {
    let (value, used) =
        bincode::serde::decode_from_slice(payload, config()).map_err(|e| CodecError::Payload(e.to_string()))?;
    if used != payload.len() {
        return Err(CodecError::TrailingBytes(payload.len() - used));
    }
    Ok(value)
}

/// Encodes any serde value with the record codec's bincode configuration.
pub(crate) fn encode_payload<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| CodecError::Encode(e.to_string()))
}
