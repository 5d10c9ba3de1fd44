//! Tiny, strict binary encodings shared by the invite and the protocol messages.
//! Every reader checks lengths before it slices, so hostile input can only produce
//! an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use iroh::RelayUrl;

/// A cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.array()?))
    }

    /// A u8-length-prefixed byte string.
    pub fn short_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    pub fn addrs(&mut self) -> Option<Vec<SocketAddr>> {
        let n = self.u8()? as usize;
        let mut out = Vec::with_capacity(n.min(32));
        for _ in 0..n {
            let ip = match self.u8()? {
                4 => IpAddr::V4(Ipv4Addr::from(self.array::<4>()?)),
                6 => IpAddr::V6(Ipv6Addr::from(self.array::<16>()?)),
                _ => return None,
            };
            out.push(SocketAddr::new(ip, self.u16()?));
        }
        Some(out)
    }

    /// `short(relay URL)`, empty for none: `Some(None)` is "no relay", `None` a
    /// cut-short or unparsable field.
    pub fn relay(&mut self) -> Option<Option<RelayUrl>> {
        let b = self.short_bytes()?;
        if b.is_empty() {
            return Some(None);
        }
        Some(Some(std::str::from_utf8(b).ok()?.parse::<RelayUrl>().ok()?))
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

pub(crate) fn put_short_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(&b[..n]);
}

pub(crate) fn put_long_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

/// A relay URL as `short(UTF-8)`, empty for none. A URL longer than 255 bytes is
/// written as none rather than cut (a cut URL would name another server).
pub(crate) fn put_relay(out: &mut Vec<u8>, relay: Option<&RelayUrl>) {
    let text = relay.map(|r| r.as_str()).unwrap_or("");
    put_short_bytes(
        out,
        if text.len() <= 255 {
            text.as_bytes()
        } else {
            &[]
        },
    );
}

/// At most 16 addresses: enough for every interface a laptop has, small enough for a
/// QR code.
pub(crate) fn put_addrs(out: &mut Vec<u8>, addrs: &[SocketAddr]) {
    let addrs = &addrs[..addrs.len().min(16)];
    out.push(addrs.len() as u8);
    for a in addrs {
        match a.ip() {
            IpAddr::V4(ip) => {
                out.push(4);
                out.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                out.push(6);
                out.extend_from_slice(&ip.octets());
            }
        }
        out.extend_from_slice(&a.port().to_be_bytes());
    }
}
