//! `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB?table=recs[&schema=public]`: where a
//! PostgreSQL export goes, with libpq's defaults for what the URL leaves out (`PGUSER`,
//! `PGHOST`, `PGPORT`, `PGDATABASE`) and its order for the password (the URL, then
//! `PGPASSWORD`, then the password file, `pgpass.rs`).
//!
//! The URL is shown only as [`PgUrl::shown`], which never holds the password.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;

use super::PgError;

/// A parsed destination.
#[derive(Debug, Clone)]
pub struct PgUrl {
    /// What the client connects with, password included when one was found.
    pub config: tokio_postgres::Config,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub schema: String,
    pub table: String,
    /// Where the password came from (`URL`, `PGPASSWORD`, a pgpass file), if any.
    pub password_from: Option<String>,
}

impl PgUrl {
    /// `Some` for a `postgresql://` or `postgres://` destination; `None` for anything else.
    pub fn parse(destination: &str) -> Option<Result<Self, PgError>> {
        let lower = destination.get(..13).unwrap_or("").to_ascii_lowercase();
        if !(lower.starts_with("postgresql://") || lower.starts_with("postgres://")) {
            return None;
        }
        // As libpq: an empty variable counts as unset.
        Some(Self::parse_with(destination, &|k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        }))
    }

    /// Parses with `env` for libpq's variables (tests pass their own).
    pub fn parse_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, PgError> {
        let bad = |reason: String| PgError::BadUrl {
            url: super::super::redact::mask_url_credentials(url),
            reason,
        };
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut table = None;
        let mut schema = None;
        let mut passed = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "table" => table = Some(value.to_owned()),
                "schema" => schema = Some(value.to_owned()),
                _ => passed.push(pair),
            }
        }
        let rest = if passed.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", passed.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| bad(e.to_string()))?;
        let table = table.unwrap_or_else(|| "recs".to_owned());
        let schema = schema.unwrap_or_else(|| "public".to_owned());
        check_identifier("table", &table, 36).map_err(bad)?;
        check_identifier("schema", &schema, 63).map_err(bad)?;

        let user = match config.get_user() {
            Some(u) => u.to_owned(),
            None => env("PGUSER")
                .or_else(|| env("USER"))
                .ok_or_else(|| bad("no user: write it as postgresql://USER@HOST/DB".into()))?,
        };
        config.user(&user);
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => {
                let h = env("PGHOST").unwrap_or_else(|| "localhost".to_owned());
                config.host(&h);
                h
            }
        };
        let port = match config.get_ports().first() {
            Some(p) => *p,
            None => {
                let p = match env("PGPORT") {
                    Some(text) => text
                        .parse()
                        .map_err(|_| bad(format!("PGPORT '{text}' is not a port number")))?,
                    None => 5432,
                };
                config.port(p);
                p
            }
        };
        let dbname = match config.get_dbname() {
            Some(d) => d.to_owned(),
            None => env("PGDATABASE").unwrap_or_else(|| user.clone()),
        };
        config.dbname(&dbname);
        let password_from = if config.get_password().is_some() {
            Some("the URL".to_owned())
        } else if let Some(p) = env("PGPASSWORD") {
            config.password(p);
            Some("PGPASSWORD".to_owned())
        } else {
            super::pgpass::lookup(&host, port, &dbname, &user, env).map(|(password, file)| {
                config.password(password);
                file
            })
        };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        Ok(Self {
            config,
            user,
            host,
            port,
            dbname,
            schema,
            table,
            password_from,
        })
    }

    /// `postgresql://USER@HOST:PORT/DB?table=T`: the destination for messages and logs.
    pub fn shown(&self) -> String {
        let schema = if self.schema == "public" {
            String::new()
        } else {
            format!("&schema={}", self.schema)
        };
        format!(
            "postgresql://{}@{}:{}/{}?table={}{schema}",
            self.user, self.host, self.port, self.dbname, self.table
        )
    }

    /// `HOST:PORT`, for messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Table and schema names are written into SQL: plain identifiers only, short enough to
/// take latent's suffixes within PostgreSQL's 63 bytes.
fn check_identifier(what: &str, name: &str, max: usize) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > max {
        return Err(format!(
            "{what} '{name}' must be letters, digits and _ (not starting with a digit), at most {max} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_url_names_everything_and_shows_no_password() {
        let u = PgUrl::parse_with(
            "postgresql://ana:s3cret@db.example:6543/shop?table=recs_daily&sslmode=disable",
            &env(&[]),
        )
        .unwrap();
        assert_eq!(
            (u.user.as_str(), u.host.as_str(), u.port, u.dbname.as_str()),
            ("ana", "db.example", 6543, "shop")
        );
        assert_eq!(u.table, "recs_daily");
        assert_eq!(u.password_from.as_deref(), Some("the URL"));
        assert_eq!(
            u.shown(),
            "postgresql://ana@db.example:6543/shop?table=recs_daily"
        );
        assert!(!format!("{u:?}").is_empty());
    }

    #[test]
    fn what_the_url_leaves_out_comes_from_libpq_variables() {
        let u = PgUrl::parse_with(
            "postgres://",
            &env(&[
                ("PGUSER", "bo"),
                ("PGHOST", "10.0.0.5"),
                ("PGPORT", "5433"),
                ("PGPASSWORD", "pw"),
            ]),
        )
        .unwrap();
        assert_eq!(u.shown(), "postgresql://bo@10.0.0.5:5433/bo?table=recs");
        assert_eq!(u.password_from.as_deref(), Some("PGPASSWORD"));
        assert_eq!(u.config.get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn bad_names_are_refused_without_the_password() {
        let e = PgUrl::parse_with("postgresql://ana:s3cret@h/db?table=recs;drop", &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("table 'recs;drop'"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        assert!(PgUrl::parse("s3://bucket/x").is_none());
        assert!(PgUrl::parse("./out").is_none());
    }
}
