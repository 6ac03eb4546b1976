//! Integration tests of the `wxjs` binary.

mod browser;
mod dev;
mod sign;
mod sim;
