use super::*;
use crate::exec::{Outcome, run_here};
use crate::generalisation::Sweep;

fn sweep(settings: DoubleDescentSettings) -> (Vec<DoubleDescentRow>, DoubleDescentSummary) {
    let experiment = DoubleDescent::new(settings.clone()).unwrap();
    let Outcome::Done(rows) = run_here(Sweep::new(experiment), |_| true) else {
        panic!("the sweep did not finish")
    };
    let summary = summarise(&settings, &rows);
    (rows, summary)
}

#[test]
fn the_default_sweep_peaks_at_the_threshold_and_falls_again() {
    let settings = DoubleDescentSettings::default();
    let (rows, summary) = sweep(settings.clone());
    assert!(settings.width_list().len() >= 24);
    assert_eq!(rows.len(), settings.width_list().len() * settings.seeds);
    assert_eq!(summary.threshold_params, 100);
    let ratio = summary.peak_over_largest.unwrap();
    let place = summary.peak_over_threshold.unwrap();
    // The figures the issue asks for, fixed by the seeds: the peak within a
    // factor of 2 of the threshold, at least 3× the largest width's loss.
    assert!(
        (0.5..=2.0).contains(&place),
        "peak at {place}× the threshold"
    );
    assert!(
        ratio >= 3.0,
        "peak only {ratio}× the largest width's test loss"
    );
    // Reproducible to the bit: the same seeds give the same peak.
    let (_, again) = sweep(settings);
    assert_eq!(
        again.peak.unwrap().params,
        summary.peak.as_ref().unwrap().params
    );
    assert_eq!(again.peak_over_largest, summary.peak_over_largest);
    // Past the threshold every model interpolates its training set.
    for p in summary.points.iter().filter(|p| p.params > 110) {
        assert!(
            p.train_loss.high < 1e-6,
            "width {} train loss {}",
            p.width,
            p.train_loss.high
        );
        assert_eq!(p.train_error.high, 0.0);
    }
}

#[test]
fn a_ridge_melts_the_peak() {
    let plain = sweep(DoubleDescentSettings::default()).1;
    let ridged = sweep(DoubleDescentSettings {
        ridge: 0.1,
        ..DoubleDescentSettings::default()
    })
    .1;
    let peak = |s: &DoubleDescentSummary| s.peak.as_ref().unwrap().test_loss.mean;
    assert!(
        peak(&ridged) < peak(&plain) / 5.0,
        "{} vs {}",
        peak(&ridged),
        peak(&plain)
    );
    assert!(ridged.peak_over_largest.unwrap() < 1.5);
}

#[test]
fn a_row_is_a_model_whose_loss_the_landscape_views_agree_with() {
    let settings = DoubleDescentSettings {
        seeds: 1,
        widths: 3,
        ..DoubleDescentSettings::default()
    };
    let (rows, _) = sweep(settings.clone());
    for row in rows {
        let problem = settings.problem_spec(row.width, row.seed).build().unwrap();
        assert_eq!(problem.num_params(), row.weights.len());
        let mut workspace = Workspace::default();
        let loss = f64::from(problem.loss(&row.weights, &mut workspace));
        assert!((loss - row.train_loss).abs() <= 1e-6 * row.train_loss.max(1.0));
    }
}

#[test]
fn the_widths_are_log_spaced_and_densest_near_the_threshold() {
    let settings = DoubleDescentSettings::default();
    let widths = settings.width_list();
    assert_eq!(widths.first(), Some(&10));
    assert_eq!(widths.last(), Some(&1000));
    let near = widths.iter().filter(|&&w| (80..=125).contains(&w)).count();
    let far = widths.iter().filter(|&&w| (400..=625).contains(&w)).count();
    assert!(near > 2 * far, "{widths:?}");
    let trained = DoubleDescentSettings {
        mode: FitMode::TrainedMlp,
        ..settings
    };
    let params: Vec<usize> = trained
        .width_list()
        .iter()
        .map(|&w| trained.params_at(w))
        .collect();
    assert!(
        params[0] <= 25 && *params.last().unwrap() >= 900,
        "{params:?}"
    );
}

#[test]
fn bad_settings_are_refused_in_words() {
    let bad = [
        DoubleDescentSettings {
            label_noise: 0.7,
            ..Default::default()
        },
        DoubleDescentSettings {
            ridge: -1.0,
            ..Default::default()
        },
        DoubleDescentSettings {
            ridge: f64::NAN,
            ..Default::default()
        },
        DoubleDescentSettings {
            seeds: 0,
            ..Default::default()
        },
        DoubleDescentSettings {
            train_size: 3,
            ..Default::default()
        },
        DoubleDescentSettings {
            lr: 0.0,
            ..Default::default()
        },
    ];
    for settings in bad {
        let message = DoubleDescent::new(settings).err().expect("refused");
        assert!(message.contains("must"), "{message}");
    }
}

#[test]
fn trained_networks_peak_near_the_threshold_too() {
    // What the double-descent lesson's last step says of this setting.
    let (_, summary) = sweep(DoubleDescentSettings {
        mode: FitMode::TrainedMlp,
        ..DoubleDescentSettings::default()
    });
    let place = summary.peak_over_threshold.unwrap();
    assert!(
        (0.5..=2.0).contains(&place),
        "peak at {place}× the threshold"
    );
    assert!(summary.peak_over_largest.unwrap() >= 3.0);
}
