//! What the device tells its user when its own storage fails under it. A status that cannot
//! read the outbox says so; it never reports "nothing waiting". When the browser cleared the
//! site's storage (the user's "Clear data", an eviction under storage pressure), the changes
//! that had not reached the server are gone from this device: the user is told which, so they
//! can be entered again.

use serde::Serialize;

/// Why the device cannot say what waits to sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StorageProblem {
    /// The database was closed or emptied under the app.
    Cleared {
        /// The document numbers of the orders that were waiting when it was last read.
        lost_orders: Vec<String>,
        /// Other changes (outlet edits, task completions) that were waiting.
        lost_other: u64,
    },
    /// The database refuses to be read (anything else).
    Unreadable {
        /// The database's own words.
        reason: String,
    },
}

impl StorageProblem {
    /// The sentence for the user.
    pub fn message(&self) -> String {
        match self {
            StorageProblem::Cleared { lost_orders, lost_other } => {
                let mut lost = Vec::new();
                match lost_orders.len() {
                    0 => {}
                    1 => lost.push(format!("1 order ({})", lost_orders[0])),
                    n => lost.push(format!("{n} orders ({})", lost_orders.join(", "))),
                }
                match lost_other {
                    0 => {}
                    1 => lost.push("1 other change".into()),
                    n => lost.push(format!("{n} other changes")),
                }
                if lost.is_empty() {
                    "This device's storage was cleared by the browser. Nothing was waiting to sync, so nothing is lost; sign in again to keep working.".into()
                } else {
                    format!(
                        "This device's storage was cleared by the browser: {} that had not reached the server {} gone from this device. Enter {} again, then sign in again to keep working.",
                        lost.join(" and "),
                        if lost_orders.len() + *lost_other as usize == 1 { "is" } else { "are" },
                        if lost_orders.len() + *lost_other as usize == 1 { "it" } else { "them" },
                    )
                }
            }
            StorageProblem::Unreadable { reason } => {
                format!("This device cannot read its own storage ({reason}), so it cannot tell what waits to sync. Keep the app open and tell your supervisor.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_what_was_lost() {
        let lost = StorageProblem::Cleared { lost_orders: vec!["SO-0001000".into(), "SO-0001001".into()], lost_other: 1 };
        let m = lost.message();
        assert!(m.contains("2 orders (SO-0001000, SO-0001001) and 1 other change"), "{m}");
        assert!(m.contains("are gone"), "{m}");
        let one = StorageProblem::Cleared { lost_orders: vec!["SO-0000007".into()], lost_other: 0 }.message();
        assert!(one.contains("1 order (SO-0000007) that had not reached the server is gone"), "{one}");
        let none = StorageProblem::Cleared { lost_orders: vec![], lost_other: 0 }.message();
        assert!(none.contains("nothing is lost"), "{none}");
    }
}
