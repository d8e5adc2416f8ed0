//! How far a load has come, for whoever shows it.
//!
//! Loading a large log takes seconds (a 10-million-line CSV, about ten), so the loader
//! reports [`LoadProgress`] through a plain callback: the data layer knows nothing of
//! terminals or channels, and the caller decides what to do with it (the workbench draws a
//! gauge; the command line ignores it). Reports come once per block of work — a 4 MiB
//! block of a CSV, a slice of [`ROWS_PER_REPORT`] rows — never per row, so
//! reporting costs nothing measurable. The callback returns [`ControlFlow::Break`] to
//! cancel the load, which then ends with [`super::LoadError::Cancelled`].

use std::ops::ControlFlow;

/// Rows cleaned between two reports: small enough for a smooth gauge (a Parquet file of
/// half a million rows reports nine times), large enough that slicing costs nothing.
pub const ROWS_PER_REPORT: usize = 64 * 1024;

/// The callback a load reports to; `Break` cancels the load.
pub type ProgressFn<'a> = &'a mut dyn FnMut(LoadProgress) -> ControlFlow<()>;

/// The steps of a load, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LoadPhase {
    /// A checking pass over every byte of a CSV; in bytes. The loader no longer makes
    /// one (it checks each record as it reads it, in [`LoadPhase::Reading`]); the phase
    /// stays for displays that list every phase.
    Checking,
    /// Parsing and cleaning the lines of a CSV, or the rows of a Parquet file; in rows.
    Reading,
    /// The retention window and duplicate removal, which need every line.
    Cleaning,
    /// Aggregating lines into the customers × products matrix.
    Matrix,
}

impl LoadPhase {
    /// Every phase, in the order a load goes through them.
    pub const ALL: [LoadPhase; 4] = [
        LoadPhase::Checking,
        LoadPhase::Reading,
        LoadPhase::Cleaning,
        LoadPhase::Matrix,
    ];

    /// What the phase does, for a progress label.
    pub fn label(self) -> &'static str {
        match self {
            LoadPhase::Checking => "checking the file",
            LoadPhase::Reading => "reading and cleaning lines",
            LoadPhase::Cleaning => "applying the window and removing duplicates",
            LoadPhase::Matrix => "building the matrix",
        }
    }

    /// The unit `done` and `total` count in this phase.
    pub fn unit(self) -> &'static str {
        match self {
            LoadPhase::Checking => "bytes",
            LoadPhase::Reading => "rows",
            LoadPhase::Cleaning | LoadPhase::Matrix => "steps",
        }
    }
}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadProgress {
    pub phase: LoadPhase,
    /// Work done in this phase, in [`LoadPhase::unit`]s.
    pub done: u64,
    /// Work in this phase; `done` reaches it when the phase ends.
    pub total: u64,
    /// Share of the whole load done, in `[0, 1]`; it never decreases during a load and is
    /// exactly 1 in the last report of a successful one.
    pub fraction: f64,
}

/// Where each phase ends on the overall `[0, 1]` scale (the next one starts there).
///
/// The shares follow measured time on the reference data: the matrix and the whole-file
/// rules about a tenth each, reading and cleaning the rest (a CSV's records are checked
/// as they are read, so a load that reports no checking pass starts reading at 0).
#[derive(Debug, Clone, Copy)]
struct PhaseEnds {
    checking: f64,
    reading: f64,
    cleaning: f64,
}

/// Turns per-phase counts into reports with a monotone overall fraction.
pub(crate) struct Tracker<'a> {
    report: ProgressFn<'a>,
    ends: PhaseEnds,
    /// True once the checking pass reported: reading then starts after it.
    checked: bool,
    last: f64,
}

impl<'a> Tracker<'a> {
    /// A tracker for a load that ends with a matrix (`with_matrix`) or with transactions.
    pub(crate) fn new(report: ProgressFn<'a>, with_matrix: bool) -> Self {
        let ends = if with_matrix {
            PhaseEnds {
                checking: 0.1,
                reading: 0.85,
                cleaning: 0.9,
            }
        } else {
            PhaseEnds {
                checking: 0.1,
                reading: 0.95,
                cleaning: 1.0,
            }
        };
        Self {
            report,
            ends,
            checked: false,
            last: 0.0,
        }
    }

    /// Reports `done` of `total` in `phase`; `Break` when the callback cancels.
    pub(crate) fn report(&mut self, phase: LoadPhase, done: u64, total: u64) -> ControlFlow<()> {
        let share = if total == 0 {
            1.0
        } else {
            (done as f64 / total as f64).clamp(0.0, 1.0)
        };
        let e = self.ends;
        let (start, end) = match phase {
            LoadPhase::Checking => {
                self.checked = true;
                (0.0, e.checking)
            }
            LoadPhase::Reading if self.checked => (e.checking, e.reading),
            LoadPhase::Reading => (0.0, e.reading),
            LoadPhase::Cleaning => (e.reading, e.cleaning),
            LoadPhase::Matrix => (e.cleaning, 1.0),
        };
        let fraction = if phase == LoadPhase::Matrix && done >= total {
            1.0
        } else {
            (start + (end - start) * share).max(self.last)
        };
        self.last = fraction;
        (self.report)(LoadProgress {
            phase,
            done: done.min(total),
            total,
            fraction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_rise_through_the_phases_and_end_at_one() {
        let mut seen = Vec::new();
        let mut collect = |p: LoadProgress| {
            seen.push(p);
            ControlFlow::Continue(())
        };
        let mut t = Tracker::new(&mut collect, true);
        let _ = t.report(LoadPhase::Checking, 5, 10);
        let _ = t.report(LoadPhase::Checking, 10, 10);
        let _ = t.report(LoadPhase::Reading, 0, 4);
        let _ = t.report(LoadPhase::Reading, 4, 4);
        let _ = t.report(LoadPhase::Cleaning, 1, 1);
        let _ = t.report(LoadPhase::Matrix, 0, 1);
        let _ = t.report(LoadPhase::Matrix, 1, 1);
        let fractions: Vec<f64> = seen.iter().map(|p| p.fraction).collect();
        assert_close(&fractions, &[0.05, 0.1, 0.1, 0.85, 0.9, 0.9, 1.0]);
        assert_eq!(seen.last().map(|p| p.fraction), Some(1.0));
    }

    #[test]
    fn without_a_checking_pass_reading_starts_at_zero() {
        let mut seen = Vec::new();
        let mut collect = |p: LoadProgress| {
            seen.push(p.fraction);
            ControlFlow::Continue(())
        };
        let mut t = Tracker::new(&mut collect, false);
        let _ = t.report(LoadPhase::Reading, 0, 10);
        let _ = t.report(LoadPhase::Reading, 10, 10);
        let _ = t.report(LoadPhase::Cleaning, 1, 1);
        assert_close(&seen, &[0.0, 0.95, 1.0]);
    }

    fn sample(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("sample-data")
            .join(name)
    }

    /// Every report of loading `name` into a matrix.
    fn reports(name: &str) -> Vec<LoadProgress> {
        let mut seen = Vec::new();
        let mut collect = |p: LoadProgress| {
            seen.push(p);
            ControlFlow::Continue(())
        };
        let spec = crate::data::LoadSpec::default();
        crate::data::load_interactions_with_progress(&sample(name), &spec, &mut collect)
            .expect("the sample loads");
        seen
    }

    fn assert_monotone_to_one(seen: &[LoadProgress]) {
        assert!(
            seen.windows(2).all(|w| w[0].fraction <= w[1].fraction),
            "{seen:#?}"
        );
        assert!(seen.iter().all(|p| p.done <= p.total), "{seen:#?}");
        assert_eq!(
            seen.last().map(|p| (p.phase, p.fraction)),
            Some((LoadPhase::Matrix, 1.0))
        );
    }

    #[test]
    fn loading_the_csv_sample_reports_every_phase_in_order_up_to_one() {
        let seen = reports("online_retail_sample.csv");
        assert_monotone_to_one(&seen);
        let mut phases: Vec<LoadPhase> = seen.iter().map(|p| p.phase).collect();
        phases.dedup();
        assert_eq!(
            phases,
            [LoadPhase::Reading, LoadPhase::Cleaning, LoadPhase::Matrix]
        );
        // Rows are counted as they are read; the last report has the exact count.
        let read = seen.iter().rfind(|p| p.phase == LoadPhase::Reading);
        assert_eq!(read.map(|p| (p.done, p.total)), Some((5000, 5000)));
    }

    #[test]
    fn loading_the_parquet_log_reports_each_slice_of_rows() {
        let seen = reports("online_retail_full.parquet");
        assert_monotone_to_one(&seen);
        let rows: Vec<u64> = seen
            .iter()
            .filter(|p| p.phase == LoadPhase::Reading)
            .map(|p| p.done)
            .collect();
        // 541,909 rows in slices of 65,536: the start, nine slices.
        assert_eq!(rows.len(), 10, "{rows:?}");
        assert_eq!(rows.last(), Some(&541_909));
        assert!(seen.iter().all(|p| p.phase != LoadPhase::Checking));
    }

    #[test]
    fn transactions_alone_end_at_one_too() {
        let mut last = None;
        let mut keep = |p: LoadProgress| {
            last = Some(p);
            ControlFlow::Continue(())
        };
        let spec = crate::data::LoadSpec::default();
        crate::data::load_transactions_with_progress(
            &sample("online_retail_sample.csv"),
            &spec,
            &mut keep,
        )
        .expect("the sample loads");
        assert_eq!(
            last.map(|p| (p.phase, p.fraction)),
            Some((LoadPhase::Cleaning, 1.0))
        );
    }

    #[test]
    fn a_break_from_the_callback_cancels_the_load() {
        let spec = crate::data::LoadSpec::default();
        for stop_at in [LoadPhase::Reading, LoadPhase::Cleaning, LoadPhase::Matrix] {
            let mut stop = |p: LoadProgress| {
                if p.phase == stop_at {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let got = crate::data::load_interactions_with_progress(
                &sample("online_retail_sample.csv"),
                &spec,
                &mut stop,
            );
            assert!(
                matches!(got, Err(crate::data::LoadError::Cancelled)),
                "{stop_at:?}"
            );
        }
    }

    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?} != {want:?}");
        }
    }
}
