//! Frames: the unit of storage. One redb value holds the records of
//! consecutive seqs written in one commit, so a large batch costs a few
//! large inserts instead of one B-tree entry per event.
//!
//! Layout: `count: u32 LE`, then `count` times `len: u32 LE, record`, then
//! `crc32: u32 LE` of the frame's first seq (u64 LE, its key in the log)
//! followed by every byte before the checksum: a frame stored under another
//! key fails as surely as one with a flipped byte. The count's top bit
//! ([`SEALED`]) says the checksum is there; frames written before checksums
//! existed lack both, are read as they are, and are sealed the first time
//! the log is opened for writing.

use super::CodecError;

/// Most records in one frame.
pub const MAX_RECORDS: usize = 64;
/// A frame is closed once its payload reaches this many bytes.
pub const TARGET_BYTES: usize = 64 * 1024;
/// Set in the count of a frame that ends with its checksum.
pub const SEALED: u32 = 1 << 31;

fn checksum(first: u64, body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&first.to_le_bytes());
    h.update(body);
    h.finalize()
}

/// `count: u32 LE`, then each record with its length: a frame without its
/// seal (the layout before checksums).
fn unsealed<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![0; 4];
    let mut count = 0u32;
    for r in records {
        out.extend_from_slice(&(r.len() as u32).to_le_bytes());
        out.extend_from_slice(r);
        count += 1;
    }
    out[..4].copy_from_slice(&count.to_le_bytes());
    out
}

/// Builds the sealed frame stored under seq `first` from records.
pub fn encode<'a>(first: u64, records: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = unsealed(records);
    let count = u32::from_le_bytes([out[0], out[1], out[2], out[3]]);
    out[..4].copy_from_slice(&(count | SEALED).to_le_bytes());
    let crc = checksum(first, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, CodecError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| CodecError::BadFrame(format!("cut short at byte {at}")))
}

/// Whether a frame carries a checksum (every frame this build writes does).
pub fn is_sealed(frame: &[u8]) -> bool {
    u32_at(frame, 0).is_ok_and(|c| c & SEALED != 0)
}

/// Number of records in a frame. The count is not covered by a check here;
/// [`records`] verifies the whole frame.
pub fn count(frame: &[u8]) -> Result<u32, CodecError> {
    u32_at(frame, 0).map(|c| c & !SEALED)
}

/// The records of the frame stored under seq `first`, in seq order, after
/// verifying its checksum.
pub fn records(first: u64, frame: &[u8]) -> Result<Vec<&[u8]>, CodecError> {
    let body = if is_sealed(frame) {
        let split = frame.len().checked_sub(4).ok_or_else(|| CodecError::BadFrame("cut short".into()))?;
        let (body, tail) = frame.split_at(split);
        let stored = u32_at(tail, 0)?;
        let computed = checksum(first, body);
        if stored != computed {
            return Err(CodecError::Checksum { stored, computed });
        }
        body
    } else {
        frame
    };
    let n = count(body)? as usize;
    if n > MAX_RECORDS.max(body.len() / 4) {
        return Err(CodecError::BadFrame(format!("claims {n} records")));
    }
    let mut out = Vec::with_capacity(n);
    let mut at = 4;
    for _ in 0..n {
        let len = u32_at(body, at)? as usize;
        at += 4;
        let r = body.get(at..at + len).ok_or_else(|| CodecError::BadFrame(format!("record overruns at byte {at}")))?;
        out.push(r);
        at += len;
    }
    if at != body.len() {
        return Err(CodecError::BadFrame(format!("{} trailing bytes", body.len() - at)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_damage() {
        let recs: [&[u8]; 3] = [b"abc", b"", b"0123456789"];
        let f = encode(7, recs);
        assert!(is_sealed(&f));
        assert_eq!(count(&f).unwrap(), 3);
        assert_eq!(records(7, &f).unwrap(), recs.to_vec());
        assert!(records(7, &f[..f.len() - 1]).is_err());
        let mut long = f.clone();
        long.push(0);
        assert!(records(7, &long).is_err());
        assert!(records(7, &[1, 0]).is_err());
        assert!(records(7, &u32::MAX.to_le_bytes()).is_err());
        assert_eq!(records(1, &encode(1, [])).unwrap(), Vec::<&[u8]>::new());
        // Stored under another key: refused.
        assert!(matches!(records(8, &f), Err(CodecError::Checksum { .. })));
    }

    #[test]
    fn every_single_bit_flip_in_a_sealed_frame_is_detected() {
        let recs: [&[u8]; 2] = [b"shows the answer", b"and more text"];
        let f = encode(3, recs);
        for byte in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[byte] ^= 1 << bit;
                assert!(records(3, &g).is_err(), "flip of bit {bit} in byte {byte} went unnoticed");
            }
        }
    }

    #[test]
    fn legacy_frames_are_still_read() {
        let recs: [&[u8]; 2] = [b"old", b"frame"];
        let f = unsealed(recs);
        assert!(!is_sealed(&f));
        assert_eq!(records(5, &f).unwrap(), recs.to_vec());
    }
}
