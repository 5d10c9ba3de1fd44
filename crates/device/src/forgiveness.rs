//! Acceptance and forgiveness (stage 6), kept apart on purpose: acceptance is a
//! record in the private diary that no sync, bundle or shared export reads, and
//! forgiveness is offered in the shared journal, where the partner sees it.

use kintsugi_journal::{Acceptance, Forgiveness};

use crate::{Device, Result};

impl Device {
    /// Marks that I have reached acceptance (private; marking it again rewords it).
    pub fn accept(&self, words: Option<&str>) -> Result<Acceptance> {
        self.write_diary(|d, _, now| d.set_acceptance(words, now))
    }

    pub fn take_back_acceptance(&self) -> Result<()> {
        self.write_diary(|d, _, now| d.take_back_acceptance(now))
    }

    /// My acceptance, if I marked it: only this device knows.
    pub fn acceptance(&self) -> Result<Option<Acceptance>> {
        self.read_diary(|d, _| d.acceptance())
    }

    /// Offers my partner forgiveness; they see it, and the words, at the next sync.
    pub fn offer_forgiveness(&self, words: Option<&str>) -> Result<Forgiveness> {
        self.write_shared(|s, me, now| {
            s.offer_forgiveness(me, words, now)?;
            s.forgiveness_of(me)
                .ok_or_else(|| kintsugi_journal::JournalError::Corrupt {
                    what: "the forgiveness just offered does not read back".into(),
                })
        })
    }

    /// Takes back forgiveness I offered: it leaves both devices' views at the next
    /// sync, though my partner's device keeps what it already received.
    pub fn take_back_forgiveness(&self) -> Result<()> {
        self.write_shared(|s, me, now| s.take_back_forgiveness(me, now))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::paired;
    use crate::{Device, ExportFormat, ExportScope};

    const CANARY: &str = "ACCEPTANCE-CANARY-6c1f";

    fn carry(from: &Device, to: &Device) {
        to.import_bundle(&from.export_bundle().unwrap()).unwrap();
    }

    fn holds(bytes: &[u8], text: &str) -> bool {
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    /// Everything Ari's device shows or hands out through its API, as bytes.
    fn everything(d: &Device) -> Vec<Vec<u8>> {
        let mut out = vec![d.shared_automerge_bytes().unwrap()];
        for format in [ExportFormat::Json, ExportFormat::Markdown] {
            for scope in [ExportScope::Shared, ExportScope::WithPrivate] {
                out.push(d.export(format, scope).unwrap());
            }
        }
        out.push(format!("{:?}", d.stages().unwrap()).into_bytes());
        out.push(format!("{:?}", d.shared_entries().unwrap()).into_bytes());
        out.push(format!("{:?}", d.diary_entries().unwrap()).into_bytes());
        out.push(format!("{:?}", d.acceptance().unwrap()).into_bytes());
        out
    }

    /// Bea's acceptance never reaches Ari, by sync or in anything Ari's device can
    /// give; her forgiveness does, with her words, and leaves when she takes it back.
    #[test]
    fn acceptance_stays_on_its_device_and_forgiveness_reaches_the_partner() {
        let tmp = tempfile::tempdir().unwrap();
        let (ari, bea) = paired(tmp.path());
        let mine = bea.accept(Some(CANARY)).unwrap();
        assert_eq!(bea.acceptance().unwrap(), Some(mine));
        let offered = bea
            .offer_forgiveness(Some("I forgive you, and I am still sad"))
            .unwrap();
        carry(&bea, &ari);
        let stage = ari
            .stages()
            .unwrap()
            .iter()
            .find(|s| s.partner == bea.me().unwrap())
            .cloned()
            .unwrap();
        assert_eq!(stage.forgiveness, Some(offered));
        assert_eq!(ari.acceptance().unwrap(), None);
        for bytes in everything(&ari) {
            assert!(
                !holds(&bytes, CANARY),
                "Ari's device holds Bea's acceptance"
            );
        }
        // Bea's own export with the private part has it; the shared one does not.
        let private = bea
            .export(ExportFormat::Json, ExportScope::WithPrivate)
            .unwrap();
        assert!(holds(&private, CANARY));
        let shared = bea.export(ExportFormat::Json, ExportScope::Shared).unwrap();
        assert!(!holds(&shared, CANARY));
        assert!(!holds(&bea.shared_automerge_bytes().unwrap(), CANARY));

        // Taken back: gone from both views after the next exchange.
        bea.take_back_forgiveness().unwrap();
        assert!(bea.take_back_forgiveness().is_err());
        carry(&bea, &ari);
        assert!(
            ari.stages()
                .unwrap()
                .iter()
                .all(|s| s.forgiveness.is_none())
        );
        bea.take_back_acceptance().unwrap();
        assert_eq!(bea.acceptance().unwrap(), None);
    }
}
