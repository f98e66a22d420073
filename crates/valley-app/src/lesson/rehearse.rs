//! A lesson step played on the engine alone, without a window: the same
//! scene, drop and steps as in the app, so tests and authors can see what
//! each prediction answers and which checks fire, and in how many steps.

use std::sync::Arc;

use super::facts::Seen;
use super::file::{Lesson, LessonStep};
use crate::curvature_view::SpectrumPoint;
use crate::race::lane_configs;
use crate::runtime::{build_problem, random_plane};
use crate::{LowerChart, ProblemChoice, Settings};
use valley_engine::analysis::{Control, analyse_curvature};
use valley_engine::landscape::project;
use valley_engine::problem::Problem;
use valley_engine::train::{Lane, Race, RaceSnapshot, Run, RunState, Snapshot};

/// What one step's run showed.
#[derive(Clone, Debug)]
pub struct Rehearsal {
    /// The prediction's answer, if the step asks one.
    pub answer: Option<bool>,
    /// Whether each check fired during or at the end of the run.
    pub fired: Vec<bool>,
    /// The narration as it reads at the end.
    pub narration: String,
    /// The loss the student sees at the end.
    pub loss: f32,
    /// The run's step at the end.
    pub step: u64,
}

/// Plays every step in order (a step with `reset = false` goes on from the
/// one before), with `settings_for` adjusting each step's settings (a test's
/// contrasting run); checks are watched every `every` steps.
pub fn rehearse_lesson(
    lesson: &Lesson,
    settings_for: &dyn Fn(usize, &mut Settings),
) -> Result<Vec<Rehearsal>, String> {
    let mut out = Vec::new();
    let mut kept: Option<(Arc<dyn Problem>, Run)> = None;
    let mut spectrum = Vec::new();
    for (index, step) in lesson.steps.iter().enumerate() {
        let mut settings = step.settings.clone();
        settings_for(index, &mut settings);
        let (problem, run) = match kept.take() {
            Some((problem, mut run)) if !step.file.reset => {
                run.set_config(settings.train).map_err(|e| e.to_string())?;
                (problem, run)
            }
            _ => {
                spectrum.clear();
                let problem = build_problem(&settings).map_err(|e| format!("{e:#}"))?;
                let run =
                    Run::new(Arc::clone(&problem), settings.train).map_err(|e| e.to_string())?;
                (problem, run)
            }
        };
        let (rehearsal, run) = rehearse_step(step, &settings, &problem, run, &mut spectrum)?;
        out.push(rehearsal);
        kept = Some((problem, run));
    }
    Ok(out)
}

/// What the app's curvature panel would show at the end of a step.
#[derive(Clone, Copy, Default)]
struct Analysis {
    lambda_max: Option<f32>,
    negative_share: Option<f32>,
}

fn rehearse_step(
    step: &LessonStep,
    settings: &Settings,
    problem: &Arc<dyn Problem>,
    mut run: Run,
    spectrum: &mut Vec<SpectrumPoint>,
) -> Result<(Rehearsal, Run), String> {
    let file = &step.file;
    if let Some([x, y]) = file.drop {
        run.set_params(vec![x, y]);
    }
    let since = if file.reset || file.drop.is_some() {
        0
    } else {
        run.step_index()
    };
    let surface = matches!(settings.problem, ProblemChoice::Surface(_));
    let mut race = match settings.race.is_empty() || !surface {
        true => None,
        false => {
            let lanes: Vec<Lane> = settings
                .race
                .iter()
                .zip(lane_configs(settings))
                .map(|(kind, config)| Lane {
                    name: kind.name().into(),
                    config,
                })
                .collect();
            let mut race = Race::new(problem, &lanes).map_err(|e| e.to_string())?;
            race.start_at(run.params());
            Some(race)
        }
    };
    let plane = match surface {
        true => None,
        false => Some(random_plane(problem, settings, run.initial_params())?),
    };
    // The app analyses the curvature whenever the panel shows and the run pauses.
    let analyses = settings.lower == LowerChart::Curvature;
    let mut fired = vec![false; file.check.len()];
    let train = file.train.unwrap_or(0);
    let every = (train / 100).max(1);
    let mut look =
        |run: &mut Run, race: &mut Option<Race>, analysis: Analysis, spectrum: &[SpectrumPoint]| {
            let state =
                run.divergence()
                    .map_or(RunState::Paused, |(step, loss)| RunState::Diverged {
                        step,
                        loss,
                    });
            let snapshot = run.snapshot(state, 0.0);
            let race = race.as_mut().map(|r| r.snapshot(RunState::Paused));
            let seen = seen_of(
                &snapshot,
                race.as_ref(),
                settings,
                plane.as_ref(),
                analysis,
                since,
                spectrum,
            );
            for (fired, check) in fired.iter_mut().zip(&file.check) {
                *fired |= check.when.is_decidable(&seen) && check.when.holds(&seen);
            }
            (snapshot, race)
        };
    for i in 0..train {
        if run.divergence().is_none() {
            let _ = run.step();
        }
        if let Some(race) = &mut race {
            race.step();
        }
        let over = run.divergence().is_some() && race.as_ref().is_none_or(|r| r.is_over());
        if (i + 1) % every == 0 && i + 1 < train && !over {
            look(&mut run, &mut race, Analysis::default(), spectrum);
        }
        if over {
            break;
        }
    }
    let mut analysis = Analysis::default();
    if analyses && run.divergence().is_none() {
        let snapshot = run.snapshot(RunState::Paused, 0.0);
        if let Ok(c) = analyse_curvature(problem.as_ref(), &snapshot, &Control::none()) {
            analysis = Analysis {
                lambda_max: c.top.first().map(|&l| l as f32),
                negative_share: Some(c.negative_share as f32),
            };
            spectrum.retain(|p| p.step != c.step);
            spectrum.push(SpectrumPoint {
                step: c.step,
                loss: snapshot.evaluation.train_loss,
                negative_share: c.negative_share,
                lambda_max: c.top.first().copied().unwrap_or(f64::NAN),
            });
        }
    }
    let (snapshot, race_snapshot) = look(&mut run, &mut race, analysis, spectrum);
    let seen = seen_of(
        &snapshot,
        race_snapshot.as_ref(),
        settings,
        plane.as_ref(),
        analysis,
        since,
        spectrum,
    );
    let rehearsal = Rehearsal {
        answer: file
            .predict
            .as_ref()
            .filter(|p| p.answer.is_decidable(&seen))
            .map(|p| p.answer.holds(&seen)),
        fired,
        narration: step.narration.render(&seen),
        loss: seen.loss(),
        step: snapshot.step,
    };
    Ok((rehearsal, run))
}

fn seen_of<'a>(
    snapshot: &'a Snapshot,
    race: Option<&'a RaceSnapshot>,
    settings: &Settings,
    plane: Option<&valley_engine::landscape::Plane>,
    analysis: Analysis,
    since: u64,
    spectrum: &'a [SpectrumPoint],
) -> Seen<'a> {
    Seen {
        snapshot,
        race,
        lr: settings.train.optimizer.lr,
        optimizer: settings.train.optimizer.kind,
        off_plane: plane.map(|p| project(p, &snapshot.params).distance),
        lambda_max: analysis.lambda_max,
        since,
        negative_share: analysis.negative_share,
        spectrum,
        dimensions: settings.dimensions,
    }
}
