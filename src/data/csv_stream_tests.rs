use super::*;

/// Records as (line, needed fields).
type Records = Vec<(usize, Vec<Option<String>>)>;

/// Every record of `text` as its needed fields (`needed` header columns), with its line.
fn records(text: &[u8], needed: &[usize]) -> Result<Records, LoadError> {
    records_from(text, needed, text)
}

fn records_from(text: &[u8], needed: &[usize], reader: impl Read) -> Result<Records, LoadError> {
    let header_len = text
        .split(|&b| b == b'\n')
        .next()
        .map_or(0, |h| h.iter().filter(|&&b| b == b',').count() + 1);
    let mut stream = CsvStream::new(Path::new("t.csv"), reader, b',', header_len, needed, &[]);
    let mut out = Vec::new();
    while let Some(batch) = stream.next_batch()? {
        for r in 0..batch.len() {
            let fields = (0..needed.len())
                .map(|j| batch.field(r, j).map(str::to_owned))
                .collect();
            out.push((batch.line(r), fields));
        }
    }
    assert_eq!(stream.records(), out.len());
    Ok(out)
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
        .collect()
}

#[test]
fn keeps_only_the_needed_fields_with_their_lines() {
    let got = records(b"a,b,c\n1,2,3\n4,,6\n", &[0, 2]).unwrap();
    assert_eq!(got, [(2, some(&["1", "3"])), (3, some(&["4", "6"]))]);
    let got = records(b"a,b,c\n1,2,3\n4,,6\n", &[1]).unwrap();
    assert_eq!(got, [(2, some(&["2"])), (3, some(&[""]))]);
}

#[test]
fn quotes_crlf_blank_lines_and_no_final_newline() {
    let text = b"a,b,c\r\n\"x, y\",\"LETTER \"\"E\"\"\",3\r\n\r\n  \n\"\",\"multi\nline\",z\n7,8,9";
    let got = records(text, &[0, 1, 2]).unwrap();
    assert_eq!(
        got,
        [
            (2, some(&["x, y", "LETTER \"E\"", "3"])),
            (5, some(&["", "multi\nline", "z"])),
            (7, some(&["7", "8", "9"])),
        ]
    );
}

#[test]
fn faults_are_named_with_their_line() {
    assert!(matches!(records(b"a,b,c\n", &[0]), Ok(r) if r.is_empty()));
    match records(b"a,b,c\n1,2,3\n4,5\n", &[0]) {
        Err(LoadError::Ragged {
            line,
            expected,
            found,
            ..
        }) => assert_eq!((line, expected, found), (3, 3, 2)),
        other => panic!("{other:?}"),
    }
    match records(b"a,b\n1,2\n3,\xff\n", &[0]) {
        Err(LoadError::NotUtf8 { line, byte, .. }) => assert_eq!((line, byte), (3, 0xff)),
        other => panic!("{other:?}"),
    }
    // The first fault in the file wins: the bad byte on line 2, not the short line 3.
    match records(b"a,b\n1,\xff\n3\n", &[0]) {
        Err(LoadError::NotUtf8 { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    match records(b"a,b\n\"x\n1,2\n", &[0]) {
        Err(LoadError::Ragged { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn records_across_block_boundaries_are_whole() {
    // A reader that returns at most 7 bytes at a time still yields whole records, and
    // blocks larger than one read cut records only at their ends.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut text = b"id,text\n".to_vec();
    for i in 0..300_000 {
        text.extend_from_slice(format!("{i},\"CAFÉ \"\"{i}\"\", £5\"\n").as_bytes());
    }
    assert!(text.len() > 2 * BATCH_BYTES);
    let got = records_from(&text, &[0, 1], Trickle(&text)).unwrap();
    assert_eq!(got.len(), 300_000);
    for (i, (line, fields)) in got.iter().enumerate() {
        assert_eq!(*line, i + 2);
        assert_eq!(fields[0].as_deref(), Some(i.to_string().as_str()));
        assert_eq!(fields[1], Some(format!("CAFÉ \"{i}\", £5")));
    }
}

#[test]
fn an_open_quote_in_a_large_file_is_refused_by_its_line() {
    let mut text = b"a,b\n1,\"open\n".to_vec();
    while text.len() < 4 * BATCH_BYTES {
        text.extend_from_slice(b"2,plain line of a long file\n");
    }
    let mut stream = CsvStream::new(Path::new("t.csv"), &text[..], b',', 2, &[0], &[]);
    stream.max_record = BATCH_BYTES;
    match stream.next_batch() {
        Err(LoadError::Csv { message, .. }) => assert!(message.contains("line 2"), "{message}"),
        other => panic!("{:?}", other.map(|b| b.map(|b| b.len()))),
    }
    // Under the limit, the open quote makes the rest of the file one field, as RFC 4180
    // reads it.
    let got = records(&text, &[1]).unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn number_fields_are_read_on_the_parsing_thread_unless_quoted_or_text() {
    let text = b"q,name,p\n2,a, 1.5\n\"3\",b,NA\nx,c,1e400\n";
    let mut stream = CsvStream::new(Path::new("t.csv"), &text[..], b',', 3, &[0, 1, 2], &[0, 2]);
    let batch = stream.next_batch().unwrap().unwrap();
    let numbers: Vec<[Option<f64>; 3]> = (0..batch.len())
        .map(|r| [batch.number(r, 0), batch.number(r, 1), batch.number(r, 2)])
        .collect();
    assert_eq!(
        numbers,
        [
            [Some(2.0), None, Some(1.5)],
            // A quoted field and a missing marker are left to the cleaner.
            [None, None, None],
            [None, None, Some(f64::INFINITY)],
        ]
    );
    assert_eq!(batch.field(1, 0), Some("3"));
}
