//! Real networks the tests build for themselves: network namespaces with veth links,
//! a real iroh relay server, mDNS inside them. One test binary (linking costs CI more
//! than running): `faults` (a cut link, a vanished peer, a crash), `relay` (two homes
//! that meet only through a relay, and local mode found by mDNS alone).

#[path = "../common/mod.rs"]
mod common;

mod faults;
mod relay;
mod support;
