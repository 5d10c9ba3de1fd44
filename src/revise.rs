//! The commands that change what was written (edit, delete, amend, renegotiate,
//! withdraw) and search. Like the rest of the CLI they only call the device and
//! print; what each change means to a person is worded once, in `view`.

use std::io::Write;

use anyhow::{Result, bail};
use kintsugi_device::{
    AnswersEdit, Boundary, Device, DiaryEdit, DraftEdit, LetterKind, Promise, SearchKind,
    SearchQuery, Version, json::v1, view,
};

use crate::args::*;
use crate::cli::{print_json, show_boundary, when};

/// Asks on standard error and reads one line; only "y" or "yes" agree. Without a
/// terminal (a script, a test with no input) the answer is no.
fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// "edited …" and the earlier versions under an entry, for every kind alike.
pub fn print_history(edited: Option<i64>, earlier: &[Version]) {
    if let Some(at) = edited {
        println!("    edited {}", when(at));
    }
    for v in earlier {
        let due = v.due.map(|d| format!(", due {d}")).unwrap_or_default();
        println!("    earlier version ({}{due}): {}", when(v.at), v.text);
    }
}

/// Who a waiting change waits for.
fn waiting_for(author_is_me: bool, names: &view::Names, agree: &str) -> String {
    if author_is_me {
        format!("waiting for {} to agree", names.partner_name())
    } else {
        format!("waiting for you: kintsugi {agree}")
    }
}

/// The boundary's waiting amendment, if any, under its listing.
pub fn print_amendment(b: &Boundary, names: &view::Names) {
    if let Some(a) = &b.amendment {
        let wait = waiting_for(
            names.is_me(&b.author),
            names,
            &format!("boundary agree {} --amendment", b.id),
        );
        println!("    proposed new wording ({wait}): {}", a.text);
    }
}

fn print_promise_changes(p: &Promise, names: &view::Names) {
    print_history(p.edited, &p.earlier);
    if let Some(r) = &p.renegotiation {
        let wait = waiting_for(
            names.is_me(&p.author),
            names,
            &format!("promise agree {}", p.id),
        );
        let due = r.due.map(|d| format!(", due {d}")).unwrap_or_default();
        println!("    proposed new terms ({wait}): {}{due}", r.text);
    }
}

pub fn boundary(device: &Device, cmd: &BoundaryCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let show = |b: Boundary| show_boundary(&b, &names, json);
    match cmd {
        BoundaryCmd::Agree {
            id,
            amendment: true,
        } => show(device.agree_amendment(id)?),
        BoundaryCmd::Edit { id, text } => {
            let b = device.amend_boundary(id, text)?;
            eprintln!("{}", view::CHANGE_PROPOSED);
            show(b)
        }
        BoundaryCmd::Withdraw {
            id,
            amendment: true,
        } => show(device.withdraw_amendment(id)?),
        BoundaryCmd::Withdraw { id, .. } => {
            device.withdraw_boundary(id)?;
            eprintln!("{}", view::WITHDRAWN);
            Ok(())
        }
        _ => bail!("not a revision command"),
    }
}

pub fn checkin_edit(device: &Device, cmd: &CheckinCmd, json: bool) -> Result<()> {
    let CheckinCmd::Edit {
        id,
        went_well,
        hard,
        need,
        appreciate,
    } = cmd
    else {
        bail!("not a revision command");
    };
    let c = device.edit_checkin(
        id,
        &AnswersEdit {
            went_well: went_well.clone(),
            hard: hard.clone(),
            need: need.clone(),
            appreciate: appreciate.clone(),
        },
    )?;
    if json {
        return print_json(&v1::CheckIn::from(&c));
    }
    eprintln!("{}", view::EDITED_SHARED);
    println!("{}", c.id);
    Ok(())
}

/// The earlier answers under a check-in's listing.
pub fn print_checkin_history(c: &kintsugi_device::CheckIn) {
    if let Some(at) = c.edited {
        println!("    edited {}", when(at));
    }
    for a in &c.earlier {
        let answers: Vec<String> = [
            (view::Answer::WentWell, &a.went_well),
            (view::Answer::Hard, &a.hard),
            (view::Answer::Need, &a.need),
            (view::Answer::Appreciate, &a.appreciate),
        ]
        .into_iter()
        .filter_map(|(q, t)| Some(format!("{}: {}", q.question(), t.as_deref()?)))
        .collect();
        println!(
            "    earlier answers ({}): {}",
            when(a.at),
            if answers.is_empty() {
                "none".to_string()
            } else {
                answers.join("; ")
            }
        );
    }
}

pub fn letter(device: &Device, cmd: &LetterCmd, json: bool) -> Result<()> {
    match cmd {
        LetterCmd::Edit {
            id,
            title,
            body,
            kind,
        } => {
            let kind: Option<LetterKind> = kind.as_deref().map(str::parse).transpose()?;
            let draft = device.edit_draft(
                id,
                &DraftEdit {
                    kind,
                    title: title.clone(),
                    body: body.clone(),
                },
            )?;
            if json {
                return print_json(&v1::LetterDraft::from(&draft));
            }
            println!("{}", draft.id);
            Ok(())
        }
        LetterCmd::Discard { id, yes } => {
            if !yes && !confirm(&format!("Throw this draft away? {}", view::DIARY_DELETED))? {
                bail!("nothing was deleted");
            }
            device.discard_draft(id)?;
            eprintln!("{}", view::DIARY_DELETED);
            Ok(())
        }
        _ => bail!("not a revision command"),
    }
}

pub fn promise(device: &Device, cmd: &PromiseCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let show = |p: Promise| -> Result<()> {
        if json {
            return print_json(&v1::Promise::from(&p));
        }
        println!(
            "{}  due {}  [{}]: {}",
            p.id,
            p.due,
            p.outcome.as_str(),
            p.text
        );
        print_promise_changes(&p, &names);
        Ok(())
    };
    match cmd {
        PromiseCmd::Edit { id, text, due } => {
            let p = device.renegotiate_promise(id, text.as_deref(), due.as_deref())?;
            eprintln!("{}", view::CHANGE_PROPOSED);
            show(p)
        }
        PromiseCmd::Agree { id } => show(device.agree_promise_terms(id)?),
        PromiseCmd::Withdraw { id, terms: true } => show(device.withdraw_promise_terms(id)?),
        PromiseCmd::Withdraw { id, .. } => {
            device.withdraw_promise(id)?;
            eprintln!("{}", view::WITHDRAWN);
            Ok(())
        }
        _ => bail!("not a revision command"),
    }
}

/// The chain under a promise's listing.
pub fn print_promise(p: &Promise, names: &view::Names) {
    print_promise_changes(p, names);
}

pub fn diary(device: &Device, cmd: &DiaryCmd, json: bool) -> Result<()> {
    match cmd {
        DiaryCmd::Edit {
            id,
            text,
            mood,
            no_mood,
            stage,
            no_stage,
        } => {
            let edit = DiaryEdit {
                text: text.clone(),
                mood: if *no_mood { Some(None) } else { mood.map(Some) },
                stage: if *no_stage {
                    Some(None)
                } else {
                    stage.map(Some)
                },
            };
            let e = device.edit_diary_entry(id, &edit)?;
            if json {
                return print_json(&v1::DiaryEntry::from(&e));
            }
            println!("{}", e.id);
            Ok(())
        }
        DiaryCmd::Delete { id, yes } => {
            if !yes && !confirm(&format!("Delete this diary entry? {}", view::DIARY_DELETED))? {
                bail!("nothing was deleted");
            }
            device.delete_diary_entry(id)?;
            eprintln!("{}", view::DIARY_DELETED);
            Ok(())
        }
        _ => bail!("not a revision command"),
    }
}

pub fn stage_note(device: &Device, stage: u8, text: &str) -> Result<()> {
    device.set_stage_note(stage, text)?;
    if text.trim().is_empty() {
        println!("Stage {stage}: note removed");
    } else {
        println!("Stage {stage}: note saved");
    }
    Ok(())
}

pub fn shared(device: &Device, cmd: &SharedCmd, json: bool) -> Result<()> {
    match cmd {
        SharedCmd::List => {
            let list = device.shared_entries()?;
            if json {
                return print_json(&v1::list::<_, v1::SharedEntry>(&list));
            }
            let names = device.names()?;
            if list.is_empty() {
                println!("No shared entries yet.");
            }
            for e in list.iter() {
                println!(
                    "{}  {}{}  by {}: {}",
                    e.id,
                    when(e.created),
                    e.stage.map(|s| format!(" stage {s}")).unwrap_or_default(),
                    names.name(&e.author),
                    e.text
                );
                print_history(e.edited, &e.earlier);
            }
            Ok(())
        }
        SharedCmd::Edit { id, text } => {
            let e = device.edit_shared_entry(id, text)?;
            if json {
                return print_json(&v1::SharedEntry::from(&e));
            }
            eprintln!("{}", view::EDITED_SHARED);
            println!("{}", e.id);
            Ok(())
        }
        SharedCmd::Withdraw { id } => {
            device.withdraw_shared_entry(id)?;
            eprintln!("{}", view::WITHDRAWN);
            Ok(())
        }
    }
}

pub fn search(device: &Device, args: &SearchArgs, json: bool) -> Result<()> {
    let kinds = args
        .kind
        .iter()
        .map(|k| match SearchKind::from_name(k) {
            Some(kind) => Ok(kind),
            None => bail!(
                "unknown kind {k:?}: expected boundary, checkin, letter, promise, shared, stage, diary, draft, reflection or private-reflection"
            ),
        })
        .collect::<Result<Vec<_>>>()?;
    let day = |d: &Option<String>| d.as_deref().map(kintsugi_device::parse_date).transpose();
    let query = SearchQuery {
        text: args.text.clone(),
        kinds,
        stage: args.stage,
        since: day(&args.since)?,
        until: day(&args.until)?,
    };
    let hits = device.search(&query)?;
    if json {
        return print_json(&v1::list::<_, v1::SearchHit>(&hits));
    }
    if hits.is_empty() {
        println!("Nothing found.");
    }
    let names = device.names()?;
    for h in &hits {
        let title = h
            .title
            .as_deref()
            .map(|t| format!("{t}: "))
            .unwrap_or_default();
        println!(
            "{}  {}  {}{}{}  {}{}{}",
            h.id,
            h.kind.as_str(),
            when(h.at),
            h.stage.map(|s| format!(" stage {s}")).unwrap_or_default(),
            if h.kind.is_private() {
                " (private)".to_string()
            } else {
                format!(" by {}", names.name(&h.author))
            },
            title,
            h.text.replace('\n', " / "),
            h.edited.map(|_| " (edited)").unwrap_or_default(),
        );
    }
    Ok(())
}
