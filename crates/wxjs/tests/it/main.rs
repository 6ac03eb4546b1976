//! Integration tests of the `wxjs` binary.

mod dev;
mod sign;
mod sim;
