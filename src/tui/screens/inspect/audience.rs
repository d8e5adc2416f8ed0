//! The inverse question asked from Inspect: who is most likely to buy the highlighted
//! product? `a` lists the customers (a job: it scores every customer), with the rules in
//! force, as a table that can be filtered (`/`), copied (`y`, `Y`), saved (`:save`) and
//! opened customer by customer (Enter). Esc goes back to the customer.

pub mod view;

use std::sync::Arc;

use crate::eval::audience::Campaign;
use crate::format::csv_field as field;
use crate::jobs::{JobEvent, JobId};
use crate::store::Run;
use crate::tui::app::{AppState, Command, Status};
use crate::tui::filter::TableFilter;

/// Customers listed: a mailing's size, and the length `latent audience` lists by default.
pub const AUDIENCE_SIZE: usize = 100;

/// The audience table over the Inspect screen.
#[derive(Debug, Clone, Default)]
pub struct AudienceView {
    /// The job computing it, while it runs.
    pub job: Option<JobId>,
    /// The product asked about (a run index).
    pub product: u32,
    /// The rules it was drawn with, in words.
    pub rules: String,
    pub campaign: Option<Campaign>,
    pub filter: TableFilter,
    /// The highlighted row among the shown ones.
    pub selected: usize,
    /// The column the table is sorted by (`s`).
    pub sort: AudienceSort,
}

/// How the audience is ordered: by one of its columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AudienceSort {
    /// The model's score for the product, highest first: the mailing's order.
    #[default]
    Score,
    /// Where the product comes in the customer's own list, first first.
    InTheirList,
    /// Distinct products bought in training, most first.
    Products,
    /// By country, then score.
    Country,
    /// By customer id.
    Customer,
}

impl AudienceSort {
    pub fn next(self) -> Self {
        match self {
            Self::Score => Self::InTheirList,
            Self::InTheirList => Self::Products,
            Self::Products => Self::Country,
            Self::Country => Self::Customer,
            Self::Customer => Self::Score,
        }
    }

    /// The column's header.
    pub fn name(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::InTheirList => "in their list",
            Self::Products => "products",
            Self::Country => "country",
            Self::Customer => "customer",
        }
    }
}

impl AudienceView {
    /// Indices into the campaign's members the filter lets through (customer id, country,
    /// product id), in the order `s` chose (ties in score order).
    pub fn visible(&self, run: &Run) -> Vec<usize> {
        let Some(c) = &self.campaign else {
            return Vec::new();
        };
        let m = self.filter.matcher();
        let country = |i: usize| {
            run.catalog
                .user_segment_name(c.members[i].user)
                .unwrap_or("")
        };
        let mut shown: Vec<usize> = (0..c.members.len())
            .filter(|&i| {
                let member = &c.members[i];
                m.matches([
                    run.users.name(member.user),
                    country(i),
                    run.items.name(member.item),
                ])
            })
            .collect();
        match self.sort {
            AudienceSort::Score => {}
            AudienceSort::InTheirList => shown.sort_by_key(|&i| c.members[i].rank),
            AudienceSort::Products => shown
                .sort_by_key(|&i| std::cmp::Reverse(run.train.row_nnz(c.members[i].user as usize))),
            AudienceSort::Country => shown.sort_by(|&a, &b| country(a).cmp(country(b))),
            AudienceSort::Customer => {
                shown.sort_by(|&a, &b| {
                    run.users
                        .name(c.members[a].user)
                        .cmp(run.users.name(c.members[b].user))
                });
            }
        }
        shown
    }

    /// Moves the highlight among the shown rows.
    pub fn step(&mut self, run: &Run, delta: isize) {
        let n = self.visible(run).len() as isize;
        self.selected = if n == 0 {
            0
        } else {
            (self.selected as isize + delta).clamp(0, n - 1) as usize
        };
    }

    /// Keeps the highlight on a shown row after the filter changed.
    pub fn clamp(&mut self, run: &Run) {
        self.selected = self.selected.min(self.visible(run).len().saturating_sub(1));
    }

    /// The customer index of the highlighted row.
    pub fn selected_customer(&self, run: &Run) -> Option<u32> {
        let at = *self.visible(run).get(self.selected)?;
        Some(self.campaign.as_ref()?.members[at].user)
    }

    /// The shown rows as CSV, header first: what `y` copies and `:save` writes. The
    /// columns are those of `latent audience --out`, with the country.
    pub fn csv(&self, run: &Run) -> Vec<String> {
        let line = |cells: &[&str]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
        let mut lines = vec![line(&[
            "customer",
            "rank",
            "product",
            "description",
            "product_rank",
            "score",
            "country",
        ])];
        let Some(c) = &self.campaign else {
            return lines;
        };
        for i in self.visible(run) {
            let m = &c.members[i];
            lines.push(line(&[
                run.users.name(m.user),
                &(i + 1).to_string(),
                run.items.name(m.item),
                run.descriptions
                    .get(m.item as usize)
                    .map_or("", String::as_str),
                &m.rank.to_string(),
                &format!("{:.6}", m.score),
                run.catalog.user_segment_name(m.user).unwrap_or(""),
            ]));
        }
        lines
    }
}

impl AppState {
    /// Starts listing the customers most likely to buy the highlighted recommendation.
    pub(crate) fn start_audience(&mut self) -> Vec<Command> {
        let s = &self.inspect;
        let Some(product) = s.recommendations.get(s.selected).map(|r| r.item) else {
            self.status = Status::error(if s.run.is_none() {
                "no run open: pick one on the Runs screen (Enter)"
            } else {
                "no product highlighted: pick a customer with suggestions first"
            });
            return Vec::new();
        };
        self.start_audience_of(product)
    }

    /// Starts listing the customers most likely to buy `product` (the open run's index).
    pub(crate) fn start_audience_of(&mut self, product: u32) -> Vec<Command> {
        let s = &self.inspect;
        let (Some(run), Some(rules)) = (s.run.clone(), s.compiled.clone()) else {
            self.status = Status::error("no run open: pick one on the Runs screen (Enter)");
            return Vec::new();
        };
        let id = self.next_internal_id();
        self.inspect.audience = Some(AudienceView {
            job: Some(id),
            product,
            rules: self.inspect.rules_summary(),
            ..AudienceView::default()
        });
        self.status = Status::info(format!(
            "finding the {AUDIENCE_SIZE} customers most likely to buy {}…",
            self.inspect.item_id(product)
        ));
        vec![Command::Audience {
            id,
            run: Arc::clone(&run),
            rules,
            items: vec![product],
            top: AUDIENCE_SIZE,
        }]
    }

    /// Shows the highlighted audience customer in Inspect, closing the table.
    pub(crate) fn open_audience_customer(&mut self) {
        let Some(run) = self.inspect.run.clone() else {
            return;
        };
        let Some(user) = self
            .inspect
            .audience
            .as_ref()
            .and_then(|a| a.selected_customer(&run))
        else {
            return;
        };
        self.inspect.audience = None;
        self.inspect.show(Some(user));
    }

    pub(crate) fn on_audience_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        let Some(view) = self
            .inspect
            .audience
            .as_mut()
            .filter(|a| a.job == Some(event.id()))
        else {
            return Err(event);
        };
        view.job = None;
        match event {
            JobEvent::Audience { campaign, .. } => {
                let note = match &campaign.report {
                    Some(r) if r.below_baseline() => Status::error(r.warning()),
                    _ => Status::info(format!(
                        "{} customers listed: / filters, y / Y copy, :save FILE, Enter opens one, Esc goes back",
                        campaign.members.len()
                    )),
                };
                view.campaign = Some(*campaign);
                self.status = note;
            }
            JobEvent::Failed { message, .. } => {
                self.inspect.audience = None;
                self.status = Status::error(message);
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}
