//! The simulated WeChat platform.
pub mod clock;
pub mod config;
pub mod state;
