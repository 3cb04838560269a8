//! The backup of unsynced work on the device (issue 20), natively over the memory store: the
//! outbox as a backup the server can open (and nothing when nothing waits), made while locked
//! too; and backups rebuilt from a second copy listed in any order, split where an entry is
//! missing, skipping what does not read.

use satchel_core::device::app::{backups_from_copy, Ids};
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::store::{MemoryStore, RawValue};
use satchel_core::device::testkit::{block_on, id, now, order, shop_page, Fixture};
use satchel_core::sync::backup::check;
use satchel_core::sync::protocol::MutationBody;
use satchel_core::vault::InsecureTestRng;

#[test]
fn the_outbox_as_a_backup_and_back_from_a_second_copy() {
    block_on(async {
        let f = Fixture::new(71);
        let store = MemoryStore::new();
        let rng = &mut InsecureTestRng::new(3);
        let device = f.sign_in(store.clone()).await.expect("signs in");
        device.apply_pull_page(&shop_page().expect("a page"), rng).await.expect("pulls");
        assert_eq!(device.backup(now()).await.expect("read"), None, "nothing waits: no backup");
        for n in 1..=3u64 {
            let req = CommitRequest { order: order("OUT-0001", &[("SKU-00001", &n.to_string())]).expect("an order"), draft_id: None, task_id: None };
            device.commit_order(req, now(), Ids { record: id(n), mutation: id(1000 + n) }, rng).await.expect("committed");
        }
        // Each push reports what was committed: 3 changes, numbers used from 1000 through 1002.
        let marks = device.outbox_batch(None, 100).await.expect("outbox").marks;
        assert_eq!(marks.committed_seq, 3);
        assert_eq!(marks.unused_ranges.iter().map(|r| (r.first, r.last)).collect::<Vec<_>>(), vec![(1003, 1999)]);
        device.lock();
        let backup = device.backup(now()).await.expect("read").expect("a backup");
        check(&backup).expect("a well-formed backup");
        assert_eq!(backup.device_id, f.device.device_id);
        assert_eq!(backup.entries.len(), 3, "made while locked");
        for e in &backup.entries {
            let m = satchel_core::sync::sealing::open_mutation(&f.server, 1, f.device.device_id, &f.device_secret, e).expect("the server opens it");
            assert!(matches!(m.body, MutationBody::SalesOrderCreate(_)));
        }
        // A second copy holds the same entries as clear outbox values; listed in any order.
        let values: Vec<RawValue> = store.raw(satchel_core::device::schema::StoreId::Outbox).into_iter().map(|(_, v)| v).collect();
        assert_eq!(values.len(), 3);
        let mut shuffled = vec![values[2].clone(), values[0].clone(), values[1].clone(), values[0].clone()];
        let (rebuilt, unreadable) = backups_from_copy(f.device.device_id, now(), &shuffled);
        assert_eq!((rebuilt.len(), unreadable), (1, 0), "one run, the repeated entry once");
        assert_eq!(rebuilt[0].entries, backup.entries);
        // One entry missing from the copy and one unreadable value: two runs, one skipped.
        shuffled.retain(|v| v != &values[1]);
        shuffled.push(RawValue::Text("not an entry".into()));
        let (runs, unreadable) = backups_from_copy(f.device.device_id, now(), &shuffled);
        assert_eq!(unreadable, 1);
        assert_eq!(runs.iter().map(|b| b.entries.iter().map(|e| e.seq).collect::<Vec<_>>()).collect::<Vec<_>>(), vec![vec![backup.entries[0].seq], vec![backup.entries[2].seq]]);
        for b in &runs {
            check(b).expect("each run is a well-formed backup");
        }
    })
    .expect("runs");
}
