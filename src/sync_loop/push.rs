//! Pushing: the oldest batch of the outbox sent, pipelined (issue 16). While one push is in
//! flight, the previous push's answers are settled and the next batch is read; one push in
//! flight at a time, and a pass ends with every answer settled.

use std::rc::Rc;

use futures::channel::oneshot;

use satchel_core::sync::engine::PushOutcome;
use satchel_core::sync::protocol::{PushRequest, PushResponse, MAX_BATCH};

use super::browser_says_offline;
use crate::error::SatchelError;
use crate::transport::Failure;
use crate::workspace::Inner;
use crate::BrowserRng;

/// Ends a pass's pipeline: waits for the answers of the last push to be settled (they run
/// while the next push is in flight) and forgets the batch read ahead, so that the next pass
/// starts from the outbox as it is. `Err`: the settling failed (its entries are still in the
/// outbox and go again; the server answers them as duplicates).
async fn end_pipeline(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    inner.sync.next_batch.borrow_mut().take();
    settled(inner).await
}

/// Waits for the answers of the last push to be settled, if they are still being settled.
async fn settled(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    let pending = inner.sync.settling.borrow_mut().take();
    match pending {
        Some(r) => r.await.unwrap_or(Err(SatchelError::Network)),
        None => Ok(()),
    }
}

/// Records a push's answers (and what telemetry counts of them). Runs while the next push is in
/// flight.
async fn settle(inner: &Rc<Inner>, response: PushResponse, committed: std::collections::HashMap<u64, u64>, attempts: u32, marking: bool) -> Result<(), SatchelError> {
    // Unlocked: the answers go straight onto the orders, in the transaction that empties the
    // outbox. Locked: they are kept sealed to the device's key until the next unlock.
    let now_ms = crate::now_ms() as u64;
    inner.device.acknowledge(&response.results, &response.number_ranges, now_ms, &mut BrowserRng).await?;
    if marking {
        let at = crate::workspace::now();
        let acked: Vec<chrono::DateTime<chrono::Utc>> = response
            .results
            .iter()
            .filter_map(|r| committed.get(&r.seq).copied())
            .filter(|ms| *ms > 0)
            .filter_map(|ms| chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?))
            .collect();
        // A push sent just before the network went can still be answered after the browser
        // said offline: the browser's later word stands, the span goes on.
        let online = !browser_says_offline();
        if online {
            inner.telemetry_offline.set(false);
        }
        crate::telemetry::note(inner, |t| {
            if online {
                t.back_online(at);
            }
            for c in &acked {
                t.acknowledged(*c, at, attempts);
            }
        })
        .await;
    }
    Ok(())
}

/// One push of the oldest batch in the outbox, pipelined (issue 16): the batch after it is read
/// while it is in flight, and its answers are settled while the next one is (still one push in
/// flight at a time). A pass ends with every answer settled.
pub(super) async fn push_once(inner: &Rc<Inner>) -> PushOutcome {
    let sync = &inner.sync;
    let marking = crate::telemetry::marking(inner);
    let round_finished = || async {
        if marking {
            crate::telemetry::note(inner, satchel_core::device::telemetry::Telemetry::round_finished).await;
        }
    };
    // The clear device record is enough: entries are sealed and the token is push-only, so
    // this runs while the workspace is locked too.
    let Some(device) = inner.device.record() else {
        let _ = end_pipeline(inner).await;
        return PushOutcome::AuthRefused;
    };
    if browser_says_offline() {
        let _ = end_pipeline(inner).await;
        // No request can succeed: do not read and serialize the outbox for nothing after every
        // commit of a day offline. The `online` event wakes the loop.
        *sync.last_error.borrow_mut() = Some(SatchelError::Network);
        if marking && !inner.telemetry_offline.replace(true) {
            crate::telemetry::note(inner, |t| t.went_offline(crate::workspace::now())).await;
        }
        return PushOutcome::Unreachable;
    }
    let read_ahead = sync.next_batch.borrow_mut().take();
    // A batch read ahead continues the round (and its telemetry marker) the pass opened: noting
    // it again would queue behind the settling of the last answers.
    let opens_round = read_ahead.is_none();
    let batch = match read_ahead {
        Some(b) => b,
        None => {
            if let Err(e) = settled(inner).await {
                *sync.last_error.borrow_mut() = Some(e);
                return PushOutcome::Unreachable;
            }
            if marking {
                // A report due goes out with this push, after everything it counted.
                if let (Ok(report_id), Ok(mutation_id)) = (crate::new_id(), crate::new_id()) {
                    let _ = inner.device.telemetry_report(crate::workspace::now(), report_id, mutation_id, &mut BrowserRng).await;
                }
            }
            match inner.device.outbox_batch(None, MAX_BATCH as u32).await {
                Ok(b) => b,
                Err(e) => {
                    *sync.last_error.borrow_mut() = Some(e.into());
                    return PushOutcome::Unreachable;
                }
            }
        }
    };
    let Some(last_seq) = batch.last_seq() else {
        return PushOutcome::NothingToSend;
    };
    let committed: std::collections::HashMap<u64, u64> = batch.committed_ms.iter().copied().collect();
    let attempts = sync.engine.borrow().failures().saturating_add(1);
    if marking && opens_round {
        crate::telemetry::note(inner, satchel_core::device::telemetry::Telemetry::round_started).await;
    }
    let request = PushRequest { device_id: device.device_id, mutations: Vec::new(), sealed: batch.sealed, numbers_left: Some(batch.numbers_left), receipts_left: batch.receipts_left, sent_at: Some(crate::workspace::now()), marks: Some(batch.marks) };
    // While the push is in flight: the last answers finish settling, then the next batch is
    // read (after this one, which is still in the outbox).
    let (answer, (before, next)) = futures::join!(inner.transport.post::<_, PushResponse>("/api/v1/sync/push", &request, Some(&device.push_token)), async {
        let before = settled(inner).await;
        let next = match before {
            Ok(()) => inner.device.outbox_batch(Some(last_seq), MAX_BATCH as u32).await.ok(),
            Err(_) => None,
        };
        (before, next)
    });
    drop(request);
    match answer {
        Ok(response) => {
            let Some(mut next) = next.filter(|n| !n.sealed.is_empty()).filter(|_| before.is_ok()) else {
                // The last batch of the pass (or the one before failed to settle): settled now.
                let result = settle(inner, response, committed, attempts, marking).await;
                let result = before.and(result);
                round_finished().await;
                if let Err(e) = result {
                    *sync.last_error.borrow_mut() = Some(e);
                    return PushOutcome::Unreachable;
                }
                *sync.last_error.borrow_mut() = None;
                *sync.last_synced_at.borrow_mut() = Some(js_sys::Date::new_0().to_iso_string().into());
                let more_pending = inner.device.sync_figures().await.map(|f| f.pending > 0).unwrap_or(false);
                return PushOutcome::Acknowledged { more_pending };
            };
            // More waits: the next batch goes as soon as the engine asks, and these answers are
            // settled meanwhile. The numbers they lease count in the next batch already.
            inner.device.count_leased(&mut next, &response.number_ranges);
            *sync.next_batch.borrow_mut() = Some(next);
            let (done, settling) = oneshot::channel();
            *sync.settling.borrow_mut() = Some(settling);
            let inner_ = inner.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = done.send(settle(&inner_, response, committed, attempts, marking).await);
            });
            *sync.last_error.borrow_mut() = None;
            *sync.last_synced_at.borrow_mut() = Some(js_sys::Date::new_0().to_iso_string().into());
            PushOutcome::Acknowledged { more_pending: true }
        }
        Err(f) => {
            // The batch read ahead is dropped: the next pass reads the outbox again.
            drop(next);
            let outcome = match &f {
                Failure::Unreachable | Failure::CorsRefused { .. } => {
                    if marking {
                        let at = crate::workspace::now();
                        inner.telemetry_offline.set(true);
                        crate::telemetry::note(inner, |t| t.went_offline(at)).await;
                    }
                    PushOutcome::Unreachable
                }
                Failure::Status { status: 401 | 403, .. } => PushOutcome::AuthRefused,
                Failure::RetryLater { after_ms, .. } => PushOutcome::RetryLater { after_ms: *after_ms },
                _ => PushOutcome::BatchRefused,
            };
            round_finished().await;
            *sync.last_error.borrow_mut() = Some(match before {
                Err(e) => e,
                Ok(()) => f.into(),
            });
            outcome
        }
    }
}
