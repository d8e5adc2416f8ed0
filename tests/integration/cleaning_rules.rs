use crate::util::{Scratch, dropped, s};

/// One line per rule, in the UCI layout, plus two normal purchases of the same product.
const LINES: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1001,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom
1002,85123A,WHITE HANGING HEART,2,12/2/2010 9:00,2.55,17850,United Kingdom
1003,22423,REGENCY CAKESTAND,1,12/2/2010 9:00,12.75,,United Kingdom
1004,,NO CODE,1,12/2/2010 9:00,1.00,17850,United Kingdom
1005,22423,REGENCY CAKESTAND,1,not a date,12.75,17850,United Kingdom
A1006,B,Adjust bad debt,1,12/3/2010 9:00,-11062.06,17850,United Kingdom
C1007,85123A,WHITE HANGING HEART,-2,12/4/2010 9:00,2.55,17850,United Kingdom
1008,POST,POSTAGE,1,12/4/2010 9:00,18.00,12583,France
1009,22423,REGENCY CAKESTAND,1,12/4/2010 9:00,0.00,12583,France
1010,22423,nan,3,12/5/2010 9:00,12.75,12583,France
1010,22423,nan,3,12/5/2010 9:00,12.75,12583,France
";

fn profile(scratch: &Scratch, extra: &[&str]) -> serde_json::Value {
    let data = scratch.write("rules.csv", LINES);
    let mut args = vec!["data", "profile", "--json", s(&data)];
    args.extend_from_slice(extra);
    serde_json::from_str(scratch.run(args).ok()).unwrap()
}

#[test]
fn each_rule_counts_its_line() {
    let scratch = Scratch::new();
    let v = profile(&scratch, &[]);
    let c = &v["cleaning"];
    assert_eq!(c["rows_read"], 11);
    assert_eq!(c["customers_read"], 2, "17850.0 and 17850 are one customer");
    for (reason, n) in [
        ("missing_customer", 1),
        ("missing_item", 1),
        ("unparseable_date", 1),
        ("adjustment_invoice", 1),
        ("cancellation", 1),
        ("non_product_code", 1),
        ("non_positive_price", 1),
        ("duplicate", 1),
        ("outside_window", 0),
    ] {
        assert_eq!(dropped(&v, reason), n, "{reason}: {v}");
    }
    assert_eq!(c["rows_kept"], 3);
    assert_eq!(
        c["missing_descriptions"], 2,
        "the text 'nan' is a missing description"
    );
    assert_eq!(c["bad_date_examples"][0][0], "line 6");
    // count ranking: customer 17850 bought 85123A on two lines, 12583 bought 22423 once.
    assert_eq!(v["nnz"], 2);
    assert_eq!(v["interactions_per_user"]["max"], 1.0);
}

#[test]
fn net_policy_subtracts_returns() {
    let scratch = Scratch::new();
    let ws = scratch.write(
        "net.toml",
        "[cleaning]\ncancellations = \"net\"\n[interactions]\nranking_type = \"quantity\"\n",
    );
    let v = profile(&scratch, &["--config", s(&ws)]);
    assert_eq!(dropped(&v, "cancellation"), 0);
    assert_eq!(v["cleaning"]["returns_netted"], 1);
    assert_eq!(v["cleaning"]["rows_kept"], 4);
    // 6 + 2 − 2 = 6 of 85123A remain for 17850; 3 of 22423 for 12583.
    let split = scratch.path("train.csv");
    let test = scratch.path("test.csv");
    let data = scratch.path("rules.csv");
    scratch
        .run([
            "data",
            "split",
            s(&data),
            "--config",
            s(&ws),
            "--test-from",
            "20101205",
            "--train-out",
            s(&split),
            "--test-out",
            s(&test),
        ])
        .ok();
    let train = std::fs::read_to_string(&split).unwrap();
    assert_eq!(
        train.lines().filter(|l| l.contains(",-2.0,")).count(),
        1,
        "the return is kept as a negative quantity: {train}"
    );
    assert_eq!(v["nnz"], 2);
}

#[test]
fn custom_non_product_codes_and_prefixes() {
    let scratch = Scratch::new();
    let ws = scratch.write(
        "codes.toml",
        "[cleaning]\nnon_product_codes = [\"POST\", \"8512*\"]\n",
    );
    let v = profile(&scratch, &["--config", s(&ws)]);
    // 85123A now matches the prefix 8512*: its two purchases and the cancellation are gone.
    assert_eq!(dropped(&v, "non_product_code"), 3);
    assert_eq!(
        dropped(&v, "cancellation"),
        1,
        "the cancellation rule applies first"
    );
}
