//! Text placed on a projected drawing: each label on a dark backing, so it
//! reads over any colour of the terrain and in either theme, and labels that
//! would overlap are left out. Seen straight down, the loss axis shrinks to a
//! point and its ticks would otherwise pile up into a smudge.

use egui::{Align2, Color32, FontId, Pos2, Rect, Vec2};

/// Padding between a label's text and the edge of its backing, in points.
const PADDING: f32 = 3.0;

/// A label to place: `text` aligned at `anchor` by `align`.
pub struct Label {
    pub anchor: Pos2,
    pub align: Align2,
    pub text: String,
    /// Font size in points.
    pub size: f32,
}

/// Which of `rects` to keep, in order: each one is kept unless it overlaps
/// (or comes within `gap` of) one already kept. Earlier rectangles win, so
/// a caller lists the labels that matter most first.
pub fn thinned(rects: &[Rect], gap: f32) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for (k, rect) in rects.iter().enumerate() {
        let grown = rect.expand(gap / 2.0);
        if kept
            .iter()
            .all(|&other| !grown.intersects(rects[other].expand(gap / 2.0)))
        {
            kept.push(k);
        }
    }
    kept
}

/// Draws the labels that do not crowd one another, in white on a dark
/// backing, each moved inside `bounds` if it would stick out.
pub fn draw_labels(painter: &egui::Painter, labels: &[Label], bounds: Rect) {
    let laid_out: Vec<_> = labels
        .iter()
        .map(|label| {
            let galley = painter.layout_no_wrap(
                label.text.clone(),
                FontId::proportional(label.size),
                Color32::WHITE,
            );
            let size = galley.size() + Vec2::splat(2.0 * PADDING);
            let backing = label.align.anchor_size(label.anchor, size);
            let inward = Vec2::new(
                (bounds.left() - backing.left()).max(0.0)
                    + (bounds.right() - backing.right()).min(0.0),
                (bounds.top() - backing.top()).max(0.0)
                    + (bounds.bottom() - backing.bottom()).min(0.0),
            );
            let backing = backing.translate(inward);
            (galley, backing)
        })
        .collect();
    let rects: Vec<Rect> = laid_out.iter().map(|(_, rect)| *rect).collect();
    for k in thinned(&rects, 2.0) {
        let (galley, backing) = &laid_out[k];
        painter.rect_filled(*backing, 3.0, Color32::from_black_alpha(160));
        painter.galley(
            backing.min + Vec2::splat(PADDING),
            galley.clone(),
            Color32::WHITE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinned_labels_never_overlap_and_the_first_always_stays() {
        // Labels piled on one spot, as a loss axis seen straight down makes them.
        let pile: Vec<Rect> = (0..8)
            .map(|k| {
                Rect::from_min_size(
                    Pos2::new(100.0, 100.0 + 0.5 * k as f32),
                    Vec2::new(30.0, 14.0),
                )
            })
            .collect();
        assert_eq!(thinned(&pile, 2.0), [0]);
        // A pseudo-random scatter: whatever is kept is pairwise apart.
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32
        };
        let scatter: Vec<Rect> = (0..200)
            .map(|_| {
                Rect::from_min_size(
                    Pos2::new(400.0 * next(), 300.0 * next()),
                    Vec2::new(10.0 + 40.0 * next(), 10.0 + 10.0 * next()),
                )
            })
            .collect();
        let kept = thinned(&scatter, 2.0);
        assert_eq!(kept[0], 0);
        for (n, &a) in kept.iter().enumerate() {
            for &b in &kept[n + 1..] {
                assert!(
                    !scatter[a].expand(1.0).intersects(scatter[b].expand(1.0)),
                    "labels {a} and {b} overlap"
                );
            }
        }
        // Labels well apart are all kept.
        let apart: Vec<Rect> = (0..5)
            .map(|k| Rect::from_min_size(Pos2::new(0.0, 30.0 * k as f32), Vec2::new(30.0, 14.0)))
            .collect();
        assert_eq!(thinned(&apart, 2.0), [0, 1, 2, 3, 4]);
    }
}
