//! `kintsugi exercise`: the library, and exercises planned together. What each
//! state means and who may do what comes from the device (`view`); this only
//! prints it.

use anyhow::Result;
use kintsugi_device::{Device, Exercise, Reflection, Visibility, json::v1, view};

use crate::args::ExerciseCmd;
use crate::cli::print_json;

pub fn exercise(device: &Device, cmd: &ExerciseCmd, json: bool) -> Result<()> {
    let show = |e: Exercise| -> Result<()> {
        let private = device.exercise_reflections()?.to_vec();
        if json {
            print_json(&v1::Exercise::new(&e, &private))
        } else {
            print_exercise(&e, &device.names()?, &private);
            Ok(())
        }
    };
    match cmd {
        ExerciseCmd::Library { stage } => {
            library(*stage, json)?;
            Ok(())
        }
        ExerciseCmd::Propose { exercise, date } => {
            let id = device.propose_exercise(exercise, date)?;
            eprintln!(
                "Proposed. {} can accept the date or suggest another.",
                device.names()?.partner_name()
            );
            println!("{id}");
            Ok(())
        }
        ExerciseCmd::Accept { id } => show(device.accept_exercise_date(id)?),
        ExerciseCmd::SuggestDate { id, date } => show(device.suggest_exercise_date(id, date)?),
        ExerciseCmd::Done { id } => show(device.mark_exercise_done(id)?),
        ExerciseCmd::Cancel { id } => show(device.cancel_exercise(id)?),
        ExerciseCmd::Reflect { id, text, shared } => {
            let visibility = if *shared {
                Visibility::Shared
            } else {
                Visibility::Private
            };
            let r = device.reflect_on_exercise(id, text, visibility)?;
            eprintln!(
                "{}",
                if *shared {
                    view::REFLECTION_SHARED
                } else {
                    view::REFLECTION_PRIVATE
                }
            );
            if json {
                return print_json(&v1::Reflection::from(&r));
            }
            println!("{}", r.id);
            Ok(())
        }
        ExerciseCmd::List => {
            let list = device.exercises()?;
            let private = device.exercise_reflections()?.to_vec();
            if json {
                let out: Vec<v1::Exercise> = list
                    .iter()
                    .map(|e| v1::Exercise::new(e, &private))
                    .collect();
                return print_json(&out);
            }
            if list.is_empty() {
                println!(
                    "No exercises yet. `kintsugi exercise library` shows what you can propose."
                );
            }
            let names = device.names()?;
            for e in &list {
                print_exercise(e, &names, &private);
            }
            Ok(())
        }
    }
}

fn library(stage: Option<u8>, json: bool) -> Result<()> {
    let lib: Vec<&view::LibraryExercise> = view::library()
        .iter()
        .filter(|e| stage.is_none_or(|s| s == e.stage))
        .collect();
    if json {
        return print_json(&v1::list::<_, v1::LibraryExercise>(lib.iter().copied()));
    }
    for n in 1..=7u8 {
        let of_stage: Vec<_> = lib.iter().filter(|e| e.stage == n).collect();
        if of_stage.is_empty() {
            continue;
        }
        println!("{n}. {}", view::stage_title(n));
        for e in of_stage {
            println!("  {}  {} ({})", e.id, e.title, e.duration());
            println!("      {}", e.summary);
            for (i, step) in e.steps.iter().enumerate() {
                println!("      {}. {step}", i + 1);
            }
        }
        println!();
    }
    Ok(())
}

fn print_exercise(e: &Exercise, names: &view::Names, private: &[Reflection]) {
    println!("{}  {}", e.id, view::exercise_title(&e.exercise));
    println!("    {}", view::exercise_state(e, names));
    if e.proposals.len() > 1 {
        println!("    dates: {}", view::exercise_dates(e, names).join("; "));
    }
    if view::waits_for_me(e, names) {
        println!(
            "    (your answer: kintsugi exercise accept {} | kintsugi exercise suggest-date {} DATE)",
            e.id, e.id
        );
    }
    let mut reflections: Vec<&Reflection> = e
        .reflections
        .iter()
        .chain(private.iter().filter(|r| r.exercise == e.id))
        .collect();
    reflections.sort_by_key(|r| (r.created, r.id.clone()));
    for r in reflections {
        println!(
            "    {} reflected{}: {}",
            names.name(&r.author),
            if r.private {
                " (private, only on your own devices)"
            } else {
                ""
            },
            r.text
        );
    }
}
