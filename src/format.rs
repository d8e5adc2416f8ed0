//! Number formatting for human-readable reports, shared by the CLI and the TUI.

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A share as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// Quotes a CSV field when it needs it (a comma, quote or line break inside).
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(541_909), "541,909");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(percent(0.1234), "12.3 %");
    }
}

/// `text` cut to `width` characters from the left, with `…` in front when it was cut: a
/// run id keeps its distinguishing end (`…073911-als-t05`, `…-best`), which its start,
/// the date, does not distinguish.
pub fn shorten_left(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = text.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod shorten_tests {
    use super::shorten_left;

    #[test]
    fn ids_keep_their_end() {
        assert_eq!(
            shorten_left("20261203-073911-als-t05", 30),
            "20261203-073911-als-t05"
        );
        assert_eq!(shorten_left("20261203-073911-als-t05", 12), "…911-als-t05");
        assert_eq!(
            shorten_left("20261203-073911-als-t05", 12).chars().count(),
            12
        );
        assert_eq!(shorten_left("abc", 0), "");
    }
}
