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
