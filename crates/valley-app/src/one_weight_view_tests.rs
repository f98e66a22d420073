use super::*;
use std::time::{Duration, Instant};
use valley_engine::language::{Corpus, Text};
use valley_engine::nn::Activation;
use valley_engine::problem::Workspace;

/// A small model of the first 300 names, at its seed-0 start.
fn names_model() -> (Arc<LanguageProblem>, Vec<f32>) {
    let names: String = Corpus::Names
        .text()
        .lines()
        .take(300)
        .map(|l| format!("{l}\n"))
        .collect();
    let text = Text::parse(&names, "names").expect("text");
    let problem =
        LanguageProblem::new(&text, "names", 3, 4, &[16], Activation::Tanh, 0.0).expect("model");
    let params = problem.init_params(0);
    (Arc::new(problem), params)
}

/// The worker's final grid for the newest request.
fn final_grid(worker: &LandscapeWorker) -> LandscapeResult {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = worker.latest()
            && r.is_final
            && r.generation == worker.newest_generation()
        {
            return r;
        }
        assert!(Instant::now() < deadline, "the grid never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 * b.abs().max(1.0)
}

#[test]
fn moving_one_weight_changes_that_entry_alone() {
    let params = vec![1.0, 2.0, 3.0];
    assert_eq!(moved(&params, 1, 0.5), vec![1.0, 2.5, 3.0]);
    assert_eq!(
        moved(&params, 7, 0.5),
        params,
        "an index past the end moves nothing"
    );
}

#[test]
fn the_curve_the_ball_and_the_map_are_the_loss_with_those_weights_moved() {
    let (problem, params) = names_model();
    let prompt = problem.encode("ma").expect("prompt");
    let target = problem
        .continuation_in_text(&prompt)
        .expect("'ma' is in the names");
    let [i, j] = problem.most_influential_parameters(&params, &prompt, target);
    let wake: Wake = Arc::new(|| {});
    let mut workers = Workers::new(&wake).expect("workers");
    let dyn_problem: Arc<dyn Problem> = problem.clone();
    workers.ask(&dyn_problem, &params, 0, [i, j], 0.75);
    let (curve, map, here) = (
        final_grid(&workers.curve),
        final_grid(&workers.map),
        final_grid(&workers.here),
    );
    let mut workspace = Workspace::default();
    let mut loss = |p: &[f32]| problem.loss(p, &mut workspace);
    // Along the weight: every point is the training loss with that weight moved.
    assert_eq!(curve.grid.values.len(), CURVE_POINTS);
    for (k, &a) in curve.grid.spec.alpha.values().iter().enumerate() {
        let want = loss(&moved(&params, i, a));
        assert!(
            close(curve.grid.values[k], want),
            "curve at {a}: {} vs {want}",
            curve.grid.values[k]
        );
    }
    // The middle is the trained value, the ball's value the dragged one.
    assert!(close(curve.grid.values[CURVE_POINTS / 2], loss(&params)));
    assert_eq!(here.grid.spec.alpha.min, 0.75);
    assert!(close(here.grid.values[0], loss(&moved(&params, i, 0.75))));
    // The map: both weights moved, the rest held.
    let (a, b) = (
        map.grid.spec.alpha.value(3),
        map.grid.spec.beta.expect("2D").value(20),
    );
    let both = moved(&moved(&params, i, a), j, b);
    assert!(close(map.grid.at(3, 20), loss(&both)) || close(map.grid.at(20, 3), loss(&both)));
    // A result for other weights is not taken for these.
    assert!(current(Some(curve.clone()), params.len(), &[j]).is_none());
    assert!(current(Some(curve), params.len(), &[i]).is_some());
}

#[test]
fn the_weight_offered_moves_the_prediction_more_than_any_other() {
    let (problem, params) = names_model();
    let prompt = problem.encode("ma").expect("prompt");
    let target = problem.continuation_in_text(&prompt).expect("in the text");
    let [best, _] = problem.most_influential_parameters(&params, &prompt, target);
    // The slope of −log p along each weight, by central differences in f32.
    let h = 1e-2;
    let slope = |w: usize| {
        let up = probability_with(&problem, &params, &prompt, target, w, h).ln();
        let down = probability_with(&problem, &params, &prompt, target, w, -h).ln();
        ((up - down) / (2.0 * f64::from(h))).abs()
    };
    let top = slope(best);
    assert!(top > 0.0);
    for w in (0..params.len()).step_by(7) {
        assert!(
            slope(w) <= top * 1.02 + 1e-6,
            "weight {w}: {} > {top}",
            slope(w)
        );
    }
    // Offset 0 is the model as trained.
    let p = problem.next_probabilities(&params, &prompt)[target];
    assert_eq!(
        probability_with(&problem, &params, &prompt, target, best, 0.0),
        p
    );
}

#[test]
fn embedding_entries_are_named_by_their_character() {
    let (problem, _) = names_model();
    let layout = problem.layout();
    let embedding = layout.get("embedding.weight").expect("an embedding");
    let a = problem
        .vocab()
        .iter()
        .position(|&c| c == 'a')
        .expect("an a");
    let index = embedding.offset + a * embedding.shape[1] + 2;
    assert_eq!(
        weight_name(&problem, layout, index),
        "embedding of a, entry 3"
    );
    // The last layer: rows are the vocabulary's logits.
    let last = layout.num_params() - 1;
    let z = problem.vocab().last().expect("a vocabulary");
    assert_eq!(
        weight_name(&problem, layout, last),
        format!("output bias of {z}")
    );
    let output = &layout.tensors[layout.tensors.len() - 2];
    assert_eq!(
        weight_name(&problem, layout, output.offset + output.shape[1] + 3),
        format!("output {} ← hidden unit 4", problem.vocab()[1])
    );
    let first_hidden = layout.get("mlp.0.weight").expect("a hidden layer");
    assert_eq!(
        weight_name(&problem, layout, first_hidden.offset),
        layout.describe_index(first_hidden.offset)
    );
}
