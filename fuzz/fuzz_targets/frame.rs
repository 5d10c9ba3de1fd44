//! The frame decoder, fed in pieces whose sizes the input chooses: no frame over the
//! cap ever comes out, and reading always ends.
#![no_main]

use std::pin::Pin;
use std::task::{Context, Poll};

use kintsugi_net::frame::FrameReader;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, ReadBuf};

struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl AsyncRead for Trickle<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.step.min(self.data.len()).min(buf.remaining());
        let (head, rest) = self.data.split_at(n);
        buf.put_slice(head);
        self.data = rest;
        Poll::Ready(Ok(()))
    }
}

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r = FrameReader::new(
            Trickle {
                data,
                step: usize::from(step % 64) + 1,
            },
            MAX,
        );
        while let Ok(Some(f)) = r.read().await {
            assert!(f.len() <= MAX);
        }
    });
});
