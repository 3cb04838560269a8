//! Mutation dependencies: when the server may apply a mutation that names parents
//! ([`crate::sync::protocol::Mutation::depends_on`]).
//!
//! A child is never applied before its parents. A parent's refusal holds its children (neither
//! applied nor lost, until the user resubmits or discards them); a parent the server has not
//! received yet, or has deferred, defers the child until that parent settles.
//!
//! The server re-decides a deferred child each time one of its parents settles, and so on down
//! the graph. `core/tests/deps_props.rs` checks that rule end to end, with parents on other
//! devices and a network that drops, duplicates, delays and restarts: nothing is applied before
//! its parents or twice, every descendant of a refused mutation is held, and nothing stays
//! deferred once all its ancestors have arrived.

use uuid::Uuid;

/// What the server knows of one parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentState {
    /// Applied (flagged included).
    Applied,
    /// Refused for good, with its code and reason.
    Rejected {
        /// The rejection code.
        code: String,
        /// The reason given to the user.
        reason: String,
    },
    /// Held itself (its own parent was refused).
    Held {
        /// Why, as told to the user.
        reason: String,
    },
    /// Held, then discarded by the user.
    Discarded,
    /// Received, waiting for something.
    Deferred,
    /// Not received (yet).
    Unknown,
}

/// What to do with a child, given its parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every parent is applied: check and apply the child now.
    Ready,
    /// A parent was refused (or is held or discarded): hold the child.
    Hold {
        /// The first refused parent, in the child's order.
        parent: Uuid,
        /// The parent's code (`held` or `discarded` when it was not refused itself).
        code: String,
        /// Why, for the user.
        reason: String,
    },
    /// Some parents have not settled: defer the child until they do.
    Wait {
        /// The parents it waits for.
        parents: Vec<Uuid>,
    },
}

/// Decides a child's fate from its parents' states, in the order the child names them. A
/// refusal wins over waiting: a child that can never be applied is held at once.
pub fn decide(parents: &[(Uuid, ParentState)]) -> Decision {
    for (id, state) in parents {
        let held = |code: &str, reason: String| Decision::Hold { parent: *id, code: code.into(), reason };
        match state {
            ParentState::Rejected { code, reason } => {
                return held(code, format!("it depends on a change the server refused: {reason}"))
            }
            ParentState::Held { reason } => return held("held", reason.clone()),
            ParentState::Discarded => {
                return held("discarded", "it depends on a change that was discarded".into())
            }
            ParentState::Applied | ParentState::Deferred | ParentState::Unknown => {}
        }
    }
    let waiting: Vec<Uuid> = parents
        .iter()
        .filter(|(_, s)| matches!(s, ParentState::Deferred | ParentState::Unknown))
        .map(|(id, _)| *id)
        .collect();
    if waiting.is_empty() {
        Decision::Ready
    } else {
        Decision::Wait { parents: waiting }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn no_parents_or_all_applied_is_ready() {
        assert_eq!(decide(&[]), Decision::Ready);
        assert_eq!(decide(&[(id(1), ParentState::Applied), (id(2), ParentState::Applied)]), Decision::Ready);
    }

    #[test]
    fn a_refused_parent_holds_even_when_another_waits() {
        let d = decide(&[
            (id(1), ParentState::Unknown),
            (id(2), ParentState::Rejected { code: "task_closed".into(), reason: "cancelled".into() }),
        ]);
        let Decision::Hold { parent, code, reason } = d else { panic!("held: {d:?}") };
        assert_eq!(parent, id(2));
        assert_eq!(code, "task_closed");
        assert!(reason.contains("cancelled"));
    }

    #[test]
    fn unsettled_parents_defer() {
        let d = decide(&[(id(1), ParentState::Applied), (id(2), ParentState::Deferred), (id(3), ParentState::Unknown)]);
        assert_eq!(d, Decision::Wait { parents: vec![id(2), id(3)] });
    }

    #[test]
    fn a_held_or_discarded_parent_holds_the_child() {
        assert!(matches!(decide(&[(id(1), ParentState::Held { reason: "r".into() })]), Decision::Hold { code, .. } if code == "held"));
        assert!(matches!(decide(&[(id(1), ParentState::Discarded)]), Decision::Hold { code, .. } if code == "discarded"));
    }
}
