//! An indexed, borrowed view over the products and price lists a device (or the server) holds.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::model::{CatalogProduct, PriceList};

/// Products by SKU and price lists by outlet group, borrowed from the caller's slices.
///
/// Built once when the catalog changes (`O(n log n)`), then every look-up is `O(log n)`.
/// Deterministic whatever the order of the slices: when two products share a SKU the first one
/// given wins, and price lists are chosen by their dates and ids (see
/// [`Catalog::price_list_for`]).
#[derive(Debug, Clone)]
pub struct Catalog<'a> {
    products: BTreeMap<&'a str, &'a CatalogProduct>,
    price_lists: BTreeMap<&'a str, &'a PriceList>,
    by_group: BTreeMap<&'a str, Vec<&'a PriceList>>,
}

impl<'a> Catalog<'a> {
    /// Indexes `products` by SKU and `price_lists` by id and by outlet group.
    pub fn new(products: &'a [CatalogProduct], price_lists: &'a [PriceList]) -> Self {
        let mut by_sku = BTreeMap::new();
        for p in products {
            by_sku.entry(p.sku.as_str()).or_insert(p);
        }
        let mut by_id = BTreeMap::new();
        let mut by_group: BTreeMap<&str, Vec<&PriceList>> = BTreeMap::new();
        for list in price_lists {
            by_id.entry(list.id.as_str()).or_insert(list);
            by_group.entry(list.outlet_group.as_str()).or_default().push(list);
        }
        Catalog { products: by_sku, price_lists: by_id, by_group }
    }

    /// The product with this SKU.
    pub fn product(&self, sku: &str) -> Option<&'a CatalogProduct> {
        self.products.get(sku).copied()
    }

    /// Every product, by SKU.
    pub fn products(&self) -> impl Iterator<Item = &'a CatalogProduct> + '_ {
        self.products.values().copied()
    }

    /// The price list with this id.
    pub fn price_list(&self, id: &str) -> Option<&'a PriceList> {
        self.price_lists.get(id).copied()
    }

    /// The price list for an outlet group on a business date.
    ///
    /// - The list in force on `date` (`valid_from <= date < valid_until`); when several are,
    ///   the one that started last (then the smallest id).
    /// - Otherwise, when the group has lists but none in force, the most recent one, so that
    ///   validation reports [`crate::validation::Rule::PriceListExpired`] instead of the order
    ///   being unpriceable: among lists that started on or before `date`, the one that ended
    ///   last (then the one that started last, then the smallest id); failing that (every list
    ///   starts later), the one that starts first (then the smallest id).
    /// - `None` when the group has no list at all.
    pub fn price_list_for(&self, group: &str, date: NaiveDate) -> Option<&'a PriceList> {
        let lists = self.by_group.get(group)?;
        // `max_by` keeps the last maximum and `min_by` the first minimum; the id comparison
        // makes every key unique anyway.
        let in_force = lists
            .iter()
            .filter(|l| l.in_force_on(date))
            .max_by(|a, b| a.valid_from.cmp(&b.valid_from).then_with(|| b.id.cmp(&a.id)));
        if let Some(list) = in_force {
            return Some(*list);
        }
        let ended = lists.iter().filter(|l| l.valid_from <= date).max_by(|a, b| {
            a.valid_until
                .cmp(&b.valid_until)
                .then_with(|| a.valid_from.cmp(&b.valid_from))
                .then_with(|| b.id.cmp(&a.id))
        });
        if let Some(list) = ended {
            return Some(*list);
        }
        lists.iter().min_by(|a, b| a.valid_from.cmp(&b.valid_from).then_with(|| a.id.cmp(&b.id))).copied()
    }
}
