//! Secrets out of messages: a URL such as `http://user:password@host` (an
//! `--endpoint-url` of a MinIO behind basic auth, say) is shown and logged as
//! `http://user:***@host`.
//!
//! One function does it for every place an endpoint or URL reaches a person: S3 errors,
//! tracing lines, progress output. Errors from the HTTP client quote the URL they
//! requested, so their text goes through it too.

/// The characters that end a URL's authority (`user:password@host:port`) in free text.
fn ends_authority(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | '"' | '\'' | '(' | ')' | '<' | '>' | ',' | ';'
    ) || c.is_whitespace()
}

/// Returns `text` with the credentials of every `scheme://userinfo@host` in it masked:
/// `user:password` becomes `user:***`, a lone token (`https://TOKEN@host`) becomes `***`.
/// Text without credentials comes back unchanged.
pub fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(ends_authority).unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rfind('@') {
            Some(sign) => {
                let userinfo = &authority[..sign];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[sign..]);
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The password (or lone token) in `url`'s userinfo, if any: a string to scrub from
/// messages that quote the URL in another form.
pub fn url_secret(url: &str) -> Option<&str> {
    let (_, tail) = url.split_once("://")?;
    let end = tail.find(ends_authority).unwrap_or(tail.len());
    let authority = &tail[..end];
    let userinfo = &authority[..authority.rfind('@')?];
    let secret = userinfo.split_once(':').map_or(userinfo, |(_, p)| p);
    (!secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_are_masked_everywhere_in_the_text() {
        assert_eq!(
            mask_url_credentials("http://user:secret@127.0.0.1:9/b/x"),
            "http://user:***@127.0.0.1:9/b/x"
        );
        assert_eq!(
            mask_url_credentials(
                "error sending request for url (https://tok@h/x), retry http://a:b@c"
            ),
            "error sending request for url (https://***@h/x), retry http://a:***@c"
        );
        // A password may hold '@' when not escaped: everything up to the last one goes.
        assert_eq!(
            mask_url_credentials("http://u:p@ss@host/"),
            "http://u:***@host/"
        );
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        for text in [
            "http://127.0.0.1:9000",
            "s3://bucket/prefix/manifest.json",
            "no url here: a@b",
            "",
            "trailing ://",
        ] {
            assert_eq!(mask_url_credentials(text), text);
        }
    }

    #[test]
    fn the_secret_of_a_url() {
        assert_eq!(url_secret("http://user:secret@h:1/x"), Some("secret"));
        assert_eq!(url_secret("https://token@h"), Some("token"));
        assert_eq!(url_secret("http://h:1/x@y"), None);
        assert_eq!(url_secret("http://h"), None);
    }
}
