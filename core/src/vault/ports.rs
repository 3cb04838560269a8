//! The randomness port: the core never reads randomness itself.

/// A source of cryptographically secure random bytes.
///
/// The browser implements it over `crypto.getRandomValues` (the vault never asks for more than
/// 32 bytes at a time, well under that call's 65,536-byte limit); the server may use the OS.
/// Implementations must fill the whole buffer with bytes from a CSPRNG; there is no error path,
/// so an implementation that cannot must panic rather than return predictable bytes.
pub trait Rng {
    /// Fills `buf` entirely with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<R: Rng + ?Sized> Rng for &mut R {
    fn fill(&mut self, buf: &mut [u8]) {
        (**self).fill(buf);
    }
}

/// **NOT CRYPTOGRAPHIC. FOR TESTS ONLY.** A deterministic generator (SplitMix64) seeded with a
/// number: anyone who knows or guesses the seed knows every key and nonce it produces.
///
/// It exists so that tests are reproducible. Never wire it into the browser or the server; the
/// only acceptable production [`Rng`] is backed by a CSPRNG (`crypto.getRandomValues`).
#[derive(Debug, Clone)]
pub struct InsecureTestRng {
    state: u64,
}

impl InsecureTestRng {
    /// A generator that yields the same sequence for the same `seed`. Tests only.
    pub fn new(seed: u64) -> Self {
        InsecureTestRng { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea and Flood, 2014).
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Rng for InsecureTestRng {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let (mut a, mut b, mut c) = ([0u8; 37], [0u8; 37], [0u8; 37]);
        InsecureTestRng::new(7).fill(&mut a);
        InsecureTestRng::new(7).fill(&mut b);
        InsecureTestRng::new(8).fill(&mut c);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The tail of an odd-length buffer is filled too.
        assert_ne!(a[32..], [0u8; 5]);
    }

    #[test]
    fn successive_fills_differ() {
        let mut rng = InsecureTestRng::new(1);
        let (mut a, mut b) = ([0u8; 12], [0u8; 12]);
        rng.fill(&mut a);
        rng.fill(&mut b);
        assert_ne!(a, b);
    }
}
