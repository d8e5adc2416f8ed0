use crate::util::{Scratch, s, sample};

const HEADER: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

fn rows(lines: &[&str]) -> String {
    let mut text = HEADER.to_owned();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}

#[test]
fn missing_file() {
    let scratch = Scratch::new();
    let missing = scratch.path("nope.csv");
    let err = scratch
        .run(["data", "profile", s(&missing)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("not found") && err.contains("nope.csv"),
        "{err}"
    );
}

#[test]
fn empty_file_and_blank_file() {
    let scratch = Scratch::new();
    for (name, body) in [("empty.csv", ""), ("blank.csv", "\n\n  \n")] {
        let p = scratch.write(name, body);
        let err = scratch
            .run(["data", "profile", s(&p)])
            .input_error()
            .to_owned();
        assert!(err.contains("is empty") && err.contains(name), "{err}");
    }
}

#[test]
fn header_only() {
    let scratch = Scratch::new();
    let p = scratch.write("header.csv", HEADER);
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("has a header but no rows") && err.contains("CustomerID"),
        "{err}"
    );
}

#[test]
fn unknown_delimiter() {
    let scratch = Scratch::new();
    let p = scratch.write("spaces.csv", "user item qty\n1 2 3\n4 5 6\n");
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("cannot find the delimiter") && err.contains("user item qty"),
        "{err}"
    );
}

#[test]
fn no_user_or_item_column_lists_the_columns_and_keys() {
    let scratch = Scratch::new();
    let p = scratch.write("cols.csv", "client_code,sku_code,when\nA,1,2011-01-01\n");
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(err.contains("no user column"), "{err}");
    assert!(
        err.contains("columns found: client_code, sku_code, when"),
        "{err}"
    );
    assert!(
        err.contains("[data]") && err.contains("user, item"),
        "{err}"
    );

    // A configured column that is not there is named too.
    let ws = scratch.write(
        "ws.toml",
        "[data]\nuser = \"client_code\"\nitem = \"product\"\n",
    );
    let err = scratch
        .run(["data", "profile", "--config", s(&ws), s(&p)])
        .input_error()
        .to_owned();
    assert!(err.contains("column 'product' set as [data] item"), "{err}");
}

#[test]
fn unparseable_dates_are_reported_by_default_and_fatal_with_strict() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "dates.csv",
        rows(&[
            "1,A,x,1,12/1/2010 8:26,1.0,17850,UK",
            "2,B,x,1,yesterday,1.0,17850,UK",
            "3,C,x,1,12/1/2010 8:26,1.0,17850,UK",
            "4,D,x,1,31/12/2010 8:26,1.0,17850,UK",
            "5,E,x,1,,1.0,17850,UK",
            "6,F,x,1,2010-13-01,1.0,17850,UK",
        ]),
    );
    let out = scratch.run(["data", "profile", s(&p)]).ok().to_owned();
    assert!(
        out.contains("unparseable date                   4"),
        "{out}"
    );
    assert!(
        out.contains("unparseable date at line 3: 'yesterday'"),
        "{out}"
    );
    assert!(
        out.contains("unparseable date at line 5: '31/12/2010 8:26'"),
        "{out}"
    );
    assert!(
        out.contains("unparseable date at line 6: '(empty)'"),
        "{out}"
    );
    assert!(out.contains("rows kept                         2"), "{out}");

    let err = scratch
        .run(["data", "profile", "--strict", s(&p)])
        .input_error()
        .to_owned();
    assert!(err.contains("4 unparseable dates"), "{err}");
    assert!(
        err.contains("line 3 'yesterday'") && err.contains("line 5 '31/12/2010 8:26'"),
        "{err}"
    );
    assert!(err.contains("date_format"), "{err}");

    // The fix the message suggests works.
    let fixed = scratch.write("dmy.csv", rows(&["1,A,x,1,31/12/2010 8:26,1.0,17850,UK"]));
    let out = scratch
        .run([
            "data",
            "profile",
            "--strict",
            "--date-format",
            "%d/%m/%Y %H:%M",
            s(&fixed),
        ])
        .ok()
        .to_owned();
    assert!(out.contains("2010-12-31 08:26:00"), "{out}");
}

#[test]
fn non_utf8_bytes_name_the_line() {
    let scratch = Scratch::new();
    let mut bytes = rows(&["1,A,x,1,12/1/2010 8:26,1.0,17850,UK"]).into_bytes();
    bytes.extend_from_slice(b"2,B,CAF\xc9 SIGN,1,12/1/2010 8:26,1.0,17850,UK\n");
    let p = scratch.write("latin1.csv", bytes);
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("line 3") && err.contains("0xc9") && err.contains("UTF-8"),
        "{err}"
    );
}

#[test]
fn ragged_rows_name_the_line_and_counts() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "ragged.csv",
        rows(&[
            "1,A,x,1,12/1/2010 8:26,1.0,17850,UK",
            "2,B,x,1,12/1/2010 8:26,1.0,17850",
            "3,C,x,1,12/1/2010 8:26,1.0,17850,UK",
        ]),
    );
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("line 3: 7 fields where the header has 8"),
        "{err}"
    );
}

#[test]
fn text_in_a_numeric_column_names_line_column_and_value() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "qty.csv",
        rows(&[
            "1,A,x,1,12/1/2010 8:26,1.0,17850,UK",
            "2,B,x,two,12/1/2010 8:26,1.0,17850,UK",
        ]),
    );
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("line 3, column 'Quantity': 'two' is not a number"),
        "{err}"
    );
}

#[test]
fn truncated_parquet() {
    let scratch = Scratch::new();
    let full = std::fs::read(sample("online_retail_full.parquet")).unwrap();
    for (name, cut) in [
        ("half.parquet", full.len() / 2),
        ("tail.parquet", full.len() - 100),
        ("head.parquet", 100),
    ] {
        let p = scratch.write(name, &full[..cut]);
        let err = scratch
            .run(["data", "profile", s(&p)])
            .input_error()
            .to_owned();
        assert!(
            err.contains("cannot read Parquet") && err.contains(name),
            "{err}"
        );
    }
}

#[test]
fn retention_window_that_leaves_no_rows() {
    let scratch = Scratch::new();
    let err = scratch
        .run([
            "data",
            "profile",
            "--retention-date",
            "20200101",
            "--retention-days",
            "30",
            s(&sample("online_retail_sample.csv")),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("leaves no rows"), "{err}");
    assert!(
        err.contains("2019-12-03 .. 2020-01-01") && err.contains("2010-12-01 .. 2011-02-23"),
        "{err}"
    );

    let err = scratch
        .run([
            "data",
            "profile",
            "--retention-date",
            "2011-1-1x",
            s(&sample("online_retail_sample.csv")),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("invalid retention_date '2011-1-1x'"), "{err}");
}

#[test]
fn broken_workspace_files() {
    let scratch = Scratch::new();
    let ws = scratch.write("ws.toml", "[data]\nusr = \"CustomerID\"\n");
    let err = scratch
        .run(["data", "profile", "--config", s(&ws)])
        .input_error()
        .to_owned();
    assert!(err.contains("usr") && err.contains("line 2"), "{err}");
    let ws = scratch.write("syntax.toml", "[interactions\nranking_type = 1\n");
    let err = scratch
        .run(["data", "profile", "--config", s(&ws)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("syntax.toml") && err.contains("line 1"),
        "{err}"
    );
    let ws = scratch.write("nodata.toml", "[interactions]\nranking_type = \"count\"\n");
    let err = scratch
        .run(["data", "profile", "--config", s(&ws)])
        .input_error()
        .to_owned();
    assert!(err.contains("no data file"), "{err}");
}

#[test]
fn every_line_dropped_is_a_report_not_a_crash() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "guests.csv",
        rows(&[
            "1,A,x,1,12/1/2010 8:26,1.0,,UK",
            "2,B,x,1,12/1/2010 8:26,1.0,NA,UK",
        ]),
    );
    let out = scratch.run(["data", "profile", s(&p)]).ok().to_owned();
    assert!(
        out.contains("no customer                        2"),
        "{out}"
    );
    assert!(out.contains("no interactions left"), "{out}");
}

#[test]
fn blank_lines_crlf_and_bom_are_not_transactions() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "blank.csv",
        b"\xef\xbb\xbfuser_id;item_id;rating\r\nu1;a;5\r\n\r\nu2;\"b;c\";4\r\n\r\n",
    );
    let v: serde_json::Value =
        serde_json::from_str(scratch.run(["data", "profile", "--json", s(&p)]).ok()).unwrap();
    assert_eq!(v["cleaning"]["rows_read"], 2);
    assert_eq!(v["cleaning"]["rows_kept"], 2);
    assert_eq!(v["items"], 2, "the quoted 'b;c' is one product");
}
