//! A profile's files under faults and sharing: damaged, cut, rolled back, full disks
//! and several processes at once. One test binary (linking costs CI more than
//! running), one module per fault.

#[path = "../common/mod.rs"]
mod common;

mod concurrency;
mod damage;
mod disk_full;
mod rollback;
mod tamper;
