//! Integration tests of the `wxjs` binary.

mod browser;
mod dev;
mod hardening;
mod sign;
mod sim;
