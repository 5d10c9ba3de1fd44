//! The passphrase floor: the one rule for how strong a new passphrase must be. Both
//! front ends ask it (the app for its live hint, the CLI through the refusal), and
//! [`crate::Device::create`] and [`crate::Device::change_passphrase`] enforce it, so
//! no path can store a passphrase the other would refuse.
//!
//! The keyring is the only thing between a stolen disk and every entry, and Argon2id
//! only multiplies the cost of each guess: a passphrase in the first million guesses
//! falls in days whatever the setting. zxcvbn estimates how many guesses a
//! passphrase takes against real cracking dictionaries (common passwords, words,
//! names, dates, keyboard patterns), which a length-and-character-classes rule does
//! not: "Password1!" passes such rules.

use zeroize::Zeroizing;

/// The lowest acceptable zxcvbn score: "safely unguessable", about 10^10 guesses.
/// At the standard Argon2id cost (about half a second per guess per core) that is
/// over a century of one core's work; a score of 2 (10^8) is two days for a few
/// hundred cores.
pub const MIN_PASSPHRASE_SCORE: u8 = 3;

/// How strong a passphrase is, and what would make it stronger. Holds no part of
/// the passphrase: only zxcvbn's verdict in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphraseStrength {
    /// zxcvbn's score: 0 (among the first thousand guesses) to 4 (beyond 10^10).
    pub score: u8,
    /// At least [`MIN_PASSPHRASE_SCORE`]: a new profile or passphrase may use it.
    pub acceptable: bool,
    /// What makes it easy to guess, when there is one thing to name.
    pub warning: Option<String>,
    /// What would help.
    pub suggestions: Vec<String>,
}

impl PassphraseStrength {
    /// Why it is refused and what would help, in one line; empty when acceptable.
    pub fn advice(&self) -> String {
        if self.acceptable {
            return String::new();
        }
        let mut parts: Vec<&str> = self.warning.iter().map(String::as_str).collect();
        parts.extend(self.suggestions.iter().map(String::as_str));
        if parts.is_empty() {
            parts.push(FALLBACK_ADVICE);
        }
        parts.join(" ")
    }
}

impl std::fmt::Display for PassphraseStrength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.acceptable {
            return f.write_str("strong enough");
        }
        write!(f, "too easy to guess. {}", self.advice())
    }
}

const FALLBACK_ADVICE: &str =
    "Add another word or two; a short sentence only you would write works well.";

/// Rates a new passphrase for the person called `name`. The name (and each part of
/// it) and the app's own name count as words an attacker tries first, so "Ari2024"
/// for Ari is weak. zxcvbn looks at the first 100 characters only, which keeps a
/// long paste cheap; a passphrase that long is strong in its first 100 anyway.
pub fn passphrase_strength(passphrase: &str, name: &str) -> PassphraseStrength {
    let name = name.trim();
    let mut names: Vec<&str> = Vec::new();
    if !name.is_empty() {
        names.push(name);
        names.extend(name.split_whitespace());
    }
    let mut inputs = names.clone();
    inputs.push(APP_NAME);
    let entropy = zxcvbn::zxcvbn(passphrase, &inputs);
    let score = u8::from(entropy.score());
    let acceptable = score >= MIN_PASSPHRASE_SCORE;
    let (mut warning, mut suggestions) = match entropy.feedback() {
        Some(f) if !acceptable => (
            f.warning().map(|w| w.to_string()),
            f.suggestions().iter().map(|s| s.to_string()).collect(),
        ),
        _ => (None, Vec::new()),
    };
    if !acceptable {
        // zxcvbn counts these words as early guesses but has no words for them.
        let ours = if passphrase.is_empty() {
            Some("The passphrase is empty.")
        } else if contains_any(passphrase, &names) {
            Some("It contains your name, which anyone who knows you would try first.")
        } else if contains_any(passphrase, &[APP_NAME]) {
            Some("The app's own name is among the first guesses anyone would try.")
        } else {
            None
        };
        if let Some(ours) = ours {
            warning = Some(match warning {
                Some(theirs) => format!("{ours} {theirs}"),
                None => ours.to_string(),
            });
        }
        if suggestions.is_empty() {
            suggestions.push(FALLBACK_ADVICE.into());
        }
    }
    PassphraseStrength {
        score,
        acceptable,
        warning,
        suggestions,
    }
}

/// The same rating for bytes, as the device API takes them. Front ends only ever
/// pass text; other bytes are rated as the text they would show as.
pub(crate) fn strength_of_bytes(passphrase: &[u8], name: &str) -> PassphraseStrength {
    match std::str::from_utf8(passphrase) {
        Ok(text) => passphrase_strength(text, name),
        Err(_) => {
            let text = Zeroizing::new(String::from_utf8_lossy(passphrase).into_owned());
            passphrase_strength(&text, name)
        }
    }
}

const APP_NAME: &str = "kintsugi";

/// Whether the passphrase holds any of `words` (of two letters or more), in any case.
fn contains_any(passphrase: &str, words: &[&str]) -> bool {
    let lower = Zeroizing::new(passphrase.to_lowercase());
    words
        .iter()
        .filter(|w| w.chars().count() >= 2)
        .any(|w| lower.contains(&w.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_short_and_personal_passphrases_are_refused_with_a_reason() {
        for (pass, name) in [
            ("", "Ari"),
            ("1234", "Ari"),
            ("password", "Ari"),
            ("hunter2", "Ari"),
            ("Ari2024", "Ari"),
            ("Bartholomew Quince", "Bartholomew Quince"),
            ("kintsugi", "Ari"),
            ("qwertyuiop", "Ari"),
        ] {
            let s = passphrase_strength(pass, name);
            assert!(!s.acceptable, "{pass:?} for {name}: {s:?}");
            assert!(s.score < MIN_PASSPHRASE_SCORE);
            let advice = s.advice();
            assert!(!advice.is_empty() && !advice.contains('\n'), "{advice}");
            // ("password" is a word zxcvbn's advice uses.)
            if !pass.is_empty() && pass != "password" {
                assert!(!advice.contains(pass), "the advice repeats the passphrase");
            }
        }
        for (pass, name, why) in [
            ("Bartholomew Quince", "Bartholomew Quince", "your name"),
            ("Ari2024", "Ari", "your name"),
            ("Ari2024", "Ari", "Recent years"),
            ("kintsugi", "Ari", "app's own name"),
            ("1234", "Ari", "top-10 common password"),
        ] {
            let advice = passphrase_strength(pass, name).advice();
            assert!(advice.contains(why), "{pass:?} for {name}: {advice}");
        }
        assert!(
            !passphrase_strength("kintsugi", "Ari")
                .advice()
                .contains("your name")
        );
    }

    #[test]
    fn a_few_uncommon_words_are_enough() {
        for pass in [
            "correct horse battery staple",
            "a long passphrase for tests",
            "lantern orbit cactus river",
        ] {
            let s = passphrase_strength(pass, "Ari");
            assert!(s.acceptable, "{pass:?}: {s:?}");
            assert_eq!(s.advice(), "");
            assert!(s.warning.is_none() && s.suggestions.is_empty());
        }
    }

    #[test]
    fn the_name_makes_a_passphrase_weaker() {
        // Strong enough for someone else, too weak for the person it names.
        let pass = "bartholomew quince 7";
        assert!(passphrase_strength(pass, "Ari").acceptable);
        assert!(!passphrase_strength(pass, "Bartholomew Quince").acceptable);
    }
}
