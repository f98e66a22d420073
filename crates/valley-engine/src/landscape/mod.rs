//! Slices of the loss surface: directions in parameter space, grids of
//! loss values over a line or plane through a centre, and where a
//! parameter vector falls on that plane.

mod directions;
mod film_strip;
mod grid;
mod projection;
mod worker;
mod wormhole;

pub use directions::{
    DirectionError, DirectionKind, axis_direction, filter_normalize, gaussian_direction,
    make_direction,
};
pub use film_strip::{
    FilmFrame, FilmSpec, FilmStripTask, StepParams, film_steps, film_strip, nearest_steps,
};
pub use grid::{
    GRID_MAX_POINTS_PER_AXIS, Grid, GridAxis, GridSpec, GridTask, Plane, evaluate_grid,
};
pub use projection::{Projection, project, share_in_plane};
pub use worker::{LandscapeRequest, LandscapeResult, LandscapeWorker};
pub use wormhole::{WormholePoint, WormholeTrack};
