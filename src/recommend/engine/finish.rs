//! The last step of every list: boosts, the rules' masks, top-k, and the forced
//! products merged in at their slots.

use super::{Customer, Engine, Reason, Scored, top_k};

impl Engine<'_> {
    /// Boosts, masks, ranks and merges forced products into the final list.
    pub(super) fn finish(
        &self,
        customer: Customer<'_>,
        reason: Reason,
        scores: &mut [f32],
        k: usize,
    ) -> Vec<Scored> {
        let (seen, segment) = match customer {
            Customer::Known(u) => (
                self.view.train.row(u as usize).0,
                self.view.catalog.user_segment.get(u as usize).copied(),
            ),
            Customer::New { history, segment } => (history, segment),
        };
        let is_seen = |i: u32| self.exclude_seen && seen.binary_search(&i).is_ok();
        let mut boosted = false;
        if let Some(b) = &self.boost {
            for (s, &(mul, add)) in scores.iter_mut().zip(b) {
                if mul != 1.0 || add != 0.0 {
                    *s = if *s >= 0.0 { *s * mul } else { *s / mul } + add;
                    boosted = true;
                }
            }
        }
        // Forced products of the rules that apply to this customer, in rule order.
        let mut slotted: Vec<(usize, Scored)> = Vec::new();
        let mut tail: Vec<Scored> = Vec::new();
        let mut taken = rustc_hash::FxHashSet::default();
        for f in &self.forced {
            if let Some(want) = f.segment
                && segment != Some(want)
            {
                continue;
            }
            let mut placed = 0;
            for &i in &f.items {
                if is_seen(i) || !taken.insert(i) {
                    continue;
                }
                let s = Scored {
                    item: i,
                    score: scores[i as usize],
                    reason: Reason::Forced,
                };
                match f.slot {
                    Some(at) => slotted.push((at + placed, s)),
                    None => tail.push(s),
                }
                placed += 1;
            }
        }
        for &i in &taken {
            scores[i as usize] = f32::NAN;
        }
        for (s, &b) in scores.iter_mut().zip(&self.blocked) {
            if b {
                *s = f32::NAN;
            }
        }
        let n_forced = (slotted.len() + tail.len()).min(k);
        // `top_k` reserves at most the catalogue, whatever `k` is.
        let mut ranked = Vec::new();
        top_k(
            scores,
            k - n_forced,
            if self.exclude_seen { seen } else { &[] },
            reason,
            &mut ranked,
        );
        if boosted
            && reason == Reason::Model
            && let Some(b) = &self.boost
        {
            for s in &mut ranked {
                if b[s.item as usize] != (1.0, 0.0) {
                    s.reason = Reason::Boosted;
                }
            }
        }
        if self.rebuy > 0.0 {
            for s in &mut ranked {
                if seen.binary_search(&s.item).is_ok() {
                    s.reason = Reason::Rebuy;
                }
            }
        }
        if n_forced == 0 {
            return ranked;
        }
        slotted.sort_by_key(|&(at, _)| at);
        let mut out = Vec::with_capacity(k.min(ranked.len() + slotted.len() + tail.len()));
        let mut slotted = slotted.into_iter().peekable();
        let mut tail = tail.into_iter();
        let mut model = ranked.into_iter();
        while out.len() < k {
            let pos = out.len();
            let next = if slotted.peek().is_some_and(|&(at, _)| at <= pos) {
                slotted.next().map(|(_, s)| s)
            } else {
                model
                    .next()
                    .or_else(|| slotted.next().map(|(_, s)| s))
                    .or_else(|| tail.next())
            };
            match next {
                Some(s) => out.push(s),
                None => break,
            }
        }
        out
    }
}
