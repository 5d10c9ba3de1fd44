//! `kintsugi meeting`: the weekly meeting. What may be done, and the words for each
//! step, come from the device (`view::MeetingStep`, the journal's refusals); this
//! only reads arguments and prints.

use anyhow::{Result, bail};
use kintsugi_device::{
    Appreciation, Device, MAX_APPRECIATIONS, Meeting, MeetingPoints, PartnerId, json::v1,
    this_week, view,
};

use crate::args::{MeetingCmd, Whose};
use crate::cli::print_json;

pub fn meeting(device: &Device, cmd: &MeetingCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let week_or_this = |week: &Option<String>| week.clone().unwrap_or_else(this_week);
    let show = |m: &Meeting| -> Result<()> {
        if json {
            print_json(&v1::Meeting::from(m))
        } else {
            print_meeting(m, &names);
            Ok(())
        }
    };
    match cmd {
        MeetingCmd::Prepare {
            week,
            thanks,
            went_well,
            issue,
        } => {
            if thanks.len() > MAX_APPRECIATIONS {
                bail!(
                    "at most {MAX_APPRECIATIONS} appreciations: choose the ones that matter most"
                );
            }
            let points = MeetingPoints {
                appreciations: thanks
                    .iter()
                    .map(|t| match t.split_once('|') {
                        Some((what, shows)) => Appreciation {
                            what: what.to_owned(),
                            shows: Some(shows.to_owned()),
                        },
                        None => Appreciation {
                            what: t.clone(),
                            shows: None,
                        },
                    })
                    .collect(),
                went_well: went_well.clone(),
                issue: issue.clone(),
            };
            let draft = device.save_meeting_draft(&week_or_this(week), &points)?;
            if json {
                return print_json(&v1::MeetingDraft::from(&draft));
            }
            println!(
                "Kept on this device for the meeting of {}. Nothing of it reaches {} until \
                 you bring it (kintsugi meeting bring).",
                draft.week,
                names.partner_in_sentence()
            );
            Ok(())
        }
        MeetingCmd::Show { week } => {
            let prep = device.meeting_prep(&week_or_this(week))?;
            if json {
                return print_json(&v1::MeetingPrep::from(&prep));
            }
            println!("Weekly meeting, {}", prep.week);
            match &prep.draft {
                None => println!("\nYou have not prepared anything for it yet."),
                Some(d) => {
                    println!("\nYour points (private until you bring them):");
                    print_points(&d.points);
                    if prep.unbrought {
                        println!("  (not brought yet, or changed since you brought them)");
                    }
                }
            }
            print_meeting(&prep.meeting, &names);
            let from_checkins = view::checkin_lines(&prep.week, device.checkins()?.iter(), &names);
            if !from_checkins.is_empty() {
                println!("\nFrom this week's check-ins:");
                for line in from_checkins {
                    println!("  {line}");
                }
            }
            Ok(())
        }
        MeetingCmd::List => {
            let meetings = device.meetings()?;
            if json {
                let list: Vec<v1::Meeting> = meetings.iter().map(v1::Meeting::from).collect();
                return print_json(&list);
            }
            if meetings.is_empty() {
                println!("No meetings yet.\n\n{}", view::MEETING_ABOUT);
            }
            for m in &meetings {
                println!("{}", view::meeting_line(m, &names));
            }
            Ok(())
        }
        MeetingCmd::Bring { week } => {
            let m = device.bring_to_meeting(&week_or_this(week))?;
            if !json {
                eprintln!(
                    "Brought. {} receives your points with the next sync and keeps them.",
                    names.partner_name()
                );
            }
            show(&m)
        }
        MeetingCmd::Discard { week } => {
            device.discard_meeting_draft(&week_or_this(week))?;
            println!("Your points for that week are gone from the diary.");
            Ok(())
        }
        MeetingCmd::Hear {
            issue,
            side,
            text,
            week,
        } => {
            let (issue_of, side_of) = (whose(device, *issue)?, whose(device, *side)?);
            show(&device.hear_in_meeting(&week_or_this(week), &issue_of, &side_of, text)?)
        }
        MeetingCmd::Promise { text, due, week } => {
            let p = device.promise_from_meeting(&week_or_this(week), text, due)?;
            if json {
                return print_json(&v1::Promise::from(&p));
            }
            println!(
                "Promised, due {}. {} will say whether it was kept.",
                p.due,
                names.partner_name()
            );
            println!("{}", p.id);
            Ok(())
        }
        MeetingCmd::Amend {
            boundary,
            text,
            week,
        } => {
            let b = device.amend_from_meeting(&week_or_this(week), boundary, text)?;
            if json {
                return print_json(&v1::Boundary::from(&b));
            }
            println!(
                "New wording proposed. It stands once {} agrees; until then the old one does.",
                names.partner_in_sentence()
            );
            println!("{}", b.id);
            Ok(())
        }
        MeetingCmd::Close { week } => show(&device.hold_meeting(&week_or_this(week))?),
    }
}

fn whose(device: &Device, w: Whose) -> Result<PartnerId> {
    Ok(match w {
        Whose::Mine => device.me()?,
        Whose::Partner => device.partner_id()?,
    })
}

fn print_points(p: &MeetingPoints) {
    for a in &p.appreciations {
        println!("  Thanks: {}", view::appreciation_line(a));
    }
    if let Some(t) = &p.went_well {
        println!("  Went well: {t}");
    }
    if let Some(t) = &p.issue {
        println!("  Issue: {t}");
    }
}

fn print_meeting(m: &Meeting, names: &view::Names) {
    println!("\n{}", view::meeting_line(m, names));
    for s in &m.sides {
        println!("\n{} brought:", names.name(&s.author));
        print_points(&s.points);
    }
    // Each side once, as it stands (the latest wording).
    let mut shown: Vec<(&PartnerId, &PartnerId)> = Vec::new();
    for h in &m.heard {
        let pair = (&h.issue_of, &h.side_of);
        if shown.contains(&pair) {
            continue;
        }
        shown.push(pair);
        if let Some(latest) = m.heard_from(pair.0, pair.1) {
            println!(
                "  {}: {}",
                view::side_title(pair.0, pair.1, names),
                latest.text
            );
        }
    }
    for o in &m.outcomes {
        println!(
            "  {} ({})",
            view::outcome_line(o.kind, &names.name(&o.by)),
            o.entry
        );
    }
}
