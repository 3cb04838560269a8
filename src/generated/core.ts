// Generated from the Rust types by core/tests/ts_bindings.rs: do not edit.
// Every amount is a decimal string (`Dec`); the page does no arithmetic on it.

/**
 * A decimal value that serializes as a string and deserializes only from a string.
 *
 * Used for every amount, price, quantity and rate in documents and on the wire.
 */
export type Dec = string;
/**
 * Whether an order sells or takes back.
 */
export type OrderKind = "sale" | "return";
/**
 * What the server made of a backup.
 */
export type RecoverSummary = { 
/**
 * The device the backup was of.
 */
device_id: string, 
/**
 * Changes in the file.
 */
total: number, 
/**
 * Applied now (flagged included).
 */
applied: number, 
/**
 * The server already held them (an earlier push or import).
 */
duplicate: number, 
/**
 * Refused for good (each with its reason in `results`).
 */
rejected: number, 
/**
 * Held or deferred behind another change.
 */
waiting: number, };
/**
 * Why the app offers a backup of the unsynced work now.
 */
export type BackupAdvice = { "reason": "not_persistent", 
/**
 * How many changes wait.
 */
pending: bigint, 
/**
 * For how long the oldest has waited (ms).
 */
waited_ms: number, } | { "reason": "nearly_full", 
/**
 * How many changes wait.
 */
pending: bigint, 
/**
 * Used over quota, in thousandths.
 */
permille: bigint, };
/**
 * One device's work the server knows of and does not hold.
 */
export type MissingWork = { 
/**
 * The device.
 */
device_id: string, 
/**
 * Its user.
 */
username: string, 
/**
 * Its label (the browser it registered from).
 */
label: string, 
/**
 * Changes committed on it that never arrived.
 */
changes: bigint, 
/**
 * Document numbers it used that never arrived (at most [`MAX_LISTED`]).
 */
documents: Array<string>, 
/**
 * How many document numbers never arrived.
 */
documents_total: bigint, 
/**
 * When it last reported (its last push), RFC 3339.
 */
last_contact: string, };
/**
 * What the user is shown of a fate.
 */
export type Status = "pending" | "synced" | "flagged" | "rejected" | "held" | "waiting" | "discarded";
/**
 * Where a task stands.
 */
export type TaskStatus = "open" | "done" | "cancelled";
/**
 * What happens when a rule finds something.
 */
export type Severity = "block" | "warn_and_flag" | "allow";
/**
 * One line of a [`SalesOrder`].
 */
export type SalesLine = { 
/**
 * The product's SKU.
 */
sku: string, 
/**
 * How many units, in the product's unit.
 */
quantity: Dec, 
/**
 * The line's discount, in percent.
 */
discount_percent?: Dec, };
/**
 * An order as the rep composes it. There are no prices in it: unit prices come from the
 * outlet's price list, on the device and on the server alike.
 */
export type SalesOrder = { 
/**
 * The outlet the order is for.
 */
outlet_id: string, 
/**
 * The deployment's local date of the order: the date whose prices and tax rules apply.
 */
business_date: string, 
/**
 * What is sold.
 */
lines: Array<SalesLine>, 
/**
 * A discount on the whole order, in percent.
 */
order_discount_percent?: Dec, 
/**
 * The rep's free-text note.
 */
note?: string, 
/**
 * The date the outlet wants the delivery.
 */
requested_delivery_date?: string, 
/**
 * The outlet's own reference (purchase order number).
 */
customer_reference?: string, 
/**
 * Whether the outlet pays cash on delivery (the total is then cash-rounded where the rule
 * set says so).
 */
cash?: boolean, 
/**
 * A sale (default) or a return. A return's quantities are entered positive; it is taxed
 * as the mirror of a sale (negative amounts), puts goods back into the van, and is not
 * checked against stock, credit, minimum quantities or pack sizes.
 */
kind?: OrderKind, };
/**
 * An outlet's credit: the server's balance (as of its time) plus this device's orders the
 * server's balance does not include yet.
 */
export type CreditView = { 
/**
 * The limit.
 */
limit: Dec, 
/**
 * The server's outstanding balance.
 */
outstanding: Dec, 
/**
 * What this device's orders add to it.
 */
pending_on_device: Dec, 
/**
 * What is left: limit − outstanding − pending.
 */
available: Dec, 
/**
 * Whether outstanding + pending exceeds the limit.
 */
over_limit: boolean, 
/**
 * When the server computed the balance.
 */
as_of: string, };
/**
 * An outlet as the page sees it.
 */
export type OutletView = { 
/**
 * Its id.
 */
id: string, 
/**
 * Its name.
 */
name: string, 
/**
 * Its route.
 */
route: string, 
/**
 * Its address (with this device's unanswered edit).
 */
address: string, 
/**
 * Its phone (with this device's unanswered edit).
 */
phone: string, 
/**
 * Its contact (with this device's unanswered edit).
 */
contact_name: string, 
/**
 * Its price-list group.
 */
group: string, 
/**
 * Its place of supply.
 */
place_of_supply: string, 
/**
 * Its credit as this device sees it.
 */
credit?: CreditView, };
/**
 * A product found by search.
 */
export type ProductHit = { 
/**
 * Its SKU.
 */
sku: string, 
/**
 * Its name.
 */
name: string, 
/**
 * Its unit.
 */
unit: string, 
/**
 * Decimal places of a quantity.
 */
quantity_places: number, 
/**
 * Units per pack.
 */
pack_size?: Dec, 
/**
 * The smallest quantity of a line.
 */
min_order_quantity?: Dec, 
/**
 * Its barcodes.
 */
barcodes: Array<string>, 
/**
 * The price of the outlet's list on the date.
 */
unit_price?: Dec, 
/**
 * What the van holds, as this device sees it.
 */
stock?: Dec, };
/**
 * A finding as the page shows it.
 */
export type FindingView = { rule: string, severity: Severity, field: string, message: string, data_as_of?: string, };
/**
 * Part of a [`QuoteView`].
 */
export type LineTax = { code: string, amount: Dec, };
/**
 * Part of a [`QuoteView`].
 */
export type QuoteLineView = { unit_price: Dec, net?: Dec, taxes: Array<LineTax>, };
/**
 * Part of a [`QuoteView`].
 */
export type TaxView = { code: string, name: string, base: Dec, amount: Dec, included: boolean, };
/**
 * A quote as the page sees it: strings for every amount, the breakdown, the findings.
 */
export type QuoteView = { price_list_id: string, lines: Array<QuoteLineView>, taxes: Array<TaxView>, untaxed?: Dec, discount?: Dec, tax?: Dec, total?: Dec, blocked: boolean, flagged: boolean, findings: Array<FindingView>, };
/**
 * A local order and what became of it.
 */
export type OrderView = { 
/**
 * Its id.
 */
order_id: string, 
/**
 * Its number.
 */
document_number: string, 
/**
 * Its outlet.
 */
outlet_id: string, 
/**
 * When it was committed (RFC 3339).
 */
committed_at: string, 
/**
 * The amount due.
 */
total: Dec, 
/**
 * Its sequence number.
 */
seq: number, 
/**
 * How many lines.
 */
line_count: number, 
/**
 * Sale or return.
 */
kind: OrderKind, 
/**
 * What the user sees of its fate.
 */
status: Status, 
/**
 * Why.
 */
reason?: string, 
/**
 * The task it was billed from.
 */
task_id?: string, };
/**
 * A completion and what became of it.
 */
export type CompletionView = { 
/**
 * The mutation.
 */
mutation_id: string, 
/**
 * When.
 */
completed_at: string, 
/**
 * The note.
 */
note: string, 
/**
 * How many photos.
 */
photos: number, 
/**
 * Its fate as the user sees it.
 */
status: Status, 
/**
 * Why.
 */
reason?: string, };
/**
 * A task with this device's completion.
 */
export type TaskItemView = { 
/**
 * Its id.
 */
id: string, 
/**
 * Its outlet.
 */
outlet_id: string, 
/**
 * The outlet's name.
 */
outlet_name?: string, 
/**
 * What to do.
 */
kind: string, 
/**
 * A short title.
 */
title: string, 
/**
 * Instructions.
 */
details: string, 
/**
 * When it is due.
 */
due_date?: string, 
/**
 * Where it stands, as the user sees it.
 */
status: TaskStatus, 
/**
 * This device's completion.
 */
completion?: CompletionView, };
/**
 * An order being composed: the page's own content (an object), stored sealed as it is.
 */
export type DraftView = { 
/**
 * The draft's id.
 */
draft_id: string, 
/**
 * When it was last edited (RFC 3339).
 */
updated_at: string, 
/**
 * What the page keeps in it (outlet, lines, quantities as typed).
 */
content: Record<string, unknown>, };
/**
 * A draft that signing out would throw away, named for the user.
 */
export type DraftSummary = { 
/**
 * Its id.
 */
draft_id: string, 
/**
 * The outlet's name (or its id, or "no outlet yet").
 */
outlet: string, 
/**
 * How many lines it has.
 */
lines: number, 
/**
 * When it was last edited.
 */
updated_at: string, };
/**
 * One payment towards a sale (or one payout of a refund).
 */
export type Tender = { "kind": "cash", 
/**
 * How much.
 */
amount: Dec, } | { "kind": "card", 
/**
 * How much.
 */
amount: Dec, 
/**
 * The terminal's approval reference; `None` while the terminal is offline ("card
 * pending", to be completed from the terminal's own record).
 */
reference: string | null, } | { "kind": "other", 
/**
 * The method's code, e.g. `mobile_money`.
 */
method: string, 
/**
 * How much.
 */
amount: Dec, 
/**
 * The reference the method gave (transaction id, voucher number).
 */
reference: string, };
/**
 * How many of one note or coin.
 */
export type Denomination = { 
/**
 * The face value, e.g. `"20"` or `"0.05"`.
 */
value: Dec, 
/**
 * How many were counted.
 */
count: number, };
/**
 * Money into or out of the drawer that is not a sale.
 */
export type CashMovement = { "kind": "paid_in", 
/**
 * How much.
 */
amount: Dec, 
/**
 * Why.
 */
reason: string, } | { "kind": "paid_out", 
/**
 * How much.
 */
amount: Dec, 
/**
 * Why.
 */
reason: string, } | { "kind": "no_sale", 
/**
 * Why.
 */
reason: string, };
/**
 * One line to return: the receipt's line index and how many.
 */
export type ReturnLine = { 
/**
 * Index of the line on the receipt.
 */
line: number, 
/**
 * How many to return.
 */
quantity: Dec, };
/**
 * The receipt a refund returns goods of.
 */
export type RefundOf = { 
/**
 * The original sale's order id.
 */
order_id: string, 
/**
 * Its receipt number, as printed.
 */
receipt_number: string, };
/**
 * What the tenders of a sale come to.
 */
export type Settlement = { 
/**
 * The total to settle, as the tax engine computed it (never rounded here).
 */
total: Dec, 
/**
 * The cash rounding adjustment (`0` unless cash paid a part that was rounded).
 */
rounding: Dec, 
/**
 * What must be paid: `total + rounding`.
 */
due: Dec, 
/**
 * The sum of the tenders.
 */
tendered: Dec, 
/**
 * Cash given back: `tendered − due` once complete, else `0`.
 */
change: Dec, 
/**
 * What is still to pay (`0` once complete).
 */
remaining: Dec, 
/**
 * What cash would settle what is still to pay: `remaining`, rounded to the cash step when
 * no cash was tendered yet (the "exact cash" a cashier takes).
 */
cash_remaining: Dec, 
/**
 * Whether the tenders cover the amount due.
 */
complete: boolean, 
/**
 * What was kept per tender kind (cash net of change), in first-use order.
 */
by_kind: Array<[string, Dec]>, };
/**
 * The X or Z report of a shift.
 */
export type ShiftReport = { 
/**
 * How many sales.
 */
sales: number, 
/**
 * How many refunds.
 */
refunds: number, 
/**
 * The sum of the sales' totals.
 */
sales_total: Dec, 
/**
 * The sum of the refunds' totals.
 */
refunds_total: Dec, 
/**
 * Sales minus refunds.
 */
net_total: Dec, 
/**
 * Discounts given on sales, minus those reversed by refunds.
 */
discounts: Dec, 
/**
 * Tax per code, sales minus refunds.
 */
taxes: { [key in string]?: Dec }, 
/**
 * Per tender kind, what was kept minus what was paid out.
 */
tenders: { [key in string]?: Dec }, 
/**
 * The cash rounding adjustments, net.
 */
rounding: Dec, 
/**
 * The opening float.
 */
opening_float: Dec, 
/**
 * Cash paid in.
 */
paid_in: Dec, 
/**
 * Cash paid out.
 */
paid_out: Dec, 
/**
 * Drawer openings without a sale.
 */
no_sales: number, 
/**
 * What the drawer should hold: float + net cash + paid in − paid out.
 */
expected_cash: Dec, 
/**
 * What was counted at the close (a Z report); absent in an X report.
 */
counted_cash: Dec | null, 
/**
 * Counted minus expected (negative: the drawer is short).
 */
variance: Dec | null, 
/**
 * The first and last receipt numbers of the shift.
 */
receipt_range: [string, string] | null, };
/**
 * What a device knows of a manager: enough to check their PIN, not to forge an approval.
 */
export type ManagerKey = { 
/**
 * The manager's login.
 */
username: string, 
/**
 * The name shown to the cashier.
 */
display_name: string, 
/**
 * The key derivation's salt (hex).
 */
salt: string, 
/**
 * PBKDF2 iterations.
 */
iterations: number, 
/**
 * `SHA-256(K)` (hex).
 */
verifier: string, };
/**
 * A manager's approval of one document.
 */
export type ManagerApproval = { 
/**
 * Who approved.
 */
manager: string, 
/**
 * `HMAC-SHA256(K, order id)` (hex).
 */
proof: string, };
/**
 * The deployment's counter settings (part of the sales settings devices pull).
 */
export type CounterSettings = { 
/**
 * The shop's walk-in customer: the outlet a sale is for unless the cashier picks one.
 */
walk_in_outlet: string, 
/**
 * The seller as printed on receipts: name, address, tax numbers (one per line).
 */
seller: Array<string>, 
/**
 * The notes and coins a drawer is counted in, largest first.
 */
denominations: Array<string>, 
/**
 * Tender methods besides cash and card (`mobile_money`, `voucher`, …).
 */
other_tenders: Array<string>, 
/**
 * Where refunds go.
 */
refund_to: string, 
/**
 * Returns without a receipt.
 */
no_receipt: string, 
/**
 * Favourite products for the quick keys, by SKU.
 */
quick_keys: Array<string>, 
/**
 * The managers who may approve at the till, with what checks their PIN offline.
 */
managers: Array<ManagerKey>, };
/**
 * The open shift.
 */
export type ShiftView = { 
/**
 * Its id.
 */
shift_id: string, 
/**
 * When it opened (RFC 3339).
 */
opened_at: string, 
/**
 * The X report: the shift so far.
 */
x: ShiftReport, };
/**
 * A parked cart.
 */
export type ParkedView = { 
/**
 * Its id.
 */
id: string, 
/**
 * The cashier's label.
 */
label: string, 
/**
 * When (RFC 3339).
 */
parked_at: string, 
/**
 * The cart.
 */
order: SalesOrder, };
/**
 * A closed shift.
 */
export type ClosedView = { 
/**
 * Its id.
 */
shift_id: string, 
/**
 * When it opened.
 */
opened_at: string, 
/**
 * When it closed.
 */
closed_at: string, 
/**
 * The Z report.
 */
report: ShiftReport, };
/**
 * The counter as its screen shows it.
 */
export type CounterView = { 
/**
 * The register this device sells at (absent: the user is not a cashier).
 */
register?: string, 
/**
 * The signed-in cashier.
 */
cashier: string, 
/**
 * The deployment's counter settings (absent until pulled).
 */
settings?: CounterSettings, 
/**
 * The open shift.
 */
shift?: ShiftView, 
/**
 * Carts put aside, oldest first.
 */
parked: Array<ParkedView>, 
/**
 * The last closed shifts, newest first.
 */
closed: Array<ClosedView>, 
/**
 * Receipt numbers left in the register's leased ranges.
 */
receipts_left: number, };
/**
 * A receipt line as printed.
 */
export type ReceiptLineView = { 
/**
 * The product.
 */
sku: string, 
/**
 * Its name.
 */
name: string, 
/**
 * How many.
 */
quantity: Dec, 
/**
 * In what unit.
 */
unit: string, 
/**
 * The unit price.
 */
unit_price: Dec, 
/**
 * The line's discount in percent.
 */
discount_percent?: Dec, 
/**
 * The line's amount before tax, after discount (the engine's).
 */
untaxed: Dec, 
/**
 * The line's total with tax (the engine's).
 */
total: Dec, };
/**
 * One tax of a receipt.
 */
export type ReceiptTaxView = { 
/**
 * The code.
 */
code: string, 
/**
 * The name printed.
 */
name: string, 
/**
 * The amount.
 */
amount: Dec, };
/**
 * One tender of a receipt.
 */
export type TenderLineView = { 
/**
 * `cash`, `card`, or the other method's code.
 */
kind: string, 
/**
 * The amount.
 */
amount: Dec, 
/**
 * The reference (card approval, mobile-money id, voucher); absent for cash and a pending
 * card.
 */
reference?: string, };
/**
 * A receipt as printed (and shown for a reprint or a refund).
 */
export type ReceiptView = { 
/**
 * The order id.
 */
order_id: string, 
/**
 * The receipt number.
 */
number: string, 
/**
 * Sale or refund.
 */
refund: boolean, 
/**
 * For a refund: the number of the receipt it returns.
 */
refund_of?: string, 
/**
 * When (RFC 3339).
 */
committed_at: string, 
/**
 * The register.
 */
register: string, 
/**
 * The seller as printed (name, address, tax numbers).
 */
seller: Array<string>, 
/**
 * The customer's name (the walk-in customer's too).
 */
customer: string, 
/**
 * Whether the customer is the walk-in customer.
 */
walk_in: boolean, 
/**
 * The lines.
 */
lines: Array<ReceiptLineView>, 
/**
 * Discounts given.
 */
discount: Dec, 
/**
 * Before tax.
 */
untaxed: Dec, 
/**
 * Each tax.
 */
taxes: Array<ReceiptTaxView>, 
/**
 * The total with tax.
 */
total: Dec, 
/**
 * The cash rounding adjustment.
 */
rounding: Dec, 
/**
 * What was due (total + rounding).
 */
due: Dec, 
/**
 * The tenders.
 */
tenders: Array<TenderLineView>, 
/**
 * Their sum.
 */
tendered: Dec, 
/**
 * Cash given back.
 */
change: Dec, 
/**
 * Where its sync stands.
 */
status: Status, };
/**
 * A receipt found by a lookup.
 */
export type ReceiptHit = { 
/**
 * The order id.
 */
order_id: string, 
/**
 * The number.
 */
number: string, 
/**
 * When (RFC 3339).
 */
committed_at: string, 
/**
 * The total.
 */
total: Dec, 
/**
 * Whether it is a refund.
 */
refund: boolean, };
/**
 * A refund laid out before the cashier confirms it: the return order (the sale's mirror, on
 * the sale's business date and discounts) and the tenders the money goes back to.
 */
export type RefundProposal = { 
/**
 * The return order.
 */
order: SalesOrder, 
/**
 * What goes back.
 */
amount: Dec, 
/**
 * Where it goes, per the deployment's policy.
 */
tenders: Array<Tender>, 
/**
 * The receipt.
 */
refund_of: RefundOf, };
/**
 * A truck crews can take.
 */
export type Truck = { 
/**
 * Its id (the plate).
 */
id: string, 
/**
 * What the crew calls it.
 */
label: string, };
/**
 * Whether a collection may exceed what its invoices owe.
 */
export type AdvancePolicy = "refuse" | "allow";
/**
 * The deployment's delivery settings (part of the sales settings).
 */
export type DeliverySettings = { 
/**
 * The routes worked as delivery days: a user with one of them is a crew member, and only
 * they start days. Other routes' delivery tasks stay ordinary tasks.
 */
routes: Array<string>, 
/**
 * The sites (depots) a day starts from.
 */
sites: Array<string>, 
/**
 * The trucks.
 */
trucks: Array<Truck>, 
/**
 * Whether a collection may exceed what its invoices owe.
 */
advances: AdvancePolicy, 
/**
 * Reasons offered for a failed delivery.
 */
failure_reasons: Array<string>, 
/**
 * Reasons offered for skipping a stop.
 */
skip_reasons: Array<string>, };
/**
 * How the customer paid.
 */
export type CollectionMethod = { "kind": "cash" } | { "kind": "cheque", 
/**
 * Its number.
 */
number: string, 
/**
 * The bank it is drawn on.
 */
bank: string, 
/**
 * The date written on it.
 */
date: string, } | { "kind": "mobile_money", 
/**
 * The transfer's reference.
 */
reference: string, };
/**
 * One part of a collection: how much goes to which invoice.
 */
export type Allocation = { 
/**
 * The invoice.
 */
order_id: string, 
/**
 * How much.
 */
amount: Dec, };
/**
 * What became of a stop of the route.
 */
export type StopOutcome = { "outcome": "done" } | { "outcome": "failed", 
/**
 * Why.
 */
reason: string, } | { "outcome": "skipped", 
/**
 * Why.
 */
reason: string, };
/**
 * One SKU of the van at the end of the day.
 */
export type VanLine = { 
/**
 * The product.
 */
sku: string, 
/**
 * Loaded at the start.
 */
loaded: Dec, 
/**
 * Delivered on the day's invoices.
 */
delivered: Dec, 
/**
 * Back on the van on the day's returns.
 */
returned: Dec, 
/**
 * `loaded − delivered + returned`.
 */
expected: Dec, 
/**
 * Counted at the end, when counted.
 */
counted: Dec | null, 
/**
 * `counted − expected`.
 */
variance: Dec | null, };
/**
 * The end-of-day summary and settlement.
 */
export type DaySettlement = { 
/**
 * Stops done.
 */
done: number, 
/**
 * Stops failed.
 */
failed: number, 
/**
 * Stops skipped.
 */
skipped: number, 
/**
 * Stops still to do.
 */
open: number, 
/**
 * Unplanned stops added on the road.
 */
unplanned: number, 
/**
 * How many invoices.
 */
invoices: number, 
/**
 * Their total.
 */
invoiced: Dec, 
/**
 * How many returns.
 */
returns: number, 
/**
 * Their total.
 */
returned: Dec, 
/**
 * Collected by method (`cash`, `cheque`, `mobile_money`).
 */
collected: { [key in string]?: Dec }, 
/**
 * Collected beyond what the invoices owed (advances).
 */
advances: Dec, 
/**
 * The van, by SKU (every SKU loaded, delivered or returned).
 */
van: Array<VanLine>, 
/**
 * SKUs whose count differs from what was expected.
 */
van_variances: number, 
/**
 * The opening float.
 */
opening_float: Dec, 
/**
 * `opening float + cash collected`.
 */
expected_cash: Dec, 
/**
 * Counted at the end.
 */
counted_cash: Dec | null, 
/**
 * `counted − expected`.
 */
cash_variance: Dec | null, 
/**
 * Photos and signatures still uploading.
 */
uploads_pending: number, };
/**
 * An invoice of an outlet as the server last knew it (open, or paid within the last days so a
 * device can tell which of its collections the figures include).
 */
export type InvoiceInfo = { 
/**
 * The invoice (the order's id).
 */
order_id: string, 
/**
 * Its number.
 */
number: string, 
/**
 * When it was issued.
 */
issued_on: string, 
/**
 * Its total.
 */
total: Dec, 
/**
 * What it still owes by the server's figures.
 */
outstanding: Dec, 
/**
 * The collections those figures include.
 */
collections: Array<string>, };
/**
 * A note left at an earlier visit to an outlet.
 */
export type VisitNote = { 
/**
 * When.
 */
on: string, 
/**
 * Who.
 */
by: string, 
/**
 * The note.
 */
note: string, };
/**
 * An open invoice as the device shows it.
 */
export type OpenInvoiceView = { 
/**
 * The invoice.
 */
order_id: string, 
/**
 * Its number.
 */
number: string, 
/**
 * When it was issued.
 */
issued_on: string, 
/**
 * Days since.
 */
age_days: number, 
/**
 * Its total.
 */
total: Dec, 
/**
 * What it still owes: the server's figure less this device's collections it does not
 * include, or the total less them for an invoice of this device the server has not
 * counted yet.
 */
outstanding: Dec, 
/**
 * Billed on this device and not in the server's figures yet.
 */
on_device: boolean, };
/**
 * What the crew confirms to start the day.
 */
export type StartRequest = { 
/**
 * The site.
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
 * The load sheet as counted, by SKU; absent: accepted as sent (the van's stock).
 */
counted?: { [key in string]?: Dec }, 
/**
 * The opening odometer.
 */
odometer: number, 
/**
 * The opening cash float.
 */
float: Dec, };
/**
 * A stop's outcome as the crew records it.
 */
export type StopRequest = { 
/**
 * The task.
 */
task_id: string, 
/**
 * `done`, `failed` or `skipped`.
 */
outcome: string, 
/**
 * Why (failed or skipped).
 */
reason: string, 
/**
 * Who received the goods (done).
 */
recipient: string, 
/**
 * A note.
 */
note: string, };
/**
 * What the crew counted at the end.
 */
export type EndRequest = { 
/**
 * The van as counted, by SKU (a SKU not named counts 0).
 */
counted_van: { [key in string]?: Dec }, 
/**
 * The cash as counted.
 */
counted_cash: Dec, 
/**
 * The closing odometer.
 */
odometer: number, };
/**
 * What the crew collects.
 */
export type CollectRequest = { 
/**
 * The customer.
 */
outlet_id: string, 
/**
 * How.
 */
method: CollectionMethod, 
/**
 * How much.
 */
amount: Dec, 
/**
 * Which invoices it pays; absent: the oldest first.
 */
allocations?: Array<Allocation>, };
/**
 * A route the day can work.
 */
export type RouteChoice = { 
/**
 * The route.
 */
route: string, 
/**
 * Open delivery tasks on it.
 */
planned: number, };
/**
 * A SKU on the van.
 */
export type LoadLine = { 
/**
 * The SKU.
 */
sku: string, 
/**
 * The product's name.
 */
name: string, 
/**
 * How many.
 */
quantity: Dec, };
/**
 * An invoice billed at a stop.
 */
export type BilledView = { 
/**
 * The order.
 */
order_id: string, 
/**
 * Its number.
 */
number: string, 
/**
 * Its total.
 */
total: Dec, 
/**
 * What became of it.
 */
status: Status, 
/**
 * Why.
 */
reason?: string, };
/**
 * A collection and what became of it.
 */
export type CollectionView = { 
/**
 * The collection.
 */
collection_id: string, 
/**
 * The customer.
 */
outlet_id: string, 
/**
 * Its name.
 */
outlet_name: string, 
/**
 * How.
 */
method: CollectionMethod, 
/**
 * How much.
 */
amount: Dec, 
/**
 * The invoices it pays: number and amount.
 */
allocations: Array<[string, Dec]>, 
/**
 * `queued` (not sent yet), `sent`, or `held` (an invoice it pays was refused).
 */
state: string, 
/**
 * Why it is held.
 */
reason?: string, };
/**
 * A stop with its customer's context.
 */
export type StopView = { 
/**
 * The task.
 */
task_id: string, 
/**
 * Its title.
 */
title: string, 
/**
 * Its instructions.
 */
details: string, 
/**
 * The outlet.
 */
outlet_id: string, 
/**
 * Its name.
 */
outlet_name: string, 
/**
 * Its address.
 */
address: string, 
/**
 * Who to ask for.
 */
contact_name: string, 
/**
 * Its phone.
 */
phone: string, 
/**
 * Added on the road.
 */
unplanned: boolean, 
/**
 * `todo`, `done`, `failed` or `skipped`.
 */
state: string, 
/**
 * Why (failed or skipped).
 */
reason?: string, 
/**
 * What the task asks for.
 */
items: Array<LoadLine>, 
/**
 * The outlet's open invoices, oldest first.
 */
invoices: Array<OpenInvoiceView>, 
/**
 * Its credit as the device sees it.
 */
credit?: CreditView, 
/**
 * Age of the oldest open invoice, in days.
 */
oldest_days?: number, 
/**
 * Notes from earlier visits.
 */
notes: Array<VisitNote>, 
/**
 * Invoices billed at this stop today.
 */
billed: Array<BilledView>, 
/**
 * The recorded outcome's sync (photos and signature uploading, synced, refused…).
 */
completion?: CompletionView, };
/**
 * The day being worked.
 */
export type OpenDayView = { 
/**
 * The day.
 */
day_id: string, 
/**
 * The site.
 */
site: string, 
/**
 * The route.
 */
route: string, 
/**
 * The truck.
 */
truck: string, 
/**
 * When it started.
 */
started_at: string, 
/**
 * The opening odometer.
 */
odometer: number, 
/**
 * The load sheet was accepted as sent.
 */
accepted_as_sent: boolean, 
/**
 * The stops in route order.
 */
stops: Array<StopView>, 
/**
 * The collections of the day.
 */
collections: Array<CollectionView>, 
/**
 * The summary so far (nothing counted yet).
 */
summary: DaySettlement, };
/**
 * An ended day.
 */
export type EndedDayView = { 
/**
 * The day.
 */
day_id: string, 
/**
 * The route.
 */
route: string, 
/**
 * The truck.
 */
truck: string, 
/**
 * When it ended.
 */
ended_at: string, 
/**
 * The settlement as sealed.
 */
settlement: DaySettlement, 
/**
 * Still in the outbox (not sent yet).
 */
queued: boolean, };
/**
 * The day's screens.
 */
export type DayView = { 
/**
 * Sites, trucks and reasons (absent until the deployment's settings are pulled).
 */
settings?: DeliverySettings, 
/**
 * The routes of the user's outlets, with how many delivery tasks each plans.
 */
routes: Array<RouteChoice>, 
/**
 * The load sheet as sent: the van's stock.
 */
van: Array<LoadLine>, 
/**
 * The day being worked.
 */
open?: OpenDayView, 
/**
 * The last ended days, newest first.
 */
ended: Array<EndedDayView>, };
