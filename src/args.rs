//! The command-line contract. Scripts and later work rely on these names, so
//! change them only with care.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kintsugi_device::{Bind, NetworkMode, RelayUrl, parse_relay};

#[derive(Parser, Debug)]
#[command(
    name = "kintsugi",
    version,
    about = "A private, end-to-end-encrypted journal for two partners rebuilding trust",
    long_about = "Kintsugi keeps a shared journal (boundaries, check-ins, letters, promises, \
                  progress through the stages) and a private diary, encrypted on this device. \
                  Without a command it opens the desktop app."
)]
pub struct Cli {
    /// Profile folder [default: the platform's data folder]
    #[arg(long, global = true, env = "KINTSUGI_PROFILE", value_name = "DIR")]
    pub profile: Option<PathBuf>,

    /// Print lists and status as JSON
    #[arg(long, global = true)]
    pub json: bool,

    /// Use cheap passphrase hardening for new keyrings. It makes a stolen keyring easy
    /// to brute-force, so it exists only in builds with the test-only cargo feature,
    /// never in the binary people run.
    #[cfg(feature = "insecure-fast-kdf-for-tests")]
    #[arg(long, global = true, hide = true, env = crate::cli::FAST_KDF_ENV, value_parser = clap::builder::BoolishValueParser::new())]
    pub insecure_fast_kdf: bool,

    /// How to find the partner: local (no server at all), anywhere (through a relay
    /// when there is no direct path), direct (only remembered addresses) [default:
    /// the profile's setting, local]
    #[arg(long, global = true, value_name = "MODE", value_parser = |s: &str| s.parse::<NetworkMode>())]
    pub network: Option<NetworkMode>,

    /// Listen on this address (IP, or IP:PORT) instead of the profile's stable port
    #[arg(long, global = true, value_name = "ADDR", value_parser = |s: &str| s.parse::<Bind>().map_err(|e| e.to_string()))]
    pub bind: Option<Bind>,

    /// The relay the two of you run (with --network anywhere; `iroh-relay`, see the
    /// README). Without one, anywhere mode uses iroh's public relays, whose operator
    /// (n0) then sees both devices' addresses and when they talk
    #[arg(long, global = true, value_name = "URL", value_parser = |s: &str| parse_relay(s).map_err(|e| e.to_string()))]
    pub relay: Option<RelayUrl>,

    /// Close the app's window after this many seconds (for smoke tests)
    #[arg(long, global = true, hide = true, value_name = "S")]
    pub exit_after: Option<u64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new profile protected by a passphrase
    Init {
        /// Your name as your partner will see it
        #[arg(long)]
        name: String,
    },
    /// Show the profile, pairing state and how many entries it holds
    Status,
    /// What is waiting for you: this week's check-in, promises due soon, unread letters
    Due,
    /// Boundaries you agree on together
    #[command(subcommand)]
    Boundary(BoundaryCmd),
    /// Transparency agreements: openness agreed for a while, with a review date and
    /// an end date (it ends by itself unless you both renew it)
    #[command(subcommand)]
    Agreement(AgreementCmd),
    /// Weekly check-ins
    #[command(subcommand)]
    Checkin(CheckinCmd),
    /// The weekly meeting: prepare your points alone, bring them, then go through
    /// them together (thanks, what went well, one issue each, what you will do)
    #[command(subcommand)]
    Meeting(MeetingCmd),
    /// Letters: drafted privately, shared when sent
    #[command(subcommand)]
    Letter(LetterCmd),
    /// Promises your partner confirms as kept, missed or renegotiated
    #[command(subcommand)]
    Promise(PromiseCmd),
    /// Your private diary: it goes only to your own devices, never to your partner's
    #[command(subcommand)]
    Diary(DiaryCmd),
    /// Exercises to do together: the library, plans for a date, reflections
    #[command(subcommand)]
    Exercise(ExerciseCmd),
    /// Your progress through the seven stages
    #[command(subcommand)]
    Stage(StageCmd),
    /// Copy a private diary entry into the shared journal (your partner keeps a copy)
    Share {
        /// Diary entry id (or a unique prefix)
        id: String,
    },
    /// Diary entries shared with each other: list, edit or withdraw yours
    #[command(subcommand)]
    Shared(SharedCmd),
    /// Your private trigger log: moments when something brought the hurt back
    #[command(subcommand)]
    Trigger(TriggerCmd),
    /// Find entries in the shared journal and your private diary
    Search(SearchArgs),
    /// Write a packet for your therapist: one HTML page (plots included) holding only
    /// what you choose, readable only by you, optionally sealed with a passphrase
    Packet(PacketArgs),
    /// Export everything readable (md, json) or the shared journal as an Automerge file
    Export {
        #[arg(long, value_enum)]
        format: ExportFormatArg,
        /// Write to this file (readable only by you) instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
        /// Also export your private diary and letter drafts (md and json; in plain text)
        #[arg(long)]
        include_private: bool,
    },
    /// Show this profile's settings, or change one
    Settings {
        /// Whether opening a letter tells its writer that you read it: ask (you
        /// choose each time; the default) or always
        #[arg(long, value_name = "ask|always")]
        read_receipts: Option<String>,
        /// Desktop notifications for what waits for you: on or off (the default).
        /// They never show what was written, only that something is waiting
        #[arg(long, value_name = "on|off", value_parser = on_off)]
        reminders: Option<bool>,
        /// What to be reminded of, comma-separated: checkin, promise, letter,
        /// exercise (the others are left out)
        #[arg(long, value_name = "KINDS", value_delimiter = ',')]
        remind_about: Option<Vec<String>>,
        /// Hours of the day without reminders, in local time, like 22-08; or off
        #[arg(long, value_name = "FROM-UNTIL|off")]
        quiet_hours: Option<String>,
    },
    /// Show a desktop notification for what is waiting and was not shown before.
    /// Notifications say only that something waits, never what was written
    Remind {
        /// Say what would be shown, and show nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Change the profile's passphrase
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// Open a profile reported as rolled back, accepting its files as they are now
    /// (after older copies were put back on purpose, or to go on from what is left)
    AcceptRollback {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Pair this device with your partner's, once, by QR code or invite text
    #[command(subcommand)]
    Pair(PairCmd),
    /// The couple's devices: yours and your partner's, as their signed records say
    #[command(subcommand)]
    Device(DeviceCmd),
    /// End the pairing: stop syncing and forget your partner's device
    Unpair {
        /// Also delete the shared journal from this device (it is kept as an archive otherwise)
        #[arg(long)]
        delete_shared: bool,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Sync the shared journal with your partner's device, directly
    Sync {
        /// Sync until both devices hold the same journal, then stop
        #[arg(long)]
        once: bool,
        /// Give up (with --once) or stop (without) after this many seconds
        #[arg(long, value_name = "S")]
        timeout: Option<u64>,
    },
    /// Carry changes without a network: a sealed file for your partner's device
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Release the shared journal's history, with your partner's consent: only what it
    /// reads now is kept, on both devices
    #[command(subcommand)]
    ReleaseHistory(ReleaseCmd),
}

#[derive(Subcommand, Debug)]
pub enum ReleaseCmd {
    /// Ask your partner to release the shared journal's history (it happens once they
    /// accept, at your next sync)
    Request {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Accept your partner's request (it happens at your next sync, and is final)
    Accept {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Decline your partner's request, or withdraw your own before it is accepted
    Decline,
    /// Whether a request is open, and when the history was last released
    Status,
}

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// List the devices of both of you, and any record that vouches for nothing
    List,
    /// Add another device of yours: show an invite (QR code and text) for it to join
    Link(InviteArgs),
    /// Make this a new device of yours, joining the invite `device link` shows on
    /// one you already use (creates the profile here if there is none)
    Join {
        #[command(flatten)]
        from: JoinArgs,
        /// What to call this device in your device list
        #[arg(long, default_value = "another device")]
        label: String,
    },
    /// Remove one of your other devices (lost, stolen, given away)
    Revoke {
        /// The device's id, or its first characters, as `device list` shows it
        id: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PairCmd {
    /// Show an invite (QR code and text) and wait for your partner to join
    Invite(InviteArgs),
    /// Join your partner's invite: paste its text when asked, or give a file
    Join(JoinArgs),
}

/// How an invite is shown and waited on: for a partner, or another device of mine.
#[derive(clap::Args, Debug)]
pub struct InviteArgs {
    /// Also save the QR code as a PNG image (readable only by you)
    #[arg(long, value_name = "FILE")]
    pub qr_png: Option<PathBuf>,
    /// Replace the PNG file if it exists
    #[arg(long)]
    pub force: bool,
    /// How long the invite stays valid, in seconds
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub timeout: u64,
    /// The code the other screen shows, if you already know it (otherwise you are
    /// asked to type it)
    #[arg(long, value_name = "DIGITS")]
    pub expect_sas: Option<String>,
}

/// Where the invite to join comes from.
#[derive(clap::Args, Debug)]
pub struct JoinArgs {
    /// A photo or screenshot (PNG or JPEG) of the QR code
    #[arg(long, value_name = "FILE", conflicts_with = "invite_file")]
    pub qr_image: Option<PathBuf>,
    /// A file holding the invite text (starts with KINTSUGI: or KINTSUGI-LINK:)
    #[arg(long, value_name = "FILE")]
    pub invite_file: Option<PathBuf>,
    /// The code the other screen shows, if you already know it (otherwise you are
    /// asked to type it)
    #[arg(long, value_name = "DIGITS")]
    pub expect_sas: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BundleCmd {
    /// Write the changes your partner may not have yet to FILE (readable only by you)
    Export {
        file: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Merge a bundle from your partner (importing twice is harmless)
    Import { file: PathBuf },
}

/// `kintsugi packet`: every kind is left out unless named; the diary only entry by
/// entry.
#[derive(Args, Debug)]
pub struct PacketArgs {
    /// First day covered (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day covered (YYYY-MM-DD) [default: today]
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Both your weekly check-ins, plotted, with the answers
    #[arg(long)]
    pub checkins: bool,
    /// Promises and how they were kept
    #[arg(long)]
    pub promises: bool,
    /// Boundaries, with their earlier wordings and amendments
    #[arg(long)]
    pub boundaries: bool,
    /// Your trigger trend and the one your partner shared (numbers only), plotted
    #[arg(long)]
    pub triggers: bool,
    /// A sent letter to include (repeat for more)
    #[arg(long = "letter", value_name = "ID")]
    pub letters: Vec<String>,
    /// One entry of your private diary to include (repeat for more)
    #[arg(long = "diary", value_name = "ID")]
    pub diary: Vec<String>,
    /// Lock the packet with a passphrase (age format; from KINTSUGI_PACKET_PASSPHRASE
    /// or asked for); `.age` is added to the file name
    #[arg(long)]
    pub seal: bool,
    /// Where to write the packet (readable only by you)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum ExportFormatArg {
    Md,
    Json,
    Automerge,
}

#[derive(Subcommand, Debug)]
pub enum BoundaryCmd {
    /// Propose a boundary (it counts as agreed once you both agree)
    Add {
        text: String,
        #[arg(long)]
        category: Option<String>,
    },
    /// List boundaries with their status
    List,
    /// Agree to a proposed boundary
    Agree {
        id: String,
        /// Agree to the new wording your partner proposed, not to the boundary
        #[arg(long)]
        amendment: bool,
    },
    /// Ask to talk a boundary over again
    Revisit { id: String },
    /// Retire a boundary that no longer applies
    Retire { id: String },
    /// Propose a new wording for your boundary (it counts once your partner agrees;
    /// until then the current wording stands)
    Edit { id: String, text: String },
    /// Withdraw your proposal before your partner agreed to it
    Withdraw {
        id: String,
        /// Withdraw only the new wording you proposed
        #[arg(long)]
        amendment: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    /// Propose a transparency agreement (it holds once you both agree)
    Add {
        /// What you agree to
        text: String,
        /// What it covers, and what it does not
        #[arg(long)]
        scope: String,
        /// YYYY-MM-DD: the day to look at it again together
        #[arg(long)]
        review: String,
        /// YYYY-MM-DD, after the review: the day it ends unless you both renew it
        #[arg(long)]
        ends: String,
    },
    /// List agreements: what each covers, its dates and where it stands
    List,
    /// Agree to an agreement your partner proposed
    Agree {
        id: String,
        /// Agree to the new dates your partner proposed, not to the agreement
        #[arg(long)]
        renewal: bool,
    },
    /// Propose new review and end dates (they count once your partner agrees)
    Renew {
        id: String,
        /// YYYY-MM-DD
        #[arg(long)]
        review: String,
        /// YYYY-MM-DD, after the review
        #[arg(long)]
        ends: String,
    },
    /// Take back new dates you proposed, before your partner agreed to them
    WithdrawRenewal { id: String },
    /// End an agreement now, before its end date
    End { id: String },
}

#[derive(Subcommand, Debug)]
pub enum CheckinCmd {
    /// Write this week's check-in (a second one this week updates it; while paired,
    /// your answers wait on this device until your partner has saved theirs)
    Add(CheckinArgs),
    /// List check-ins, and those saved but not yet seen by both
    List,
    /// Whether your answers wait for your partner's before they travel (on unless
    /// turned off); with on or off, change it
    Together {
        #[arg(value_parser = ["on", "off"])]
        set: Option<String>,
    },
    /// Change the answers of your check-in ("" removes one); your partner sees the
    /// earlier answers
    Edit {
        id: String,
        #[arg(long)]
        went_well: Option<String>,
        #[arg(long)]
        hard: Option<String>,
        #[arg(long)]
        need: Option<String>,
        #[arg(long)]
        appreciate: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct CheckinArgs {
    /// How you feel, 1 (low) to 5 (good)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub mood: u8,
    /// How much you trust right now, 1 to 10
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub trust: u8,
    /// How close you feel, 1 to 10
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub closeness: u8,
    /// What went well this week
    #[arg(long)]
    pub went_well: Option<String>,
    /// What was hard
    #[arg(long)]
    pub hard: Option<String>,
    /// What you need
    #[arg(long)]
    pub need: Option<String>,
    /// What you appreciate
    #[arg(long)]
    pub appreciate: Option<String>,
    /// ISO week (e.g. 2026-W48) [default: the current week]
    #[arg(long)]
    pub week: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum LetterCmd {
    /// Write a private draft
    Draft {
        #[arg(long)]
        title: String,
        #[arg(long)]
        body: String,
        /// apology, appreciation, hope, forgiveness or other
        #[arg(long, default_value = "other")]
        kind: String,
    },
    /// Send a draft: it enters the shared journal. Sealed, your partner's device
    /// gets only that it exists, its kind and its seal until the seal opens
    Send {
        id: String,
        /// Keep it sealed until this day (YYYY-MM-DD, after today)
        #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "sealed_until_ready")]
        sealed_until: Option<String>,
        /// Keep it sealed until your partner says they are ready to read it
        #[arg(long)]
        sealed_until_ready: bool,
    },
    /// List drafts, sent and received letters
    List,
    /// Show a letter. Whether its writer learns that you read it follows your
    /// read receipts setting (by default they are not told), unless you say here
    Read {
        id: String,
        /// Let the writer know you read it
        #[arg(long, conflicts_with = "dont_tell")]
        tell: bool,
        /// Do not let the writer know, whatever the setting says
        #[arg(long)]
        dont_tell: bool,
    },
    /// Let your partner know you read a letter they wrote to you
    MarkRead { id: String },
    /// Say you are ready to read a letter your partner sealed until then: it opens
    /// once their device has seen that
    Ready { id: String },
    /// Change a draft before you send it
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        /// apology, appreciation, hope, forgiveness or other
        #[arg(long)]
        kind: Option<String>,
    },
    /// Throw a draft away
    Discard {
        id: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PromiseCmd {
    /// Make a promise with a due date
    Add {
        text: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due: String,
    },
    /// List promises and their outcomes
    List,
    /// Confirm your partner kept a promise
    Kept { id: String },
    /// Record that your partner missed a promise
    Missed { id: String },
    /// Record that a promise was renegotiated
    Renegotiate { id: String },
    /// Propose new terms for your promise (they count once your partner agrees)
    Edit {
        id: String,
        #[arg(long)]
        text: Option<String>,
        /// YYYY-MM-DD
        #[arg(long)]
        due: Option<String>,
    },
    /// Agree to the new terms your partner proposed for their promise
    Agree { id: String },
    /// Withdraw your promise before it is due (or, with --terms, the new terms you proposed)
    Withdraw {
        id: String,
        #[arg(long)]
        terms: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExerciseCmd {
    /// The exercises you can propose, by stage, with their steps and how long they take
    Library {
        /// Only this stage's exercises
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
        stage: Option<u8>,
    },
    /// Propose an exercise from the library for a date (your partner accepts it or
    /// suggests another)
    Propose {
        /// The exercise's id, as `exercise library` shows it
        exercise: String,
        /// YYYY-MM-DD, today or later
        date: String,
    },
    /// Accept the date your partner suggested
    Accept { id: String },
    /// Suggest another date instead of the one waiting, or move a planned one (your
    /// partner accepts it, or suggests another)
    SuggestDate {
        id: String,
        /// YYYY-MM-DD, today or later
        date: String,
    },
    /// Mark an exercise you did as done
    Done { id: String },
    /// Write a reflection on an exercise you did; it stays in your private diary
    /// unless you add --shared
    Reflect {
        id: String,
        text: String,
        /// Share it with your partner (their device keeps a copy)
        #[arg(long)]
        shared: bool,
    },
    /// Call off an exercise before it is done
    Cancel { id: String },
    /// Your exercises: where each stands, and the reflections on them
    List,
}

#[derive(Subcommand, Debug)]
pub enum DiaryCmd {
    /// Write a private diary entry
    Add {
        text: String,
        /// 1 to 5
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        mood: Option<u8>,
        /// Which stage (1 to 7) it belongs to
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
        stage: Option<u8>,
    },
    /// List diary entries
    List {
        /// Only entries for this stage
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
        stage: Option<u8>,
    },
    /// Change a diary entry's text, mood or stage
    Edit {
        id: String,
        #[arg(long)]
        text: Option<String>,
        /// 1 to 5
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5), conflicts_with = "no_mood")]
        mood: Option<u8>,
        /// Remove the mood
        #[arg(long)]
        no_mood: bool,
        /// 1 to 7
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7), conflicts_with = "no_stage")]
        stage: Option<u8>,
        /// Remove the stage
        #[arg(long)]
        no_stage: bool,
    },
    /// Delete a diary entry (the diary's own history keeps it until you release it)
    Delete {
        id: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Release your diary's history: keep only what it reads now, destroy the rest
    ReleaseHistory {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TriggerCmd {
    /// Log a moment (private: it stays on your own devices)
    Add {
        /// A word or two
        words: String,
        /// How strong, 1 (a flicker) to 10 (overwhelming)
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
        strength: u8,
        /// When it happened: YYYY-MM-DD HH:MM, YYYY-MM-DD or HH:MM [default: now]
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Your log, its weekly numbers, and what either of you shared
    List,
    /// Share your weekly numbers (count and average strength, nothing else) with
    /// your partner
    ShareTrend {
        /// Only this ISO week (e.g. 2026-W48) [default: every week]
        #[arg(long)]
        week: Option<String>,
    },
    /// Share one moment (its words, strength and time) with your partner
    Share { id: String },
    /// Delete a moment from your log (the diary's history keeps it until released)
    Delete { id: String },
}

/// Whose issue or side, in a meeting.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    Mine,
    Partner,
}

#[derive(Subcommand, Debug)]
pub enum MeetingCmd {
    /// Write your points for a week's meeting (private: they stay on this device
    /// until you bring them); replaces the points you had for that week
    Prepare {
        /// ISO week, e.g. 2026-W49 [default: this week]
        #[arg(long)]
        week: Option<String>,
        /// Something you appreciated, and after a "|" what it shows about your partner
        /// ("...and it shows that you are ..."), e.g. "You cooked on Tuesday |
        /// thoughtful"; repeat for more, up to five
        #[arg(long, value_name = "WHAT[|SHOWS]")]
        thanks: Vec<String>,
        /// What went well this week
        #[arg(long)]
        went_well: Option<String>,
        /// The one issue you want to talk through
        #[arg(long)]
        issue: Option<String>,
    },
    /// Your points and the meeting as it stands
    Show {
        #[arg(long)]
        week: Option<String>,
    },
    /// Every meeting so far
    List,
    /// Bring your points to the meeting: your partner's device receives them
    Bring {
        #[arg(long)]
        week: Option<String>,
    },
    /// Throw your private points for a week away
    Discard {
        #[arg(long)]
        week: Option<String>,
    },
    /// Write down one side of an issue, in a sentence or two
    Hear {
        /// Whose issue it is
        #[arg(long, value_enum)]
        issue: Whose,
        /// Whose side this is
        #[arg(long, value_enum)]
        side: Whose,
        text: String,
        #[arg(long)]
        week: Option<String>,
    },
    /// Make the plan a promise of yours
    Promise {
        text: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due: String,
        #[arg(long)]
        week: Option<String>,
    },
    /// Make the plan new wording for one of your boundaries (your partner agrees to
    /// it as to any amendment)
    Amend {
        /// The boundary's id (or a unique prefix)
        boundary: String,
        text: String,
        #[arg(long)]
        week: Option<String>,
    },
    /// Close the meeting: nothing more is added to it
    Close {
        #[arg(long)]
        week: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SharedCmd {
    /// List the diary entries both of you shared
    List,
    /// Change the text of an entry you shared; your partner sees the earlier wording
    Edit { id: String, text: String },
    /// Withdraw an entry you shared (your partner's device keeps what it received)
    Withdraw { id: String },
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find, ignoring case ("" finds everything the filters let through)
    pub text: String,
    /// Only this kind (repeatable): boundary, checkin, letter, promise, shared,
    /// stage, diary, draft, reflection, private-reflection
    #[arg(long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// Only entries for this stage (diary and shared entries, stage notes)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=7))]
    pub stage: Option<u8>,
    /// Only entries written on or after this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only entries written on or before this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum StageCmd {
    /// Mark a stage (1 to 7) as done for you
    Done {
        #[arg(value_parser = clap::value_parser!(u8).range(1..=7))]
        stage: u8,
        /// A note your partner will see
        #[arg(long)]
        note: Option<String>,
        /// Mark it as not done after all
        #[arg(long)]
        undo: bool,
    },
    /// Both partners' progress through the stages
    List,
    /// Mark that you have reached acceptance (stage 6): private, kept on this device
    /// and never shared
    Accept {
        /// In your own words (private)
        #[arg(long)]
        words: Option<String>,
        /// Take your acceptance back
        #[arg(long, conflicts_with = "words")]
        undo: bool,
    },
    /// Offer your partner forgiveness (stage 6): shared, your partner sees it and
    /// your words. Nothing asks you to, and it may never come
    Forgive {
        /// In your own words, for your partner
        #[arg(long)]
        words: Option<String>,
        /// Take back the forgiveness you offered (your partner's device keeps what
        /// it already received)
        #[arg(long, conflicts_with = "words")]
        undo: bool,
    },
    /// Write or change your note on a stage ("" removes it); your partner sees the
    /// notes before
    Note {
        #[arg(value_parser = clap::value_parser!(u8).range(1..=7))]
        stage: u8,
        text: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PassphraseCmd {
    /// Set a new passphrase (asks for the current one first)
    Change,
}

/// `on` or `off`, as settings are switched.
fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, not {s:?}")),
    }
}
