//! What became of a mutation: one lifecycle, from the device's outbox to its final state, used by
//! the server (what it records, answers and replays) and by the device (what it shows).
//!
//! ```text
//!            push                      parent refused
//! Pending ───────────► Applied ─┬─ Flagged            Held ──(user discards)──► Discarded
//!    │                          │                      ▲
//!    │                          └─ (final)             │
//!    ├──► Rejected (final)                             │
//!    ├──► Held ────────────────────────────────────────┘
//!    └──► Deferred ──(parents / photos arrive)──► Applied | Flagged | Rejected | Held
//! ```
//!
//! [`Fate`] is the state; the wire's [`Outcome`] is how it is told: a push answer says
//! [`Fate::answer`] for a fresh mutation and [`Fate::replay`] for a replay, and the pull's
//! `mutation_result` says [`Fate::outcome`]. A device turns whatever it is told back into a
//! fate with [`Fate::told`]. What the user sees ([`Status`] and a reason) is derived from the
//! fate, never stored beside it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::protocol::{FlagReason, Outcome};

/// The rejection code the pull gives a held mutation the user discarded.
pub const DISCARDED: &str = "discarded";

/// Where a mutation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Fate {
    /// In the device's outbox; the server has not answered yet (never recorded by the server).
    Pending,
    /// Applied.
    Applied,
    /// Applied, and flagged for a supervisor's review.
    Flagged {
        /// Why, one per finding.
        reasons: Vec<FlagReason>,
    },
    /// Refused for good.
    Rejected {
        /// Stable code, e.g. `total_mismatch` (empty when the device was told only that it was
        /// refused: a replay of a refused mutation).
        code: String,
        /// For the user, naming the field.
        reason: String,
        /// The field concerned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Neither applied nor lost: a mutation it depends on was refused; the user resubmits or
    /// discards it.
    Held {
        /// The mutation whose refusal holds this one.
        parent: Uuid,
        /// The parent's rejection code (`held` when the parent is held itself).
        code: String,
        /// Why, for the user.
        reason: String,
    },
    /// Received and kept, waiting for its parents or its photos.
    Deferred {
        /// `mutation:<id>` and `blob:<sha256>`, sorted.
        waiting_for: Vec<String>,
        /// A sentence for the user.
        reason: String,
    },
    /// Held, then discarded by the user (the device's `mutation.discard`); kept as a record.
    Discarded {
        /// Who discarded it and why.
        reason: String,
    },
}

/// What the user is shown of a fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting to reach the server.
    Pending,
    /// Applied by the server.
    Synced,
    /// Applied and flagged for review.
    Flagged,
    /// Refused by the server.
    Rejected,
    /// Held: something it depends on was refused.
    Held,
    /// The server has it and waits for what it depends on.
    Waiting,
    /// Held, then discarded.
    Discarded,
}

/// Longest `reason` a recorded fate keeps, in characters: a reason may quote the device's input
/// (an unknown SKU), and the input may be megabytes long.
pub const MAX_REASON_CHARS: usize = 300;
/// Longest `field` path kept, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// `text` cut to at most `max` characters, with "…" when something was cut.
pub fn bounded_text(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl Fate {
    /// The same fate with its free texts bounded ([`MAX_REASON_CHARS`], [`MAX_FIELD_CHARS`]): what
    /// the server stores and answers, so no input is echoed back unbounded.
    pub fn bounded(&self) -> Fate {
        let reason = |r: &str| bounded_text(r, MAX_REASON_CHARS);
        match self {
            Fate::Rejected { code, reason: r, field } => Fate::Rejected {
                code: code.clone(),
                reason: reason(r),
                field: field.as_deref().map(|f| bounded_text(f, MAX_FIELD_CHARS)),
            },
            Fate::Held { parent, code, reason: r } => Fate::Held { parent: *parent, code: code.clone(), reason: reason(r) },
            Fate::Deferred { waiting_for, reason: r } => Fate::Deferred { waiting_for: waiting_for.clone(), reason: reason(r) },
            Fate::Discarded { reason: r } => Fate::Discarded { reason: reason(r) },
            Fate::Flagged { reasons } => Fate::Flagged {
                reasons: reasons
                    .iter()
                    .map(|f| FlagReason { rule: f.rule.clone(), message: reason(&f.message) })
                    .collect(),
            },
            Fate::Pending | Fate::Applied => self.clone(),
        }
    }

    /// Deferred on `waiting_for` (sorted and deduplicated here), with the sentence for the user.
    pub fn deferred(mut waiting_for: Vec<String>) -> Fate {
        waiting_for.sort();
        waiting_for.dedup();
        Fate::Deferred { reason: deferred_reason(&waiting_for), waiting_for }
    }

    /// Whether the server has not answered yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, Fate::Pending)
    }

    /// Whether the mutation's effects count on the server (applied, flagged).
    pub fn is_applied(&self) -> bool {
        matches!(self, Fate::Applied | Fate::Flagged { .. })
    }

    /// What the user is shown.
    pub fn status(&self) -> Status {
        match self {
            Fate::Pending => Status::Pending,
            Fate::Applied => Status::Synced,
            Fate::Flagged { .. } => Status::Flagged,
            Fate::Rejected { .. } => Status::Rejected,
            Fate::Held { .. } => Status::Held,
            Fate::Deferred { .. } => Status::Waiting,
            Fate::Discarded { .. } => Status::Discarded,
        }
    }

    /// Why, for the user (absent for pending and plainly applied mutations).
    pub fn reason(&self) -> Option<String> {
        match self {
            Fate::Pending | Fate::Applied => None,
            Fate::Flagged { reasons } => Some(reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; ")),
            Fate::Rejected { reason, .. } | Fate::Held { reason, .. } | Fate::Deferred { reason, .. } | Fate::Discarded { reason } => {
                Some(reason.clone())
            }
        }
    }

    /// The status the server keeps in its `mutations` row (a flagged mutation is `applied`,
    /// with a review-queue row beside it).
    pub fn stored_status(&self) -> &'static str {
        match self {
            Fate::Pending => "pending",
            Fate::Applied | Fate::Flagged { .. } => "applied",
            Fate::Rejected { .. } => "rejected",
            Fate::Held { .. } => "held",
            Fate::Deferred { .. } => "deferred",
            Fate::Discarded { .. } => "discarded",
        }
    }

    /// As a fresh push is answered, and as the pull tells a later outcome (`mutation_result`):
    /// the fate itself; a discarded mutation is `rejected` with code [`DISCARDED`]. `None` for
    /// [`Fate::Pending`], which the server never records.
    pub fn outcome(&self) -> Option<Outcome> {
        Some(match self.clone() {
            Fate::Pending => return None,
            Fate::Applied => Outcome::Applied,
            Fate::Flagged { reasons } => Outcome::Flagged { reasons },
            Fate::Rejected { code, reason, field } => Outcome::Rejected { code, reason, field },
            Fate::Held { parent, code, reason } => Outcome::Held { parent, code, reason },
            Fate::Deferred { waiting_for, reason } => Outcome::Deferred { waiting_for, reason },
            Fate::Discarded { reason } => Outcome::Rejected { code: DISCARDED.into(), reason, field: None },
        })
    }

    /// As a replay of a push is answered: `duplicate` for a settled mutation (naming `applied`,
    /// `rejected` or `discarded`); a flagged, held or deferred one is answered as it stands, so a
    /// device whose first answer was lost still learns the flag or the wait.
    pub fn replay(&self) -> Option<Outcome> {
        let duplicate = |original: &str| Outcome::Duplicate { original: original.into() };
        Some(match self {
            Fate::Pending => return None,
            Fate::Applied => duplicate("applied"),
            Fate::Rejected { .. } => duplicate("rejected"),
            Fate::Discarded { .. } => duplicate(DISCARDED),
            other => return other.outcome(),
        })
    }

    /// What a device makes of being told `outcome` about a mutation whose fate it knew as
    /// `self`: a replay's `duplicate` keeps what the device already knew of a settled fate.
    pub fn told(&self, outcome: &Outcome) -> Fate {
        match outcome {
            Outcome::Applied => Fate::Applied,
            Outcome::Flagged { reasons } => Fate::Flagged { reasons: reasons.clone() },
            Outcome::Rejected { code, reason, .. } if code == DISCARDED => Fate::Discarded { reason: reason.clone() },
            Outcome::Rejected { code, reason, field } => {
                Fate::Rejected { code: code.clone(), reason: reason.clone(), field: field.clone() }
            }
            Outcome::Held { parent, code, reason } => Fate::Held { parent: *parent, code: code.clone(), reason: reason.clone() },
            Outcome::Deferred { waiting_for, reason } => {
                Fate::Deferred { waiting_for: waiting_for.clone(), reason: reason.clone() }
            }
            Outcome::Duplicate { original } => match (original.as_str(), self) {
                ("applied", Fate::Flagged { .. }) => self.clone(),
                ("applied", _) => Fate::Applied,
                (DISCARDED, Fate::Discarded { .. }) => self.clone(),
                (DISCARDED, _) => Fate::Discarded { reason: "discarded".into() },
                (_, Fate::Rejected { .. }) => self.clone(),
                _ => Fate::Rejected { code: String::new(), reason: "refused by the server".into(), field: None },
            },
        }
    }
}

/// The sentence a deferred mutation is told, from what it waits for.
pub fn deferred_reason(waiting_for: &[String]) -> String {
    let changes = waiting_for.iter().filter(|w| w.starts_with("mutation:")).count();
    let photos = waiting_for.iter().filter(|w| w.starts_with("blob:")).count();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let mut parts = Vec::new();
    if changes > 0 {
        parts.push(format!("{} it depends on to reach the server", plural(changes, "other change", "other changes")));
    }
    if photos > 0 {
        parts.push(format!("{} to finish uploading", plural(photos, "photo", "photos")));
    }
    if parts.is_empty() {
        return "Received and kept; the server applies it shortly.".into();
    }
    format!(
        "Received and kept, not applied yet: waiting for {}. The server applies it then by itself; nothing to resend.",
        parts.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected() -> Fate {
        Fate::Rejected { code: "total_mismatch".into(), reason: "total: 10.00, server 10.01".into(), field: Some("total".into()) }
    }

    #[test]
    fn free_texts_are_bounded_and_short_ones_kept() {
        let long = "x".repeat(900_030);
        let f = Fate::Rejected { code: "unknown_product".into(), reason: format!("unknown product {long}"), field: Some(long.clone()) };
        let Fate::Rejected { reason, field, .. } = f.bounded() else { panic!("rejected") };
        assert_eq!(reason.chars().count(), MAX_REASON_CHARS);
        assert!(reason.starts_with("unknown product xxx") && reason.ends_with('…'));
        assert_eq!(field.map(|f| f.chars().count()), Some(MAX_FIELD_CHARS));
        let short = Fate::Discarded { reason: "é".repeat(MAX_REASON_CHARS) };
        assert_eq!(short.bounded(), short, "exactly at the limit: kept whole");
    }

    #[test]
    fn the_deferred_sentence_counts_what_it_waits_for() {
        let one = deferred_reason(&["mutation:x".into()]);
        assert!(one.contains("1 other change it depends on"), "{one}");
        let both = deferred_reason(&["blob:a".into(), "blob:b".into(), "mutation:x".into()]);
        assert!(both.contains("1 other change") && both.contains("2 photos to finish uploading"), "{both}");
    }

    #[test]
    fn replays_word_settled_fates_as_duplicates_and_the_rest_as_they_stand() {
        assert_eq!(Fate::Applied.replay(), Some(Outcome::Duplicate { original: "applied".into() }));
        assert_eq!(Fate::Discarded { reason: "r".into() }.replay(), Some(Outcome::Duplicate { original: "discarded".into() }));
        let held = Fate::Held { parent: Uuid::nil(), code: "task_closed".into(), reason: "r".into() };
        assert_eq!(held.replay(), held.outcome());
        assert!(matches!(Fate::Discarded { reason: "r".into() }.outcome(), Some(Outcome::Rejected { code, .. }) if code == DISCARDED));
        assert_eq!(Fate::Pending.outcome(), None);
    }

    #[test]
    fn every_fate_told_back_to_a_device_is_the_same_fate() {
        let fates = vec![
            Fate::Applied,
            Fate::Flagged { reasons: vec![FlagReason { rule: "credit_limit".into(), message: "over".into() }] },
            rejected(),
            Fate::Held { parent: Uuid::nil(), code: "task_closed".into(), reason: "cancelled".into() },
            Fate::deferred(vec!["blob:b".into(), "blob:a".into(), "blob:a".into()]),
            Fate::Discarded { reason: "replaced".into() },
        ];
        for fate in fates {
            let outcome = fate.outcome().expect("recorded");
            assert_eq!(Fate::Pending.told(&outcome), fate, "the pull tells {fate:?}");
            let replay = fate.replay().expect("recorded");
            assert_eq!(fate.told(&replay), fate, "a replay keeps {fate:?}");
        }
    }

    #[test]
    fn a_duplicate_of_a_refusal_the_device_never_heard_is_still_a_refusal() {
        let told = Fate::Pending.told(&Outcome::Duplicate { original: "rejected".into() });
        assert_eq!(told.status(), Status::Rejected);
        assert_eq!(told.reason().as_deref(), Some("refused by the server"));
        assert_eq!(Fate::Pending.told(&Outcome::Duplicate { original: "applied".into() }), Fate::Applied);
    }

    #[test]
    fn what_the_user_sees_is_derived_from_the_fate() {
        assert_eq!((Fate::Pending.status(), Fate::Pending.reason()), (Status::Pending, None));
        assert_eq!(rejected().reason().as_deref(), Some("total: 10.00, server 10.01"));
        assert_eq!(Fate::deferred(vec!["blob:a".into()]).status(), Status::Waiting);
        let stored: Vec<&str> = [Fate::Applied, Fate::Flagged { reasons: vec![] }, rejected()].iter().map(Fate::stored_status).collect();
        assert_eq!(stored, ["applied", "applied", "rejected"]);
    }
}
