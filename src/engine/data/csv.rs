//! CSV import: `x1,...,xd,label` for classes or `x1,...,xd,y` for regression.
//!
//! The format is what `pandas.DataFrame.to_csv(index=False)` or
//! `numpy.savetxt(..., delimiter=",", header=..., comments="")` writes.
//! Every problem is reported with the file, the row and the column.

use std::path::Path;

use ndarray::Array2;

use super::{DataError, Dataset, Targets};

/// Most data rows read.
pub const MAX_ROWS: usize = 1_000_000;
/// Most columns per row.
pub const MAX_COLUMNS: usize = 1_000;
/// Largest file read (checked before reading).
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// Largest class label accepted (a typo'd label must not create a million outputs).
pub const MAX_LABEL: usize = 999;

/// Reads a CSV file.
pub fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    let file = path.display().to_string();
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: file.clone(),
        reason: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_FILE_BYTES {
        return Err(DataError::TooLarge {
            file,
            what: format!("the file has {size} bytes"),
            limit: format!("{MAX_FILE_BYTES} bytes"),
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| DataError::Unreadable {
        file: file.clone(),
        reason: "it is not UTF-8 text (is it a CSV file?)".into(),
    })?;
    parse_csv(&text, &file)
}

/// Parses CSV text; `source` names it in errors.
pub fn parse_csv(text: &str, source: &str) -> Result<Dataset, DataError> {
    let file = source.to_string();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(DataError::Empty { file });
    };
    let columns: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    if columns.len() > MAX_COLUMNS {
        return Err(DataError::TooLarge {
            file,
            what: format!("the header has {} columns", columns.len()),
            limit: format!("{MAX_COLUMNS} columns"),
        });
    }
    let last = columns
        .last()
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    let is_classification = matches!(last.as_str(), "label" | "class" | "target_class");
    let is_regression = last == "y" || last == "target";
    if columns.len() < 2 || !(is_classification || is_regression) {
        return Err(DataError::BadHeader {
            file,
            found: header.chars().take(120).collect(),
        });
    }
    let features = columns.len() - 1;
    let mut x = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    for (row, line) in lines {
        if labels.len() + values.len() >= MAX_ROWS {
            return Err(DataError::TooLarge {
                file,
                what: "the file has more data rows than that".into(),
                limit: format!("{MAX_ROWS} rows"),
            });
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns.len() {
            return Err(DataError::ColumnCount {
                file,
                row,
                found: fields.len(),
                expected: columns.len(),
            });
        }
        for (field, column) in fields[..features].iter().zip(&columns) {
            x.push(number(field, row, column, &file)?);
        }
        let target = fields[features];
        if is_classification {
            labels.push(label(target, row, &file)?);
        } else {
            values.push(number(target, row, &columns[features], &file)?);
        }
    }
    let n = labels.len() + values.len();
    if n == 0 {
        return Err(DataError::Empty { file });
    }
    let x = Array2::from_shape_vec((n, features), x).expect("one row of features per example");
    let targets = if is_classification {
        let num_classes = labels.iter().copied().max().unwrap_or(0) + 1;
        Targets::Classes {
            labels,
            num_classes,
        }
    } else {
        Targets::Values(Array2::from_shape_vec((n, 1), values).expect("one target per example"))
    };
    Ok(Dataset { x, targets })
}

fn number(text: &str, row: usize, column: &str, file: &str) -> Result<f32, DataError> {
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DataError::NotANumber {
            file: file.to_string(),
            row,
            column: column.to_string(),
            text: text.chars().take(40).collect(),
        }),
    }
}

fn label(text: &str, row: usize, file: &str) -> Result<usize, DataError> {
    let bad = || DataError::BadLabel {
        file: file.to_string(),
        row,
        text: text.chars().take(40).collect(),
        max: MAX_LABEL,
    };
    // Accept "2" and "2.0" (pandas writes floats for integer columns with NaNs elsewhere).
    let value: f64 = text.parse().map_err(|_| bad())?;
    if value.fract() != 0.0 || !(0.0..=MAX_LABEL as f64).contains(&value) {
        return Err(bad());
    }
    Ok(value as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_classes_and_regression() {
        let data = parse_csv("x1,x2,label\r\n0.5,-1,1\n\n2,3e-1,0\n", "a.csv").expect("valid");
        assert_eq!(data.x, ndarray::array![[0.5, -1.0], [2.0, 0.3]]);
        assert_eq!(
            data.targets,
            Targets::Classes {
                labels: vec![1, 0],
                num_classes: 2
            }
        );
        let data = parse_csv("x1,y\n1,2.5\n", "b.csv").expect("valid");
        assert_eq!(data.targets, Targets::Values(ndarray::array![[2.5]]));
    }

    #[test]
    fn malformed_files_get_specific_errors() {
        use DataError::*;
        type Check = fn(&DataError) -> bool;
        let cases: [(&str, Check); 10] = [
            ("", |e| matches!(e, Empty { .. })),
            ("x1,label\n", |e| matches!(e, Empty { .. })),
            ("x1,x2\n1,2\n", |e| matches!(e, BadHeader { .. })),
            ("label\n1\n", |e| matches!(e, BadHeader { .. })),
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
            ("x1,label\n1,0\nabc,1\n", |e| {
                matches!(e, NotANumber { row: 3, .. })
            }),
            ("x1,label\nnan,0\n", |e| matches!(e, NotANumber { .. })),
            ("x1,label\n1,-1\n", |e| matches!(e, BadLabel { .. })),
            ("x1,label\n1,0.5\n", |e| matches!(e, BadLabel { .. })),
            ("x1,label\n1,100000\n", |e| matches!(e, BadLabel { .. })),
        ];
        for (text, expected) in cases {
            let error = parse_csv(text, "bad.csv").expect_err(text);
            assert!(expected(&error), "{text:?} gave {error:?}");
            assert!(error.to_string().contains("bad.csv"), "{error}");
        }
        let error = parse_csv("x1,x2,label\n1,2,0\n3,x,1\n", "f.csv").expect_err("bad");
        assert_eq!(
            error.to_string(),
            "f.csv: row 3, column `x2`: `x` is not a finite number"
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in ".{0,400}") {
            let _ = parse_csv(&text, "fuzz.csv");
        }

        #[test]
        fn never_panics_on_csv_like_text(text in "[x1,2label.y\\-e\n ]{0,300}") {
            let _ = parse_csv(&text, "fuzz.csv");
        }
    }
}
