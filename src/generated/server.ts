// Generated from the Rust types by server/tests/ts_bindings.rs: do not edit.

/**
 * A hybrid logical timestamp. Ordered by `wall_ms`, then `counter`, then `node`.
 *
 * Serialized as its fixed-width string (see the [module documentation](self)).
 */
export type Hlc = string;
/**
 * The rule a finding comes from.
 */
export type Rule = "credit_limit" | "stock_shortfall" | "price_list_expired" | "min_order_quantity" | "pack_multiple" | "discount_cap" | "missing_required" | "likely_duplicate" | "unknown_product" | "quantity_precision" | "non_positive_quantity" | "invalid_discount";
/**
 * Machine-readable details of a finding; the variant matches the finding's rule.
 */
export type Details = { "rule": "credit_limit", 
/**
 * The outlet's credit limit.
 */
limit: Dec, 
/**
 * The outstanding balance relied on.
 */
outstanding: Dec, 
/**
 * This device's unsynced orders for the outlet.
 */
pending_on_device: Dec, 
/**
 * This order's total.
 */
order_total: Dec, 
/**
 * `outstanding + pending_on_device + order_total`.
 */
exposure: Dec, 
/**
 * `exposure - limit`: by how much the limit is exceeded.
 */
excess: Dec, } | { "rule": "stock_shortfall", 
/**
 * The product.
 */
sku: string, 
/**
 * Quantity ordered, summed over the order's lines of this SKU.
 */
ordered: Dec, 
/**
 * Quantity available.
 */
available: Dec, 
/**
 * `ordered - available`.
 */
shortfall: Dec, } | { "rule": "price_list_expired", 
/**
 * The product.
 */
sku: string, 
/**
 * The order's business date.
 */
business_date: string, 
/**
 * First date the price is valid.
 */
valid_from: string, 
/**
 * First date the price is no longer valid, if any.
 */
valid_until: string | null, } | { "rule": "min_order_quantity", 
/**
 * The product.
 */
sku: string, 
/**
 * The line's quantity.
 */
quantity: Dec, 
/**
 * The minimum order quantity.
 */
minimum: Dec, } | { "rule": "pack_multiple", 
/**
 * The product.
 */
sku: string, 
/**
 * The line's quantity.
 */
quantity: Dec, 
/**
 * Units per pack.
 */
pack_size: Dec, 
/**
 * The nearest whole number of packs below the quantity (may be zero).
 */
lower: Dec, 
/**
 * The nearest whole number of packs above the quantity.
 */
upper: Dec, } | { "rule": "discount_cap", 
/**
 * The user's role.
 */
role: string, 
/**
 * The discount given, in percent.
 */
discount_percent: Dec, 
/**
 * The role's cap, in percent (zero for a role the policy does not list).
 */
cap_percent: Dec, } | { "rule": "missing_required" } | { "rule": "likely_duplicate", 
/**
 * The earlier order with the same lines.
 */
duplicate_of: string, 
/**
 * When that order was committed.
 */
committed_at: string, } | { "rule": "unknown_product", 
/**
 * The SKU not found.
 */
sku: string, } | { "rule": "quantity_precision", 
/**
 * The product.
 */
sku: string, 
/**
 * The line's quantity.
 */
quantity: Dec, 
/**
 * Decimal places the unit allows.
 */
max_places: number, } | { "rule": "non_positive_quantity", 
/**
 * The product.
 */
sku: string, 
/**
 * The line's quantity.
 */
quantity: Dec, } | { "rule": "invalid_discount", 
/**
 * The discount given, in percent.
 */
discount_percent: Dec, };
/**
 * One thing a rule found.
 */
export type Finding = { 
/**
 * The rule.
 */
rule: Rule, 
/**
 * How severe it is under the policy (always `block` for structural rules).
 */
severity: Severity, 
/**
 * The field concerned, e.g. `lines[2].quantity`, `outlet.credit`, `requested_delivery_date`.
 */
field: string, 
/**
 * What is wrong, for a person, with the age of the data relied on where it matters
 * (e.g. "Over the credit limit by 120.50 (credit as of 2026-11-21 18:00 UTC)").
 */
message: string, 
/**
 * When the data the finding relied on was computed: always set for credit and stock.
 */
data_as_of: string | null, 
/**
 * Machine-readable details.
 */
details: Details, };
/**
 * One reason an applied order was flagged for review.
 */
export type FlagReason = { 
/**
 * The validation rule, e.g. `credit_limit`.
 */
rule: string, 
/**
 * The finding's sentence, with the age of the data it relied on.
 */
message: string, };
/**
 * One tax's claimed amount on a line.
 */
export type ClaimedTax = { 
/**
 * The tax code.
 */
code: string, 
/**
 * The amount.
 */
amount: Dec, };
/**
 * One line of a flagged order, from the stored document. The line's untaxed amount is not
 * stored (only the order's subtotal is), so it is not given: the page shows quantity × unit
 * price and the discount rather than a figure computed outside the tax engine.
 */
export type ReviewLine = { 
/**
 * The product's SKU.
 */
sku: string, 
/**
 * The product's name in today's catalog (absent when the product is no longer in it).
 */
name?: string, 
/**
 * How many units, in the product's unit.
 */
quantity: Dec, 
/**
 * The unit price the order was priced at.
 */
unit_price: Dec, 
/**
 * The line's discount, in percent.
 */
discount_percent?: Dec, 
/**
 * Each tax charged on the line (code and amount).
 */
taxes: Array<ClaimedTax>, };
/**
 * One flagged order in the queue.
 */
export type ReviewItem = { 
/**
 * The order.
 */
order_id: string, 
/**
 * Its document number.
 */
document_number: string | null, 
/**
 * `sale` or `return`.
 */
kind: OrderKind, 
/**
 * The outlet.
 */
outlet_id: string, 
/**
 * The outlet's name.
 */
outlet_name: string, 
/**
 * The rep (from the device's registration).
 */
username: string, 
/**
 * The device that pushed it.
 */
device_id: string, 
/**
 * The order's total (amount due), as the server recomputed it.
 */
total: string, 
/**
 * What was ordered, in document order.
 */
lines: Array<ReviewLine>, 
/**
 * When the rep committed it (device clock).
 */
committed_at: string, 
/**
 * Why it was flagged: one per finding, `rule` as in the push's `flagged` outcome.
 */
reasons: Array<FlagReason>, 
/**
 * The findings in full (field, details, the age of the data relied on).
 */
findings: Array<Finding>, 
/**
 * `open`, `approved` or `rejected`.
 */
status: "open" | "approved" | "rejected", 
/**
 * When the server flagged it.
 */
created_at: string, 
/**
 * The supervisor who resolved it.
 */
resolved_by: string | null, 
/**
 * When.
 */
resolved_at: string | null, 
/**
 * The supervisor's note.
 */
note: string | null, };
/**
 * A field's current value and where it came from.
 */
export type FieldState = { 
/**
 * The value.
 */
value: string, 
/**
 * When it was set (the patch's or the resolution's timestamp).
 */
changed_at: Hlc, 
/**
 * The user who set it (the patch's author, or the supervisor who resolved a conflict).
 */
changed_by: string, 
/**
 * The record version that this change produced.
 */
version: number, };
/**
 * A value proposed by a patch that could not be applied.
 */
export type Proposal = { 
/**
 * The value the patch wanted.
 */
value: string, 
/**
 * The patch's author.
 */
by: string, 
/**
 * The patch's timestamp.
 */
at: Hlc, };
/**
 * A supervisor's choice.
 */
export type Choice = "ours" | "theirs" | "value";
/**
 * A decision as recorded.
 */
export type ResolutionRecord = { 
/**
 * `ours`, `theirs` or `value`.
 */
choice: Choice, 
/**
 * The value the field has after the resolution.
 */
value: string, 
/**
 * The server's clock at the resolution (the field's `changed_at` when it changed).
 */
at: Hlc, 
/**
 * The outlet's version after the resolution.
 */
version: number, };
/**
 * One conflict in the queue.
 */
export type ConflictItem = { 
/**
 * Its id (a UUID).
 */
id: string, 
/**
 * The outlet.
 */
outlet_id: string, 
/**
 * The outlet's name.
 */
outlet_name: string, 
/**
 * The field (`phone`, `address` or `contact_name`).
 */
field: "phone" | "address" | "contact_name", 
/**
 * The value the rep's edit started from.
 */
base: string, 
/**
 * The outlet version the rep's edit was based on.
 */
base_version: number, 
/**
 * The server's value, kept: who set it, when (hybrid logical clock), at which version.
 */
ours: FieldState, 
/**
 * The rep's value, not applied: who proposed it and when.
 */
theirs: Proposal, 
/**
 * The device that sent the edit.
 */
device_id: string, 
/**
 * `open` or `resolved`.
 */
status: "open" | "resolved", 
/**
 * When the server recorded it (RFC 3339).
 */
created_at: string, 
/**
 * The supervisor who resolved it.
 */
resolved_by: string | null, 
/**
 * When (RFC 3339).
 */
resolved_at: string | null, 
/**
 * The decision.
 */
resolution: ResolutionRecord | null, };
/**
 * One figure where the device's Z report and the server's recomputation disagree.
 */
export type ShiftDifference = { 
/**
 * The figure, e.g. `net_total`, `taxes.HST-ON`, `tenders.card`.
 */
field: string, 
/**
 * What the device reported.
 */
device: string, 
/**
 * What the server computed from the receipts it holds.
 */
server: string, };
/**
 * One shift in the supervisor's list. Amounts are decimal strings.
 */
export type ShiftItem = { 
/**
 * The shift's id.
 */
shift_id: string, 
/**
 * The register (till).
 */
register: string, 
/**
 * The cashier (the device's user).
 */
cashier: string, 
/**
 * The device it ran on.
 */
device_id: string, 
/**
 * When it opened (device clock).
 */
opened_at: string, 
/**
 * When it closed (device clock); `null` while open.
 */
closed_at: string | null, 
/**
 * How many receipts (sales and refunds) the server holds for it.
 */
receipts: number, 
/**
 * Sales minus refunds, by the server's Z report; `null` while open.
 */
net_total: string | null, 
/**
 * What the drawer should have held at the close, by the server's Z report.
 */
expected_cash: string | null, 
/**
 * What the cashier counted at the close.
 */
counted_cash: string | null, 
/**
 * Counted minus expected (negative: short).
 */
variance: string | null, 
/**
 * Where the device's Z report differs from the server's (empty when they agree).
 */
differences: Array<ShiftDifference>, 
/**
 * Whether the close was flagged (the reports differ).
 */
flagged: boolean, };
/**
 * One shift with both Z reports.
 */
export type ShiftDetail = { 
/**
 * The shift as listed.
 */
shift: ShiftItem, 
/**
 * The Z report the device sent with the close; `null` while open.
 */
device_report: Record<string, unknown> | null, 
/**
 * The Z report the server recomputed from the receipts it holds; `null` while open.
 */
server_report: Record<string, unknown> | null, };
/**
 * One figure where the device's settlement and the server's recomputation disagree.
 */
export type DayDifference = { 
/**
 * The figure, e.g. `invoiced`, `collected.cash`, `van.SKU-00001.expected`, `stops`.
 */
field: string, 
/**
 * What the device settled.
 */
device: string, 
/**
 * What the server computed from the records it holds.
 */
server: string, };
/**
 * One day in the supervisor's list. Amounts are decimal strings.
 */
export type DayItem = { 
/**
 * The day's id.
 */
day_id: string, 
/**
 * The crew member (the device's user).
 */
crew: string, 
/**
 * The device it ran on.
 */
device_id: string, 
/**
 * The site (depot) it started from.
 */
site: string, 
/**
 * The route.
 */
route: string, 
/**
 * The truck's id.
 */
truck: string, 
/**
 * When it started (device clock).
 */
started_at: string, 
/**
 * When it ended (device clock); `null` while it runs.
 */
ended_at: string | null, 
/**
 * Stops planned at the start.
 */
planned: number, 
/**
 * Stops recorded (planned or not).
 */
stops: number, 
/**
 * Invoices and returns billed during it.
 */
invoices: number, 
/**
 * Collections recorded during it.
 */
collections: number, 
/**
 * Whether the end was flagged (the settlements differ).
 */
flagged: boolean, 
/**
 * Counted minus expected cash, by the server's settlement; `null` while it runs.
 */
cash_variance: string | null, 
/**
 * SKUs whose count differs from what was expected, by the server's settlement.
 */
van_variances: number | null, 
/**
 * Where the device's settlement differs from the server's (empty when they agree).
 */
differences: Array<DayDifference>, 
/**
 * Whether a supervisor approved it.
 */
approved: boolean, 
/**
 * Who approved it.
 */
approved_by: string | null, 
/**
 * When (server clock).
 */
approved_at: string | null, };
/**
 * A stop of a day: planned (with its outcome once recorded) or added on the road.
 */
export type DayStopItem = { 
/**
 * The task.
 */
task_id: string, 
/**
 * The outlet; `null` for a planned stop whose task the server does not hold.
 */
outlet_id: string | null, 
/**
 * Added on the road.
 */
unplanned: boolean, 
/**
 * What became of it; `null` while still to do.
 */
outcome: StopOutcome | null, 
/**
 * Who received the goods (a delivered stop).
 */
recipient: string, 
/**
 * The signature's blob (SHA-256), readable at `/api/v1/blobs/{sha256}/content`.
 */
signature: string | null, 
/**
 * How many photos.
 */
photos: number, 
/**
 * Goods back on the van (a failed delivery).
 */
goods_back: { [key in string]?: Dec }, 
/**
 * When it was recorded (device clock).
 */
at: string | null, };
/**
 * An invoice or a return billed during a day.
 */
export type DayInvoiceItem = { 
/**
 * The order.
 */
order_id: string, 
/**
 * Its document number.
 */
number: string, 
/**
 * The outlet.
 */
outlet_id: string, 
/**
 * The stop it was billed from.
 */
task_id: string, 
/**
 * `sale` or `return`.
 */
kind: string, 
/**
 * Its total (amount due; negative for a return).
 */
total: string, };
/**
 * A collection recorded during a day.
 */
export type DayCollectionItem = { 
/**
 * The collection's id.
 */
collection_id: string, 
/**
 * The customer.
 */
outlet_id: string, 
/**
 * How it was paid.
 */
method: CollectionMethod, 
/**
 * How much.
 */
amount: Dec, 
/**
 * Kept beyond its invoices (an advance).
 */
advance: Dec, 
/**
 * Which invoices it paid.
 */
allocations: Array<Allocation>, 
/**
 * When (device clock).
 */
collected_at: string, };
/**
 * One day with everything it counts and both settlements.
 */
export type DayDetail = { 
/**
 * The day as listed.
 */
day: DayItem, 
/**
 * The van load sheet confirmed at the start, by SKU.
 */
loaded: { [key in string]?: Dec }, 
/**
 * The opening cash float.
 */
opening_float: Dec, 
/**
 * The stops: the plan's in route order, then those added on the road.
 */
stops: Array<DayStopItem>, 
/**
 * The invoices and returns, by number.
 */
invoices: Array<DayInvoiceItem>, 
/**
 * The collections, in the order they were made.
 */
collections: Array<DayCollectionItem>, 
/**
 * The settlement the device sent with the end; `null` while the day runs.
 */
device_settlement: DaySettlement | null, 
/**
 * The server's settlement: recomputed at the end, or while the day runs from what the
 * server holds now (nothing counted yet).
 */
server_settlement: DaySettlement | null, };
/**
 * Entry to server on one UTC day (the day the server applied the orders).
 */
export type LatencyDay = { 
/**
 * The day, `YYYY-MM-DD`.
 */
day: string, 
/**
 * Orders (and receipts) applied that day.
 */
count: number, 
/**
 * The median entry-to-server time in ms; `null` without orders.
 */
p50_ms: number | null, 
/**
 * The 95th percentile in ms; `null` without orders.
 */
p95_ms: number | null, };
/**
 * One bucket of a duration histogram: the samples above `above_ms` and at most `up_to_ms`.
 */
export type DurationBucket = { 
/**
 * The lower bound (exclusive), in ms.
 */
above_ms: number, 
/**
 * The upper bound (inclusive), in ms; `null` for the last bucket (no bound).
 */
up_to_ms: number | null, 
/**
 * How many samples.
 */
count: number, };
/**
 * One device, from its latest report and its reports of the period.
 */
export type DeviceTelemetry = { 
/**
 * The device.
 */
device_id: string, 
/**
 * Its user.
 */
username: string, 
/**
 * The label given at registration.
 */
label: string, 
/**
 * When its latest report was applied (server clock).
 */
last_report_at: string, 
/**
 * Mutations unsynced when its latest report was made.
 */
unsynced: number, 
/**
 * When the oldest of them was committed (corrected to the server's clock); `null` when none.
 */
oldest_unsynced_at: string | null, 
/**
 * Force-closes reported over the period.
 */
force_closes: number, 
/**
 * Storage used, in bytes (latest report), when known.
 */
storage_used: number | null, 
/**
 * The storage quota, in bytes (latest report), when known.
 */
storage_quota: number | null, 
/**
 * Used over quota, in permille, when both are known.
 */
storage_permille: number | null, 
/**
 * Whether the browser granted persistent storage, when known.
 */
persisted: boolean | null, 
/**
 * The 95th percentile of entry to acknowledgement over the period, in ms (device clock);
 * `null` when nothing was acknowledged.
 */
entry_to_ack_p95_ms: number | null, };
/**
 * Orders recorded the day they happened, on one route, over the period.
 */
export type SameDayRoute = { 
/**
 * The route (of the order's outlet).
 */
route: string, 
/**
 * Orders (and receipts) applied.
 */
orders: number, 
/**
 * Of those, applied on their business date.
 */
same_day: number, 
/**
 * `same_day` over `orders`, in permille; `null` without orders.
 */
rate_permille: number | null, };
/**
 * The counter's sales while devices were offline, over the period.
 */
export type OutageSalesSummary = { 
/**
 * Completed.
 */
completed: number, 
/**
 * Failed.
 */
failed: number, 
/**
 * `completed` over both, in permille; `null` without any.
 */
success_permille: number | null, };
/**
 * The dashboard's answer.
 */
export type TelemetryDashboard = { 
/**
 * Entry to server per UTC day over the last 7 (`DAYS`), oldest first, today last.
 */
latency_by_day: Array<LatencyDay>, 
/**
 * The offline spans of the period's reports, merged: every bucket, in order.
 */
offline_spans: Array<DurationBucket>, 
/**
 * Every device that ever reported, oldest unsynced work first (then those with none, by
 * user and device).
 */
devices: Array<DeviceTelemetry>, 
/**
 * Same-day recording by route, by route name.
 */
same_day_by_route: Array<SameDayRoute>, 
/**
 * The counter during outages.
 */
outage_sales: OutageSalesSummary, 
/**
 * When this was computed (server clock).
 */
generated_at: string, };
