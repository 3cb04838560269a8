//! JSON input from outside (an embedding page, a CLI's stdin) read into core's types, with a
//! failure that names the field: `lines[0].quantity: invalid type: integer `2`, expected a
//! decimal number written as a string`, not an error at "line 1 column 57" of text the caller
//! never wrote.

use serde::de::DeserializeOwned;

/// Why JSON input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if field.is_empty() { String::new() } else { format!("{field}: ") })]
pub struct InputError {
    /// The path of the field, e.g. `order.lines[0].quantity`; empty for the whole input.
    pub field: String,
    /// A stable code: `wrong_type` (a number where a decimal string is expected, …),
    /// `missing_field`, `unknown_field`, `bad_value` (a value of the right type the field
    /// refuses) or `malformed` (not JSON).
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

/// Parses `text` as a `T`, naming the field at fault when it does not fit.
pub fn from_json_text<T: DeserializeOwned>(text: &str) -> Result<T, InputError> {
    serde_json::from_str(text).map_err(|e| describe(text, &e))
}

fn describe(text: &str, e: &serde_json::Error) -> InputError {
    let message = plain(e);
    let code = if !e.is_data() {
        "malformed"
    } else if message.starts_with("invalid type") {
        "wrong_type"
    } else if message.starts_with("missing field") {
        "missing_field"
    } else if message.starts_with("unknown field") {
        "unknown_field"
    } else {
        "bad_value"
    };
    let field = if e.is_data() { path_at(text, offset_of(text, e.line(), e.column())) } else { String::new() };
    InputError { field, code, message }
}

/// The byte offset of serde_json's 1-based line and column (a column counts bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column).min(text.len())
}

/// One open object or array while scanning JSON text.
enum Frame {
    /// An object, with the key whose value is being read (none between members).
    Object(Option<String>),
    /// An array, with the index of the element being read.
    Array(usize),
}

/// The path (`lines[0].quantity`) of the value being read at byte `end` of `text`: what serde
/// was deserializing when it failed there. A small scan instead of a path-tracking deserializer,
/// which would double the deserialization code in the Wasm module.
fn path_at(text: &str, end: usize) -> String {
    let bytes = &text.as_bytes()[..end];
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object(None)),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            b'"' => {
                let from = i + 1;
                i = from;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object(key @ None)) = stack.last_mut() {
                    // `get`: the scan may stop inside a multi-byte character.
                    let raw = text.get(from..i.min(bytes.len())).unwrap_or_default();
                    *key = Some(serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// Where the JSON `text` holds a NUL character (the escape `\u0000`): the path of the first
/// string that does (`lines[2].note`; `""` at the top level), or `None`. PostgreSQL cannot store
/// NUL in text, so the server refuses it, naming the field, on every database alike. The text
/// is assumed to be valid JSON (call this after parsing it).
pub fn nul_at(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                        return Some(path_at(text, start));
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    None
}

/// serde_json's message without its " at line 1 column 57" (the text was not typed by a person).
fn plain(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) if e.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tax::TaxDocument;

    #[test]
    fn a_number_for_a_decimal_names_the_field() {
        let doc = r#"{"business_date":"2026-01-01","place_of_supply":"CA-ON","lines":[{"id":"a","quantity":2,"unit_price":"1.00"}]}"#;
        let e = from_json_text::<TaxDocument>(doc).expect_err("a number is refused");
        assert_eq!(e.field, "lines[0].quantity");
        assert_eq!(e.code, "wrong_type");
        assert!(e.message.contains("decimal number written as a string"), "{}", e.message);
        assert!(!e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn paths_go_through_nested_objects_arrays_and_escaped_keys() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            a: Vec<Inner>,
            #[serde(rename = "we\"ird")]
            weird: Option<crate::money::Dec>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            b: Vec<crate::money::Dec>,
        }
        let e = from_json_text::<Outer>(r#"{"a":[{"b":["1"]},{"b":["1","2",3]}]}"#).expect_err("a number");
        assert_eq!(e.field, "a[1].b[2]");
        let e = from_json_text::<Outer>("{\n  \"a\": [],\n  \"we\\\"ird\": 7\n}").expect_err("a number");
        assert_eq!(e.field, "we\"ird");
        let e = from_json_text::<Outer>(r#"{"a":[{"b":["1,5"]}]}"#).expect_err("not a decimal");
        assert_eq!((e.field.as_str(), e.code), ("a[0].b[0]", "bad_value"));
    }

    #[test]
    fn missing_unknown_and_malformed_are_told_apart() {
        let e = from_json_text::<TaxDocument>(r#"{"place_of_supply":"X","lines":[]}"#).expect_err("missing");
        assert_eq!((e.field.as_str(), e.code), ("", "missing_field"));
        let e = from_json_text::<TaxDocument>(r#"{"business_date":"2026-01-01","place_of_supply":"X","lines":[],"colour":1}"#)
            .expect_err("unknown");
        assert_eq!(e.code, "unknown_field");
        let e = from_json_text::<TaxDocument>(r#"{"business_date":"2026-13-01","place_of_supply":"X","lines":[]}"#)
            .expect_err("bad date");
        assert_eq!((e.field.as_str(), e.code), ("business_date", "bad_value"));
        let e = from_json_text::<TaxDocument>("{").expect_err("not JSON");
        assert_eq!(e.code, "malformed");
        let e = from_json_text::<TaxDocument>(r#"{"business_date":"2026-01-01","place_of_supply":"X","lines":[]} x"#)
            .expect_err("trailing text");
        assert_eq!(e.code, "malformed");
    }
}

#[cfg(test)]
mod nul_tests {
    use super::nul_at;

    #[test]
    fn a_nul_is_found_with_its_path_and_an_escaped_backslash_is_not_one() {
        assert_eq!(nul_at(r#"{"label": "a\u0000b"}"#).as_deref(), Some("label"));
        assert_eq!(nul_at(r#"{"lines": [{"sku": "x"}, {"note": "\u0000"}]}"#).as_deref(), Some("lines[1].note"));
        assert_eq!(nul_at(r#""\u0000""#).as_deref(), Some(""));
        // A backslash, then the letters u0000: text, not a NUL.
        assert_eq!(nul_at(r#"{"a": "\\u0000"}"#), None);
        assert_eq!(nul_at(r#"{"a": "\\\u0000"}"#).as_deref(), Some("a"));
        assert_eq!(nul_at(r#"{"a": "\u0001", "b": 1}"#), None);
        assert_eq!(nul_at(r#"{"a\u0000": 1}"#).as_deref(), Some(""));
    }
}
