//! Where a profile stands, for `status` and the home screen.

use std::path::PathBuf;

use crate::{Device, Result};

/// Where a profile stands, for `status` and the home screen.
#[derive(Debug, Clone)]
pub struct Status {
    pub profile: PathBuf,
    pub partner_id: String,
    pub name: Option<String>,
    pub paired: bool,
    pub partner_name: Option<String>,
    /// The partner device's endpoint id, shortened.
    pub partner_endpoint: Option<String>,
    /// When the two devices last held the same journal (Unix ms).
    pub last_sync: Option<i64>,
    pub boundaries: usize,
    pub checkins: usize,
    pub letters: usize,
    pub drafts: usize,
    pub promises: usize,
    pub diary_entries: usize,
    pub shared_entries: usize,
    /// Interrupted writes found at open (they were never reported as saved).
    pub warnings: Vec<String>,
}

impl Device {
    /// The name this person gave themselves, or "" before they set one.
    pub(crate) fn own_name(&self) -> Result<String> {
        self.read_shared(|s, me| {
            s.partners()
                .into_iter()
                .find(|p| &p.id == me)
                .map(|p| p.name)
                .unwrap_or_default()
        })
    }

    pub fn status(&self) -> Result<Status> {
        let (me, dir, paired, warnings) = self.with(|i| {
            let mut warnings = Vec::new();
            for (name, torn) in [("shared journal", i.shared.torn), ("private diary", i.diary.torn)] {
                if let Some(t) = torn {
                    warnings.push(format!(
                        "the last write to the {name} was interrupted ({} bytes); it was never reported as saved and will be cleared at the next write",
                        t.bytes
                    ));
                }
            }
            Ok((i.me.clone(), i.dir.clone(), i.keys.keyring.pairing.is_some(), warnings))
        })?;
        let (name, partner_name) = self.read_shared(|s, me| {
            let partners = s.partners();
            let name = partners
                .iter()
                .find(|p| &p.id == me)
                .map(|p| p.name.clone());
            let partner_name = partners
                .iter()
                .find(|p| &p.id != me)
                .map(|p| p.name.clone());
            (name, partner_name)
        })?;
        // Counted from the cached lists: reading 10,000 entries out of Automerge
        // again on every status (the app asks after each change) held the device,
        // and with it the partner's next sync message, for a tenth of a second.
        let boundaries = self.cached(|l, j| l.boundaries_len(j))?;
        let checkins = self.cached(|l, j| l.checkins_len(j))?;
        let letters = self.cached(|l, j| l.letters_len(j))?;
        let promises = self.cached(|l, j| l.promises_len(j))?;
        let shared_entries = self.cached(|l, j| l.shared_entries_len(j))?;
        let diary_entries = self.cached_diary(|l, d| l.entries_len(d))?;
        let drafts = self.cached_diary(|l, d| l.drafts_len(d))?;
        let partner = self.partner()?;
        let partner_name = partner_name.or_else(|| partner.as_ref().and_then(|p| p.name.clone()));
        Ok(Status {
            partner_endpoint: partner
                .as_ref()
                .map(|p| p.endpoint.chars().take(10).collect()),
            last_sync: partner.as_ref().and_then(|p| p.last_sync),
            profile: dir,
            partner_id: me.to_string(),
            name,
            paired,
            partner_name,
            boundaries,
            checkins,
            letters,
            drafts,
            promises,
            diary_entries,
            shared_entries,
            warnings,
        })
    }
}
