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
    /// The frame being read, kept here rather than in [`FrameReader::read`]'s future
    /// so that a read dropped halfway (by a `select!` that took another branch)
    /// loses no bytes: the next call goes on where it stopped.
    len: [u8; 4],
    len_got: usize,
    payload: Option<Vec<u8>>,
    payload_got: usize,
    /// Payload bytes received so far, for progress and measurement.
    pub bytes_read: u64,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        Self {
            inner,
            max,
            len: [0; 4],
            len_got: 0,
            payload: None,
            payload_got: 0,
            bytes_read: 0,
        }
    }

    /// Changes the cap for the frames still to come: a protocol whose one large
    /// message comes late (a link's transfer) raises it only then, so that nothing
    /// before can make this side allocate more.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// The next frame, or `None` when the peer finished the stream cleanly between
    /// frames. A stream that ends inside a frame is an error.
    ///
    /// Cancel-safe: every await is one `read` into this reader's own buffers, so
    /// dropping the future between polls leaves the stream and the frame in progress
    /// as they were. (A session that waits for frames and for local changes in one
    /// `select!` read garbage lengths before, whenever a change woke it in the middle
    /// of a frame.)
    pub async fn read(&mut self) -> Result<Option<Vec<u8>>, NetError> {
        while self.len_got < 4 {
            let n = self.inner.read(&mut self.len[self.len_got..]).await?;
            if n == 0 {
                return if self.len_got == 0 {
                    Ok(None)
                } else {
                    Err(NetError::Closed)
                };
            }
            self.len_got += n;
        }
        let len = u32::from_be_bytes(self.len) as usize;
        if len > self.max {
            return Err(NetError::FrameTooLarge(len));
        }
        let buf = self.payload.get_or_insert_with(|| vec![0u8; len]);
        while self.payload_got < len {
            let n = self.inner.read(&mut buf[self.payload_got..]).await?;
            if n == 0 {
                return Err(NetError::Closed);
            }
            self.payload_got += n;
        }
        let frame = self.payload.take().unwrap_or_default();
        self.len_got = 0;
        self.payload_got = 0;
        self.bytes_read += 4 + len as u64;
        Ok(Some(frame))
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

    /// See [`FrameReader::set_max`].
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
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

    /// A reader that is interrupted after every byte it delivers, as a `select!`
    /// with a busier branch would: the frames still come out whole and in order.
    #[tokio::test]
    async fn a_read_dropped_halfway_loses_nothing() {
        let (mut a, b) = tokio::io::duplex(1024);
        let mut r = FrameReader::new(b, 100);
        let frames: Vec<Vec<u8>> = vec![b"first".to_vec(), vec![7; 60], Vec::new(), b"x".to_vec()];
        let mut stream = Vec::new();
        for f in &frames {
            stream.extend_from_slice(&(f.len() as u32).to_be_bytes());
            stream.extend_from_slice(f);
        }
        let mut got = Vec::new();
        for byte in stream {
            a.write_all(&[byte]).await.unwrap();
            // Polled until it has taken the byte, then dropped unless a frame is whole.
            if let Ok(frame) =
                tokio::time::timeout(std::time::Duration::from_millis(5), r.read()).await
            {
                got.push(frame.unwrap().unwrap());
            }
        }
        assert_eq!(got, frames);
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
