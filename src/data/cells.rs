//! Uniform access to the cells of a polars column, whatever its physical type.
//!
//! CSV columns arrive as text and Parquet columns as typed arrays (a customer id stored
//! as a double, a timestamp as nanoseconds). Cleaning reads both through [`Cell`], so one
//! set of rules serves every source.

use polars::prelude::*;

use super::timestamps::SECONDS_PER_DAY;

/// One cell, as the cleaning rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Missing,
    Text(&'a str),
    Float(f64),
    Int(i64),
    /// Seconds since 1970, from a temporal column.
    Seconds(i64),
    /// A text cell already read as this number (a CSV's number columns are parsed on
    /// the reading thread); it behaves as [`Cell::Text`] in every way but the parse.
    Number(f64, &'a str),
}

/// A column converted to one of the physical forms [`PreparedColumn::cells`] iterates.
pub struct PreparedColumn {
    column: Column,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Float,
    Int,
    /// Int64 ticks of this many per second.
    Ticks(i64),
    /// Int32 days.
    Days,
}

impl PreparedColumn {
    /// Casts `column` to the physical type its cells will be read from.
    pub fn new(column: &Column) -> PolarsResult<Self> {
        let (target, kind) = match column.dtype() {
            DataType::String => {
                return Ok(Self {
                    column: column.clone(),
                    kind: Kind::Text,
                });
            }
            DataType::Float32 | DataType::Float64 => (DataType::Float64, Kind::Float),
            dt if dt.is_integer() => (DataType::Int64, Kind::Int),
            DataType::Datetime(unit, _) => {
                let per_second = match unit {
                    TimeUnit::Nanoseconds => 1_000_000_000,
                    TimeUnit::Microseconds => 1_000_000,
                    TimeUnit::Milliseconds => 1_000,
                };
                (DataType::Int64, Kind::Ticks(per_second))
            }
            DataType::Date => (DataType::Int32, Kind::Days),
            _ => (DataType::String, Kind::Text),
        };
        Ok(Self {
            column: column.cast(&target)?,
            kind,
        })
    }

    /// Iterates the cells in row order.
    pub fn cells(&self) -> PolarsResult<Box<dyn Iterator<Item = Cell<'_>> + '_>> {
        Ok(match self.kind {
            Kind::Text => Box::new(
                self.column
                    .str()?
                    .iter()
                    .map(|v| v.map_or(Cell::Missing, Cell::Text)),
            ),
            Kind::Float => Box::new(self.column.f64()?.iter().map(|v| match v {
                Some(x) if !x.is_nan() => Cell::Float(x),
                _ => Cell::Missing,
            })),
            Kind::Int => Box::new(
                self.column
                    .i64()?
                    .iter()
                    .map(|v| v.map_or(Cell::Missing, Cell::Int)),
            ),
            Kind::Ticks(per_second) => Box::new(self.column.i64()?.iter().map(move |v| {
                v.map_or(Cell::Missing, |t| Cell::Seconds(t.div_euclid(per_second)))
            })),
            Kind::Days => Box::new(self.column.i32()?.iter().map(|v| {
                v.map_or(Cell::Missing, |d| {
                    Cell::Seconds(i64::from(d) * SECONDS_PER_DAY)
                })
            })),
        })
    }
}

/// An endless stream of missing cells, for roles the file does not have.
pub fn absent<'a>() -> Box<dyn Iterator<Item = Cell<'a>> + 'a> {
    Box::new(std::iter::repeat(Cell::Missing))
}

impl Cell<'_> {
    /// The identifier this cell holds, formatted into `buf` when numeric; `None` if missing.
    pub fn id<'b>(&'b self, buf: &'b mut String) -> Option<&'b str> {
        use std::fmt::Write;
        match *self {
            Cell::Missing => None,
            Cell::Text(t) | Cell::Number(_, t) => super::values::normalise_id(t),
            Cell::Float(x) => {
                buf.clear();
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    let _ = write!(buf, "{}", x as i64);
                } else {
                    let _ = write!(buf, "{x}");
                }
                Some(buf.as_str())
            }
            Cell::Int(v) | Cell::Seconds(v) => {
                buf.clear();
                let _ = write!(buf, "{v}");
                Some(buf.as_str())
            }
        }
    }

    /// The number this cell holds: `Ok(None)` when missing, `Err(text)` when not a number.
    pub fn number(&self) -> Result<Option<f64>, &str> {
        match *self {
            Cell::Missing => Ok(None),
            Cell::Text(t) => super::values::parse_number(t).map_err(|()| t),
            Cell::Number(x, _) | Cell::Float(x) => Ok(Some(x)),
            Cell::Int(v) | Cell::Seconds(v) => Ok(Some(v as f64)),
        }
    }

    /// The text of a description-like cell.
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) | Cell::Number(_, t) => super::values::clean_text(t),
            _ => None,
        }
    }

    /// The cell as the analyst wrote it, for examples in reports.
    pub fn shown(&self) -> String {
        match *self {
            Cell::Missing => "(empty)".to_owned(),
            Cell::Text(t) | Cell::Number(_, t) if t.trim().is_empty() => "(empty)".to_owned(),
            Cell::Text(t) | Cell::Number(_, t) => t.chars().take(60).collect(),
            Cell::Float(x) => x.to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::Seconds(s) => super::timestamps::format_timestamp(s),
        }
    }
}

/// The previous text cell of a column and what it became: lines of one invoice repeat its
/// number, date and country, so a repeat costs one string comparison, not a parse.
#[derive(Default)]
pub(crate) struct Repeat<T: Copy> {
    text: String,
    value: Option<T>,
}

impl<T: Copy> Repeat<T> {
    /// The cached value when `cell` repeats the previous text cell.
    #[inline]
    pub(crate) fn get(&self, cell: &Cell<'_>) -> Option<T> {
        match cell {
            Cell::Text(t) | Cell::Number(_, t) if self.value.is_some() && *t == self.text => {
                self.value
            }
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn remember(&mut self, cell: &Cell<'_>, value: T) {
        if let Cell::Text(t) | Cell::Number(_, t) = cell {
            self.text.clear();
            self.text.push_str(t);
            self.value = Some(value);
        }
    }
}
