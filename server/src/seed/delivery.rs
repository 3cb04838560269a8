//! The demo's delivery crew: a driver on route [`DELIVERY_ROUTE`] with eight customers, a van
//! loaded with what today's deliveries ask for, eight delivery tasks due today, three older
//! invoices still owed, a couple of visit notes, and the deployment's delivery settings (two
//! depots, two trucks, the reasons a crew picks from).
//!
//! Deterministic like the rest of the seed: every id, number and amount is a constant here
//! (dates are relative to the seeding day), so the end-to-end scenarios can name them.

use chrono::{Days, NaiveDate, Utc};
use satchel_core::delivery::{AdvancePolicy, DeliverySettings, Truck};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{insert_vals, DemoUser, Val, GROUPS};
use crate::auth::{hash_password, PRODUCTION_ARGON2};
use crate::db::timestamp;
use crate::errors::AppError;

/// The demo driver: the role `rep`, on route [`DELIVERY_ROUTE`] only. Not in
/// [`super::USERS`], whose routes, outlets and counts the field scenarios rely on.
pub const DRIVER: DemoUser = DemoUser {
    username: "driver1",
    password: "driver1-demo",
    display_name: "Dan Driver",
    role: "rep",
    routes: &[DELIVERY_ROUTE],
};
/// The driver's route.
pub const DELIVERY_ROUTE: &str = "D1";
/// The depots a day starts from.
pub const SITES: [&str; 2] = ["North depot", "South depot"];
/// The trucks: plate, label.
pub const TRUCKS: [(&str, &str); 2] = [("KDA-101", "Van 1"), ("KDA-102", "Van 2")];
/// Reasons offered for a failed delivery.
pub const FAILURE_REASONS: [&str; 3] = ["Shop closed", "Refused", "No cash"];
/// Reasons offered for skipping a stop.
pub const SKIP_REASONS: [&str; 2] = ["Out of time", "Road closed"];

/// A customer on the delivery route: id, name, address, phone, contact.
pub struct DeliveryOutlet {
    /// Outlet id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Address (all in Toronto: place of supply `CA-ON`, HST 13 %).
    pub address: &'static str,
    /// Phone.
    pub phone: &'static str,
    /// The person to ask for.
    pub contact: &'static str,
}

/// The route's customers (group `retail`, credit limit [`CREDIT_LIMIT`]).
pub const DELIVERY_OUTLETS: [DeliveryOutlet; 8] = [
    DeliveryOutlet { id: "DLV-0001", name: "Lakeshore Grocer", address: "14 Lakeshore Boulevard West, Toronto, ON", phone: "+1 416 555 0201", contact: "Amina Yusuf" },
    DeliveryOutlet { id: "DLV-0002", name: "Bloor Corner Market", address: "382 Bloor Street West, Toronto, ON", phone: "+1 416 555 0202", contact: "Tom Baker" },
    DeliveryOutlet { id: "DLV-0003", name: "Dundas Fresh Foods", address: "77 Dundas Street East, Toronto, ON", phone: "+1 416 555 0203", contact: "Wei Zhang" },
    DeliveryOutlet { id: "DLV-0004", name: "Danforth Mini Mart", address: "1210 Danforth Avenue, Toronto, ON", phone: "+1 416 555 0204", contact: "Nikos Papadakis" },
    DeliveryOutlet { id: "DLV-0005", name: "Kensington Pantry", address: "9 Kensington Avenue, Toronto, ON", phone: "+1 416 555 0205", contact: "Rosa Silva" },
    DeliveryOutlet { id: "DLV-0006", name: "Parkdale Food Store", address: "1502 Queen Street West, Toronto, ON", phone: "+1 416 555 0206", contact: "Kwame Mensah" },
    DeliveryOutlet { id: "DLV-0007", name: "Leslieville General", address: "1001 Queen Street East, Toronto, ON", phone: "+1 416 555 0207", contact: "Claire Dubois" },
    DeliveryOutlet { id: "DLV-0008", name: "Junction Provisions", address: "2960 Dundas Street West, Toronto, ON", phone: "+1 416 555 0208", contact: "Ivan Petrov" },
];
/// The route's customers' credit limit.
pub const CREDIT_LIMIT: &str = "5000.00";

/// The driver's van: SKU and quantity. Whole units without pack sizes or minimums, so any
/// quantity a task asks for can be billed.
pub const VAN: [(&str, &str); 6] =
    [("SKU-00001", "40"), ("SKU-00004", "24"), ("SKU-00022", "30"), ("SKU-00023", "30"), ("SKU-00025", "36"), ("SKU-00031", "40")];

/// A delivery task of the driver's: id, outlet, title and what it asks for (SKU, quantity).
pub struct Delivery {
    /// The task's id.
    pub id: &'static str,
    /// The outlet.
    pub outlet_id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The goods: SKU and quantity (from [`VAN`]).
    pub items: &'static [(&'static str, &'static str)],
}

/// Today's deliveries, one per customer, due on the seeding day.
pub const DELIVERIES: [Delivery; 8] = [
    Delivery { id: "DEL-0001", outlet_id: "DLV-0001", title: "Weekly rice and oil", items: &[("SKU-00001", "4"), ("SKU-00022", "2")] },
    Delivery { id: "DEL-0002", outlet_id: "DLV-0002", title: "Olive oil restock", items: &[("SKU-00023", "3")] },
    Delivery { id: "DEL-0003", outlet_id: "DLV-0003", title: "Mixed order", items: &[("SKU-00001", "2"), ("SKU-00025", "6"), ("SKU-00031", "2")] },
    Delivery { id: "DEL-0004", outlet_id: "DLV-0004", title: "Rice packs", items: &[("SKU-00004", "2")] },
    Delivery { id: "DEL-0005", outlet_id: "DLV-0005", title: "Oil and tea", items: &[("SKU-00022", "1"), ("SKU-00031", "4")] },
    Delivery { id: "DEL-0006", outlet_id: "DLV-0006", title: "Olive oil", items: &[("SKU-00025", "3")] },
    Delivery { id: "DEL-0007", outlet_id: "DLV-0007", title: "Oil and rice", items: &[("SKU-00023", "2"), ("SKU-00001", "5")] },
    Delivery { id: "DEL-0008", outlet_id: "DLV-0008", title: "Mixed order", items: &[("SKU-00004", "1"), ("SKU-00022", "2"), ("SKU-00025", "2")] },
];

/// An invoice issued before the demo's first day and still owed: order id, outlet, number,
/// days before the seeding day, total.
pub const OLDER_INVOICES: [(&str, &str, &str, u64, &str); 3] = [
    ("0190a000-0000-7000-8000-000000000101", "DLV-0001", "SO-0000101", 12, "412.50"),
    ("0190a000-0000-7000-8000-000000000102", "DLV-0002", "SO-0000102", 35, "236.80"),
    ("0190a000-0000-7000-8000-000000000103", "DLV-0004", "SO-0000103", 61, "98.15"),
];

/// Notes left at earlier visits: id, outlet, days before the seeding day, note (by the driver).
pub const VISIT_NOTES: [(&str, &str, u64, &str); 2] = [
    ("VN-0001", "DLV-0001", 5, "Deliver at the back door after 2 pm; ring twice."),
    ("VN-0002", "DLV-0003", 9, "The owner pays by cheque only."),
];

/// The demo deployment's delivery settings.
pub fn delivery_settings() -> DeliverySettings {
    DeliverySettings {
        routes: vec![DELIVERY_ROUTE.to_string()],
        sites: SITES.iter().map(|s| (*s).to_string()).collect(),
        trucks: TRUCKS.iter().map(|(id, label)| Truck { id: (*id).into(), label: (*label).into() }).collect(),
        advances: AdvancePolicy::default(),
        failure_reasons: FAILURE_REASONS.iter().map(|s| (*s).to_string()).collect(),
        skip_reasons: SKIP_REASONS.iter().map(|s| (*s).to_string()).collect(),
    }
}

/// What an outlet of the route owes by its older invoices.
pub fn owed(outlet_id: &str) -> String {
    let cents: u64 = OLDER_INVOICES
        .iter()
        .filter(|i| i.1 == outlet_id)
        .map(|i| i.4.replace('.', "").parse::<u64>().unwrap_or(0))
        .sum();
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn days_before(today: NaiveDate, days: u64) -> String {
    today.checked_sub_days(Days::new(days)).unwrap_or(today).format("%Y-%m-%d").to_string()
}

/// Writes the delivery crew over the sales data (which must be there): the driver with their
/// route, the route's customers with their older invoices and visit notes, the driver's van,
/// today's deliveries and the delivery settings in the settings row.
pub async fn seed_delivery(conn: &mut AnyConnection) -> Result<(), AppError> {
    let u = &DRIVER;
    let hash = hash_password(u.password, format!("satchel-demo:{}", u.username).as_bytes(), PRODUCTION_ARGON2)?;
    sqlx::query("INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, $4)")
        .bind(u.username)
        .bind(u.display_name)
        .bind(hash)
        .bind(u.role)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO user_routes (username, route) VALUES ($1, $2)").bind(u.username).bind(DELIVERY_ROUTE).execute(&mut *conn).await?;
    let now = Utc::now();
    let at = timestamp(now);
    let today = now.date_naive();
    for o in &DELIVERY_OUTLETS {
        sqlx::query(
            "INSERT INTO outlets (id, name, route, address, phone, tax_rate, outlet_group, place_of_supply, contact_name, \
             customer, delivered_to_reserve, credit_limit, outstanding, credit_as_of) \
             VALUES ($1, $2, $3, $4, $5, '13', $6, 'CA-ON', $7, '{}', 0, $8, $9, $10)",
        )
        .bind(o.id)
        .bind(o.name)
        .bind(DELIVERY_ROUTE)
        .bind(o.address)
        .bind(o.phone)
        .bind(GROUPS[0])
        .bind(o.contact)
        .bind(CREDIT_LIMIT)
        .bind(owed(o.id))
        .bind(&at)
        .execute(&mut *conn)
        .await?;
    }
    for (order_id, outlet, number, days, total) in OLDER_INVOICES {
        let id = Uuid::parse_str(order_id).map_err(|e| AppError::Internal(format!("demo invoice id: {e}")))?;
        let issued = today.checked_sub_days(Days::new(days)).unwrap_or(today);
        let total = satchel_core::money::parse_decimal(total).map_err(|e| AppError::Internal(format!("demo invoice total: {e}")))?;
        crate::receivables::insert(conn, &id, outlet, number, issued, total, &at).await?;
    }
    for (id, outlet, days, note) in VISIT_NOTES {
        sqlx::query("INSERT INTO visit_notes (id, outlet_id, noted_on, author, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(outlet)
            .bind(days_before(today, days))
            .bind(u.username)
            .bind(note)
            .execute(&mut *conn)
            .await?;
    }
    let van: Vec<Vec<Val>> =
        VAN.iter().map(|(sku, q)| vec![Val::Text(u.username.into()), Val::Text((*sku).into()), Val::Text((*q).into()), Val::Text(at.clone())]).collect();
    insert_vals(conn, "van_stock (username, sku, available, as_of)", 4, &van).await?;
    for d in &DELIVERIES {
        let items: Vec<serde_json::Value> = d.items.iter().map(|(sku, q)| serde_json::json!({"sku": sku, "quantity": q})).collect();
        let items = serde_json::to_string(&items).map_err(|e| AppError::Internal(format!("serialize task items: {e}")))?;
        sqlx::query(
            "INSERT INTO tasks (id, outlet_id, assignee, kind, title, details, due_date, status, photos, updated_at, items) \
             VALUES ($1, $2, $3, 'delivery', $4, $5, $6, 'open', '[]', $7, $8)",
        )
        .bind(d.id)
        .bind(d.outlet_id)
        .bind(u.username)
        .bind(d.title)
        .bind("Get the delivery note signed; bill from the stop.")
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(&at)
        .bind(items)
        .execute(&mut *conn)
        .await?;
    }
    let settings = serde_json::to_string(&delivery_settings()).map_err(|e| AppError::Internal(format!("serialize the delivery settings: {e}")))?;
    sqlx::query("UPDATE settings SET delivery = $1 WHERE id = 1").bind(settings).execute(&mut *conn).await?;
    Ok(())
}

/// Records what [`seed_delivery`] added in the pull feed of a database whose feed was already
/// written: the settings (now with the delivery settings), the route's customers, the driver's
/// tasks and van.
pub async fn record_delivery(conn: &mut AnyConnection) -> Result<(), AppError> {
    use crate::feed::{record, Scope};
    use satchel_core::sync::protocol::Entity;
    record(conn, Entity::Settings, "sales", Scope::Everyone, false).await?;
    for o in &DELIVERY_OUTLETS {
        record(conn, Entity::Outlet, o.id, Scope::Route(DELIVERY_ROUTE), false).await?;
    }
    for d in &DELIVERIES {
        record(conn, Entity::Task, d.id, Scope::User(DRIVER.username), false).await?;
    }
    for (sku, _) in VAN {
        record(conn, Entity::VanStock, &format!("{}/{sku}", DRIVER.username), Scope::User(DRIVER.username), false).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{product, product_sales, PRODUCTS};
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn deliveries_ask_for_plain_products_the_van_holds() {
        let mut asked: BTreeMap<&str, u64> = BTreeMap::new();
        for d in &DELIVERIES {
            assert!((1..=3).contains(&d.items.len()), "{}", d.id);
            assert!(DELIVERY_OUTLETS.iter().any(|o| o.id == d.outlet_id), "{}", d.id);
            for (sku, q) in d.items {
                *asked.entry(sku).or_default() += q.parse::<u64>().expect("whole");
            }
        }
        for (sku, total) in asked {
            let (_, held) = VAN.iter().find(|(s, _)| *s == sku).expect("in the van");
            assert!(total <= held.parse::<u64>().expect("whole"), "{sku}");
        }
        for (sku, _) in VAN {
            let i = (0..PRODUCTS).find(|&i| product(i).0 == sku).expect("a demo product");
            let p = product_sales(i);
            assert_eq!((p.pack_size, p.min_order_quantity, p.quantity_places), (None, None, 0), "{sku}");
            assert_ne!(super::super::van_stock(i), "2", "{sku}");
        }
    }

    #[test]
    fn each_outlet_owes_its_older_invoices() {
        assert_eq!(owed("DLV-0001"), "412.50");
        assert_eq!(owed("DLV-0003"), "0.00");
        for (id, outlet, number, _, _) in OLDER_INVOICES {
            assert!(Uuid::parse_str(id).is_ok(), "{id}");
            assert!(DELIVERY_OUTLETS.iter().any(|o| o.id == outlet));
            assert_eq!(satchel_core::sales::numbering::parse_number("SO-", number).map(|n| n < 1000), Some(true), "below the leased numbers");
        }
        let s = delivery_settings();
        assert_eq!((s.sites.len(), s.trucks.len(), s.advances), (2, 2, AdvancePolicy::Refuse));
    }
}
