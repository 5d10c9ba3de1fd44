//! Search across everything this device can read: the shared journal and the
//! private diary.
//!
//! The rule has one home, [`search`]: a pure function over typed lists, so the app
//! can run it on the lists it already holds at every keystroke, and
//! [`Device::search`] runs it on the device's cached lists. Nothing here reads
//! Automerge (10,000 entries take tens of milliseconds to read out of it, and a
//! search should take a few): a search sees what the lists show, withdrawn and
//! deleted entries included out.

use chrono::{Local, NaiveDate, TimeZone};
use kintsugi_journal::{
    Boundary, CheckIn, DiaryEntry, Exercise, Letter, LetterDraft, List, PartnerId, Promise,
    Reflection, SharedEntry, StageProgress,
};

use crate::{Device, Result, view};

/// The kinds of entry a search can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    Boundary,
    Checkin,
    Letter,
    Promise,
    /// A diary entry shared with the partner.
    Shared,
    /// A note on a stage.
    Stage,
    /// A private diary entry.
    Diary,
    /// A private letter draft.
    Draft,
    /// A reflection on an exercise, shared with the partner.
    Reflection,
    /// A reflection on an exercise kept in the private diary.
    PrivateReflection,
}

impl SearchKind {
    pub const ALL: [SearchKind; 10] = [
        Self::Boundary,
        Self::Checkin,
        Self::Letter,
        Self::Promise,
        Self::Shared,
        Self::Stage,
        Self::Diary,
        Self::Draft,
        Self::Reflection,
        Self::PrivateReflection,
    ];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boundary => "boundary",
            Self::Checkin => "checkin",
            Self::Letter => "letter",
            Self::Promise => "promise",
            Self::Shared => "shared",
            Self::Stage => "stage",
            Self::Diary => "diary",
            Self::Draft => "draft",
            Self::Reflection => "reflection",
            Self::PrivateReflection => "private-reflection",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether it lives in the private diary, which never reaches the partner.
    pub fn is_private(self) -> bool {
        matches!(self, Self::Diary | Self::Draft | Self::PrivateReflection)
    }
}

/// What to look for. Empty `text` matches everything the filters let through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Found anywhere in an entry's words (earlier versions and proposed changes
    /// too), ignoring case.
    pub text: String,
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<SearchKind>,
    /// Only entries tagged with this stage (diary and shared entries, stage notes).
    pub stage: Option<u8>,
    /// Only entries written on or after this day, in this device's time zone.
    pub since: Option<NaiveDate>,
    /// Only entries written on or before this day.
    pub until: Option<NaiveDate>,
}

impl SearchQuery {
    fn wants(&self, kind: SearchKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// One entry found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub kind: SearchKind,
    /// The entry's id; a stage note's is `"{stage}:{partner id}"`, a reflection's
    /// the id of the exercise it is about.
    pub id: String,
    pub author: PartnerId,
    /// When it was written (a letter: sent; a stage note: last changed), Unix ms.
    pub at: i64,
    pub stage: Option<u8>,
    /// A letter's or draft's title; for a reflection, its exercise's.
    pub title: Option<String>,
    /// What it says now (a check-in: its answers, one per line).
    pub text: String,
    /// When it was last edited, if it was.
    pub edited: Option<i64>,
}

/// The lists a search looks through: a front end passes the ones it already holds
/// (cloning a `List` is one reference count), and leaves empty those it does not
/// want searched.
#[derive(Debug, Clone, Default)]
pub struct SearchLists {
    pub boundaries: List<Boundary>,
    pub checkins: List<CheckIn>,
    pub letters: List<Letter>,
    pub promises: List<Promise>,
    pub shared: List<SharedEntry>,
    pub stages: List<StageProgress>,
    pub diary: List<DiaryEntry>,
    pub drafts: List<LetterDraft>,
    /// Planned exercises, for their shared reflections (and the exercise a private
    /// one is about).
    pub exercises: List<Exercise>,
    /// Private reflections on exercises.
    pub reflections: List<Reflection>,
}

/// The search rule: every entry of `lists` that `query` matches, newest first.
pub fn search(lists: &SearchLists, query: &SearchQuery) -> Vec<SearchHit> {
    let needle = Needle::new(&query.text);
    let (from, to) = (
        query.since.map(day_start),
        query.until.and_then(|d| d.succ_opt()).map(day_start),
    );
    let when = |at: i64| from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t);
    let staged = |stage: Option<u8>| query.stage.is_none() || stage == query.stage;
    // Kinds without a stage cannot match a stage filter.
    let unstaged = query.stage.is_none();
    let mut hits = Vec::new();

    if query.wants(SearchKind::Boundary) && unstaged {
        for b in &lists.boundaries {
            let words = [b.text.as_str(), b.category.as_deref().unwrap_or("")];
            let amendment = b.amendment.iter().map(|a| a.text.as_str());
            let earlier = b.earlier.iter().map(|v| v.text.as_str());
            if when(b.created) && needle.any(words.into_iter().chain(amendment).chain(earlier)) {
                hits.push(
                    hit(
                        SearchKind::Boundary,
                        &b.id,
                        &b.author,
                        b.created,
                        None,
                        &b.text,
                    )
                    .edited(b.edited),
                );
            }
        }
    }
    if query.wants(SearchKind::Checkin) && unstaged {
        for c in &lists.checkins {
            let earlier = c.earlier.iter().flat_map(|a| {
                [&a.went_well, &a.hard, &a.need, &a.appreciate]
                    .into_iter()
                    .filter_map(|t| t.as_deref())
            });
            if when(c.created)
                && needle.any(view::checkin_answers(c).map(|(_, a)| a).chain(earlier))
            {
                let text: Vec<String> = view::checkin_answers(c)
                    .map(|(q, a)| format!("{q}: {a}"))
                    .collect();
                hits.push(
                    hit(
                        SearchKind::Checkin,
                        &c.id,
                        &c.author,
                        c.created,
                        None,
                        &text.join("\n"),
                    )
                    .edited(c.edited),
                );
            }
        }
    }
    if query.wants(SearchKind::Letter) && unstaged {
        for l in &lists.letters {
            if when(l.sent) && needle.any([l.title.as_str(), l.body.as_str()]) {
                hits.push(
                    hit(SearchKind::Letter, &l.id, &l.author, l.sent, None, &l.body)
                        .titled(&l.title),
                );
            }
        }
    }
    if query.wants(SearchKind::Promise) && unstaged {
        for p in &lists.promises {
            let renegotiation = p.renegotiation.iter().map(|a| a.text.as_str());
            let earlier = p.earlier.iter().map(|v| v.text.as_str());
            if when(p.created)
                && needle.any(
                    std::iter::once(p.text.as_str())
                        .chain(renegotiation)
                        .chain(earlier),
                )
            {
                hits.push(
                    hit(
                        SearchKind::Promise,
                        &p.id,
                        &p.author,
                        p.created,
                        None,
                        &p.text,
                    )
                    .edited(p.edited),
                );
            }
        }
    }
    if query.wants(SearchKind::Shared) {
        for e in &lists.shared {
            let earlier = e.earlier.iter().map(|v| v.text.as_str());
            if staged(e.stage)
                && when(e.created)
                && needle.any(std::iter::once(e.text.as_str()).chain(earlier))
            {
                hits.push(
                    hit(
                        SearchKind::Shared,
                        &e.id,
                        &e.author,
                        e.created,
                        e.stage,
                        &e.text,
                    )
                    .edited(e.edited),
                );
            }
        }
    }
    if query.wants(SearchKind::Stage) {
        for s in &lists.stages {
            let Some(note) = &s.note else { continue };
            let earlier = s.earlier.iter().map(|v| v.text.as_str());
            if staged(Some(s.stage))
                && when(s.updated)
                && needle.any(std::iter::once(note.as_str()).chain(earlier))
            {
                let id = format!("{}:{}", s.stage, s.partner);
                hits.push(
                    hit(
                        SearchKind::Stage,
                        &id,
                        &s.partner,
                        s.updated,
                        Some(s.stage),
                        note,
                    )
                    .edited(s.edited),
                );
            }
        }
    }
    if query.wants(SearchKind::Diary) {
        for e in &lists.diary {
            if staged(e.stage) && when(e.created) && needle.any([e.text.as_str()]) {
                hits.push(hit(
                    SearchKind::Diary,
                    &e.id,
                    &e.author,
                    e.created,
                    e.stage,
                    &e.text,
                ));
            }
        }
    }
    if query.wants(SearchKind::Draft) && unstaged {
        for d in &lists.drafts {
            if when(d.created) && needle.any([d.title.as_str(), d.body.as_str()]) {
                hits.push(
                    hit(
                        SearchKind::Draft,
                        &d.id,
                        &d.author,
                        d.created,
                        None,
                        &d.body,
                    )
                    .titled(&d.title),
                );
            }
        }
    }
    // A reflection belongs to its exercise's stage, and reads under its title.
    let about = |id: &str| {
        let exercise = lists.exercises.iter().find(|e| e.id == id)?;
        Some((
            view::exercise_title(&exercise.exercise),
            view::library_exercise(&exercise.exercise).map(|l| l.stage),
        ))
    };
    let mut reflection = |kind: SearchKind, r: &Reflection, title: &str, stage: Option<u8>| {
        if staged(stage) && when(r.created) && needle.any([r.text.as_str()]) {
            hits.push(hit(kind, &r.exercise, &r.author, r.created, stage, &r.text).titled(title));
        }
    };
    if query.wants(SearchKind::Reflection) {
        for e in &lists.exercises {
            let title = view::exercise_title(&e.exercise);
            let stage = view::library_exercise(&e.exercise).map(|l| l.stage);
            for r in &e.reflections {
                reflection(SearchKind::Reflection, r, &title, stage);
            }
        }
    }
    if query.wants(SearchKind::PrivateReflection) {
        for r in &lists.reflections {
            let (title, stage) = about(&r.exercise).unwrap_or_else(|| ("An exercise".into(), None));
            reflection(SearchKind::PrivateReflection, r, &title, stage);
        }
    }
    hits.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
    hits
}

fn hit(
    kind: SearchKind,
    id: &str,
    author: &PartnerId,
    at: i64,
    stage: Option<u8>,
    text: &str,
) -> SearchHit {
    SearchHit {
        kind,
        id: id.to_owned(),
        author: author.clone(),
        at,
        stage,
        title: None,
        text: text.to_owned(),
        edited: None,
    }
}

impl SearchHit {
    fn edited(mut self, edited: Option<i64>) -> Self {
        self.edited = edited;
        self
    }

    fn titled(mut self, title: &str) -> Self {
        self.title = Some(title.to_owned());
        self
    }
}

/// Where a day begins in this device's time zone, as Unix ms. A midnight that does
/// not exist (a clock change at 00:00) counts from the first moment that does.
pub(crate) fn day_start(day: NaiveDate) -> i64 {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    match Local.from_local_datetime(&midnight).earliest() {
        Some(t) => t.timestamp_millis(),
        None => (1..=3)
            .filter_map(|h| {
                Local
                    .from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                    .earliest()
            })
            .map(|t| t.timestamp_millis())
            .next()
            .unwrap_or_else(|| midnight.and_utc().timestamp_millis()),
    }
}

/// The searched-for text, folded once. Diary entries run to paragraphs, so a
/// search reads megabytes; comparing byte by byte took about 20 ms at 10,000 +
/// 10,000 entries. An ASCII needle (most are) is found by looking for its rarest
/// byte, in either case, with SIMD (`memchr2`), and checking the window around each
/// hit; that is right for any text, because in UTF-8 an ASCII byte is never part of
/// another character. A needle with other letters is compared after lowercasing.
struct Needle {
    lower: String,
    ascii: Option<Anchor>,
}

/// Where to look first in an ASCII needle.
struct Anchor {
    /// Its offset in the needle, and the two cases of that byte.
    at: usize,
    lower: u8,
    upper: u8,
}

/// How rare a byte is in English text, higher is rarer: letters by their usual
/// frequency; spaces the commonest; digits and punctuation rare.
fn rarity(b: u8) -> usize {
    const LETTERS: &[u8] = b"etaoinshrdlcumwfgypbvkjxqz";
    match b {
        b' ' => 0,
        _ => match LETTERS.iter().position(|l| *l == b.to_ascii_lowercase()) {
            Some(i) => i + 1,
            None => LETTERS.len() + 1,
        },
    }
}

impl Needle {
    fn new(text: &str) -> Self {
        let lower = text.trim().to_lowercase();
        let ascii = lower
            .is_ascii()
            .then(|| {
                let (at, b) = lower
                    .bytes()
                    .enumerate()
                    .max_by_key(|(i, b)| (rarity(*b), usize::MAX - i))?;
                Some(Anchor {
                    at,
                    lower: b,
                    upper: b.to_ascii_uppercase(),
                })
            })
            .flatten();
        Self { lower, ascii }
    }

    fn any<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> bool {
        self.lower.is_empty() || words.into_iter().any(|w| self.within(w))
    }

    fn within(&self, hay: &str) -> bool {
        let Some(anchor) = &self.ascii else {
            return hay.to_lowercase().contains(&self.lower);
        };
        let (hay, needle) = (hay.as_bytes(), self.lower.as_bytes());
        let Some(last_start) = hay.len().checked_sub(needle.len()) else {
            return false;
        };
        // The anchor's possible places: window starts 0..=last_start, shifted by it.
        let places = &hay[anchor.at..=last_start + anchor.at];
        memchr::memchr2_iter(anchor.lower, anchor.upper, places)
            .any(|start| hay[start..start + needle.len()].eq_ignore_ascii_case(needle))
    }
}

impl Device {
    /// Searches everything this device can read, the shared journal and the private
    /// diary, with [`search`]'s rule, on the cached lists (no Automerge read when
    /// nothing changed since the last list).
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        let wants = |k| query.wants(k);
        let boundaries = if wants(SearchKind::Boundary) {
            self.boundaries()?
        } else {
            Default::default()
        };
        let checkins = if wants(SearchKind::Checkin) {
            self.checkins()?
        } else {
            Default::default()
        };
        let letters = if wants(SearchKind::Letter) {
            self.letters()?
        } else {
            Default::default()
        };
        let promises = if wants(SearchKind::Promise) {
            self.promises()?
        } else {
            Default::default()
        };
        let shared = if wants(SearchKind::Shared) {
            self.shared_entries()?
        } else {
            Default::default()
        };
        let stages = if wants(SearchKind::Stage) {
            self.stages()?
        } else {
            Default::default()
        };
        let diary = if wants(SearchKind::Diary) {
            self.diary_entries()?
        } else {
            Default::default()
        };
        let drafts = if wants(SearchKind::Draft) {
            self.drafts()?
        } else {
            Default::default()
        };
        let exercises = if wants(SearchKind::Reflection) || wants(SearchKind::PrivateReflection) {
            self.exercises()?
        } else {
            Default::default()
        };
        let reflections = if wants(SearchKind::PrivateReflection) {
            self.exercise_reflections()?
        } else {
            Default::default()
        };
        Ok(search(
            &SearchLists {
                boundaries,
                checkins,
                letters,
                promises,
                shared,
                stages,
                diary,
                drafts,
                exercises,
                reflections,
            },
            query,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    const PASS: &[u8] = b"correct horse battery staple";

    fn query(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..Default::default()
        }
    }

    fn kinds(hits: &[SearchHit]) -> Vec<&'static str> {
        hits.iter().map(|h| h.kind.as_str()).collect()
    }

    #[test]
    fn finds_every_kind_ignoring_case_and_filters_by_kind_stage_and_day() {
        let dir = tempfile::tempdir().unwrap();
        let d = Device::create(
            &dir.path().join("p"),
            "Ari",
            PASS,
            Options::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
        d.propose_boundary("No phones at the EVENING meal", Some("evenings"))
            .unwrap();
        d.save_checkin(&kintsugi_journal::CheckInInput {
            week: "2026-W48".into(),
            mood: 3,
            trust: 3,
            closeness: 3,
            hard: Some("that evening".into()),
            ..Default::default()
        })
        .unwrap();
        d.add_promise("Cook on Friday evening", "2099-01-01")
            .unwrap();
        let draft = d
            .draft_letter(kintsugi_journal::LetterKind::Hope, "The evening", "body")
            .unwrap();
        d.draft_letter(
            kintsugi_journal::LetterKind::Hope,
            "Unsent",
            "an evening walk",
        )
        .unwrap();
        d.send_letter(&draft).unwrap();
        d.set_stage(3, false, Some("we talked all evening"))
            .unwrap();
        let diary = d
            .add_diary_entry("Évening café, mood low", Some(2), Some(3))
            .unwrap();
        d.add_diary_entry("nothing to see", None, Some(3)).unwrap();
        d.share_diary_entry(&diary).unwrap();

        let all = d.search(&query("evening")).unwrap();
        let mut found = kinds(&all);
        found.sort();
        assert_eq!(
            found,
            ["boundary", "checkin", "draft", "letter", "promise", "stage"],
            "plain ASCII matches; 'Évening' is another word"
        );
        // Non-ASCII text is folded too.
        let cafe = d.search(&query("ÉVENING CAFÉ")).unwrap();
        let mut found = kinds(&cafe);
        found.sort();
        assert_eq!(found, ["diary", "shared"]);
        assert!(cafe.iter().all(|h| h.stage == Some(3)));
        // Newest first.
        assert!(all.windows(2).all(|w| w[0].at >= w[1].at));

        let only = SearchQuery {
            kinds: vec![SearchKind::Diary, SearchKind::Draft],
            ..query("")
        };
        let private = d.search(&only).unwrap();
        assert_eq!(private.len(), 3);
        assert!(private.iter().all(|h| h.kind.is_private()));

        let staged = SearchQuery {
            stage: Some(3),
            ..query("")
        };
        let mut found = kinds(&d.search(&staged).unwrap());
        found.sort();
        assert_eq!(found, ["diary", "diary", "shared", "stage"]);

        let today = chrono::Local::now().date_naive();
        let window = |since: NaiveDate, until: NaiveDate| {
            d.search(&SearchQuery {
                since: Some(since),
                until: Some(until),
                ..query("evening")
            })
            .unwrap()
            .len()
        };
        assert_eq!(window(today, today), all.len());
        let yesterday = today.pred_opt().unwrap();
        assert_eq!(window(yesterday, yesterday), 0);
        assert_eq!(
            window(today.succ_opt().unwrap(), today.succ_opt().unwrap()),
            0
        );
    }

    #[test]
    fn the_needle_finds_words_at_every_place_in_either_case() {
        let cases = [
            ("evening", "Evening", true),
            ("evening", "that EVENING.", true),
            ("evening", "evenin", false),
            ("evening", "the eveninG", true),
            ("g", "g", true),
            ("slow down", "so SLOW  down", false),
            ("slow down", "go slow down", true),
            ("café", "Le CAFÉ", true),
            ("cafe", "Le café", false),
            ("walk", "Évening walk, café", true),
            ("42", "the 42nd", true),
            ("zz", "z", false),
        ];
        for (needle, hay, want) in cases {
            assert_eq!(
                Needle::new(needle).within(hay),
                want,
                "{needle:?} in {hay:?}"
            );
        }
    }

    #[test]
    fn the_rule_is_pure_and_matches_proposed_and_earlier_wordings() {
        let me = PartnerId::parse(&"a".repeat(32)).unwrap();
        let b = Boundary {
            id: "b1".into(),
            author: me.clone(),
            text: "standing".into(),
            category: None,
            status: kintsugi_journal::BoundaryStatus::Proposed,
            agreements: Vec::new(),
            created: 5,
            updated: 5,
            revisit_at: None,
            revisit_by: None,
            retired_at: None,
            retired_by: None,
            edited: Some(4),
            earlier: vec![kintsugi_journal::Version {
                text: "the first wording".into(),
                due: None,
                at: 1,
            }],
            amendment: Some(kintsugi_journal::Amendment {
                id: "a".into(),
                text: "a proposed wording".into(),
                due: None,
                proposed: 5,
                agreements: Vec::new(),
            }),
            agreement: None,
        };
        let lists = SearchLists {
            boundaries: List::from(vec![b]),
            ..Default::default()
        };
        for text in ["FIRST", "proposed", "stand", ""] {
            let hits = search(&lists, &query(text));
            assert_eq!(hits.len(), 1, "{text}");
            assert_eq!(
                (hits[0].text.as_str(), hits[0].edited),
                ("standing", Some(4))
            );
        }
        assert!(search(&lists, &query("absent")).is_empty());
        // A stage filter leaves out the kinds that have no stage.
        let staged = SearchQuery {
            stage: Some(1),
            ..query("")
        };
        assert!(search(&lists, &staged).is_empty());
    }
}
