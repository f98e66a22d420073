//! CSV import, so students can bring their own small datasets:
//! `x1,...,xd,label` for classes, `x1,...,xd,y` for regression, or
//! `x1,...,xd,y1,...,ym` for several regression targets.
//!
//! The format is what `pandas.DataFrame.to_csv(index=False)` or
//! `numpy.savetxt(..., delimiter=",", header=..., comments="")` writes.
//! Every problem is reported with the file, the row (the line number an
//! editor or spreadsheet shows) and the column, and says how to fix it.
//! Sizes are capped before anything is allocated, so no input can exhaust
//! memory or panic.

use std::path::Path;

use ndarray::Array2;

use super::{DataError, Dataset, Targets};
use crate::io::{ReadError, read_at_most};

/// Most data rows read.
pub const MAX_ROWS: usize = 1_000_000;
/// Most columns per row.
pub const MAX_COLUMNS: usize = 1_000;
/// Largest file read (256 MiB): with [`MAX_VALUES`], reading the biggest
/// accepted file stays well under a gigabyte.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Most numbers (rows × columns) read: 128 MB as `f32`, and a landscape
/// grid over more would take minutes anyway.
pub const MAX_VALUES: usize = 32_000_000;
/// Largest class label accepted (a typo'd label must not create a million outputs).
pub const MAX_LABEL: usize = 999;

/// Longest piece of a file quoted back in an error.
const QUOTE_CHARS: usize = 60;

/// Reads a CSV file (UTF-8, at most [`MAX_FILE_BYTES`]).
pub fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    let file = path.display().to_string();
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: file.clone(),
        reason: e.to_string(),
    };
    let too_large = || DataError::TooLarge {
        file: file.clone(),
        what: format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20),
        limit: format!("{} MiB", MAX_FILE_BYTES >> 20),
    };
    let bytes = read_at_most(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::Io(cause) => unreadable(cause),
        ReadError::TooLarge(_) => too_large(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| DataError::Unreadable {
        file: file.clone(),
        reason: "it is not UTF-8 text (save it as \"CSV UTF-8\")".into(),
    })?;
    parse_csv(&text, &file)
}

/// What the header says the last columns hold.
#[derive(Clone, Copy, PartialEq)]
enum Task {
    Classes,
    /// This many regression targets.
    Values(usize),
}

/// Parses CSV text; `source` names it in errors (usually the file's path).
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
    let header = header.trim_start_matches('\u{feff}');
    let width = header.split(',').count();
    if width > MAX_COLUMNS {
        return Err(DataError::TooLarge {
            file,
            what: format!("the header has {width} columns"),
            limit: format!("{MAX_COLUMNS} columns"),
        });
    }
    let columns: Vec<&str> = header.split(',').map(field).collect();
    let task = read_header(&columns, header, &file)?;
    let outputs = match task {
        Task::Classes => 1,
        Task::Values(m) => m,
    };
    let features = columns.len() - outputs;
    let mut x = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    let mut rows = 0;
    for (row, line) in lines {
        if rows == MAX_ROWS {
            return Err(DataError::TooLarge {
                file,
                what: format!("it has more than {MAX_ROWS} data rows"),
                limit: format!("{MAX_ROWS} rows"),
            });
        }
        rows += 1;
        if rows.saturating_mul(columns.len()) > MAX_VALUES {
            return Err(DataError::TooLarge {
                file,
                what: format!(
                    "its {} columns in {rows} rows hold more than {MAX_VALUES} numbers",
                    columns.len()
                ),
                limit: format!("{MAX_VALUES} numbers"),
            });
        }
        // Count first (no allocation), so a misaligned row is reported as such.
        let found = line.bytes().filter(|&b| b == b',').count() + 1;
        if found != columns.len() {
            return Err(DataError::ColumnCount {
                file,
                row,
                found,
                expected: columns.len(),
            });
        }
        for (index, (text, column)) in line.split(',').map(field).zip(&columns).enumerate() {
            if index < features {
                x.push(number(text, row, column, &file)?);
            } else if task == Task::Classes {
                labels.push(label(text, row, &file)?);
            } else {
                values.push(number(text, row, column, &file)?);
            }
        }
    }
    if rows == 0 {
        return Err(DataError::Empty { file });
    }
    // Every row pushed exactly `features` inputs and `outputs` targets, so the shapes fit.
    let x = Array2::from_shape_vec((rows, features), x).expect("one row of inputs per example");
    let targets = match task {
        Task::Classes => {
            let num_classes = labels.iter().copied().max().unwrap_or(0) + 1;
            Targets::Classes {
                labels,
                num_classes,
            }
        }
        Task::Values(m) => Targets::Values(
            Array2::from_shape_vec((rows, m), values).expect("one row of targets per example"),
        ),
    };
    Ok(Dataset { x, targets })
}

/// One field, without surrounding spaces or quotes.
fn field(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim()
}

/// Decides from the column names whether the file holds classes or values.
fn read_header(columns: &[&str], header: &str, file: &str) -> Result<Task, DataError> {
    let quoted = || quote(header);
    if columns.iter().all(|c| c.parse::<f64>().is_ok()) {
        return Err(DataError::MissingHeader {
            file: file.to_string(),
            found: quoted(),
        });
    }
    let bad = |problem: String| DataError::BadHeader {
        file: file.to_string(),
        found: quoted(),
        problem,
    };
    let last = columns
        .last()
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    let task = match last.as_str() {
        "label" | "class" => Task::Classes,
        "y" => Task::Values(1),
        _ if is_numbered_y(&last) => {
            // y1..ym: count the trailing yN columns, then insist they run 1, 2, ..., m.
            let m = columns
                .iter()
                .rev()
                .take_while(|c| is_numbered_y(&c.to_ascii_lowercase()))
                .count();
            let start = columns.len() - m;
            let in_order = columns[start..]
                .iter()
                .enumerate()
                .all(|(i, c)| c.eq_ignore_ascii_case(&format!("y{}", i + 1)));
            if !in_order {
                return Err(bad(
                    "several targets must be named y1, y2, ..., ym in that order".into(),
                ));
            }
            Task::Values(m)
        }
        _ if !header.contains(',') && (header.contains(';') || header.contains('\t')) => {
            return Err(bad(
                "Valley reads comma-separated values; this looks separated by semicolons or tabs"
                    .into(),
            ));
        }
        _ => {
            return Err(bad(
                "the last column must be `label` (class numbers) or `y` (a value to predict)"
                    .into(),
            ));
        }
    };
    let outputs = match task {
        Task::Classes => 1,
        Task::Values(m) => m,
    };
    if columns.len() <= outputs {
        return Err(bad(
            "there must be at least one input column before it".into()
        ));
    }
    Ok(task)
}

/// `y1`, `y2`, ... (not `y` alone, not `y0`).
fn is_numbered_y(name: &str) -> bool {
    name.strip_prefix('y').is_some_and(|digits| {
        !digits.is_empty() && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(QUOTE_CHARS).collect();
    if text.chars().nth(QUOTE_CHARS).is_some() {
        quoted.push('…');
    }
    quoted
}

fn number(text: &str, row: usize, column: &str, file: &str) -> Result<f32, DataError> {
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        // Parsed, but NaN or ±inf, or too large for f32 (as 1e39 is).
        Ok(_) => Err(DataError::NotFinite {
            file: file.to_string(),
            row,
            column: quote(column),
            text: quote(text),
        }),
        Err(_) => Err(DataError::NotANumber {
            file: file.to_string(),
            row,
            column: quote(column),
            text: quote(text),
        }),
    }
}

fn label(text: &str, row: usize, file: &str) -> Result<usize, DataError> {
    let bad = || DataError::BadLabel {
        file: file.to_string(),
        row,
        text: quote(text),
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
#[path = "csv_tests.rs"]
mod tests;
