//! Product search (issue "Catalog: searchable instantly by name, SKU or barcode prefix,
//! typo-tolerant"): the matching rules one by one, the ranking, independence from the order of
//! the catalog, and agreement with a brute-force reference on a synthetic catalog.
//!
//! Everything sits in `mod catalog` so that `cargo test -p satchel-core catalog` runs it.

mod catalog {
    use satchel_core::catalog::search::{fold, max_typos, MAX_QUERY_CHARS, MIN_CODE_PREFIX_CHARS};
    use satchel_core::catalog::{Hit, MatchKind, SearchDoc, SearchIndex};

    fn small() -> Vec<SearchDoc> {
        vec![
            SearchDoc::new(0, "CHOC-100", "Chocolate Milk 1L").with_barcodes(["4006381333931"]),
            SearchDoc::new(1, "MILK-1", "Whole Milk 1L").with_barcodes(["5012345678900", "0012345678905"]),
            SearchDoc::new(2, "CRM-FR", "Crème fraîche 30 %"),
            SearchDoc::new(3, "CHOCOLATE", "Dark Chocolate Bar"),
            SearchDoc::new(4, "BR-22", "Brown Bread"),
            SearchDoc::new(5, "CAFE-1", "Café au lait"),
            SearchDoc::new(6, "MLK-9", "Milkshake Vanilla"),
            SearchDoc::new(7, "JAL-1", "Jalapeño Peppers"),
        ]
    }

    fn index() -> SearchIndex {
        SearchIndex::build(small())
    }

    fn ids(hits: &[Hit]) -> Vec<u32> {
        hits.iter().map(|h| h.id).collect()
    }

    fn find(hits: &[Hit], id: u32) -> Option<Hit> {
        hits.iter().copied().find(|h| h.id == id)
    }

    #[test]
    fn exact_sku_beats_name_match() {
        let hits = index().search("chocolate", 10);
        assert_eq!(hits[0], Hit { id: 3, score: 500, matched: MatchKind::SkuExact, typos: 0 });
        assert_eq!(ids(&hits), [3, 0]);
        assert_eq!(hits[1].matched, MatchKind::NamePrefix);
        assert_eq!(hits[1].score, 200);
    }

    #[test]
    fn sku_ignores_case_spaces_and_dashes() {
        let idx = index();
        assert_eq!(idx.search("choc100", 10)[0], Hit { id: 0, score: 500, matched: MatchKind::SkuExact, typos: 0 });
        assert_eq!(idx.search(" Choc - 1 ", 10)[0].matched, MatchKind::SkuPrefix);
        assert_eq!(idx.search("mlk9", 10)[0].id, 6);
        // A SKU exact match at any length, even below the prefix minimum.
        let short = SearchIndex::build([SearchDoc::new(9, "A1", "Anything"), SearchDoc::new(8, "A12", "Other")]);
        assert_eq!(short.search("a1", 10), [Hit { id: 9, score: 500, matched: MatchKind::SkuExact, typos: 0 }]);
    }

    #[test]
    fn barcode_exact_and_prefix() {
        let idx = index();
        assert_eq!(idx.search("4006381333931", 10), [Hit { id: 0, score: 600, matched: MatchKind::BarcodeExact, typos: 0 }]);
        assert_eq!(idx.search("4006-381 333931", 10)[0].matched, MatchKind::BarcodeExact);
        assert_eq!(idx.search("400638", 10), [Hit { id: 0, score: 400, matched: MatchKind::BarcodePrefix, typos: 0 }]);
        // The second barcode counts too.
        assert_eq!(idx.search("00123", 10), [Hit { id: 1, score: 400, matched: MatchKind::BarcodePrefix, typos: 0 }]);
        // Below MIN_CODE_PREFIX_CHARS a prefix does not match codes (nor any name word here).
        assert_eq!(MIN_CODE_PREFIX_CHARS, 3);
        assert!(idx.search("40", 10).is_empty());
        assert!(idx.search("4007", 10).is_empty());
    }

    #[test]
    fn accents_and_case_are_folded() {
        let idx = index();
        let hits = idx.search("creme", 10);
        assert_eq!(hits, [Hit { id: 2, score: 200, matched: MatchKind::NamePrefix, typos: 0 }]);
        assert_eq!(ids(&idx.search("CREME FRAICHE", 10)), [2]);
        assert_eq!(ids(&idx.search("crème fraîche", 10)), [2]);
        assert_eq!(ids(&idx.search("cafe", 10)), [5]);
        assert_eq!(ids(&idx.search("jalapeno", 10)), [7]);
        // Decomposed input (e + combining acute).
        assert_eq!(ids(&idx.search("cre\u{300}me", 10)), [2]);
        assert_eq!(fold("Ñandú ÇA Ærø"), "nandu ca aero");
    }

    #[test]
    fn one_typo_finds_chocolate() {
        let hits = index().search("choclate", 10);
        assert_eq!(ids(&hits), [0, 3], "Chocolate Milk 1L (17 chars) before Dark Chocolate Bar (18)");
        assert!(hits.iter().all(|h| h.matched == MatchKind::Fuzzy && h.typos == 1 && h.score == 99));
    }

    #[test]
    fn transposition_is_one_typo() {
        let hits = index().search("cohcolate", 10);
        assert_eq!(ids(&hits), [0, 3]);
        assert!(hits.iter().all(|h| h.matched == MatchKind::Fuzzy && h.typos == 1));
        // Plain Levenshtein would count 2 for a transposition, too many for a 4-letter word.
        assert_eq!(find(&index().search("mlik", 10), 1).map(|h| h.typos), Some(1));
    }

    #[test]
    fn two_typos_only_from_eight_characters() {
        let idx = index();
        assert_eq!(max_typos(7), 1);
        assert_eq!(max_typos(8), 2);
        // 8 characters, 2 substitutions.
        let hits = idx.search("chxcolaxe", 10);
        assert_eq!(ids(&hits), [0, 3]);
        assert!(hits.iter().all(|h| h.typos == 2));
        // 7 characters, 2 substitutions: too many.
        assert!(find(&idx.search("chxcxla", 10), 3).is_none());
        // 3 typos never match.
        assert!(find(&idx.search("chxcxlaxe", 10), 3).is_none());
    }

    #[test]
    fn short_words_need_exact_prefixes() {
        let idx = index();
        let hits = idx.search("mlk", 10);
        assert!(find(&hits, 1).is_none(), "mlk is 3 characters: no typo allowed, so no Whole Milk: {hits:?}");
        assert!(find(&hits, 0).is_none());
        // But "mlk" is a SKU prefix of MLK-9 (the code side, not the name).
        assert_eq!(hits, [Hit { id: 6, score: 300, matched: MatchKind::SkuPrefix, typos: 0 }]);
        assert!(idx.search("brx", 10).is_empty());
        assert_eq!(ids(&idx.search("bro", 10)), [4]);
    }

    #[test]
    fn every_query_word_must_match() {
        let idx = index();
        assert_eq!(ids(&idx.search("choc milk", 10)), [0]);
        assert_eq!(ids(&idx.search("milk choc", 10)), [0]);
        // MILK-1 is also a SKU prefix match; then the names, shorter first, then by id.
        assert_eq!(ids(&idx.search("milk", 10)), [1, 0, 6]);
        assert_eq!(ids(&idx.search("milksh", 10)), [6]);
        assert!(idx.search("whole choc", 10).is_empty());
        assert_eq!(ids(&idx.search("whole milk 1l", 10)), [1]);
        // Punctuation separates words in the query as in names.
        assert_eq!(ids(&idx.search("milk,choc", 10)), [0]);
        // A typo in one word: the hit is fuzzy with that word's typos.
        assert_eq!(idx.search("choc mlik", 10), [Hit { id: 0, score: 99, matched: MatchKind::Fuzzy, typos: 1 }]);
    }

    #[test]
    fn prefix_matches_rank_before_fuzzy_ones() {
        let idx = SearchIndex::build([
            SearchDoc::new(1, "A-1", "Milo Chocolate Drink"),
            SearchDoc::new(2, "A-2", "Mild Cheddar"),
            SearchDoc::new(3, "A-3", "Milk"),
            SearchDoc::new(4, "A-4", "Silk Soy Milk"),
        ]);
        let hits = idx.search("milk", 10);
        let got: Vec<(u32, MatchKind, u8)> = hits.iter().map(|h| (h.id, h.matched, h.typos)).collect();
        assert_eq!(
            got,
            [
                (3, MatchKind::NamePrefix, 0),
                (4, MatchKind::NamePrefix, 0),
                (2, MatchKind::Fuzzy, 1), // "Mild Cheddar" (12) is shorter than "Milo Chocolate Drink"
                (1, MatchKind::Fuzzy, 1),
            ]
        );
        // Equal names: the smaller id first.
        let twins = SearchIndex::build([SearchDoc::new(9, "", "Milk"), SearchDoc::new(3, "", "Milk")]);
        assert_eq!(ids(&twins.search("milk", 10)), [3, 9]);
    }

    #[test]
    fn limit_is_respected_and_keeps_the_best() {
        let docs = synthetic(2_000);
        let idx = SearchIndex::build(docs);
        for query in ["c", "ch", "choc", "cohcolate", "milk", "sku-00", "organic bread"] {
            let all = idx.search(query, usize::MAX);
            for limit in [0, 1, 3, 10, 50] {
                let some = idx.search(query, limit);
                assert_eq!(some.len(), all.len().min(limit), "{query} limit {limit}");
                assert_eq!(some[..], all[..some.len()], "{query} limit {limit}");
            }
        }
    }

    #[test]
    fn empty_and_blank_queries_give_nothing() {
        let idx = index();
        for q in ["", " ", "\t\n  ", "-", "  --  ,. "] {
            assert!(idx.search(q, 10).is_empty(), "{q:?}");
        }
        assert!(SearchIndex::build([]).search("milk", 10).is_empty());
        assert!(SearchIndex::default().search("milk", 10).is_empty());
    }

    #[test]
    fn very_long_query_is_cut() {
        let idx = SearchIndex::build(synthetic(2_000));
        let long = "organic chocolate ".repeat(10_000);
        assert_eq!(MAX_QUERY_CHARS, 64);
        let cut: String = long.chars().take(MAX_QUERY_CHARS).collect();
        assert_eq!(idx.search(&long, 20), idx.search(&cut, 20));
        assert!(!idx.search(&long, 20).is_empty());
        // A single huge word: no match, no stall.
        assert!(idx.search(&"x".repeat(1_000_000), 20).is_empty());
        let garbage: String = (0..100_000u32).map(|i| char::from_u32(0x20 + (i * 7919) % 0x2000).unwrap_or('?')).collect();
        let _ = idx.search(&garbage, 20);
    }

    #[test]
    fn results_do_not_depend_on_catalog_order() {
        let docs = synthetic(1_500);
        let reference = SearchIndex::build(docs.clone());
        let queries = queries(&docs, 120);
        let mut rng = Lcg(7);
        for round in 0..6 {
            let mut shuffled = docs.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.below(i + 1));
            }
            if round == 0 {
                shuffled.reverse();
            }
            let idx = SearchIndex::build(shuffled);
            for q in &queries {
                for limit in [5, usize::MAX] {
                    assert_eq!(idx.search(q, limit), reference.search(q, limit), "round {round}, query {q:?}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_brute_force_reference() {
        let docs = synthetic(300);
        let idx = SearchIndex::build(docs.clone());
        let reference = folded(&docs);
        let mut nonempty = 0;
        let mut fuzzy = 0;
        for q in queries(&docs, 500) {
            let got: Vec<(u32, MatchKind, u8)> = idx.search(&q, usize::MAX).iter().map(|h| (h.id, h.matched, h.typos)).collect();
            let want = brute_force(&reference, &q);
            assert_eq!(got, want, "query {q:?}");
            nonempty += usize::from(!want.is_empty());
            fuzzy += usize::from(want.iter().any(|w| w.1 == MatchKind::Fuzzy));
        }
        assert!(nonempty > 300 && fuzzy > 100, "the queries exercise matching: {nonempty} non-empty, {fuzzy} fuzzy");
    }

    // ---- Brute-force reference: the documented rules, applied product by product. ----

    /// A product as the reference sees it: folded codes and name words, name length, id.
    struct Folded {
        sku: String,
        barcodes: Vec<String>,
        words: Vec<Vec<char>>,
        name_chars: usize,
        id: u32,
    }

    fn folded(docs: &[SearchDoc]) -> Vec<Folded> {
        let key = |s: &str| fold(s).chars().filter(|c| c.is_alphanumeric()).collect::<String>();
        docs.iter()
            .map(|d| Folded {
                sku: key(&d.sku),
                barcodes: d.barcodes.iter().map(|b| key(b)).collect(),
                words: split(&fold(&d.name)),
                name_chars: d.name.trim().chars().count(),
                id: d.id,
            })
            .collect()
    }

    fn brute_force(docs: &[Folded], query: &str) -> Vec<(u32, MatchKind, u8)> {
        let folded = fold(&query.chars().take(MAX_QUERY_CHARS).collect::<String>());
        let code: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        let prefix_ok = code.chars().count() >= MIN_CODE_PREFIX_CHARS;
        let qwords: Vec<Vec<char>> = split(&folded);
        let mut out = Vec::new();
        for doc in docs {
            let mut best: Option<(MatchKind, u8)> = None;
            let mut consider = |kind: MatchKind, typos: u8| {
                if best.is_none_or(|b| (kind, typos) < b) {
                    best = Some((kind, typos));
                }
            };
            if !code.is_empty() {
                if doc.sku == code {
                    consider(MatchKind::SkuExact, 0);
                } else if prefix_ok && doc.sku.starts_with(&code) {
                    consider(MatchKind::SkuPrefix, 0);
                }
                for b in &doc.barcodes {
                    if *b == code {
                        consider(MatchKind::BarcodeExact, 0);
                    } else if prefix_ok && b.starts_with(&code) {
                        consider(MatchKind::BarcodePrefix, 0);
                    }
                }
            }
            if !qwords.is_empty() {
                let mut total = 0u8;
                let mut all = true;
                for q in &qwords {
                    let k = max_typos(q.len());
                    match doc.words.iter().map(|w| prefix_distance(q, w)).min() {
                        Some(d) if d <= usize::from(k) => total += d as u8,
                        _ => all = false,
                    }
                }
                if all {
                    consider(if total == 0 { MatchKind::NamePrefix } else { MatchKind::Fuzzy }, total);
                }
            }
            if let Some((kind, typos)) = best {
                out.push((kind, typos, doc.name_chars, doc.id));
            }
        }
        out.sort();
        out.into_iter().map(|(kind, typos, _, id)| (id, kind, typos)).collect()
    }

    fn split(folded: &str) -> Vec<Vec<char>> {
        folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.chars().collect()).collect()
    }

    /// Smallest optimal-string-alignment distance between `q` and any prefix of `w`: the full
    /// matrix, no band, no pruning.
    fn prefix_distance(q: &[char], w: &[char]) -> usize {
        let (m, n) = (q.len(), w.len());
        let cols = n + 1;
        let mut d = vec![0usize; (m + 1) * cols];
        for i in 0..=m {
            d[i * cols] = i;
        }
        for (j, cell) in d.iter_mut().enumerate().take(cols) {
            *cell = j;
        }
        for i in 1..=m {
            for j in 1..=n {
                let cost = usize::from(q[i - 1] != w[j - 1]);
                let mut v = (d[(i - 1) * cols + j - 1] + cost).min(d[(i - 1) * cols + j] + 1).min(d[i * cols + j - 1] + 1);
                if i > 1 && j > 1 && q[i - 1] == w[j - 2] && q[i - 2] == w[j - 1] {
                    v = v.min(d[(i - 2) * cols + j - 2] + 1);
                }
                d[i * cols + j] = v;
            }
        }
        d[m * cols..].iter().copied().min().unwrap_or(m)
    }

    // ---- A deterministic synthetic catalog and queries. ----

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

    const BRANDS: &[&str] = &["Nestlé", "Danone", "Kraft", "Müller", "Président", "Lindt", "Häagen", "Barilla", "Heinz", "Bonne Maman"];
    const ADJECTIVES: &[&str] = &["Organic", "Whole", "Dark", "Light", "Crème", "Smoked", "Crunchy", "Spicy", "Fresh", "Frozen", "Jalapeño", "Salted"];
    const NOUNS: &[&str] = &[
        "Chocolate", "Milk", "Bread", "Cheese", "Yogurt", "Butter", "Coffee", "Café", "Pasta", "Sauce", "Cookies", "Milkshake",
        "Fraîche", "Crackers", "Granola", "Chips", "Ketchup", "Mustard", "Vanilla", "Strawberry",
    ];
    const SIZES: &[&str] = &["1L", "500g", "250 g", "6 x 330ml", "1kg", "12-pack", ""];

    fn synthetic(n: usize) -> Vec<SearchDoc> {
        let mut rng = Lcg(42);
        (0..n)
            .map(|i| {
                let name = format!("{} {} {} {}", rng.pick(BRANDS), rng.pick(ADJECTIVES), rng.pick(NOUNS), rng.pick(SIZES));
                let barcode = format!("{:013}", rng.next() % 10_000_000_000_000);
                let mut doc = SearchDoc::new(i as u32, format!("SKU-{:06}", (i * 7 + 11) % 1_000_000), name.trim());
                if i % 5 != 0 {
                    doc.barcodes.push(barcode);
                }
                doc
            })
            .collect()
    }

    /// Prefixes of names and codes, words with typos, multi-word queries.
    fn queries(docs: &[SearchDoc], n: usize) -> Vec<String> {
        let mut rng = Lcg(99);
        let mut out = Vec::new();
        while out.len() < n {
            let doc = &docs[rng.below(docs.len())];
            let words: Vec<&str> = doc.name.split_whitespace().collect();
            let word = words[rng.below(words.len())];
            let q = match rng.below(8) {
                0 => word.chars().take(1 + rng.below(word.chars().count())).collect(),
                1 => doc.sku.chars().take(1 + rng.below(doc.sku.len())).collect(),
                2 => doc.barcodes.first().map(|b| b[..1 + rng.below(b.len())].to_owned()).unwrap_or_default(),
                3 => format!("{} {}", words[rng.below(words.len())], word.chars().take(2 + rng.below(4)).collect::<String>()),
                _ => {
                    let edits = 1 + rng.below(2);
                    typo(&mut rng, word, edits)
                }
            };
            out.push(q);
        }
        out
    }

    fn typo(rng: &mut Lcg, word: &str, edits: usize) -> String {
        let mut chars: Vec<char> = word.to_lowercase().chars().collect();
        for _ in 0..edits {
            if chars.len() < 2 {
                break;
            }
            let at = rng.below(chars.len() - 1);
            match rng.below(4) {
                0 => chars.swap(at, at + 1),
                1 => {
                    chars.remove(at);
                }
                2 => chars.insert(at, 'x'),
                _ => chars[at] = 'q',
            }
        }
        chars.into_iter().collect()
    }
}
