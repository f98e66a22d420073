//! The Generalisation view in the real app: each experiment runs off the UI
//! thread, its plots' numbers are the engine's, and a model picked from a
//! plot opens in the landscape views at exactly its weights.

mod common;

use common::{frames_until, harness};
use egui_kittest::kittest::Queryable;
use valley::app::{CentralView, LabExperiment};

#[test]
fn double_descent_runs_in_the_view_and_a_picked_width_opens_in_the_map() {
    let mut harness = harness();
    harness.get_by_label("Generalisation").click();
    frames_until(&mut harness, "the double-descent sweep", |app| {
        app.lab.is_settled() && !app.lab.double_descent_rows().is_empty()
    });
    // The caption states the measured peak, the same the CLI reports.
    harness.get_by_label_contains("Peak: test loss");
    let app = harness.state();
    let rows = app.lab.double_descent_rows();
    assert_eq!(
        rows.len(),
        app.settings.lab_settings.double_descent.width_list().len()
            * app.settings.lab_settings.double_descent.seeds
    );
    // Open the model nearest the threshold, as a click on its point does.
    let row = rows
        .iter()
        .find(|r| r.width == 105 && r.seed == 0)
        .unwrap()
        .clone();
    let command = app.lab.open_width(105).unwrap().unwrap();
    harness.state_mut().execute(command);
    harness.state_mut().settings.view = CentralView::Map;
    // The run opens at exactly the model's weights.
    frames_until(&mut harness, "the model in the map", |app| {
        app.runtime.snapshot.params[..] == row.weights[..]
    });
    let app = harness.state();
    assert_eq!(app.runtime.problem.num_params(), 20 * 105 + 105 + 105 + 1);
    let loss = f64::from(app.runtime.snapshot.evaluation.train_loss);
    assert!(
        (loss - row.train_loss).abs() <= 1e-6,
        "{loss} vs {}",
        row.train_loss
    );
}

#[test]
fn the_lottery_and_the_seeds_run_from_their_tabs_and_open_their_models() {
    let mut harness = harness();
    harness.state_mut().settings.view = CentralView::Generalisation;
    harness.state_mut().settings.lab = LabExperiment::Lottery;
    harness.state_mut().settings.lab_settings.lottery.rounds = 3;
    frames_until(&mut harness, "the lottery", |app| {
        app.lab.is_settled() && app.lab.lottery_rows().len() == 10
    });
    harness.get_by_label_contains("The ticket keeps the dense network's");
    let ticket = harness
        .state()
        .lab
        .lottery_rows()
        .iter()
        .find(|r| r.round == 3 && r.arm == valley::engine::generalisation::Arm::Ticket)
        .unwrap()
        .clone();
    let command = harness.state().lab.open_round(3).unwrap().unwrap();
    harness.state_mut().execute(command);
    frames_until(&mut harness, "the ticket", |app| {
        app.runtime.snapshot.params[..] == ticket.weights[..]
    });
    // Pruned weights arrive as zeros.
    let zeros = ticket.weights.iter().filter(|&&w| w == 0.0).count();
    assert!(zeros as f64 > 0.5 * ticket.weights.len() as f64);

    harness.get_by_label("Generalisation").click();
    harness.get_by_label("Luck of the draw").click();
    frames_until(&mut harness, "the seeds", |app| {
        app.lab.is_settled() && app.lab.seed_rows().len() == app.settings.lab_settings.seeds.seeds
    });
    harness.get_by_label_contains("On the straight line from the best");
    let seed = harness.state().lab.seed_rows()[3].clone();
    let command = harness.state().lab.open_seed(seed.seed).unwrap().unwrap();
    harness.state_mut().execute(command);
    frames_until(&mut harness, "the seed's model", |app| {
        app.runtime.snapshot.params[..] == seed.weights[..]
    });
    assert_eq!(harness.state().settings.train.seed, seed.seed);
}
