//! The frame decoder and sealed frames.

use super::*;

/// Hands out a byte stream in pieces of the given sizes, as a network would.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    steps: Vec<usize>,
    step: usize,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let want = self.steps[self.step % self.steps.len()].max(1);
        self.step += 1;
        let n = want.min(self.data.len() - self.pos).min(buf.remaining());
        let pos = self.pos;
        buf.put_slice(&self.data[pos..pos + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

fn read_all(data: Vec<u8>, steps: Vec<usize>, max: usize) -> (Vec<Vec<u8>>, Option<NetError>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r = FrameReader::new(
            Trickle {
                data,
                pos: 0,
                steps,
                step: 0,
            },
            max,
        );
        let mut frames = Vec::new();
        loop {
            match r.read().await {
                Ok(Some(f)) => {
                    assert!(f.len() <= max, "a frame over the cap came through");
                    frames.push(f);
                }
                Ok(None) => return (frames, None),
                Err(e) => return (frames, Some(e)),
            }
        }
    })
}

#[test]
fn frame_decoder_returns_exactly_what_was_framed_or_an_error() {
    let mut rng = Rng::seeded("frames");
    const MAX: usize = 300;
    for case in 0..cases() {
        let frames: Vec<Vec<u8>> = (0..rng.below(6))
            .map(|_| rng.some_bytes(0, MAX + 1))
            .collect();
        let mut stream = Vec::new();
        let mut ends = vec![0];
        for f in &frames {
            stream.extend_from_slice(&(f.len() as u32).to_be_bytes());
            stream.extend_from_slice(f);
            ends.push(stream.len());
        }
        let steps: Vec<usize> = (0..4).map(|_| rng.range(1, 40) as usize).collect();
        // Whole: every frame, then a clean end.
        let (got, err) = read_all(stream.clone(), steps.clone(), MAX);
        assert_eq!(got, frames, "case {case}");
        assert!(err.is_none(), "case {case}: {err:?}");
        // Cut anywhere: the whole frames before the cut, then an error unless the cut
        // falls between frames.
        let cut = rng.usize(stream.len() + 1);
        let (got, err) = read_all(stream[..cut].to_vec(), steps.clone(), MAX);
        let whole = ends.iter().filter(|&&e| e <= cut).count() - 1;
        assert_eq!(got, frames[..whole], "case {case}: cut at {cut}");
        assert_eq!(
            err.is_some(),
            !ends.contains(&cut),
            "case {case}: cut at {cut}"
        );
        // A length over the cap is refused.
        let mut big = stream[..ends[whole]].to_vec();
        big.extend_from_slice(&((MAX + 1 + rng.usize(1 << 20)) as u32).to_be_bytes());
        big.extend(rng.some_bytes(0, 50));
        let (got, err) = read_all(big, steps.clone(), MAX);
        assert_eq!(got, frames[..whole]);
        assert!(matches!(err, Some(NetError::FrameTooLarge(_))), "{err:?}");
        // Garbage and mutated streams: no panic, nothing over the cap.
        read_all(rng.some_bytes(0, 400), steps.clone(), MAX);
        read_all(mutate(&mut rng, &stream), steps, MAX);
    }
}

#[test]
fn sealed_frames_open_only_unchanged_in_order_and_in_their_direction() {
    let mut rng = Rng::seeded("sealed");
    const LABEL: &[u8] = b"kintsugi/sync/1";
    let mut refused = 0;
    for case in 0..cases() / 4 {
        let couple = Secret32::from_bytes(rng.bytes(32).try_into().unwrap());
        let nonces: Vec<[u8; 32]> = (0..2).map(|_| rng.bytes(32).try_into().unwrap()).collect();
        let (d2a, a2d) = session_keys(&couple, LABEL, &[1; 32], &[2; 32], &nonces[0], &nonces[1]);
        let mut sealer = Sealer::new(d2a.clone(), Direction::DialerToAcceptor, LABEL);
        let mut opener = Opener::new(d2a.clone(), Direction::DialerToAcceptor, LABEL);
        let mut reflected = Opener::new(a2d.clone(), Direction::AcceptorToDialer, LABEL);
        let mut sent: Vec<Vec<u8>> = Vec::new();
        for i in 0..rng.range(1, 5) {
            let plain = rng.some_bytes(0, 64);
            let frame = sealer.seal(&plain).unwrap();
            // Every single-byte change, truncation and extension is refused, and a
            // refusal does not move the counter: the genuine frame still opens.
            for pos in 0..frame.len() {
                let mut bad = frame.clone();
                bad[pos] ^= rng.nonzero_byte();
                assert!(opener.open(&bad).is_err(), "case {case}: flip at {pos}");
                refused += 1;
            }
            for len in 0..frame.len() {
                assert!(opener.open(&frame[..len]).is_err());
                refused += 1;
            }
            let mut longer = frame.clone();
            longer.extend(rng.some_bytes(1, 16));
            assert!(opener.open(&longer).is_err());
            assert!(reflected.open(&frame).is_err(), "reflected frame opened");
            if let Some(prev) = sent.last() {
                assert!(opener.open(prev).is_err(), "replayed frame opened");
            }
            refused += 3;
            assert_eq!(&opener.open(&frame).unwrap()[..], &plain[..], "frame {i}");
            sent.push(frame);
        }
        // Garbage never opens.
        for _ in 0..8 {
            let junk = rng.some_bytes(0, 100);
            assert!(opener.open(&junk).is_err());
            refused += 1;
        }
        // Another couple's key or another session's nonces: nothing opens.
        let other = Secret32::from_bytes(rng.bytes(32).try_into().unwrap());
        let (k2, _) = session_keys(&other, LABEL, &[1; 32], &[2; 32], &nonces[0], &nonces[1]);
        let (k3, _) = session_keys(&couple, LABEL, &[1; 32], &[2; 32], &nonces[1], &nonces[0]);
        for k in [k2, k3] {
            let mut o = Opener::new(k, Direction::DialerToAcceptor, LABEL);
            assert!(o.open(&sent[0]).is_err());
            refused += 1;
        }
    }
    eprintln!("sealed frames: {refused} tampered, replayed, reflected or foreign frames refused");
}
