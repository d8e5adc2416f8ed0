//! The words about a customer's buying that head Inspect: how many purchases, and the
//! first and last day they bought ("112 purchases · bought 2010-12-01 to 2011-12-08"), from the data the Data screen loaded (the run keeps
//! only each product's last day, so the first purchase and the basket count come from
//! there). Without that data, the last day the run knows stands alone.

use crate::format::thousands;
use crate::jobs::profiling::people::CustomerCount;

/// "112 purchases · bought 2010-12-01 to 2011-12-08", as far as known.
pub fn purchase_parts(data: Option<&CustomerCount>, run_last: Option<i64>) -> Vec<String> {
    let day = crate::data::timestamps::format_day;
    let mut parts = Vec::new();
    if let Some(c) = data {
        let n = c.purchases as usize;
        parts.push(format!(
            "{} purchase{}",
            thousands(n),
            if n == 1 { "" } else { "s" }
        ));
    }
    match (
        data.and_then(|c| c.first),
        data.and_then(|c| c.last).or(run_last),
    ) {
        (Some(first), Some(last)) if day(first) == day(last) => {
            parts.push(format!("bought {}", day(last)));
        }
        (Some(first), Some(last)) => {
            parts.push(format!("bought {} to {}", day(first), day(last)));
        }
        (_, Some(last)) => parts.push(format!("last bought {}", day(last))),
        (_, None) => {}
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchases_are_counted_in_the_singular_or_plural_with_both_days() {
        let mut c = CustomerCount {
            id: "12349".into(),
            country: "Italy".into(),
            products: 5,
            lines: 73,
            purchases: 1,
            first: Some(1_321_833_600),
            last: Some(1_321_833_600),
        };
        assert_eq!(
            purchase_parts(Some(&c), None).join(" · "),
            "1 purchase · bought 2011-11-21"
        );
        c.purchases = 1200;
        c.first = Some(1_291_161_600);
        assert_eq!(
            purchase_parts(Some(&c), None)[1],
            "bought 2010-12-01 to 2011-11-21"
        );
        assert!(purchase_parts(Some(&c), None)[0] == "1,200 purchases");
        assert_eq!(
            purchase_parts(None, Some(1_321_833_600)),
            ["last bought 2011-11-21"]
        );
    }
}
