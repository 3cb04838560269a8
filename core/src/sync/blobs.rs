//! Blobs (photos): content addressing and the limits both sides enforce.

use sha2::{Digest, Sha256};

use super::protocol::{is_sha256_hex, BlobRef, BLOB_CONTENT_TYPES, MAX_BLOB_BYTES};

/// SHA-256 of `bytes`, lowercase hex: a blob's address.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::vault::hex::encode(&Sha256::digest(bytes))
}

/// Why a blob reference is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// Not a SHA-256 in lowercase hex.
    #[error("the photo's address is not a SHA-256")]
    BadHash,
    /// Empty, or over [`MAX_BLOB_BYTES`].
    #[error("the photo is {size} bytes; the limit is {max} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Empty.
    #[error("the photo is empty")]
    Empty,
    /// Not one of [`BLOB_CONTENT_TYPES`].
    #[error("photos must be JPEG, PNG or WebP, not {0:?}")]
    ContentType(String),
}

impl BlobError {
    /// The field of the reference concerned (`sha256`, `size` or `content_type`).
    pub fn field(&self) -> &'static str {
        match self {
            BlobError::BadHash => "sha256",
            BlobError::TooLarge { .. } | BlobError::Empty => "size",
            BlobError::ContentType(_) => "content_type",
        }
    }
}

/// Checks a blob reference against the limits.
pub fn check(blob: &BlobRef) -> Result<(), BlobError> {
    if !is_sha256_hex(&blob.sha256) {
        return Err(BlobError::BadHash);
    }
    if blob.size == 0 {
        return Err(BlobError::Empty);
    }
    if blob.size > MAX_BLOB_BYTES {
        return Err(BlobError::TooLarge { size: blob.size, max: MAX_BLOB_BYTES });
    }
    if !BLOB_CONTENT_TYPES.contains(&blob.content_type.as_str()) {
        return Err(BlobError::ContentType(blob.content_type.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_sha256_and_limits_hold() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let ok = BlobRef { sha256: sha256_hex(b"x"), size: 1, content_type: "image/jpeg".into() };
        assert_eq!(check(&ok), Ok(()));
        assert_eq!(check(&BlobRef { size: MAX_BLOB_BYTES + 1, ..ok.clone() }), Err(BlobError::TooLarge { size: MAX_BLOB_BYTES + 1, max: MAX_BLOB_BYTES }));
        assert_eq!(check(&BlobRef { size: 0, ..ok.clone() }), Err(BlobError::Empty));
        assert_eq!(check(&BlobRef { sha256: "ABC".into(), ..ok.clone() }), Err(BlobError::BadHash));
        assert!(matches!(check(&BlobRef { content_type: "text/html".into(), ..ok }), Err(BlobError::ContentType(_))));
    }
}
