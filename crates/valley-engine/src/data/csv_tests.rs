//! Tests for CSV import: the accepted shapes, one malformed input per error,
//! the caps, files on disk, and fuzzing for panics.

use ndarray::array;
use proptest::prelude::*;

use super::*;

#[test]
fn reads_classes_with_crlf_blank_lines_spaces_bom_and_quotes() {
    let text = "\u{feff}\"x1\", x2 ,label\r\n 0.5,-1,1\r\n\r\n2,3e-1,0\n\"4\",5,2.0\n";
    let data = parse_csv(text, "a.csv").expect("valid");
    assert_eq!(data.x, array![[0.5, -1.0], [2.0, 0.3], [4.0, 5.0]]);
    assert_eq!(
        data.targets,
        Targets::Classes {
            labels: vec![1, 0, 2],
            num_classes: 3
        }
    );
    // k = largest label + 1, even when a class in between has no rows.
    let data = parse_csv("x,class\n1,0\n2,4\n", "gap.csv").expect("valid");
    assert_eq!(data.num_outputs(), 5);
}

#[test]
fn reads_one_or_several_regression_targets() {
    let data = parse_csv("x1,y\n1,2.5\n-3,0\n", "b.csv").expect("valid");
    assert_eq!(data.x, array![[1.0], [-3.0]]);
    assert_eq!(data.targets, Targets::Values(array![[2.5], [0.0]]));
    let data = parse_csv("a,b,Y1,y2,y3\n1,2,3,4,5\n6,7,8,9,10\n", "c.csv").expect("valid");
    assert_eq!(data.x, array![[1.0, 2.0], [6.0, 7.0]]);
    assert_eq!(
        data.targets,
        Targets::Values(array![[3.0, 4.0, 5.0], [8.0, 9.0, 10.0]])
    );
    assert_eq!(data.num_features(), 2);
    assert_eq!(data.num_outputs(), 3);
}

#[test]
fn malformed_inputs_get_their_own_errors() {
    use DataError::*;
    type Check = fn(&DataError) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        ("", |e| matches!(e, Empty { .. })),
        ("\n  \n\r\n", |e| matches!(e, Empty { .. })),
        ("x1,label\n", |e| matches!(e, Empty { .. })),
        (
            "1,2,0\n3,4,1\n",
            |e| matches!(e, MissingHeader { found, .. } if found == "1,2,0"),
        ),
        (
            "x1,x2\n1,2\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("`label`")),
        ),
        (
            "label\n1\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("input column")),
        ),
        (
            "y1,y2\n1,2\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("input column")),
        ),
        (
            "x,y2,y1\n1,2,3\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("y1, y2")),
        ),
        ("x,y0\n1,2\n", |e| matches!(e, BadHeader { .. })),
        (
            "x1;x2;label\n1;2;0\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("semicolons")),
        ),
        (
            "x1\tlabel\n1\t0\n",
            |e| matches!(e, BadHeader { problem, .. } if problem.contains("tabs")),
        ),
        ("x1,x2,label\n1,2\n", |e| {
            matches!(
                e,
                ColumnCount {
                    row: 2,
                    found: 2,
                    expected: 3,
                    ..
                }
            )
        }),
        ("x1,x2,label\n1,2,0\n\n1,2,0,4\n", |e| {
            matches!(
                e,
                ColumnCount {
                    row: 4,
                    found: 4,
                    expected: 3,
                    ..
                }
            )
        }),
        (
            "x1,label\n1,0\nabc,1\n",
            |e| matches!(e, NotANumber { row: 3, column, text, .. } if column == "x1" && text == "abc"),
        ),
        ("x1,label\n,0\n", |e| matches!(e, NotANumber { row: 2, .. })),
        (
            "x1,y\n1,one\n",
            |e| matches!(e, NotANumber { column, .. } if column == "y"),
        ),
        ("x1,label\nnan,0\n", |e| {
            matches!(e, NotFinite { row: 2, .. })
        }),
        (
            "x1,y\n1,-inf\n",
            |e| matches!(e, NotFinite { column, .. } if column == "y"),
        ),
        (
            "x1,label\n1e39,0\n",
            |e| matches!(e, NotFinite { text, .. } if text == "1e39"),
        ),
        (
            "x1,label\n1,-1\n",
            |e| matches!(e, BadLabel { row: 2, text, .. } if text == "-1"),
        ),
        ("x1,label\n1,0.5\n", |e| matches!(e, BadLabel { .. })),
        ("x1,label\n1,cat\n", |e| matches!(e, BadLabel { .. })),
        ("x1,label\n1,nan\n", |e| matches!(e, BadLabel { .. })),
        ("x1,label\n1,100000\n", |e| {
            matches!(e, BadLabel { max: 999, .. })
        }),
    ];
    for (text, expected) in cases {
        let error = parse_csv(text, "bad.csv").expect_err(text);
        assert!(expected(&error), "{text:?} gave {error:?}");
        assert!(error.to_string().starts_with("bad.csv: "), "{error}");
    }
}

#[test]
fn messages_say_where_and_what_to_do() {
    let error = parse_csv("x1,x2,label\n1,2,0\n3,x,1\n", "f.csv").expect_err("bad");
    assert_eq!(
        error.to_string(),
        "f.csv: row 3, column `x2`: `x` is not a finite number; write plain decimals such as 0.5 or -1.2e3"
    );
    let error = parse_csv("a,b,c\n1,2,3\n", "g.csv").expect_err("bad");
    assert_eq!(
        error.to_string(),
        "g.csv: header `a,b,c`: the last column must be `label` (class numbers) or `y` (a value to predict); write it as `x1,...,xd,label` (classes) or `x1,...,xd,y` (regression)"
    );
    let error = parse_csv("x1,x2,label\n1,2\n", "h.csv").expect_err("bad");
    assert_eq!(
        error.to_string(),
        "h.csv: row 2 has 2 column(s) but the header has 3; give every row one value per header column"
    );
    // Long text is cut short in messages.
    let long = format!("x1,label\n{},0\n", "z".repeat(500));
    let message = parse_csv(&long, "i.csv").expect_err("bad").to_string();
    assert!(message.len() < 250, "{message}");
}

#[test]
fn caps_are_enforced() {
    let wide = format!("{},label\n", vec!["x"; MAX_COLUMNS].join(","));
    assert!(matches!(
        parse_csv(&wide, "wide.csv"),
        Err(DataError::TooLarge { .. })
    ));
    let mut tall = String::with_capacity(4 * (MAX_ROWS + 2));
    tall.push_str("x,y\n");
    for _ in 0..MAX_ROWS {
        tall.push_str("1,2\n");
    }
    assert_eq!(parse_csv(&tall, "tall.csv").map(|d| d.len()), Ok(MAX_ROWS));
    tall.push_str("1,2\n");
    let error = parse_csv(&tall, "tall.csv").expect_err("one row too many");
    assert!(matches!(error, DataError::TooLarge { .. }), "{error:?}");
    assert!(error.to_string().contains("1000000 rows"), "{error}");
    // 1,000 columns by 40,000 rows pass both caps, but not their product.
    let row = format!("{}\n", vec!["0"; 1000].join(","));
    let mut dense = format!("{},y\n", vec!["x"; 999].join(","));
    for _ in 0..(MAX_VALUES / 1000 + 1) {
        dense.push_str(&row);
    }
    let error = parse_csv(&dense, "dense.csv").expect_err("too many numbers");
    assert!(error.to_string().contains("32000000 numbers"), "{error}");
}

#[test]
fn files_are_read_and_their_problems_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("points.csv");
    std::fs::write(&path, "x1,x2,label\n0,1,1\n").expect("write");
    let data = load_csv(&path).expect("valid");
    assert_eq!(data.len(), 1);
    assert!(data.is_classification());

    let missing = dir.path().join("missing.csv");
    let error = load_csv(&missing).expect_err("no file");
    assert!(matches!(error, DataError::Unreadable { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.csv"), "{error}");

    let binary = dir.path().join("latin1.csv");
    std::fs::write(&binary, b"x1,label\n\xe9,0\n").expect("write");
    let error = load_csv(&binary).expect_err("not UTF-8");
    assert!(error.to_string().contains("UTF-8"), "{error}");
}

/// `data` written the way pandas would, for round trips.
fn to_csv(x: &[Vec<f32>], labels: &[usize]) -> String {
    let width = x.first().map_or(0, Vec::len);
    let mut text: Vec<String> = (1..=width).map(|i| format!("x{i}")).collect();
    text.push("label".into());
    let mut out = text.join(",") + "\n";
    for (row, label) in x.iter().zip(labels) {
        let fields: Vec<String> = row.iter().map(f32::to_string).collect();
        out += &format!("{},{label}\n", fields.join(","));
    }
    out
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = parse_csv(&text, "fuzz.csv");
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_csv(&String::from_utf8_lossy(&bytes), "fuzz.csv");
    }

    #[test]
    fn never_panics_on_csv_like_text(text in "[xy1,2label.\\-e\"\r\n ;]{0,300}") {
        let _ = parse_csv(&text, "fuzz.csv");
    }

    #[test]
    fn written_data_reads_back_exactly(
        rows in proptest::collection::vec(
            (proptest::collection::vec(-1e6f32..1e6, 3), 0usize..5),
            1..40,
        )
    ) {
        let (x, labels): (Vec<Vec<f32>>, Vec<usize>) = rows.into_iter().unzip();
        let data = parse_csv(&to_csv(&x, &labels), "round.csv").expect("valid");
        let flat: Vec<f32> = x.concat();
        prop_assert_eq!(data.x.iter().copied().collect::<Vec<_>>(), flat);
        let num_classes = labels.iter().max().map_or(0, |m| m + 1);
        prop_assert_eq!(data.targets, Targets::Classes { labels, num_classes });
    }
}
