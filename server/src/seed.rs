//! The demo data set, written on first start (when there are no users). Deterministic: every
//! value derives from its index, so every fresh server holds the same catalog and outlets.

use sqlx::AnyConnection;

use crate::auth::{hash_password, PRODUCTION_ARGON2};
use crate::db::{value_rows, Db};
use crate::errors::AppError;

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

/// The line printed at start listing the demo logins.
pub fn logins_line() -> String {
    let logins: Vec<String> = USERS
        .iter()
        .map(|u| format!("{} / {}", u.username, u.password))
        .collect();
    format!("demo logins: {}", logins.join(", "))
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

/// City, province, area code and tax rate.
const CITIES: [(&str, &str, &str, &str); 8] = [
    ("Toronto", "ON", "416", "13"),
    ("Ottawa", "ON", "613", "13"),
    ("Halifax", "NS", "902", "15"),
    ("Moncton", "NB", "506", "15"),
    ("Calgary", "AB", "403", "5"),
    ("Edmonton", "AB", "780", "5"),
    ("St. John's", "NL", "709", "15"),
    ("Whitehorse", "YT", "867", "5"),
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
    let (city, province, area, rate) = CITIES[(i / ROUTES.len()) % CITIES.len()];
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
pub async fn seed_if_empty(db: &Db) -> Result<bool, AppError> {
    let mut tx = db.begin_seed().await?;
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *tx)
        .await?;
    if users > 0 {
        tx.rollback().await?;
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
