//! Integration tests of the `wxjs` binary.

mod dev;
mod hardening;
mod sign;
mod sim;
