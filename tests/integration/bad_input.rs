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

#[test]
fn a_directory_a_symlink_loop_and_a_fifo_are_named_input_errors() {
    let scratch = Scratch::new();
    let dir = scratch.path("folder.csv");
    std::fs::create_dir(&dir).unwrap();
    let err = scratch
        .run(["data", "profile", s(&dir)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("folder.csv") && err.contains("is a directory"),
        "{err}"
    );

    let (a, b) = (scratch.path("a.csv"), scratch.path("b.csv"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let err = scratch
        .run(["data", "profile", s(&a)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("a.csv") && err.contains("symbolic link"),
        "{err}"
    );

    let fifo = scratch.path("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let err = scratch
        .run(["data", "profile", s(&fifo)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("pipe.csv") && err.contains("FIFO") && !err.contains("is empty"),
        "{err}"
    );
}

#[test]
fn a_list_typed_parquet_column_is_named() {
    use polars::prelude::*;
    let scratch = Scratch::new();
    let path = scratch.path("lists.parquet");
    let items = Series::new(
        "item_id".into(),
        [
            Series::new("".into(), ["a", "b"]),
            Series::new("".into(), ["c"]),
        ],
    );
    let mut frame = DataFrame::new(
        2,
        vec![Column::new("user_id".into(), ["u1", "u2"]), items.into()],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut frame)
        .unwrap();
    let err = scratch
        .run(["data", "profile", s(&path)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("lists.parquet") && err.contains("column 'item_id'") && err.contains("list"),
        "{err}"
    );
}

#[test]
fn a_bad_date_format_is_refused_up_front_naming_the_specifier() {
    let scratch = Scratch::new();
    let p = scratch.write("dates.csv", rows(&["1,A,x,1,12/1/2010 8:26,1.0,17850,UK"]));
    let err = scratch
        .run(["data", "profile", "--date-format", "%Q%Q%", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("invalid date_format '%Q%Q%'") && err.contains("'%Q'"),
        "{err}"
    );
}

#[test]
fn duplicate_csv_columns_and_two_roles_on_one_column_are_refused() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "dup.csv",
        "CustomerID,StockCode,Quantity,Quantity\n17850,A,1,5\n",
    );
    let err = scratch
        .run(["data", "profile", s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("dup.csv") && err.contains("two columns named 'Quantity'"),
        "{err}"
    );

    let p = scratch.write("ids.csv", "id,when\n1,2011-01-01\n2,2011-01-02\n");
    let ws = scratch.write("ws.toml", "[data]\nuser = \"id\"\nitem = \"id\"\n");
    let err = scratch
        .run(["data", "profile", "--config", s(&ws), s(&p)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("[data] user and [data] item both name column 'id'"),
        "{err}"
    );
}

#[test]
fn nothing_left_names_the_file_and_the_largest_drop_reason() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "guests.csv",
        rows(&[
            "1,A,x,1,12/1/2010 8:26,1.0,,UK",
            "2,B,x,1,12/1/2010 8:26,1.0,NA,UK",
            "3,POST,x,1,12/1/2010 8:26,1.0,17850,UK",
        ]),
    );
    let err = scratch
        .run(["train", "--data", s(&p), "--out", s(&scratch.path("run"))])
        .input_error()
        .to_owned();
    assert!(err.contains("guests.csv"), "{err}");
    assert!(
        err.contains("most as no customer (2 lines, first at line 2"),
        "{err}"
    );
}

#[test]
fn synth_refuses_an_impossible_row_count_before_allocating() {
    let scratch = Scratch::new();
    let out = scratch.path("huge.csv");
    let err = scratch
        .run([
            "data",
            "synth",
            "--rows",
            "18446744073709551615",
            "--out",
            s(&out),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("18446744073709551615") && err.contains("at most 200000000"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn duplicate_parquet_columns_read_like_duplicate_csv_columns() {
    let scratch = Scratch::new();
    let path = scratch.path("dup.parquet");
    let script = "import sys, pyarrow as pa, pyarrow.parquet as pq\n\
        t = pa.table([pa.array(['a']), pa.array(['x']), pa.array(['b'])],\n\
                     names=['user_id', 'item_id', 'user_id'])\n\
        pq.write_table(t, sys.argv[1])\n";
    let status = std::process::Command::new(crate::export::python())
        .args(["-c", script, s(&path)])
        .status()
        .unwrap();
    assert!(status.success());
    let err = scratch
        .run(["data", "profile", s(&path)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("dup.parquet") && err.contains("two columns named 'user_id'"),
        "{err}"
    );
    assert!(!err.contains("truncated"), "{err}");
}

/// Zero days hold nothing out: the flag is named, not an empty test set blamed on a
/// cutoff the user never set.
#[test]
fn zero_held_out_days_are_refused_naming_the_flag() {
    let scratch = Scratch::new();
    let data = sample("online_retail_sample.csv");
    let (out, train, test) = (
        scratch.path("out"),
        scratch.path("a.csv"),
        scratch.path("b.csv"),
    );
    for args in [
        vec!["train", "--data", s(&data), "--out", s(&out)],
        vec![
            "data",
            "split",
            s(&data),
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
        ],
    ] {
        let mut args = args;
        args.extend(["--test-last-days", "0"]);
        let err = scratch.run(args).input_error().to_owned();
        assert!(err.contains("'0' for '--test-last-days"), "{err}");
        assert!(!out.exists() && !train.exists(), "nothing is written");
    }
}
