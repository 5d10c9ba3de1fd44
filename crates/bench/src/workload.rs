//! Deterministic, realistic-looking entry text, so every run writes the same bytes.

const WORDS: [&str; 64] = [
    "we",
    "talked",
    "about",
    "the",
    "evening",
    "trust",
    "walk",
    "honest",
    "phone",
    "promise",
    "listen",
    "quiet",
    "dinner",
    "together",
    "hard",
    "week",
    "felt",
    "safe",
    "again",
    "morning",
    "call",
    "late",
    "message",
    "kind",
    "patience",
    "small",
    "step",
    "boundary",
    "kept",
    "time",
    "home",
    "sorry",
    "thank",
    "you",
    "for",
    "staying",
    "when",
    "it",
    "hurt",
    "and",
    "I",
    "need",
    "space",
    "to",
    "say",
    "what",
    "happened",
    "without",
    "blame",
    "tomorrow",
    "plan",
    "weekend",
    "therapist",
    "letter",
    "gentle",
    "voice",
    "slow",
    "down",
    "breathe",
    "hope",
    "repair",
    "us",
    "closer",
    "today",
];

/// A small xorshift generator: no dependency, and the same text on every machine.
pub struct Texts(u64);

impl Texts {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A sentence of `min..=max` characters (give or take a word).
    pub fn text(&mut self, min: usize, max: usize) -> String {
        let span = (max.saturating_sub(min) + 1) as u64;
        let target = min + (self.next() % span) as usize;
        let mut s = String::with_capacity(target + 16);
        while s.len() < target {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
        }
        s.push('.');
        s
    }

    /// A boundary as people write them: one or two sentences.
    pub fn boundary(&mut self) -> String {
        self.text(40, 200)
    }

    /// A diary entry: a paragraph or two.
    pub fn diary(&mut self) -> String {
        self.text(200, 1200)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (Texts::new(1), Texts::new(1));
        for _ in 0..100 {
            let t = a.boundary();
            assert_eq!(t, b.boundary());
            assert!((40..=220).contains(&t.len()), "{}", t.len());
        }
    }
}
