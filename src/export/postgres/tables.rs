//! The tables of a PostgreSQL export: what each holds, loaded by binary COPY into staging
//! tables, then swapped into place in one transaction.

use std::fmt::Write as _;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use super::{PgError, PgFormat, PgUrl, classify};
use crate::export::ExportOptions;
use crate::export::recs::{self, CustomerRecs};
use crate::store::Run;

/// One table to write.
pub(super) struct Table<'a> {
    /// The table's name in the schema (unqualified).
    name: String,
    /// Column definitions, in COPY order.
    columns: &'static [(&'static str, &'static str)],
    /// The columns readers look rows up by.
    index: &'static str,
    rows: Rows<'a>,
}

enum Rows<'a> {
    Recs {
        run: &'a Run,
        lists: Vec<CustomerRecs>,
        run_id: String,
        created: SystemTime,
    },
    Factors {
        ids: &'a [String],
        matrix: &'a ndarray::Array2<f32>,
    },
}

/// What one table received.
pub(super) struct Written {
    pub name: String,
    pub rows: u64,
    /// Bytes of the rows as tab-separated text, the unit [`Written::sha256`] is taken over.
    pub bytes: u64,
    pub sha256: String,
}

const RECS: &[(&str, &str)] = &[
    ("user_id", "text NOT NULL"),
    ("item_id", "text NOT NULL"),
    ("rank", "integer NOT NULL"),
    ("score", "real"),
    ("reason", "text NOT NULL"),
    ("run_id", "text NOT NULL"),
    ("created_at", "timestamptz NOT NULL"),
];
const USER_FACTORS: &[(&str, &str)] = &[
    ("user_index", "integer NOT NULL"),
    ("user_id", "text NOT NULL"),
    ("factors", "real[] NOT NULL"),
];
const ITEM_FACTORS: &[(&str, &str)] = &[
    ("item_index", "integer NOT NULL"),
    ("item_id", "text NOT NULL"),
    ("factors", "real[] NOT NULL"),
];

/// The tables `formats` ask for, their rows computed up front (the batch lists go through
/// the same rules engine as every other export).
pub(super) fn plan<'a>(
    run: &'a Run,
    run_id: &str,
    created: chrono::DateTime<chrono::Utc>,
    url: &PgUrl,
    formats: &[PgFormat],
    opts: &ExportOptions,
) -> Vec<Table<'a>> {
    let mut tables = Vec::new();
    if formats.contains(&PgFormat::Recs) {
        tables.push(Table {
            name: url.table.clone(),
            columns: RECS,
            index: "user_id, rank",
            rows: Rows::Recs {
                run,
                lists: recs::batch(run, &opts.rules, opts.top_k),
                run_id: run_id.to_owned(),
                created: SystemTime::from(created),
            },
        });
    }
    if let (true, Some((users, items))) = (
        formats.contains(&PgFormat::Factors),
        run.model.model().factors(),
    ) {
        tables.push(Table {
            name: format!("{}_user_factors", url.table),
            columns: USER_FACTORS,
            index: "user_id",
            rows: Rows::Factors {
                ids: run.users.names(),
                matrix: users,
            },
        });
        tables.push(Table {
            name: format!("{}_item_factors", url.table),
            columns: ITEM_FACTORS,
            index: "item_id",
            rows: Rows::Factors {
                ids: run.items.names(),
                matrix: items,
            },
        });
    }
    tables
}

/// `"schema"."name"`.
fn qualified(schema: &str, name: &str) -> String {
    format!("\"{schema}\".\"{name}\"")
}

/// Connects, loads every table into staging, swaps them in one transaction.
pub(super) async fn write(
    url: &PgUrl,
    tables: &[Table<'_>],
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Written>, PgError> {
    let (client, connection) = url
        .config
        .connect(NoTls)
        .await
        .map_err(|e| classify(url, &e))?;
    let driver = tokio::spawn(connection);
    let main = tables
        .first()
        .map_or(url.table.as_str(), |t| t.name.as_str());
    let lock_key = format!("latent-export:{}.{}", url.schema, url.table);
    let failed = |table: &str, replaced: bool| {
        let at = url.at();
        let table = qualified(&url.schema, table);
        move |e: tokio_postgres::Error| PgError::Write {
            reason: reason(&e),
            at,
            table,
            replaced,
        }
    };
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&lock_key])
        .await
        .map_err(failed(main, false))?
        .get(0);
    if !locked {
        return Err(PgError::Busy {
            at: url.at(),
            table: qualified(&url.schema, main),
        });
    }
    clear_leftovers(&client, url, tables)
        .await
        .map_err(failed(main, false))?;
    let nonce = nonce();
    let result = load_and_swap(&client, url, tables, &nonce, progress).await;
    if result.is_err() {
        for t in tables {
            let staging = qualified(&url.schema, &format!("{}__new_{nonce}", t.name));
            let _ = client
                .batch_execute(&format!("DROP TABLE IF EXISTS {staging}"))
                .await;
        }
    }
    let _ = client
        .query_one("SELECT pg_advisory_unlock(hashtext($1))", &[&lock_key])
        .await;
    drop(client);
    let _ = driver.await;
    result
}

async fn load_and_swap(
    client: &Client,
    url: &PgUrl,
    tables: &[Table<'_>],
    nonce: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Written>, PgError> {
    let mut written = Vec::new();
    for t in tables {
        let staging = format!("{}__new_{nonce}", t.name);
        let fail = |e: tokio_postgres::Error| PgError::Write {
            reason: reason(&e),
            at: url.at(),
            table: qualified(&url.schema, &t.name),
            replaced: false,
        };
        let columns: Vec<String> = t
            .columns
            .iter()
            .map(|(n, ty)| format!("{n} {ty}"))
            .collect();
        client
            .batch_execute(&format!(
                "CREATE TABLE {} ({})",
                qualified(&url.schema, &staging),
                columns.join(", ")
            ))
            .await
            .map_err(fail)?;
        let w = copy_rows(client, &qualified(&url.schema, &staging), t)
            .await
            .map_err(fail)?;
        client
            .batch_execute(&format!(
                "CREATE INDEX \"{staging}_i\" ON {} ({}); ANALYZE {}",
                qualified(&url.schema, &staging),
                t.index,
                qualified(&url.schema, &staging)
            ))
            .await
            .map_err(fail)?;
        progress(&format!("loaded {} rows into {staging}", w.rows));
        written.push(w);
    }
    // One transaction: a reader sees every old table or every new one.
    let mut swap = String::from("BEGIN;");
    for t in tables {
        let old = format!("{}__old_{nonce}", t.name);
        let staging = format!("{}__new_{nonce}", t.name);
        let _ = write!(
            swap,
            "ALTER TABLE IF EXISTS {live} RENAME TO \"{old}\";\
             ALTER TABLE {staged} RENAME TO \"{name}\";\
             DROP TABLE IF EXISTS {old_q};\
             ALTER INDEX {index} RENAME TO \"{name}_by_id\";",
            live = qualified(&url.schema, &t.name),
            staged = qualified(&url.schema, &staging),
            name = t.name,
            old_q = qualified(&url.schema, &old),
            index = qualified(&url.schema, &format!("{staging}_i")),
        );
    }
    swap.push_str("COMMIT;");
    if let Err(e) = client.batch_execute(&swap).await {
        let _ = client.batch_execute("ROLLBACK").await;
        let main = tables
            .first()
            .map_or(url.table.as_str(), |t| t.name.as_str());
        return Err(PgError::Write {
            reason: reason(&e),
            at: url.at(),
            table: qualified(&url.schema, main),
            replaced: false,
        });
    }
    Ok(written)
}

/// Drops the staging and set-aside tables a killed export left (safe: the advisory lock
/// says no other export to these tables is running).
async fn clear_leftovers(
    client: &Client,
    url: &PgUrl,
    tables: &[Table<'_>],
) -> Result<(), tokio_postgres::Error> {
    for t in tables {
        for kind in ["new", "old"] {
            let pattern = format!("{}\\_\\_{kind}\\_%", t.name.replace('_', "\\_"));
            let rows = client
                .query(
                    "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2",
                    &[&url.schema, &pattern],
                )
                .await?;
            for row in rows {
                let name: String = row.get(0);
                tracing::info!("dropping {name}, left by an interrupted export");
                client
                    .batch_execute(&format!(
                        "DROP TABLE IF EXISTS {}",
                        qualified(&url.schema, &name)
                    ))
                    .await?;
            }
        }
    }
    Ok(())
}

/// Streams a table's rows with binary COPY, hashing them as tab-separated text.
async fn copy_rows(
    client: &Client,
    target: &str,
    t: &Table<'_>,
) -> Result<Written, tokio_postgres::Error> {
    let names: Vec<&str> = t.columns.iter().map(|(n, _)| *n).collect();
    let sink = client
        .copy_in(&format!(
            "COPY {target} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut line = String::new();
    let mut hashed = |line: &str| {
        hash.update(line.as_bytes());
        bytes += line.len() as u64;
    };
    let rows = match &t.rows {
        Rows::Recs {
            run,
            lists,
            run_id,
            created,
        } => {
            let types = [
                Type::TEXT,
                Type::TEXT,
                Type::INT4,
                Type::FLOAT4,
                Type::TEXT,
                Type::TEXT,
                Type::TIMESTAMPTZ,
            ];
            let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
            for l in lists {
                for (r, s) in l.items.iter().enumerate() {
                    let item = run.items.name(s.item);
                    let rank = i32::try_from(r + 1).unwrap_or(i32::MAX);
                    let reason = s.reason.name();
                    let row: [&(dyn ToSql + Sync); 7] =
                        [&l.user_id, &item, &rank, &s.score, &reason, run_id, created];
                    writer.as_mut().write(&row).await?;
                    line.clear();
                    let _ = writeln!(line, "{}\t{item}\t{rank}\t{}\t{reason}", l.user_id, s.score);
                    hashed(&line);
                }
            }
            writer.as_mut().finish().await?
        }
        Rows::Factors { ids, matrix } => {
            let types = [Type::INT4, Type::TEXT, Type::FLOAT4_ARRAY];
            let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
            for (index, (id, row)) in ids.iter().zip(matrix.rows()).enumerate() {
                let index = i32::try_from(index).unwrap_or(i32::MAX);
                let factors: Vec<f32> = row.to_vec();
                let values: [&(dyn ToSql + Sync); 3] = [&index, id, &factors];
                writer.as_mut().write(&values).await?;
                line.clear();
                let _ = writeln!(line, "{index}\t{id}\t{factors:?}");
                hashed(&line);
            }
            writer.as_mut().finish().await?
        }
    };
    Ok(Written {
        name: t.name.clone(),
        rows,
        bytes,
        sha256: crate::export::manifest::hex(&hash.finalize()),
    })
}

/// Six hex digits, different for every export in practice (time and process).
fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
    format!("{:06x}", (nanos ^ (std::process::id() << 8)) & 0xFF_FFFF)
}

/// The server's own message for a database error, else the client's.
fn reason(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
}
