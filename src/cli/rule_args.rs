//! Rule flags shared by `latent recommend` and `latent eval`: one request's overrides on
//! top of (or instead of) the run's `[overrides]`.

use std::path::PathBuf;

use crate::models::hyper::ParamsError;
use crate::recommend::{BoostRule, ColdStartPolicy, IncludeRule, Overrides, PopularCut};

/// Business-rule flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RuleArgs {
    /// A TOML file of rules (an `[overrides]` table or its keys); replaces the run's own.
    #[arg(long, alias = "overrides", value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Ignore the `[overrides]` stored with the run.
    #[arg(long, conflicts_with = "rules")]
    pub no_rules: bool,
    /// Leave out products the customer already bought (default true).
    #[arg(long, action = clap::ArgAction::Set, value_name = "true|false")]
    pub exclude_seen: Option<bool>,
    /// With `--exclude-seen false`: blend the customer's own products into the model's
    /// ranking, from 0 (the model alone) to 1 (own products first); default 0.8.
    #[arg(long, value_name = "0..1")]
    pub rebuy: Option<f32>,
    /// Leave out the most-bought products: a count (20) or a share of the catalogue (5%).
    #[arg(long, value_name = "N|P%")]
    pub exclude_popular: Option<String>,
    /// Products never shown (comma-separated ids; repeatable).
    #[arg(long = "exclude", value_delimiter = ',', value_name = "ID,...")]
    pub exclude: Vec<String>,
    /// Leave out products whose description holds all these words (repeatable).
    #[arg(long, value_name = "WORDS")]
    pub exclude_matching: Vec<String>,
    /// Leave out products not sold in the last DAYS days of the data.
    #[arg(long, value_name = "DAYS")]
    pub exclude_stale: Option<u32>,
    /// Force these products into every list (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub include: Vec<String>,
    /// 1-based position of the first forced product (default: the end of the list).
    #[arg(long, value_name = "N")]
    pub include_slot: Option<usize>,
    /// Force in products first sold in the last DAYS days of the data.
    #[arg(long, value_name = "DAYS")]
    pub include_new: Option<u32>,
    /// At most N of the new products per list.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub include_new_limit: usize,
    /// Only these products may be recommended (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub only: Vec<String>,
    /// Change scores of products matching words: `christmas*1.5`, `paper*0.5`,
    /// `mug+0.1` (repeatable).
    #[arg(long, value_name = "WORDS*F")]
    pub boost: Vec<String>,
    /// What customers unknown to the model get: popularity, segment-popularity, fold-in.
    #[arg(long, value_name = "POLICY")]
    pub cold_start: Option<ColdStartPolicy>,
}

impl RuleArgs {
    /// The rules of this request: the run's (`base`), a rules file or none, plus the flags.
    pub fn resolve(&self, base: &Overrides) -> anyhow::Result<Overrides> {
        let mut rules = if self.no_rules {
            Overrides::default()
        } else if let Some(path) = &self.rules {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ParamsError::Invalid(format!("cannot read rules file '{}': {e}", path.display()))
            })?;
            Overrides::parse_file_text(&text).map_err(|e| {
                ParamsError::Invalid(format!("invalid rules file '{}': {e}", path.display()))
            })?
        } else {
            base.clone()
        };
        if let Some(v) = self.exclude_seen {
            rules.exclude_seen = v;
        }
        if let Some(w) = self.rebuy {
            if !(0.0..=1.0).contains(&w) {
                return Err(ParamsError::BadValue {
                    key: "--rebuy".into(),
                    value: w.to_string(),
                    expected: "a weight from 0 (the model alone) to 1 (own products first)",
                }
                .into());
            }
            rules.rebuy = Some(w);
        }
        if let Some(cut) = &self.exclude_popular {
            rules.exclude_popular =
                Some(PopularCut::parse(cut).map_err(|e| ParamsError::BadValue {
                    key: "--exclude-popular".into(),
                    value: e.0,
                    expected: "a count of products (20) or a share of the catalogue (5%)",
                })?);
        }
        rules.exclude_items.extend(self.exclude.iter().cloned());
        rules
            .exclude_matching
            .extend(self.exclude_matching.iter().cloned());
        if self.exclude_stale.is_some() {
            rules.exclude_stale_days = self.exclude_stale;
        }
        if !self.include.is_empty() {
            rules.include.push(IncludeRule {
                items: self.include.clone(),
                slot: self.include_slot,
                ..IncludeRule::default()
            });
        } else if self.include_slot.is_some() && self.include_new.is_none() {
            return Err(ParamsError::Invalid(
                "--include-slot needs --include ID,... or --include-new DAYS".into(),
            )
            .into());
        }
        if let Some(days) = self.include_new {
            rules.include.push(IncludeRule {
                new_within_days: Some(days),
                limit: Some(self.include_new_limit),
                slot: if self.include.is_empty() {
                    self.include_slot
                } else {
                    None
                },
                ..IncludeRule::default()
            });
        }
        rules.only_items.extend(self.only.iter().cloned());
        for b in &self.boost {
            rules
                .boost
                .push(BoostRule::parse(b).map_err(ParamsError::Invalid)?);
        }
        if let Some(p) = self.cold_start {
            rules.cold_start = p;
        }
        if matches!(self.include_slot, Some(0)) {
            return Err(ParamsError::OutOfRange {
                key: "--include-slot".into(),
                value: "0".into(),
                range: "1 or more (1 is the top of the list)".into(),
            }
            .into());
        }
        Ok(rules)
    }
}

impl clap::ValueEnum for ColdStartPolicy {
    fn value_variants<'a>() -> &'a [Self] {
        &ColdStartPolicy::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}
