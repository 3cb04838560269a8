//! Field telemetry's browser side (issue 21): when to note what into core's sealed record
//! (`satchel_core::device::telemetry`): the first unlock of a page is an app start, each unlock
//! an unlock, each push a sync round (its marker left set by a tab closed mid-round is a
//! force-close at the next start), the browser's offline/online events and failed or answered
//! pushes the offline spans, acknowledged entries their entry-to-ack times. Best effort: a note
//! that fails is dropped, never an error of the work it measures; nothing is noted while locked.

use std::rc::Rc;

use satchel_core::device::telemetry::Telemetry;
use satchel_core::sync::engine::{SyncEvent, WakeReason};

use crate::workspace::{now, Inner};
use crate::BrowserRng;

/// Notes `f` into the record now (unlocked only).
pub(crate) async fn note(inner: &Rc<Inner>, f: impl Fn(&mut Telemetry)) {
    let _ = inner.device.telemetry_note(now(), &mut BrowserRng, f).await;
}

/// Notes `f` without waiting (from an event listener).
pub(crate) fn spawn_note(inner: &Rc<Inner>, f: impl Fn(&mut Telemetry) + 'static) {
    let inner = inner.clone();
    wasm_bindgen_futures::spawn_local(async move { note(&inner, f).await });
}

/// The workspace was unlocked (or signed in): the first time in this page is the app's start,
/// which counts a force-close when the last round's marker is still set. Sync rounds mark only
/// after this, so a round of this page is never taken for one of the last.
pub(crate) async fn unlocked(inner: &Rc<Inner>) {
    if inner.telemetry_started.get() {
        note(inner, Telemetry::unlocked).await;
        return;
    }
    note(inner, |t| {
        t.started();
        t.unlocked();
    })
    .await;
    inner.telemetry_started.set(true);
    // A force-close makes a report due now; the pushes since the page opened ran locked and
    // could not queue it, and nothing else may be waiting to wake the loop.
    if let (Ok(report_id), Ok(mutation_id)) = (crate::new_id(), crate::new_id()) {
        if inner.device.telemetry_report(now(), report_id, mutation_id, &mut BrowserRng).await == Ok(true) {
            crate::sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        }
    }
}

/// Whether sync rounds are marked (this page's start was noted, and the keys are here).
pub(crate) fn marking(inner: &Inner) -> bool {
    inner.telemetry_started.get() && inner.device.is_unlocked()
}
