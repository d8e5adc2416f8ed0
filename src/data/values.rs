//! Reading single cells: identifiers, numbers and missing markers.
//!
//! Identifiers stay strings (`85123A` is a product code, not a number), but spreadsheets
//! and pandas write a numeric customer id as `17850.0` while other exports write `17850`;
//! both must name one customer. Missing values arrive as empty cells, `NA` (R), `nan` or
//! `NaN` (pandas), `null` and `None`.

/// True for the spellings of "no value" that real exports use.
pub fn is_missing_marker(text: &str) -> bool {
    // Every marker is empty or starts with 'N' or 'n'; most cells are rejected by their
    // first byte, before any of the comparisons below (this runs for every cell of a
    // large file).
    if !matches!(text.as_bytes().first(), None | Some(b'N' | b'n')) {
        return false;
    }
    matches!(
        text,
        "" | "NA" | "N/A" | "nan" | "NaN" | "NAN" | "null" | "NULL" | "None" | "none"
    )
}

/// `text.trim()`, with the common case (no blank at either end) decided by two bytes:
/// this runs for every cell of a large file.
fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !b.is_ascii_whitespace());
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Canonical form of an identifier cell, or `None` when the cell is missing.
///
/// Trims blanks and drops a trailing all-zero fraction from an all-digit id, so `17850.0`
/// and `17850` are the same customer while `85123A` and `0.5` stay as they are.
pub fn normalise_id(text: &str) -> Option<&str> {
    let t = trim(text);
    if is_missing_marker(t) {
        return None;
    }
    if let Some((int, frac)) = t.split_once('.')
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
    {
        return Some(int);
    }
    Some(t)
}

/// Reads a number cell: `Ok(None)` when missing, `Err(())` when it is text.
#[allow(clippy::result_unit_err)]
pub fn parse_number(text: &str) -> Result<Option<f64>, ()> {
    let t = trim(text);
    if is_missing_marker(t) {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

/// Text of a description-like cell, or `None` when empty or a missing marker.
///
/// The complete Online Retail Parquet carries the literal `nan` for the 1,454 rows whose
/// description was empty in the original workbook.
pub fn clean_text(text: &str) -> Option<&str> {
    let t = trim(text);
    (!is_missing_marker(t)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(normalise_id("17850.0"), Some("17850"));
        assert_eq!(normalise_id(" 17850 "), Some("17850"));
        assert_eq!(normalise_id("85123A"), Some("85123A"));
        assert_eq!(normalise_id("0.5"), Some("0.5"));
        assert_eq!(normalise_id("1.00"), Some("1"));
        assert_eq!(normalise_id("NA"), None);
        assert_eq!(normalise_id("NaN"), None);
        assert_eq!(normalise_id(""), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("2"), Ok(Some(2.0)));
        assert_eq!(parse_number(" -1.5 "), Ok(Some(-1.5)));
        assert_eq!(parse_number("NA"), Ok(None));
        assert_eq!(parse_number("two"), Err(()));
    }

    #[test]
    fn blanks_of_every_kind_are_trimmed_and_markers_found() {
        assert_eq!(normalise_id("\u{a0}17850.0\t"), Some("17850"));
        assert_eq!(clean_text("\u{2003}HEART\u{3000}"), Some("HEART"));
        assert_eq!(clean_text("é"), Some("é"));
        assert_eq!(parse_number("\r2.5"), Ok(Some(2.5)));
        for marker in [
            "", "NA", "N/A", "nan", "NaN", "NAN", "null", "NULL", "None", "none",
        ] {
            assert!(is_missing_marker(marker), "{marker}");
            assert_eq!(normalise_id(&format!(" {marker} ")), None, "{marker}");
        }
        assert!(!is_missing_marker("Nancy") && !is_missing_marker("n"));
    }

    #[test]
    fn text() {
        assert_eq!(clean_text(" WHITE HEART "), Some("WHITE HEART"));
        assert_eq!(clean_text("nan"), None);
        assert_eq!(clean_text(""), None);
    }
}
