//! One customer's list with the business rules applied: the path the TUI, the CLI, batch
//! export and the server share.
//!
//! [`Engine::new`] compiles [`Overrides`] against a run once (product ids to indices,
//! description queries to masks, dates to stale and new sets), collecting warnings for
//! whatever does not apply; after that a list is one scoring pass, one masked top-k and a
//! merge of the forced products, well under a millisecond on a catalogue of thousands.

use std::sync::Arc;

use rayon::prelude::*;

use super::catalog::Catalog;
use super::rebuy;
use super::rules::{ColdStartPolicy, Overrides, words};
use super::topk::{Reason, Scored, top_k};
use crate::data::{CsrMatrix, IdMap};
use crate::models::{PopularityModel, Prepared, TrainedModel};

/// The parts of a run the rules need, borrowed.
#[derive(Clone, Copy)]
pub struct RunView<'a> {
    pub model: &'a TrainedModel,
    /// Customers × products of the training data.
    pub train: &'a CsrMatrix,
    pub users: &'a IdMap,
    pub items: &'a IdMap,
    pub descriptions: &'a [String],
    pub popularity: &'a PopularityModel,
    pub catalog: &'a Catalog,
}

/// Who a list is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Customer<'q> {
    /// A customer of the training data (run index).
    Known(u32),
    /// Someone the model never saw, with what we know of them: products bought (run
    /// indices, sorted) and segment.
    New {
        history: &'q [u32],
        segment: Option<u32>,
    },
}

/// Forced products of one include rule, compiled.
#[derive(Debug, Clone)]
struct Forced {
    items: Vec<u32>,
    /// 0-based position of the first one; `None` for the end of the list.
    slot: Option<usize>,
    /// `Some(NONE)` when the rule's segment does not exist: it then never applies.
    segment: Option<u32>,
}

/// A product's share of a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub item: u32,
    /// The score the parts add up to.
    pub score: f32,
    /// Purchases (product index) and their contribution, largest first.
    pub parts: Vec<(u32, f32)>,
    /// How the parts were computed.
    pub method: &'static str,
    /// FM: the terms of the score (the bias, single features, feature pairs such as
    /// `user=17850 × item=85123A` or `age=25..34 × class=Comedy`), largest first; empty
    /// for other models, whose parts are purchases.
    pub terms: Vec<(String, f32)>,
}

/// Rules compiled against one run: owned, so a long-lived screen keeps them beside the run
/// and makes an [`Engine`] per request for free.
pub struct CompiledRules {
    exclude_seen: bool,
    /// The re-buy weight, 0 when lists do not blend own products in.
    rebuy: f32,
    /// Products no list may show (exclude rules and `only_items`).
    blocked: Vec<bool>,
    /// Per product: (multiply, add), when some boost applies.
    boost: Option<Vec<(f32, f32)>>,
    forced: Vec<Forced>,
    cold_start: ColdStartPolicy,
    /// What the model computes once for fold-in and explanations (ALS's `YᵀY`, an
    /// FM's id prior).
    prepared: Prepared,
    /// Segments × products buyer counts, for segment popularity.
    segment_buyers: Option<Vec<f32>>,
    /// What of the rules could not be applied, for the user to read.
    pub warnings: Vec<String>,
    /// The rules as given.
    pub rules: Overrides,
}

impl std::fmt::Debug for CompiledRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRules")
            .field("rules", &self.rules)
            .field("blocked", &self.blocked.iter().filter(|&&b| b).count())
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Compiled rules applied to a run.
#[derive(Clone)]
pub struct Engine<'a> {
    view: RunView<'a>,
    compiled: Arc<CompiledRules>,
}

impl std::ops::Deref for Engine<'_> {
    type Target = CompiledRules;

    fn deref(&self) -> &CompiledRules {
        &self.compiled
    }
}

impl<'a> Engine<'a> {
    /// Compiles `rules` against `view`.
    pub fn new(view: RunView<'a>, rules: &Overrides) -> Self {
        Self {
            view,
            compiled: Arc::new(CompiledRules::new(view, rules)),
        }
    }

    /// An engine from rules compiled earlier against the same run.
    pub fn with(view: RunView<'a>, compiled: Arc<CompiledRules>) -> Self {
        Self { view, compiled }
    }

    /// The compiled rules, to keep for later requests.
    pub fn compiled(&self) -> Arc<CompiledRules> {
        Arc::clone(&self.compiled)
    }
}

impl CompiledRules {
    /// Products no list may show: what "hide the best sellers" and exclusions took out.
    pub fn hidden_count(&self) -> usize {
        self.blocked.iter().filter(|&&b| b).count()
    }

    /// Products forced into lists, each once, in rule order.
    pub fn forced_items(&self) -> Vec<u32> {
        let mut seen = std::collections::BTreeSet::new();
        self.forced
            .iter()
            .flat_map(|f| f.items.iter().copied())
            .filter(|i| seen.insert(*i))
            .collect()
    }

    /// Compiles `rules` against `view`.
    pub fn new(view: RunView<'_>, rules: &Overrides) -> Self {
        let n = view.items.len();
        let mut warnings = Vec::new();
        let mut lookup = |what: &str, ids: &[String]| -> Vec<u32> {
            let mut out = Vec::with_capacity(ids.len());
            let mut unknown = Vec::new();
            for id in ids {
                let id = id.trim();
                match view
                    .items
                    .get(id)
                    .or_else(|| view.items.get(&id.to_uppercase()))
                {
                    Some(i) => out.push(i),
                    None => unknown.push(id.to_owned()),
                }
            }
            if !unknown.is_empty() {
                warnings.push(format!(
                    "{what}: {} not in the run's products, ignored: {}",
                    plural(unknown.len(), "product"),
                    shorten(&unknown)
                ));
            }
            out
        };
        let hard_items = lookup("exclude_items", &rules.exclude_items);
        let only = lookup("only_items", &rules.only_items);
        let includes: Vec<Vec<u32>> = rules
            .include
            .iter()
            .map(|r| lookup("include", &r.items))
            .collect();
        let boost_items: Vec<Vec<u32>> = rules
            .boost
            .iter()
            .map(|r| lookup("boost", &r.items))
            .collect();

        let mut hard = vec![false; n];
        for &i in &hard_items {
            hard[i as usize] = true;
        }
        let mut soft = vec![false; n];
        if let Some(cut) = rules.exclude_popular {
            for &i in view.popularity.ranking().iter().take(cut.count(n)) {
                soft[i as usize] = true;
            }
        }
        let needs_words =
            !rules.exclude_matching.is_empty() || rules.boost.iter().any(|b| b.matching.is_some());
        let item_words: Vec<Vec<String>> = if needs_words {
            view.descriptions
                .iter()
                .map(|d| words(d).collect())
                .collect()
        } else {
            Vec::new()
        };
        let matching = |query: &str| -> Vec<bool> {
            let q: Vec<String> = words(query).collect();
            (0..n)
                .map(|i| {
                    let have = item_words.get(i).map_or(&[][..], Vec::as_slice);
                    !q.is_empty() && q.iter().all(|w| have.contains(w))
                })
                .collect()
        };
        for query in &rules.exclude_matching {
            let m = matching(query);
            let hits = m.iter().filter(|&&b| b).count();
            if hits == 0 {
                warnings.push(format!(
                    "exclude_matching '{query}': no product description has all its words"
                ));
            }
            for (s, hit) in soft.iter_mut().zip(m) {
                *s |= hit;
            }
        }
        let day = 86_400i64;
        if let Some(days) = rules.exclude_stale_days {
            match view.catalog.reference_time {
                Some(now) if view.catalog.last_sale.len() == n => {
                    let cutoff = now - i64::from(days) * day;
                    for (s, &last) in soft.iter_mut().zip(&view.catalog.last_sale) {
                        *s |= last != Catalog::NO_DATE && last < cutoff;
                    }
                }
                _ => warnings.push(
                    "exclude_stale_days: the run has no sales dates, rule ignored".to_owned(),
                ),
            }
        }
        if !rules.only_items.is_empty() {
            let mut allowed = vec![false; n];
            for &i in &only {
                allowed[i as usize] = true;
            }
            for (s, a) in soft.iter_mut().zip(allowed) {
                *s |= !a;
            }
        }

        let mut forced = Vec::new();
        for (rule, items) in rules.include.iter().zip(includes) {
            let mut items: Vec<u32> = items;
            if let Some(days) = rule.new_within_days {
                match view.catalog.reference_time {
                    Some(now) if view.catalog.first_sale.len() == n => {
                        let since = now - i64::from(days) * day;
                        let mut fresh: Vec<u32> = (0..n as u32)
                            .filter(|&i| {
                                let f = view.catalog.first_sale[i as usize];
                                f != Catalog::NO_DATE && f >= since
                            })
                            .collect();
                        fresh.sort_by(|&a, &b| {
                            view.popularity.counts[b as usize]
                                .total_cmp(&view.popularity.counts[a as usize])
                                .then(a.cmp(&b))
                        });
                        if fresh.is_empty() {
                            warnings.push(format!(
                                "include new_within_days = {days}: no product was first sold in that window"
                            ));
                        }
                        items.extend(fresh);
                    }
                    _ => warnings.push(
                        "include new_within_days: the run has no sales dates, rule ignored"
                            .to_owned(),
                    ),
                }
            }
            let conflicts: Vec<String> = items
                .iter()
                .filter(|&&i| hard[i as usize])
                .map(|&i| view.items.name(i).to_owned())
                .collect();
            if !conflicts.is_empty() {
                warnings.push(format!(
                    "include and exclude_items both name {}: exclude wins",
                    shorten(&conflicts)
                ));
            }
            items.retain(|&i| !hard[i as usize]);
            let mut seen = rustc_hash::FxHashSet::default();
            items.retain(|&i| seen.insert(i));
            if let Some(limit) = rule.limit {
                items.truncate(limit);
            }
            let segment = rule.segment.as_deref().map(|s| {
                view.catalog.segment(s).unwrap_or_else(|| {
                    warnings.push(format!(
                        "include segment '{s}' is not a known {} value: rule never applies{}",
                        if view.catalog.segment_column.is_empty() {
                            "segment"
                        } else {
                            &view.catalog.segment_column
                        },
                        suggest(s, &view.catalog.segments)
                    ));
                    Catalog::NONE
                })
            });
            forced.push(Forced {
                items,
                slot: rule.slot.map(|s| s.saturating_sub(1)),
                segment,
            });
        }

        let mut boost: Option<Vec<(f32, f32)>> = None;
        for (rule, items) in rules.boost.iter().zip(boost_items) {
            let b = boost.get_or_insert_with(|| vec![(1.0, 0.0); n]);
            let mut hit = vec![false; n];
            for i in items {
                hit[i as usize] = true;
            }
            if let Some(q) = &rule.matching {
                let m = matching(q);
                if !m.iter().any(|&x| x) {
                    warnings.push(format!(
                        "boost '{q}': no product description has all its words"
                    ));
                }
                for (h, x) in hit.iter_mut().zip(m) {
                    *h |= x;
                }
            }
            let multiply = if rule.multiply.is_finite() && rule.multiply > 0.0 {
                rule.multiply
            } else {
                warnings.push(format!(
                    "boost multiply = {} ignored: it must be a positive number",
                    rule.multiply
                ));
                1.0
            };
            let add = if rule.add.is_finite() { rule.add } else { 0.0 };
            for (slot, h) in b.iter_mut().zip(hit) {
                if h {
                    slot.0 *= multiply;
                    slot.1 = slot.1 * multiply + add;
                }
            }
        }

        let rebuy = rebuy::resolve(rules, &mut warnings);
        let blocked: Vec<bool> = hard.iter().zip(&soft).map(|(&h, &s)| h || s).collect();
        if blocked.iter().all(|&b| b) && n > 0 {
            warnings.push("the rules exclude every product: lists will be empty".to_owned());
        }
        let prepared = view
            .model
            .model()
            .prepare(rules.cold_start == ColdStartPolicy::FoldIn);
        let segment_buyers = (rules.cold_start == ColdStartPolicy::SegmentPopularity
            && !view.catalog.segments.is_empty())
        .then(|| view.catalog.segment_buyers(view.train));
        Self {
            exclude_seen: rules.exclude_seen,
            rebuy,
            blocked,
            boost,
            forced,
            cold_start: rules.cold_start,
            prepared,
            segment_buyers,
            warnings,
            rules: rules.clone(),
        }
    }
}

impl<'a> Engine<'a> {
    /// The run this engine ranks for.
    pub fn view(&self) -> RunView<'a> {
        self.view
    }

    /// Products the rules leave as candidates (forced ones aside).
    pub fn candidates(&self) -> usize {
        self.blocked.iter().filter(|&&b| !b).count()
    }

    /// The run's customer `id`, or a new customer with `history` (product ids; unknown
    /// ones are reported in the second value) and `segment`. A known customer's `history`
    /// is not read (see [`Engine::customer_with_recent`]).
    pub fn customer<'q>(
        &self,
        id: &str,
        history: &'q mut Vec<u32>,
        history_ids: &[String],
        segment: Option<&str>,
    ) -> (Customer<'q>, Vec<String>) {
        let id = crate::data::values::normalise_id(id).unwrap_or(id);
        if let Some(u) = self.view.users.get(id) {
            return (Customer::Known(u), Vec::new());
        }
        self.new_customer(history, history_ids, segment)
    }

    /// [`Engine::customer`], except that a known customer whose `history` holds purchases
    /// the model has not seen for them (bought since it was trained) is folded in afresh
    /// from their training products and those, in their own segment: the list then
    /// reflects the recent purchases and leaves them out as bought. What the server does
    /// with a request's `history`.
    pub fn customer_with_recent<'q>(
        &self,
        id: &str,
        history: &'q mut Vec<u32>,
        history_ids: &[String],
        segment: Option<&str>,
    ) -> (Customer<'q>, Vec<String>) {
        let id = crate::data::values::normalise_id(id).unwrap_or(id);
        let Some(u) = self.view.users.get(id) else {
            return self.new_customer(history, history_ids, segment);
        };
        let (bought, _) = self.view.train.row(u as usize);
        let unknown = self.read_history(history, history_ids);
        history.retain(|i| bought.binary_search(i).is_err());
        if history.is_empty() {
            return (Customer::Known(u), unknown);
        }
        history.extend_from_slice(bought);
        history.sort_unstable();
        history.dedup();
        let segment = self
            .view
            .catalog
            .user_segment
            .get(u as usize)
            .copied()
            .filter(|&s| s != Catalog::NONE);
        (
            Customer::New {
                history: history.as_slice(),
                segment,
            },
            unknown,
        )
    }

    /// Fills `history` with the run's indices of `history_ids` (sorted, distinct) and
    /// returns the ids the run does not know.
    fn read_history(&self, history: &mut Vec<u32>, history_ids: &[String]) -> Vec<String> {
        let mut unknown = Vec::new();
        history.clear();
        for h in history_ids {
            match self.view.items.get(h.trim()) {
                Some(i) => history.push(i),
                None => unknown.push(h.clone()),
            }
        }
        history.sort_unstable();
        history.dedup();
        unknown
    }

    /// A customer the model never saw, from `history_ids` and `segment`.
    fn new_customer<'q>(
        &self,
        history: &'q mut Vec<u32>,
        history_ids: &[String],
        segment: Option<&str>,
    ) -> (Customer<'q>, Vec<String>) {
        let unknown = self.read_history(history, history_ids);
        let segment = segment.and_then(|s| self.view.catalog.segment(s));
        (
            Customer::New {
                history: history.as_slice(),
                segment,
            },
            unknown,
        )
    }

    /// `customer`'s top `k` with the rules applied; `scores` is scratch space.
    pub fn recommend(
        &self,
        customer: Customer<'_>,
        k: usize,
        scores: &mut Vec<f32>,
    ) -> Vec<Scored> {
        scores.clear();
        scores.resize(self.view.items.len(), 0.0);
        let reason = self.score(customer, scores);
        self.finish(customer, reason, scores, k)
    }

    /// Lists for many known customers at once, in parallel, scored in blocks.
    pub fn recommend_known(&self, users: &[u32], k: usize) -> Vec<Vec<Scored>> {
        const BLOCK: usize = 64;
        let n = self.view.items.len();
        let model = self.view.model.as_recommender();
        users
            .par_chunks(BLOCK)
            .map_init(
                || vec![0f32; BLOCK * n],
                |buf, block| {
                    let buf = &mut buf[..block.len() * n];
                    model.score_block(block, self.view.train, buf);
                    block
                        .iter()
                        .zip(buf.chunks_exact_mut(n))
                        .map(|(&u, row)| {
                            rebuy::blend(row, self.view.train.row(u as usize), self.rebuy);
                            self.finish(Customer::Known(u), Reason::Model, row, k)
                        })
                        .collect::<Vec<_>>()
                },
            )
            .flatten_iter()
            .collect()
    }

    /// Writes raw scores and says where they came from.
    fn score(&self, customer: Customer<'_>, scores: &mut [f32]) -> Reason {
        let model = self.view.model.as_recommender();
        match customer {
            Customer::Known(u) => {
                let history = self.view.train.row(u as usize);
                model.score_user(u, history, scores);
                rebuy::blend(scores, history, self.rebuy);
                Reason::Model
            }
            Customer::New { history, segment } => {
                let reason = self.cold(history, segment, scores);
                if self.rebuy > 0.0 {
                    rebuy::blend(scores, (history, &vec![1.0; history.len()]), self.rebuy);
                }
                reason
            }
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn shorten(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if ids.len() > 5 { ", ..." } else { "" }
    )
}

pub mod audience;
mod cold_start;
mod explain;
mod finish;

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;

fn suggest(text: &str, options: &[String]) -> String {
    let refs: Vec<&str> = options.iter().map(String::as_str).collect();
    crate::models::hyper::nearest(text, &refs)
        .map_or_else(String::new, |s| format!(" (did you mean '{s}'?)"))
}
