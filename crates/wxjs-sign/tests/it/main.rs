//! Integration tests of `wxjs-sign`: every vector of `vectors.json`, and properties.

mod props;
mod vectors;
