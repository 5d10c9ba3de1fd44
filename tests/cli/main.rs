//! The command line as a person and a script use it, through the real binary. One
//! test binary (linking costs CI more than running).

#[path = "../common/mod.rs"]
mod common;

mod agreements;
mod care;
mod commands;
mod devices;
mod exercises;
mod log_canary;
mod meeting;
mod packet;
mod remind;
mod reveal;
mod revise;
mod sealed;
