//! The `recs-partitioned` format: the `recs` rows as a lake table, Parquet partitioned
//! Hive-style by run and by the customer's segment (the country on Online Retail), which
//! Spark, Hive, DuckDB and pyarrow's dataset API read as one table with the partition
//! values as columns.
//!
//! ```text
//! recs-partitioned/_common_metadata                         the schema, no rows
//! recs-partitioned/run_id=RUN/country=France/part-00000.parquet
//! recs-partitioned/run_id=RUN/country=__HIVE_DEFAULT_PARTITION__/part-00000.parquet
//! ```
//!
//! Each file holds `user_id, item_id, rank, score, reason` (see [`super::recs`]); its
//! footer carries the Arrow schema. Partition values are escaped as Spark escapes them
//! (`%XX` for `/`, `=`, `%`, ...), and a customer without a segment goes to Hive's default
//! partition. A run without a segment column is partitioned by run only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::recs::{self, CustomerRecs};
use super::{ExportError, create_dir, write_parquet};
use crate::recommend::Overrides;
use crate::store::Run;

/// Hive's name for a partition whose value is missing.
pub const DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Writes every customer's list for `run` under `dir`, one file per partition.
pub fn write(
    run: &Run,
    run_id: &str,
    rules: &Overrides,
    k: usize,
    dir: &Path,
) -> Result<(), ExportError> {
    create_dir(dir)?;
    let lists = recs::batch(run, rules, k);
    let run_dir = dir.join(format!("run_id={}", escape(run_id)));
    let column = partition_column(run);
    let mut groups: BTreeMap<String, Vec<CustomerRecs>> = BTreeMap::new();
    for (index, list) in lists.into_iter().enumerate() {
        // Lists come in the run's customer order, then the forced new customers.
        let segment = u32::try_from(index)
            .ok()
            .filter(|&u| (u as usize) < run.users.len())
            .and_then(|u| run.catalog.user_segment_name(u))
            .filter(|s| !s.is_empty());
        let value = segment.map_or_else(|| DEFAULT_PARTITION.to_owned(), escape);
        groups.entry(value).or_default().push(list);
    }
    if groups.is_empty() {
        groups.insert(DEFAULT_PARTITION.to_owned(), Vec::new());
    }
    for (value, lists) in &groups {
        let folder = match &column {
            Some(name) => run_dir.join(format!("{name}={value}")),
            None => run_dir.clone(),
        };
        create_dir(&folder)?;
        let path = folder.join("part-00000.parquet");
        let mut frame = recs::frame(run, lists).map_err(|e| ExportError::write(&path, e))?;
        write_parquet(&path, &mut frame)?;
        if column.is_none() {
            break;
        }
    }
    let path = dir.join("_common_metadata");
    let mut empty = recs::frame(run, &[]).map_err(|e| ExportError::write(&path, e))?;
    write_parquet(&path, &mut empty)
}

/// The partition key: the run's segment column in lower case (`country`), if it has one.
fn partition_column(run: &Run) -> Option<String> {
    let name = run.catalog.segment_column.trim();
    (!name.is_empty() && !run.catalog.user_segment.is_empty())
        .then(|| escape(&name.to_lowercase().replace(' ', "_")))
}

/// Escapes a partition value as Spark's `escapePathName` does, so Spark and pyarrow read
/// back the value that was written.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let needs = c.is_ascii_control()
            || matches!(
                c,
                '"' | '#' | '%' | '\'' | '*' | '/' | ':' | '=' | '?' | '\\' | '{' | '[' | ']' | '^'
            );
        if needs {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_escaped_as_spark_does() {
        assert_eq!(escape("United Kingdom"), "United Kingdom");
        assert_eq!(escape("a/b=c%"), "a%2Fb%3Dc%25");
        assert_eq!(escape("EIRE"), "EIRE");
        assert_eq!(escape("x\ty"), "x%09y");
    }
}
