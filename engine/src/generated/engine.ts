// Generated from the Rust types by core/tests/ts_engine.rs: do not edit.
// Every amount is a decimal string (`Dec`); the page does no arithmetic on it.

/**
 * A decimal value that serializes as a string and deserializes only from a string.
 *
 * Used for every amount, price, quantity and rate in documents and on the wire.
 */
export type Dec = string;
/**
 * How a value is rounded to its step. Always chosen explicitly, never by accident.
 */
export type Rounding = "half_up" | "half_even" | "half_down" | "up" | "down";
/**
 * A currency and the step its amounts are rounded to.
 */
export type Currency = { 
/**
 * ISO 4217 code.
 */
code: string, 
/**
 * Smallest step: `"0.01"`, `"0.05"`, `"1"`, `"0.000001"`, …
 */
step: Dec, };
/**
 * Whether rounding happens per line or once per document.
 */
export type Scope = "line" | "document";
/**
 * Frappe's rounding methods (System Settings → Rounding Method).
 */
export type FrappeRounding = "bankers" | "bankers_legacy" | "commercial";
/**
 * Which ERP's arithmetic to reproduce.
 */
export type Dialect = { "kind": "exact", 
/**
 * Half-up or half-even.
 */
rounding: Rounding, 
/**
 * Per line or per document.
 */
scope: Scope, } | { "kind": "odoo", 
/**
 * `round_per_line` or `round_globally`.
 */
scope: Scope, } | { "kind": "odoo16", 
/**
 * `round_per_line` or `round_globally`.
 */
scope: Scope, } | { "kind": "erpnext", 
/**
 * Frappe's rounding method.
 */
rounding_method: FrappeRounding, };
/**
 * How a tax's amount is computed.
 */
export type TaxKind = "percent" | "per_unit" | "fixed_per_line" | "fixed_per_document" | "division" | "group";
/**
 * What a tax is computed on.
 */
export type Base = "net" | "running_total" | { "previous_tax": string };
/**
 * A rate valid over a period.
 */
export type RatePeriod = { 
/**
 * First day in force.
 */
from: string, 
/**
 * First day no longer in force (exclusive); open-ended when absent.
 */
until?: string | null, 
/**
 * Percent for `percent`/`division`, an amount for fixed kinds.
 */
rate: Dec, 
/**
 * Different rates for item tax classes (e.g. `"reduced": "5"`).
 */
by_class?: { [key in string]?: Dec }, };
/**
 * One part of a tax's repartition.
 */
export type RepartitionPart = { 
/**
 * What the part is, e.g. the account: `"VAT payable"`, `"VAT receivable (reverse charge)"`.
 */
label: string, 
/**
 * Percent of the computed tax (may be negative), e.g. `"100"`, `"-100"`, `"50"`.
 */
factor: Dec, };
/**
 * One tax.
 */
export type TaxDef = { 
/**
 * Stable code, e.g. `"GST"`, `"HST-ON-PROV"`.
 */
code: string, 
/**
 * Name printed on receipts.
 */
name: string, 
/**
 * How the amount is computed.
 */
kind: TaxKind, 
/**
 * Order of application; lower first. Ties keep the listed order.
 */
sequence?: number, 
/**
 * Dated rates (not for groups).
 */
rates?: Array<RatePeriod>, 
/**
 * For groups: the member taxes.
 */
components?: Array<string>, 
/**
 * What the tax is computed on.
 */
base?: Base, 
/**
 * Whether this tax's amount joins the base of later `net`-based taxes.
 */
include_in_later_base?: boolean, 
/**
 * Whether a `net` base takes in earlier taxes marked `include_in_later_base` (the default);
 * `false` computes it on the untaxed amount alone (Odoo's `is_base_affected = false`).
 */
base_affected?: boolean, 
/**
 * Whether shelf prices include this tax; absent: the document's `prices_include_tax`.
 */
price_include?: boolean | null, 
/**
 * Item tax classes the tax applies to; absent: every class but `exempt`.
 */
applies_to?: Array<string> | null, 
/**
 * How the computed tax is split (Odoo's repartition lines); absent: one part of 100 %. The
 * customer is charged the computed tax × Σ factors: parts of +100 % and −100 % are a
 * reverse charge (computed and reported, nothing charged); 50 % charges half.
 */
repartition?: Array<RepartitionPart>, };
/**
 * The taxes in force in a jurisdiction over a period.
 */
export type Schedule = { 
/**
 * First day in force.
 */
from: string, 
/**
 * First day no longer in force (exclusive).
 */
until?: string | null, 
/**
 * Taxes for supplies within the jurisdiction (or when the origin is unknown or irrelevant).
 */
taxes: Array<string>, 
/**
 * Taxes for supplies from another jurisdiction (India's IGST); absent: same as `taxes`.
 */
interstate_taxes?: Array<string> | null, };
/**
 * A place of supply.
 */
export type Jurisdiction = { 
/**
 * Code, e.g. `"CA-ON"`, `"IN-MH"`.
 */
code: string, 
/**
 * Name.
 */
name: string, 
/**
 * Dated schedules; at most one in force on any day.
 */
schedules: Array<Schedule>, };
/**
 * When an exemption applies.
 */
export type Conditions = { 
/**
 * Required value of the document's `delivered_to_reserve`.
 */
delivered_to_reserve?: boolean | null, 
/**
 * Places of supply where it applies; absent: everywhere.
 */
places?: Array<string> | null, 
/**
 * First day in force.
 */
from?: string | null, 
/**
 * First day no longer in force.
 */
until?: string | null, };
/**
 * A conditional relief from some taxes (or tax components).
 */
export type ExemptionRule = { 
/**
 * Code, e.g. `"FN-ON-OFF-RESERVE"`.
 */
code: string, 
/**
 * What it is, for the explanation.
 */
description: string, 
/**
 * The customer category it is for, e.g. `"first_nations"`.
 */
customer_category: string, 
/**
 * Whether the document must carry the customer's certificate.
 */
requires_certificate?: boolean, 
/**
 * When it applies.
 */
when?: Conditions, 
/**
 * The tax codes (or group components) it relieves.
 */
relieves: Array<string>, };
/**
 * One line of a fiscal position: a tax (or group) code, and what replaces it.
 */
export type TaxMapping = { 
/**
 * The tax replaced, as the schedule or a line names it.
 */
from: string, 
/**
 * Its replacements, in order; empty: the tax is removed.
 */
to?: Array<string>, };
/**
 * A fiscal position: which taxes replace which on the documents that name it.
 */
export type FiscalPosition = { 
/**
 * Stable code, e.g. `"EXPORT"`.
 */
code: string, 
/**
 * Name.
 */
name: string, 
/**
 * The mappings; a tax not mapped is kept.
 */
map: Array<TaxMapping>, 
/**
 * Whether a tax-included unit price is re-adapted to the new taxes (Odoo's
 * `_adapt_price_unit_to_another_taxes`; the default). `false` when the document's prices
 * were already adapted (an order exported from Odoo).
 */
adapt_prices?: boolean, };
/**
 * A versioned set of tax rules: what syncs down to devices.
 */
export type RuleSet = { 
/**
 * Stable id, e.g. `"ca"`.
 */
id: string, 
/**
 * Version of the data, e.g. `"2026-11-01"`; results name it.
 */
version: string, 
/**
 * The currency and its smallest step.
 */
currency: Currency, 
/**
 * Which ERP's arithmetic and rounding to reproduce.
 */
dialect: Dialect, 
/**
 * Whether discounts reduce the taxable base (the default) or apply after tax.
 */
discounts_before_tax?: boolean, 
/**
 * Step to which a cash total is rounded (e.g. `"0.05"` in Canada); tax amounts are not changed.
 */
cash_rounding?: Dec | null, 
/**
 * Every tax the rule set knows.
 */
taxes: Array<TaxDef>, 
/**
 * Places of supply and the taxes in force there, by period.
 */
jurisdictions: Array<Jurisdiction>, 
/**
 * Conditional reliefs for customer categories.
 */
exemptions?: Array<ExemptionRule>, 
/**
 * Fiscal positions (Odoo's): tax mappings a document may name, e.g. for an export or a
 * business customer.
 */
fiscal_positions?: Array<FiscalPosition>, };
/**
 * A discount on a line or on the document.
 */
export type Discount = { "percent": Dec } | { "amount": Dec };
/**
 * The customer's exemption certificate, recorded on the document.
 */
export type Certificate = { 
/**
 * Certificate (registry) number.
 */
number: string, 
/**
 * Name of the holder.
 */
holder: string, 
/**
 * Issuer (e.g. the band or the registry).
 */
issued_by?: string | null, };
/**
 * The customer, as far as tax is concerned.
 */
export type Customer = { 
/**
 * Category, e.g. `"first_nations"`, `"diplomat"`.
 */
category?: string, 
/**
 * Certificate, where the category's relief needs one.
 */
certificate?: Certificate, };
/**
 * A line to tax.
 */
export type TaxLine = { 
/**
 * The caller's id for the line (echoed in the result).
 */
id: string, 
/**
 * Quantity; negative for a return.
 */
quantity: Dec, 
/**
 * Unit price (tax included when the price includes tax).
 */
unit_price: Dec, 
/**
 * Item tax class: `standard` (default), `reduced`, `zero_rated`, `exempt` or a class the
 * rule set defines rates for.
 */
tax_class?: string, 
/**
 * Line discount.
 */
discount?: Discount, 
/**
 * Taxes that apply to this item on top of the jurisdiction's (e.g. a fuel charge).
 */
extra_taxes?: Array<string>, };
/**
 * The company's currency and the rate to it from the document's (the rule set's) currency.
 * Exactly one of `rate` and `inverse_rate`.
 */
export type CompanyCurrency = { 
/**
 * ISO 4217 code.
 */
code: string, 
/**
 * Its smallest step, e.g. `"0.01"`.
 */
step: Dec, 
/**
 * Company units for one document unit (ERPNext's `conversion_rate`): company = document × rate.
 */
rate?: Dec, 
/**
 * Document units for one company unit (Odoo's currency rate): company = document / inverse_rate.
 */
inverse_rate?: Dec, };
/**
 * ERPNext's `apply_discount_on`.
 */
export type DiscountOn = "net_total" | "grand_total";
/**
 * A document to tax.
 */
export type TaxDocument = { 
/**
 * The date whose rules apply (never the sync date).
 */
business_date: string, 
/**
 * The place of supply, e.g. `"CA-QC"`.
 */
place_of_supply: string, 
/**
 * Where the supply comes from, for interstate rules (India).
 */
origin?: string, 
/**
 * The customer.
 */
customer?: Customer, 
/**
 * Whether delivery is to a reserve (First Nations relief conditions).
 */
delivered_to_reserve?: boolean, 
/**
 * Whether unit prices include tax (for taxes that do not say).
 */
prices_include_tax?: boolean, 
/**
 * The lines.
 */
lines: Array<TaxLine>, 
/**
 * A discount on the whole document, spread over lines in proportion to their amounts.
 */
document_discount?: Discount, 
/**
 * What the document discount is taken from: the net total (the default) or, in the ERPNext
 * dialect only, the grand total (ERPNext's `apply_discount_on`).
 */
document_discount_on?: DiscountOn, 
/**
 * Whether the customer pays cash (then the total is cash-rounded, if the rule set says so).
 */
cash?: boolean, 
/**
 * A fiscal position of the rule set (its code): its tax mappings apply to every line.
 */
fiscal_position?: string, 
/**
 * The company's own currency, when the document is in another: the result then also gives
 * the amounts in it, converted and rounded as the dialect's ERP does.
 */
company_currency?: CompanyCurrency, };
/**
 * How a tax treated a line.
 */
export type Treatment = "taxed" | "zero_rated" | "exempt" | "relieved";
/**
 * One part of a repartitioned tax.
 */
export type PartView = { 
/**
 * The part's label (e.g. its account).
 */
label: string, 
/**
 * Its amount.
 */
amount: Dec, };
/**
 * One tax on one line, explained.
 */
export type LineTaxView = { 
/**
 * Tax code.
 */
code: string, 
/**
 * Receipt name.
 */
name: string, 
/**
 * The group it belongs to, if any.
 */
group?: string, 
/**
 * How it is computed.
 */
kind: TaxKind, 
/**
 * Its treatment of this line.
 */
treatment: Treatment, 
/**
 * The rate (percent, or amount for fixed kinds); absent when not charged.
 */
rate?: Dec, 
/**
 * The base it was computed on.
 */
base: Dec, 
/**
 * The amount.
 */
amount: Dec, 
/**
 * Whether the shelf price included it.
 */
included: boolean, 
/**
 * The rule that applied (or the exemption that relieved it).
 */
rule: string, 
/**
 * For a repartitioned tax: the tax as computed, before repartition (`amount` is what the
 * customer is charged; 0 for a reverse charge).
 */
computed?: Dec, 
/**
 * For a repartitioned tax: each part's amount (they add up to `amount`).
 */
parts?: Array<PartView>, };
/**
 * One line of the result.
 */
export type LineView = { 
/**
 * The caller's id.
 */
id: string, 
/**
 * Quantity × unit price.
 */
gross: Dec, 
/**
 * Discounts on the line (its own and its share of the document's).
 */
discount: Dec, 
/**
 * Net amount before tax (price-included taxes taken out).
 */
untaxed: Dec, 
/**
 * Sum of this line's taxes.
 */
tax: Dec, 
/**
 * ERPNext only, on a tax-included line whose untaxed amount and included taxes, each rounded
 * on its own, miss the shelf amount: the cents that make it up (the line's share of
 * ERPNext's `grand_total_diff`). Absent elsewhere.
 */
rounding_difference?: Dec, 
/**
 * `untaxed + tax` (+ `rounding_difference`).
 */
total: Dec, 
/**
 * Every tax considered for the line, in order of application.
 */
taxes: Array<LineTaxView>, };
/**
 * One tax over the whole document.
 */
export type TaxTotalView = { 
/**
 * Tax code.
 */
code: string, 
/**
 * Receipt name.
 */
name: string, 
/**
 * The group it belongs to, if any.
 */
group?: string, 
/**
 * Sum of the bases it was charged on.
 */
base: Dec, 
/**
 * Its amount (equal to the sum of its line amounts).
 */
amount: Dec, 
/**
 * Whether shelf prices included it.
 */
included: boolean, 
/**
 * For a repartitioned tax: the sum of the computed amounts, before repartition.
 */
computed?: Dec, 
/**
 * For a repartitioned tax: each part's total over the lines.
 */
parts?: Array<PartView>, };
/**
 * An exemption the document received.
 */
export type ExemptionView = { 
/**
 * The exemption's code.
 */
code: string, 
/**
 * What it is.
 */
description: string, 
/**
 * The taxes it relieved.
 */
relieved: Array<string>, 
/**
 * The certificate recorded on the document.
 */
certificate?: Certificate, };
/**
 * Cash rounding of the total (a separate step; tax amounts are unchanged).
 */
export type CashRoundingView = { 
/**
 * The step, e.g. `0.05`.
 */
step: Dec, 
/**
 * The total to pay in cash.
 */
total: Dec, 
/**
 * `total − document total`.
 */
adjustment: Dec, };
/**
 * One line in the company's currency.
 */
export type CompanyLineView = { 
/**
 * The caller's id.
 */
id: string, 
/**
 * Net amount before tax.
 */
untaxed: Dec, 
/**
 * Sum of this line's taxes (as charged).
 */
tax: Dec, 
/**
 * `untaxed + tax`.
 */
total: Dec, };
/**
 * One tax in the company's currency.
 */
export type CompanyTaxView = { 
/**
 * Tax code.
 */
code: string, 
/**
 * Taxable base.
 */
base: Dec, 
/**
 * Amount charged.
 */
amount: Dec, };
/**
 * The document in the company's currency: every amount converted and rounded as the dialect's
 * ERP does (see docs/tax-engine.md §4, multi-currency).
 */
export type CompanyView = { 
/**
 * The company's currency code.
 */
currency: string, 
/**
 * Lines, in document order.
 */
lines: Array<CompanyLineView>, 
/**
 * Per tax charged, in order of application.
 */
taxes: Array<CompanyTaxView>, 
/**
 * Sum of line untaxed amounts.
 */
untaxed: Dec, 
/**
 * Sum of taxes.
 */
tax: Dec, 
/**
 * The total: `untaxed + tax`, or the ERP's own conversion of the document's total
 * (ERPNext's `base_grand_total`, which need not be their sum).
 */
total: Dec, };
/**
 * The taxes of a document.
 */
export type TaxResult = { 
/**
 * `id@version` of the rule set used.
 */
rule_set: string, 
/**
 * The dialect used.
 */
dialect: string, 
/**
 * Currency code.
 */
currency: string, 
/**
 * Lines, in document order.
 */
lines: Array<LineView>, 
/**
 * Per tax, in order of application (taxes charged on no line are omitted).
 */
taxes: Array<TaxTotalView>, 
/**
 * Sum of line gross amounts.
 */
gross: Dec, 
/**
 * Sum of discounts.
 */
discount: Dec, 
/**
 * Sum of untaxed amounts.
 */
untaxed: Dec, 
/**
 * Sum of taxes.
 */
tax: Dec, 
/**
 * Sum of the lines' rounding differences (ERPNext's `grand_total_diff`), when there are any.
 */
rounding_difference?: Dec, 
/**
 * `untaxed + tax` (+ `rounding_difference`).
 */
total: Dec, 
/**
 * Exemptions applied.
 */
exemptions: Array<ExemptionView>, 
/**
 * Present when the document is paid in cash and the rule set rounds cash totals.
 */
cash_rounding?: CashRoundingView, 
/**
 * The same document in the company's currency, when the document names one.
 */
company?: CompanyView, };
/**
 * Why a document could not be taxed. Every variant names the field concerned.
 */
export type TaxError = { "code": "unknown_jurisdiction", 
/**
 * The field.
 */
field: string, 
/**
 * The code given.
 */
value: string, } | { "code": "unknown_tax", 
/**
 * The field.
 */
field: string, 
/**
 * The code given.
 */
value: string, } | { "code": "not_in_force", 
/**
 * The field.
 */
field: string, 
/**
 * The business date.
 */
date: string, } | { "code": "invalid_rule", 
/**
 * The field, e.g. `taxes[3].rates[0].rate`.
 */
field: string, 
/**
 * What is wrong.
 */
reason: string, } | { "code": "cycle", 
/**
 * The field.
 */
field: string, 
/**
 * The codes in the cycle.
 */
value: string, } | { "code": "overflow", 
/**
 * The field.
 */
field: string, } | { "code": "invalid_input", 
/**
 * The field.
 */
field: string, 
/**
 * What is wrong.
 */
reason: string, } | { "code": "certificate_required", 
/**
 * Always `customer.certificate`.
 */
field: string, 
/**
 * The exemption code.
 */
value: string, } | { "code": "unsupported", 
/**
 * The field.
 */
field: string, 
/**
 * The dialect.
 */
value: string, } | { "code": "unknown_rule_set", 
/**
 * The field that names it.
 */
field: string, 
/**
 * The id given.
 */
value: string, };
/**
 * What happens when a rule finds something.
 */
export type Severity = "block" | "warn_and_flag" | "allow";
/**
 * One severity per configurable rule.
 *
 * The structural rules ([`Rule::UnknownProduct`], [`Rule::NonPositiveQuantity`],
 * [`Rule::QuantityPrecision`], [`Rule::InvalidDiscount`]) have no entry: no policy can allow
 * them, they always [`Severity::Block`].
 */
export type RuleSeverities = { 
/**
 * The outlet's exposure (outstanding + pending + this order) exceeds its credit limit.
 * Default: `warn_and_flag` (the brief's default for credit).
 */
credit_limit?: Severity, 
/**
 * More of a product is ordered than is in stock. Default: `warn_and_flag`.
 */
stock_shortfall?: Severity, 
/**
 * The product's price is not valid on the order's business date. Default: `block`.
 */
price_list_expired?: Severity, 
/**
 * A line's quantity is below the product's minimum order quantity. Default: `block`.
 */
min_order_quantity?: Severity, 
/**
 * A line's quantity is not a whole number of packs. Default: `block`.
 */
pack_multiple?: Severity, 
/**
 * A discount is above the cap for the user's role. Default: `block`.
 */
discount_cap?: Severity, 
/**
 * A field the deployment requires is missing. Default: `block`.
 */
missing_required?: Severity, 
/**
 * The same outlet got an order with the same lines a few minutes ago. Default:
 * `warn_and_flag`.
 */
likely_duplicate?: Severity, };
/**
 * An optional order field a deployment can make mandatory.
 */
export type OrderField = "requested_delivery_date" | "note" | "customer_reference";
/**
 * The validation policy a deployment configures. `{}` in JSON is [`ValidationPolicy::default`].
 */
export type ValidationPolicy = { 
/**
 * How severe each configurable rule is; rules not listed keep their default.
 */
severity?: RuleSeverities, 
/**
 * How many minutes apart two orders for the same outlet with the same lines count as a
 * likely duplicate (inclusive: exactly this far apart still counts). Default: 10.
 */
duplicate_window_minutes?: number, 
/**
 * The highest discount, in percent, each role may give on a line or on the order
 * (e.g. `{"rep": "10", "supervisor": "30"}`, the default). A role not listed may give no
 * discount at all (cap 0).
 */
discount_caps?: { [key in string]?: Dec }, 
/**
 * Optional order fields this deployment makes mandatory. Default: none (the outlet and at
 * least one line are always required, whatever the policy).
 */
required_fields?: Array<OrderField>, };
/**
 * What quoting needs of the deployment's [`SalesSettings`] (the counter's and the delivery
 * day's settings play no part in a quote).
 */
export type QuoteSettings = { 
/**
 * The id of the rule set orders are taxed with; `rules`, when given, must have this id.
 */
rule_set: string, 
/**
 * ISO 4217 code of the currency; the rule set's currency must be the same.
 */
currency: string, 
/**
 * Where supplies come from, for interstate rules (India); absent elsewhere.
 */
origin?: string, 
/**
 * The validation policy (`{}` or absent: the default policy).
 */
policy?: ValidationPolicy, };
/**
 * A product of the catalog.
 */
export type CatalogProduct = { 
/**
 * Stable code, unique in the catalog.
 */
sku: string, 
/**
 * Name shown to the rep and printed on documents.
 */
name: string, 
/**
 * The unit it is sold in (`"pcs"`, `"kg"`, `"bottle"`).
 */
unit: string, 
/**
 * Decimal places a quantity may have in this unit (0 for pieces, 3 for kilograms).
 */
quantity_places: number, 
/**
 * Units per pack: a line must order a whole number of packs when this is above 1.
 */
pack_size?: Dec, 
/**
 * The smallest quantity one line may order.
 */
min_order_quantity?: Dec, 
/**
 * Barcodes (EAN/UPC) printed on the product, for scanning and search.
 */
barcodes?: Array<string>, 
/**
 * Item tax class for the tax engine: `standard` (default), `reduced`, `zero_rated`,
 * `exempt` or a class the rule set defines.
 */
tax_class?: string, 
/**
 * Taxes charged on this product on top of the jurisdiction's (e.g. a fuel charge).
 */
extra_taxes?: Array<string>, };
/**
 * The prices of one group of outlets over a period.
 */
export type PriceList = { 
/**
 * Stable id, recorded on every order priced from it.
 */
id: string, 
/**
 * The outlet group it prices ([`OutletInfo::group`]).
 */
outlet_group: string, 
/**
 * First business date in force.
 */
valid_from: string, 
/**
 * First business date no longer in force (exclusive); open-ended when absent.
 */
valid_until?: string, 
/**
 * Whether the prices include tax (for taxes of the rule set that do not say).
 */
prices_include_tax?: boolean, 
/**
 * Unit price by SKU, in the product's unit. A SKU that is not here cannot be sold to the
 * group.
 */
prices: { [key in string]?: Dec }, };
/**
 * An outlet's credit terms, as the server last computed them.
 */
export type CreditInfo = { 
/**
 * The credit limit.
 */
limit: Dec, 
/**
 * The outstanding balance (everything the server has received and not been paid).
 */
outstanding: Dec, 
/**
 * The server time the balance was computed.
 */
as_of: string, };
/**
 * What quoting needs of an outlet ([`OutletInfo`]): its price-list group, its place of supply
 * and tax status, and its credit.
 */
export type QuoteOutlet = { 
/**
 * Stable id; the order's `outlet_id` must be the same.
 */
id: string, 
/**
 * Trading name (for messages).
 */
name?: string, 
/**
 * The price-list group ([`PriceList::outlet_group`]).
 */
group: string, 
/**
 * The place of supply for tax, a jurisdiction code of the rule set (e.g. `"CA-ON"`).
 */
place_of_supply: string, 
/**
 * The customer as far as tax is concerned (category, exemption certificate).
 */
customer?: Customer, 
/**
 * Whether goods are delivered to a reserve (First Nations relief conditions).
 */
delivered_to_reserve?: boolean, 
/**
 * Credit terms; absent: the outlet has none and the credit rule does not apply.
 */
credit?: CreditInfo, };
/**
 * Whether an order sells or takes back.
 */
export type OrderKind = "sale" | "return";
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
 * Stock of one product where the order is served from (the van, the shop).
 */
export type StockLevel = { 
/**
 * Quantity available, in the product's unit.
 */
available: Dec, 
/**
 * When that figure was computed.
 */
as_of: string, };
/**
 * One line of a [`RecentOrder`].
 */
export type RecentLine = { 
/**
 * The product's SKU.
 */
sku: string, 
/**
 * How many units.
 */
quantity: Dec, };
/**
 * An order recently committed, for the likely-duplicate rule.
 */
export type RecentOrder = { 
/**
 * Its identity.
 */
order_id: string, 
/**
 * Its outlet.
 */
outlet_id: string, 
/**
 * When it was committed.
 */
committed_at: string, 
/**
 * What it ordered.
 */
lines: Array<RecentLine>, };
/**
 * The facts around an order that are not in the catalog: who commits it, when, and what the
 * caller knows about stock, unsynced orders and recent orders.
 *
 * The device fills it from its local store at commit; the server from its authoritative data
 * (with `pending_on_device` zero: its balance already includes what it received).
 */
export type SalesContext = { 
/**
 * The role of the user committing the order (e.g. `"rep"`), for the discount caps.
 */
role: string, 
/**
 * The moment of the commit (the device's clock at commit). [`crate::sales::verify`]
 * uses the document's `committed_at` instead.
 */
now: string, 
/**
 * Stock by SKU; a SKU not here is not stock-tracked.
 */
stock?: { [key in string]?: StockLevel }, 
/**
 * Totals of the outlet's other orders waiting to sync on this device.
 */
pending_on_device?: Dec, 
/**
 * Orders recently committed, for the likely-duplicate rule (leave out this order).
 */
recent_orders?: Array<RecentOrder>, };
/**
 * Everything [`quote()`] needs, from the caller.
 */
export type QuoteRequest = { 
/**
 * The deployment's settings: the rule set's id and currency, the validation policy.
 */
settings: QuoteSettings, 
/**
 * The rule set to tax with. Absent: the built-in rule set named by `settings.rule_set`
 * (`"ca"`, `"pk"`, `"in"`, `"vat"`).
 */
rules?: RuleSet, 
/**
 * The products the order may name (at least those it names).
 */
products: Array<CatalogProduct>, 
/**
 * The price lists; the outlet's group picks one by the order's business date.
 */
price_lists: Array<PriceList>, 
/**
 * The customer.
 */
outlet: QuoteOutlet, 
/**
 * The order as composed: SKUs and quantities, no prices.
 */
order: SalesOrder, 
/**
 * Who, when, and what the caller knows about stock, unsynced and recent orders.
 */
context: SalesContext, };
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
 * The outcome of validating an order.
 */
export type Verdict = { 
/**
 * Whether any finding blocks the order: it cannot be committed as it is.
 */
blocked: boolean, 
/**
 * Whether any finding is `warn_and_flag`: the order goes to a supervisor's review on sync.
 */
flagged_for_review: boolean, 
/**
 * Every finding, blocking ones first, then warnings, then those only recorded; within a
 * severity, in the order the rules run (see [`crate::validation`]).
 */
findings: Array<Finding>, };
/**
 * An order priced, taxed and validated: what the rep sees before committing.
 */
export type Quote = { 
/**
 * The price list the unit prices come from.
 */
price_list_id: string, 
/**
 * The unit price of each line, in line order, from the price list.
 */
unit_prices: Array<Dec>, 
/**
 * The tax engine's result, with its breakdown per line and per tax. Absent when
 * validation found a structural error (a zero, negative or too precise quantity, a discount
 * outside 0–100 %, no lines): such an order cannot be committed, and the tax engine is not
 * fed with it. Line `i` of the result has the id `"i"`.
 */
taxes: TaxResult | null, 
/**
 * The amount due: the tax result's total, or its cash-rounded total when the order is paid
 * cash and the rule set rounds cash. Absent exactly when `taxes` is.
 */
total: Dec | null, 
/**
 * Validation under the deployment's policy, with `total` as the order's total (zero when
 * absent: credit is then judged on the outlet's balance alone).
 */
verdict: Verdict, };
