//! `latent predict`: a score for every (customer, product) row of a file, in order.
//!
//! The pairs file is CSV (or tab / semicolon separated) with a header; the customer and
//! product columns are found as `latent train` finds them (`user_id`, `CustomerID`, …,
//! `item_id`, `StockCode`, …) and every other column is ignored. The output is CSV
//! `user_id,item_id,score,cold`, one line per input row in the same order.
//!
//! What a score is depends on the run: a rating for explicit ALS and the FM regressor
//! (clipped to the training range), a probability for the FM binary classifier, and a
//! ranking score otherwise. Ids the model never saw get a documented fallback and
//! `cold = true`:
//!
//! | model | unknown customer or product |
//! | --- | --- |
//! | fm | the unknown side's features contribute nothing: `w0` plus the known side's terms |
//! | als-explicit | the product's mean training rating, else the customer's, else the global mean |
//! | als, item-knn, popularity | 0 (popularity: the product's buyers when only the customer is unknown) |

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::data::values::normalise_id;
use crate::data::{CsrMatrix, LoadError};
use crate::store::Run;

/// Arguments of `latent predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// The run directory.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// CSV with a header holding a customer and a product column (others are ignored).
    #[arg(long, value_name = "FILE")]
    pub pairs: PathBuf,
    /// Where to write `user_id,item_id,score,cold`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

const USER_HEADERS: [&str; 6] = [
    "userid",
    "customerid",
    "customer",
    "user",
    "clientid",
    "client",
];
const ITEM_HEADERS: [&str; 7] = [
    "itemid",
    "stockcode",
    "item",
    "productid",
    "product",
    "sku",
    "movieid",
];

fn normalise(header: &str) -> String {
    let header = header.split_once(':').map_or(header, |(name, _)| name);
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '"'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Runs `latent predict`.
pub fn run(args: &PredictArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run =
        Run::load(&args.run).with_context(|| format!("loading run '{}'", args.run.display()))?;
    let file = std::fs::File::open(&args.pairs).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound {
                path: args.pairs.clone(),
            }
        } else {
            LoadError::Io {
                path: args.pairs.clone(),
                message: e.to_string(),
            }
        }
    })?;
    // Lines are read as bytes so a file in another encoding is named with its line and
    // byte, as the loader does, instead of failing as an I/O error.
    let mut lines = BufReader::new(file)
        .split(b'\n')
        .enumerate()
        .map(|(n, line)| text_line(&args.pairs, n + 1, line));
    let header = match lines.next() {
        Some(line) => line?,
        None => {
            return Err(LoadError::Empty {
                path: args.pairs.clone(),
            }
            .into());
        }
    };
    let delimiter = [',', '\t', ';', '|']
        .into_iter()
        .max_by_key(|&d| (header.matches(d).count(), d == ','))
        .unwrap_or(',');
    let columns: Vec<String> = header
        .split(delimiter)
        .map(|h| h.trim().to_owned())
        .collect();
    let find = |known: &[&str], key: &str| {
        let normalised: Vec<String> = columns.iter().map(|c| normalise(c)).collect();
        known
            .iter()
            .find_map(|k| normalised.iter().position(|h| h == k))
            .ok_or_else(|| LoadError::MissingColumn {
                path: args.pairs.clone(),
                key: key.to_owned(),
                column: None,
                found: columns.clone(),
            })
    };
    let user_col = find(&USER_HEADERS, "user")?;
    let item_col = find(&ITEM_HEADERS, "item")?;
    let scorer = Scorer::new(&run);
    let tmp = args.out.with_extension("part");
    let mut w = BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("creating '{}'", tmp.display()))?,
    );
    writeln!(w, "user_id,item_id,score,cold")?;
    let (mut rows, mut cold) = (0usize, 0usize);
    for (n, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(delimiter).collect();
        let (Some(user), Some(item)) = (cells.get(user_col), cells.get(item_col)) else {
            return Err(LoadError::Ragged {
                path: args.pairs.clone(),
                line: n + 2,
                expected: columns.len(),
                found: cells.len(),
            }
            .into());
        };
        let user = normalise_id(user.trim_matches('"')).unwrap_or("");
        let item = normalise_id(item.trim_matches('"')).unwrap_or("");
        let u = run.users.get(user);
        let i = run.items.get(item);
        let score = scorer.score(u, i);
        let is_cold = u.is_none() || i.is_none();
        cold += usize::from(is_cold);
        rows += 1;
        writeln!(w, "{},{},{score},{is_cold}", csv_cell(user), csv_cell(item))?;
    }
    w.into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing '{}'", tmp.display()))?;
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("writing '{}'", args.out.display()))?;
    writeln!(
        out,
        "scored {rows} pairs with {} ({cold} cold) -> {}",
        run.meta.model.name(),
        args.out.display()
    )?;
    Ok(())
}

/// One line of the pairs file as text, without its line ending.
fn text_line(
    path: &Path,
    number: usize,
    line: std::io::Result<Vec<u8>>,
) -> Result<String, LoadError> {
    let mut bytes = line.map_err(|e| io_error(path, &e))?;
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        LoadError::NotUtf8 {
            path: path.to_owned(),
            line: number,
            byte: e.as_bytes().get(valid).copied().unwrap_or(0),
        }
    })
}

fn io_error(path: &Path, e: &std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Scores one pair of a run, with the fallbacks of the module docs.
struct Scorer<'a> {
    run: &'a Run,
    /// Per product: mean training value and count.
    item_means: Vec<f32>,
    /// Per customer: mean training value.
    user_means: Vec<f32>,
    global_mean: f32,
}

impl<'a> Scorer<'a> {
    fn new(run: &'a Run) -> Self {
        let t: &CsrMatrix = &run.train;
        let mut sums = vec![(0f64, 0u32); t.cols()];
        for (&c, &v) in t.indices().iter().zip(t.data()) {
            sums[c as usize].0 += f64::from(v);
            sums[c as usize].1 += 1;
        }
        let mean = |(s, n): (f64, u32)| {
            if n == 0 {
                f32::NAN
            } else {
                (s / f64::from(n)) as f32
            }
        };
        let user_means = (0..t.rows())
            .map(|u| {
                let (_, vals) = t.row(u);
                mean((vals.iter().map(|&v| f64::from(v)).sum(), vals.len() as u32))
            })
            .collect();
        let total = t.data().iter().map(|&v| f64::from(v)).sum::<f64>();
        Self {
            run,
            item_means: sums.into_iter().map(mean).collect(),
            user_means,
            global_mean: mean((total, t.nnz() as u32)),
        }
    }

    /// The model's value for the pair; a rating model's unknown pairs get the product's,
    /// the customer's or the overall mean rating, other models' a zero.
    fn score(&self, u: Option<u32>, i: Option<u32>) -> f32 {
        let model = self.run.model.model();
        let history = u.map_or((&[][..], &[][..]), |u| self.run.train.row(u as usize));
        match model.predict_pair(u, i, history) {
            Some(v) => v,
            None if model.predicts_ratings() => {
                let item = i.map(|i| self.item_means[i as usize]);
                let user = u.map(|u| self.user_means[u as usize]);
                item.or(user)
                    .filter(|v| v.is_finite())
                    .unwrap_or(self.global_mean)
            }
            None => 0.0,
        }
    }
}
