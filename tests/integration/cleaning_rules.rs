use std::fmt::Write;

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

const UCI: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

#[test]
fn absurd_quantities_and_prices_are_a_counted_drop_reason() {
    let scratch = Scratch::new();
    let data = scratch.write(
        "amounts.csv",
        format!(
            "{UCI}2001,P1,x,inf,12/1/2010 8:26,1.0,17850,UK
2002,P2,x,1,12/1/2010 8:26,-nan,17850,UK
2003,P3,x,1e23,12/1/2010 8:26,1.0,17850,UK
2004,P4,x,1,12/1/2010 8:26,2e9,17850,UK
2005,P5,x,-inf,12/1/2010 8:26,1.0,17850,UK
2006,P6,x,2,12/2/2010 9:00,1.0,17850,UK
2007,P7,x,1,12/2/2010 9:00,1.0,12583,UK
"
        ),
    );
    let v: serde_json::Value =
        serde_json::from_str(scratch.run(["data", "profile", "--json", s(&data)]).ok()).unwrap();
    assert_eq!(dropped(&v, "absurd_amount"), 5, "{v}");
    assert_eq!(
        dropped(&v, "cancellation"),
        0,
        "-inf is absurd, not a return"
    );
    assert_eq!(v["cleaning"]["rows_kept"], 2);
    let out = scratch.run(["data", "profile", s(&data)]).ok().to_owned();
    assert!(
        out.contains("absurd quantity or price at line 2: column 'Quantity' = 'inf'"),
        "{out}"
    );

    // When they are all there is, the error names the reason, the line and the column.
    let all_bad = scratch.write(
        "inf.csv",
        format!("{UCI}2001,P1,x,inf,12/1/2010 8:26,1.0,17850,UK\n2002,P2,x,1,12/1/2010 8:26,+NaN,17850,UK\n2003,P3,x,1,12/1/2010 8:26,infinity,17850,UK\n"),
    );
    let err = scratch
        .run([
            "train",
            "--data",
            s(&all_bad),
            "--out",
            s(&scratch.path("run")),
        ])
        .input_error()
        .to_owned();
    assert!(!err.contains("diverged"), "{err}");
    assert!(
        err.contains("inf.csv") && err.contains("absurd quantity or price (3 lines"),
        "{err}"
    );
    assert!(err.contains("line 2: column 'Quantity' = 'inf'"), "{err}");
}

#[test]
fn far_off_dates_are_dropped_and_do_not_move_the_retention_date() {
    let scratch = Scratch::new();
    let mut text = String::from("user_id,item_id,timestamp\n");
    for (n, day) in (1..=20).enumerate() {
        writeln!(text, "c{},item{},2011-01-{day:02} 10:00", n % 5, n % 7).unwrap();
    }
    text.push_str("c9,item1,2099-01-01 08:00\n"); // line 22
    text.push_str("c8,item2,1900-01-01\n");
    text.push_str("c7,item3,0001-01-01\n");
    let data = scratch.write("dates.csv", text);
    let v: serde_json::Value = serde_json::from_str(
        scratch
            .run([
                "data",
                "profile",
                "--json",
                "--retention-days",
                "30",
                s(&data),
            ])
            .ok(),
    )
    .unwrap();
    assert_eq!(dropped(&v, "implausible_date"), 3, "{v}");
    assert_eq!(dropped(&v, "outside_window"), 0, "{v}");
    assert_eq!(v["cleaning"]["rows_kept"], 20);
    assert_eq!(v["users"], 5, "the window ends on the last believable day");
    assert_eq!(v["date_range"][1], "2011-01-20 10:00:00");
    let out = scratch.run(["data", "profile", s(&data)]).ok().to_owned();
    assert!(
        out.contains("implausible date at line 22: column 'timestamp' = '2099-01-01 08:00:00'"),
        "{out}"
    );
}

#[test]
fn integer_timestamps_in_micro_and_nanoseconds_keep_their_year() {
    let scratch = Scratch::new();
    let data = scratch.write(
        "epoch.csv",
        "user_id,item_id,timestamp\nu1,i1,1291191960000000\nu2,i2,1291191960000000000\nu3,i3,1291191960\n",
    );
    let v: serde_json::Value =
        serde_json::from_str(scratch.run(["data", "profile", "--json", s(&data)]).ok()).unwrap();
    assert_eq!(v["cleaning"]["rows_kept"], 3, "{v}");
    assert_eq!(v["date_range"][0], "2010-12-01 08:26:00");
    assert_eq!(v["date_range"][1], "2010-12-01 08:26:00");
}
