//! Pages and components, rendered on the server and hydrated in the browser; never feature-gated.

pub mod home;
pub mod not_found;
