//! The password file, as libpq reads it: `PGPASSFILE`, else `~/.pgpass`; lines of
//! `hostname:port:database:username:password`, `*` matching anything, `\:` and `\\`
//! escaping, `#` comments; the first matching line wins. As libpq does, a file that
//! group or others can read is ignored (with a warning), so a password never comes from
//! a file others could have read.

use std::path::PathBuf;

/// The password for this connection and the file it came from, if a line matches.
pub fn lookup(
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = std::fs::read_to_string(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "password file '{}' is readable by others (mode {:o}); ignored, as libpq does: chmod 600 it",
                path.display(),
                mode & 0o777
            );
            return None;
        }
    }
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split(line);
            let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
            let matches = [h, p, d, u]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then(|| (password, path.display().to_string()))
        })
}

/// Splits a line on unescaped `:`, unescaping `\:` and `\\`.
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:*:ana:nope\n127.0.0.1:*:shop:ana:pa\\:ss\n*:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let path = file.display().to_string();
        let env = move |k: &str| (k == "PGPASSFILE").then(|| path.clone());
        let found = lookup("127.0.0.1", 5433, "shop", "ana", &env).map(|(p, _)| p);
        assert_eq!(found.as_deref(), Some("pa:ss"));
        let found = lookup("db", 1, "x", "bo", &env).map(|(p, _)| p);
        assert_eq!(found.as_deref(), Some("fallback"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(lookup("db", 1, "x", "bo", &env).is_none());
        }
    }
}
