//! Frames: the unit of storage. One redb value holds the records of
//! consecutive seqs written in one commit, so a large batch costs a few
//! large inserts instead of one B-tree entry per event.
//!
//! Layout: `count: u32 LE`, then `count` times `len: u32 LE, record`.

use super::CodecError;

/// Most records in one frame.
pub const MAX_RECORDS: usize = 64;
/// A frame is closed once its payload reaches this many bytes.
pub const TARGET_BYTES: usize = 64 * 1024;

/// Builds a frame from records.
pub fn encode<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
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

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, CodecError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| CodecError::BadFrame(format!("cut short at byte {at}")))
}

/// Number of records in a frame.
pub fn count(frame: &[u8]) -> Result<u32, CodecError> {
    u32_at(frame, 0)
}

/// The records of a frame, in seq order.
pub fn records(frame: &[u8]) -> Result<Vec<&[u8]>, CodecError> {
    let n = count(frame)? as usize;
    if n > MAX_RECORDS.max(frame.len() / 4) {
        return Err(CodecError::BadFrame(format!("claims {n} records")));
    }
    let mut out = Vec::with_capacity(n);
    let mut at = 4;
    for _ in 0..n {
        let len = u32_at(frame, at)? as usize;
        at += 4;
        let r = frame.get(at..at + len).ok_or_else(|| CodecError::BadFrame(format!("record overruns at byte {at}")))?;
        out.push(r);
        at += len;
    }
    if at != frame.len() {
        return Err(CodecError::BadFrame(format!("{} trailing bytes", frame.len() - at)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_damage() {
        let recs: [&[u8]; 3] = [b"abc", b"", b"0123456789"];
        let f = encode(recs);
        assert_eq!(count(&f).unwrap(), 3);
        assert_eq!(records(&f).unwrap(), recs.to_vec());
        assert!(records(&f[..f.len() - 1]).is_err());
        let mut long = f.clone();
        long.push(0);
        assert!(records(&long).is_err());
        assert!(records(&[1, 0]).is_err());
        assert!(records(&u32::MAX.to_le_bytes()).is_err());
        assert_eq!(records(&encode([])).unwrap(), Vec::<&[u8]>::new());
    }
}
