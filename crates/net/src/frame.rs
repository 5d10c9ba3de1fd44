//! Length-prefixed frames: `u32 length (big-endian) | payload`. Framing is kept apart
//! from encryption and protocol logic so each can be tested alone. The size cap is
//! checked before anything is allocated, so a hostile length costs nothing.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::NetError;

/// The largest frame of the sync protocol (pairing frames are far smaller); one home
/// for the number is [`crate::sync::MAX_PAYLOAD`].
pub const MAX_FRAME: usize = crate::sync::MAX_FRAME;

pub struct FrameReader<R> {
    inner: R,
    max: usize,
    /// Payload bytes received so far, for progress and measurement.
    pub bytes_read: u64,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        Self {
            inner,
            max,
            bytes_read: 0,
        }
    }

    /// The next frame, or `None` when the peer finished the stream cleanly between
    /// frames. A stream that ends inside a frame is an error.
    pub async fn read(&mut self) -> Result<Option<Vec<u8>>, NetError> {
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.inner.read(&mut len[got..]).await?;
            if n == 0 {
                return if got == 0 {
                    Ok(None)
                } else {
                    Err(NetError::Closed)
                };
            }
            got += n;
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(NetError::FrameTooLarge(len));
        }
        let mut buf = vec![0u8; len];
        self.inner.read_exact(&mut buf).await?;
        self.bytes_read += 4 + len as u64;
        Ok(Some(buf))
    }
}

pub struct FrameWriter<W> {
    inner: W,
    max: usize,
    pub bytes_written: u64,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(inner: W, max: usize) -> Self {
        Self {
            inner,
            max,
            bytes_written: 0,
        }
    }

    pub async fn write(&mut self, payload: &[u8]) -> Result<(), NetError> {
        if payload.len() > self.max {
            return Err(NetError::FrameTooLarge(payload.len()));
        }
        self.inner
            .write_all(&(payload.len() as u32).to_be_bytes())
            .await?;
        self.inner.write_all(payload).await?;
        self.inner.flush().await?;
        self.bytes_written += 4 + payload.len() as u64;
        Ok(())
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[tokio::test]
    async fn round_trip_and_clean_end() {
        let (a, b) = tokio::io::duplex(1024);
        let mut w = FrameWriter::new(a, 100);
        let mut r = FrameReader::new(b, 100);
        w.write(b"hello").await.unwrap();
        w.write(b"").await.unwrap();
        drop(w);
        assert_eq!(r.read().await.unwrap().unwrap(), b"hello");
        assert_eq!(r.read().await.unwrap().unwrap(), b"");
        assert!(r.read().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_frames_are_refused_both_ways() {
        let (a, b) = tokio::io::duplex(1024);
        let mut w = FrameWriter::new(a, 1000);
        let mut r = FrameReader::new(b, 10);
        assert!(matches!(
            w.write(&[0; 1001]).await,
            Err(NetError::FrameTooLarge(1001))
        ));
        w.write(&[0; 11]).await.unwrap();
        assert!(matches!(r.read().await, Err(NetError::FrameTooLarge(11))));
    }

    #[tokio::test]
    async fn a_stream_cut_inside_a_frame_is_an_error() {
        let (mut a, b) = tokio::io::duplex(1024);
        a.write_all(&[0, 0, 0, 9, 1, 2]).await.unwrap();
        drop(a);
        let mut r = FrameReader::new(b, 100);
        assert!(r.read().await.is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let mut r = FrameReader::new(&bytes[..], 64);
                while let Ok(Some(_)) = r.read().await {}
            });
        }
    }
}
