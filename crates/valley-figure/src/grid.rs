//! A landscape grid's shape and orientation, and how the heatmap samples it
//! between cells: the part of a heatmap that knows about rows and columns.

/// The grid's shape and orientation, checked against its values.
pub(super) struct Grid {
    /// Number of columns (alpha steps).
    pub(super) cols: usize,
    /// Number of rows (beta steps).
    pub(super) rows: usize,
    /// Whether alpha decreases along the columns (then the first column is drawn
    /// on the right, so the axis still increases to the right).
    pub(super) x_reversed: bool,
    /// Whether beta decreases along the rows.
    pub(super) y_reversed: bool,
}

impl Grid {
    /// Fractional (column, row) at fractions `(u, v)` across the plot from its
    /// bottom-left corner.
    pub(super) fn cell_at(&self, u: f64, v: f64) -> (f64, f64) {
        let u = if self.x_reversed { 1.0 - u } else { u };
        let v = if self.y_reversed { 1.0 - v } else { v };
        (u * (self.cols - 1) as f64, v * (self.rows - 1) as f64)
    }

    /// The field at a fractional (column, row), interpolated bilinearly if `smooth`.
    ///
    /// NaN when the nearest cell is NaN, so diverged cells keep crisp edges; otherwise
    /// NaN neighbours are left out of the blend rather than spreading.
    pub(super) fn sample(&self, field: &[f64], (col, row): (f64, f64), smooth: bool) -> f64 {
        let clamp_col = |c: f64| c.round().clamp(0.0, (self.cols - 1) as f64) as usize;
        let clamp_row = |r: f64| r.round().clamp(0.0, (self.rows - 1) as f64) as usize;
        let nearest = field[clamp_row(row) * self.cols + clamp_col(col)];
        if !smooth || nearest.is_nan() {
            return nearest;
        }
        let c0 = col.floor().clamp(0.0, self.cols.saturating_sub(2) as f64);
        let r0 = row.floor().clamp(0.0, self.rows.saturating_sub(2) as f64);
        let (fx, fy) = ((col - c0).clamp(0.0, 1.0), (row - r0).clamp(0.0, 1.0));
        let (c0, r0) = (c0 as usize, r0 as usize);
        let c1 = (c0 + 1).min(self.cols - 1);
        let r1 = (r0 + 1).min(self.rows - 1);
        let corners = [
            (c0, r0, (1.0 - fx) * (1.0 - fy)),
            (c1, r0, fx * (1.0 - fy)),
            (c0, r1, (1.0 - fx) * fy),
            (c1, r1, fx * fy),
        ];
        let (mut sum, mut weight) = (0.0, 0.0);
        for (c, r, w) in corners {
            let value = field[r * self.cols + c];
            if !value.is_nan() {
                sum += w * value;
                weight += w;
            }
        }
        if weight > 0.0 { sum / weight } else { nearest }
    }
}
