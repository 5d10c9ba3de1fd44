//! The log layout of crates/store/FORMAT.md, read by the tests on their own (not
//! through the store's reader), so that a cut or an overwrite lands exactly on a
//! record boundary. Shared by the store's tests and the end-to-end ones; std only.

/// The fixed header in front of a log's first record.
pub const LOG_HEADER_LEN: usize = 32;

/// Offsets where each whole record of a complete log ends; the first is the
/// header's end. Panics on a log that does not end on a record boundary, which a
/// test that meant to start from a whole log must not get.
pub fn record_ends(log: &[u8]) -> Vec<usize> {
    let mut ends = vec![LOG_HEADER_LEN];
    let mut pos = LOG_HEADER_LEN;
    while pos + 8 <= log.len() {
        let len = u32::from_le_bytes(log[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 8 + len;
        assert!(pos <= log.len(), "a record runs past the end of the log");
        ends.push(pos);
    }
    assert_eq!(pos, log.len(), "the log does not end on a record boundary");
    ends
}
