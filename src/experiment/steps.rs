//! The steps of one experiment between the data and the run: hold the test lines out,
//! fit the model, and resolve the configuration the run keeps so it can be replayed.

use std::ops::ControlFlow;
use std::time::Instant;

use super::{Holdout, Stage, TrainSpec, fit_error, load_test_file, side_features};
use crate::config::WorkspaceConfig;
use crate::data::split::{SplitSpec, SplitStrategy, split};
use crate::data::{Interactions, LoadSpec, Transactions};
use crate::error::Error;
use crate::models::registry::SettingTable;
use crate::models::{FitInput, ModelParams, TrainedModel};

/// The training lines and, when `holdout` asks for them, the test lines.
pub(crate) fn hold_out(
    holdout: &Holdout,
    transactions: &Transactions,
    load: &LoadSpec,
) -> Result<(Transactions, Option<Transactions>), Error> {
    let last_days = |t: &Transactions, days: u32, new_items_only: bool| {
        split(
            t,
            &SplitSpec {
                strategy: SplitStrategy::TestLastDays(days),
                new_items_only,
            },
        )
    };
    Ok(match holdout {
        Holdout::None => (transactions.clone(), None),
        Holdout::File(path) => (transactions.clone(), Some(load_test_file(path, load)?)),
        Holdout::LastDays {
            days,
            new_items_only,
        } => {
            let parts = last_days(transactions, *days, *new_items_only)?;
            (parts.train, Some(parts.test))
        }
        Holdout::Validation { test_days, days } => {
            let before_test = last_days(transactions, *test_days, false)?.train;
            let parts = last_days(&before_test, *days, false)?;
            (parts.train, Some(parts.test))
        }
    })
}

/// Fits `params` on the training matrix, reporting each pass; the model and the seconds
/// the fit took.
pub(crate) fn fit(
    spec: &TrainSpec,
    params: &ModelParams,
    lines: &Transactions,
    matrix: &Interactions,
    progress: &mut dyn FnMut(Stage) -> ControlFlow<()>,
) -> Result<(TrainedModel, f64), Error> {
    let started = Instant::now();
    if let Some(warm) = &spec.warm
        && let Some(model) = warm.update(matrix)
    {
        return Ok((model.map_err(Error::Fit)?, started.elapsed().as_secs_f64()));
    }
    let features = |columns, bands| side_features(spec, lines, matrix, columns, bands);
    let input = FitInput {
        user_items: &matrix.user_items,
        item_users: &matrix.item_users,
        users: &matrix.users,
        items: &matrix.items,
        side_features: &features,
    };
    let model = params
        .fit(&input, &mut |r| progress(Stage::Epoch(*r)))
        .map_err(fit_error)?;
    Ok((model, started.elapsed().as_secs_f64()))
}

/// The workspace configuration a run keeps: the data file and side tables as absolute
/// paths (a replay works from any folder) and the model's settings as trained.
pub(super) fn resolved_config(spec: &TrainSpec, params: &ModelParams) -> WorkspaceConfig {
    let mut config = spec.config.clone();
    let data_folder = spec.data_folder();
    config.data.path =
        Some(std::fs::canonicalize(&spec.data).unwrap_or_else(|_| spec.data.clone()));
    // Side tables too, resolved as they were read.
    for table in [&mut config.data.user_file, &mut config.data.item_file] {
        if let Some(p) = table.as_mut()
            && p.is_relative()
        {
            *p = std::fs::canonicalize(data_folder.join(&*p)).unwrap_or_else(|_| p.clone());
        }
    }
    if let Some((table, values)) = params.table() {
        match table {
            SettingTable::Als => config.als = values,
            SettingTable::Fm => config.fm = values,
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transactions::PresentColumns;
    use crate::models::ModelKind;
    use crate::models::hyper::RawValue;

    const DAY: i64 = 86_400;

    /// Customer `c{u}` buys product `p{i}` on day `day`.
    fn lines(rows: &[(u32, u32, i64)]) -> Transactions {
        let mut t = Transactions {
            has: PresentColumns {
                timestamp: true,
                ..Default::default()
            },
            ..Default::default()
        };
        for &(u, i, day) in rows {
            let (u, i) = (
                t.users.intern(&format!("c{u}")),
                t.items.intern(&format!("p{i}")),
            );
            t.user.push(u);
            t.item.push(i);
            t.timestamp.push(day * DAY);
            t.quantity.push(1.0);
            t.price.push(1.0);
            t.rating.push(f32::NAN);
            t.invoice.push(u32::MAX);
            t.country.push(u32::MAX);
            t.description.push(u32::MAX);
        }
        t
    }

    fn spec(model: ModelKind, overrides: &[(&str, i64)]) -> TrainSpec {
        let overrides: Vec<(String, RawValue)> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), RawValue::Int(*v)))
            .collect();
        TrainSpec::new(
            WorkspaceConfig::default(),
            "no-such-folder/lines.csv".into(),
            model,
            &overrides,
            Holdout::None,
            10,
        )
        .unwrap()
    }

    #[test]
    fn holding_out_the_last_days_and_a_validation_window_before_the_test() {
        // Days 1..=10, one line a day, three customers taking turns.
        let t = lines(
            &(1..=10)
                .map(|d| (d as u32 % 3, d as u32, d))
                .collect::<Vec<_>>(),
        );
        let load = LoadSpec::default();
        let (train, test) = hold_out(&Holdout::None, &t, &load).unwrap();
        assert_eq!((train.len(), test.is_none()), (10, true));
        let last = Holdout::LastDays {
            days: 3,
            new_items_only: false,
        };
        let (train, test) = hold_out(&last, &t, &load).unwrap();
        let test = test.unwrap();
        assert_eq!((train.len(), test.len()), (7, 3));
        assert!(test.timestamp.iter().all(|&s| s > 7 * DAY));
        assert!(train.timestamp.iter().all(|&s| s <= 7 * DAY));
        // Validation: the 2 days before the last 3 are evaluated, the last 3 never seen.
        let validation = Holdout::Validation {
            test_days: 3,
            days: 2,
        };
        let (train, test) = hold_out(&validation, &t, &load).unwrap();
        let test = test.unwrap();
        assert_eq!((train.len(), test.len()), (5, 2));
        assert!(test.timestamp.iter().all(|&s| s > 5 * DAY && s <= 7 * DAY));
    }

    #[test]
    fn fitting_reports_each_pass_and_the_time_it_took() {
        let t = lines(&[
            (0, 0, 1),
            (0, 1, 1),
            (1, 1, 2),
            (1, 2, 2),
            (2, 0, 3),
            (2, 2, 3),
        ]);
        let matrix = Interactions::from_transactions(&t, crate::data::RankingType::Count).unwrap();
        let s = spec(ModelKind::Als, &[("als_rank", 2), ("max_iter", 3)]);
        let params = s.params.clone();
        let mut passes = Vec::new();
        let (model, seconds) = fit(&s, &params, &t, &matrix, &mut |stage| {
            if let Stage::Epoch(r) = stage {
                passes.push(r.iteration);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(passes, [1, 2, 3]);
        assert_eq!(model.kind(), ModelKind::Als);
        assert!(seconds >= 0.0);
        // A cancel is the shared fit error, whatever the model.
        let err = fit(&s, &params, &t, &matrix, &mut |_| ControlFlow::Break(())).unwrap_err();
        assert!(
            matches!(err, Error::Fit(crate::models::FitError::Cancelled { .. })),
            "{err}"
        );
    }

    #[test]
    fn the_kept_configuration_replays_the_same_model_from_any_folder() {
        let s = spec(ModelKind::Als, &[("als_rank", 7)]);
        let config = resolved_config(&s, &s.params);
        assert_eq!(
            config.als.get("als_rank").and_then(|v| v.as_str()),
            Some("7")
        );
        assert!(config.fm.is_empty(), "an ALS run keeps no FM table");
        // A path that cannot be resolved is kept as given rather than lost.
        assert_eq!(
            config.data.path.as_deref(),
            Some(std::path::Path::new("no-such-folder/lines.csv"))
        );
        let knn = spec(ModelKind::ItemKnn, &[("neighbours", 5)]);
        let config = resolved_config(&knn, &knn.params);
        assert!(config.als.is_empty() && config.fm.is_empty());
    }
}
