//! Field telemetry on the device, natively over the memory store (issue 21): nothing is noted
//! while locked; a round left open by a closed tab is one force-close at the next start, which
//! makes a report due at once; the report goes into the outbox after the work it counts, with
//! the unsynced work and its age, opens with the server's key as a valid `telemetry.report`,
//! and starts a new period that keeps the open offline span; a second tab sees the same record.

use chrono::TimeDelta;
use satchel_core::device::app::Ids;
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::store::MemoryStore;
use satchel_core::device::telemetry::{Telemetry, REPORT_EVERY_SECS};
use satchel_core::device::testkit::{block_on, id, now, order, shop_page, Fixture};
use satchel_core::device::Device;
use satchel_core::sync::protocol::MutationBody;
use satchel_core::telemetry::check_report;
use satchel_core::vault::InsecureTestRng;

#[test]
fn a_round_left_open_is_reported_at_the_next_start_after_the_work_it_counts() {
    block_on(async {
        let f = Fixture::new(61);
        let store = MemoryStore::new();
        let rng = &mut InsecureTestRng::new(5);
        let tab = f.sign_in(store.clone()).await.expect("signs in");
        tab.apply_pull_page(&shop_page().expect("a page"), rng).await.expect("pulls");
        let t0 = now();

        // The first page: started, offline for a while, an order taken, then a push round that
        // never comes back (the tab is killed).
        assert!(tab.telemetry_note(t0, rng, |t| {
            t.started();
            t.unlocked();
        })
        .await
        .expect("noted"));
        tab.telemetry_note(t0, rng, |t| t.went_offline(t0)).await.expect("noted");
        let req = CommitRequest { order: order("OUT-0001", &[("SKU-00001", "2")]).expect("an order"), draft_id: None, task_id: None };
        tab.commit_order(req, t0 + TimeDelta::seconds(30), Ids { record: id(1), mutation: id(1001) }, rng).await.expect("committed");
        // Not due yet: no force-close and the period is young.
        assert!(!tab.telemetry_report(t0 + TimeDelta::seconds(60), id(2), id(1002), rng).await.expect("checked"), "nothing due");
        tab.telemetry_note(t0 + TimeDelta::seconds(90), rng, |t| t.back_online(t0 + TimeDelta::seconds(90))).await.expect("noted");
        tab.telemetry_note(t0 + TimeDelta::seconds(91), rng, Telemetry::round_started).await.expect("noted");
        drop(tab);

        // Locked, the next page notes nothing and queues nothing: the record is sealed.
        let next = Device::open(store.clone()).await.expect("opens");
        assert!(!next.telemetry_note(t0, rng, Telemetry::unlocked).await.expect("answered"), "nothing noted while locked");
        assert!(!next.telemetry_report(t0, id(3), id(1003), rng).await.expect("answered"), "nothing queued while locked");
        next.unlock(f.keys().expect("keys"), rng).await.expect("unlocks");

        // Its start finds the round open: one force-close, and a report due at once.
        let t1 = t0 + TimeDelta::seconds(120);
        next.telemetry_note(t1, rng, |t| {
            t.started();
            t.unlocked();
            t.storage(1_000, 100_000, false);
            t.went_offline(t1);
        })
        .await
        .expect("noted");
        assert!(next.telemetry_report(t1, id(4), id(1004), rng).await.expect("queued"), "a force-close makes it due");
        assert!(!next.telemetry_report(t1, id(5), id(1005), rng).await.expect("checked"), "the new period holds nothing due");

        let sent = f.sent(&next).await.expect("the server opens the outbox");
        assert_eq!(sent.len(), 2, "the order, then the report");
        assert!(matches!(sent[0].body, MutationBody::SalesOrderCreate(_)), "the order first: {:?}", sent[0].body);
        assert!(sent[1].seq > sent[0].seq, "the report after the work it counts");
        let MutationBody::TelemetryReport(report) = &sent[1].body else { panic!("a report: {:?}", sent[1].body) };
        check_report(report).expect("a valid report");
        assert_eq!(report.report_id, id(4));
        assert_eq!((report.from, report.to), (t0, t1));
        assert_eq!((report.app_starts, report.unlocks, report.force_closes), (2, 2, 1));
        assert_eq!(report.offline.count(), 1, "one span ended: 90 s offline");
        assert_eq!((report.storage_used, report.storage_quota, report.persisted), (Some(1_000), Some(100_000), Some(false)));
        assert_eq!(report.unsynced, 1, "the order waits (the report itself is not counted)");
        assert_eq!(report.oldest_unsynced_at, Some(t0 + TimeDelta::seconds(30)), "since its commit");
        assert_eq!(report.entry_to_ack.count(), 0, "nothing was answered");

        // The next period keeps the open offline span; a second tab reads the same record, and
        // its report is due once the period is 15 minutes old.
        let other = f.open_tab(store.clone()).await.expect("second tab");
        let t2 = t1 + TimeDelta::seconds(REPORT_EVERY_SECS - 1);
        other.telemetry_note(t2, rng, |t| t.back_online(t2)).await.expect("noted");
        assert!(!other.telemetry_report(t2, id(6), id(1006), rng).await.expect("checked"), "one second early");
        let t3 = t1 + TimeDelta::seconds(REPORT_EVERY_SECS);
        assert!(next.telemetry_report(t3, id(7), id(1007), rng).await.expect("queued"), "due after 15 minutes");
        let sent = f.sent(&next).await.expect("the server opens the outbox");
        let MutationBody::TelemetryReport(second) = &sent.last().expect("queued").body else { panic!("a report") };
        check_report(second).expect("a valid report");
        assert_eq!(second.from, t1);
        assert_eq!(second.force_closes, 0);
        assert_eq!(second.offline.count(), 1, "the span that began before the report and ended after, noted by the other tab");
        assert_eq!(second.storage_used, Some(1_000), "the storage figures carry over");
    })
    .expect("runs");
}
