//! Integration tests of the `wxjs` binary.

mod sign;
mod sim;
