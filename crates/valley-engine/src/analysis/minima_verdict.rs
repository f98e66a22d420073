//! The sentence that says what a flat-vs-sharp comparison found, made from
//! its numbers alone so the app and the command line say the same thing,
//! and so it never claims more than the runs show: which minimum is flatter
//! (lower λmax), which did better on unseen data, and where the pictures
//! could seem to say otherwise.

/// One minimum as the verdict reads it: plain numbers, so a hand-made case
/// tests the sentence.
#[derive(Clone, Copy, Debug)]
pub struct MinimumFacts<'a> {
    /// What distinguishes the run, e.g. "batch 16".
    pub label: &'a str,
    /// The largest Hessian eigenvalue of the training loss there (λmax).
    pub sharpness: f64,
    /// Mean training loss.
    pub train_loss: f32,
    /// Mean test loss, when there is a test set.
    pub test_loss: Option<f32>,
    /// How far the sharpest-direction slice climbs from the minimum to its
    /// ends, on the α range all minima share.
    pub sharpest_rise: f32,
    /// How far the random-direction slice climbs from the minimum to its ends.
    pub random_rise: f32,
}

/// Two numbers closer than this fraction of the larger are called a tie:
/// one seed's noise moves them more than that.
pub const TIE: f64 = 0.05;

/// A flatter minimum whose training loss is below this fraction of the
/// sharper one's is flat partly because its loss is small: with confident
/// predictions the cross-entropy's Hessian shrinks with the loss.
pub const LOSS_FAR_LOWER: f64 = 0.1;

fn tied(a: f64, b: f64) -> bool {
    (a - b).abs() <= TIE * a.abs().max(b.abs())
}

/// What the runs found, in plain sentences, from their numbers; `number`
/// writes a number (the app and the CLI pass `valley_figure::plain_number`).
///
/// Names the flatter minimum (lower λmax) with both values; the run with the
/// lower test loss, if there is a test set, and whether that is the flatter
/// one; a flatter minimum that also has the higher training loss (it may
/// still be on its way down, where a valley is flatter than at its floor);
/// or a far lower one (a classifier's loss near zero is flat everywhere);
/// and whether a random filter-normalised direction orders the minima the
/// other way. It says nothing about batch sizes or learning rates in
/// general: one pair of runs cannot show that.
pub fn minima_verdict(minima: &[MinimumFacts<'_>], number: &dyn Fn(f64) -> String) -> String {
    if minima.len() < 2 {
        return "One run is no comparison: train at least two settings.".into();
    }
    let pair = minima.len() == 2;
    let sharpness: Vec<f64> = minima.iter().map(|m| m.sharpness).collect();
    let (flat_index, sharp_index) = lowest_and_highest(&sharpness);
    let (flat, sharp) = (minima[flat_index], minima[sharp_index]);
    let mut sentences = Vec::new();
    let sharpness_tied = tied(flat.sharpness, sharp.sharpness);
    if sharpness_tied {
        sentences.push(format!(
            "The minima are about as sharp as each other: λmax {} for the {} run and {} for the {} run.",
            number(flat.sharpness),
            flat.label,
            number(sharp.sharpness),
            sharp.label
        ));
    } else if pair {
        sentences.push(format!(
            "The {} run found the flatter minimum: λmax {}, against {} for the {} run.",
            flat.label,
            number(flat.sharpness),
            number(sharp.sharpness),
            sharp.label
        ));
    } else {
        sentences.push(format!(
            "The {} run found the flattest minimum (λmax {}) and the {} run the sharpest (λmax {}).",
            flat.label,
            number(flat.sharpness),
            sharp.label,
            number(sharp.sharpness)
        ));
    }
    if !sharpness_tied {
        let (flat_loss, sharp_loss) = (f64::from(flat.train_loss), f64::from(sharp.train_loss));
        if flat_loss > sharp_loss && !tied(flat_loss, sharp_loss) {
            sentences.push(format!(
                "It also has the higher training loss ({} against {}), so it may not have reached the bottom of its valley yet, where the curvature can be higher.",
                number(flat_loss),
                number(sharp_loss)
            ));
        }
        if flat_loss < LOSS_FAR_LOWER * sharp_loss {
            sentences.push(format!(
                "It also has a far lower training loss ({} against {}): for a classifier, a loss driven towards zero flattens every direction, so this flatness may say more about how far training got than about how it got there.",
                number(flat_loss),
                number(sharp_loss)
            ));
        }
        if sharp.sharpest_rise <= flat.sharpest_rise {
            sentences.push(format!(
                "Even so, the {} run's curve ends higher along its sharpest direction: λmax describes only the very bottom, and its walls bend further out.",
                flat.label
            ));
        }
    }
    sentences.push(test_sentence(
        minima,
        (flat_index, sharp_index),
        sharpness_tied,
        number,
    ));
    if !sharpness_tied {
        let (flat_rise, sharp_rise) = (f64::from(flat.random_rise), f64::from(sharp.random_rise));
        sentences.push(if tied(flat_rise, sharp_rise) {
            "Along a random filter-normalised direction they rise about equally: it mostly sees the flat directions, which λmax does not measure.".to_string()
        } else if flat_rise > sharp_rise {
            format!(
                "Along a random filter-normalised direction the order is reversed (the {} run rises more there): λmax is the single steepest direction, a random one mostly sees flat ones.",
                flat.label
            )
        } else {
            "A random filter-normalised direction orders them the same way.".to_string()
        });
    }
    sentences.join(" ")
}

/// The indices of the lowest and the highest value (the first of equals).
fn lowest_and_highest(values: &[f64]) -> (usize, usize) {
    let mut low = 0;
    let mut high = 0;
    for (i, v) in values.iter().enumerate() {
        if v.total_cmp(&values[low]).is_lt() {
            low = i;
        }
        if v.total_cmp(&values[high]).is_gt() {
            high = i;
        }
    }
    (low, high)
}

/// Which run did better on unseen data, and whether that was the flatter one.
fn test_sentence(
    minima: &[MinimumFacts<'_>],
    (flat, sharp): (usize, usize),
    sharpness_tied: bool,
    number: &dyn Fn(f64) -> String,
) -> String {
    let tests: Option<Vec<f64>> = minima.iter().map(|m| m.test_loss.map(f64::from)).collect();
    let Some(tests) = tests else {
        return "There is no test set, so nothing here says which minimum generalises better."
            .into();
    };
    let (best, worst) = lowest_and_highest(&tests);
    if tied(tests[best], tests[worst]) {
        return format!(
            "Their test losses are about the same (from {} to {}).",
            number(tests[best]),
            number(tests[worst])
        );
    }
    let comparison = if minima.len() == 2 {
        format!(
            "The {} run has the lower test loss: {} against {}",
            minima[best].label,
            number(tests[best]),
            number(tests[worst])
        )
    } else {
        format!(
            "The {} run has the lowest test loss ({})",
            minima[best].label,
            number(tests[best])
        )
    };
    let (flatter, sharper) = if minima.len() == 2 {
        ("flatter", "sharper")
    } else {
        ("flattest", "sharpest")
    };
    if sharpness_tied {
        format!("{comparison}.")
    } else if best == flat {
        format!("{comparison}, so here the {flatter} minimum did better on unseen data.")
    } else if best == sharp {
        format!(
            "{comparison}, so here the {sharper} minimum did better on unseen data: flatness alone did not decide it."
        )
    } else {
        format!("{comparison}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers as an f32 prints them: 0.4, 5.97, 0.023.
    fn short(v: f64) -> String {
        format!("{}", v as f32)
    }

    /// A run whose slices both order like its λmax, unless a test says otherwise.
    fn run(label: &str, sharpness: f64, train: f32, test: Option<f32>) -> MinimumFacts<'_> {
        MinimumFacts {
            label,
            sharpness,
            train_loss: train,
            test_loss: test,
            sharpest_rise: (sharpness / 20.0) as f32,
            random_rise: (sharpness / 10.0) as f32,
        }
    }

    #[test]
    fn when_every_measure_agrees_the_verdict_says_so_once() {
        let small = MinimumFacts {
            random_rise: 0.05,
            ..run("batch 16", 0.5, 0.1, Some(0.2))
        };
        let full = MinimumFacts {
            random_rise: 0.4,
            ..run("full batch", 6.0, 0.12, Some(0.3))
        };
        assert_eq!(
            minima_verdict(&[small, full], &short),
            "The batch 16 run found the flatter minimum: λmax 0.5, against 6 for the full batch run. \
             The batch 16 run has the lower test loss: 0.2 against 0.3, so here the flatter minimum did better on unseen data. \
             A random filter-normalised direction orders them the same way."
        );
    }

    #[test]
    fn a_random_direction_that_orders_them_the_other_way_is_named() {
        // The numbers: the full batch is far flatter by λmax, yet
        // steeper along the random direction.
        let small = MinimumFacts {
            random_rise: 0.1,
            ..run("batch 16", 5.97, 0.02, Some(0.3))
        };
        let full = MinimumFacts {
            random_rise: 0.6,
            ..run("full batch", 0.023, 0.021, Some(0.25))
        };
        assert_eq!(
            minima_verdict(&[small, full], &short),
            "The full batch run found the flatter minimum: λmax 0.023, against 5.97 for the batch 16 run. \
             The full batch run has the lower test loss: 0.25 against 0.3, so here the flatter minimum did better on unseen data. \
             Along a random filter-normalised direction the order is reversed (the full batch run rises more there): \
             λmax is the single steepest direction, a random one mostly sees flat ones."
        );
    }

    #[test]
    fn a_flatter_minimum_with_a_higher_training_loss_may_not_be_at_the_bottom() {
        let small = run("batch 16", 5.0, 0.02, Some(0.1));
        let full = run("full batch", 0.5, 0.4, Some(0.5));
        let verdict = minima_verdict(&[small, full], &short);
        assert_eq!(
            verdict,
            "The full batch run found the flatter minimum: λmax 0.5, against 5 for the batch 16 run. \
             It also has the higher training loss (0.4 against 0.02), so it may not have reached the bottom of its valley yet, where the curvature can be higher. \
             The batch 16 run has the lower test loss: 0.1 against 0.5, so here the sharper minimum did better on unseen data: flatness alone did not decide it. \
             A random filter-normalised direction orders them the same way."
        );
    }

    #[test]
    fn the_default_demos_numbers_say_the_full_batch_is_flatter_partly_for_its_lower_loss() {
        // Two spirals, Adam, 2000 steps: what the app and `valley sharpness` measure.
        let small = MinimumFacts {
            sharpest_rise: 0.106,
            random_rise: 1.95,
            ..run("batch 16", 5.97, 0.106, Some(0.15))
        };
        let full = MinimumFacts {
            sharpest_rise: 0.0084,
            random_rise: 7.2,
            ..run("full batch", 0.023, 7.06e-5, Some(9.45e-5))
        };
        assert_eq!(
            minima_verdict(&[small, full], &short),
            "The full batch run found the flatter minimum: λmax 0.023, against 5.97 for the batch 16 run. \
             It also has a far lower training loss (0.0000706 against 0.106): for a classifier, a loss driven towards zero flattens every direction, \
             so this flatness may say more about how far training got than about how it got there. \
             The full batch run has the lower test loss: 0.0000945 against 0.15, so here the flatter minimum did better on unseen data. \
             Along a random filter-normalised direction the order is reversed (the full batch run rises more there): \
             λmax is the single steepest direction, a random one mostly sees flat ones."
        );
    }

    #[test]
    fn without_a_test_set_nothing_is_said_about_unseen_data() {
        let verdict = minima_verdict(
            &[
                run("lr 0.01", 1.0, 0.1, None),
                run("lr 0.3", 3.0, 0.1, None),
            ],
            &short,
        );
        assert_eq!(
            verdict,
            "The lr 0.01 run found the flatter minimum: λmax 1, against 3 for the lr 0.3 run. \
             There is no test set, so nothing here says which minimum generalises better. \
             A random filter-normalised direction orders them the same way."
        );
        assert!(
            !verdict.contains("small batches"),
            "no claim beyond the runs"
        );
    }

    #[test]
    fn ties_crossings_and_more_runs_are_told_as_they_are() {
        // Within 5 %: neither is flatter, and nothing is said about the walls.
        let verdict = minima_verdict(
            &[
                run("a", 2.0, 0.1, Some(0.2)),
                run("b", 2.05, 0.1, Some(0.201)),
            ],
            &short,
        );
        assert_eq!(
            verdict,
            "The minima are about as sharp as each other: λmax 2 for the a run and 2.05 for the b run. \
             Their test losses are about the same (from 0.2 to 0.201)."
        );
        // The flatter one's curve ending higher on the shared chart is said.
        let flat = MinimumFacts {
            sharpest_rise: 0.3,
            ..run("a", 1.0, 0.1, None)
        };
        let verdict = minima_verdict(&[flat, run("b", 4.0, 0.1, None)], &short);
        assert!(
            verdict.contains("Even so, the a run's curve ends higher along its sharpest direction"),
            "{verdict}"
        );
        // Three runs: the flattest and the sharpest.
        let verdict = minima_verdict(
            &[
                run("batch 8", 3.0, 0.1, Some(0.3)),
                run("batch 64", 1.0, 0.1, Some(0.2)),
                run("full batch", 9.0, 0.1, Some(0.25)),
            ],
            &short,
        );
        assert!(
            verdict.starts_with(
                "The batch 64 run found the flattest minimum (λmax 1) and the full batch run the sharpest (λmax 9). \
                 The batch 64 run has the lowest test loss (0.2), so here the flattest minimum did better on unseen data."
            ),
            "{verdict}"
        );
        assert!(minima_verdict(&[run("a", 1.0, 0.1, None)], &short).starts_with("One run"));
    }
}
