//! A film strip of one model's landscape across training: slices at chosen
//! steps, each through the parameters of that step along directions drawn
//! with the same seed, so the frames differ only because training moved.
//! Side by side they show the landscape is not fixed: a valley opens where a
//! wall stood as the parameters move in all the dimensions the slice leaves
//! out.

use std::sync::Arc;
use std::time::Duration;

use super::directions::{DirectionError, DirectionKind, make_direction};
use super::grid::{Grid, GridSpec, GridTask, Plane, evaluate_grid};
use super::projection::project;
use crate::exec::{Instant, Step, Task};
use crate::nn::ParamLayout;
use crate::problem::{Problem, Workspace};

/// One frame of the strip.
#[derive(Clone, Debug)]
pub struct FilmFrame {
    /// The step the frame shows.
    pub step: u64,
    /// The loss at the frame's centre (the parameters of that step).
    pub loss: f32,
    /// The plane of the slice (centred on those parameters).
    pub plane: Plane,
    /// The slice through those parameters.
    pub grid: Grid,
    /// The path up to that step, projected onto the frame's plane.
    pub path: Vec<(f32, f32)>,
}

/// Parameters at one step, as the strip receives them.
#[derive(Clone, Copy, Debug)]
pub struct StepParams<'a> {
    /// Step index.
    pub step: u64,
    /// Parameters after that many steps.
    pub params: &'a [f32],
}

/// How every frame of a strip is sliced.
#[derive(Clone, Copy, Debug)]
pub struct FilmSpec {
    /// The kind of direction (filter-normalised, for a network).
    pub kind: DirectionKind,
    /// Seeds the directions, the same for every frame.
    pub seed: u64,
    /// The grid of each frame.
    pub grid: GridSpec,
}

/// Slices through each of `frames` along directions drawn from the spec's
/// seed at that frame's parameters (filter normalisation depends on them),
/// with the part of `path` up to the frame projected onto it.
///
/// `progress` gets the frames done so far; `cancelled` stops the work between
/// and inside frames (then `Ok(None)`).
pub fn film_strip(
    problem: &dyn Problem,
    frames: &[StepParams<'_>],
    path: &[StepParams<'_>],
    film: &FilmSpec,
    progress: &dyn Fn(usize),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Vec<FilmFrame>>, DirectionError> {
    let mut out = Vec::with_capacity(frames.len());
    for (done, frame) in frames.iter().enumerate() {
        let plane = frame_plane(problem.layout(), frame.params, film)?;
        let Some(grid) = evaluate_grid(problem, &plane, &film.grid, cancelled) else {
            return Ok(None);
        };
        out.push(finish_frame(problem, *frame, plane, grid, path));
        progress(done + 1);
    }
    Ok(Some(out))
}

/// The plane of the frame at `params`: the spec's directions drawn there.
fn frame_plane(
    layout: &ParamLayout,
    params: &[f32],
    film: &FilmSpec,
) -> Result<Plane, DirectionError> {
    let directions = (1..=film.grid.dims() as u64)
        .map(|k| make_direction(film.kind, layout, params, film.seed.wrapping_add(k)))
        .collect::<Result<Vec<_>, _>>()?;
    Plane::new(params.to_vec(), directions)
}

/// A frame from its grid: the path up to its step projected onto its plane.
fn finish_frame(
    problem: &dyn Problem,
    frame: StepParams<'_>,
    plane: Plane,
    grid: Grid,
    path: &[StepParams<'_>],
) -> FilmFrame {
    let projected = path
        .iter()
        .filter(|p| p.step <= frame.step && p.params.len() == plane.center.len())
        .map(|p| {
            let c = project(&plane, p.params).coords;
            (c[0], c.get(1).copied().unwrap_or(0.0))
        })
        .collect();
    FilmFrame {
        step: frame.step,
        loss: problem.loss(frame.params, &mut Workspace::default()),
        grid,
        path: projected,
        plane,
    }
}

/// [`film_strip`] as an executor task: frame after frame, each frame's grid
/// in slices, so a page keeps drawing while a strip is made. The frames are
/// the ones [`film_strip`] gives, bit for bit.
pub struct FilmStripTask {
    problem: Arc<dyn Problem>,
    /// Each frame's step and parameters.
    frames: Vec<(u64, Arc<[f32]>)>,
    /// The run's kept points, for the paths.
    path: Vec<(u64, Arc<[f32]>)>,
    film: FilmSpec,
    done: Vec<FilmFrame>,
    /// The frame being sliced: its plane and its grid's task.
    current: Option<(Arc<Plane>, GridTask)>,
}

impl FilmStripTask {
    /// A strip of `frames` with the part of `path` up to each projected on it.
    pub fn new(
        problem: Arc<dyn Problem>,
        frames: Vec<(u64, Arc<[f32]>)>,
        path: Vec<(u64, Arc<[f32]>)>,
        film: FilmSpec,
    ) -> Self {
        Self {
            done: Vec::with_capacity(frames.len()),
            problem,
            frames,
            path,
            film,
            current: None,
        }
    }
}

impl Task for FilmStripTask {
    type Output = Vec<FilmFrame>;

    fn advance(&mut self, budget: Duration) -> Result<Step<Vec<FilmFrame>>, String> {
        let started = Instant::now();
        let total = self.frames.len().max(1) as f32;
        loop {
            let index = self.done.len();
            let Some((step, params)) = self.frames.get(index).cloned() else {
                return Ok(Step::Done(std::mem::take(&mut self.done)));
            };
            let (plane, task) = match &mut self.current {
                Some(current) => current,
                None => {
                    let plane = frame_plane(self.problem.layout(), &params, &self.film)
                        .map_err(|e| e.to_string())?;
                    let plane = Arc::new(plane);
                    let task = GridTask::new(
                        Arc::clone(&self.problem),
                        Arc::clone(&plane),
                        self.film.grid,
                    );
                    self.current.insert((plane, task))
                }
            };
            let left = budget.saturating_sub(started.elapsed());
            match task.advance(left)? {
                Step::Working(part) => return Ok(Step::Working((index as f32 + part) / total)),
                Step::Done(grid) => {
                    let plane = Arc::unwrap_or_clone(Arc::clone(plane));
                    self.current = None;
                    let path: Vec<StepParams<'_>> = self
                        .path
                        .iter()
                        .map(|(step, params)| StepParams {
                            step: *step,
                            params,
                        })
                        .collect();
                    let frame = StepParams {
                        step,
                        params: &params,
                    };
                    let finished = finish_frame(self.problem.as_ref(), frame, plane, grid, &path);
                    self.done.push(finished);
                    if self.done.len() < self.frames.len() && started.elapsed() >= budget {
                        return Ok(Step::Working(self.done.len() as f32 / total));
                    }
                }
            }
        }
    }
}

/// Steps for a strip of `count` frames over a run of `last` steps: 0, then
/// powers of ten (10, 100, 1000, ...) while they fit, then the last step;
/// when fewer fit than frames are asked for, the widest gaps (on a log scale)
/// get their geometric middle. Always ascending and without repeats.
pub fn film_steps(last: u64, count: usize) -> Vec<u64> {
    let count = count.max(1);
    if last == 0 || count == 1 {
        return vec![last];
    }
    let mut steps = vec![0];
    let mut power = 10u64;
    while power < last && steps.len() + 1 < count {
        steps.push(power);
        power = power.saturating_mul(10);
    }
    steps.push(last);
    while steps.len() < count {
        let ratio = |w: &[u64]| w[1] as f64 / w[0].max(1) as f64;
        let widest = steps
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] - w[0] >= 2)
            .max_by(|(_, a), (_, b)| ratio(a).total_cmp(&ratio(b)));
        let Some((i, w)) = widest else { break };
        let middle =
            ((w[0].max(1) as f64 * w[1] as f64).sqrt().round() as u64).clamp(w[0] + 1, w[1] - 1);
        steps.insert(i + 1, middle);
    }
    steps
}

/// For each wanted step, the index of the available step nearest to it (a
/// decimated trajectory keeps only some steps); repeats are dropped.
pub fn nearest_steps(wanted: &[u64], available: &[u64]) -> Vec<usize> {
    let mut picked: Vec<usize> = wanted
        .iter()
        .filter_map(|&w| {
            available
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| a.abs_diff(w))
                .map(|(i, _)| i)
        })
        .collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::SurfaceProblem;
    use crate::surface::SurfaceKind;

    #[test]
    fn steps_are_zero_powers_of_ten_and_the_end() {
        assert_eq!(film_steps(1000, 4), vec![0, 10, 100, 1000]);
        assert_eq!(film_steps(2500, 5), vec![0, 10, 100, 1000, 2500]);
        assert_eq!(film_steps(2500, 3), vec![0, 10, 2500]);
        assert_eq!(film_steps(0, 4), vec![0]);
        assert_eq!(film_steps(3, 6), vec![0, 1, 2, 3]);
        // Too few powers of ten for five frames: the widest gap gets its middle.
        assert_eq!(film_steps(120, 5), vec![0, 10, 32, 100, 120]);
        // Few powers of ten fit in 50 steps: the frames are spread on a log scale.
        let steps = film_steps(50, 5);
        assert_eq!(steps.len(), 5, "{steps:?}");
        assert_eq!((steps[0], steps[4]), (0, 50));
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    }

    #[test]
    fn the_sliced_strip_is_the_strip_bit_for_bit() {
        use crate::data::{DatasetKind, DatasetSpec, generate};
        use crate::nn::{Activation, Init, Mlp};
        use crate::problem::MlpProblem;
        use crate::train::{Run, TrainConfig};
        let spec = DatasetSpec {
            size: 80,
            ..DatasetSpec::new(DatasetKind::Moons)
        };
        let mlp = Mlp::new(&[2, 6, 2], Activation::Tanh).expect("an MLP");
        let problem: Arc<dyn Problem> = Arc::new(
            MlpProblem::new(
                mlp,
                Arc::new(generate(&spec).expect("data")),
                Init::Torch,
                "m",
            )
            .expect("a problem"),
        );
        let mut run = Run::new(Arc::clone(&problem), TrainConfig::default()).expect("run");
        let mut kept: Vec<(u64, Arc<[f32]>)> = Vec::new();
        for step in 0..=30u64 {
            kept.push((step, run.params().to_vec().into()));
            run.step();
        }
        let frames: Vec<(u64, Arc<[f32]>)> =
            [0usize, 10, 30].iter().map(|&i| kept[i].clone()).collect();
        let film = FilmSpec {
            kind: DirectionKind::Filter,
            seed: 4,
            grid: GridSpec::square(1.0, 13),
        };
        let as_steps = |v: &[(u64, Arc<[f32]>)]| -> Vec<(u64, Vec<f32>)> {
            v.iter().map(|(s, p)| (*s, p.to_vec())).collect()
        };
        let (frames_owned, kept_owned) = (as_steps(&frames), as_steps(&kept));
        let frame_params: Vec<StepParams<'_>> = frames_owned
            .iter()
            .map(|(step, params)| StepParams {
                step: *step,
                params,
            })
            .collect();
        let path_params: Vec<StepParams<'_>> = kept_owned
            .iter()
            .map(|(step, params)| StepParams {
                step: *step,
                params,
            })
            .collect();
        let whole = film_strip(
            problem.as_ref(),
            &frame_params,
            &path_params,
            &film,
            &|_| {},
            &|| false,
        )
        .expect("no error")
        .expect("not cancelled");
        let mut task = FilmStripTask::new(Arc::clone(&problem), frames, kept, film);
        let mut slices = 0;
        let sliced = loop {
            slices += 1;
            match task.advance(Duration::ZERO).expect("no error") {
                Step::Working(_) => {}
                Step::Done(frames) => break frames,
            }
        };
        assert!(slices > 3 * 13 * 13 / 16, "sliced into pieces: {slices}");
        assert_eq!(sliced.len(), whole.len());
        for (a, b) in sliced.iter().zip(&whole) {
            assert_eq!(a.step, b.step);
            assert_eq!(a.loss, b.loss);
            assert_eq!(a.grid.values, b.grid.values);
            assert_eq!(a.plane, b.plane);
            assert_eq!(a.path, b.path);
        }
    }

    #[test]
    fn nearest_kept_steps_are_found_once() {
        let kept = [0, 4, 9, 12, 96, 100, 1000];
        assert_eq!(nearest_steps(&[0, 10, 100, 1000], &kept), vec![0, 2, 5, 6]);
        assert_eq!(nearest_steps(&[1, 2], &kept), vec![0]);
        assert!(nearest_steps(&[5], &[]).is_empty());
    }

    #[test]
    fn each_frame_is_the_surface_around_its_own_point() {
        // On the bowl x² + y² a Gaussian plane through (x0, y0) has a closed form.
        let bowl = SurfaceProblem::new(SurfaceKind::Bowl);
        let points = [[1.0f32, 1.0], [0.5, 0.2], [0.0, 0.1]];
        let frames: Vec<StepParams> = points
            .iter()
            .enumerate()
            .map(|(i, p)| StepParams {
                step: i as u64 * 10,
                params: p,
            })
            .collect();
        let spec = GridSpec::square(0.5, 5);
        let film = FilmSpec {
            kind: DirectionKind::Gaussian,
            seed: 7,
            grid: spec,
        };
        let done = std::cell::Cell::new(0);
        let strip = film_strip(&bowl, &frames, &frames, &film, &|d| done.set(d), &|| false)
            .expect("directions")
            .expect("not cancelled");
        assert_eq!(done.get(), 3);
        assert_eq!(strip.len(), 3);
        let d1 = make_direction(DirectionKind::Gaussian, bowl.layout(), &points[0], 8).expect("d");
        let d2 = make_direction(DirectionKind::Gaussian, bowl.layout(), &points[0], 9).expect("d");
        for (frame, centre) in strip.iter().zip(&points) {
            assert!((frame.loss - (centre[0].powi(2) + centre[1].powi(2))).abs() < 1e-6);
            for (j, b) in spec.beta.expect("2D").values().iter().enumerate() {
                for (i, a) in spec.alpha.values().iter().enumerate() {
                    let x = centre[0] + a * d1[0] + b * d2[0];
                    let y = centre[1] + a * d1[1] + b * d2[1];
                    assert!((frame.grid.at(i, j) - (x * x + y * y)).abs() < 1e-4);
                }
            }
        }
        // The path so far, ending at the frame's own centre (0, 0).
        assert_eq!(strip[0].path.len(), 1);
        assert_eq!(strip[2].path.len(), 3);
        let (a, b) = strip[2].path[2];
        assert!(a.abs() < 1e-5 && b.abs() < 1e-5);
        // Cancelling stops it.
        let none = film_strip(&bowl, &frames, &[], &film, &|_| {}, &|| true);
        assert!(matches!(none, Ok(None)));
    }
}
