//! Integration tests: one binary, one module per area (see ARCHITECTURE.md, Testing).

mod check;
mod cli;
mod crash;
mod draw;
mod evaluation;
mod examples;
mod explain;
mod genre;
mod incremental;
mod input;
mod moscow;
mod ontology;
mod robust;
mod serve;
mod stream;
mod support;
