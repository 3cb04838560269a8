//! The rules for completing a task (`task.complete`), checked by the device before it queues a
//! completion and by the server before it applies one, with the same code: at most
//! [`MAX_PHOTOS`] photos, each a well-formed reference to a blob the server accepts
//! ([`super::blobs::check`]), and a note of at most [`MAX_NOTE_CHARS`] characters.

use super::blobs::{self, BlobError};
use super::protocol::TaskCompletion;

/// Most photos one completion may carry.
pub const MAX_PHOTOS: usize = 8;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Why a completion is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompletionError {
    /// More than [`MAX_PHOTOS`] photos.
    #[error("at most {max} photos per task, this completion has {got}")]
    TooManyPhotos {
        /// The limit.
        max: usize,
        /// How many there are.
        got: usize,
    },
    /// A photo reference the server would not accept (hash, size or type).
    #[error("photos[{index}]: {error}")]
    Photo {
        /// Which photo.
        index: usize,
        /// What is wrong with it.
        error: BlobError,
    },
    /// The note is longer than [`MAX_NOTE_CHARS`].
    #[error("a note has at most {max} characters, this one {chars}")]
    NoteTooLong {
        /// The limit.
        max: usize,
        /// The note's length.
        chars: usize,
    },
}

impl CompletionError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CompletionError::TooManyPhotos { .. } => "too_many_photos",
            CompletionError::Photo { error: BlobError::ContentType(_), .. } => "photo_type",
            CompletionError::Photo { error: BlobError::TooLarge { .. }, .. } => "photo_too_large",
            CompletionError::Photo { .. } => "photo_invalid",
            CompletionError::NoteTooLong { .. } => "note_too_long",
        }
    }

    /// The field concerned (`photos`, `photos[i]…`, `note`).
    pub fn field(&self) -> String {
        match self {
            CompletionError::TooManyPhotos { .. } => "photos".into(),
            CompletionError::Photo { index, error } => format!("photos[{index}].{}", error.field()),
            CompletionError::NoteTooLong { .. } => "note".into(),
        }
    }
}

/// Checks a completion's note and photo references.
pub fn check_completion(c: &TaskCompletion) -> Result<(), CompletionError> {
    if c.photos.len() > MAX_PHOTOS {
        return Err(CompletionError::TooManyPhotos { max: MAX_PHOTOS, got: c.photos.len() });
    }
    for (index, photo) in c.photos.iter().enumerate() {
        blobs::check(photo).map_err(|error| CompletionError::Photo { index, error })?;
    }
    let chars = c.note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(CompletionError::NoteTooLong { max: MAX_NOTE_CHARS, chars });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::protocol::BlobRef;

    fn completion(photos: Vec<BlobRef>, note: &str) -> TaskCompletion {
        TaskCompletion { task_id: "T1".into(), completed_at: chrono::DateTime::UNIX_EPOCH, note: note.into(), photos, day: None }
    }

    fn photo(size: u64, content_type: &str) -> BlobRef {
        BlobRef { sha256: "ab".repeat(32), size, content_type: content_type.into() }
    }

    #[test]
    fn limits_are_named_with_their_field() {
        assert!(check_completion(&completion(vec![photo(10, "image/jpeg")], "done")).is_ok());
        let e = check_completion(&completion(vec![photo(10, "image/jpeg"); MAX_PHOTOS + 1], "")).expect_err("too many");
        assert_eq!((e.code(), e.field().as_str()), ("too_many_photos", "photos"));
        let e = check_completion(&completion(vec![photo(10, "image/gif")], "")).expect_err("type");
        assert_eq!((e.code(), e.field().as_str()), ("photo_type", "photos[0].content_type"));
        let e = check_completion(&completion(vec![photo(9 * 1024 * 1024, "image/png")], "")).expect_err("size");
        assert_eq!((e.code(), e.field().as_str()), ("photo_too_large", "photos[0].size"));
        let e = check_completion(&completion(vec![], &"n".repeat(MAX_NOTE_CHARS + 1))).expect_err("note");
        assert_eq!((e.code(), e.field().as_str()), ("note_too_long", "note"));
    }
}
