//! The Inspect screen's state: one customer's history beside their recommendations.
//!
//! Everything here is computed from a loaded run in well under a millisecond, so it is
//! recomputed on the UI thread at every keystroke. Search indexing is a job.

pub mod audience;
mod drill;
pub mod newcomer;
pub mod pick;
pub mod reason;
mod rule_notes;
mod rules_summary;
pub mod truth;
pub mod view;
pub mod who;

use std::sync::Arc;

use ratatui::crossterm::event::KeyEvent;

use crate::jobs::JobEvent;
use crate::tui::app::{AppState, Command, Status};
use crate::tui::line_edit::{LineEdit, edit_line};

use crate::recommend::IncludeRule;
use crate::recommend::engine::CompiledRules;
use crate::recommend::{Customer, Engine, Explanation, Overrides, Reason, Scored, similar_items};
use crate::search::SearchIndex;
use crate::store::Run;
pub use rules_summary::rules_summary;
use truth::{Truth, hit_customers};

/// A loaded run and the customer being looked at.
#[derive(Debug, Clone, Default)]
pub struct InspectState {
    pub run: Option<Arc<Run>>,
    pub run_label: String,
    /// What the analyst typed in the customer search.
    pub query: String,
    /// True while the search box has the keyboard.
    pub searching: bool,
    /// Customer ids matching the query (first 200), and the one highlighted in the pick list.
    pub matches: Vec<u32>,
    pub pick: usize,
    /// The customer shown, by index in the run, with whether they are known.
    pub customer: Option<u32>,
    /// `(product, value, last purchase time)` of the customer's training history,
    /// strongest first.
    pub history: Vec<(u32, f32, Option<i64>)>,
    pub recommendations: Vec<Scored>,
    pub selected: usize,
    /// Products similar to the highlighted recommendation.
    pub similar: Vec<Scored>,
    /// Which purchases make the highlighted recommendation.
    pub because: Option<Explanation>,
    /// The business rules in force (the run's `[overrides]`, toggled here).
    pub rules: Overrides,
    pub compiled: Option<Arc<CompiledRules>>,
    /// The run's search index, once built; prefix matching until then.
    pub index: Option<Arc<SearchIndex>>,
    /// The job building it.
    pub index_job: Option<crate::jobs::JobId>,
    /// Large, clean layout for business demos.
    pub demo: bool,
    pub top: usize,
    /// What the shown customer bought after the cut-off, when the run has a hold-out.
    pub truth: Option<Truth>,
    /// Customers whose evaluated list has a hit, most hits first: the demo steps these.
    pub hit_customers: Vec<u32>,
    /// Each recommendation's reason as a business sentence ("because they bought …").
    pub sentences: Vec<String>,
    /// The first history row shown (PgDn / PgUp scroll a long history).
    pub history_offset: usize,
    /// The searched customer as the run's data knows them, when the model does not.
    pub newcomer: Option<crate::experiment::customer_lookup::DataCustomer>,
    /// The job looking them up.
    pub lookup: Option<crate::jobs::JobId>,
    /// The customers most likely to buy a product, while that table is open (`a`).
    pub audience: Option<audience::AudienceView>,
}

impl InspectState {
    /// Shows `run`, starting with its first customer.
    pub fn set_run(&mut self, run: Arc<Run>, label: String) {
        self.top = run.config.recommend.reco_item.clamp(1, 50);
        self.rules = run.config.overrides.clone();
        self.compiled = Some(Engine::new(run.view(), &self.rules).compiled());
        self.index = None;
        self.index_job = None;
        self.audience = None;
        self.hit_customers = run
            .holdout
            .as_ref()
            .map(|h| hit_customers(h, self.top))
            .unwrap_or_default();
        self.run = Some(run);
        self.run_label = label;
        self.update_matches();
        let first = self.matches.first().copied().or(Some(0));
        self.show(first);
    }

    /// Makes search use `index` and refreshes the matches.
    pub fn set_index(&mut self, index: Arc<SearchIndex>) {
        self.index = Some(index);
        self.update_matches();
    }

    /// Recomputes the customers matching the query: the search index (id prefixes,
    /// countries) when it is built, else id prefix first, then substring.
    pub fn update_matches(&mut self) {
        let Some(run) = &self.run else { return };
        let q = self.query.trim();
        if let (Some(index), false) = (&self.index, q.is_empty())
            && let Ok(hits) = index.customers(q, 200)
        {
            self.matches = hits.iter().filter_map(|h| run.users.get(&h.id)).collect();
            return;
        }
        let names = run.users.names();
        let mut prefix: Vec<u32> = Vec::new();
        let mut inner: Vec<u32> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if q.is_empty() || name.starts_with(q) {
                prefix.push(i as u32);
            } else if name.contains(q) {
                inner.push(i as u32);
            }
            if prefix.len() >= 200 {
                break;
            }
        }
        prefix.extend(inner);
        prefix.truncate(200);
        self.matches = prefix;
    }

    /// Shows customer `user` (an index of the run), or a new customer's list.
    pub fn show(&mut self, user: Option<u32>) {
        self.customer = user;
        self.selected = 0;
        self.history_offset = 0;
        let Some(run) = self.run.clone() else { return };
        let Some(engine) = self.engine(&run) else {
            return;
        };
        let mut scratch = Vec::new();
        let Some(u) = user.filter(|&u| (u as usize) < run.users.len()) else {
            // A newcomer the data knows is served from their purchases and country.
            let (history, segment) = match self.searched_newcomer() {
                Some(c) => (c.history.clone(), c.segment),
                None => (Vec::new(), None),
            };
            self.history = history.iter().map(|&i| (i, 1.0, None)).collect();
            self.truth = None;
            self.sentences.clear();
            self.recommendations = engine.recommend(
                Customer::New {
                    history: &history,
                    segment,
                },
                self.top,
                &mut scratch,
            );
            self.refresh_similar();
            return;
        };
        let (items, values) = run.train.row(u as usize);
        let start = run.train.indptr()[u as usize];
        let mut history: Vec<(u32, f32, Option<i64>)> = items
            .iter()
            .zip(values)
            .enumerate()
            .map(|(k, (&i, &v))| {
                let when = run
                    .train_times
                    .as_ref()
                    .and_then(|t| t.get(start + k))
                    .copied()
                    .filter(|&t| t != crate::recommend::Catalog::NO_DATE);
                (i, v, when)
            })
            .collect();
        history.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        self.history = history;
        self.recommendations = engine.recommend(Customer::Known(u), self.top, &mut scratch);
        self.truth = Truth::of(&run, u);
        self.sentences = self
            .recommendations
            .iter()
            .map(|r| self.sentence(&engine, u, r))
            .collect();
        self.refresh_similar();
    }

    /// The looked-up newcomer, when they are the customer searched for.
    pub fn searched_newcomer(&self) -> Option<&crate::experiment::customer_lookup::DataCustomer> {
        let q = self.query.trim();
        let q = crate::data::values::normalise_id(q).unwrap_or(q);
        self.newcomer.as_ref().filter(|c| c.id == q)
    }

    /// Why `r` is suggested to customer `u`, as a business audience says it.
    fn sentence(&self, engine: &Engine<'_>, u: u32, r: &Scored) -> String {
        let bought = |parts: &[(u32, f32)]| -> Option<String> {
            let names: Vec<String> = parts
                .iter()
                .filter(|(_, c)| *c > 0.0)
                .take(2)
                .map(|&(j, _)| {
                    let d = self.description(j);
                    if d.is_empty() {
                        self.item_id(j).to_owned()
                    } else {
                        d.to_lowercase()
                    }
                })
                .collect();
            (!names.is_empty()).then(|| format!("because they bought {}", names.join(" and ")))
        };
        match r.reason {
            Reason::Model | Reason::Boosted => engine
                .explain(Customer::Known(u), r.item, 2)
                .and_then(|e| bought(&e.parts))
                .unwrap_or_else(|| "customers who buy like them buy it".to_owned()),
            Reason::Rebuy => "they bought it before and buy again".to_owned(),
            Reason::Forced => "featured by a business rule".to_owned(),
            Reason::PopularityFallback => "a best seller".to_owned(),
            Reason::SegmentPopularity => "a best seller in their country".to_owned(),
            Reason::FoldIn => "from what they just bought".to_owned(),
        }
    }

    /// Turns the demo view on or off. A demo opens on a real story: when the customer
    /// shown has no suggestion they went on to buy, it moves to the customer with the
    /// most such hits and says so.
    pub fn toggle_demo(&mut self) -> Option<String> {
        self.demo = !self.demo;
        if !self.demo || self.current_hits() > 0 {
            return None;
        }
        let first = *self.hit_customers.first()?;
        let before = self.customer_id().map(str::to_owned);
        self.show(Some(first));
        Some(format!(
            "{}demo opens on customer {}, whose suggestions were bought; n / p step through such customers",
            before.map_or(String::new(), |b| format!(
                "customer {b} bought none of their suggestions: "
            )),
            self.customer_id().unwrap_or("")
        ))
    }

    /// Suggestions shown that the customer bought after the cut-off.
    pub fn current_hits(&self) -> usize {
        self.truth.as_ref().map_or(0, |t| {
            self.recommendations
                .iter()
                .filter(|r| t.has(r.item))
                .count()
        })
    }

    fn engine<'r>(&self, run: &'r Run) -> Option<Engine<'r>> {
        Some(Engine::with(
            run.view(),
            Arc::clone(self.compiled.as_ref()?),
        ))
    }

    /// Forces the two most bought new products (first sold in the data's last 30 days)
    /// in at slot 3, or stops forcing them; says what "new" means and which products.
    pub fn toggle_include_new(&mut self) -> String {
        let before = self.rules.include.len();
        self.rules.include.retain(|r| r.new_within_days.is_none());
        if self.rules.include.len() == before {
            self.rules.include.push(IncludeRule {
                new_within_days: Some(30),
                limit: Some(2),
                slot: Some(3),
                ..IncludeRule::default()
            });
        }
        self.recompile();
        if !self
            .rules
            .include
            .iter()
            .any(|r| r.new_within_days.is_some())
        {
            return "new products no longer forced in".to_owned();
        }
        let forced = self
            .compiled
            .as_ref()
            .map(|c| c.forced_items())
            .unwrap_or_default();
        if forced.is_empty() {
            let why = self
                .compiled
                .as_ref()
                .and_then(|c| c.warnings.last().cloned())
                .unwrap_or_default();
            return format!("no new product to force in: {why}");
        }
        let names: Vec<String> = forced.iter().map(|&i| self.item_id(i).to_owned()).collect();
        format!(
            "new = first sold in the data's last 30 days: forcing the 2 most bought ({}) in at slot 3",
            names.join(", ")
        )
    }

    /// Changes the rules with `f` and shows the result at once.
    pub fn edit_rules(&mut self, f: impl FnOnce(&mut Overrides)) {
        f(&mut self.rules);
        self.recompile();
    }

    pub(super) fn recompile(&mut self) {
        if let Some(run) = self.run.clone() {
            self.compiled = Some(Engine::new(run.view(), &self.rules).compiled());
        }
        self.show(self.customer);
    }

    /// The rules in force, in a few words.
    pub fn rules_summary(&self) -> String {
        rules_summary(&self.rules)
    }

    /// Steps to the next (`+1`) or previous (`-1`) customer: in the demo, among customers
    /// who bought a suggestion after the cut-off; else among several search matches when
    /// there are some, else through every customer of the run.
    pub fn step_customer(&mut self, delta: isize) {
        let Some(n_users) = self.run.as_ref().map(|r| r.users.len()) else {
            return;
        };
        if n_users == 0 {
            return;
        }
        if self.demo && !self.hit_customers.is_empty() {
            let hits = &self.hit_customers;
            let next = match self
                .customer
                .and_then(|c| hits.iter().position(|&h| h == c))
            {
                Some(at) => (at as isize + delta).rem_euclid(hits.len() as isize) as usize,
                None => 0,
            };
            self.show(Some(self.hit_customers[next]));
        } else if self.matches.len() > 1 {
            let at = self
                .customer
                .and_then(|c| self.matches.iter().position(|&m| m == c))
                .unwrap_or(0) as isize;
            let next = (at + delta).rem_euclid(self.matches.len() as isize) as usize;
            self.show(Some(self.matches[next]));
        } else {
            let at = self.customer.unwrap_or(0) as isize;
            self.show(Some((at + delta).rem_euclid(n_users as isize) as u32));
        }
    }

    /// Moves the highlight in the recommendation list.
    pub fn move_selection(&mut self, delta: isize) {
        if self.recommendations.is_empty() {
            return;
        }
        let n = self.recommendations.len() as isize;
        self.selected = ((self.selected as isize + delta).clamp(0, n - 1)) as usize;
        self.refresh_similar();
    }

    fn refresh_similar(&mut self) {
        let (Some(run), Some(rec)) = (self.run.clone(), self.recommendations.get(self.selected))
        else {
            self.similar.clear();
            self.because = None;
            return;
        };
        let item = rec.item;
        self.similar = similar_items(&run.model, item, 5).unwrap_or_default();
        self.because = match (self.engine(&run), self.customer) {
            (Some(engine), Some(u)) => engine.explain(Customer::Known(u), item, 3),
            _ => None,
        };
    }

    /// The run's description of product `item`.
    pub fn description(&self, item: u32) -> &str {
        self.run
            .as_ref()
            .and_then(|r| r.descriptions.get(item as usize))
            .map_or("", String::as_str)
    }

    /// The run's id of product `item`.
    pub fn item_id(&self, item: u32) -> &str {
        self.run.as_ref().map_or("", |r| r.items.name(item))
    }

    /// Scrolls the history by `delta` rows, keeping at least one row shown.
    pub fn scroll_history(&mut self, delta: isize) {
        let last = self.history.len().saturating_sub(1) as isize;
        self.history_offset = (self.history_offset as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Who the customer shown is, in one line: id, country, products bought and the last
    /// purchase ("customer 14606 · United Kingdom · 23 products · last bought 2011-01-19").
    pub fn customer_line(
        &self,
        data: Option<&crate::jobs::profiling::people::CustomerCount>,
    ) -> Option<String> {
        let run = self.run.as_ref()?;
        let u = self.customer?;
        let mut parts = vec![format!("customer {}", run.users.name(u))];
        if let Some(country) = run.catalog.user_segment_name(u) {
            parts.push(country.to_owned());
        }
        let n = self.history.len();
        parts.push(format!("{n} product{}", if n == 1 { "" } else { "s" }));
        let last = self.history.iter().filter_map(|h| h.2).max();
        parts.extend(who::purchase_parts(data, last));
        Some(parts.join(" · "))
    }

    /// The id of the customer shown.
    pub fn customer_id(&self) -> Option<&str> {
        Some(self.run.as_ref()?.users.name(self.customer?))
    }

    /// A recommendation's score as what it is: a count of buyers for a best seller or the
    /// popularity model (`831`, not `831.000`), the model's score otherwise.
    pub fn score_text(&self, r: &Scored) -> String {
        // Not `score_label`, which scans the whole list: this runs for every row drawn.
        let counts = is_best_seller(r)
            || (self.run.as_ref()).is_some_and(|run| run.meta.model.score_unit() == "buyers");
        if counts {
            format!("{:.0}", r.score)
        } else {
            format!("{:.3}", r.score)
        }
    }

    /// What the score column holds: buyers for the popularity model (or a list of best
    /// sellers only), the predicted rating
    /// for a model that predicts ratings (unless re-buys are blended into the scores),
    /// else a score with no unit.
    pub fn score_label(&self) -> &'static str {
        let only_best_sellers =
            !self.recommendations.is_empty() && self.recommendations.iter().all(is_best_seller);
        match &self.run {
            _ if only_best_sellers => "buyers",
            Some(run) if self.rules.exclude_seen && run.model.model().predicts_ratings() => {
                "rating"
            }
            Some(run) => run.meta.model.score_unit(),
            None => "score",
        }
    }
}

/// A best seller shown for want of the model's own scores (a cold-start policy): its
/// score counts buyers.
fn is_best_seller(r: &Scored) -> bool {
    matches!(
        r.reason,
        Reason::PopularityFallback | Reason::SegmentPopularity
    )
}

impl AppState {
    /// Shows `run` in Inspect and starts indexing it for search.
    pub(crate) fn open_in_inspect(&mut self, run: Arc<Run>, label: String) -> Vec<Command> {
        self.inspect.set_run(Arc::clone(&run), label);
        self.evaluate.set_run(&run);
        let id = self.next_internal_id();
        self.inspect.index_job = Some(id);
        vec![Command::IndexRun { id, run }]
    }

    /// A key typed into the customer search: the first match shows as it is typed.
    pub(crate) fn edit_search(&mut self, key: KeyEvent) -> Vec<Command> {
        use ratatui::crossterm::event::KeyCode;
        let step = match key.code {
            KeyCode::Up => -1,
            KeyCode::Down => 1,
            _ => 0,
        };
        if step != 0 {
            self.inspect.step_pick(step);
            return Vec::new();
        }
        if key.code == KeyCode::Enter && self.inspect.picking() {
            self.inspect.searching = false;
            let picked = self.inspect.matches.get(self.inspect.pick).copied();
            self.inspect.show(picked);
            return Vec::new();
        }
        self.inspect.pick = 0;
        let submitted = match edit_line(&mut self.inspect.query, key) {
            LineEdit::Submit => {
                self.inspect.searching = false;
                true
            }
            LineEdit::Cancel => {
                self.inspect.searching = false;
                false
            }
            LineEdit::Changed => false,
            LineEdit::Ignored => return Vec::new(),
        };
        self.inspect.update_matches();
        let first = self.inspect.matches.first().copied();
        if first.is_some() || self.inspect.query.is_empty() {
            self.inspect.show(first);
        } else {
            // An id the model has never seen: what a new customer would get, and on Enter
            // their own purchases when the run's data has them.
            self.inspect.show(None);
            if submitted && self.inspect.searched_newcomer().is_none() {
                return self.lookup_customer();
            }
        }
        Vec::new()
    }

    pub(crate) fn on_index_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.inspect.index_job != Some(event.id()) {
            return Err(event);
        }
        match event {
            JobEvent::SearchReady { index, .. } => self.inspect.set_index(index),
            JobEvent::Failed { message, .. } => {
                self.status = Status::error(format!("search is unavailable: {message}"));
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}
