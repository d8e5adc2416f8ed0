//! What a destination or model spec names: a local path, or `s3://bucket/prefix`.
//!
//! Anything that looks like a URL (`scheme://…` or `scheme:/…`) is read as one, so a
//! scheme latent does not speak (`gs://`, `https://`, `postgresql://`) or a mistyped one
//! (`s3:/b/x`) is refused instead of silently becoming a local folder named `gs:`.
//! Schemes are case-insensitive (RFC 3986), and Spark's names for S3 (`s3a://`,
//! `s3n://`) mean `s3://`. A single letter before the colon is a Windows drive
//! (`C:\x`, `C:/x`), which stays a local path.

use object_store::path::Path as Key;

use super::S3Error;

/// The schemes latent reads and writes, for messages.
pub const SUPPORTED: &str =
    "a local folder, or s3://BUCKET/PREFIX (s3a:// and s3n:// mean the same)";

/// The names of S3 in URLs: latent's own and Spark's.
const S3_SCHEMES: [&str; 3] = ["s3", "s3a", "s3n"];

/// `s3://bucket/prefix`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
}

/// The scheme of `text` when it starts like a URL (`scheme:`), per RFC 3986: a letter,
/// then letters, digits, `+`, `-` or `.`; at least two characters, so `C:` is a drive.
fn scheme_of(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let is_scheme = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() >= 2;
    is_scheme.then_some((scheme, rest))
}

impl S3Url {
    /// `None` when `text` is a local path; an error for a URL latent cannot use (another
    /// scheme, or an S3 URL with the wrong number of slashes or no bucket).
    pub fn parse(text: &str) -> Option<Result<Self, S3Error>> {
        let (scheme, rest) = scheme_of(text)?;
        let is_s3 = S3_SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s));
        // `name:/x` and `name://x` are URLs; `name:x` is an ordinary file name, unless
        // the name is S3's, where it can only be a mistyped URL.
        if !is_s3 && !rest.starts_with('/') {
            return None;
        }
        let bad = |message: String| {
            Some(Err(S3Error::BadUrl {
                url: text.to_owned(),
                message,
            }))
        };
        if !is_s3 {
            return Some(Err(S3Error::UnsupportedScheme {
                url: text.to_owned(),
                scheme: scheme.to_owned(),
            }));
        }
        let Some(rest) = rest.strip_prefix("//") else {
            let path = rest.trim_start_matches('/');
            return bad(format!("an S3 URL has two slashes: write s3://{path}"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return bad("no bucket name: write s3://BUCKET/PREFIX".into());
        }
        Some(Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        }))
    }

    pub(super) fn key(&self, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.prefix))
        }
    }

    pub(super) fn display(&self, rel: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(rel))
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = S3Url::parse("s3://bucket/a/b/").unwrap().unwrap();
        assert_eq!((u.bucket.as_str(), u.prefix.as_str()), ("bucket", "a/b"));
        assert_eq!(u.key("manifest.json").as_ref(), "a/b/manifest.json");
        let root = S3Url::parse("s3://bucket").unwrap().unwrap();
        assert_eq!(root.key("x").as_ref(), "x");
        assert!(S3Url::parse("s3:///x").unwrap().is_err());
        assert!(S3Url::parse("/tmp/x").is_none());
    }

    #[test]
    fn spark_names_and_upper_case_mean_s3() {
        for text in ["s3a://b/x", "s3n://b/x", "S3://b/x", "S3A://b/x/"] {
            let u = S3Url::parse(text).unwrap().unwrap();
            assert_eq!(u.to_string(), "s3://b/x", "{text}");
        }
    }

    #[test]
    fn other_schemes_are_refused_naming_the_supported_ones() {
        for text in [
            "gs://b/x",
            "https://example.com/x",
            "postgresql://u@h/db",
            "file:///tmp/x",
            "hdfs:/x",
        ] {
            let err = S3Url::parse(text).unwrap().unwrap_err();
            assert!(matches!(err, S3Error::UnsupportedScheme { .. }), "{text}");
            assert!(err.is_input_error());
            let msg = err.to_string();
            assert!(msg.contains(text) && msg.contains("s3://"), "{msg}");
        }
    }

    #[test]
    fn a_mistyped_s3_url_gets_a_hint() {
        for text in ["s3:/b/x", "S3:b/x", "s3:///b"] {
            let err = S3Url::parse(text).unwrap().unwrap_err();
            assert!(matches!(err, S3Error::BadUrl { .. }), "{text}");
        }
        let msg = S3Url::parse("s3:/b/x").unwrap().unwrap_err().to_string();
        assert!(msg.contains("write s3://b/x"), "{msg}");
    }

    #[test]
    fn local_paths_stay_local() {
        for text in [
            "out",
            "./out",
            "../a/b",
            "/tmp/x",
            "C:\\x",
            "C:/x",
            "d:x",
            "name:with-colon",
            "1a://x",
        ] {
            assert!(S3Url::parse(text).is_none(), "{text}");
        }
    }
}
