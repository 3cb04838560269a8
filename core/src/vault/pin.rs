//! What a PIN or passphrase must be to be set: long enough that the wrong-PIN delays mean
//! something, short enough to type. One rule for every front end (the PWA, an ERP embedding).

/// Shortest PIN or passphrase accepted, in characters.
pub const MIN_PIN_LEN: usize = 6;
/// Longest PIN or passphrase accepted, in characters.
pub const MAX_PIN_LEN: usize = 128;

/// Why a new PIN is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Fewer than [`MIN_PIN_LEN`] characters.
    #[error("a PIN needs at least {MIN_PIN_LEN} characters")]
    TooShort,
    /// More than [`MAX_PIN_LEN`] characters.
    #[error("a PIN may have at most {MAX_PIN_LEN} characters")]
    TooLong,
}

impl PinError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PinError::TooShort => "pin_too_short",
            PinError::TooLong => "pin_too_long",
        }
    }
}

/// Checks a PIN or passphrase before it is set (counted in characters, not bytes).
pub fn check_new_pin(pin: &str) -> Result<(), PinError> {
    match pin.chars().count() {
        n if n < MIN_PIN_LEN => Err(PinError::TooShort),
        n if n > MAX_PIN_LEN => Err(PinError::TooLong),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters() {
        assert_eq!(check_new_pin("12345"), Err(PinError::TooShort));
        assert_eq!(check_new_pin("123456"), Ok(()));
        assert_eq!(check_new_pin("éééééé"), Ok(()), "six characters, twelve bytes");
        assert_eq!(check_new_pin(&"x".repeat(MAX_PIN_LEN)), Ok(()));
        assert_eq!(check_new_pin(&"x".repeat(MAX_PIN_LEN + 1)).map_err(|e| e.code()), Err("pin_too_long"));
    }
}
