//! `lantern ask`: one prompt through the whole pipeline.

use crate::gateway::{self, GatewayArgs};
use crate::present::{self, Style};
use anyhow::{Context, bail};
use lantern_actors::handle::Handle;
use lantern_actors::pipeline::{Ask, Settings};
use lantern_events::schema::*;
use lantern_events::{Follow, ReadLog, RequestId};
use lantern_replay::chain::Chains;
use lantern_replay::words;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Who decides between the original and the refined prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Approve {
    /// Ask me (accept, edit in $EDITOR, or use the original).
    Ask,
    /// Always send the refined prompt.
    Accept,
    /// Always send the original prompt.
    Original,
}

impl From<Approve> for ApprovalPolicy {
    fn from(a: Approve) -> Self {
        match a {
            Approve::Ask => ApprovalPolicy::Ask,
            Approve::Accept => ApprovalPolicy::Accept,
            Approve::Original => ApprovalPolicy::Original,
        }
    }
}

/// Options of `lantern ask`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prompt.
    prompt: String,
    /// The file you are working in (named to the model, language inferred).
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// Selected text to attach as a code block.
    #[arg(long, conflicts_with = "lines")]
    selection: Option<String>,
    /// Attach lines A to B (1-based, inclusive) of --file.
    #[arg(long, value_name = "A:B", requires = "file")]
    lines: Option<String>,
    /// Who decides on the refinement.
    #[arg(long, value_enum, default_value = "ask")]
    approve: Approve,
    /// Seconds to wait for your decision before the original is sent.
    #[arg(long, default_value_t = 120)]
    decision_timeout: u64,
    /// Print the session's events as JSON Lines instead of the usual view.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    gateway: GatewayArgs,
}

fn context(args: &Args) -> anyhow::Result<PromptContext> {
    let mut ctx =
        PromptContext { active_file: args.file.as_ref().map(|f| f.display().to_string()), ..Default::default() };
    if let Some(text) = &args.selection {
        ctx.selection = Some(Selection { text: text.clone().into(), start_line: None, end_line: None });
    }
    if let (Some(range), Some(file)) = (&args.lines, &args.file) {
        let (a, b) = range.split_once(':').context("--lines takes A:B, e.g. 10:24")?;
        let (a, b): (u32, u32) = (a.trim().parse()?, b.trim().parse()?);
        if a == 0 || b < a {
            bail!("--lines {range}: lines are 1-based and A must not exceed B");
        }
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let picked: Vec<&str> = text.lines().skip(a as usize - 1).take((b - a + 1) as usize).collect();
        if picked.is_empty() {
            bail!("{} has no line {a}", file.display());
        }
        ctx.selection = Some(Selection { text: picked.join("\n").into(), start_line: Some(a), end_line: Some(b) });
    }
    Ok(ctx)
}

/// Runs `lantern ask`.
pub fn run(dir: &Path, args: &Args, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if args.approve == Approve::Ask && (args.json || !std::io::stdin().is_terminal()) {
        bail!("--approve ask needs a terminal to answer on; use --approve accept or --approve original");
    }
    let context = context(args)?;
    if let Some(holder) = crate::data_dir::pipeline_holder(dir)? {
        eprintln!(
            "lantern: asking through the Lantern serving {} (pid {}): its pipeline and settings answer",
            dir.display(),
            holder.pid()
        );
        let log = holder.log();
        let mut sub = log.follow(log.last_seq()? + 1)?;
        return converse(&holder.pipeline(), &mut *sub, args, context, out);
    }
    let settings = Settings { decision_timeout: Duration::from_secs(args.decision_timeout), ..Settings::default() };
    let started = gateway::start(dir, &args.gateway, settings, gateway::Offer::Reads)?;
    let client = started.runtime.client();
    let mut sub = started.log.subscribe(client.next_seq());
    converse(&client, &mut sub, args, context, out)
}

/// One session of one prompt on `client`, shown from `sub`.
fn converse(
    client: &dyn Handle,
    sub: &mut dyn Follow,
    args: &Args,
    context: PromptContext,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let session = client.open_session(FrontendKind::Cli, std::env::current_dir().ok().map(|d| d.display().to_string()));
    let ask = Ask {
        session,
        request: RequestId::new(),
        prompt: args.prompt.clone(),
        model: args.gateway.model.clone(),
        context,
        origin: PromptOrigin::Typed,
        policy: args.approve.into(),
        frontend: FrontendKind::Cli,
    };
    if args.json {
        // The session's first event, so that the JSON record is complete.
        if let Some(e) =
            gateway::next_where(sub, Duration::from_secs(5), |e| e.session == session && e.request.is_none())?
        {
            writeln!(out, "{}", serde_json::to_string(&*e)?)?;
        }
    }
    let mode = if args.json { Mode::Json } else { Mode::View(Style::detect(std::io::stdout().is_terminal())) };
    let failed = submit_and_follow(client, sub, ask, mode, out)?;
    client.close_session(session, EndReason::UserExit);
    if args.json {
        // ...and its last.
        if let Some(e) =
            gateway::next_where(sub, Duration::from_secs(5), |e| e.session == session && e.request.is_none())?
        {
            writeln!(out, "{}", serde_json::to_string(&*e)?)?;
        }
    }
    Ok(if failed { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// How a chain is shown.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// The terminal view (approval panel, answer, suggestions).
    View(Style),
    /// Every event of the session as a JSON line.
    Json,
    /// The terminal view, deciding by policy without asking (demo).
    Scripted(Style),
}

/// Submits `ask` and shows its chain until it ends; returns whether it failed.
pub fn submit_and_follow(
    client: &dyn Handle,
    sub: &mut dyn Follow,
    ask: Ask,
    mode: Mode,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let (request, session, policy) = (ask.request, ask.session, ask.policy);
    client.submit(ask);
    // The chain, folded by the reducer every frontend uses.
    let mut chains = Chains::default();
    let mut delivered = false;
    loop {
        // Upstream calls may take minutes; after the answer, suggestions come at once.
        let limit = if delivered { Duration::from_secs(3) } else { Duration::from_secs(900) };
        let Some(e) = gateway::next_where(sub, limit, |e| e.request == Some(request))? else {
            if delivered {
                return Ok(false);
            }
            bail!("no progress on request {request} within {} s", limit.as_secs());
        };
        chains.apply(&e);
        if let Mode::Json = mode
            && e.session == session
        {
            writeln!(out, "{}", serde_json::to_string(&*e)?)?;
        }
        let style = match mode {
            Mode::View(s) | Mode::Scripted(s) => Some(s),
            Mode::Json => None,
        };
        match &e.event {
            Event::RefinementProposed(p) => {
                if let Some(style) = style {
                    present::proposal(p, style, out)?;
                }
                if policy == ApprovalPolicy::Ask && matches!(mode, Mode::View(_)) {
                    let decision = ask_user(p, out)?;
                    client.decide(request, decision);
                }
            }
            Event::ApprovalDecided(d) if style.is_some() => writeln!(out, "→ {}", words::decision(d))?,
            Event::CacheChecked(c) => {
                let Some(lines) = words::offer(c) else { continue };
                if let Some(style) = style {
                    writeln!(out, "{}", style.bold("Cached answer offered"))?;
                    for line in &lines {
                        writeln!(out, "  {line}")?;
                    }
                }
                if matches!(mode, Mode::View(_)) {
                    client.decide_offer(request, ask_offer(out)?);
                }
            }
            Event::OfferDecided(d) if style.is_some() => writeln!(out, "→ {}", words::offer_decided(d))?,
            Event::ResponseDelivered(r) => {
                delivered = true;
                if let Some(style) = style {
                    let chain = chains.get(request);
                    if let Some(note) = chain.and_then(|c| c.cache.as_ref()).and_then(|c| words::miss_note(&c.event)) {
                        writeln!(out, "  {}", style.dim(&note))?;
                    }
                    let src = chain.and_then(words::chain_source).unwrap_or_else(|| words::source(r, None, None));
                    writeln!(out, "{}  {}", style.bold("Answer"), style.dim(&format!("[{src}] #{}", e.seq)))?;
                    writeln!(out, "{}", r.text.display())?;
                }
            }
            Event::UpstreamFailed(f) => {
                if style.is_some() {
                    writeln!(
                        out,
                        "✗ no answer: {} {}{}{}",
                        f.kind,
                        f.status.map(|s| format!("({s}) ")).unwrap_or_default(),
                        f.message,
                        if f.retryable { " — try again later" } else { "" }
                    )?;
                }
                return Ok(true);
            }
            Event::SuggestionsOffered(s) => {
                if let Some(style) = style {
                    present::suggestions(s, style, out)?;
                }
                return Ok(false);
            }
            _ => {}
        }
    }
}

/// Asks on the terminal: accept, edit (in $EDITOR) or original.
fn ask_user(p: &RefinementProposed, out: &mut impl Write) -> anyhow::Result<Decision> {
    let refined = p.refined.display();
    loop {
        write!(out, "Send [a]ccept refined · [e]dit · [o]riginal? [a] ")?;
        out.flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(Decision::Rejected);
        }
        match line.trim() {
            "" | "a" | "accept" => return Ok(Decision::Accepted),
            "o" | "original" => return Ok(Decision::Rejected),
            "e" | "edit" => {
                let edited = edit_in_editor(&refined)?;
                return Ok(if edited == refined {
                    Decision::Accepted
                } else {
                    Decision::Modified { text: edited.into() }
                });
            }
            other => writeln!(out, "{other:?}: type a, e or o")?,
        }
    }
}

/// Asks on the terminal: use the offered cached answer, or ask the model.
fn ask_offer(out: &mut impl Write) -> anyhow::Result<bool> {
    loop {
        write!(out, "Use the cached answer [u] · ask the model [m]? [m] ")?;
        out.flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(false);
        }
        match line.trim() {
            "u" | "use" => return Ok(true),
            "" | "m" | "model" => return Ok(false),
            other => writeln!(out, "{other:?}: type u or m")?,
        }
    }
}

fn edit_in_editor(text: &str) -> anyhow::Result<String> {
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let dir = std::env::temp_dir().join(format!("lantern-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("prompt.md");
    std::fs::write(&path, text)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .with_context(|| format!("cannot run editor {editor:?}"))?;
    let edited = std::fs::read_to_string(&path)?;
    let _ = std::fs::remove_dir_all(&dir);
    if !status.success() {
        bail!("editor {editor:?} exited with {status}; nothing was sent");
    }
    Ok(edited.trim_end().to_owned())
}
