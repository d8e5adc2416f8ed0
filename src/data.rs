//! From a transaction file to an interaction matrix.
//!
//! The flow is one way: [`reader`] parses the mapped columns of a CSV or Parquet file,
//! [`clean`] turns lines into [`Transactions`] and counts every line it drops by reason,
//! [`split`] cuts a hold-out by time or at random, and [`interactions`] aggregates lines
//! into a sparse customers × products matrix. [`profile`] summarises all of it and
//! [`synth`] writes realistic synthetic logs for benchmarks.

pub mod append;
pub mod cells;
pub mod clean;
pub mod cleaner;
pub mod csr;
pub mod csv_sniff;
pub mod csv_stream;
pub mod features;
pub mod feed;
pub mod fingerprint;
pub mod ids;
pub mod interactions;
pub mod mapping;
pub mod plausible_dates;
pub mod profile;
pub mod progress;
pub mod reader;
pub mod split;
pub mod synth;
pub mod timestamps;
pub mod transactions;
pub mod values;
pub mod write;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub use clean::{
    CancellationPolicy, CleanOptions, CleaningReport, CleaningSpec, DropReason, RetentionWindow,
};
pub use csr::CsrMatrix;
pub use feed::LoadTimings;
pub use ids::IdMap;
pub use interactions::{InteractionSpec, Interactions, RankingType};
pub use mapping::DataSpec;
pub use progress::{LoadPhase, LoadProgress};
pub use transactions::Transactions;

/// Why a transaction file could not be turned into data.
///
/// Every variant names the file and, where there is one, the line or value at fault, so
/// the message alone tells the analyst what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("data file '{path}' not found: check the path, or set [data] path in the workspace")]
    NotFound { path: PathBuf },
    #[error("cannot read '{path}': {message}")]
    Io { path: PathBuf, message: String },
    #[error("'{path}' is empty: expected a header line and transaction rows")]
    Empty { path: PathBuf },
    #[error("'{path}' has a header but no rows (columns: {})", columns.join(", "))]
    HeaderOnly { path: PathBuf, columns: Vec<String> },
    #[error(
        "cannot find the delimiter of '{path}': none of ',' ';' tab '|' separates the first line '{first_line}' into columns"
    )]
    UnknownDelimiter { path: PathBuf, first_line: String },
    #[error("'{path}' line {line}: byte 0x{byte:02x} is not UTF-8; re-export the file as UTF-8")]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        byte: u8,
    },
    #[error(
        "'{path}' line {line}: {found} fields where the header has {expected}; fix the row or its quoting"
    )]
    Ragged {
        path: PathBuf,
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("{}", missing_column_message(path, key, column.as_deref(), found))]
    MissingColumn {
        path: PathBuf,
        key: String,
        column: Option<String>,
        found: Vec<String>,
    },
    #[error("cannot parse CSV '{path}': {message}")]
    Csv { path: PathBuf, message: String },
    #[error("cannot read Parquet '{path}': {message} (is the file truncated or not Parquet?)")]
    Parquet { path: PathBuf, message: String },
    #[error(
        "'{path}' column '{column}': {count} unparseable dates, first at {}; set [data] date_format (e.g. \"%d/%m/%Y %H:%M\"), or turn strict dates off to skip them",
        examples.iter().map(|(at, v)| format!("{at} '{v}'")).collect::<Vec<_>>().join(", ")
    )]
    BadDates {
        path: PathBuf,
        column: String,
        count: usize,
        examples: Vec<(String, String)>,
    },
    #[error("'{path}' {location}, column '{column}': '{value}' is not a number")]
    BadNumber {
        path: PathBuf,
        column: String,
        location: String,
        value: String,
    },
    #[error("invalid retention_date '{value}': expected YYYYMMDD, e.g. 20111209")]
    BadRetentionDate { value: String },
    #[error(
        "the retention window {window} leaves no rows of '{path}' (data spans {data_range}); move retention_date or widen retention_days"
    )]
    EmptyWindow {
        path: PathBuf,
        window: String,
        data_range: String,
    },
    #[error("ranking_type 'rating' needs a rating column: map one with [data] rating = \"...\"")]
    NoRatingColumn,
    /// Lines were kept but none makes an interaction (every quantity nets out to zero or
    /// less); a file whose every line is dropped is [`LoadError::NothingKept`].
    #[error(
        "no interactions left after cleaning: the kept lines add up to no positive interaction (do returns net out every purchase?); see `latent data profile`"
    )]
    NoInteractions,
    /// Cleaning kept no line of the file; the report says why, reason by reason.
    #[error("{}", nothing_kept_message(path, report))]
    NothingKept {
        path: PathBuf,
        report: Box<CleaningReport>,
    },
    #[error("'{path}' is {kind}, not a regular file: {advice}")]
    NotAFile {
        path: PathBuf,
        kind: &'static str,
        advice: &'static str,
    },
    #[error(
        "'{path}' is a symbolic link that cannot be followed ({message}): point at the file itself"
    )]
    BadLink { path: PathBuf, message: String },
    #[error(
        "'{path}' has two columns named '{column}': rename one, latent cannot tell which is meant"
    )]
    DuplicateColumn { path: PathBuf, column: String },
    #[error(
        "[data] {first} and [data] {second} both name column '{column}' of '{path}': each role needs its own column"
    )]
    SharedColumn {
        path: PathBuf,
        column: String,
        first: String,
        second: String,
    },
    #[error(
        "'{path}' column '{column}' (mapped as [data] {key}) holds {dtype} values: latent reads one plain value (text, number or date) per cell, so flatten the column first"
    )]
    UnsupportedColumn {
        path: PathBuf,
        column: String,
        key: String,
        dtype: String,
    },
    #[error(
        "invalid date_format '{format}': '{specifier}' is not a chrono strftime specifier (e.g. \"%d/%m/%Y %H:%M\"; write %% for a literal %)"
    )]
    BadDateFormat { format: String, specifier: String },
    #[error("{}", clash_message(input.as_deref(), first, second, path))]
    OutputClash {
        /// The data file read, when `second` is about to overwrite it.
        input: Option<PathBuf>,
        first: String,
        second: String,
        path: PathBuf,
    },
    #[error(
        "cannot write {rows} synthetic lines: at most {limit} are written (their purchase histories are held in memory); ask for fewer lines"
    )]
    TooManyRows { rows: usize, limit: usize },
    #[error("invalid split: {0}")]
    BadSplit(String),
    /// A search's validation window holds nobody to score a trial on.
    #[error(
        "the validation window ({window}) has no customer known before it with a purchase to predict; choose a longer validation window"
    )]
    EmptyValidation { window: String },
    #[error("invalid feature '{feature}': {message}")]
    BadFeature { feature: String, message: String },
    #[error("cannot write '{path}': {message}")]
    Write { path: PathBuf, message: String },
    /// The progress callback asked to stop.
    #[error("loading cancelled")]
    Cancelled,
}

impl LoadError {
    /// True when the file or the configuration is at fault rather than the machine; a
    /// cancelled load is nobody's fault: the user stopped it.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            LoadError::Io { .. } | LoadError::Write { .. } | LoadError::Cancelled
        )
    }

    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            LoadError::BadDates { .. } => Some(crate::knob::Knob::StrictDates),
            LoadError::EmptyValidation { .. } => Some(crate::knob::Knob::ValidationDays),
            _ => None,
        }
    }
}

fn missing_column_message(
    path: &Path,
    key: &str,
    column: Option<&str>,
    found: &[String],
) -> String {
    let what = match column {
        Some(column) => format!(
            "column '{column}' set as [data] {key} is not in '{}'",
            path.display()
        ),
        None => format!("no {key} column recognised in '{}'", path.display()),
    };
    format!(
        "{what}; columns found: {}; set the mapping keys in [data] (user, item, quantity, timestamp, price, rating, invoice, description, country)",
        found.join(", ")
    )
}

fn nothing_kept_message(path: &Path, report: &CleaningReport) -> String {
    let file = path.display();
    if report.rows_read == 0 {
        return format!("'{file}' has no transaction lines, only blank ones");
    }
    let Some((reason, count)) = report.largest_drop() else {
        return format!("no interactions left after cleaning '{file}'");
    };
    let example = report
        .example_of(reason)
        .map(|e| format!(", first at {}: {}", e.location, e.value))
        .unwrap_or_default();
    format!(
        "no interactions left after cleaning '{file}': all {} dropped, most as {} ({}{example}); `latent data profile` lists every reason",
        lines(report.rows_read),
        reason.label(),
        lines(count),
    )
}

fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}

fn clash_message(input: Option<&Path>, first: &str, second: &str, path: &Path) -> String {
    match input {
        Some(data) => format!(
            "{second} '{}' is the data file being read ('{}'): write the output elsewhere",
            path.display(),
            data.display()
        ),
        None => format!(
            "{first} and {second} are the same file '{}': give each output its own path",
            path.display()
        ),
    }
}

/// Everything needed to go from a file to clean transactions.
#[derive(Debug, Clone, Default)]
pub struct LoadSpec {
    pub data: DataSpec,
    pub cleaning: CleaningSpec,
    pub interactions: InteractionSpec,
}

impl LoadSpec {
    /// Refuses a `date_format` chrono cannot use, before any line is read: a bad
    /// specifier would otherwise fail every date and drop every line.
    pub fn check_date_format(&self) -> Result<(), LoadError> {
        match &self.data.date_format {
            Some(format) if !format.trim().is_empty() => match timestamps::bad_specifier(format) {
                Some(specifier) => Err(LoadError::BadDateFormat {
                    format: format.clone(),
                    specifier,
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The options of the cleaning step implied by this spec.
    pub fn clean_options(&self) -> CleanOptions {
        CleanOptions {
            timestamp_format: match &self.data.date_format {
                Some(p) if !p.trim().is_empty() => timestamps::TimestampFormat::Pattern(p.clone()),
                _ => timestamps::TimestampFormat::Auto,
            },
            strict_dates: self.data.strict_dates,
            window: RetentionWindow {
                retention_date: self.interactions.retention_date.clone(),
                retention_days: self.interactions.retention_days,
            },
            min_rating: self.interactions.min_rating,
        }
    }
}

/// Reads and cleans the file at `path` as `spec` says.
pub fn load_transactions(
    path: &Path,
    spec: &LoadSpec,
) -> Result<(Transactions, CleaningReport), LoadError> {
    let mut ignore = |_| ControlFlow::Continue(());
    load_transactions_with_progress(path, spec, &mut ignore)
}

/// [`load_transactions`], reporting how far it has come to `progress` (see
/// [`progress`]); the last report of a successful load has a fraction of 1.
///
/// When `progress` returns `Break` the load stops and fails with [`LoadError::Cancelled`].
pub fn load_transactions_with_progress(
    path: &Path,
    spec: &LoadSpec,
    progress: progress::ProgressFn<'_>,
) -> Result<(Transactions, CleaningReport), LoadError> {
    let mut timings = LoadTimings::default();
    read_and_clean(
        path,
        spec,
        &mut progress::Tracker::new(progress, false),
        &mut timings,
    )
}

/// Reads, cleans and aggregates the file at `path` into the interaction matrix, reporting
/// every phase to `progress`, the matrix included; `Break` cancels as in
/// [`load_transactions_with_progress`].
pub fn load_interactions_with_progress(
    path: &Path,
    spec: &LoadSpec,
    progress: progress::ProgressFn<'_>,
) -> Result<(Transactions, CleaningReport, Interactions), LoadError> {
    load_interactions_timed(path, spec, progress).map(|(t, report, matrix, _)| (t, report, matrix))
}

/// [`load_interactions_with_progress`], also telling where the time went (for
/// `latent bench load`).
pub fn load_interactions_timed(
    path: &Path,
    spec: &LoadSpec,
    progress: progress::ProgressFn<'_>,
) -> Result<(Transactions, CleaningReport, Interactions, LoadTimings), LoadError> {
    let mut tracker = progress::Tracker::new(progress, true);
    let mut timings = LoadTimings::default();
    let (t, report) = read_and_clean(path, spec, &mut tracker, &mut timings)?;
    go_on(tracker.report(LoadPhase::Matrix, 0, 1))?;
    let started = std::time::Instant::now();
    let matrix = Interactions::from_transactions(&t, spec.interactions.ranking_type)?;
    timings.matrix = started.elapsed();
    go_on(tracker.report(LoadPhase::Matrix, 1, 1))?;
    Ok((t, report, matrix, timings))
}

fn go_on(flow: ControlFlow<()>) -> Result<(), LoadError> {
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(LoadError::Cancelled),
    }
}

fn read_and_clean(
    path: &Path,
    spec: &LoadSpec,
    tracker: &mut progress::Tracker<'_>,
    timings: &mut LoadTimings,
) -> Result<(Transactions, CleaningReport), LoadError> {
    let _span = tracing::info_span!("load", path = %path.display()).entered();
    spec.check_date_format()?;
    let started = std::time::Instant::now();
    let source = reader::open(path, &spec.data)?;
    timings.open = started.elapsed();
    let mut cleaner = cleaner::Cleaner::new(
        path.to_owned(),
        source.format,
        source.header.clone(),
        source.resolved.clone(),
        &spec.cleaning,
        &spec.clean_options(),
    );
    feed::feed(&source, &mut cleaner, tracker, timings)?;
    go_on(tracker.report(LoadPhase::Cleaning, 0, 1))?;
    let started = std::time::Instant::now();
    let result = cleaner.finish()?;
    timings.finish = started.elapsed();
    go_on(tracker.report(LoadPhase::Cleaning, 1, 1))?;
    tracing::info!(
        rows = result.1.rows_read,
        kept = result.1.rows_kept,
        "cleaned"
    );
    Ok(result)
}
