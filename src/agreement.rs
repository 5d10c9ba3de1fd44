//! `kintsugi agreement`: transparency agreements. Where one stands and who may do
//! what come from the device (`view`, `Boundary::*_refusal`); this only prints it.

use anyhow::Result;
use kintsugi_device::{Boundary, Device, json::v1, view};

use crate::args::AgreementCmd;
use crate::cli::{print_boundary, print_json, show_boundary};

pub fn agreement(device: &Device, cmd: &AgreementCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let show = |b: Boundary| show_boundary(&b, &names, json);
    match cmd {
        AgreementCmd::Add {
            text,
            scope,
            review,
            ends,
        } => {
            let id = device.propose_agreement(text, scope, review, ends)?;
            eprintln!(
                "Proposed. It holds once {} agrees, and ends by itself on {ends} unless you \
                 both renew it.",
                names.partner_in_sentence()
            );
            println!("{id}");
            Ok(())
        }
        AgreementCmd::List => {
            let list = device.agreements()?;
            if json {
                let list: Vec<v1::Boundary> = list.iter().map(v1::Boundary::from).collect();
                return print_json(&list);
            }
            if list.is_empty() {
                println!("No transparency agreements yet.");
                println!();
                println!("{}", view::AGREEMENT_ABOUT);
            }
            for b in list {
                print_boundary(&b, &names);
            }
            Ok(())
        }
        AgreementCmd::Agree { id, renewal: false } => show(device.agree_boundary(id)?),
        AgreementCmd::Agree { id, renewal: true } => show(device.agree_renewal(id)?),
        AgreementCmd::Renew { id, review, ends } => {
            let b = device.renew_agreement(id, review, ends)?;
            eprintln!(
                "New dates proposed. They count once {} agrees; until then the dates that \
                 stand stay.",
                names.partner_in_sentence()
            );
            show(b)
        }
        AgreementCmd::WithdrawRenewal { id } => show(device.withdraw_renewal(id)?),
        AgreementCmd::End { id } => show(device.end_agreement(id)?),
    }
}
