//! The profile's small sealed JSON files (settings, partner state): read whole and
//! changed under the device lock, so two changes made at once (the Settings page
//! and a network change, or a sync recording its state while another records the
//! partner's address) never undo each other.

use kintsugi_store::{read_sealed, write_sealed};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::documents::Inner;
use crate::{Device, DeviceError, Result};

pub(crate) struct StateFile {
    pub name: &'static str,
    /// Bound into the seal, so one file can never be passed off as another.
    pub context: &'static str,
    /// What a copy that opens but does not parse (written by another version) means:
    /// an error, or a fresh start for a file that only caches what can be learnt again.
    pub fresh_if_unreadable: bool,
    /// Whether a copy that does not open at all (damaged, tampered with) starts
    /// afresh too, with a warning in the log: only for a file whose loss costs
    /// nothing but a repeat (which reminders were shown), so that damage there
    /// never stops what reads it.
    pub fresh_if_damaged: bool,
}

impl StateFile {
    /// The stored value; the default when the file does not exist yet.
    pub(crate) fn read<T: DeserializeOwned + Default>(&self, i: &Inner) -> Result<T> {
        let path = i.dir.join(self.name);
        let sealed = match read_sealed(&path, &i.keys.keyring.profile_key, self.context) {
            Ok(sealed) => sealed,
            Err(e) if self.fresh_if_damaged => {
                tracing::warn!(file = self.name, "starting afresh: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
        match sealed {
            None => Ok(T::default()),
            Some(bytes) => match serde_json::from_slice(&bytes) {
                Ok(value) => Ok(value),
                Err(_) if self.fresh_if_unreadable => Ok(T::default()),
                Err(_) => Err(DeviceError::Damaged {
                    file: path,
                    reason: "it opened, but its content is not settings this version can read"
                        .into(),
                }),
            },
        }
    }

    pub(crate) fn write<T: Serialize>(&self, i: &Inner, value: &T) -> Result<()> {
        // Some of these files hold keys or words waiting to travel: the plaintext is
        // wiped once sealed.
        let bytes = zeroize::Zeroizing::new(serde_json::to_vec(value).map_err(|e| {
            DeviceError::Encode {
                what: self.name,
                reason: e.to_string(),
            }
        })?);
        Ok(write_sealed(
            &i.dir.join(self.name),
            &i.keys.keyring.profile_key,
            self.context,
            &bytes,
        )?)
    }
}

impl Device {
    /// Reads, changes and writes `file` under the device lock; nothing is written
    /// when `change` refuses.
    pub(crate) fn update_state_file<T: Serialize + DeserializeOwned + Default>(
        &self,
        file: &StateFile,
        change: impl FnOnce(&mut T) -> Result<()>,
    ) -> Result<T> {
        self.with(|i| {
            let mut value = file.read(i)?;
            change(&mut value)?;
            file.write(i, &value)?;
            Ok(value)
        })
    }
}
