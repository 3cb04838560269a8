//! A deterministic synthetic catalog and the keystrokes typed into it: the one fixture the
//! native search benchmark (`core/benches/search.rs`) and the Wasm one (`tests/bench_wasm.rs`)
//! share, so their figures compare. Made-up brand names (a few thousand distinct words) combined
//! with real product words by a linear congruential generator; SKUs like `SKU-004211`, 13-digit
//! barcodes. Not used by the product itself.

use super::SearchDoc;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "de", "ba", "cho", "gra", "ber", "lin", "mar", "tel", "zo", "pe",
    "qua", "ri", "fon", "del", "sa", "nu", "bel", "cor", "ti", "po", "ven", "ga",
];
const ADJECTIVES: &[&str] = &[
    "Organic", "Whole", "Dark", "Light", "Smoked", "Crunchy", "Spicy", "Fresh", "Frozen", "Salted", "Unsalted", "Sweet",
    "Sour", "Classic", "Original", "Extra", "Premium", "Natural", "Roasted", "Sliced", "Grated", "Creamy", "Mild",
    "Strong", "Low-fat", "Sugar-free", "Gluten-free", "Wholegrain", "Instant", "Aged", "Crème", "Brûlée", "Bio",
];
const FLAVOURS: &[&str] = &[
    "Vanilla", "Strawberry", "Chocolate", "Caramel", "Hazelnut", "Lemon", "Orange", "Raspberry", "Mango", "Coconut",
    "Jalapeño", "Garlic", "Pepper", "Honey", "Mint", "Cinnamon", "Apple", "Banana", "Cherry", "Peach", "Almond",
];
const NOUNS: &[&str] = &[
    "Milk", "Bread", "Cheese", "Yogurt", "Butter", "Coffee", "Café", "Pasta", "Sauce", "Cookies", "Milkshake", "Fraîche",
    "Crackers", "Granola", "Chips", "Ketchup", "Mustard", "Juice", "Water", "Soda", "Tea", "Cereal", "Rice", "Flour",
    "Sugar", "Oil", "Vinegar", "Soup", "Noodles", "Beans", "Tuna", "Sardines", "Ham", "Salami", "Sausages", "Eggs",
    "Cream", "Ice cream", "Biscuits", "Wafers", "Candy", "Gum", "Jam", "Spread", "Bar", "Drink", "Wheat", "Oats",
    "Detergent", "Shampoo", "Soap", "Toothpaste", "Tissues", "Napkins", "Batteries",
];
const SIZES: &[&str] = &["1L", "500g", "250 g", "6 x 330ml", "1kg", "12-pack", "2L", "750ml", "100g", "", "", ""];

/// `n` products, the same for a given `n` on every run and every target.
pub fn catalog(n: usize) -> Vec<SearchDoc> {
    let mut rng = Lcg(2024);
    let brands: Vec<String> = (0..2_500)
        .map(|_| {
            let syllables = 2 + rng.below(2);
            let mut brand: String = (0..syllables).map(|_| rng.pick(SYLLABLES)).collect();
            if let Some(first) = brand.get(..1) {
                brand = first.to_uppercase() + &brand[1..];
            }
            brand
        })
        .collect();
    (0..n)
        .map(|i| {
            let brand = &brands[rng.below(brands.len())];
            let flavour = if rng.below(3) == 0 { rng.pick(FLAVOURS) } else { "" };
            let name = format!("{brand} {} {flavour} {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS), rng.pick(SIZES));
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            let barcode = format!("{:013}", (rng.next() << 20 ^ rng.next()) % 10_000_000_000_000);
            SearchDoc::new(i as u32, format!("SKU-{i:06}"), name).with_barcodes([barcode])
        })
        .collect()
}


/// The queries the benchmarks type: words with and without typos, accents, a SKU prefix, product
/// 4,211's barcode (the last product's in a smaller catalog) and the first brand with two letters swapped.
pub fn queries(docs: &[SearchDoc]) -> Vec<String> {
    let barcode = docs.get(4_211).or(docs.last()).and_then(|d| d.barcodes.first()).cloned().unwrap_or_default();
    let brand: Vec<char> = docs
        .first()
        .and_then(|d| d.name.split_whitespace().next())
        .unwrap_or("Kalo")
        .to_lowercase()
        .chars()
        .collect();
    let mut typo = brand.clone();
    if typo.len() > 2 {
        typo.swap(1, 2);
    }
    vec![
        "chocolate milk".into(),
        "cohcolate".into(),
        "whole wheat".into(),
        "organic whole wheat bread".into(),
        "creme fraiche".into(),
        "strawbery yogurt".into(),
        "SKU-0042".into(),
        barcode,
        typo.into_iter().collect(),
        "jalapeno chips".into(),
        "toothpste".into(),
    ]
}

/// Every prefix of every query, as typed one character at a time.
pub fn keystrokes(queries: &[String]) -> Vec<String> {
    queries
        .iter()
        .flat_map(|q| {
            let chars: Vec<char> = q.chars().collect();
            (1..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .collect()
}
