//! Instant, typo-tolerant product search by name, SKU or barcode.
//!
//! [`SearchIndex::build`] turns the catalog into an index once; [`SearchIndex::search`] answers
//! a query (what the user has typed so far) with the best [`Hit`]s, best first.
//!
//! ```
//! use satchel_core::catalog::{MatchKind, SearchDoc, SearchIndex};
//!
//! let index = SearchIndex::build([
//!     SearchDoc::new(0, "CHOC-100", "Chocolate Milk 1L").with_barcodes(["4006381333931"]),
//!     SearchDoc::new(1, "CRM-FR", "Crème fraîche 30 %"),
//! ]);
//! let hits = index.search("cohcolate", 20);
//! assert_eq!((hits[0].id, hits[0].matched, hits[0].typos), (0, MatchKind::Fuzzy, 1));
//! assert_eq!(index.search("creme", 20)[0].id, 1);
//! assert_eq!(index.search("400638", 20)[0].matched, MatchKind::BarcodePrefix);
//! ```
//!
//! # Matching
//!
//! Text is compared after [`fold`]ing: lowercase, common Latin accents removed (`é`→`e`,
//! `ü`→`u`, `ñ`→`n`, `ç`→`c`, `ß`→`ss`, `œ`→`oe`…), combining marks dropped.
//!
//! - **Codes.** The whole query, with everything but letters and digits removed (so case,
//!   spaces and dashes do not matter), is compared with each SKU and barcode treated the same
//!   way: equal is an exact match; a code that starts with it is a prefix match, once the query
//!   has at least [`MIN_CODE_PREFIX_CHARS`] letters or digits (a single keystroke would
//!   otherwise prefix-match half the catalog's codes).
//! - **Names.** A name is split into words at anything that is not a letter or a digit; so is
//!   the query. Every query word must match some word of the name (AND). A query word matches a
//!   name word that starts with it (the user may still be typing it) or, failing that, whose
//!   start is within [`max_typos`] edits of it: Damerau–Levenshtein distance in its optimal
//!   string alignment form (insertion, deletion, substitution, transposition of neighbours),
//!   minimised over the name word's prefixes. Query words of up to 3 characters must match
//!   exactly; 4 to 7 characters allow 1 typo; 8 or more allow 2.
//!
//! # Ranking
//!
//! Best first: [`MatchKind::BarcodeExact`], [`MatchKind::SkuExact`],
//! [`MatchKind::BarcodePrefix`], [`MatchKind::SkuPrefix`], [`MatchKind::NamePrefix`] (every
//! word matched without a typo), [`MatchKind::Fuzzy`]; a product that matches in several ways
//! counts its best. Ties go to fewer typos (summed over the query's words), then the shorter
//! name, then the smaller id. The order is total, so it does not depend on the order in which
//! the products were given to [`SearchIndex::build`].
//!
//! # Cost
//!
//! The names' distinct folded words form a sorted vocabulary with, for each word, the sorted
//! list of products using it. A query word is matched against the vocabulary, never against
//! each product: an exact prefix is a binary search; the typo-tolerant match walks the sorted
//! vocabulary as an implicit trie (a word reuses the distance columns of the prefix it shares
//! with the previous word), computes only the diagonal band of width `2k + 1` and abandons a
//! branch as soon as no alignment can stay within `k` typos. Products are then counted through
//! the matched words' lists, with one small scratch array per query, not per product.
//! Queries are cut to [`MAX_QUERY_CHARS`] characters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest query considered, in characters; the rest is ignored (a pasted page of text must
/// not stall the UI).
pub const MAX_QUERY_CHARS: usize = 64;

/// Fewest letters and digits for a query to prefix-match SKUs and barcodes. Shorter queries
/// still match a code exactly.
pub const MIN_CODE_PREFIX_CHARS: usize = 3;

/// Most typos a query word of `chars` characters (after folding) may have to match a name word:
/// 0 for up to 3 characters, 1 for 4 to 7, 2 for 8 or more.
pub fn max_typos(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Lowercases `text` and removes common Latin accents and combining marks, e.g. `"Crème
/// Fraîche"` → `"creme fraiche"`, `"Straße"` → `"strasse"`. Other characters are kept as they
/// are (lowercased).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut out);
    }
    out
}

/// Appends the folded form of `c` to `out`.
fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for l in c.to_lowercase() {
        let folded = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ª' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'º' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            // Combining diacritical marks (decomposed input such as "e\u{301}").
            '\u{300}'..='\u{36f}' => "",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(folded);
    }
}

/// The words of already folded text: runs of letters and digits.
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Folded `text` with everything but letters and digits removed: the form in which SKUs,
/// barcodes and the code side of a query are compared.
fn code_key(text: &str) -> String {
    let mut folded = fold(text);
    folded.retain(char::is_alphanumeric);
    folded
}

/// One product as given to [`SearchIndex::build`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// The caller's identifier for the product (typically its index in the caller's list),
    /// returned in [`Hit::id`].
    pub id: u32,
    /// The product's SKU.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// The product's barcodes (EAN-13, UPC-A…), any number of them.
    pub barcodes: Vec<String>,
}

impl SearchDoc {
    /// A product with no barcodes.
    pub fn new(id: u32, sku: impl Into<String>, name: impl Into<String>) -> Self {
        SearchDoc { id, sku: sku.into(), name: name.into(), barcodes: Vec::new() }
    }

    /// The same product with these barcodes.
    pub fn with_barcodes<S: Into<String>>(mut self, barcodes: impl IntoIterator<Item = S>) -> Self {
        self.barcodes = barcodes.into_iter().map(Into::into).collect();
        self
    }
}

/// Why a product matched, from the best kind of match to the weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The query is one of the product's barcodes.
    BarcodeExact,
    /// The query is the product's SKU.
    SkuExact,
    /// One of the product's barcodes starts with the query.
    BarcodePrefix,
    /// The product's SKU starts with the query.
    SkuPrefix,
    /// Every query word starts a word of the name, without typos.
    NamePrefix,
    /// Every query word matches a word of the name, at least one of them with typos.
    Fuzzy,
}

impl MatchKind {
    /// All kinds, best first.
    pub const ALL: [MatchKind; 6] = [
        MatchKind::BarcodeExact,
        MatchKind::SkuExact,
        MatchKind::BarcodePrefix,
        MatchKind::SkuPrefix,
        MatchKind::NamePrefix,
        MatchKind::Fuzzy,
    ];

    /// Position in [`MatchKind::ALL`]: 0 is the best.
    fn rank(self) -> u8 {
        self as u8
    }

    /// The kind at `rank` (saturating at [`MatchKind::Fuzzy`]).
    fn from_rank(rank: u8) -> Self {
        MatchKind::ALL.get(rank as usize).copied().unwrap_or(MatchKind::Fuzzy)
    }
}

/// A product that matches a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hit {
    /// The product's [`SearchDoc::id`].
    pub id: u32,
    /// Relevance, higher is better: 600 for [`MatchKind::BarcodeExact`], 500 `SkuExact`, 400
    /// `BarcodePrefix`, 300 `SkuPrefix`, 200 `NamePrefix`, 100 `Fuzzy`, minus the typos. Hits
    /// come sorted by it (then by shorter name, then by id).
    pub score: u32,
    /// Why it matched.
    pub matched: MatchKind,
    /// Typos summed over the query's words (0 unless [`MatchKind::Fuzzy`]).
    pub typos: u8,
}

/// A candidate's sort key: kind rank (8 bits), typos (8), name length (16), id (32). Smaller
/// is better; distinct products with equal keys yield equal hits, so the order is total.
fn sort_key(kind: MatchKind, typos: u8, name_chars: u16, id: u32) -> u64 {
    (u64::from(kind.rank()) << 56) | (u64::from(typos) << 48) | (u64::from(name_chars) << 32) | u64::from(id)
}

fn hit_from_key(key: u64) -> Hit {
    let matched = MatchKind::from_rank((key >> 56) as u8);
    let typos = (key >> 48) as u8;
    let id = key as u32;
    let score = (6 - u32::from(matched.rank())) * 100 - u32::from(typos.min(99));
    Hit { id, score, matched, typos }
}

/// A SKU or barcode, folded, as a range of [`SearchIndex::code_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CodeEntry {
    start: u32,
    end: u32,
    doc: u32,
    barcode: bool,
}

/// The search index over a catalog. Immutable once built; rebuild it when the catalog changes.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Per product (in build order): the caller's id.
    ids: Vec<u32>,
    /// Per product: the name's length in characters (saturating), for tie-breaking.
    name_chars: Vec<u16>,
    /// The vocabulary's words, concatenated, in sorted order.
    vocab_chars: Vec<char>,
    /// Word `v` is `vocab_chars[vocab_start[v]..vocab_start[v + 1]]`.
    vocab_start: Vec<u32>,
    /// Products using word `v` are `postings[post_start[v]..post_start[v + 1]]`, ascending.
    post_start: Vec<u32>,
    /// Product numbers (build order).
    postings: Vec<u32>,
    /// Folded SKUs and barcodes, concatenated.
    code_text: String,
    /// Codes sorted by their text.
    codes: Vec<CodeEntry>,
}

/// One query word's matching vocabulary words, with their typos.
struct WordMatches {
    words: Vec<(u32, u8)>,
    postings: usize,
}

impl SearchIndex {
    /// Builds the index. Ids need not be distinct or dense, but distinct products should have
    /// distinct ids (hits are reported by id).
    pub fn build(items: impl IntoIterator<Item = SearchDoc>) -> Self {
        let mut ids = Vec::new();
        let mut name_chars = Vec::new();
        let mut vocab: BTreeMap<Vec<char>, Vec<u32>> = BTreeMap::new();
        let mut code_list: Vec<(String, u32, bool)> = Vec::new();
        for (doc, item) in items.into_iter().enumerate() {
            let doc = doc as u32;
            ids.push(item.id);
            name_chars.push(u16::try_from(item.name.trim().chars().count()).unwrap_or(u16::MAX));
            for word in words(&fold(&item.name)) {
                let list = vocab.entry(word.chars().collect()).or_default();
                if list.last() != Some(&doc) {
                    list.push(doc);
                }
            }
            let sku = code_key(&item.sku);
            if !sku.is_empty() {
                code_list.push((sku, doc, false));
            }
            for barcode in &item.barcodes {
                let barcode = code_key(barcode);
                if !barcode.is_empty() {
                    code_list.push((barcode, doc, true));
                }
            }
        }

        let mut vocab_chars = Vec::new();
        let mut vocab_start = Vec::with_capacity(vocab.len() + 1);
        let mut post_start = Vec::with_capacity(vocab.len() + 1);
        let mut postings = Vec::new();
        vocab_start.push(0);
        post_start.push(0);
        for (word, docs) in vocab {
            vocab_chars.extend_from_slice(&word);
            vocab_start.push(vocab_chars.len() as u32);
            postings.extend_from_slice(&docs);
            post_start.push(postings.len() as u32);
        }

        code_list.sort_unstable();
        code_list.dedup();
        let mut code_text = String::new();
        let mut codes = Vec::with_capacity(code_list.len());
        for (text, doc, barcode) in code_list {
            let start = code_text.len() as u32;
            code_text.push_str(&text);
            codes.push(CodeEntry { start, end: code_text.len() as u32, doc, barcode });
        }

        SearchIndex { ids, name_chars, vocab_chars, vocab_start, post_start, postings, code_text, codes }
    }

    /// Number of products indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no product is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of distinct folded words in the products' names.
    pub fn vocabulary_len(&self) -> usize {
        self.vocab_start.len().saturating_sub(1)
    }

    /// Approximate heap memory held by the index, in bytes.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.ids.capacity() * size_of::<u32>()
            + self.name_chars.capacity() * size_of::<u16>()
            + self.vocab_chars.capacity() * size_of::<char>()
            + self.vocab_start.capacity() * size_of::<u32>()
            + self.post_start.capacity() * size_of::<u32>()
            + self.postings.capacity() * size_of::<u32>()
            + self.code_text.capacity()
            + self.codes.capacity() * size_of::<CodeEntry>()
    }

    /// The best `limit` products for `query`, best first (see the [module](self) for matching
    /// and ranking). An empty or blank query, or a `limit` of 0, gives no hits.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        if limit == 0 || self.is_empty() {
            return Vec::new();
        }
        let capped: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let folded = fold(&capped);
        let mut keys: Vec<u64> = Vec::new();

        // Codes: the whole query against SKUs and barcodes.
        let mut code_rank: Vec<u8> = Vec::new(); // per product: 0, or 1 + best code kind rank
        let code = code_key(&folded);
        if !code.is_empty() {
            let range = self.code_range(&code);
            if !range.is_empty() {
                code_rank = vec![0; self.len()];
                let prefix_allowed = code.chars().count() >= MIN_CODE_PREFIX_CHARS;
                for entry in &self.codes[range] {
                    let exact = (entry.end - entry.start) as usize == code.len();
                    if !exact && !prefix_allowed {
                        continue;
                    }
                    let kind = match (entry.barcode, exact) {
                        (true, true) => MatchKind::BarcodeExact,
                        (false, true) => MatchKind::SkuExact,
                        (true, false) => MatchKind::BarcodePrefix,
                        (false, false) => MatchKind::SkuPrefix,
                    };
                    let slot = &mut code_rank[entry.doc as usize];
                    if *slot == 0 || kind.rank() + 1 < *slot {
                        *slot = kind.rank() + 1;
                    }
                }
                for (doc, &rank) in code_rank.iter().enumerate() {
                    if rank != 0 {
                        keys.push(sort_key(MatchKind::from_rank(rank - 1), 0, self.name_chars[doc], self.ids[doc]));
                    }
                }
            }
        }

        // Names: every query word must match a word of the name.
        let query_words: Vec<Vec<char>> = words(&folded).map(|w| w.chars().collect()).collect();
        if !query_words.is_empty() {
            self.name_matches(&query_words, &code_rank, &mut keys);
        }

        if keys.len() > limit {
            keys.select_nth_unstable(limit);
            keys.truncate(limit);
        }
        keys.sort_unstable();
        keys.into_iter().map(hit_from_key).collect()
    }

    /// Adds the keys of products whose name matches every query word (and that matched no
    /// code, in `code_rank`) to `keys`.
    fn name_matches(&self, query_words: &[Vec<char>], code_rank: &[u8], keys: &mut Vec<u64>) {
        let mut per_word: Vec<WordMatches> = Vec::with_capacity(query_words.len());
        for q in query_words {
            let matches = self.word_matches(q);
            if matches.words.is_empty() {
                return;
            }
            per_word.push(matches);
        }
        // The rarest word first: it bounds the candidates.
        per_word.sort_by_key(|m| m.postings);

        let n = self.len();
        let mut seen = vec![0u8; n]; // how many query words (in `per_word` order) matched
        let mut current = vec![0u8; n]; // fewest typos for the word being counted
        let mut total = vec![0u8; n]; // typos summed over the words before it
        let mut candidates: Vec<u32> = Vec::new();
        for (step, matches) in per_word.iter().enumerate() {
            let step = step as u8;
            for &(word, typos) in &matches.words {
                for &doc in self.postings_of(word) {
                    let d = doc as usize;
                    if seen[d] == step {
                        if step == 0 {
                            candidates.push(doc);
                        } else {
                            total[d] = total[d].saturating_add(current[d]);
                        }
                        seen[d] = step + 1;
                        current[d] = typos;
                    } else if seen[d] == step + 1 && typos < current[d] {
                        current[d] = typos;
                    }
                }
            }
        }
        let all = per_word.len() as u8;
        for doc in candidates {
            let d = doc as usize;
            if seen[d] != all || code_rank.get(d).is_some_and(|&r| r != 0) {
                continue;
            }
            let typos = total[d].saturating_add(current[d]);
            let kind = if typos == 0 { MatchKind::NamePrefix } else { MatchKind::Fuzzy };
            keys.push(sort_key(kind, typos, self.name_chars[d], self.ids[d]));
        }
    }

    /// The vocabulary words query word `q` matches, with their typos.
    fn word_matches(&self, q: &[char]) -> WordMatches {
        let q = &q[..q.len().min(MAX_QUERY_CHARS)];
        let k = max_typos(q.len());
        let mut words = Vec::new();
        if k == 0 {
            let lo = self.vocab_partition(|w| prefix_of(w, q.len()) < q);
            let hi = self.vocab_partition(|w| prefix_of(w, q.len()) <= q);
            words.extend((lo..hi).map(|v| (v as u32, 0)));
        } else {
            self.fuzzy_walk(q, k, &mut words);
        }
        let postings = words.iter().map(|&(v, _)| self.postings_of(v).len()).sum();
        WordMatches { words, postings }
    }

    /// Appends to `out` every vocabulary word with a prefix within `k` typos of `q`, with the
    /// smallest such distance.
    ///
    /// The distance matrix has one column per character of the vocabulary word (row `i` of
    /// column `j`: distance between `q[..i]` and `word[..j]`). Consecutive sorted words share
    /// their common prefix's columns. Only the band `|i - j| <= k` is computed; cells outside
    /// it hold `k + 1` (anything above `k` is the same to us) and are never written. Columns
    /// beyond `q.len() + k` cannot bring the last row within `k`, and once a whole column
    /// exceeds `k` so does every later one (an edit changes the distance by at most one per
    /// step), so a word's best distance is known at that column, for every word sharing the
    /// prefix.
    fn fuzzy_walk(&self, q: &[char], k: u8, out: &mut Vec<(u32, u8)>) {
        let m = q.len();
        let ku = usize::from(k);
        let inf = k + 1;
        let cap = m + ku;
        let rows = m + 1;
        let mut mat = vec![inf; (cap + 1) * rows];
        for (i, cell) in mat.iter_mut().enumerate().take(rows.min(ku + 1)) {
            *cell = i as u8; // column 0: q[..i] against the empty prefix
        }
        for j in 1..=cap.min(ku) {
            mat[j * rows] = j as u8; // row 0: the empty query against word[..j]
        }
        // best[j]: smallest last-row value over columns 0..=j.
        let mut best = vec![inf; cap + 1];
        best[0] = mat[m];

        let mut prev: &[char] = &[];
        let mut computed = 0usize; // columns 1..=computed are valid for `prev`
        let mut stopped = false; // whether `prev`'s walk ended at `computed` for good
        for v in 0..self.vocabulary_len() {
            let w = self.word(v);
            let shared = prev.iter().zip(w).take_while(|(a, b)| a == b).count().min(computed);
            if stopped && shared == computed {
                if best[computed] <= k {
                    out.push((v as u32, best[computed]));
                }
                continue;
            }
            let end = w.len().min(cap);
            let mut j = shared;
            stopped = false;
            while j < end {
                j += 1;
                let c = w[j - 1];
                let here = j * rows;
                let left = here - rows;
                let mut column_min = if j <= ku { j as u8 } else { inf };
                for i in j.saturating_sub(ku).max(1)..=(j + ku).min(m) {
                    let mut d = (mat[left + i - 1] + u8::from(q[i - 1] != c)).min(mat[left + i] + 1).min(mat[here + i - 1] + 1);
                    if i > 1 && j > 1 && q[i - 1] == w[j - 2] && q[i - 2] == c {
                        d = d.min(mat[left - rows + i - 2] + 1);
                    }
                    let d = d.min(inf);
                    mat[here + i] = d;
                    column_min = column_min.min(d);
                }
                best[j] = best[j - 1].min(mat[here + m]);
                if column_min > k {
                    stopped = true;
                    break;
                }
            }
            if j == cap {
                stopped = true;
            }
            computed = j;
            prev = w;
            if best[j] <= k {
                out.push((v as u32, best[j]));
            }
        }
    }

    /// Vocabulary word `v`.
    fn word(&self, v: usize) -> &[char] {
        &self.vocab_chars[self.vocab_start[v] as usize..self.vocab_start[v + 1] as usize]
    }

    /// Products using vocabulary word `v`.
    fn postings_of(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.postings[self.post_start[v] as usize..self.post_start[v + 1] as usize]
    }

    /// The first vocabulary index for which `before` is false (`before` must be true on a
    /// sorted prefix of the vocabulary).
    fn vocab_partition(&self, before: impl Fn(&[char]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.vocabulary_len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(self.word(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The codes equal to or starting with `key`.
    fn code_range(&self, key: &str) -> std::ops::Range<usize> {
        let text = |e: &CodeEntry| &self.code_text[e.start as usize..e.end as usize];
        let lo = self.codes.partition_point(|e| text(e) < key);
        let len = self.codes[lo..].partition_point(|e| text(e).starts_with(key));
        lo..lo + len
    }
}

/// The first `n` characters of `w` (all of it if shorter).
fn prefix_of(w: &[char], n: usize) -> &[char] {
    &w[..w.len().min(n)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SearchIndex {
        SearchIndex::build([
            SearchDoc::new(0, "CHOC-100", "Chocolate Milk 1L").with_barcodes(["4006381333931"]),
            SearchDoc::new(1, "MILK-1", "Whole Milk 1L").with_barcodes(["5012345678900"]),
            SearchDoc::new(2, "CRM-FR", "Crème fraîche 30 %"),
            SearchDoc::new(3, "CHOCOLATE", "Dark Chocolate Bar"),
            SearchDoc::new(4, "BR-22", "Brown Bread"),
        ])
    }

    #[test]
    fn fold_removes_case_and_accents() {
        assert_eq!(fold("Crème Fraîche"), "creme fraiche");
        assert_eq!(fold("ÜBER Straße Ñandú Çava Œuvre"), "uber strasse nandu cava oeuvre");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
    }

    #[test]
    fn typo_budget_by_length() {
        assert_eq!((0..=9).map(max_typos).collect::<Vec<_>>(), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    }

    #[test]
    fn exact_sku_beats_name_match() {
        let hits = index().search("chocolate", 10);
        assert_eq!(hits[0], Hit { id: 3, score: 500, matched: MatchKind::SkuExact, typos: 0 });
        assert_eq!(hits[1].id, 0);
        assert_eq!(hits[1].matched, MatchKind::NamePrefix);
    }

    #[test]
    fn fuzzy_distance_is_over_prefixes_and_counts_transpositions() {
        let idx = index();
        let hit = |q: &str| idx.search(q, 10).into_iter().find(|h| h.id == 3);
        assert_eq!(hit("choclate").map(|h| (h.matched, h.typos)), Some((MatchKind::Fuzzy, 1)));
        assert_eq!(hit("cohcolate").map(|h| (h.matched, h.typos)), Some((MatchKind::Fuzzy, 1)));
        assert_eq!(hit("chxcolaxe").map(|h| (h.matched, h.typos)), Some((MatchKind::Fuzzy, 2)));
        assert_eq!(hit("chxcxlaxe"), None, "3 typos is too many");
        assert_eq!(hit("dakr").map(|h| h.typos), Some(1));
    }

    #[test]
    fn code_prefix_needs_three_characters() {
        let idx = index();
        assert!(idx.search("50", 10).iter().all(|h| h.matched != MatchKind::BarcodePrefix));
        assert_eq!(idx.search("501", 10)[0].matched, MatchKind::BarcodePrefix);
    }
}
