//! `latent search products|customers QUERY`: find products and customers of a workspace.
//!
//! The index lives in the workspace folder (`index/`) and is built on the first search,
//! then reused until the data file or its loading configuration changes, so a search
//! normally answers without reading the data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::config::WorkspaceConfig;
use crate::data::{LoadError, load_transactions};
use crate::format::thousands;
use crate::search::{
    CustomerHit, ProductHit, SearchError, SearchIndex, docs_from_transactions, fingerprint,
};
use crate::workspace::Workspace;

/// `latent search` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SearchCommand {
    /// Products by stock code (whole or its beginning) or description words; typos are
    /// forgiven in words of 4 letters or more.
    Products(SearchArgs),
    /// Customers by id (whole or its first digits) or country.
    Customers(SearchArgs),
}

/// Arguments of `latent search products` and `latent search customers`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for: words, a stock code, a customer id or its first digits. Several
    /// words may be given quoted or not; documents matching more of them rank first.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// The workspace folder or its workspace.toml (default: workspaces/demo).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Most hits to show.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,
    /// Print the hits as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `latent search` subcommand.
pub fn run(cmd: SearchCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    let (is_products, args) = match cmd {
        SearchCommand::Products(args) => (true, args),
        SearchCommand::Customers(args) => (false, args),
    };
    let query = args.query.join(" ");
    // Checked before the index opens: an empty query should not cost a build.
    if query.trim().is_empty() {
        return Err(SearchError::EmptyQuery.into());
    }
    let workspace = args
        .workspace
        .clone()
        .map_or_else(crate::workspace::demo, Ok)?;
    let opened = open_workspace_index(&workspace)?;
    if opened.rebuilt {
        let _ = writeln!(
            std::io::stderr(),
            "search index built in {:.1} s ({} products, {} customers): '{}'",
            opened.seconds,
            thousands(opened.index.product_count() as usize),
            thousands(opened.index.customer_count() as usize),
            opened.dir.display()
        );
    }
    if is_products {
        let hits = opened.index.products(&query, args.limit)?;
        if args.json {
            write_json(out, &hits)
        } else {
            write_products(out, &query, &hits)
        }
    } else {
        let hits = opened.index.customers(&query, args.limit)?;
        if args.json {
            write_json(out, &hits)
        } else {
            write_customers(out, &query, &hits)
        }
    }
}

/// A workspace's search index, opened or freshly built.
pub(super) struct OpenedIndex {
    pub index: SearchIndex,
    /// True when it had to be (re)built.
    pub rebuilt: bool,
    /// Where it lives: `<workspace>/index`.
    pub dir: PathBuf,
    /// Time to open or build it.
    pub seconds: f64,
}

/// Opens the search index of the workspace at `workspace`, building it from the
/// workspace's data when it is missing or stale.
pub(super) fn open_workspace_index(workspace: &Path) -> anyhow::Result<OpenedIndex> {
    let start = Instant::now();
    let ws = Workspace::open(workspace)
        .with_context(|| format!("opening workspace '{}'", workspace.display()))?;
    let data = ws.config.data_path(None)?;
    let print = fingerprint(&data, &load_spec_toml(&ws.config)?).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound { path: data.clone() }
        } else {
            LoadError::Io {
                path: data.clone(),
                message: e.to_string(),
            }
        }
    })?;
    let dir = ws.root.join("index");
    let spec = ws.config.load_spec();
    let (index, rebuilt) = SearchIndex::open_or_build(&dir, &print, || {
        let (transactions, _) = load_transactions(&data, &spec)?;
        Ok::<_, LoadError>(docs_from_transactions(&transactions))
    })
    .with_context(|| format!("search index '{}'", dir.display()))?;
    Ok(OpenedIndex {
        index,
        rebuilt,
        dir,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The tables that decide which products and customers exist, as TOML, for the index's
/// fingerprint. `[als]` and `[recommend]` are left out: changing them keeps the index.
fn load_spec_toml(config: &WorkspaceConfig) -> anyhow::Result<String> {
    let mut table = toml::Table::new();
    table.insert("data".into(), toml::Value::try_from(&config.data)?);
    table.insert("cleaning".into(), toml::Value::try_from(&config.cleaning)?);
    table.insert(
        "interactions".into(),
        toml::Value::try_from(&config.interactions)?,
    );
    Ok(toml::to_string(&table)?)
}

fn write_json<T: serde::Serialize>(out: &mut dyn Write, hits: &[T]) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, hits)?;
    writeln!(out)?;
    Ok(())
}

fn write_products(out: &mut dyn Write, query: &str, hits: &[ProductHit]) -> anyhow::Result<()> {
    if hits.is_empty() {
        writeln!(out, "no products match '{query}'")?;
        return Ok(());
    }
    let id_width = column_width("stock code", hits.iter().map(|h| h.id.as_str()));
    let text_width = column_width("description", hits.iter().map(|h| h.description.as_str()));
    writeln!(
        out,
        "{:>4}  {:<id_width$}  {:<text_width$}  {:>6}",
        "rank", "stock code", "description", "buyers"
    )?;
    for (rank, h) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>4}  {:<id_width$}  {:<text_width$}  {:>6}",
            rank + 1,
            h.id,
            h.description,
            thousands(h.buyers as usize)
        )?;
    }
    Ok(())
}

fn write_customers(out: &mut dyn Write, query: &str, hits: &[CustomerHit]) -> anyhow::Result<()> {
    if hits.is_empty() {
        writeln!(out, "no customers match '{query}'")?;
        return Ok(());
    }
    let id_width = column_width("customer", hits.iter().map(|h| h.id.as_str()));
    let text_width = column_width("country", hits.iter().map(|h| h.country.as_str()));
    writeln!(
        out,
        "{:>4}  {:<id_width$}  {:<text_width$}  {:>6}  last purchase",
        "rank", "customer", "country", "lines"
    )?;
    for (rank, h) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>4}  {:<id_width$}  {:<text_width$}  {:>6}  {}",
            rank + 1,
            h.id,
            h.country,
            thousands(h.lines as usize),
            crate::data::timestamps::format_day(h.last_purchase)
        )?;
    }
    Ok(())
}

/// The widest of a header and its values, in characters.
fn column_width<'a>(header: &str, values: impl Iterator<Item = &'a str>) -> usize {
    values
        .map(|v| v.chars().count())
        .chain([header.chars().count()])
        .max()
        .unwrap_or(0)
}
