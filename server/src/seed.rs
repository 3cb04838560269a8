//! The demo data set, written on first start (when there are no users). Deterministic: every
//! value derives from its index, so every fresh server holds the same catalog and outlets.

use sqlx::AnyConnection;

use crate::auth::{hash_password, PRODUCTION_ARGON2};
use crate::db::{insert_vals, update_rows, Val, timestamp, value_rows, Db};
use crate::errors::AppError;

pub mod delivery;

pub use delivery::{record_delivery, seed_delivery, DRIVER};

/// Number of demo products (`SKU-00001` …).
pub const PRODUCTS: usize = 800;
/// Number of demo outlets (`OUT-0001` …).
pub const OUTLETS: usize = 200;
/// The demo routes.
pub const ROUTES: [&str; 4] = ["R1", "R2", "R3", "R4"];

/// A demo user: login, password, display name, role and routes.
pub struct DemoUser {
    /// Login.
    pub username: &'static str,
    /// Public demo password.
    pub password: &'static str,
    /// Display name.
    pub display_name: &'static str,
    /// `rep` or `supervisor`.
    pub role: &'static str,
    /// Routes (empty for the supervisor, who sees all).
    pub routes: &'static [&'static str],
}

/// The demo users.
pub const USERS: [DemoUser; 3] = [
    DemoUser {
        username: "rep1",
        password: "rep1-demo",
        display_name: "Amina Rep",
        role: "rep",
        routes: &["R1", "R2"],
    },
    DemoUser {
        username: "rep2",
        password: "rep2-demo",
        display_name: "Bilal Rep",
        role: "rep",
        routes: &["R2", "R3"],
    },
    DemoUser {
        username: "super",
        password: "super-demo",
        display_name: "Sam Supervisor",
        role: "supervisor",
        routes: &[],
    },
];

/// The line printed at start listing the demo logins (the cashier's and the driver's too).
pub fn logins_line() -> String {
    let logins: Vec<String> = USERS
        .iter()
        .chain([&CASHIER, &DRIVER])
        .map(|u| format!("{} / {}", u.username, u.password))
        .collect();
    format!("demo logins: {}", logins.join(", "))
}

// ---------------------------------------------------------------------------------------------
// The counter (point of sale): a shop with one register, its cashier and its customers.
// ---------------------------------------------------------------------------------------------

/// The demo cashier: the role `rep` (the counter's discount cap is the rep's), on the shop's
/// route [`COUNTER_ROUTE`], selling at register [`CASHIER_REGISTER`]. Not in [`USERS`], whose
/// routes, outlets and counts the field scenarios rely on.
pub const CASHIER: DemoUser = DemoUser {
    username: "cashier1",
    password: "cashier1-demo",
    display_name: "Cashier One",
    role: "rep",
    routes: &[COUNTER_ROUTE],
};
/// The demo shop's route: its customers are outlets on it.
pub const COUNTER_ROUTE: &str = "COUNTER";
/// The cashier's register: receipt numbers `R1-0000001` …
pub const CASHIER_REGISTER: &str = "R1";
/// The walk-in customer, the outlet a counter sale is for unless the cashier picks another.
pub const WALK_IN: &str = "WALK-IN";

/// A customer of the shop: id, name, address, phone, the tax `Customer` (JSON), credit limit
/// and outstanding balance (`None`: no credit terms).
pub struct CounterCustomer {
    /// Outlet id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Address.
    pub address: &'static str,
    /// Phone.
    pub phone: &'static str,
    /// core's tax `Customer` as JSON.
    pub customer: &'static str,
    /// Credit limit and outstanding balance.
    pub credit: Option<(&'static str, &'static str)>,
}

/// The shop's customers, all in Toronto (place of supply `CA-ON`, group `retail`, so the
/// retail price lists price every product): the walk-in customer, a status First Nations
/// customer with a certificate (Ontario's point-of-sale relief of the provincial HST), and a
/// café on account.
pub const COUNTER_CUSTOMERS: [CounterCustomer; 3] = [
    CounterCustomer {
        id: WALK_IN,
        name: "Walk-in customer",
        address: "250 Queen Street West, Toronto, ON",
        phone: "",
        customer: "{}",
        credit: None,
    },
    CounterCustomer {
        id: "CUST-0001",
        name: "Mary Whitebird",
        address: "12 Spadina Road, Toronto, ON",
        phone: "+1 416 555 0142",
        customer: r#"{"category":"first_nations","certificate":{"number":"0123456789","holder":"Mary Whitebird"}}"#,
        credit: None,
    },
    CounterCustomer {
        id: "CUST-0002",
        name: "Harbour Café",
        address: "8 Queens Quay West, Toronto, ON",
        phone: "+1 416 555 0177",
        customer: "{}",
        credit: Some(("2000.00", "0.00")),
    },
];

/// The quick keys of the counter: products without pack sizes or minimum quantities, one sold
/// by the kilogram (`SKU-00002`).
pub const QUICK_KEYS: [&str; 8] =
    ["SKU-00001", "SKU-00002", "SKU-00004", "SKU-00005", "SKU-00007", "SKU-00008", "SKU-00010", "SKU-00011"];

/// The demo manager who approves returns without a receipt at the till: the supervisor, with
/// this PIN.
pub const MANAGER: &str = "super";
/// The demo manager's PIN.
pub const MANAGER_PIN: &str = "135790";
/// The salt of the demo manager's key.
pub const MANAGER_SALT: &[u8] = b"satchel-demo-manager:super";
/// PBKDF2 iterations of manager keys.
pub const MANAGER_ITERATIONS: u32 = 100_000;
/// `pos::approval::derive(MANAGER_PIN, MANAGER_SALT, MANAGER_ITERATIONS)`, computed once (a test
/// checks it): a debug server does not spend a second on it at every start.
pub const MANAGER_KEY_HEX: &str = "c77fb5fbd748bced0171fb3c9dec70793914cb6f6fe67b500e074584506255ec";

/// The demo manager as devices know them: enough to check the PIN, not to approve without it.
pub fn manager_key() -> satchel_core::pos::ManagerKey {
    use satchel_core::vault::hex;
    let key = hex::decode(MANAGER_KEY_HEX).and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok()).unwrap_or_default();
    satchel_core::pos::ManagerKey {
        username: MANAGER.into(),
        display_name: "Sam Supervisor".into(),
        salt: hex::encode(MANAGER_SALT),
        iterations: MANAGER_ITERATIONS,
        verifier: satchel_core::pos::approval::verifier_of(&key),
    }
}

/// The demo deployment's counter settings.
pub fn counter_settings() -> satchel_core::pos::CounterSettings {
    use satchel_core::money::Dec;
    use rust_decimal::Decimal;
    let denominations = [(100, 0), (50, 0), (20, 0), (10, 0), (5, 0), (2, 0), (1, 0), (25, 2), (10, 2), (5, 2)]
        .into_iter()
        .map(|(n, scale)| Dec(Decimal::new(n, scale)))
        .collect();
    satchel_core::pos::CounterSettings {
        walk_in_outlet: WALK_IN.into(),
        seller: vec![
            "Satchel Corner Shop".into(),
            "250 Queen Street West, Toronto, ON M5V 1Z7".into(),
            "GST/HST 123456789 RT0001".into(),
        ],
        denominations,
        other_tenders: vec!["mobile_money".into(), "voucher".into()],
        refund_to: satchel_core::pos::RefundTo::OriginalTenders,
        no_receipt: satchel_core::pos::NoReceiptPolicy::ManagerApproval,
        quick_keys: QUICK_KEYS.iter().map(|s| (*s).to_string()).collect(),
        managers: vec![manager_key()],
    }
}

/// Writes the demo shop over the sales data (which must be there): the cashier with their
/// route and register, the shop's customers, the shop's stock (as the cashier's van stock) and
/// the counter settings in the settings row.
pub async fn seed_counter(conn: &mut AnyConnection) -> Result<(), AppError> {
    let u = &CASHIER;
    let hash = hash_password(u.password, format!("satchel-demo:{}", u.username).as_bytes(), PRODUCTION_ARGON2)?;
    sqlx::query("INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, $4)")
        .bind(u.username)
        .bind(u.display_name)
        .bind(hash)
        .bind(u.role)
        .execute(&mut *conn)
        .await?;
    for route in u.routes {
        sqlx::query("INSERT INTO user_routes (username, route) VALUES ($1, $2)")
            .bind(u.username)
            .bind(*route)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("INSERT INTO user_registers (username, register) VALUES ($1, $2)")
        .bind(u.username)
        .bind(CASHIER_REGISTER)
        .execute(&mut *conn)
        .await?;
    let now = timestamp(chrono::Utc::now());
    for c in &COUNTER_CUSTOMERS {
        sqlx::query(
            "INSERT INTO outlets (id, name, route, address, phone, tax_rate, outlet_group, place_of_supply, contact_name, \
             customer, delivered_to_reserve, credit_limit, outstanding, credit_as_of) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13)",
        )
        .bind(c.id)
        .bind(c.name)
        .bind(COUNTER_ROUTE)
        .bind(c.address)
        .bind(c.phone)
        .bind("13")
        .bind(GROUPS[0])
        .bind("CA-ON")
        .bind("")
        .bind(c.customer)
        .bind(c.credit.map(|(limit, _)| limit))
        .bind(c.credit.map(|(_, outstanding)| outstanding))
        .bind(c.credit.map(|_| now.clone()))
        .execute(&mut *conn)
        .await?;
    }
    // The shop's stock, kept like a van's under the cashier (what a sale takes and a refund
    // puts back): the demo vans' quantities.
    let stock: Vec<Vec<Val>> = (0..PRODUCTS)
        .map(|i| vec![Val::Text(u.username.into()), Val::Text(product(i).0), Val::Text(van_stock(i).into()), Val::Text(now.clone())])
        .collect();
    insert_vals(conn, "van_stock (username, sku, available, as_of)", 4, &stock).await?;
    sqlx::query("INSERT INTO manager_keys (username, key_hex) VALUES ($1, $2)")
        .bind(MANAGER)
        .bind(MANAGER_KEY_HEX)
        .execute(&mut *conn)
        .await?;
    let counter = serde_json::to_string(&counter_settings())
        .map_err(|e| AppError::Internal(format!("serialize the counter settings: {e}")))?;
    sqlx::query("UPDATE settings SET counter = $1 WHERE id = 1")
        .bind(counter)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const BRANDS: [&str; 10] = [
    "Maple",
    "Northern",
    "Harbour",
    "Prairie",
    "Golden",
    "Summit",
    "Riverside",
    "Cedar",
    "Atlantic",
    "Sunrise",
];
const KINDS: [&str; 20] = [
    "Basmati Rice",
    "Chickpeas",
    "Olive Oil",
    "Black Tea",
    "Ground Coffee",
    "Cane Sugar",
    "Wheat Flour",
    "Red Lentils",
    "Tomato Paste",
    "Sparkling Water",
    "Orange Juice",
    "Dish Soap",
    "Laundry Powder",
    "Potato Chips",
    "Oat Biscuits",
    "Peanut Butter",
    "Strawberry Jam",
    "Canned Tuna",
    "Spaghetti",
    "Maple Syrup",
];
const VARIANTS: [&str; 4] = ["Classic", "Organic", "Family Size", "Lite"];
const UNITS: [&str; 6] = [
    "each",
    "kg",
    "case of 12",
    "pack of 6",
    "litre",
    "box of 24",
];

/// Product `i` (0-based): SKU, name, unit and price (2 places, 0.50 to 250.00).
pub fn product(i: usize) -> (String, String, String, String) {
    let n = i + 1;
    let name = format!(
        "{} {} {}",
        BRANDS[i % BRANDS.len()],
        KINDS[(i / BRANDS.len()) % KINDS.len()],
        VARIANTS[(i / (BRANDS.len() * KINDS.len())) % VARIANTS.len()]
    );
    let unit = UNITS[(i * 7) % UNITS.len()];
    // 50 ..= 25000 cents, spread by a multiplicative step.
    let cents = 50 + (i * 7919 + 1237) % 24951;
    (
        format!("SKU-{n:05}"),
        name,
        unit.to_string(),
        format!("{}.{:02}", cents / 100, cents % 100),
    )
}

/// City, province, area code, tax rate and the place of supply of the "ca" rule set whose
/// taxes add up to that rate in 2026 (ON: HST 13 %; PE, NB, NL: HST 15 %; AB, YT: GST 5 %).
/// Nova Scotia is not used: its HST is 14 % since 2025-04-01, which the v1 rates cannot say.
const CITIES: [(&str, &str, &str, &str, &str); 8] = [
    ("Toronto", "ON", "416", "13", "CA-ON"),
    ("Ottawa", "ON", "613", "13", "CA-ON"),
    ("Charlottetown", "PE", "902", "15", "CA-PE"),
    ("Moncton", "NB", "506", "15", "CA-NB"),
    ("Calgary", "AB", "403", "5", "CA-AB"),
    ("Edmonton", "AB", "780", "5", "CA-AB"),
    ("St. John's", "NL", "709", "15", "CA-NL"),
    ("Whitehorse", "YT", "867", "5", "CA-YT"),
];
const OWNERS: [&str; 10] = [
    "Amina's", "Bilal's", "Chen's", "Dara's", "Elena's", "Farid's", "Grace's", "Hugo's", "Imran's",
    "Joy's",
];
const SHOPS: [&str; 5] = [
    "Corner Store",
    "Grocery",
    "Mini Mart",
    "Food Market",
    "General Store",
];
const STREETS: [&str; 8] = [
    "King", "Queen", "Main", "Church", "Water", "Victoria", "Park", "Elm",
];
const SUFFIXES: [&str; 4] = ["Street", "Avenue", "Road", "Boulevard"];

/// Outlet `i` (0-based): id, name, route, address, phone, tax rate.
pub fn outlet(i: usize) -> (String, String, String, String, String, String) {
    let n = i + 1;
    let route = ROUTES[i % ROUTES.len()];
    let (city, province, area, rate, _) = CITIES[(i / ROUTES.len()) % CITIES.len()];
    let name = format!(
        "{} {}",
        OWNERS[i % OWNERS.len()],
        SHOPS[(i / OWNERS.len()) % SHOPS.len()]
    );
    let address = format!(
        "{} {} {}, {city}, {province}",
        10 + (i * 37) % 990,
        STREETS[(i / 3) % STREETS.len()],
        SUFFIXES[i % SUFFIXES.len()]
    );
    let phone = format!("+1 {area} 555 {:04}", (i * 313 + 17) % 10000);
    (
        format!("OUT-{n:04}"),
        name,
        route.to_string(),
        address,
        phone,
        rate.to_string(),
    )
}

/// Rows per multi-row INSERT while seeding (well under both backends' bind-parameter limits).
const SEED_BATCH: usize = 200;

/// Writes the demo data set unless users already exist. Returns whether it seeded.
///
/// One transaction, serialized with every other instance's seeding ([`Db::begin_seed`]), so
/// instances starting together against one PostgreSQL seed once. Rows go in batches of
/// 200 per INSERT: a handful of round trips instead of a thousand.
///
/// The sales data of orders v2 ([`seed_sales`]) is written in the same transaction; a database
/// seeded by an earlier version (users and the demo catalog, but no `settings` row) gets it on
/// its next start, without counting as seeded. So does the pull feed ([`seed_sync`]): a database
/// whose feed is still empty gets its rule set, the demo tasks (demo data only) and one feed row
/// per record devices hold.
pub async fn seed_if_empty(db: &Db) -> Result<bool, AppError> {
    let mut tx = db.begin_seed().await?;
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *tx)
        .await?;
    if users > 0 {
        let (settings,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM settings")
            .fetch_one(&mut *tx)
            .await?;
        let demo: Option<(String,)> = sqlx::query_as("SELECT sku FROM products WHERE sku = $1")
            .bind(product(0).0)
            .fetch_optional(&mut *tx)
            .await?;
        let cashier: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE username = $1")
            .bind(CASHIER.username)
            .fetch_optional(&mut *tx)
            .await?;
        let driver: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE username = $1")
            .bind(DRIVER.username)
            .fetch_optional(&mut *tx)
            .await?;
        if settings == 0 && demo.is_some() {
            seed_sales(&mut tx).await?;
            if cashier.is_none() {
                seed_counter(&mut tx).await?;
            }
            if driver.is_none() {
                seed_delivery(&mut tx).await?;
            }
            seed_sync(&mut tx, true).await?;
            tx.commit().await?;
            tracing::info!("added the demo sales data (orders v2) to the existing demo data set");
        } else if crate::feed::is_empty(&mut tx).await? {
            seed_sync(&mut tx, demo.is_some()).await?;
            tx.commit().await?;
            tracing::info!("recorded the existing data in the pull feed");
        } else if demo.is_some() && (cashier.is_none() || driver.is_none()) {
            if cashier.is_none() {
                seed_counter(&mut tx).await?;
                record_counter(&mut tx).await?;
                tracing::info!("added the demo shop (counter) to the existing demo data set");
            }
            if driver.is_none() {
                seed_delivery(&mut tx).await?;
                record_delivery(&mut tx).await?;
                tracing::info!("added the demo delivery crew to the existing demo data set");
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        return Ok(false);
    }
    let mut routes = Vec::new();
    for u in &USERS {
        let hash = hash_password(
            u.password,
            format!("satchel-demo:{}", u.username).as_bytes(),
            PRODUCTION_ARGON2,
        )?;
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, $4)",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(hash)
        .bind(u.role)
        .execute(&mut *tx)
        .await?;
        routes.extend(
            u.routes
                .iter()
                .map(|r| [u.username.to_string(), r.to_string()]),
        );
    }
    insert_rows(&mut tx, "user_routes (username, route)", &routes).await?;
    let products: Vec<[String; 4]> = (0..PRODUCTS)
        .map(|i| {
            let (sku, name, unit, price) = product(i);
            [sku, name, unit, price]
        })
        .collect();
    insert_rows(&mut tx, "products (sku, name, unit, unit_price)", &products).await?;
    let outlets: Vec<[String; 6]> = (0..OUTLETS)
        .map(|i| {
            let (id, name, route, address, phone, rate) = outlet(i);
            [id, name, route, address, phone, rate]
        })
        .collect();
    insert_rows(
        &mut tx,
        "outlets (id, name, route, address, phone, tax_rate)",
        &outlets,
    )
    .await?;
    seed_sales(&mut tx).await?;
    seed_counter(&mut tx).await?;
    seed_delivery(&mut tx).await?;
    seed_sync(&mut tx, true).await?;
    tx.commit().await?;
    Ok(true)
}

/// Inserts text rows into `table (columns…)`, [`SEED_BATCH`] rows per statement.
async fn insert_rows<const N: usize>(
    conn: &mut AnyConnection,
    table_and_columns: &str,
    rows: &[[String; N]],
) -> Result<(), AppError> {
    for chunk in rows.chunks(SEED_BATCH) {
        let sql = format!(
            "INSERT INTO {table_and_columns} VALUES {}",
            value_rows(chunk.len(), N)
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for value in row {
                query = query.bind(value.as_str());
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Orders v2: catalog facts, price lists, outlets' tax and credit, van stock, settings.
// ---------------------------------------------------------------------------------------------

/// The document-number prefix of the demo deployment.
pub const NUMBER_PREFIX: &str = "SO-";
/// The demo's outlet groups: most outlets are `retail`, every fifth (`OUT-0005`, `OUT-0010` …)
/// `wholesale`.
pub const GROUPS: [&str; 2] = ["retail", "wholesale"];
/// The demo price lists: id, group, valid from, valid until (exclusive). The 2026 lists are
/// followed by open-ended ones with the same prices, so the demo keeps pricing after 2026.
pub const PRICE_LISTS: [(&str, &str, &str, Option<&str>); 4] = [
    ("PL-RETAIL-2026", "retail", "2026-01-01", Some("2027-01-01")),
    ("PL-WHOLESALE-2026", "wholesale", "2026-01-01", Some("2027-01-01")),
    ("PL-RETAIL-2027", "retail", "2027-01-01", None),
    ("PL-WHOLESALE-2027", "wholesale", "2027-01-01", None),
];

/// Outlets on rep1's routes whose balance is at or just under their credit limit, so that an
/// ordinary order goes over it (flagged for review under the default policy): id, limit,
/// outstanding balance.
pub const NEAR_LIMIT: [(&str, &str, &str); 3] = [
    ("OUT-0021", "1500.00", "1475.00"),
    ("OUT-0034", "2500.00", "2490.00"),
    ("OUT-0037", "1000.00", "1000.00"),
];

/// Product kinds that are basic groceries, zero-rated for GST/HST.
const ZERO_RATED_KINDS: [&str; 5] = ["Basmati Rice", "Chickpeas", "Wheat Flour", "Red Lentils", "Spaghetti"];

/// The v2 facts of product `i` (0-based), beside its v1 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSales {
    /// Decimal places of a quantity: 3 for `kg`, else 0.
    pub quantity_places: u32,
    /// 12 for the `case of 12` products: a line orders a whole number of twelves.
    pub pack_size: Option<String>,
    /// Every 11th product from the 6th (`SKU-00006`, `SKU-00017` …) that has no pack size: 2, or
    /// 0.500 for kilograms.
    pub min_order_quantity: Option<String>,
    /// One EAN-13 (`0628` + the product number on 8 digits + the check digit).
    pub barcode: String,
    /// `zero_rated` for basic groceries ([`ZERO_RATED_KINDS`]), else `standard`.
    pub tax_class: &'static str,
}

/// Product `i`'s v2 facts.
pub fn product_sales(i: usize) -> ProductSales {
    let unit = UNITS[(i * 7) % UNITS.len()];
    let kind = KINDS[(i / BRANDS.len()) % KINDS.len()];
    let kg = unit == "kg";
    let pack_size = (unit == "case of 12").then(|| "12".to_string());
    let min_order_quantity = (pack_size.is_none() && i % 11 == 5)
        .then(|| if kg { "0.500" } else { "2" }.to_string());
    ProductSales {
        quantity_places: if kg { 3 } else { 0 },
        pack_size,
        min_order_quantity,
        barcode: ean13(&format!("0628{:08}", i + 1)),
        tax_class: if ZERO_RATED_KINDS.contains(&kind) { "zero_rated" } else { "standard" },
    }
}

/// The EAN-13 of 12 digits: the digits and their check digit.
pub fn ean13(digits12: &str) -> String {
    let sum: u32 = digits12
        .bytes()
        .enumerate()
        .map(|(k, b)| u32::from(b - b'0') * if k % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{digits12}{}", (10 - sum % 10) % 10)
}

/// The wholesale price of a retail price: 5 % off, half-up to the cent.
pub fn wholesale_price(retail: &str) -> String {
    let cents: u64 = retail.replace('.', "").parse().unwrap_or(0);
    let off = (cents * 95 + 50) / 100;
    format!("{}.{:02}", off / 100, off % 100)
}

const FIRST_NAMES: [&str; 12] = [
    "Aisha", "Ben", "Carmen", "Deepak", "Emma", "Fatima", "Gus", "Hana", "Ivan", "Julie", "Kofi",
    "Lena",
];
const LAST_NAMES: [&str; 10] = [
    "Tremblay", "Singh", "MacDonald", "Nguyen", "Roy", "Okafor", "Gagnon", "Chen", "Martin", "Ali",
];
const CREDIT_LIMITS: [u64; 5] = [5000, 8000, 10000, 15000, 20000];

/// The v2 facts of outlet `i` (0-based), beside its v1 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletSales {
    /// `retail`, or `wholesale` for every fifth outlet.
    pub group: &'static str,
    /// The jurisdiction of its city (see [`CITIES`]).
    pub place_of_supply: &'static str,
    /// The person to ask for.
    pub contact_name: String,
    /// Credit limit (5 000 to 20 000; the [`NEAR_LIMIT`] outlets' own).
    pub credit_limit: String,
    /// Outstanding balance (0 to 40 % of the limit; the [`NEAR_LIMIT`] outlets' own).
    pub outstanding: String,
}

/// Outlet `i`'s v2 facts.
pub fn outlet_sales(i: usize) -> OutletSales {
    let id = format!("OUT-{:04}", i + 1);
    let (_, _, _, _, place_of_supply) = CITIES[(i / ROUTES.len()) % CITIES.len()];
    let (credit_limit, outstanding) = match NEAR_LIMIT.iter().find(|(o, _, _)| *o == id) {
        Some((_, limit, outstanding)) => (limit.to_string(), outstanding.to_string()),
        None => {
            let limit = CREDIT_LIMITS[i % CREDIT_LIMITS.len()];
            // 0 … 40 % of the limit, in cents.
            let cents = limit * ((i as u64 * 37) % 41);
            (format!("{limit}.00"), format!("{}.{:02}", cents / 100, cents % 100))
        }
    };
    OutletSales {
        group: if i % 5 == 4 { GROUPS[1] } else { GROUPS[0] },
        place_of_supply,
        contact_name: format!(
            "{} {}",
            FIRST_NAMES[i % FIRST_NAMES.len()],
            LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()]
        ),
        credit_limit,
        outstanding,
    }
}

/// The users whose vans carry stock.
pub const VAN_USERS: [&str; 2] = ["rep1", "rep2"];

/// What product `i` has in each van: 2 (1.500 kg) for every 40th product from the 8th
/// (`SKU-00008`, `SKU-00048` …), else 500 (250.000 kg).
pub fn van_stock(i: usize) -> &'static str {
    let kg = UNITS[(i * 7) % UNITS.len()] == "kg";
    match (i % 40 == 7, kg) {
        (true, false) => "2",
        (true, true) => "1.500",
        (false, false) => "500",
        (false, true) => "250.000",
    }
}

/// Records what [`seed_counter`] added in the pull feed of a database whose feed was already
/// written: the settings (now with the counter's) and the shop's customers.
async fn record_counter(conn: &mut AnyConnection) -> Result<(), AppError> {
    use crate::feed::{record, Scope};
    use satchel_core::sync::protocol::Entity;
    record(conn, Entity::Settings, "sales", Scope::Everyone, false).await?;
    for c in &COUNTER_CUSTOMERS {
        record(conn, Entity::Outlet, c.id, Scope::Route(COUNTER_ROUTE), false).await?;
    }
    for i in 0..PRODUCTS {
        record(conn, Entity::VanStock, &format!("{}/{}", CASHIER.username, product(i).0), Scope::User(CASHIER.username), false).await?;
    }
    Ok(())
}

/// Writes the sales data of orders v2 over the demo catalog and outlets (which must be there):
/// the products' v2 facts, the outlets' group, place of supply, contact and credit (and their
/// current address), the price lists, the vans of rep1 and rep2 and the settings row (rule set
/// `ca`, `CAD`, the default validation policy, prefix `SO-`). Credit balances and stock are as of
/// now.
pub async fn seed_sales(conn: &mut AnyConnection) -> Result<(), AppError> {
    let now = timestamp(chrono::Utc::now());
    let products: Vec<Vec<Val>> = (0..PRODUCTS)
        .map(|i| {
            let p = product_sales(i);
            let opt = |o: Option<String>| o.map_or(Val::Null, Val::Text);
            vec![
                Val::Text(product(i).0),
                Val::Int(i64::from(p.quantity_places)),
                opt(p.pack_size),
                opt(p.min_order_quantity),
                Val::Text(format!("[\"{}\"]", p.barcode)),
                Val::Text(p.tax_class.to_string()),
            ]
        })
        .collect();
    update_rows(
        conn,
        "products",
        &["sku"],
        &["quantity_places", "pack_size", "min_order_quantity", "barcodes", "tax_class"],
        &products,
    )
    .await?;
    let outlets: Vec<Vec<Val>> = (0..OUTLETS)
        .map(|i| {
            let (id, _, _, address, _, _) = outlet(i);
            let o = outlet_sales(i);
            vec![
                Val::Text(id),
                Val::Text(address),
                Val::Text(o.group.into()),
                Val::Text(o.place_of_supply.into()),
                Val::Text(o.contact_name),
                Val::Text(o.credit_limit),
                Val::Text(o.outstanding),
                Val::Text(now.clone()),
            ]
        })
        .collect();
    update_rows(
        conn,
        "outlets",
        &["id"],
        &[
            "address",
            "outlet_group",
            "place_of_supply",
            "contact_name",
            "credit_limit",
            "outstanding",
            "credit_as_of",
        ],
        &outlets,
    )
    .await?;
    let lists: Vec<Vec<Val>> = PRICE_LISTS
        .iter()
        .map(|(id, group, from, until)| {
            vec![
                Val::Text((*id).into()),
                Val::Text((*group).into()),
                Val::Text((*from).into()),
                until.map_or(Val::Null, |u| Val::Text(u.into())),
                Val::Int(0),
            ]
        })
        .collect();
    insert_vals(
        conn,
        "price_lists (id, outlet_group, valid_from, valid_until, prices_include_tax)",
        5,
        &lists,
    )
    .await?;
    let mut items = Vec::with_capacity(PRICE_LISTS.len() * PRODUCTS);
    for (id, group, _, _) in PRICE_LISTS {
        for i in 0..PRODUCTS {
            let (sku, _, _, retail) = product(i);
            let price = if group == "wholesale" { wholesale_price(&retail) } else { retail };
            items.push(vec![Val::Text(id.into()), Val::Text(sku), Val::Text(price)]);
        }
    }
    insert_vals(conn, "price_list_items (price_list_id, sku, price)", 3, &items).await?;
    let mut stock = Vec::with_capacity(VAN_USERS.len() * PRODUCTS);
    for user in VAN_USERS {
        for i in 0..PRODUCTS {
            stock.push(vec![
                Val::Text(user.into()),
                Val::Text(product(i).0),
                Val::Text(van_stock(i).into()),
                Val::Text(now.clone()),
            ]);
        }
    }
    insert_vals(conn, "van_stock (username, sku, available, as_of)", 4, &stock).await?;
    let policy = serde_json::to_string(&satchel_core::validation::ValidationPolicy::default())
        .map_err(|e| AppError::Internal(format!("serialize the policy: {e}")))?;
    sqlx::query(
        "INSERT INTO settings (id, rule_set, currency, origin, policy, number_prefix) \
         VALUES (1, $1, $2, NULL, $3, $4)",
    )
    .bind("ca")
    .bind(crate::api::reference::CURRENCY)
    .bind(policy)
    .bind(NUMBER_PREFIX)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The pull feed: rule sets as data, the demo tasks, one feed row per record devices hold.
// ---------------------------------------------------------------------------------------------

/// A demo task: id, outlet, assignee, kind, title, details, due in so many days from the seeding
/// (`None`: no due date).
pub struct DemoTask {
    /// Its id.
    pub id: &'static str,
    /// The outlet (on the assignee's routes).
    pub outlet_id: &'static str,
    /// The rep.
    pub assignee: &'static str,
    /// `delivery`, `shelf_check` or `visit`.
    pub kind: &'static str,
    /// A short title.
    pub title: &'static str,
    /// Instructions.
    pub details: &'static str,
    /// Due this many days after the seeding.
    pub due_in_days: Option<u64>,
}

/// The open task of rep1 that the end-to-end scenario has the office cancel (`POST
/// /api/v1/tasks/TASK-0007/cancel`) before the rep completes it offline.
pub const CANCELLABLE_TASK: &str = "TASK-0007";

/// The demo tasks: three open ones for each rep at outlets of their routes (a delivery, a shelf
/// check, a visit), and [`CANCELLABLE_TASK`].
pub const TASKS: [DemoTask; 7] = [
    DemoTask {
        id: "TASK-0001",
        outlet_id: "OUT-0001",
        assignee: "rep1",
        kind: "delivery",
        title: "Deliver the back-ordered rice",
        details: "Two cases of SKU-00001 promised last week; get the delivery note signed.",
        due_in_days: Some(1),
    },
    DemoTask {
        id: "TASK-0002",
        outlet_id: "OUT-0005",
        assignee: "rep1",
        kind: "shelf_check",
        title: "Check the shelf facings of the Maple range",
        details: "Count the facings and photograph the shelf.",
        due_in_days: Some(3),
    },
    DemoTask {
        id: "TASK-0003",
        outlet_id: "OUT-0002",
        assignee: "rep1",
        kind: "visit",
        title: "Present the 2027 price list",
        details: "Walk the owner through the new prices that start on 1 January.",
        due_in_days: Some(7),
    },
    DemoTask {
        id: "TASK-0004",
        outlet_id: "OUT-0003",
        assignee: "rep2",
        kind: "delivery",
        title: "Deliver the replacement olive oil",
        details: "One case, replacing the damaged one; take back the damaged bottles.",
        due_in_days: Some(1),
    },
    DemoTask {
        id: "TASK-0005",
        outlet_id: "OUT-0007",
        assignee: "rep2",
        kind: "shelf_check",
        title: "Check the tea shelf",
        details: "Check prices on the shelf labels against the price list; photograph any mismatch.",
        due_in_days: Some(2),
    },
    DemoTask {
        id: "TASK-0006",
        outlet_id: "OUT-0006",
        assignee: "rep2",
        kind: "visit",
        title: "Introduce the new contact",
        details: "",
        due_in_days: None,
    },
    DemoTask {
        id: CANCELLABLE_TASK,
        outlet_id: "OUT-0009",
        assignee: "rep1",
        kind: "visit",
        title: "Collect the signed promotion agreement",
        details: "The office may withdraw this one if the outlet signs by post.",
        due_in_days: Some(5),
    },
];

/// Writes what the pull needs over the data already there, in the seeding transaction:
/// the deployment's rule set as data (from `satchel_core::tax::builtin`, when its settings name
/// one of those), the demo tasks when `demo` (those whose user and outlet exist; kept when
/// already there), and one feed row per record devices hold: the settings, rule sets, outlets
/// (scope their route), tasks (their assignee), products and price lists (everyone) and each
/// van's stock (its user). Running it again records every row again at new versions.
pub async fn seed_sync(conn: &mut AnyConnection, demo: bool) -> Result<(), AppError> {
    use crate::feed::{record, record_many, Scope};
    use satchel_core::sync::protocol::Entity;

    let settings: Option<(String,)> = sqlx::query_as("SELECT rule_set FROM settings WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((rule_set,)) = &settings {
        if let Some(text) = satchel_core::tax::builtin::source(rule_set) {
            sqlx::query("INSERT INTO rule_sets (id, document) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(rule_set)
                .bind(text)
                .execute(&mut *conn)
                .await?;
        }
        record(conn, Entity::Settings, "sales", Scope::Everyone, false).await?;
    }
    let everyone = |rows: Vec<(String,)>| -> Vec<(String, Scope<'static>)> {
        rows.into_iter().map(|(k,)| (k, Scope::Everyone)).collect()
    };
    let rule_sets: Vec<(String,)> = sqlx::query_as("SELECT id FROM rule_sets ORDER BY id").fetch_all(&mut *conn).await?;
    record_many(conn, Entity::RuleSet, &everyone(rule_sets)).await?;

    let outlets: Vec<(String, String)> =
        sqlx::query_as("SELECT id, route FROM outlets ORDER BY id").fetch_all(&mut *conn).await?;
    let items: Vec<(String, Scope<'_>)> = outlets.iter().map(|(id, route)| (id.clone(), Scope::Route(route))).collect();
    record_many(conn, Entity::Outlet, &items).await?;

    if demo {
        seed_tasks(conn).await?;
    }
    let tasks: Vec<(String, String)> =
        sqlx::query_as("SELECT id, assignee FROM tasks ORDER BY id").fetch_all(&mut *conn).await?;
    let items: Vec<(String, Scope<'_>)> = tasks.iter().map(|(id, user)| (id.clone(), Scope::User(user))).collect();
    record_many(conn, Entity::Task, &items).await?;

    let products: Vec<(String,)> = sqlx::query_as("SELECT sku FROM products ORDER BY sku").fetch_all(&mut *conn).await?;
    record_many(conn, Entity::Product, &everyone(products)).await?;
    let lists: Vec<(String,)> = sqlx::query_as("SELECT id FROM price_lists ORDER BY id").fetch_all(&mut *conn).await?;
    record_many(conn, Entity::PriceList, &everyone(lists)).await?;

    let stock: Vec<(String, String)> =
        sqlx::query_as("SELECT username, sku FROM van_stock ORDER BY username, sku").fetch_all(&mut *conn).await?;
    let items: Vec<(String, Scope<'_>)> =
        stock.iter().map(|(user, sku)| (format!("{user}/{sku}"), Scope::User(user))).collect();
    record_many(conn, Entity::VanStock, &items).await?;
    Ok(())
}

/// Inserts the demo [`TASKS`] whose assignee and outlet exist, due relative to today; a task
/// already there is kept as it is.
async fn seed_tasks(conn: &mut AnyConnection) -> Result<(), AppError> {
    let now = chrono::Utc::now();
    let today = now.date_naive();
    for t in &TASKS {
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE username = $1")
            .bind(t.assignee)
            .fetch_one(&mut *conn)
            .await?;
        let (outlets,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outlets WHERE id = $1")
            .bind(t.outlet_id)
            .fetch_one(&mut *conn)
            .await?;
        if users == 0 || outlets == 0 {
            continue;
        }
        let due = t
            .due_in_days
            .and_then(|d| today.checked_add_days(chrono::Days::new(d)))
            .map(|d| d.format("%Y-%m-%d").to_string());
        sqlx::query(
            "INSERT INTO tasks (id, outlet_id, assignee, kind, title, details, due_date, status, photos, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', '[]', $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(t.id)
        .bind(t.outlet_id)
        .bind(t.assignee)
        .bind(t.kind)
        .bind(t.title)
        .bind(t.details)
        .bind(due)
        .bind(timestamp(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts text rows, `per` rows per statement.
async fn insert_text_rows(conn: &mut AnyConnection, table: &str, rows: &[Vec<String>], per: usize) -> Result<(), AppError> {
    let width = rows.first().map_or(0, Vec::len);
    for chunk in rows.chunks(per) {
        let sql = format!("INSERT INTO {table} VALUES {}", value_rows(chunk.len(), width));
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = q.bind(v.as_str());
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Grows the seeded demo data to `total_products` products and `total_outlets` outlets (with
/// their prices, van stock and feed rows), in one transaction: for benchmarks of a realistic
/// deployment (`SATCHEL_DEMO_PRODUCTS`, `SATCHEL_DEMO_OUTLETS` on a fresh database).
pub async fn grow_demo(db: &Db, total_products: usize, total_outlets: usize) -> Result<(), AppError> {
    use crate::feed::{self, Scope};
    use satchel_core::sync::protocol::Entity;
    let demo_products = PRODUCTS;
    let demo_outlets = OUTLETS;
    let (total_products, total_outlets) = (total_products.max(demo_products), total_outlets.max(demo_outlets));
    let now = timestamp(chrono::Utc::now());
    let mut tx = db.pool.begin().await?;
    let docs = satchel_core::catalog::synthetic::catalog(total_products - demo_products);
    let products: Vec<Vec<String>> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let cents = 50 + (i * 7919 + 1237) % 24951;
            vec![
                d.sku.clone(),
                d.name.clone(),
                "each".into(),
                format!("{}.{:02}", cents / 100, cents % 100),
                serde_json::to_string(&d.barcodes).unwrap_or_else(|_| "[]".into()),
                if i % 7 == 0 { "zero_rated" } else { "standard" }.into(),
            ]
        })
        .collect();
    insert_text_rows(&mut tx, "products (sku, name, unit, unit_price, barcodes, tax_class)", &products, 200).await?;
    let mut items = Vec::new();
    for (list, _, _, _) in PRICE_LISTS {
        for p in &products {
            items.push(vec![list.to_string(), p[0].clone(), p[3].clone()]);
        }
    }
    insert_text_rows(&mut tx, "price_list_items (price_list_id, sku, price)", &items, 500).await?;
    let mut stock = Vec::new();
    for user in VAN_USERS {
        for p in &products {
            stock.push(vec![user.to_string(), p[0].clone(), "500".into(), now.clone()]);
        }
    }
    insert_text_rows(&mut tx, "van_stock (username, sku, available, as_of)", &stock, 500).await?;
    let routes = ROUTES;
    let outlets: Vec<Vec<String>> = (0..total_outlets - demo_outlets)
        .map(|i| {
            vec![
                format!("OUT-B{:05}", i + 1),
                format!("Bench Store {}", i + 1),
                routes[i % routes.len()].to_string(),
                format!("{} King Street, Toronto, ON", 10 + i),
                format!("+1 416 555 {:04}", i % 10_000),
                "13".into(),
                if i % 5 == 4 { "wholesale" } else { "retail" }.into(),
                "CA-ON".into(),
                "Bench Contact".into(),
                "5000.00".into(),
                format!("{}.00", i % 3000),
                now.clone(),
            ]
        })
        .collect();
    insert_text_rows(
        &mut tx,
        "outlets (id, name, route, address, phone, tax_rate, outlet_group, place_of_supply, contact_name, \
         credit_limit, outstanding, credit_as_of)",
        &outlets,
        100,
    )
    .await?;

    let everyone: Vec<(String, Scope<'_>)> = products.iter().map(|p| (p[0].clone(), Scope::Everyone)).collect();
    feed::record_many(&mut tx, Entity::Product, &everyone).await?;
    let lists: Vec<(String, Scope<'_>)> =
        PRICE_LISTS.iter().map(|l| (l.0.to_string(), Scope::Everyone)).collect();
    feed::record_many(&mut tx, Entity::PriceList, &lists).await?;
    let scoped: Vec<(String, Scope<'_>)> = outlets.iter().map(|o| (o[0].clone(), Scope::Route(&o[2]))).collect();
    feed::record_many(&mut tx, Entity::Outlet, &scoped).await?;
    let van: Vec<(String, Scope<'_>)> =
        stock.iter().map(|s| (format!("{}/{}", s[0], s[1]), Scope::User(&s[0]))).collect();
    feed::record_many(&mut tx, Entity::VanStock, &van).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_managers_key_is_derived_from_the_pin() {
        let key = satchel_core::pos::approval::derive(MANAGER_PIN, MANAGER_SALT, MANAGER_ITERATIONS);
        assert_eq!(satchel_core::vault::hex::encode(&*key), MANAGER_KEY_HEX);
        assert_eq!(manager_key().verifier, satchel_core::pos::approval::verifier_of(&key));
    }
    use satchel_core::money::parse_decimal;
    use std::collections::HashSet;

    #[test]
    fn products_are_unique_and_priced_in_range() {
        let mut names = HashSet::new();
        for i in 0..PRODUCTS {
            let (sku, name, _, price) = product(i);
            assert!(names.insert(name), "duplicate name at {i}");
            let p = parse_decimal(&price).expect("price parses");
            assert!(
                p >= parse_decimal("0.50").expect("d") && p <= parse_decimal("250.00").expect("d")
            );
            assert_eq!(
                price.split_once('.').map(|(_, c)| c.len()),
                Some(2),
                "{sku} {price}"
            );
        }
        assert_eq!(product(0).0, "SKU-00001");
        assert_eq!(product(799).0, "SKU-00800");
    }

    #[test]
    fn outlets_spread_over_routes_and_rates() {
        let routes: HashSet<String> = (0..OUTLETS).map(|i| outlet(i).2).collect();
        assert_eq!(routes.len(), 4);
        let rates: HashSet<String> = (0..OUTLETS).map(|i| outlet(i).5).collect();
        assert_eq!(
            rates,
            HashSet::from(["5".to_string(), "13".to_string(), "15".to_string()])
        );
        assert_eq!(outlet(0).0, "OUT-0001");
        assert_eq!((0..OUTLETS).filter(|&i| outlet(i).2 == "R1").count(), 50);
    }

    #[test]
    fn barcodes_are_valid_ean13() {
        assert_eq!(ean13("400638133393"), "4006381333931");
        let codes: HashSet<String> = (0..PRODUCTS).map(|i| product_sales(i).barcode).collect();
        assert_eq!(codes.len(), PRODUCTS);
        assert!(codes.iter().all(|c| c.len() == 13));
    }

    #[test]
    fn product_facts_follow_the_units() {
        for i in 0..PRODUCTS {
            let (sku, _, unit, _) = product(i);
            let p = product_sales(i);
            assert_eq!(p.quantity_places, if unit == "kg" { 3 } else { 0 }, "{sku}");
            assert_eq!(p.pack_size.is_some(), unit == "case of 12", "{sku}");
            assert!(!(p.pack_size.is_some() && p.min_order_quantity.is_some()), "{sku}");
        }
        let zero = (0..PRODUCTS).filter(|&i| product_sales(i).tax_class == "zero_rated").count();
        assert!(zero > 0 && zero < PRODUCTS / 2, "{zero}");
        assert_eq!(wholesale_price("10.00"), "9.50");
        assert_eq!(wholesale_price("0.50"), "0.48");
        assert_eq!(wholesale_price("249.99"), "237.49");
    }

    /// The v2 place of supply taxes a standard item at the outlet's v1 rate in 2026.
    #[test]
    fn places_of_supply_agree_with_the_v1_rates() {
        use satchel_core::tax::model::{TaxDocument, TaxLine};
        let rules = satchel_core::tax::builtin::rule_set("ca").expect("ca");
        for i in 0..OUTLETS {
            let (id, _, _, _, _, rate) = outlet(i);
            let o = outlet_sales(i);
            let doc = TaxDocument {
                business_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
                place_of_supply: o.place_of_supply.into(),
                origin: None,
                customer: Default::default(),
                delivered_to_reserve: false,
                prices_include_tax: false,
                lines: vec![TaxLine {
                    id: "0".into(),
                    quantity: satchel_core::money::Dec(1.into()),
                    unit_price: satchel_core::money::Dec(100.into()),
                    tax_class: "standard".into(),
                    discount: None,
                    extra_taxes: Vec::new(),
                }],
                document_discount: None,
                document_discount_on: None,
                cash: false,
                fiscal_position: None,
                company_currency: None,
            };
            let result = satchel_core::tax::compute(&rules, &doc).expect("taxes");
            assert_eq!(
                result.tax.value(),
                parse_decimal(&rate).expect("rate"),
                "{id} {}",
                o.place_of_supply
            );
        }
    }

    #[test]
    fn demo_tasks_are_at_outlets_of_their_assignees_routes() {
        let mut ids = HashSet::new();
        for t in &TASKS {
            assert!(ids.insert(t.id), "{}", t.id);
            let i: usize = t.outlet_id[4..].parse::<usize>().expect("number") - 1;
            assert_eq!(outlet(i).0, t.outlet_id);
            let user = USERS.iter().find(|u| u.username == t.assignee).expect("a demo user");
            assert!(user.routes.contains(&outlet(i).2.as_str()), "{} at {} for {}", t.id, t.outlet_id, t.assignee);
        }
        for rep in VAN_USERS {
            assert!(TASKS.iter().filter(|t| t.assignee == rep).count() >= 3, "{rep}");
        }
        assert!(TASKS.iter().any(|t| t.id == CANCELLABLE_TASK));
    }

    #[test]
    fn near_limit_outlets_are_on_rep1s_routes_with_little_headroom() {
        for (id, limit, outstanding) in NEAR_LIMIT {
            let i: usize = id[4..].parse::<usize>().expect("number") - 1;
            assert_eq!(outlet(i).0, id);
            assert!(USERS[0].routes.contains(&outlet(i).2.as_str()), "{id}");
            let o = outlet_sales(i);
            assert_eq!((o.credit_limit.as_str(), o.outstanding.as_str()), (limit, outstanding));
            assert_eq!(o.group, "retail");
            let headroom = parse_decimal(limit).expect("d") - parse_decimal(outstanding).expect("d");
            assert!(headroom <= parse_decimal("25").expect("d"), "{id}");
        }
        for i in 0..OUTLETS {
            let o = outlet_sales(i);
            assert!(parse_decimal(&o.outstanding).expect("d") <= parse_decimal(&o.credit_limit).expect("d"));
        }
    }
}
