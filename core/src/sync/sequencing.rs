//! The server's exactly-once rule.
//!
//! Each device numbers its mutations 1, 2, 3, … without gaps. The server remembers, per device,
//! the highest number it has recorded (`last_seq`), in the same database transaction as the
//! effects of that mutation. A pushed mutation numbered at or below `last_seq` is therefore a
//! replay and is answered "duplicate" without being applied again; the next one must be exactly
//! `last_seq + 1`. A batch that would leave a gap is refused whole, before anything is written.

/// What to do with one mutation of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Already recorded: answer with the stored outcome, change nothing.
    Replay,
    /// The next in sequence: apply it and advance `last_seq` to its number.
    Apply,
}

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    /// A sequence number is zero (sequences start at 1).
    #[error("sequence numbers start at 1")]
    Zero,
    /// The batch is not strictly ascending by one.
    #[error("mutation {got} follows {previous}; a batch must be consecutive")]
    NotConsecutive {
        /// The number before.
        previous: u64,
        /// The number that does not follow it.
        got: u64,
    },
    /// The first new mutation is not `last_seq + 1`: some mutations were never received.
    #[error("expected mutation {expected} next, got {got}")]
    Gap {
        /// `last_seq + 1`.
        expected: u64,
        /// The number received.
        got: u64,
    },
}

/// Decides, for a batch of sequence numbers, which are replays and which to apply.
///
/// All-or-nothing: either every mutation gets a step, or the batch is refused.
pub fn plan(last_seq: u64, seqs: &[u64]) -> Result<Vec<Step>, SequenceError> {
    let mut steps = Vec::with_capacity(seqs.len());
    let mut previous: Option<u64> = None;
    for &seq in seqs {
        if seq == 0 {
            return Err(SequenceError::Zero);
        }
        if let Some(p) = previous {
            if seq != p.saturating_add(1) {
                return Err(SequenceError::NotConsecutive { previous: p, got: seq });
            }
        }
        if seq <= last_seq {
            steps.push(Step::Replay);
        } else if seq == last_seq.saturating_add(1) || previous.is_some_and(|p| p >= last_seq) {
            steps.push(Step::Apply);
        } else {
            return Err(SequenceError::Gap { expected: last_seq.saturating_add(1), got: seq });
        }
        previous = Some(seq);
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::*;

    #[test]
    fn the_next_numbers_apply_and_old_ones_replay() {
        assert_eq!(plan(0, &[1, 2, 3]), Ok(vec![Apply, Apply, Apply]));
        assert_eq!(plan(2, &[1, 2, 3, 4]), Ok(vec![Replay, Replay, Apply, Apply]));
        assert_eq!(plan(9, &[3, 4]), Ok(vec![Replay, Replay]));
        assert_eq!(plan(5, &[]), Ok(vec![]));
    }

    #[test]
    fn gaps_and_disorder_refuse_the_whole_batch() {
        assert_eq!(plan(0, &[2]), Err(SequenceError::Gap { expected: 1, got: 2 }));
        assert_eq!(plan(3, &[5, 6]), Err(SequenceError::Gap { expected: 4, got: 5 }));
        assert_eq!(plan(0, &[1, 3]), Err(SequenceError::NotConsecutive { previous: 1, got: 3 }));
        assert_eq!(plan(5, &[2, 1]), Err(SequenceError::NotConsecutive { previous: 2, got: 1 }));
        assert_eq!(plan(0, &[1, 1]), Err(SequenceError::NotConsecutive { previous: 1, got: 1 }));
        assert_eq!(plan(0, &[0]), Err(SequenceError::Zero));
    }
}
