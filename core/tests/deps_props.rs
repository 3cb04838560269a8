//! Mutation dependencies under a hostile network, as a property.
//!
//! Devices push mutations that name parents (`Mutation::depends_on`), possibly on other devices,
//! possibly committed or delivered later than their children. A model server applies each
//! device's sequence exactly once (`sequencing::plan`, as `core/tests/sync_props.rs` does) and
//! decides every new mutation with `deps::decide`: ready → its own verdict (a `task.complete` of
//! a closed task is rejected), hold → held, wait → deferred, and re-decided whenever a parent
//! settles, recursively. A fake transport, on a fake clock, drops requests, drops answers after
//! the server committed, delivers requests twice, delays them (reordering deliveries within and
//! between devices), and restarts the server (its durable state survives, what is in flight is
//! lost) or a device (its outbox survives, the answers it awaited are lost).
//!
//! Once everything is delivered: every mutation has exactly one final state and was applied at
//! most once; none was applied before all its parents were; every descendant of a rejected one
//! is held; none stays deferred; and replays never change a recorded state.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use satchel_core::sync::deps::{decide, Decision, ParentState};
use satchel_core::sync::protocol::{rejection_codes, Mutation, MutationBody, Outcome, TaskCompletion};
use satchel_core::sync::sequencing::{plan, Step};
use uuid::Uuid;

/// Largest batch a device pushes.
const BATCH: usize = 3;

// ---------------------------------------------------------------------------------------------
// The fake clock.

#[derive(Default)]
struct Clock(u64);

impl Clock {
    fn tick(&mut self) {
        self.0 += 1;
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + self.0 as i64, 0).expect("in range")
    }
}

// ---------------------------------------------------------------------------------------------
// The model server.

/// What the server recorded of one mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Applied,
    Rejected { code: String, reason: String },
    Held { parent: Uuid, code: String, reason: String },
    Deferred,
}

impl State {
    fn status(&self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Rejected { .. } => "rejected",
            State::Held { .. } => "held",
            State::Deferred => "deferred",
        }
    }

    fn is_final(&self) -> bool {
        !matches!(self, State::Deferred)
    }
}

/// The server's durable state: what its database transactions write. A restart keeps it whole.
#[derive(Debug, Clone, Default, PartialEq)]
struct Durable {
    /// Per device, the highest sequence number recorded.
    last_seq: BTreeMap<Uuid, u64>,
    /// Every recorded mutation, by id.
    received: BTreeMap<Uuid, Mutation>,
    /// (device, seq) → mutation id.
    by_seq: BTreeMap<(Uuid, u64), Uuid>,
    /// Each recorded mutation's state.
    state: BTreeMap<Uuid, State>,
    /// The effects, in the order they were applied.
    applied: Vec<Uuid>,
}

/// What the test sees of the server from outside: every state change and every breach.
#[derive(Default)]
struct Audit {
    /// (mutation, state before, state after), in order.
    transitions: Vec<(Uuid, Option<State>, State)>,
    /// How many times each mutation's effect ran.
    applications: BTreeMap<Uuid, u32>,
    violations: Vec<String>,
}

/// The answer to a push: per mutation, its sequence number, id and outcome.
type Answer = Result<Vec<(u64, Uuid, Outcome)>, ()>;

#[derive(Default)]
struct Server {
    db: Durable,
}

impl Server {
    fn parent_state(&self, id: &Uuid) -> ParentState {
        match self.db.state.get(id) {
            None => ParentState::Unknown,
            Some(State::Applied) => ParentState::Applied,
            Some(State::Rejected { code, reason }) => ParentState::Rejected { code: code.clone(), reason: reason.clone() },
            Some(State::Held { reason, .. }) => ParentState::Held { reason: reason.clone() },
            Some(State::Deferred) => ParentState::Deferred,
        }
    }

    /// One push, all or nothing, like the SQL transaction.
    fn push(&mut self, audit: &mut Audit, device: Uuid, batch: &[Mutation]) -> Answer {
        let seqs: Vec<u64> = batch.iter().map(|m| m.seq).collect();
        let last_seq = self.db.last_seq.get(&device).copied().unwrap_or(0);
        let steps = plan(last_seq, &seqs).map_err(|_| ())?;
        let mut answer = Vec::with_capacity(batch.len());
        for (m, step) in batch.iter().zip(steps) {
            match step {
                Step::Replay => {
                    let writes = audit.transitions.len();
                    let recorded = self.db.by_seq.get(&(device, m.seq)).copied();
                    if recorded != Some(m.id) {
                        audit.violations.push(format!("replay of {}#{} names {:?}, recorded {:?}", device, m.seq, m.id, recorded));
                    }
                    let original = self.db.state.get(&m.id).map_or("unknown", State::status).to_string();
                    answer.push((m.seq, m.id, Outcome::Duplicate { original }));
                    if audit.transitions.len() != writes {
                        audit.violations.push(format!("the replay of {} wrote {:?}", m.id, &audit.transitions[writes..]));
                    }
                }
                Step::Apply => {
                    self.db.last_seq.insert(device, m.seq);
                    self.db.by_seq.insert((device, m.seq), m.id);
                    self.db.received.insert(m.id, m.clone());
                    let state = self.decide(audit, m.id);
                    let outcome = self.outcome(m.id, &state);
                    answer.push((m.seq, m.id, outcome));
                }
            }
        }
        Ok(answer)
    }

    /// Decides a recorded mutation from its parents and records the decision; when it settles,
    /// re-decides the deferred mutations waiting on it, and so on down.
    fn decide(&mut self, audit: &mut Audit, id: Uuid) -> State {
        let state = self.decision(audit, id);
        self.record(audit, id, state.clone());
        let mut settled: VecDeque<Uuid> = VecDeque::new();
        if state.is_final() {
            settled.push_back(id);
        }
        while let Some(parent) = settled.pop_front() {
            let waiting: Vec<Uuid> = self
                .db
                .received
                .values()
                .filter(|m| m.depends_on.contains(&parent) && self.db.state.get(&m.id) == Some(&State::Deferred))
                .map(|m| m.id)
                .collect();
            for child in waiting {
                let s = self.decision(audit, child);
                if s.is_final() {
                    self.record(audit, child, s);
                    settled.push_back(child);
                }
            }
        }
        self.db.state[&id].clone()
    }

    /// `deps::decide`, then the mutation's own verdict when it is ready (applying it).
    fn decision(&mut self, audit: &mut Audit, id: Uuid) -> State {
        let m = &self.db.received[&id];
        let parents: Vec<(Uuid, ParentState)> = m.depends_on.iter().map(|p| (*p, self.parent_state(p))).collect();
        match decide(&parents) {
            Decision::Ready => {
                let MutationBody::TaskComplete(task) = &m.body else { unreachable!("the model only makes task.complete") };
                if task.task_id.starts_with("closed") {
                    State::Rejected { code: rejection_codes::TASK_CLOSED.into(), reason: format!("task {} is closed", task.task_id) }
                } else {
                    for p in &m.depends_on {
                        if self.db.state.get(p) != Some(&State::Applied) {
                            audit.violations.push(format!("{id} applied before its parent {p} ({:?})", self.db.state.get(p)));
                        }
                    }
                    self.db.applied.push(id);
                    *audit.applications.entry(id).or_default() += 1;
                    State::Applied
                }
            }
            Decision::Hold { parent, code, reason } => State::Held { parent, code, reason },
            Decision::Wait { .. } => State::Deferred,
        }
    }

    fn record(&mut self, audit: &mut Audit, id: Uuid, state: State) {
        let before = self.db.state.insert(id, state.clone());
        if before.as_ref().is_some_and(State::is_final) {
            audit.violations.push(format!("{id}: recorded {before:?} changed to {state:?}"));
        }
        audit.transitions.push((id, before, state));
    }

    fn outcome(&self, id: Uuid, state: &State) -> Outcome {
        match state {
            State::Applied => Outcome::Applied,
            State::Rejected { code, reason } => Outcome::Rejected { code: code.clone(), reason: reason.clone(), field: None },
            State::Held { parent, code, reason } => Outcome::Held { parent: *parent, code: code.clone(), reason: reason.clone() },
            State::Deferred => {
                let m = &self.db.received[&id];
                let waiting_for = m
                    .depends_on
                    .iter()
                    .filter(|p| !matches!(self.db.state.get(p), Some(State::Applied)))
                    .map(|p| format!("mutation:{p}"))
                    .collect();
                Outcome::Deferred { waiting_for, reason: "it waits for changes it depends on".into() }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The devices and the transport.

struct Device {
    id: Uuid,
    /// Durable: committed, not yet acknowledged, in sequence order.
    outbox: VecDeque<Mutation>,
    /// Mutations the rep has yet to make, in sequence order (no created_at yet).
    to_commit: VecDeque<Mutation>,
    /// Bumped by a restart: answers to requests sent before it are lost.
    epoch: u32,
}

impl Device {
    fn next_batch(&self) -> Vec<Mutation> {
        self.outbox.iter().take(BATCH).cloned().collect()
    }

    fn commit(&mut self, clock: &Clock) {
        if let Some(mut m) = self.to_commit.pop_front() {
            m.created_at = clock.now();
            if let MutationBody::TaskComplete(t) = &mut m.body {
                t.completed_at = m.created_at;
            }
            self.outbox.push_back(m);
        }
    }

    /// A 200: every mutation it names is consumed (applied, rejected, held, deferred or a
    /// replay of one of those) and leaves the outbox.
    fn acknowledge(&mut self, answer: &[(u64, Uuid, Outcome)]) {
        for (seq, id, _) in answer {
            if let Some(pos) = self.outbox.iter().position(|m| m.seq == *seq) {
                assert_eq!(self.outbox[pos].id, *id, "the answer names the mutation sent");
                self.outbox.remove(pos);
            }
        }
    }
}

/// A request on its way, delivered when the clock reaches `due`.
struct Packet {
    due: u64,
    device: usize,
    epoch: u32,
    batch: Vec<Mutation>,
}

/// The whole world: server, devices, network, clock and the test's audit.
struct World {
    clock: Clock,
    server: Server,
    devices: Vec<Device>,
    in_flight: Vec<Packet>,
    audit: Audit,
}

impl World {
    /// The server handles a request; the device gets the answer if it still waits for it.
    fn deliver(&mut self, device: usize, epoch: u32, batch: &[Mutation], answer_lost: bool) {
        let d = self.devices[device].id;
        let answer = self.server.push(&mut self.audit, d, batch);
        let device = &mut self.devices[device];
        if let (Ok(answer), false) = (answer, answer_lost || device.epoch != epoch) {
            device.acknowledge(&answer);
        }
    }

    /// Advances the clock and delivers what is due, oldest first (ties in sending order).
    fn tick(&mut self) {
        self.clock.tick();
        let now = self.clock.0;
        let (due, later): (Vec<Packet>, Vec<Packet>) = std::mem::take(&mut self.in_flight).into_iter().partition(|p| p.due <= now);
        self.in_flight = later;
        let mut due = due;
        due.sort_by_key(|p| p.due);
        for p in due {
            self.deliver(p.device, p.epoch, &p.batch, false);
        }
    }

    fn act(&mut self, device: usize, action: Action) {
        let device = device % self.devices.len();
        match action {
            Action::Commit => self.devices[device].commit(&self.clock),
            Action::RestartServer => self.in_flight.clear(),
            Action::RestartDevice => self.devices[device].epoch += 1,
            Action::Send(fate) => {
                let batch = self.devices[device].next_batch();
                let epoch = self.devices[device].epoch;
                if !batch.is_empty() {
                    match fate {
                        Fate::Deliver => self.deliver(device, epoch, &batch, false),
                        Fate::DropRequest => {}
                        Fate::DropResponse => self.deliver(device, epoch, &batch, true),
                        Fate::Duplicate => {
                            self.deliver(device, epoch, &batch, false);
                            self.deliver(device, epoch, &batch, false);
                        }
                        Fate::Delay(d) => self.in_flight.push(Packet { due: self.clock.0 + d, device, epoch, batch }),
                    }
                }
            }
        }
        self.tick();
    }

    /// Every recorded state agrees with its parents' states right now (nothing is left waiting
    /// on a parent that settled), and every deferred mutation waits, through its parents, for
    /// one the server has not received.
    fn check_states(&mut self) {
        let db = &self.server.db;
        for (id, state) in &db.state {
            let parents: Vec<(Uuid, Option<&State>)> =
                db.received[id].depends_on.iter().map(|p| (*p, db.state.get(p))).collect();
            let refused = |s: Option<&State>| matches!(s, Some(State::Rejected { .. } | State::Held { .. }));
            let ok = match state {
                State::Applied | State::Rejected { .. } => parents.iter().all(|(_, s)| *s == Some(&State::Applied)),
                State::Held { parent, .. } => parents.iter().any(|(p, s)| p == parent && refused(*s)),
                State::Deferred => {
                    parents.iter().all(|(_, s)| !refused(*s)) && parents.iter().any(|(_, s)| *s != Some(&State::Applied))
                }
            };
            if !ok {
                self.audit.violations.push(format!("{id} is {state:?} while its parents are {parents:?}"));
            }
            if *state != State::Deferred {
                continue;
            }
            let mut stack = vec![*id];
            let mut seen = BTreeSet::new();
            let mut missing = false;
            while let Some(m) = stack.pop() {
                if !seen.insert(m) {
                    continue;
                }
                match self.server.db.received.get(&m) {
                    None => missing = true,
                    Some(r) => stack.extend(r.depends_on.iter().copied()),
                }
            }
            if !missing {
                self.audit.violations.push(format!("{id} deferred though all its ancestors were received"));
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fate {
    Deliver,
    DropRequest,
    /// The server commits; the answer is lost.
    DropResponse,
    /// Delivered twice; the device sees both answers.
    Duplicate,
    /// Delivered this many ticks later, after whatever was sent meanwhile.
    Delay(u64),
}

#[derive(Debug, Clone, Copy)]
enum Action {
    /// The rep makes the device's next mutation.
    Commit,
    /// The device pushes its oldest mutations.
    Send(Fate),
    /// Durable state survives; requests in flight are lost.
    RestartServer,
    /// The outbox survives; answers awaited are lost.
    RestartDevice,
}

fn action() -> impl Strategy<Value = Action> {
    let fate = prop_oneof![
        3 => Just(Fate::Deliver),
        1 => Just(Fate::DropRequest),
        1 => Just(Fate::DropResponse),
        1 => Just(Fate::Duplicate),
        2 => (1u64..6).prop_map(Fate::Delay),
    ];
    prop_oneof![
        3 => Just(Action::Commit),
        6 => fate.prop_map(Action::Send),
        1 => Just(Action::RestartServer),
        1 => Just(Action::RestartDevice),
    ]
}

/// One mutation to be: its device, whether its own verdict refuses it, and its parents (indexes
/// of earlier mutations, so the graph has no cycle; same-device parents come earlier in that
/// device's sequence).
#[derive(Debug, Clone)]
struct Spec {
    device: usize,
    invalid: bool,
    parents: Vec<usize>,
}

fn specs() -> impl Strategy<Value = (usize, Vec<Spec>)> {
    let one = (0usize..3, prop::bool::weighted(0.25), prop::collection::vec(any::<prop::sample::Index>(), 0..3));
    (1usize..=3, prop::collection::vec(one, 1..=10)).prop_map(|(devices, raw)| {
        let specs = raw
            .into_iter()
            .enumerate()
            .map(|(i, (device, invalid, parents))| {
                let mut parents: Vec<usize> = if i == 0 { vec![] } else { parents.iter().map(|p| p.index(i)).collect() };
                parents.sort_unstable();
                parents.dedup();
                Spec { device: device % devices, invalid, parents }
            })
            .collect();
        (devices, specs)
    })
}

fn mutation_id(i: usize) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128 + 1)
}

fn device_id(d: usize) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_00d0_0000 + d as u128)
}

fn build(devices: usize, specs: &[Spec], clock: &Clock) -> Vec<Device> {
    let mut out: Vec<Device> = (0..devices)
        .map(|d| Device { id: device_id(d), outbox: VecDeque::new(), to_commit: VecDeque::new(), epoch: 0 })
        .collect();
    for (i, s) in specs.iter().enumerate() {
        let device = &mut out[s.device];
        let seq = device.to_commit.len() as u64 + 1;
        let task_id = format!("{}-{i}", if s.invalid { "closed" } else { "open" });
        device.to_commit.push_back(Mutation {
            device_id: device.id,
            seq,
            id: mutation_id(i),
            body: MutationBody::TaskComplete(TaskCompletion { task_id, completed_at: clock.now(), note: String::new(), photos: vec![], day: None }),
            created_at: clock.now(),
            depends_on: s.parents.iter().map(|&p| mutation_id(p)).collect(),
        });
    }
    out
}

/// The final state each mutation must reach, whatever the order things arrived in.
fn expected(specs: &[Spec]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::with_capacity(specs.len());
    for s in specs {
        let state = if s.parents.iter().any(|&p| out[p] != "applied") {
            "held"
        } else if s.invalid {
            "rejected"
        } else {
            "applied"
        };
        out.push(state);
    }
    out
}

fn run(devices: usize, specs: &[Spec], actions: Vec<(usize, Action)>) -> Result<(), TestCaseError> {
    let clock = Clock::default();
    let devs = build(devices, specs, &clock);
    let mut w = World { clock, server: Server::default(), devices: devs, in_flight: vec![], audit: Audit::default() };

    for (device, action) in actions {
        w.act(device, action);
        w.check_states();
        prop_assert!(w.audit.violations.is_empty(), "during the run: {:?}", w.audit.violations);
    }

    // The network heals: what is in flight arrives, the reps finish their work, and every device
    // pushes until its outbox is empty.
    while !w.in_flight.is_empty() {
        w.tick();
    }
    for d in &mut w.devices {
        while !d.to_commit.is_empty() {
            d.commit(&w.clock);
        }
    }
    let mut rounds = 0;
    while w.devices.iter().any(|d| !d.outbox.is_empty()) {
        for i in 0..w.devices.len() {
            let batch = w.devices[i].next_batch();
            if batch.is_empty() {
                continue;
            }
            let id = w.devices[i].id;
            let answer = w.server.push(&mut w.audit, id, &batch);
            prop_assert!(answer.is_ok(), "a healed network never sees a refused batch");
            if let Ok(answer) = answer {
                w.devices[i].acknowledge(&answer);
            }
        }
        rounds += 1;
        prop_assert!(rounds < 100, "the outboxes drain");
    }
    w.check_states();
    prop_assert!(w.audit.violations.is_empty(), "{:?}", w.audit.violations);

    let db = &w.server.db;
    let ids: Vec<Uuid> = (0..specs.len()).map(mutation_id).collect();

    // Exactly one final state each, reached once; applied at most once, and only if applied.
    prop_assert_eq!(db.state.len(), specs.len(), "every mutation recorded");
    for id in &ids {
        let state = &db.state[id];
        prop_assert!(state.is_final(), "{} still deferred though everything was delivered", id);
        let finals = w.audit.transitions.iter().filter(|(m, _, s)| m == id && s.is_final()).count();
        prop_assert_eq!(finals, 1, "{} settled {} times", id, finals);
        let n = w.audit.applications.get(id).copied().unwrap_or(0);
        prop_assert_eq!(n, u32::from(*state == State::Applied), "{} applied {} times, state {:?}", id, n, state);
    }

    // Never applied before its parents: each parent's effect comes earlier in the log.
    let position: BTreeMap<Uuid, usize> = db.applied.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for (i, s) in specs.iter().enumerate() {
        if let Some(&at) = position.get(&mutation_id(i)) {
            for &p in &s.parents {
                let parent_at = position.get(&mutation_id(p)).copied();
                prop_assert!(parent_at.is_some_and(|pa| pa < at), "{} applied at {} before its parent {} ({:?})", i, at, p, parent_at);
            }
        }
    }

    // Every descendant of a rejected mutation is held, naming a parent that did not apply.
    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in specs.iter().enumerate() {
        for &p in &s.parents {
            children.entry(p).or_default().push(i);
        }
    }
    for (i, _) in specs.iter().enumerate() {
        if !matches!(db.state[&mutation_id(i)], State::Rejected { .. }) {
            continue;
        }
        let mut stack = children.get(&i).cloned().unwrap_or_default();
        while let Some(c) = stack.pop() {
            let state = &db.state[&mutation_id(c)];
            prop_assert!(matches!(state, State::Held { .. }), "{} descends from rejected {} but is {:?}", c, i, state);
            stack.extend(children.get(&c).cloned().unwrap_or_default());
        }
    }
    for (i, s) in specs.iter().enumerate() {
        if let State::Held { parent, .. } = &db.state[&mutation_id(i)] {
            let named = s.parents.iter().find(|&&p| mutation_id(p) == *parent);
            prop_assert!(named.is_some(), "{} held by {} which is not its parent", i, parent);
            prop_assert!(matches!(db.state[parent], State::Rejected { .. } | State::Held { .. }), "{} held by {} which is {:?}", i, parent, db.state[parent]);
        }
    }

    // The final states are the ones the dependency graph dictates, whatever the arrival order.
    let want = expected(specs);
    let got: Vec<&'static str> = ids.iter().map(|id| db.state[id].status()).collect();
    prop_assert_eq!(got, want);

    // Replays never change a recorded state: every device sends its whole history again, and the
    // server answers each mutation as a duplicate of what it recorded, writing nothing.
    let before = w.server.db.clone();
    let history: Vec<(Uuid, Vec<Mutation>)> =
        before.received.values().fold(BTreeMap::<Uuid, Vec<Mutation>>::new(), |mut by_device, m| {
            by_device.entry(m.device_id).or_default().push(m.clone());
            by_device
        })
        .into_iter()
        .map(|(d, mut ms)| {
            ms.sort_by_key(|m| m.seq);
            (d, ms)
        })
        .collect();
    for (device, mutations) in history {
        for batch in mutations.chunks(BATCH) {
            let answer = w.server.push(&mut w.audit, device, batch);
            let Ok(answer) = answer else { return Err(TestCaseError::fail("a replay was refused")) };
            for (_, id, outcome) in answer {
                let recorded = before.state[&id].status();
                prop_assert_eq!(outcome, Outcome::Duplicate { original: recorded.to_string() });
            }
        }
    }
    prop_assert!(w.server.db == before, "a replay changed the server's state");
    prop_assert!(w.audit.violations.is_empty(), "{:?}", w.audit.violations);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn dependencies_settle_once_in_order_and_refusals_hold_descendants(
        (devices, specs) in specs(),
        actions in prop::collection::vec((0usize..3, action()), 0..70),
    ) {
        run(devices, &specs, actions)?;
    }
}

#[test]
fn a_child_arriving_before_its_parent_on_another_device_waits_for_it() {
    // Mutation 1 (device 1) depends on mutation 0 (device 0); device 1 pushes first.
    let specs = vec![
        Spec { device: 0, invalid: false, parents: vec![] },
        Spec { device: 1, invalid: false, parents: vec![0] },
    ];
    let actions = vec![
        (1, Action::Commit),
        (1, Action::Send(Fate::Deliver)),
        (0, Action::Commit),
        (0, Action::Send(Fate::Deliver)),
    ];
    run(2, &specs, actions).expect("holds");
}

#[test]
fn a_rejected_grandparent_holds_the_whole_line_across_devices() {
    let specs = vec![
        Spec { device: 0, invalid: true, parents: vec![] },
        Spec { device: 1, invalid: false, parents: vec![0] },
        Spec { device: 0, invalid: false, parents: vec![1] },
    ];
    // The grandchild arrives before its parent (whose push is lost in a server restart) and
    // waits; when the parent arrives it is held, its grandparent having been rejected, and the
    // grandchild is re-decided and held with it.
    let actions = vec![
        (1, Action::Commit),
        (1, Action::Send(Fate::Delay(3))),
        (0, Action::Commit),
        (0, Action::Commit),
        (0, Action::Send(Fate::DropResponse)),
        (0, Action::RestartServer),
        (0, Action::Send(Fate::Duplicate)),
    ];
    let expected_states = expected(&specs);
    assert_eq!(expected_states, vec!["rejected", "held", "held"]);
    run(2, &specs, actions).expect("holds");
}
